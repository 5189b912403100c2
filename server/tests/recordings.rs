//! The Recordings tab, the details page and the media they play.

mod common;

use common::{
    DEMO,
    api::{get, upload, wait_for_recording},
    spawn_app,
};
use reqwest::{StatusCode, header};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_check_answers() {
    let app = spawn_app().await;
    let (status, body) = app.get_text("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn recordings_tab_lists_the_demo_recording_with_date_duration_and_share() {
    let app = spawn_app().await;
    let (status, html) = app.get_text("/recordings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Demo recording: product walkthrough"),
        "{html}"
    );
    assert!(html.contains(">0:45<"), "the duration is shown as m:ss");
    assert!(html.contains("<time datetime="), "the date is shown");
    assert!(
        html.contains(">Share</button>"),
        "each recording has a Share action"
    );
    assert_eq!(app.recording_ids().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn details_page_has_the_player_and_share_button() {
    let app = spawn_app().await;
    let id = app.recording_ids().await[0];
    let (status, html) = app.get_text(&format!("/recordings/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!(
            r#"<h1 id="recording-{id}-title">Demo recording: product walkthrough</h1>"#
        )),
        "{html}"
    );
    assert!(html.contains(&format!("src=\"/media/recordings/{id}\"")));
    assert!(html.contains("<video"));
    assert!(html.contains(">Share</button>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_recordings_are_not_found() {
    let app = spawn_app().await;
    for path in [
        "/recordings/999",
        "/recordings/abc",
        "/media/recordings/999",
        "/no-such-page",
    ] {
        let (status, _) = app.get_text(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, html) = app.get_text("/recordings/999").await;
    assert!(html.contains("Recording not found"));
}

async fn get_range(app: &common::TestApp, id: i64, range: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/media/recordings/{id}")))
        .header(header::RANGE, range)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn media_is_served_whole_and_in_byte_ranges() {
    let app = spawn_app().await;
    let id = app.recording_ids().await[0];
    let len = DEMO.len();

    let whole = get(&app, &format!("/media/recordings/{id}")).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()[header::ACCEPT_RANGES], "bytes");
    assert_eq!(whole.headers()[header::CONTENT_TYPE], "video/webm");
    assert_eq!(whole.bytes().await.unwrap(), DEMO);

    let cases = [
        ("bytes=0-99", 0, 99),
        ("bytes=100000-165535", 100_000, 165_535),
        ("bytes=-500", len - 500, len - 1),
        (&format!("bytes={}-", len - 10), len - 10, len - 1),
    ];
    for (range, first, last) in cases {
        let response = get_range(&app, id, range).await;
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            response.headers()[header::CONTENT_RANGE],
            format!("bytes {first}-{last}/{len}"),
            "{range}"
        );
        assert_eq!(
            response.bytes().await.unwrap(),
            &DEMO[first..=last],
            "{range}"
        );
    }

    let response = get_range(&app, id, &format!("bytes={}-", len + 10)).await;
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        response.headers()[header::CONTENT_RANGE],
        format!("bytes */{len}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_recording_plays_whole_and_in_ranges_one_after_another() {
    // Long enough that playback to the end goes out in many pieces, and a
    // bounded range can be longer than one piece.
    let app = spawn_app().await;
    let mut file = DEMO.to_vec();
    file.extend((0..12_000_000 - DEMO.len()).map(|n| (n % 251) as u8));
    let (status, uploaded) = upload(&app, "Long call", file.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = uploaded["id"].as_i64().unwrap();
    wait_for_recording(&app, id, "it is processed", |r| r["state"] == "Ready").await;

    // One after another, as a player asks on its kept-alive connection:
    // each answer ends where it says and the next starts clean.
    for _ in 0..2 {
        let whole = get(&app, &format!("/media/recordings/{id}")).await;
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(whole.bytes().await.unwrap(), file);
        for (first, last) in [(0, 99), (4_194_000, 4_195_000), (1_000_001, 7_000_000)] {
            let response = get_range(&app, id, &format!("bytes={first}-{last}")).await;
            assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
            assert_eq!(response.bytes().await.unwrap(), &file[first..=last]);
        }
        let end = get_range(&app, id, "bytes=-70000").await;
        assert_eq!(end.bytes().await.unwrap(), &file[file.len() - 70_000..]);
    }
}
