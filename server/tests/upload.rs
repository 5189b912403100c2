//! Uploading recordings through the Recordings tab's endpoint.

mod common;

use common::{
    DEMO,
    api::{upload, wait_for_recording},
    spawn_app, spawn_app_with,
};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_uploaded_video_is_listed_with_its_duration_and_plays() {
    let app = spawn_app().await;
    let (status, body) = upload(&app, "Discovery call <ACME>", DEMO.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["title"], "Discovery call <ACME>");
    // Processing first: probed, given a poster, checked to play everywhere.
    assert!(body["state"].get("Processing").is_some(), "{body}");
    let id = body["id"].as_i64().unwrap();
    let ready = wait_for_recording(&app, id, "it is ready", |r| r["state"] == "Ready").await;
    let duration = ready["duration_ms"].as_i64().unwrap();
    assert!((44_000..=46_000).contains(&duration), "{duration}");

    let (_, html) = app.get_text("/recordings").await;
    assert!(
        html.contains("Discovery call &lt;ACME&gt;"),
        "the title is listed, escaped"
    );
    let media = app
        .client
        .get(app.url(&format!("/media/recordings/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(media.bytes().await.unwrap(), DEMO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_file_over_the_limit_is_refused_and_nothing_is_kept() {
    let app = spawn_app_with(&[("MAX_UPLOAD_BYTES", "500000")]).await;
    let before = app.media_files();

    let (status, body) = upload(&app, "Too big", DEMO.to_vec()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("larger than the limit"),
        "{body}"
    );

    // Without a declared length the limit is enforced while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        DEMO.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let streamed = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let (status, _) = upload(&app, "Too big, streamed", streamed).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(app.media_files(), before);
    assert_eq!(app.recording_ids().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_file_that_is_not_a_video_is_refused() {
    let app = spawn_app().await;
    let before = app.media_files();
    let (status, body) = upload(
        &app,
        "Notes",
        b"%PDF-1.7 this is a document, not a video".repeat(500),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        body["error"].as_str().unwrap().contains("not a video"),
        "{body}"
    );
    assert_eq!(app.media_files(), before);
    assert_eq!(app.recording_ids().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_blank_title_is_refused() {
    let app = spawn_app().await;
    let (status, body) = upload(&app, "   ", DEMO.to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "Enter a title.");
    assert_eq!(app.recording_ids().await.len(), 1);
}
