//! Files from outside, hostile or broken (`scripts/make-hostile-media.py`):
//! each is refused, or processed, within a bounded time and with a reason
//! a rep can read, while the server stays up and its memory flat (ffmpeg
//! reads them, in child processes with limits; the server never does).

mod common;

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use common::{TestApp, api::*, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

/// What becomes of each file of the corpus: refused at the upload (its
/// first bytes are no video's), failed with this reason, or ready.
enum Outcome {
    RefusedAtUpload,
    Failed(&'static str),
    Ready,
}

use Outcome::*;

const NOT_VIDEO: &str = "This file is not a video we can read, or it is damaged.";

fn expected() -> BTreeMap<&'static str, Outcome> {
    BTreeMap::from([
        ("zero-size-box.mp4", Failed("The file has no video.")),
        ("oversize-box.mp4", Failed("The file has no video.")),
        ("deep-boxes.mp4", Failed("The file has no video.")),
        ("timescale-zero.mp4", Ready),
        ("truncated.mp4", Failed(NOT_VIDEO)),
        ("noise.mp4", RefusedAtUpload),
        ("noise-after-ftyp.mp4", Failed(NOT_VIDEO)),
        ("huge-title.webm", Failed(NOT_VIDEO)),
        ("seekhead-loop.webm", Ready),
        ("huge-cluster.webm", Failed("The file has no video.")),
        ("truncated.webm", Ready),
        ("noise-after-ebml.webm", Failed(NOT_VIDEO)),
        ("huge-frame.mkv", Failed(NOT_VIDEO)),
        (
            "ten-hours.webm",
            Failed("The recording is 10:00:00 long; the longest we take is 4:00:00."),
        ),
    ])
}

/// The longest any one file may take to be refused or processed here.
const BOUND: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_and_broken_files_are_refused_or_processed_and_hurt_nothing() {
    let app = spawn_app().await;
    let corpus = app.dir.path().join("corpus");
    let made = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/make-hostile-media.py"
        ))
        .arg(&corpus)
        .output()
        .expect("python3 runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let listed: BTreeMap<String, String> =
        serde_json::from_slice(&std::fs::read(corpus.join("corpus.json")).unwrap()).unwrap();
    let expected = expected();
    assert_eq!(
        listed.keys().map(String::as_str).collect::<Vec<_>>(),
        expected.keys().copied().collect::<Vec<_>>(),
        "every file of the corpus has its expected outcome"
    );

    let demo = demo_recording(&app).await;
    let memory_before = app.peak_memory();
    // All uploaded at once, as two reps' browsers might: processing takes
    // them one at a time, so the last waits for all the others.
    let mut pending = Vec::new();
    for name in expected.keys() {
        let bytes = std::fs::read(corpus.join(name)).unwrap();
        let (status, body) = upload(&app, name, bytes).await;
        match (&expected[name], status) {
            (RefusedAtUpload, StatusCode::UNSUPPORTED_MEDIA_TYPE) => assert_eq!(
                body["error"],
                "This file is not a video. Upload a recording (MP4, MOV, WebM, MKV, …)."
            ),
            (RefusedAtUpload, _) => panic!("{name}: {status} {body}"),
            (_, StatusCode::CREATED) => pending.push((*name, body["id"].as_i64().unwrap())),
            (_, _) => panic!("{name} was refused at the upload: {status} {body}"),
        }
    }
    let deadline = Instant::now() + BOUND * pending.len() as u32;
    for (name, id) in pending {
        let done = wait_until_processed(&app, id, deadline).await;
        match &expected[name] {
            Failed(reason) => assert_eq!(
                done["state"],
                serde_json::json!({ "Failed": { "reason": reason } }),
                "{name}"
            ),
            Ready => assert_eq!(done["state"], "Ready", "{name}: {done}"),
            RefusedAtUpload => unreachable!(),
        }
        assert_eq!(
            app.get_text("/healthz").await.0,
            StatusCode::OK,
            "after {name}"
        );
    }

    let grew = app.peak_memory().saturating_sub(memory_before);
    assert!(
        grew < 32 << 20,
        "the server's memory grew by {} MiB",
        grew >> 20
    );
    // What was there before still works.
    assert_eq!(recording(&app, demo).await["state"], "Ready");
    let video = get(&app, &format!("/media/recordings/{demo}")).await;
    assert_eq!(video.status(), StatusCode::OK);
}

/// The recording once it is no longer processing.
async fn wait_until_processed(app: &TestApp, id: i64, deadline: Instant) -> Value {
    loop {
        let now = recording(app, id).await;
        if now["state"].get("Processing").is_none() {
            return now;
        }
        assert!(Instant::now() < deadline, "still processing: {now}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
