//! Secrets stay out of what the server prints: passwords in SMTP_URL and
//! DATABASE_URL, session ids, whether it runs, fails to send, or refuses its
//! configuration.

mod common;

use common::{Sandbox, api::*, spawn_in};

const SECRET: &str = "s3cret-Pa55word";

/// A loopback port nothing listens on: every SMTP connection is refused.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passwords_and_session_ids_never_reach_the_log() {
    let dir = Sandbox::new();
    let mut env = dir.env();
    env.insert("DEMO_MODE".into(), "true".into());
    env.insert("DEMO_PASSWORD".into(), common::DEMO_PASSWORD.into());
    env.insert(
        "SMTP_URL".into(),
        format!("smtp://mailer:{SECRET}@127.0.0.1:{}", closed_port()),
    );
    if dir.is_postgres() {
        // The test server trusts every local connection: any password works.
        let mut url = url::Url::parse(dir.database_url()).unwrap();
        url.set_password(Some(SECRET)).unwrap();
        env.insert("DATABASE_URL".into(), url.to_string());
    }
    let app = spawn_in(dir, env).await;

    // A sign-in whose session id we can look for.
    let cookie = app.new_demo_session().await;
    let session_id = cookie.strip_prefix("session=").unwrap().to_string();
    app.sign_in(common::DEMO_EMAIL, common::DEMO_PASSWORD).await;

    // An email that cannot be sent: its failure is logged and retried.
    let share = share_to(&app, 1).await;
    send(&app, share).await;
    wait_for_share(&app, share, "a failed attempt", |s| {
        deliveries(s)
            .values()
            .any(|d| d["retrying"].as_str().is_some_and(|r| !r.is_empty()))
    })
    .await;

    let log = app.log();
    assert!(log.contains("email"), "the failure was logged: {log}");
    assert!(!log.contains(SECRET), "{log}");
    assert!(!log.contains(&session_id), "{log}");
}

#[test]
fn a_refused_configuration_names_its_key_but_not_the_password() {
    let dir = Sandbox::new();
    for (key, value) in [
        ("SMTP_URL", format!("smtp://mailer:{SECRET}@")),
        ("SMTP_URL", format!("http://mailer:{SECRET}@mail.example")),
        ("DATABASE_URL", format!("mysql://share:{SECRET}@db/share")),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .current_dir(dir.path())
            .env_clear()
            .envs(dir.env())
            .env(key, &value)
            .output()
            .unwrap();
        assert!(!output.status.success());
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(printed.contains(key), "{printed}");
        assert!(!printed.contains(SECRET), "{printed}");
    }
}
