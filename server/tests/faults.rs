//! Faults the server must live through: its disk filling up mid-upload, and
//! its PostgreSQL restarting while reps work and recipients watch.

mod common;

use std::{path::Path, process::Command};

use common::{DEMO, Sandbox, api::*, spawn_in};
use reqwest::StatusCode;

/// A filesystem of `size` at `dir` (a tmpfs), unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .expect("mount runs");
        assert!(
            mounted.success(),
            "mounting a small tmpfs needs root (the test suite runs as root)"
        );
        Self(dir.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_refuses_the_upload_clearly_and_leaves_nothing_behind() {
    let dir = Sandbox::new();
    let media = dir.path().join("media");
    // Room for the demo recording, not for a second one.
    let _disk = SmallDisk::mount(&media, "1900k");
    let mut env = dir.env();
    env.insert("DEMO_MODE".into(), "true".into());
    env.insert("DEMO_PASSWORD".into(), common::DEMO_PASSWORD.into());
    let app = spawn_in(dir, env).await;
    app.sign_in(common::DEMO_EMAIL, common::DEMO_PASSWORD).await;
    let before = app.media_files();

    let response = app
        .client
        .post(app.url("/api/recordings/upload?title=Too%20much"))
        .body(DEMO)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        answer["error"],
        "The server has no room for this file just now. Please try again later."
    );
    assert_eq!(app.media_files(), before, "no partial file");
    assert_eq!(app.recording_ids().await.len(), 1, "no recording added");

    // It keeps serving: the demo recording plays, shares go on.
    let recording = demo_recording(&app).await;
    let video = get(&app, &format!("/media/recordings/{recording}")).await;
    assert_eq!(video.status(), StatusCode::OK);
    assert_eq!(video.bytes().await.unwrap().len(), DEMO.len());
    let (_, paths) = shared_with(&app, &["Pat"]).await;
    assert_eq!(get(&app, &paths[0]).await.status(), StatusCode::OK);
}

/// A PostgreSQL server of the test's own (Debian's binaries), on a free
/// port, so it can be stopped and started while the app runs.
struct OwnPostgres {
    bin: std::path::PathBuf,
    data: std::path::PathBuf,
    port: u16,
}

impl OwnPostgres {
    fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("Debian's postgresql (scripts/postgres.sh installs it)")
            .map(|entry| entry.unwrap().path().join("bin"))
            .filter(|bin| bin.join("pg_ctl").exists())
            .max()
            .expect("a PostgreSQL with pg_ctl");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Outside the test's own temporary folder, which the postgres user
        // may not enter.
        let data = std::env::temp_dir().join(format!("sar-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&data).unwrap();
        let server = Self { bin, data, port };
        if as_root() {
            assert!(
                Command::new("chown")
                    .args(["postgres:postgres"])
                    .arg(&server.data)
                    .status()
                    .unwrap()
                    .success()
            );
        }
        server.run("initdb", &["--auth=trust", "--username=postgres", "-D"]);
        server.up();
        server
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs one of the server's programs, as the postgres user when root.
    fn run(&self, program: &str, args: &[&str]) {
        let mut command = if as_root() {
            let mut command = Command::new("runuser");
            command
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join(program));
            command
        } else {
            Command::new(self.bin.join(program))
        };
        let output = command.args(args).arg(&self.data).output().unwrap();
        assert!(
            output.status.success(),
            "{program}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn up(&self) {
        let options = format!("-p {} -k /tmp -c listen_addresses=127.0.0.1", self.port);
        let log = format!("--log={}/server.log", self.data.display());
        self.run("pg_ctl", &["-w", "-o", &options, &log, "start", "-D"]);
    }

    fn down(&self) {
        self.run("pg_ctl", &["-w", "-m", "fast", "stop", "-D"]);
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-m", "immediate", "stop", "-D"])
            .arg(&self.data)
            .output();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgresql_restart_fails_requests_cleanly_and_loses_nothing() {
    let postgres = OwnPostgres::start();
    let dir = Sandbox::new();
    let mut env = dir.env();
    env.insert("DATABASE_URL".into(), postgres.url());
    env.insert("DEMO_MODE".into(), "true".into());
    env.insert("DEMO_PASSWORD".into(), common::DEMO_PASSWORD.into());
    env.insert("JOB_POLL_MILLIS".into(), "100".into());
    let app = spawn_in(dir, env).await;
    app.sign_in(common::DEMO_EMAIL, common::DEMO_PASSWORD).await;
    let (share, paths) = shared_with(&app, &["Pat"]).await;
    let id = share_id(&share);
    for n in 1..=10 {
        add_recipient(&app, id, &format!("R{n}"), &format!("r{n}@example.com")).await;
    }

    // The emails are queued; the database goes away at once.
    assert_eq!(send(&app, id).await, 11);
    postgres.down();
    let started = std::time::Instant::now();
    for path in ["/recordings", paths[0].as_str()] {
        let status = get(&app, path).await.status();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
    }
    let (status, answer) = call(&app, "share/get", serde_json::json!({ "share_id": id })).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "refused quickly, not hung: {:?}",
        started.elapsed()
    );
    assert_eq!(app.get_text("/healthz").await.0, StatusCode::OK);

    // Back: the same server goes on, and every email goes out once.
    postgres.up();
    let share = wait_for_share(&app, id, "every email is sent", |s| all_in_state(s, "sent")).await;
    assert_eq!(deliveries(&share).len(), 11);
    let mailbox = app.get_text("/dev/mailbox").await.1;
    for n in 1..=10 {
        assert!(
            mailbox.contains(&format!("r{n}@example.com")),
            "r{n} in the mailbox"
        );
    }
    assert_eq!(get(&app, &paths[0]).await.status(), StatusCode::OK);
}
