//! Starts the real server binary on a random port with a fresh database and
//! media directory for each test. A process per test, as in production: no
//! test shares a runtime or Leptos' process-wide state with another.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use tokio::io::{AsyncBufReadExt, BufReader};

pub mod api;
pub mod postgres;
pub mod smtp;

pub const DEMO: &[u8] = include_bytes!("../../assets/demo-recording.webm");

pub struct TestApp {
    /// The server process; killed when the test ends (first: fields drop in
    /// order, and the sandbox's database goes after it).
    server: tokio::process::Child,
    pub base: String,
    pub client: reqwest::Client,
    pub dir: Arc<Sandbox>,
    env: BTreeMap<String, String>,
    /// Ids of the emails this process sent, from its log.
    sent: Arc<Mutex<Vec<i64>>>,
    /// Everything the process has logged so far.
    log: Arc<Mutex<Vec<String>>>,
}

/// Where one test's server keeps everything: a fresh directory (media,
/// site, and the SQLite file) and a fresh database. The backend is SQLite
/// unless `TEST_DATABASE=postgres`: then each sandbox gets its own database
/// on the PostgreSQL server at `TEST_POSTGRES_URL` (default
/// `postgres://postgres@127.0.0.1:5432/postgres`), dropped when it ends.
pub struct Sandbox {
    dir: tempfile::TempDir,
    database_url: String,
    postgres: Option<postgres::Database>,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, postgres) = if postgres::wanted() {
            let database = postgres::Database::create();
            (database.url(), Some(database))
        } else {
            let url = format!("sqlite://{}", dir.path().join("share.db").display());
            (url, None)
        };
        Self {
            dir,
            database_url,
            postgres,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// Configuration for a server whose files and data all live here.
    pub fn env(&self) -> BTreeMap<String, String> {
        let dir = self.path();
        BTreeMap::from([
            ("DATABASE_URL".into(), self.database_url.clone()),
            ("MEDIA_DIR".into(), dir.join("media").display().to_string()),
            ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
            (
                "LEPTOS_SITE_ROOT".into(),
                dir.join("site").display().to_string(),
            ),
        ])
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

/// The demo rep's password in tests.
pub const DEMO_PASSWORD: &str = "demo password 1";
pub const DEMO_EMAIL: &str = "demo@example.com";

/// A server in demo mode (demo rep and demo recording, processed: ready,
/// with its poster and previews), with `extra` settings, and its client
/// signed in as the demo rep.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let dir = Sandbox::new();
    let mut env = dir.env();
    env.insert("DEMO_MODE".into(), "true".into());
    env.insert("DEMO_PASSWORD".into(), DEMO_PASSWORD.into());
    for (key, value) in extra {
        env.insert(key.to_string(), value.to_string());
    }
    let app = spawn_in(dir, env).await;
    app.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let demo = *app
        .recording_ids()
        .await
        .last()
        .expect("the demo recording");
    api::wait_for_recording(&app, demo, "the demo recording is processed", |r| {
        r["state"] == "Ready" && !r["previews"].is_null()
    })
    .await;
    app
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A server outside demo mode with `extra` settings and one rep,
/// `rep@example.com` (created with `server user add`), signed in; it has
/// no recordings.
pub async fn spawn_plain_app(extra: &[(&str, &str)]) -> TestApp {
    use std::io::Write;
    let dir = Sandbox::new();
    let mut env = dir.env();
    for (key, value) in extra {
        env.insert(key.to_string(), value.to_string());
    }
    let mut add = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["user", "add", "--email", "rep@example.com", "--name", "Rep"])
        .current_dir(dir.path())
        .env_clear()
        .envs(&env)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{DEMO_PASSWORD}").unwrap();
    assert!(add.wait().unwrap().success(), "server user add");
    let app = spawn_in(dir, env).await;
    app.sign_in("rep@example.com", DEMO_PASSWORD).await;
    app
}

/// A server over an existing sandbox (database and media may be there).
pub async fn spawn_in(dir: impl Into<Arc<Sandbox>>, env: BTreeMap<String, String>) -> TestApp {
    // A stuck request fails its test instead of stalling the whole run.
    // Cookies keep the session, as a browser does. An idle connection is
    // dropped before the server's shortest client timeout in these tests
    // (2 s) closes it: otherwise a request sent on it just as the server
    // closes it fails, as with any HTTP/1.1 client whose keep-alive
    // outlasts the server's.
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .pool_idle_timeout(std::time::Duration::from_secs(1))
        .cookie_store(true)
        .build()
        .unwrap();
    spawn_process(dir.into(), env, client).await
}

async fn spawn_process(
    dir: Arc<Sandbox>,
    env: BTreeMap<String, String>,
    client: reqwest::Client,
) -> TestApp {
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
    let lines = Arc::new(Mutex::new(Vec::new()));
    let base = loop {
        match log.next_line().await.expect("the server's log") {
            Some(line) => {
                lines.lock().unwrap().push(line.clone());
                if let Some(at) = line.find("listening on ") {
                    break line[at + "listening on ".len()..].trim().to_string();
                }
            }
            None => panic!("the server exited before listening"),
        }
    };
    // Keep reading the log so the server never blocks on a full pipe; show
    // errors in the test output; keep the ids of the emails it sent.
    let sent = Arc::new(Mutex::new(Vec::new()));
    let sent_by_server = sent.clone();
    let logged = lines.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = log.next_line().await {
            logged.lock().unwrap().push(line.clone());
            if line.contains("ERROR") || line.contains("panicked") {
                eprintln!("server: {line}");
            }
            if line.contains("email sent") {
                let id = line
                    .split_once(" email=")
                    .and_then(|(_, rest)| rest.split(' ').next()?.parse::<i64>().ok());
                sent_by_server.lock().unwrap().extend(id);
            }
        }
    });
    TestApp {
        server,
        base,
        client,
        dir,
        env,
        sent,
        log: lines,
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

    /// Signs the demo rep in anew, as a browser of its own would, and
    /// returns that session's cookie (`session=…`).
    pub async fn new_demo_session(&self) -> String {
        let signed_in = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(self.url("/api/auth/signin"))
            .header("accept", "text/html")
            .form(&[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD)])
            .send()
            .await
            .unwrap();
        signed_in.headers()[reqwest::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .expect("a session cookie")
            .to_string()
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

    /// A second server process on the same database and media, as another
    /// instance behind a load balancer would be; its client shares this
    /// one's cookies (the same browser).
    pub async fn another_instance(&self) -> TestApp {
        spawn_process(self.dir.clone(), self.env.clone(), self.client.clone()).await
    }

    /// The server process's id.
    pub fn pid(&self) -> u32 {
        self.server.id().expect("the server is running")
    }

    /// The most memory the server process has held so far (VmHWM), in bytes.
    pub fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|kb| kb.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            .expect("VmHWM in /proc/PID/status")
            * 1024
    }

    /// Runs the server binary's command line (`server user …`) on this
    /// server's database.
    pub fn command(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .envs(&self.env)
            .output()
            .unwrap()
    }

    /// Kills the server the way a crash would (SIGKILL).
    pub async fn kill(&mut self) {
        self.server.kill().await.unwrap();
    }

    /// What this server process has logged so far, one line each.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Ids of the emails this server process has sent so far.
    pub fn sent_email_ids(&self) -> Vec<i64> {
        self.sent.lock().unwrap().clone()
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
