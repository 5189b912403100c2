//! Media files live as long as their recordings: an upload whose recording
//! never came (a crash in between) is deleted by the media-deletion queue,
//! a claimed one is kept; unfinished uploads go at the next start.

mod common;

use std::{sync::Arc, time::Duration};

use app::{
    clock::{Clock, ManualClock, SharedClock},
    domain::{RecipientName, RecordingTitle},
    store::{MediaFile, NewRecording, NewRep},
};
use common::{DEMO, Sandbox};
use jiff::SignedDuration;
use server::{
    jobs::{Runner, Timing},
    media::{DeleteMedia, MediaStore},
};

fn demo_body() -> impl futures::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Unpin {
    futures::stream::iter(
        DEMO.chunks(64 * 1024)
            .map(|c| Ok(axum::body::Bytes::copy_from_slice(c))),
    )
}

async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "gave up waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_file_whose_recording_never_came_is_deleted_and_a_claimed_one_kept() {
    let sandbox = Sandbox::new();
    let clock = ManualClock::starting_at("2026-12-01T12:00:00Z".parse().unwrap());
    let shared: SharedClock = clock.clone();
    let store = server::store::open(sandbox.database_url(), shared.clone())
        .await
        .unwrap();
    let media = Arc::new(MediaStore::new(sandbox.path().join("media")).unwrap());
    let rep = store
        .create_rep(NewRep {
            email: "ada@example.com".into(),
            name: RecipientName::parse("Ada").unwrap(),
            time_zone: None,
            password_hash: None,
        })
        .await
        .unwrap();

    // Stored, then the process "crashed" before recording it.
    let (orphan, _) = media
        .ingest(demo_body(), u64::MAX, &store, clock.now())
        .await
        .unwrap();
    // Stored and recorded.
    let (kept, pending) = media
        .ingest(demo_body(), u64::MAX, &store, clock.now())
        .await
        .unwrap();
    store
        .create_recording(NewRecording {
            owner_id: rep.id,
            title: RecordingTitle::parse("Kept").unwrap(),
            original: MediaFile {
                key: kept.key.clone(),
                content_type: kept.content_type.into(),
                size_bytes: kept.size_bytes as i64,
            },
            pending: Some(pending),
        })
        .await
        .unwrap();

    let runner = Runner::new(
        DeleteMedia::new(store.clone(), media.clone()),
        store.clone(),
        shared,
        Timing {
            claim: Duration::from_secs(30),
            poll: Duration::from_millis(20),
        },
    )
    .start();
    let path = |key: &str| sandbox.path().join("media").join(key);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(path(&orphan.key).exists(), "not before its time");

    clock.advance(SignedDuration::from_mins(61));
    wait_until("the orphan is deleted", || !path(&orphan.key).exists()).await;
    clock.advance(SignedDuration::from_hours(5));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(path(&kept.key).exists(), "the claimed file stays");
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_a_crash_cut_short_are_removed_at_the_next_start_after_a_day() {
    let app = common::spawn_app().await;
    let media = app.dir.path().join("media");
    let old = media.join(".incoming-from-two-days-ago");
    let fresh = media.join(".incoming-under-way");
    for file in [&old, &fresh] {
        std::fs::write(file, b"part of an upload").unwrap();
    }
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();

    let app = app.crash_and_restart().await;
    assert!(!old.exists(), "a day old: removed");
    assert!(fresh.exists(), "maybe still arriving: kept");
    drop(app);
}
