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

/// The sign-in page the forms below are posted from.
const SIGN_IN_PAGE: &str = "/signin?next=%2Frecordings%2F1";

/// Posts the sign-in form as a browser does without scripts (or before the
/// page's wasm has loaded); returns the response.
async fn post_sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    sign_in_request(app, email, password)
        .header("accept", "text/html")
        .header("referer", app.url(SIGN_IN_PAGE))
        .send()
        .await
        .unwrap()
}

/// Signs in as the page's script does once it runs: the answer is the
/// server function's own, with the status that says what happened.
async fn script_sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    sign_in_request(app, email, password)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
}

fn sign_in_request(app: &TestApp, email: &str, password: &str) -> reqwest::RequestBuilder {
    bare().post(app.url("/api/auth/signin")).form(&[
        ("email", email),
        ("password", password),
        ("next", "/recordings/1"),
    ])
}

/// Where a plain form post was sent back to: the path and query.
fn location(response: &reqwest::Response) -> String {
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    let url = response.url().join(location).unwrap();
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
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
    let mut back_to = Vec::new();
    for (email, password) in [
        (DEMO_EMAIL, "wrong password"),
        ("nobody@example.com", DEMO_PASSWORD),
    ] {
        let response = script_sign_in(&app, email, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.text().await.unwrap().contains("WrongCredentials"));

        // Without scripts the browser goes back to the form, which says why.
        let response = post_sign_in(&app, email, password).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        assert!(
            response.headers().get(header::SET_COOKIE).is_none(),
            "nobody is signed in"
        );
        back_to.push(location(&response));
    }
    assert_eq!(back_to[0], back_to[1], "both refusals look the same");
    assert!(
        back_to[0].starts_with(&format!("{SIGN_IN_PAGE}&")),
        "{}",
        back_to[0]
    );
    let page = bare().get(app.url(&back_to[0])).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Wrong email or password."), "{html}");
    assert!(
        html.contains(r#"name="next" value="/recordings/1""#),
        "the form still leads where the rep was going: {html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_sign_in_the_browser_stays_on_this_site_whatever_next_says() {
    let app = spawn_app().await;
    for bad in [
        "//evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/\\evil.example",
        "/.//evil.example",
        "/%2e//evil.example",
        "  //evil.example",
        "https://evil.example/",
        "/signin?next=//evil.example",
    ] {
        let response = bare()
            .post(app.url("/api/auth/signin"))
            .header("accept", "text/html")
            .form(&[
                ("email", DEMO_EMAIL),
                ("password", DEMO_PASSWORD),
                ("next", bad),
            ])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{bad:?}: no answer ({e})"));
        assert_eq!(response.status(), StatusCode::FOUND, "{bad:?}");
        let to = response.headers()[header::LOCATION].to_str().unwrap();
        let resolved = reqwest::Url::parse(&app.base).unwrap().join(to).unwrap();
        assert_eq!(
            resolved.host_str(),
            Some("127.0.0.1"),
            "{bad:?} went to {to:?}"
        );
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
            script_sign_in(&app, DEMO_EMAIL, &format!("guess number {n}"))
                .await
                .status(),
        );
    }
    assert!(
        statuses[..9].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // Even the right password waits now; without scripts, the form says so.
    let right = script_sign_in(&app, DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    let form = post_sign_in(&app, DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(form.status(), StatusCode::FOUND);
    let (_, html) = app.get_text(&location(&form)).await;
    assert!(html.contains("Too many tries."), "{html}");
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
        let request = common::api::encode(app.client.post(app.url(path)), path, &body);
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
        script_sign_in(&app, DEMO_EMAIL, DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let signed_in = post_sign_in(&app, DEMO_EMAIL, "new password 2").await;
    assert_eq!(signed_in.status(), StatusCode::FOUND);
    assert_eq!(location(&signed_in), "/recordings/1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settings_forms_posted_without_scripts_come_back_with_their_message() {
    let app = spawn_app().await;
    // As a browser posts the form before (or without) the page's wasm; the
    // client follows the redirect back to the page, as the browser does.
    let post = |path: &'static str, form: &'static [(&'static str, &'static str)]| {
        let request = app
            .client
            .post(app.url(path))
            .header("accept", "text/html")
            .header("referer", app.url("/settings"))
            .form(form);
        async move {
            let response = request.send().await.unwrap();
            let back_on = response.url().clone();
            assert_eq!(response.status(), StatusCode::OK, "{back_on}");
            (back_on, response.text().await.unwrap())
        }
    };

    let (back_on, html) = post(
        "/api/settings/profile",
        &[("name", "  "), ("time_zone", "Europe/Berlin")],
    )
    .await;
    assert_eq!(back_on.path(), "/settings");
    assert!(html.contains("Enter your name."), "{html}");
    let (_, html) = app.get_text("/settings").await;
    assert!(
        html.contains(r#"value="Demo Rep""#),
        "nothing changed: {html}"
    );

    let (back_on, html) = post(
        "/api/settings/password",
        &[("current", "not my password"), ("new", "new password 2")],
    )
    .await;
    assert_eq!(back_on.path(), "/settings");
    assert!(
        html.contains("That is not your current password."),
        "{html}"
    );

    let (back_on, html) = post(
        "/api/settings/profile",
        &[("name", "Dana Demo"), ("time_zone", "Europe/Berlin")],
    )
    .await;
    assert_eq!(back_on.path(), "/settings");
    assert!(html.contains("Saved."), "{html}");
    assert!(html.contains(r#"value="Dana Demo""#), "{html}");
}

/// A client of its own (its own cookies), signed in as the demo rep.
async fn signed_in_browser(app: &TestApp) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(app.url("/api/auth/signin"))
        .header("accept", "text/html")
        .form(&[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    client
}

async fn page_status(app: &TestApp, client: &reqwest::Client) -> StatusCode {
    client
        .get(app.url("/recordings"))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_password_ends_the_reps_other_sessions_but_not_this_one() {
    let app = spawn_app().await;
    let (laptop, stolen) = (signed_in_browser(&app).await, signed_in_browser(&app).await);
    assert_eq!(page_status(&app, &stolen).await, StatusCode::OK);
    let changed = laptop
        .post(app.url("/api/settings/password"))
        .form(&[("current", DEMO_PASSWORD), ("new", "a brand new password")])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(page_status(&app, &laptop).await, StatusCode::OK);
    assert_eq!(page_status(&app, &stolen).await, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_out_everywhere_ends_every_session() {
    let app = spawn_app().await;
    let (here, elsewhere) = (signed_in_browser(&app).await, signed_in_browser(&app).await);
    let out = here
        .post(app.url("/api/settings/signout-everywhere"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::FOUND);
    assert_eq!(out.headers()[header::LOCATION], "/signin");
    assert_eq!(page_status(&app, &here).await, StatusCode::SEE_OTHER);
    assert_eq!(page_status(&app, &elsewhere).await, StatusCode::SEE_OTHER);
    // Signing in again works.
    assert_eq!(
        page_status(&app, &signed_in_browser(&app).await).await,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_disabled_rep_is_signed_out_at_once_and_cannot_sign_in() {
    let app = spawn_app().await;
    let browser = signed_in_browser(&app).await;
    let disabled = app.command(&["user", "disable", DEMO_EMAIL]);
    assert!(
        disabled.status.success(),
        "{}",
        String::from_utf8_lossy(&disabled.stderr)
    );
    assert_eq!(page_status(&app, &browser).await, StatusCode::SEE_OTHER);
    let refused = script_sign_in(&app, DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("disabled"));
    let unknown = app.command(&["user", "disable", "nobody@example.com"]);
    assert!(!unknown.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signing_in_often_never_locks_a_rep_out() {
    let app = spawn_app().await;
    for n in 0..15 {
        let response = script_sign_in(&app, DEMO_EMAIL, DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "sign-in {n}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_current_password_check_is_limited_like_sign_in() {
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for n in 0..12 {
        let response = app
            .client
            .post(app.url("/api/settings/password"))
            .form(&[
                ("current", format!("guess number {n}")),
                ("new", "taken over 123".to_string()),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert!(
        statuses[..10]
            .iter()
            .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

/// A sign-in attempt for an unknown account, from `client` as a trusted
/// proxy reports it.
async fn attempt_from(app: &TestApp, client: &str, n: usize) -> StatusCode {
    bare()
        .post(app.url("/api/auth/signin"))
        .header("x-forwarded-for", client)
        .form(&[
            ("email", format!("nobody{n}@example.com")),
            ("password", "not a password".into()),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_64_gets_a_burst_of_sign_ins_and_other_clients_are_unaffected() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let started = std::time::Instant::now();
    let mut answered = 0;
    for n in 0..1000 {
        let client = format!("2001:db8:1:2:{:x}::{:x}", n % 65536, n);
        if attempt_from(&app, &client, n).await == StatusCode::UNAUTHORIZED {
            answered += 1;
        }
    }
    // A burst of 30, then one every 2 s.
    let allowed = 30 + (started.elapsed().as_secs() as usize) / 2 + 1;
    assert!(
        answered <= allowed,
        "{answered} of 1,000 checked (at most {allowed})"
    );
    assert!(answered >= 30, "the burst is allowed: {answered}");
    assert_eq!(
        attempt_from(&app, "2001:db8:9::1", 1).await,
        StatusCode::UNAUTHORIZED,
        "another /64 is not held up"
    );
    assert_eq!(
        attempt_from(&app, "203.0.113.9", 2).await,
        StatusCode::UNAUTHORIZED,
        "nor an IPv4 client"
    );

    // Without TRUSTED_PROXIES the header is nobody's word: all of this comes
    // from the test's own address, which is now out of attempts.
    // However long the attempts take (the allowance refills as they go),
    // refusals start within the burst and what refilled meanwhile.
    let direct = spawn_app().await;
    let started = std::time::Instant::now();
    let mut checked = 0;
    while attempt_from(&direct, &format!("2001:db8:{checked:x}::1"), checked).await
        != StatusCode::TOO_MANY_REQUESTS
    {
        checked += 1;
        assert!(checked <= 1000, "never refused: the header was believed");
    }
    let allowed = 30 + (started.elapsed().as_secs() as usize) / 2 + 1;
    assert!(
        checked <= allowed,
        "{checked} checked before the first refusal (at most {allowed})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_flood_of_sign_ins_is_refused_rather_than_exhausting_memory() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let before = app.peak_memory();
    let client = bare();
    let attempts = (0..400).map(|n| {
        let request = client
            .post(app.url("/api/auth/signin"))
            // Each from a /64 of its own: only the bound on checks at once
            // stands in the way.
            .header("x-forwarded-for", format!("2001:db8:{n:x}::1"))
            .form(&[
                ("email", format!("nobody{n}@example.com")),
                ("password", "not a password".to_string()),
            ]);
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures::future::join_all(attempts).await;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(refused + checked, 400, "{statuses:?}");
    assert!(refused > 0, "more than can wait are refused at once");
    let grew = app.peak_memory().saturating_sub(before);
    assert!(
        grew < 200 * 1024 * 1024,
        "peak memory grew by {} MiB",
        grew / (1024 * 1024)
    );
    assert_eq!(app.get_text("/healthz").await.0, StatusCode::OK);
}
