//! Recordings as reps bring them (a phone's HEVC `.mov`, an MP4 whose index
//! is at its end, a WebM) become files every browser plays, with a poster
//! and timeline previews; processing shows its percent, survives a crash,
//! and is never done twice at once by two instances.

mod common;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use common::{TestApp, api::*, smtp::SmtpServer, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Makes `name` in `dir` with ffmpeg from a test pattern and a tone of
/// `seconds`, encoded with `codec_args`; its bytes.
fn make_video(dir: &Path, name: &str, seconds: u32, size: &str, codec_args: &[&str]) -> Vec<u8> {
    let path = dir.join(name);
    let duration = seconds.to_string();
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!("testsrc2=size={size}:rate=25:duration={duration}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=440:duration={duration}"))
        .args(codec_args)
        .args(["-shortest"])
        .arg(&path)
        .output()
        .expect("ffmpeg runs (scripts/test.sh installs it)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    std::fs::read(path).unwrap()
}

const HEVC_MOV: &[&str] = &[
    "-c:v",
    "libx265",
    "-preset",
    "ultrafast",
    "-tag:v",
    "hvc1",
    "-pix_fmt",
    "yuv420p",
    "-x265-params",
    "log-level=error",
    "-c:a",
    "aac",
];
/// ffmpeg's MP4 muxer writes the index (`moov`) at the end unless told not to.
const MP4_INDEX_AT_END: &[&str] = &[
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
];
const VP9_WEBM: &[&str] = &[
    "-c:v",
    "libvpx-vp9",
    "-deadline",
    "realtime",
    "-cpu-used",
    "8",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "libopus",
];
/// MPEG-4 Part 2 in AVI: quick to make, and no browser plays it.
const MPEG4_AVI: &[&str] = &["-c:v", "mpeg4", "-q:v", "6", "-c:a", "mp3"];

/// Uploads `body`: the new recording's id (processing).
async fn added(app: &TestApp, title: &str, body: Vec<u8>) -> i64 {
    let (status, body) = upload(app, title, body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["state"].get("Processing").is_some(), "{body}");
    body["id"].as_i64().unwrap()
}

async fn ready(app: &TestApp, id: i64) -> Value {
    let done = wait_for_recording(app, id, "it is processed", |r| {
        r["state"].get("Processing").is_none()
    })
    .await;
    assert_eq!(done["state"], "Ready", "{done}");
    done
}

/// The codecs of a file's first video and audio streams, and whether its
/// index comes before its media, as ffprobe and its top-level boxes say.
struct Probed {
    video: String,
    audio: String,
    index_first: bool,
}

fn probe(path: &Path) -> Probed {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_entries"])
        .arg("stream=codec_type,codec_name")
        .arg(path)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codec = |kind: &str| {
        json["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["codec_type"] == kind)
            .map(|s| s["codec_name"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let bytes = std::fs::read(path).unwrap();
    let find = |kind: &[u8]| bytes.windows(4).position(|w| w == kind);
    Probed {
        video: codec("video"),
        audio: codec("audio"),
        index_first: matches!((find(b"moov"), find(b"mdat")), (Some(m), Some(d)) if m < d),
    }
}

/// The video the rep's player gets, saved to `dir/name`; its content type.
async fn playable(app: &TestApp, id: i64, dir: &Path, name: &str) -> (String, PathBuf) {
    let response = get(app, &format!("/media/recordings/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    let path = dir.join(name);
    std::fs::write(&path, response.bytes().await.unwrap()).unwrap();
    (content_type, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_phone_video_an_mp4_indexed_at_its_end_and_a_webm_all_become_playable() {
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let mov = make_video(dir, "phone.mov", 6, "320x240", HEVC_MOV);
    let tail = make_video(dir, "index-at-end.mp4", 6, "320x240", MP4_INDEX_AT_END);
    assert!(
        !probe(&dir.join("index-at-end.mp4")).index_first,
        "made as meant"
    );
    let webm = make_video(dir, "call.webm", 6, "320x240", VP9_WEBM);

    let mov_id = added(&app, "From a phone", mov.clone()).await;
    let tail_id = added(&app, "Index at the end", tail.clone()).await;
    let webm_id = added(&app, "A WebM", webm.clone()).await;

    for id in [mov_id, tail_id, webm_id] {
        let done = ready(&app, id).await;
        let duration = done["duration_ms"].as_i64().unwrap();
        assert!((5_900..=6_200).contains(&duration), "{duration}");
        // Playable first; the timeline previews follow.
        wait_for_recording(&app, id, "it has previews", |r| !r["previews"].is_null()).await;
    }

    // HEVC in QuickTime: transcoded to H.264/AAC MP4 that starts at once.
    let (content_type, path) = playable(&app, mov_id, dir, "mov-played.mp4").await;
    assert_eq!(content_type, "video/mp4");
    let played = probe(&path);
    assert_eq!(
        (played.video.as_str(), played.audio.as_str()),
        ("h264", "aac")
    );
    assert!(played.index_first);

    // H.264/AAC with the index at the end: copied, index first, not re-encoded.
    let (content_type, path) = playable(&app, tail_id, dir, "tail-played.mp4").await;
    assert_eq!(content_type, "video/mp4");
    let played = probe(&path);
    assert_eq!(
        (played.video.as_str(), played.audio.as_str()),
        ("h264", "aac")
    );
    assert!(played.index_first, "remuxed with +faststart");
    let size = std::fs::metadata(&path).unwrap().len() as f64;
    assert!(
        (size - tail.len() as f64).abs() / (tail.len() as f64) < 0.02,
        "the same streams: {size} bytes from {}",
        tail.len()
    );

    // VP9/Opus WebM plays as it is: the rep's own file.
    let (content_type, path) = playable(&app, webm_id, dir, "webm-played.webm").await;
    assert_eq!(content_type, "video/webm");
    assert_eq!(std::fs::read(path).unwrap(), webm);

    // The originals are kept beside what was made of them.
    let stored: Vec<Vec<u8>> = app
        .media_files()
        .iter()
        .filter(|p| p.is_file())
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    for original in [&mov, &tail, &webm] {
        assert!(stored.contains(original), "an original is kept");
    }

    // Each has a poster and timeline previews with their WebVTT index.
    for id in [mov_id, tail_id, webm_id] {
        let poster = get(&app, &format!("/media/recordings/{id}/poster.jpg")).await;
        assert_eq!(poster.status(), StatusCode::OK);
        assert_eq!(poster.headers()["content-type"], "image/jpeg");
        assert!(poster.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]));
        let sprite = get(&app, &format!("/media/recordings/{id}/previews.jpg")).await;
        assert_eq!(sprite.status(), StatusCode::OK);
        assert!(sprite.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]));
        let (status, vtt) = app
            .get_text(&format!("/media/recordings/{id}/previews.vtt"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(vtt.starts_with("WEBVTT\n"), "{vtt}");
        assert!(vtt.contains("00:00:00.000 --> 00:00:02.000\n"), "{vtt}");
        assert!(vtt.contains("--> 00:00:06."), "to the end: {vtt}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processing_shows_its_percent_and_survives_a_crash_mid_transcode() {
    let app = spawn_app_with(&[("JOB_CLAIM_SECONDS", "3")]).await;
    demo_recording(&app).await;
    let work = tempfile::tempdir().unwrap();
    let long = make_video(work.path(), "long.avi", 240, "640x360", MPEG4_AVI);
    let id = added(&app, "A long call", long).await;

    // The percent moves as ffmpeg goes.
    let first = wait_for_recording(&app, id, "a percent shows", |r| {
        r["state"]["Processing"]["percent"]
            .as_u64()
            .is_some_and(|p| p > 0)
    })
    .await;
    let percent = |r: &Value| r["state"]["Processing"]["percent"].as_u64();
    let at_first = percent(&first).unwrap();
    let later = wait_for_recording(&app, id, "the percent moves on", |r| {
        percent(r).is_none_or(|p| p > at_first)
    })
    .await;
    assert!(
        percent(&later).is_some(),
        "still transcoding when it moved: {later}"
    );

    // Killed mid-transcode: a restart takes the job over and finishes it.
    let media = app.dir.path().join("media");
    let app = app.crash_and_restart().await;
    let done = ready(&app, id).await;
    wait_for_recording(&app, id, "it has previews", |r| !r["previews"].is_null()).await;
    assert!(done["duration_ms"].as_i64().unwrap() >= 239_000, "{done}");
    let played = probe(&playable(&app, id, work.path(), "played.mp4").await.1);
    assert_eq!(played.video, "h264");
    // The killed run left no ffmpeg behind and no work folder.
    assert!(
        !running_in(&media),
        "an ffmpeg of the killed server is still running"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&media)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".work-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Whether a process is running with a file of `dir` on its command line.
fn running_in(dir: &Path) -> bool {
    let dir = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc").unwrap().any(|entry| {
        let path = entry.unwrap().path();
        std::fs::read(path.join("cmdline")).is_ok_and(|cmdline| {
            let cmdline = String::from_utf8_lossy(&cmdline);
            cmdline.starts_with("ffmpeg") && cmdline.contains(&dir)
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_process_one_recording_at_once() {
    let a = spawn_app_with(&[("JOB_CLAIM_SECONDS", "3")]).await;
    let b = a.another_instance().await;
    let work = tempfile::tempdir().unwrap();
    let mut ids = vec![demo_recording(&a).await];
    for n in 0..6 {
        let file = make_video(
            work.path(),
            &format!("call-{n}.avi"),
            20,
            "320x240",
            MPEG4_AVI,
        );
        ids.push(added(&a, &format!("Call {n}"), file).await);
    }
    for id in &ids {
        ready(&a, *id).await;
    }

    // Each instance logs every recording it starts processing.
    let started = |app: &TestApp| -> Vec<i64> {
        app.log()
            .lines()
            .filter(|line| line.contains(" processing ") && line.contains("plan="))
            .filter_map(|line| {
                let (_, rest) = line.split_once(" recording=")?;
                rest.split(' ').next()?.parse().ok()
            })
            .collect()
    };
    let (on_a, on_b) = (started(&a), started(&b));
    let mut runs: BTreeMap<i64, usize> = BTreeMap::new();
    for id in on_a.iter().chain(&on_b) {
        *runs.entry(*id).or_default() += 1;
    }
    assert_eq!(runs.keys().copied().collect::<Vec<_>>(), ids, "{runs:?}");
    assert!(runs.values().all(|n| *n == 1), "processed twice: {runs:?}");
    assert!(
        !on_a.is_empty() && !on_b.is_empty(),
        "both instances took some: {on_a:?} {on_b:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_poster_is_in_the_list_the_players_the_email_and_link_previews_and_is_no_open() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(&[("SMTP_URL", &smtp.url())]).await;
    let recording = demo_recording(&app).await;
    let poster = format!("/media/recordings/{recording}/poster.jpg");
    let (_, list) = app.get_text("/recordings").await;
    assert!(list.contains(&format!(r#"<img src="{poster}""#)), "{list}");
    let (_, page) = app.get_text(&format!("/recordings/{recording}")).await;
    assert!(page.contains(&format!(r#"poster="{poster}""#)), "{page}");

    let (share, paths) = shared_with(&app, &["Pat"]).await;
    let id = share_id(&share);
    let link = links(&share)[0].1.clone().unwrap();
    send(&app, id).await;
    let html = smtp.wait_for(1).await.remove(0).html.unwrap();
    assert!(
        html.contains(&format!(r#"<a href="{link}"><img src="{link}/poster.jpg""#)),
        "{html}"
    );

    let (status, viewer) = app.get_text(&paths[0]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        viewer.contains(&format!(r#"poster="{}/poster.jpg""#, paths[0])),
        "{viewer}"
    );
    assert!(
        viewer.contains(&format!(
            r#"<meta property="og:image" content="{link}/poster.jpg">"#
        )),
        "{viewer}"
    );
    assert!(
        viewer.contains(&format!(
            r#"<meta property="og:title" content="{}">"#,
            share["title"].as_str().unwrap()
        )),
        "{viewer}"
    );
    // Mail clients and chat apps fetch the poster unasked: no open.
    let image = get(&app, &format!("{}/poster.jpg", paths[0])).await;
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(image.headers()["content-type"], "image/jpeg");
    let activity = ok(&app, "shares/activity", json!({ "share_id": id })).await;
    assert_eq!(activity["recipients"][0]["opens"], 0, "{activity}");

    // "Show a preview when the link is pasted", off: no title, no image.
    ok(
        &app,
        "share/link-preview",
        json!({ "share_id": id, "on": false }),
    )
    .await;
    let (_, viewer) = app.get_text(&paths[0]).await;
    assert!(!viewer.contains("og:"), "{viewer}");
    assert!(viewer.contains("poster="), "the player keeps its poster");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recording_not_ready_cannot_be_shared_or_played() {
    let app = spawn_app().await;
    demo_recording(&app).await;
    let work = tempfile::tempdir().unwrap();
    let long = make_video(work.path(), "long.avi", 240, "640x360", MPEG4_AVI);
    let id = added(&app, "Still processing", long).await;
    let response = app
        .client
        .post(app.url("/api/share/open"))
        .json(&json!({ "recording_id": id, "browser_time_zone": ZONE }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(response.text().await.unwrap().contains("NotReady"));
    let video = get(&app, &format!("/media/recordings/{id}")).await;
    assert_eq!(video.status(), StatusCode::NOT_FOUND);
    let (_, list) = app.get_text("/recordings").await;
    assert!(list.contains("Processing"), "{list}");
}
