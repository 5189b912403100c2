//! Starts the real server on a random port with a fresh database and media
//! directory for each test.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use server::{config::Config, startup::Application};

pub const DEMO: &[u8] = include_bytes!("../../assets/demo-recording.webm");

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
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

pub fn config(env: BTreeMap<String, String>, dir: &Path) -> Config {
    let file = dir.join("empty.toml");
    std::fs::write(&file, "").unwrap();
    Config::load_from(Some(&file), move |key| env.get(key).cloned())
        .expect("a valid test configuration")
}

/// Tests run on a multi-thread runtime (`#[tokio::test(flavor = "multi_thread", worker_threads = 4)]`),
/// as the server does: Leptos rendering can stall on a single-threaded one.
///
/// A server in demo mode (demo rep and demo recording), with `extra` settings.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut env = test_env(dir.path());
    env.insert("DEMO_MODE".into(), "true".into());
    for (key, value) in extra {
        env.insert(key.to_string(), value.to_string());
    }
    spawn_in(dir, env).await
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A server over an existing directory (database and media already there).
pub async fn spawn_in(dir: tempfile::TempDir, env: BTreeMap<String, String>) -> TestApp {
    let app = Application::build(config(env, dir.path()))
        .await
        .expect("the server starts");
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        base,
        client: reqwest::Client::new(),
        dir,
    }
}

impl TestApp {
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
