//! Email: Send Email(s) through the email queue and its worker to a real
//! SMTP server, through an outage and a crash; the opened notification; and
//! the dev mailbox when no SMTP server is configured.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{
    TestApp,
    api::*,
    smtp::{Received, SmtpServer},
    spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::json;

const SENDER: &str = "demo@example.com";

fn app_env(smtp: &SmtpServer) -> Vec<(&'static str, String)> {
    vec![
        ("SMTP_URL", smtp.url()),
        ("MAIL_FROM", "Recordings <no-reply@rec.example>".into()),
        // A crashed process's claims run out in seconds, not the default 30.
        ("JOB_CLAIM_SECONDS", "3".into()),
    ]
}

async fn spawn_with_smtp(smtp: &SmtpServer) -> TestApp {
    let env = app_env(smtp);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(&env).await
}

fn by_recipient(received: &[Received]) -> BTreeMap<String, Vec<&Received>> {
    let mut map: BTreeMap<String, Vec<&Received>> = BTreeMap::new();
    for message in received {
        map.entry(message.rcpt_to.clone())
            .or_default()
            .push(message);
    }
    map
}

/// The messages per recipient, after checking that each of r1…r20 got mail.
fn each_of_the_20(received: &[Received]) -> BTreeMap<String, Vec<&Received>> {
    let per_recipient = by_recipient(received);
    let expected: BTreeSet<String> = (1..=20).map(|n| format!("r{n}@example.com")).collect();
    assert_eq!(
        per_recipient.keys().cloned().collect::<BTreeSet<_>>(),
        expected
    );
    per_recipient
}

// ------------------------------------------------------- the share email

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_recipient_gets_one_email_with_their_own_link_in_both_parts() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_smtp(&smtp).await;
    let id = share_to(&app, 3).await;
    let title = "Q3 <script>alert('title')</script> review";
    ok(
        &app,
        "share/title",
        json!({ "share_id": id, "title": title }),
    )
    .await;
    add_comment(
        &app,
        id,
        "<script>alert('comment')</script> see pricing",
        Some(5_000),
    )
    .await;
    add_comment(&app, id, "Thanks for your time", None).await;

    assert_eq!(send(&app, id).await, 3);
    let share = wait_for_share(&app, id, "all sent", |s| all_in_state(s, "sent")).await;
    let received = smtp.received();
    assert_eq!(received.len(), 3, "one email per recipient: {received:#?}");

    let links: BTreeMap<String, String> = links(&share)
        .into_iter()
        .map(|(email, link)| (email, link.expect("sending gives every recipient a link")))
        .collect();
    let mut message_ids = BTreeSet::new();
    for message in &received {
        let link = &links[&message.rcpt_to];
        assert!(message.to.contains(&message.rcpt_to), "{message:?}");
        assert_eq!(
            message.subject,
            format!("Demo Rep shared a recording with you: {title}")
        );
        assert_eq!(
            message.part_types,
            ["multipart/alternative", "text/plain", "text/html"],
            "{message:?}"
        );
        let text = message.text.as_deref().unwrap();
        let html = message.html.as_deref().unwrap();
        for part in [text, html] {
            assert!(part.contains(link.as_str()), "their own link: {part}");
            assert!(part.contains("2 comments"), "{part}");
            assert!(part.contains("Available until"), "{part}");
            assert!(part.contains("Demo Rep"), "{part}");
        }
        assert!(
            text.contains(title),
            "the plain text shows the title as typed"
        );
        assert!(
            !html.contains("<script>"),
            "HTML escapes what users typed: {html}"
        );
        assert!(html.contains("&#60;script&#62;alert(&#39;title&#39;)&#60;/script&#62;"),);
        for other in links.values().filter(|l| *l != link) {
            assert!(!text.contains(other.as_str()), "nobody gets another's link");
        }
        // The link works.
        let (status, page) = app.get_text(&path_of(link)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("see pricing"));
        message_ids.insert(message.message_id.clone());
    }
    assert_eq!(message_ids.len(), 3, "every message has its own Message-ID");
    assert!(
        message_ids.iter().all(|id| id.ends_with("@rec.example")),
        "{message_ids:?}"
    );

    // A second click emails nobody again; a recipient added since is emailed.
    assert_eq!(send(&app, id).await, 0);
    add_recipient(&app, id, "Late Comer", "late@example.com").await;
    assert_eq!(send(&app, id).await, 1);
    wait_for_share(&app, id, "all sent", |s| all_in_state(s, "sent")).await;
    let received = smtp.received();
    assert_eq!(received.len(), 4);
    assert_eq!(by_recipient(&received)["late@example.com"].len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_recipient_is_marked_failed_with_the_reason_and_the_rest_arrive() {
    // The test server offers PIPELINING, so the refusal comes back among
    // the answers to a batch of commands.
    refused_recipient(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_without_pipelining_is_sent_one_command_at_a_time() {
    refused_recipient(&["--no-pipelining"]).await;
}

async fn refused_recipient(server_options: &[&str]) {
    let options = [&["--reject-domain", "gone.example"], server_options].concat();
    let smtp = SmtpServer::start_with(&options).await;
    let app = spawn_with_smtp(&smtp).await;
    let id = share_to(&app, 2).await;
    add_recipient(&app, id, "Gone", "someone@gone.example").await;

    assert_eq!(send(&app, id).await, 3);
    let share = wait_for_share(&app, id, "no email pending", |s| {
        deliveries(s).values().all(|d| d["state"] != "queued")
    })
    .await;
    let states = deliveries(&share);
    assert_eq!(states["r1@example.com"]["state"], "sent");
    assert_eq!(states["r2@example.com"]["state"], "sent");
    let failed = &states["someone@gone.example"];
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["reason"].as_str().unwrap().contains("550"),
        "{failed}"
    );
    assert_eq!(smtp.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn send_is_refused_without_recipients_or_for_another_reps_share() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_smtp(&smtp).await;
    let id = share_id(&open(&app).await);
    let error = refused(&app, "share/send", json!({ "share_id": id })).await;
    assert_eq!(invalid(&error).0, "Recipients");
    assert_eq!(
        refused(&app, "share/send", json!({ "share_id": id + 1000 })).await,
        "NotFound"
    );
    assert_eq!(
        refused(&app, "share/get", json!({ "share_id": id + 1000 })).await,
        "NotFound"
    );
}

// ------------------------------------------------ outage and crash

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_smtp_outage_loses_nothing_and_sends_nothing_twice() {
    let mut smtp = SmtpServer::start().await;
    let app = spawn_with_smtp(&smtp).await;
    smtp.stop().await;

    let id = share_to(&app, 20).await;
    assert_eq!(send(&app, id).await, 20);
    // Every email was tried, refused, and is waiting for a retry.
    let share = wait_for_share(&app, id, "every email failed once", |s| {
        deliveries(s)
            .values()
            .all(|d| d["state"] == "queued" && d["retrying"].is_string())
    })
    .await;
    let reason = deliveries(&share)["r1@example.com"]["retrying"].clone();
    eprintln!("while the SMTP server is down: {reason}");
    assert!(smtp.received().is_empty());

    smtp.resume().await;
    wait_for_share(&app, id, "all sent", |s| all_in_state(s, "sent")).await;
    let received = smtp.received();
    let per_recipient = each_of_the_20(&received);
    assert!(
        per_recipient.values().all(|m| m.len() == 1),
        "none twice: {per_recipient:#?}"
    );
    assert_eq!(received.len(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mail_server_that_stops_answering_holds_up_only_that_email() {
    let smtp = SmtpServer::start_with(&["--hang-domain", "stuck.example"]).await;
    let app = spawn_app_with(&[("SMTP_URL", &smtp.url()), ("SMTP_TIMEOUT_SECONDS", "2")]).await;
    let id = share_to(&app, 5).await;
    add_recipient(&app, id, "Stuck", "stuck@stuck.example").await;
    assert_eq!(send(&app, id).await, 6);

    // The others go out while the server sits on that one.
    smtp.wait_for(5).await;
    let share = wait_for_share(&app, id, "the stuck email is retried", |s| {
        deliveries(s)["stuck@stuck.example"]["retrying"]
            .as_str()
            .is_some_and(|why| why.contains("timed out after 2 s"))
    })
    .await;
    let sent = deliveries(&share)
        .values()
        .filter(|d| d["state"] == "sent")
        .count();
    assert_eq!(sent, 5, "{share}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_during_delivery_loses_nothing() {
    // A slow server: each message takes 0.3 s, so the crash comes mid-way.
    let smtp = SmtpServer::start_with(&["--delay", "0.3"]).await;
    let app = spawn_with_smtp(&smtp).await;
    let id = share_to(&app, 20).await;
    assert_eq!(send(&app, id).await, 20);
    smtp.wait_for(1).await;
    let before_crash = smtp.received().len();
    let app = app.crash_and_restart().await;
    assert!(before_crash < 20, "the crash came before delivery finished");

    wait_for_share(&app, id, "all sent", |s| all_in_state(s, "sent")).await;
    let received = smtp.received();
    let per_recipient = each_of_the_20(&received);
    // An email on the wire at the crash may have gone twice; if so, with the
    // same Message-ID, so mail programs show it once.
    for (recipient, messages) in &per_recipient {
        let ids: BTreeSet<_> = messages.iter().map(|m| &m.message_id).collect();
        assert_eq!(ids.len(), 1, "{recipient}: {messages:#?}");
    }
    eprintln!(
        "crash after {before_crash} of 20 delivered; {} messages in all after the restart",
        received.len()
    );
}

// ------------------------------------------------ the opened notification

/// A sent share from a rep in Berlin to one recipient; returns the share and
/// the recipient's link path.
async fn sent_from_berlin(app: &TestApp, smtp: &SmtpServer) -> (i64, String) {
    let recording = app.recording_ids().await[0];
    let share = ok(
        app,
        "share/open",
        json!({ "recording_id": recording, "browser_time_zone": "Europe/Berlin" }),
    )
    .await;
    let id = share_id(&share);
    add_recipient(app, id, "Ada Lovelace", "ada@example.com").await;
    send(app, id).await;
    smtp.wait_for(1).await;
    let share = current(app, id).await;
    let link = links(&share)[0].1.clone().unwrap();
    (id, path_of(&link))
}

async fn report_open(app: &TestApp, path: &str, zone: Option<&str>, offset_min: i64) -> StatusCode {
    app.client
        .post(app.url(&format!("{path}/opened")))
        .header("user-agent", "Mozilla/5.0 (test)")
        .json(&json!({ "local": "2026-11-28T16:12:05", "zone": zone, "offset_min": offset_min }))
        .send()
        .await
        .unwrap()
        .status()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&db(app).await)
        .await
        .unwrap()
}

fn notifications(received: &[Received]) -> Vec<&Received> {
    received
        .iter()
        .filter(|m| m.subject == "Your Shared Recording Was Opened")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sender_hears_of_each_recipients_first_open_and_not_of_the_next_at_once() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_smtp(&smtp).await;
    let (id, path) = sent_from_berlin(&app, &smtp).await;

    // Fetching the page is not opening it: link scanners do that.
    let head = app.client.head(app.url(&path)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(app.get_text(&path).await.0, StatusCode::OK);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM opens").await, 0);

    // The page's script reports the open.
    assert_eq!(
        report_open(&app, &path, Some("America/New_York"), -300).await,
        StatusCode::NO_CONTENT
    );
    let received = smtp.wait_for(2).await;
    let note = notifications(&received)[0].clone();
    assert_eq!(note.rcpt_to, SENDER);
    let text = note.text.as_deref().unwrap();
    assert!(
        text.contains("Ada Lovelace (ada@example.com) opened"),
        "{text}"
    );
    assert!(
        text.contains("Demo recording: product walkthrough"),
        "{text}"
    );
    assert!(
        text.contains("(America/New_York)"),
        "the recipient's zone is named: {text}"
    );
    assert!(
        text.contains("(Europe/Berlin)"),
        "the sender's zone is named: {text}"
    );

    // Opened again at once: recorded, but no second email.
    assert_eq!(
        report_open(&app, &path, Some("America/New_York"), -300).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        count(&app, "SELECT CAST(SUM(open_count) AS BIGINT) FROM opens").await,
        2,
        "two opens, one visit"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM emails WHERE kind = 'opened'").await,
        1
    );
    let ua: String = sqlx::query_scalar("SELECT user_agent FROM opens ORDER BY id DESC LIMIT 1")
        .fetch_one(&db(&app).await)
        .await
        .unwrap();
    assert_eq!(ua, "Mozilla/5.0 (test)");

    // Another recipient's first open notifies at once (the hour after which
    // the same recipient notifies again is the store's: tests/store.rs).
    add_recipient(&app, id, "Grace Hopper", "grace@example.com").await;
    send(&app, id).await;
    let share = wait_for_share(&app, id, "both emailed", |s| all_in_state(s, "sent")).await;
    let grace = path_of(links(&share)[1].1.as_deref().unwrap());
    assert_eq!(
        report_open(&app, &grace, None, 330).await,
        StatusCode::NO_CONTENT
    );
    let received = smtp.wait_for(4).await;
    let notes = notifications(&received);
    assert_eq!(notes.len(), 2);
    assert!(
        notes
            .iter()
            .any(|n| n.text.as_deref().unwrap().contains("UTC+05:30")),
        "without a zone, the browser's offset is used: {notes:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn opens_of_dead_links_are_not_counted() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_smtp(&smtp).await;
    let (id, path) = sent_from_berlin(&app, &smtp).await;
    assert_eq!(
        report_open(&app, "/l/AAAAAAAAAAAAAAAA", None, 0).await,
        StatusCode::NOT_FOUND
    );
    let bad_json = app
        .client
        .post(app.url(&format!("{path}/opened")))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(bad_json.status().is_client_error());
    expire_share(&app, id).await;
    assert_eq!(report_open(&app, &path, None, 0).await, StatusCode::GONE);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM opens").await, 0);
}

// ------------------------------------------------ the dev mailbox

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_smtp_mail_lands_in_the_dev_mailbox() {
    let app = common::spawn_app().await;
    let id = share_to(&app, 1).await;
    ok(
        &app,
        "share/title",
        json!({ "share_id": id, "title": "Pricing <b>call</b>" }),
    )
    .await;
    assert_eq!(send(&app, id).await, 1);
    let share = wait_for_share(&app, id, "sent", |s| all_in_state(s, "sent")).await;
    let link = links(&share)[0].1.clone().unwrap();

    let (status, list) = app.get_text("/dev/mailbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("r1@example.com"), "{list}");
    assert!(
        list.contains("Demo Rep shared a recording with you: Pricing &#60;b&#62;call&#60;/b&#62;"),
        "{list}"
    );
    let at = list.find("href=\"/dev/mailbox/").unwrap() + "href=\"".len();
    let message_path = &list[at..at + list[at..].find('"').unwrap()];

    let (status, message) = app.get_text(message_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        message.contains("Message-ID: &#60;"),
        "headers are shown: {message}"
    );
    assert!(
        message.contains(&format!("<a href=\"{link}\">")),
        "the link can be followed: {message}"
    );
    let html = app
        .client
        .get(app.url(&format!("{message_path}/html")))
        .send()
        .await
        .unwrap();
    let policy = html.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("sandbox allow-popups"), "{policy}");
    assert!(!policy.contains("allow-scripts"), "{policy}");
    assert!(html.text().await.unwrap().contains(&link));
    assert_eq!(app.get_text(&path_of(&link)).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_smtp_outside_demo_mode_nothing_is_emailed_and_there_is_no_mailbox() {
    let app = common::spawn_plain_app(&[]).await;
    assert!(
        app.log().contains("email is not set up"),
        "the server says so at start: {}",
        app.log()
    );
    for path in ["/dev/mailbox", "/dev/mailbox/1", "/dev/mailbox/1/html"] {
        assert_eq!(app.get_text(path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let uploaded = app
        .client
        .post(app.url("/api/recordings/upload?title=Call"))
        .body(common::DEMO)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let id = share_to(&app, 1).await;
    let error = refused(&app, "share/send", json!({ "share_id": id })).await;
    assert_eq!(invalid(&error).0, "Recipients");
    assert!(
        invalid(&error)
            .1
            .starts_with("Email is not set up on this server."),
        "{error}"
    );
    // Nothing was queued, and the share is not sent; the links still work.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM emails").await, 0);
    let share = generate_links(&app, id).await;
    let path = path_of(links(&share)[0].1.as_deref().unwrap());
    assert_eq!(
        report_open(&app, &path, Some("Europe/Berlin"), 60).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM opens").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM emails").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dev_mailbox_is_for_signed_in_reps_in_demo_mode_or_when_asked_for() {
    let demo = common::spawn_app().await;
    assert_eq!(demo.get_text("/dev/mailbox").await.0, StatusCode::OK);
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_out = stranger.get(demo.url("/dev/mailbox")).send().await.unwrap();
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert!(
        signed_out.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/signin?next=")
    );

    let asked = common::spawn_plain_app(&[("DEV_MAILBOX", "true")]).await;
    assert_eq!(asked.get_text("/dev/mailbox").await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_smtp_configured_there_is_no_dev_mailbox() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_smtp(&smtp).await;
    assert_eq!(app.get_text("/dev/mailbox").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_text("/dev/mailbox/1").await.0,
        StatusCode::NOT_FOUND
    );
}
