//! The `server` binary's command line: import, user add, and configuration errors.

mod common;

use std::process::{Command, Output};

use common::{spawn_in, test_env};

fn server(dir: &std::path::Path, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (key, value) in test_env(dir) {
        command.env(key, value);
    }
    for (key, value) in extra_env {
        command.env(key, value);
    }
    command.output().expect("the server binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn import_adds_a_recording_that_the_app_then_lists() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("call.webm");
    std::fs::write(&video, common::DEMO).unwrap();

    let added = server(
        dir.path(),
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
        dir.path(),
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
    assert!(
        text(&imported.stdout).contains("imported recording"),
        "{}",
        text(&imported.stdout)
    );

    let env = test_env(dir.path());
    let app = spawn_in(dir, env).await;
    let (_, html) = app.get_text("/recordings").await;
    assert!(html.contains("Imported call"), "{html}");
    assert!(html.contains(">0:45<"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn import_refuses_what_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "meeting notes, not a video\n".repeat(1000)).unwrap();
    let video = dir.path().join("call.webm");
    std::fs::write(&video, common::DEMO).unwrap();
    assert!(
        server(
            dir.path(),
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
        let output = server(dir.path(), args, &[]);
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
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("LEPTOS_SITE_ADDR", "localhost:http"),
        ("DATABASE_URL", "mysql://db/x"),
        ("DEMO_MODE", "sometimes"),
    ] {
        let output = server(dir.path(), &[], &[(key, value)]);
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
    let output = server(dir.path(), &[], &[]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("public_url"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn help_explains_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let output = server(dir.path(), &["--help"], &[]);
    let help = text(&output.stdout);
    for word in ["import", "user", "serve", "DATABASE_URL"] {
        assert!(help.contains(word), "{word}: {help}");
    }
}
