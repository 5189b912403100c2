//! Security headers: every response is nosniff and unframeable; pages carry a
//! Content-Security-Policy that their own scripts satisfy (the browser tests
//! check that no violation is reported).

mod common;

use common::{api::*, spawn_app, spawn_app_with};
use reqwest::StatusCode;

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn app_pages_allow_only_their_own_scripts_with_a_fresh_nonce() {
    let app = spawn_app().await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let response = get(&app, "/recordings").await;
        let policy = header(&response, "content-security-policy").to_string();
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
        assert!(
            !policy.contains("script-src 'self' 'unsafe-inline'"),
            "no inline script without the nonce: {policy}"
        );
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a script nonce")
            .to_string();
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\">")),
            "the hydration script carries the nonce"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a new nonce for every page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_viewer_page_is_locked_down_and_keeps_its_link_out_of_referrers() {
    let app = spawn_app().await;
    let id = share_id(&open(&app).await);
    add_recipient(&app, id, "Ada", "ada@example.com").await;
    let share = ok(&app, "share/links", serde_json::json!({ "share_id": id })).await;
    let path = path_of(links(&share)[0].1.as_deref().unwrap());
    for path in [path.clone(), "/l/AAAAAAAAAAAAAAAA".into()] {
        let response = get(&app, &path).await;
        let policy = header(&response, "content-security-policy");
        assert!(
            policy.starts_with("default-src 'none'; script-src 'self';"),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"));
        assert_eq!(header(&response, "referrer-policy"), "no-referrer");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_other_response_is_nosniff_and_unframeable() {
    let app = spawn_app().await;
    for path in ["/healthz", "/viewer.js", "/no/such/file.txt"] {
        let response = get(&app, path).await;
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert!(
            header(&response, "content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_https_browsers_are_told_to_stay_on_https() {
    let secure = spawn_app_with(&[("PUBLIC_URL", "https://rec.example")]).await;
    for path in ["/recordings", "/healthz", "/l/AAAAAAAAAAAAAAAA"] {
        let response = get(&secure, path).await;
        assert_eq!(
            header(&response, "strict-transport-security"),
            "max-age=31536000",
            "{path}"
        );
    }
    let plain = spawn_app().await;
    let response = get(&plain, "/recordings").await;
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_bundle_is_sent_as_compressed_at_build_time_when_the_browser_takes_it() {
    let app = spawn_app().await;
    let pkg = app.dir.path().join("site/pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let js = "export function run() { return 'the bundle'; }\n".repeat(50);
    std::fs::write(pkg.join("bundle.js"), &js).unwrap();
    // Made by the release build (`--precompress`); not what a server would
    // make of the file itself, so the test sees which one was sent.
    std::fs::write(pkg.join("bundle.js.br"), b"brotli made at build time").unwrap();
    std::fs::write(pkg.join("bundle.js.gz"), b"gzip made at build time").unwrap();

    let fetch = |encoding: &'static str| {
        app.client
            .get(app.url("/pkg/bundle.js"))
            .header("accept-encoding", encoding)
            .send()
    };
    let br = fetch("gzip, deflate, br").await.unwrap();
    assert_eq!(br.status(), StatusCode::OK);
    assert_eq!(header(&br, "content-encoding"), "br");
    assert!(header(&br, "content-type").starts_with("text/javascript"));
    assert_eq!(
        br.bytes().await.unwrap().as_ref(),
        b"brotli made at build time"
    );

    let gzip = fetch("gzip").await.unwrap();
    assert_eq!(header(&gzip, "content-encoding"), "gzip");
    assert_eq!(
        gzip.bytes().await.unwrap().as_ref(),
        b"gzip made at build time"
    );

    let plain = fetch("identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap(), js);
}
