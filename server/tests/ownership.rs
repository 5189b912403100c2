//! Every server function and rep page, walked from one table: signed out it
//! refuses; signed in as another rep with this rep's ids it refuses and
//! changes nothing. A server function missing from the table fails the test.

mod common;

use std::collections::BTreeSet;

use common::{DEMO, TestApp, api::*, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The endpoints that do not act for a signed-in rep.
const PUBLIC: &[&str] = &["/api/auth/signin", "/api/auth/signout"];

struct Ids {
    recording: i64,
    share: i64,
    comment: i64,
    recipient: i64,
}

/// Each server function with a body naming rep A's things.
fn table(ids: &Ids) -> Vec<(&'static str, Value)> {
    vec![
        ("/api/recordings/list", json!({})),
        ("/api/recordings/get", json!({ "id": ids.recording })),
        (
            "/api/share/open",
            json!({ "recording_id": ids.recording, "browser_time_zone": "UTC" }),
        ),
        ("/api/share/get", json!({ "share_id": ids.share })),
        (
            "/api/share/title",
            json!({ "share_id": ids.share, "title": "Taken over" }),
        ),
        (
            "/api/share/link-preview",
            json!({ "share_id": ids.share, "on": false }),
        ),
        (
            "/api/share/expiration",
            json!({ "share_id": ids.share, "preset": "Days90", "start_date": "2030-01-01", "end_date": null }),
        ),
        (
            "/api/share/comment/add",
            json!({ "share_id": ids.share, "body": "Planted", "at_ms": null }),
        ),
        (
            "/api/share/comment/edit",
            json!({ "comment_id": ids.comment, "body": "Changed" }),
        ),
        (
            "/api/share/comment/delete",
            json!({ "comment_id": ids.comment }),
        ),
        (
            "/api/share/recipient/add",
            json!({ "share_id": ids.share, "name": "Eve", "email": "eve@example.com" }),
        ),
        (
            "/api/share/recipient/remove",
            json!({ "recipient_id": ids.recipient }),
        ),
        ("/api/share/links", json!({ "share_id": ids.share })),
        ("/api/share/send", json!({ "share_id": ids.share })),
        // The Shares page.
        ("/api/shares/list", json!({})),
        ("/api/shares/activity", json!({ "share_id": ids.share })),
        (
            "/api/shares/revoke",
            json!({ "share_id": ids.share, "recipient_id": ids.recipient }),
        ),
        (
            "/api/shares/revoke",
            json!({ "share_id": ids.share, "recipient_id": null }),
        ),
        (
            "/api/shares/expiration",
            json!({ "share_id": ids.share, "end_date": "2020-01-01" }),
        ),
        (
            "/api/shares/resend",
            json!({ "share_id": ids.share, "recipient_id": ids.recipient }),
        ),
        ("/api/recordings/delete", json!({ "id": ids.recording })),
        // The settings act on the signed-in rep's own account only.
        ("/api/settings/get", json!({})),
        (
            "/api/settings/profile",
            json!({ "name": "Renamed", "time_zone": "Asia/Tokyo" }),
        ),
        (
            "/api/settings/password",
            json!({ "current": "demo password 1", "new": "taken over 123" }),
        ),
        // Last: it ends the caller's own sessions.
        ("/api/settings/signout-everywhere", json!({})),
    ]
}

/// Posts as the server functions' own clients do (form encoding or JSON).
async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    body: &Value,
) -> (StatusCode, String) {
    let response = encode(client.post(app.url(path)), path, body)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_server_function_and_page_refuses_strangers() {
    // Rep A (the demo rep) with a share: a comment, a recipient and a link.
    let app = spawn_app().await;
    let share = open(&app).await;
    let share_id = share_id(&share);
    add_comment(&app, share_id, "Mine", Some(1_000)).await;
    add_recipient(&app, share_id, "Ada", "ada@example.com").await;
    let share = ok(&app, "share/links", json!({ "share_id": share_id })).await;
    let ids = Ids {
        recording: share["recording"]["id"].as_i64().unwrap(),
        share: share_id,
        comment: share["comments"][0]["id"].as_i64().unwrap(),
        recipient: share["recipients"][0]["id"].as_i64().unwrap(),
    };

    // Rep B, signed in on a client of their own, with a recording of theirs.
    let hash =
        app::auth::hash_password(&app::domain::NewPassword::parse("rep b password").unwrap())
            .unwrap();
    sqlx::query("INSERT INTO reps (email, name, password_hash, created_at_ms) VALUES ('b@example.com', 'Rep B', $1, 0)")
        .bind(hash)
        .execute(&db(&app).await)
        .await
        .unwrap();
    let rep_b = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let signed_in = rep_b
        .post(app.url("/api/auth/signin"))
        .header("accept", "text/html")
        .form(&[("email", "b@example.com"), ("password", "rep b password")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.url().path(), "/recordings");
    let b_upload = rep_b
        .post(app.url("/api/recordings/upload?title=B%27s%20call"))
        .body(DEMO)
        .send()
        .await
        .unwrap();
    assert_eq!(b_upload.status(), StatusCode::CREATED);
    let signed_out = reqwest::Client::new();

    // Every registered server function is in the table (or public).
    let table = table(&ids);
    let registered: BTreeSet<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    let covered: BTreeSet<&str> = table
        .iter()
        .map(|(path, _)| *path)
        .chain(PUBLIC.iter().copied())
        .collect();
    assert_eq!(
        registered, covered,
        "each server function needs a row in the table"
    );

    let before = ok(&app, "share/get", json!({ "share_id": ids.share })).await;
    for (path, body) in &table {
        let (status, text) = post(&signed_out, &app, path, body).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "signed out, {path}: {text}"
        );

        let (status, text) = post(&rep_b, &app, path, body).await;
        match *path {
            // B's own list: B's recording only.
            "/api/recordings/list" => {
                assert_eq!(status, StatusCode::OK);
                assert!(
                    text.contains("B's call") && !text.contains("Demo recording"),
                    "{text}"
                );
            }
            // B has sent nothing.
            "/api/shares/list" => assert_eq!(
                (status, text.as_str()),
                (StatusCode::OK, r#"{"items":[],"next":null}"#)
            ),
            // Someone else's recording does not exist for B.
            "/api/recordings/get" => assert_eq!((status, text.as_str()), (StatusCode::OK, "null")),
            // B's own account: B's email, B's new name; A's password is not B's.
            "/api/settings/get" | "/api/settings/profile" => {
                assert_eq!(status, StatusCode::OK, "{path}: {text}");
                assert!(
                    text.contains("b@example.com") && !text.contains("demo@example.com"),
                    "{text}"
                );
            }
            "/api/settings/password" => {
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
                assert!(text.contains("CurrentPassword"), "{text}");
            }
            // B's own sessions end; A's are not B's to end.
            "/api/settings/signout-everywhere" => {
                assert_eq!(status, StatusCode::OK, "{text}");
            }
            _ => assert_eq!(status, StatusCode::NOT_FOUND, "rep B, {path}: {text}"),
        }
    }
    let after = ok(&app, "share/get", json!({ "share_id": ids.share })).await;
    assert_eq!(
        before, after,
        "nothing of rep A's changed (A is still signed in)"
    );
    let signed_in = rep_b
        .post(app.url("/api/auth/signin"))
        .header("accept", "text/html")
        .form(&[("email", "b@example.com"), ("password", "rep b password")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.url().path(), "/recordings");
    assert_eq!(
        app.recording_ids().await,
        vec![ids.recording],
        "A's recording is there"
    );
    let a_drafts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shares WHERE sender_id <> 1")
        .fetch_one(&db(&app).await)
        .await
        .unwrap();
    assert_eq!(a_drafts, 0, "B could not open a share of A's recording");
    let a = ok(&app, "settings/get", json!({})).await;
    assert_eq!(
        (a["name"].as_str(), a["time_zone"].as_str()),
        (Some("Demo Rep"), Some(""))
    );

    // The rep's pages and media, the same way.
    let recording_page = format!("/recordings/{}", ids.recording);
    let media = format!("/media/recordings/{}", ids.recording);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/recordings", recording_page.as_str()] {
        let response = no_redirects.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "signed out, {path}"
        );
    }
    let page = rep_b.get(app.url(&recording_page)).send().await.unwrap();
    assert_eq!(
        page.status(),
        StatusCode::NOT_FOUND,
        "rep B, {recording_page}"
    );
    assert_eq!(
        signed_out
            .get(app.url(&media))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        rep_b.get(app.url(&media)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}
