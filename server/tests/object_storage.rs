//! Recordings in S3-compatible object storage (`MEDIA_URL=s3://…`), against
//! a real S3 server on a loopback port: moto's server mode (PyPI), which
//! `scripts/test.sh` installs.

mod common;

use std::{process::Stdio, time::Duration};

use common::{DEMO, TestApp, api::*, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

const BUCKET: &str = "recordings";

struct S3Server {
    url: String,
    _process: tokio::process::Child,
}

impl S3Server {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut process = tokio::process::Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs");
        // moto says on stderr when it listens.
        let mut log = BufReader::new(process.stderr.take().unwrap()).lines();
        loop {
            match log.next_line().await.unwrap() {
                Some(line) if line.contains("Running on") => break,
                Some(_) => {}
                None => panic!("moto did not start; install it with pip install 'moto[server]'"),
            }
        }
        tokio::spawn(async move { while let Ok(Some(_)) = log.next_line().await {} });
        let url = format!("http://127.0.0.1:{port}");
        // moto takes unsigned requests: create the bucket directly.
        let created = reqwest::Client::new()
            .put(format!("{url}/{BUCKET}"))
            .send()
            .await
            .unwrap();
        assert!(created.status().is_success(), "{}", created.status());
        Self {
            url,
            _process: process,
        }
    }

    /// Keys and sizes of the objects in the bucket.
    async fn objects(&self) -> Vec<(String, u64)> {
        let xml = reqwest::get(format!("{}/{BUCKET}?list-type=2", self.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        xml.split("<Contents>")
            .skip(1)
            .map(|entry| {
                let field = |name: &str| {
                    let start = entry.find(&format!("<{name}>")).unwrap() + name.len() + 2;
                    let end = entry.find(&format!("</{name}>")).unwrap();
                    entry[start..end].to_string()
                };
                (field("Key"), field("Size").parse().unwrap())
            })
            .collect()
    }
}

async fn spawn_on(s3: &S3Server) -> TestApp {
    spawn_on_with(s3, &[]).await
}

async fn spawn_on_with(s3: &S3Server, extra: &[(&str, &str)]) -> TestApp {
    let media_url = format!("s3://{BUCKET}/team-a");
    let mut env = vec![
        ("MEDIA_URL", media_url.as_str()),
        ("AWS_ENDPOINT", &s3.url),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
    ];
    env.extend_from_slice(extra);
    spawn_app_with(&env).await
}

async fn get_range(app: &TestApp, path: &str, range: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("range", range)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn recordings_live_in_the_bucket_and_play_with_byte_ranges() {
    let s3 = S3Server::start().await;
    let app = spawn_on(&s3).await;

    // The demo recording went to the bucket, under the prefix, with its
    // poster and timeline previews; nothing of it stays on local disk.
    let objects = s3.objects().await;
    let names: Vec<&str> = objects.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(objects.len(), 3, "{objects:?}");
    assert!(
        names.iter().all(|name| name.starts_with("team-a/")),
        "{names:?}"
    );
    let original = objects
        .iter()
        .find(|(name, _)| name.ends_with(".webm"))
        .unwrap();
    assert_eq!(original.1, DEMO.len() as u64);
    assert!(
        names.iter().any(|name| name.ends_with("-poster.jpg")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|name| name.ends_with("-previews.jpg")),
        "{names:?}"
    );
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());

    let id = app.recording_ids().await[0];
    let path = format!("/media/recordings/{id}");
    let whole = get(&app, &path).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), DEMO);

    let part = get_range(&app, &path, "bytes=1000-1999").await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 1000-1999/{}", DEMO.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &DEMO[1000..2000]);

    let tail = get_range(&app, &path, "bytes=-100").await;
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        tail.bytes().await.unwrap().as_ref(),
        &DEMO[DEMO.len() - 100..]
    );

    let outside = get_range(&app, &path, &format!("bytes={}-", DEMO.len())).await;
    assert_eq!(outside.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    // A recipient's link plays from the bucket too.
    let (_, paths) = shared_with(&app, &["Pat"]).await;
    let video = get_range(&app, &format!("{}/video", paths[0]), "bytes=0-99").await;
    assert_eq!(video.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(video.bytes().await.unwrap().as_ref(), &DEMO[..100]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_large_upload_goes_up_in_parts_and_comes_back_whole() {
    let s3 = S3Server::start().await;
    let app = spawn_on(&s3).await;

    // 20 MB: three parts of the multipart upload.
    let mut file = DEMO.to_vec();
    file.extend((0..20_000_000 - DEMO.len()).map(|n| (n % 251) as u8));
    let uploaded = app
        .client
        .post(app.url("/api/recordings/upload?title=Long%20call"))
        .header("content-type", "video/webm")
        .body(file.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let id = uploaded.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    // Processed in a local folder of its own, gone when done.
    wait_for_recording(&app, id, "it is processed", |r| {
        r["state"] == "Ready" && !r["previews"].is_null()
    })
    .await;

    let sizes: Vec<u64> = s3
        .objects()
        .await
        .into_iter()
        .map(|(_, size)| size)
        .collect();
    assert!(sizes.contains(&20_000_000), "{sizes:?}");
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());

    let path = format!("/media/recordings/{id}");
    let end = get_range(&app, &path, "bytes=19999000-").await;
    assert_eq!(end.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(end.bytes().await.unwrap().as_ref(), &file[19_999_000..]);
    let across_parts = get_range(&app, &path, "bytes=8388000-8389000").await;
    assert_eq!(
        across_parts.bytes().await.unwrap().as_ref(),
        &file[8_388_000..=8_389_000]
    );
    let whole = tokio::time::timeout(Duration::from_secs(60), get(&app, &path))
        .await
        .unwrap();
    assert_eq!(whole.bytes().await.unwrap().len(), file.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_media_redirect_players_fetch_the_bytes_from_the_bucket_after_the_link_check() {
    let s3 = S3Server::start().await;
    let app = spawn_on_with(&s3, &[("MEDIA_REDIRECT", "true")]).await;
    let (share, paths) = shared_with(&app, &["Pat"]).await;
    let video = format!("{}/video", paths[0]);
    let player = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let answer = player.get(app.url(&video)).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&s3.url), "{location}");
    assert!(
        location.contains("X-Amz-Signature="),
        "presigned: {location}"
    );
    assert!(location.contains("X-Amz-Expires=60"), "{location}");
    assert_eq!(
        answer.bytes().await.unwrap().len(),
        0,
        "no bytes through the server"
    );

    // The bucket answers the player, ranges too.
    let whole = player.get(&location).send().await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.bytes().await.unwrap().as_ref(), DEMO);
    let range = player
        .get(&location)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(range.bytes().await.unwrap().as_ref(), &DEMO[100..200]);

    // The link is still checked first: revoked, no redirect.
    ok(
        &app,
        "shares/revoke",
        json!({ "share_id": share_id(&share), "recipient_id": null }),
    )
    .await;
    let refused = player.get(app.url(&video)).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert!(refused.headers().get("location").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn media_redirect_without_a_bucket_is_refused_at_start() {
    let sandbox = common::Sandbox::new();
    let mut env = sandbox.env();
    env.insert("MEDIA_REDIRECT".into(), "true".into());
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .env_clear()
        .envs(&env)
        .env("PATH", std::env::var("PATH").unwrap())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("MEDIA_REDIRECT=true needs MEDIA_URL"),
        "{stderr}"
    );
}
