//! Calling the app's server functions as the Share window does, and looking
//! into its database, for tests.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{AnyPool, any::AnyPoolOptions};

use super::TestApp;

/// The browser's zone in these tests; new shares keep their dates in it.
pub const ZONE: &str = "America/New_York";

/// The server functions behind forms that work without scripts: they take
/// form encoding (as `<form method="post">` sends it), the others JSON.
pub const FORM_ENCODED: &[&str] = &[
    "auth/signin",
    "auth/signout",
    "recordings/list",
    "recordings/get",
    "recordings/delete",
    "settings/profile",
    "settings/password",
    "settings/signout-everywhere",
    "shares/expiration",
];

/// A POST of `body` (a JSON object) to server function `endpoint`, encoded
/// as its own client encodes it: form fields or JSON.
pub fn encode(
    request: reqwest::RequestBuilder,
    endpoint: &str,
    body: &Value,
) -> reqwest::RequestBuilder {
    if FORM_ENCODED.contains(&endpoint.trim_start_matches("/api/")) {
        let form: Vec<(String, String)> = body
            .as_object()
            .expect("a server function's arguments are an object")
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), String::from),
                )
            })
            .collect();
        request.form(&form)
    } else {
        request.json(body)
    }
}

/// POSTs to a server function under `/api/`, as the app's scripts do.
pub async fn call(app: &TestApp, endpoint: &str, body: Value) -> (StatusCode, Value) {
    let request = app.client.post(app.url(&format!("/api/{endpoint}")));
    let response = encode(request, endpoint, &body).send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{endpoint} answered {status} with non-JSON ({e}): {text}"));
    (status, value)
}

/// A call that must succeed; returns the share as it now is.
pub async fn ok(app: &TestApp, endpoint: &str, body: Value) -> Value {
    let (status, value) = call(app, endpoint, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{endpoint} {body}: {value}");
    value
}

/// A call that must be refused; returns the error, after checking that its
/// HTTP status says what kind of refusal it is.
pub async fn refused(app: &TestApp, endpoint: &str, body: Value) -> Value {
    let (status, value) = call(app, endpoint, body.clone()).await;
    let expected = if value.get("Invalid").is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if value == "NotFound" {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    assert_eq!(status, expected, "{endpoint} {body}: {value}");
    value
}

/// The field and message of an `Invalid` error.
pub fn invalid(error: &Value) -> (&str, &str) {
    let invalid = &error["Invalid"];
    let field = invalid["field"].as_str();
    let message = invalid["message"].as_str();
    match (field, message) {
        (Some(field), Some(message)) => (field, message),
        _ => panic!("not an Invalid error: {error}"),
    }
}

/// The demo recording's id, once it is processed (ready to share).
pub async fn demo_recording(app: &TestApp) -> i64 {
    let id = *app
        .recording_ids()
        .await
        .last()
        .expect("the demo recording");
    wait_for_recording(app, id, "the demo recording is ready", |r| {
        r["state"] == "Ready"
    })
    .await;
    id
}

/// The recording as the rep's pages get it (`recordings/get`).
pub async fn recording(app: &TestApp, id: i64) -> Value {
    ok(app, "recordings/get", json!({ "id": id })).await
}

/// Polls the recording (as its page does) until `done` holds for it.
pub async fn wait_for_recording(
    app: &TestApp,
    id: i64,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    poll_until(what, Duration::from_secs(180), || recording(app, id), done).await
}

/// Asks `fetch` again every 100 ms until `done` holds for its answer
/// (which it returns), failing the test after `within`.
async fn poll_until<F: Future<Output = Value>>(
    what: &str,
    within: Duration,
    fetch: impl Fn() -> F,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let now = fetch().await;
        if done(&now) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting until {what}: {now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Uploads `body` as a new recording titled `title`, as the upload form
/// does; the status and the answer.
pub async fn upload(
    app: &TestApp,
    title: &str,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/api/recordings/upload"))
        .query(&[("title", title)])
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The rep's draft share of the demo recording, as the window opens it.
pub async fn open(app: &TestApp) -> Value {
    let recording_id = demo_recording(app).await;
    ok(
        app,
        "share/open",
        json!({ "recording_id": recording_id, "browser_time_zone": ZONE }),
    )
    .await
}

pub fn share_id(share: &Value) -> i64 {
    share["id"].as_i64().unwrap()
}

pub async fn add_recipient(app: &TestApp, share: i64, name: &str, email: &str) -> Value {
    ok(
        app,
        "share/recipient/add",
        json!({ "share_id": share, "name": name, "email": email }),
    )
    .await
}

pub async fn add_comment(app: &TestApp, share: i64, body: &str, at_ms: Option<i64>) -> Value {
    ok(
        app,
        "share/comment/add",
        json!({ "share_id": share, "body": body, "at_ms": at_ms }),
    )
    .await
}

pub async fn generate_links(app: &TestApp, share: i64) -> Value {
    ok(app, "share/links", json!({ "share_id": share })).await
}

/// Each recipient's email and link, in list order.
pub fn links(share: &Value) -> Vec<(String, Option<String>)> {
    share["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap().to_string(),
                r["link"].as_str().map(String::from),
            )
        })
        .collect()
}

/// The path a link opens on this server (`/l/{code}`).
pub fn path_of(link: &str) -> String {
    let code = link.rsplit('/').next().unwrap();
    format!("/l/{code}")
}

/// A share of the demo recording with one link per recipient name; returns
/// the share and the links' paths.
pub async fn shared_with(app: &TestApp, names: &[&str]) -> (Value, Vec<String>) {
    let recording = demo_recording(app).await;
    share_recording(app, recording, names).await
}

/// A share of `recording` (ready) with one link per recipient name; returns
/// the share and the links' paths.
pub async fn share_recording(
    app: &TestApp,
    recording: i64,
    names: &[&str],
) -> (Value, Vec<String>) {
    let draft = ok(
        app,
        "share/open",
        json!({ "recording_id": recording, "browser_time_zone": ZONE }),
    )
    .await;
    let id = share_id(&draft);
    for name in names {
        let email = format!("{}@example.com", name.to_lowercase());
        add_recipient(app, id, name, &email).await;
    }
    let share = generate_links(app, id).await;
    let paths = links(&share)
        .iter()
        .map(|(_, link)| path_of(link.as_deref().unwrap()))
        .collect();
    (share, paths)
}

/// The app's database, opened beside it (on SQLite, WAL lets both use it
/// at once). Queries use `$1`-style parameters, which both backends read.
pub async fn db(app: &TestApp) -> AnyPool {
    connect(app.dir.database_url()).await
}

pub async fn connect(database_url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(1)
        .connect(database_url)
        .await
        .unwrap()
}

/// Ends a sent share's links now, as the Shares page's Change expiration
/// does with a day that has passed.
pub async fn expire_share(app: &TestApp, share: i64) {
    ok(
        app,
        "shares/expiration",
        json!({ "share_id": share, "end_date": "2026-01-15" }),
    )
    .await;
}

pub fn today() -> Date {
    Timestamp::now()
        .to_zoned_datetime(TimeZone::get(ZONE).unwrap())
        .date()
}

pub fn long_date(date: Date) -> String {
    date.strftime("%a, %b %-d, %Y").to_string()
}

pub async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

/// Delete recording, as its page's button does (a form post).
pub async fn delete_recording(app: &TestApp, recording: i64) -> reqwest::Response {
    app.client
        .post(app.url("/api/recordings/delete"))
        .form(&[("id", recording.to_string())])
        .send()
        .await
        .unwrap()
}

// ------------------------------------------------ sending, as the window does

/// Send Email(s); returns how many emails it queued.
pub async fn send(app: &TestApp, share: i64) -> u64 {
    let receipt = ok(app, "share/send", json!({ "share_id": share })).await;
    receipt["queued"].as_u64().unwrap()
}

pub async fn current(app: &TestApp, share: i64) -> Value {
    ok(app, "share/get", json!({ "share_id": share })).await
}

/// Each recipient's email and delivery state.
pub fn deliveries(share: &Value) -> BTreeMap<String, Value> {
    share["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap().to_string(),
                r["delivery"].clone(),
            )
        })
        .collect()
}

/// Polls the share (as the window does) until `done` holds for it.
pub async fn wait_for_share(
    app: &TestApp,
    share: i64,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    poll_until(what, Duration::from_secs(120), || current(app, share), done).await
}

pub fn all_in_state(share: &Value, state: &str) -> bool {
    deliveries(share).values().all(|d| d["state"] == state)
}

/// A share of the demo recording to `count` recipients `r1@example.com`, ….
pub async fn share_to(app: &TestApp, count: usize) -> i64 {
    let id = share_id(&open(app).await);
    for n in 1..=count {
        add_recipient(
            app,
            id,
            &format!("Recipient {n}"),
            &format!("r{n}@example.com"),
        )
        .await;
    }
    id
}
