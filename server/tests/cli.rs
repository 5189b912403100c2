//! The `server` binary's command line: import, user add, and configuration errors.

mod common;

use std::process::{Command, Output, Stdio};

use common::{Sandbox, spawn_in};

const PASSWORD: &str = "rep password 1";

fn server(dir: &Sandbox, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    server_with_input(dir, args, extra_env, &format!("{PASSWORD}\n"))
}

/// Runs the binary with `input` on its standard input (not a terminal).
fn server_with_input(
    dir: &Sandbox,
    args: &[&str],
    extra_env: &[(&str, &str)],
    input: &str,
) -> Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in dir.env() {
        command.env(key, value);
    }
    for (key, value) in extra_env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the server binary runs");
    // A command that does not read its input may have closed it already.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

/// The password hash stored for `email`.
async fn stored_hash(dir: &Sandbox, email: &str) -> Option<String> {
    let db = common::api::connect(dir.database_url()).await;
    sqlx::query_scalar("SELECT password_hash FROM reps WHERE email = $1")
        .bind(email)
        .fetch_one(&db)
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn import_adds_a_recording_that_the_app_then_lists() {
    let dir = Sandbox::new();
    let video = dir.path().join("call.webm");
    std::fs::write(&video, common::DEMO).unwrap();

    let added = server(
        &dir,
        &[
            "user",
            "add",
            "--email",
            "Rep@Example.com",
            "--name",
            "Rita Rep",
        ],
        &[],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));

    let imported = server(
        &dir,
        &[
            "import",
            video.to_str().unwrap(),
            "--title",
            "Imported call",
            "--owner",
            "rep@example.com",
        ],
        &[],
    );
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    // Processed like an upload, before the command returns.
    let said = text(&imported.stdout);
    assert!(said.contains("imported recording 1"), "{said}");
    assert!(said.contains("recording 1 is ready"), "{said}");

    let env = dir.env();
    let app = spawn_in(dir, env).await;
    app.sign_in("rep@example.com", PASSWORD).await;
    let (_, html) = app.get_text("/recordings").await;
    assert!(html.contains("Imported call"), "{html}");
    assert!(html.contains(">0:45<"));
    assert!(
        html.contains(r#"<img src="/media/recordings/1/poster.jpg""#),
        "{html}"
    );
    assert!(html.contains(">Share</button>"), "ready to share: {html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn import_of_a_damaged_video_fails_with_the_reason() {
    let dir = Sandbox::new();
    assert!(
        server(
            &dir,
            &["user", "add", "--email", "rep@example.com", "--name", "Rep"],
            &[]
        )
        .status
        .success()
    );
    // A WebM cut off right after its header: nothing to play.
    let damaged = dir.path().join("damaged.webm");
    std::fs::write(&damaged, &common::DEMO[..200]).unwrap();
    let imported = server(
        &dir,
        &[
            "import",
            damaged.to_str().unwrap(),
            "--title",
            "Damaged",
            "--owner",
            "rep@example.com",
        ],
        &[],
    );
    assert!(!imported.status.success());
    let said = text(&imported.stderr);
    assert!(
        said.contains("This file is not a video we can read, or it is damaged."),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn import_refuses_what_it_cannot_use() {
    let dir = Sandbox::new();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "meeting notes, not a video\n".repeat(1000)).unwrap();
    let video = dir.path().join("call.webm");
    std::fs::write(&video, common::DEMO).unwrap();
    assert!(
        server(
            &dir,
            &["user", "add", "--email", "rep@example.com", "--name", "Rep"],
            &[]
        )
        .status
        .success()
    );

    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "import",
                notes.to_str().unwrap(),
                "--title",
                "Notes",
                "--owner",
                "rep@example.com",
            ],
            "not a video",
        ),
        (
            &[
                "import",
                video.to_str().unwrap(),
                "--title",
                "Call",
                "--owner",
                "nobody@example.com",
            ],
            "no rep with the email",
        ),
        (
            &[
                "import",
                video.to_str().unwrap(),
                "--title",
                "  ",
                "--owner",
                "rep@example.com",
            ],
            "--title",
        ),
        (
            &[
                "import",
                "/no/such/file.webm",
                "--title",
                "Call",
                "--owner",
                "rep@example.com",
            ],
            "cannot open",
        ),
    ];
    for (args, expected) in cases {
        let output = server(&dir, args, &[]);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            text(&output.stderr).contains(expected),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    let media: Vec<_> = std::fs::read_dir(dir.path().join("media"))
        .unwrap()
        .collect();
    assert!(media.is_empty(), "refused imports leave no files");
}

#[test]
fn a_bad_configuration_value_stops_start_up_naming_the_key() {
    let dir = Sandbox::new();
    for (key, value) in [
        ("LEPTOS_SITE_ADDR", "localhost:http"),
        ("DATABASE_URL", "mysql://db/x"),
        ("DEMO_MODE", "sometimes"),
    ] {
        let output = server(&dir, &[], &[(key, value)]);
        assert!(!output.status.success(), "{key}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(key) && stderr.contains(value),
            "{key}: {stderr}"
        );
    }

    std::fs::write(
        dir.path().join("Leptos.toml"),
        "public_url = \"gopher://old\"\n",
    )
    .unwrap();
    let output = server(&dir, &[], &[]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("public_url"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn help_explains_the_commands() {
    let dir = Sandbox::new();
    let output = server(&dir, &["--help"], &[]);
    let help = text(&output.stdout);
    for word in ["import", "user", "serve"] {
        assert!(help.contains(word), "{word}: {help}");
    }
    for key in server::config::KEYS {
        assert!(help.contains(key.env), "{}: {help}", key.env);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn user_add_reads_the_password_from_stdin_and_keeps_only_an_argon2id_hash() {
    let dir = Sandbox::new();
    let args = [
        "user",
        "add",
        "--email",
        "pat@example.com",
        "--name",
        "Pat",
        "--timezone",
        "Europe/Berlin",
    ];

    let short = server_with_input(&dir, &args, &[], "short\n");
    assert!(!short.status.success());
    assert!(
        text(&short.stderr).contains("password: Use at least 8 characters."),
        "{}",
        text(&short.stderr)
    );

    let added = server(&dir, &args, &[]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    let hash = stored_hash(&dir, "pat@example.com").await.unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
    assert!(app::auth::password_matches(PASSWORD, &hash));

    // There is no way to put a password on the command line.
    let argv = server(
        &dir,
        &[
            "user",
            "add",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--password",
            "secret-secret",
        ],
        &[],
    );
    assert!(!argv.status.success());
    assert!(
        text(&argv.stderr).contains("--password"),
        "{}",
        text(&argv.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demo_mode_gives_the_demo_rep_demo_password_or_prints_a_random_one_once() {
    let dir = Sandbox::new();
    let mut env = dir.env();
    env.insert("DEMO_MODE".into(), "true".into());
    env.insert("DEMO_PASSWORD".into(), "demo password 1".into());
    let app = spawn_in(dir, env).await;
    let hash = stored_hash(&app.dir, "demo@example.com").await.unwrap();
    assert!(app::auth::password_matches("demo password 1", &hash));

    // Without DEMO_PASSWORD: a random password, printed once, at the first start.
    let dir = Sandbox::new();
    let first = demo_start(&dir).await;
    let password = first
        .trim()
        .strip_prefix("Demo sign-in: demo@example.com with the password ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("printed: {first:?}"))
        .to_string();
    assert_eq!(password.len(), 16);
    let hash = stored_hash(&dir, "demo@example.com").await.unwrap();
    assert!(app::auth::password_matches(&password, &hash));

    // The next start prints nothing and keeps it.
    assert_eq!(demo_start(&dir).await, "");
    assert_eq!(stored_hash(&dir, "demo@example.com").await.unwrap(), hash);
}

/// Starts the server in demo mode on `dir` until it listens, then stops it;
/// returns what it printed on standard output.
async fn demo_start(dir: &Sandbox) -> String {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (key, value) in dir.env() {
        command.env(key, value);
    }
    command
        .env("DEMO_MODE", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = tokio::process::Command::from(command)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut log = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    while let Some(line) = log.next_line().await.unwrap() {
        if line.contains("listening on") {
            break;
        }
    }
    // Anything printed before it listened is in the pipe by now (line-buffered).
    child.kill().await.unwrap();
    let mut printed = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut printed)
        .await
        .unwrap();
    printed
}
