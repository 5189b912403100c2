//! Signing in and out: who may reach the rep's side, the session cookie, and
//! the limits on guessing passwords.

mod common;

use common::{DEMO_EMAIL, DEMO_PASSWORD, TestApp, spawn_app, spawn_app_with};
use reqwest::{StatusCode, header};
use serde_json::json;

/// A client without cookies or redirects: each request shows exactly what
/// the server answered.
fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts the sign-in form as a browser does; returns the response.
async fn post_sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    bare()
        .post(app.url("/api/auth/signin"))
        .header("accept", "text/html")
        .form(&[
            ("email", email),
            ("password", password),
            ("next", "/recordings/1"),
        ])
        .send()
        .await
        .unwrap()
}

/// `session=…` from a response's Set-Cookie, and the whole header.
fn session_cookie(response: &reqwest::Response) -> (String, String) {
    let set = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("session="))
        .expect("a session cookie");
    (set.split(';').next().unwrap().to_string(), set)
}

async fn get_with(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    bare()
        .get(app.url(path))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signed_out_requests_are_sent_to_sign_in_or_refused() {
    let app = spawn_app().await;
    for path in ["/", "/recordings", "/recordings/1", "/settings"] {
        let response = bare().get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        assert!(
            location.starts_with("/signin?next=%2F"),
            "{path}: {location}"
        );
    }
    let share = bare()
        .post(app.url("/api/share/open"))
        .json(&json!({ "recording_id": 1, "browser_time_zone": "UTC" }))
        .send()
        .await
        .unwrap();
    assert_eq!(share.status(), StatusCode::UNAUTHORIZED);
    let upload = bare()
        .post(app.url("/api/recordings/upload?title=x"))
        .body(common::DEMO)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::UNAUTHORIZED);
    let media = bare()
        .get(app.url("/media/recordings/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(media.status(), StatusCode::NOT_FOUND);
    // The sign-in page itself is open to all.
    assert_eq!(
        bare()
            .get(app.url("/signin"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_email_or_password_say_the_same_and_sign_nobody_in() {
    let app = spawn_app().await;
    for (email, password) in [
        (DEMO_EMAIL, "wrong password"),
        ("nobody@example.com", DEMO_PASSWORD),
    ] {
        let response = post_sign_in(&app, email, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.text().await.unwrap().contains("WrongCredentials"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_session_cookie_is_httponly_lax_and_rotated_at_sign_in() {
    let app = spawn_app().await;
    let first = post_sign_in(&app, DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(first.status(), StatusCode::FOUND);
    assert_eq!(first.headers()[header::LOCATION], "/recordings/1");
    let (cookie, set_cookie) = session_cookie(&first);
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "plain http here: {set_cookie}"
    );
    assert_eq!(
        get_with(&app, "/recordings", &cookie).await.status(),
        StatusCode::OK
    );

    // Signing in again with that session gives it a new id; the old one is gone.
    let again = bare()
        .post(app.url("/api/auth/signin"))
        .header("accept", "text/html")
        .header(header::COOKIE, &cookie)
        .form(&[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    let (rotated, _) = session_cookie(&again);
    assert_ne!(rotated, cookie);
    assert_eq!(
        get_with(&app, "/recordings", &cookie).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        get_with(&app, "/recordings", &rotated).await.status(),
        StatusCode::OK
    );

    // Signing out ends the session on the server: the cookie is worthless.
    let out = bare()
        .post(app.url("/api/auth/signout"))
        .header("accept", "text/html")
        .header(header::COOKIE, &rotated)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::FOUND);
    assert_eq!(
        get_with(&app, "/recordings", &rotated).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_https_the_cookie_is_secure() {
    let app = spawn_app_with(&[("PUBLIC_URL", "https://rec.example")]).await;
    let response = post_sign_in(&app, DEMO_EMAIL, DEMO_PASSWORD).await;
    let (_, set_cookie) = session_cookie(&response);
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guessing_a_password_is_cut_off() {
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for n in 0..12 {
        statuses.push(
            post_sign_in(&app, DEMO_EMAIL, &format!("guess number {n}"))
                .await
                .status(),
        );
    }
    assert!(
        statuses[..9].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // Even the right password waits now.
    let right = post_sign_in(&app, DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cross_site_post_to_a_server_function_is_refused() {
    let app = spawn_app().await;
    let body = json!({ "recording_id": 1, "browser_time_zone": "UTC" });
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let response = app
            .client
            .post(app.url("/api/share/open"))
            .header(name, value)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    // The same request from the app's own pages goes through.
    let same = app
        .client
        .post(app.url("/api/share/open"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", app.base.as_str())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settings_change_the_reps_name_zone_and_password() {
    let app = spawn_app().await;
    let call = |path: &'static str, body: serde_json::Value| {
        let request = app.client.post(app.url(path)).json(&body);
        async move {
            let response = request.send().await.unwrap();
            (
                response.status(),
                response.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, profile) = call("/api/settings/get", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["email"], DEMO_EMAIL);
    assert!(
        profile["zones"]
            .as_array()
            .unwrap()
            .iter()
            .any(|z| z == "Europe/Berlin")
    );

    let (status, saved) = call(
        "/api/settings/profile",
        json!({ "name": " Dana Demo ", "time_zone": "Europe/Berlin" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (saved["name"].as_str(), saved["time_zone"].as_str()),
        (Some("Dana Demo"), Some("Europe/Berlin"))
    );
    for bad in [
        json!({ "name": "", "time_zone": "Europe/Berlin" }),
        json!({ "name": "Dana", "time_zone": "Mars/Olympus" }),
    ] {
        let (status, error) = call("/api/settings/profile", bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    }
    let (_, unchanged) = call("/api/settings/get", json!({})).await;
    assert_eq!(
        unchanged["name"], "Dana Demo",
        "a refused change changes nothing"
    );

    let (status, error) = call(
        "/api/settings/password",
        json!({ "current": "wrong one", "new": "new password 2" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["Invalid"]["field"], "CurrentPassword");
    let (status, error) = call(
        "/api/settings/password",
        json!({ "current": DEMO_PASSWORD, "new": "short" }),
    )
    .await;
    assert_eq!(
        (status, error["Invalid"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("NewPassword"))
    );
    let (status, _) = call(
        "/api/settings/password",
        json!({ "current": DEMO_PASSWORD, "new": "new password 2" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        post_sign_in(&app, DEMO_EMAIL, DEMO_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_sign_in(&app, DEMO_EMAIL, "new password 2")
            .await
            .status(),
        StatusCode::FOUND
    );
}
