//! Starts the real server binary on a random port with a fresh database and
//! media directory for each test. A process per test, as in production: no
//! test shares a runtime or Leptos' process-wide state with another.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use tokio::io::{AsyncBufReadExt, BufReader};

pub mod api;
pub mod smtp;

pub const DEMO: &[u8] = include_bytes!("../../assets/demo-recording.webm");

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
    /// The server process; killed when the test ends.
    server: tokio::process::Child,
}

/// Configuration for a server whose files all live in `dir`.
pub fn test_env(dir: &Path) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "DATABASE_URL".into(),
            format!("sqlite://{}", dir.join("share.db").display()),
        ),
        ("MEDIA_DIR".into(), dir.join("media").display().to_string()),
        ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
        (
            "LEPTOS_SITE_ROOT".into(),
            dir.join("site").display().to_string(),
        ),
    ])
}

/// The demo rep's password in tests.
pub const DEMO_PASSWORD: &str = "demo password 1";
pub const DEMO_EMAIL: &str = "demo@example.com";

/// A server in demo mode (demo rep and demo recording), with `extra`
/// settings, and its client signed in as the demo rep.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut env = test_env(dir.path());
    env.insert("DEMO_MODE".into(), "true".into());
    env.insert("DEMO_PASSWORD".into(), DEMO_PASSWORD.into());
    for (key, value) in extra {
        env.insert(key.to_string(), value.to_string());
    }
    let app = spawn_in(dir, env).await;
    app.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    app
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A server over an existing directory (database and media already there).
pub async fn spawn_in(dir: tempfile::TempDir, env: BTreeMap<String, String>) -> TestApp {
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .envs(&env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the server binary starts");
    // The server logs the address it bound (port 0 picks a free one).
    let mut log = BufReader::new(server.stderr.take().unwrap()).lines();
    let base = loop {
        match log.next_line().await.expect("the server's log") {
            Some(line) => {
                if let Some(at) = line.find("listening on ") {
                    break line[at + "listening on ".len()..].trim().to_string();
                }
            }
            None => panic!("the server exited before listening"),
        }
    };
    // Keep reading the log so the server never blocks on a full pipe; show
    // errors in the test output.
    tokio::spawn(async move {
        while let Ok(Some(line)) = log.next_line().await {
            if line.contains("ERROR") || line.contains("panicked") {
                eprintln!("server: {line}");
            }
        }
    });
    // A stuck request fails its test instead of stalling the whole run.
    // Cookies keep the session, as a browser does.
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .cookie_store(true)
        .build()
        .unwrap();
    TestApp {
        base,
        client,
        dir,
        env,
        server,
    }
}

impl TestApp {
    /// Signs the client in through the sign-in form's endpoint.
    pub async fn sign_in(&self, email: &str, password: &str) {
        let response = self
            .client
            .post(self.url("/api/auth/signin"))
            // As a browser posts the form without scripts.
            .header("accept", "text/html")
            .form(&[
                ("email", email),
                ("password", password),
                ("next", "/recordings"),
            ])
            .send()
            .await
            .unwrap();
        let (status, path) = (response.status(), response.url().path().to_string());
        let body = response.text().await.unwrap();
        assert_eq!(path, "/recordings", "signed in as {email}: {status} {body}");
        assert_eq!(status, reqwest::StatusCode::OK);
    }

    /// Kills the server the way a crash would (SIGKILL: no shutdown work),
    /// then starts it again on the same database and media.
    pub async fn crash_and_restart(mut self) -> TestApp {
        self.server.kill().await.unwrap();
        let password = self.env.get("DEMO_PASSWORD").cloned();
        let app = spawn_in(self.dir, self.env).await;
        if let Some(password) = password {
            app.sign_in(DEMO_EMAIL, &password).await;
        }
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get_text(&self, path: &str) -> (reqwest::StatusCode, String) {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// Ids of the recordings linked from the Recordings tab, in page order.
    pub async fn recording_ids(&self) -> Vec<i64> {
        let (_, html) = self.get_text("/recordings").await;
        html.match_indices("href=\"/recordings/")
            .filter_map(|(at, m)| {
                let rest = &html[at + m.len()..];
                rest[..rest.find('"')?].parse().ok()
            })
            .collect()
    }

    pub fn media_files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir.path().join("media"))
            .map(|dir| dir.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    }
}
