//! Several server instances on one database and one media folder, as behind a
//! load balancer: a session, a share and its links work on any instance, and
//! the job runners of all instances share one email queue.

mod common;

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Instant,
};

use common::{
    TestApp,
    api::*,
    smtp::{Received, SmtpServer},
    spawn_app, spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::json;

const RECIPIENTS: usize = 500;

/// Two instances on one database, sending to `smtp`; both clients are the
/// demo rep's browser, signed in on the first.
async fn two_instances(smtp: &SmtpServer) -> (TestApp, TestApp) {
    // A short claim, so the emails of an instance that dies go on soon.
    let a = spawn_app_with(&[("SMTP_URL", &smtp.url()), ("JOB_CLAIM_SECONDS", "3")]).await;
    let b = a.another_instance().await;
    (a, b)
}

/// Messages per envelope recipient; every one of the share's recipients got
/// at least one.
fn per_recipient(received: &[Received]) -> BTreeMap<&str, Vec<&Received>> {
    let mut map: BTreeMap<&str, Vec<&Received>> = BTreeMap::new();
    for message in received {
        map.entry(message.rcpt_to.as_str())
            .or_default()
            .push(message);
    }
    let expected: BTreeSet<String> = (1..=RECIPIENTS)
        .map(|n| format!("r{n}@example.com"))
        .collect();
    let got: BTreeSet<String> = map.keys().map(|k| k.to_string()).collect();
    assert_eq!(
        expected.difference(&got).count(),
        0,
        "recipients without email"
    );
    assert_eq!(
        got.difference(&expected).count(),
        0,
        "unexpected recipients"
    );
    map
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_share_made_on_one_instance_opens_on_the_other_and_so_does_the_session() {
    let a = spawn_app().await;
    let b = a.another_instance().await;

    // Signed in on A: B knows the session (it is in the database).
    let (status, page) = b.get_text("/recordings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Demo recording"), "{page}");

    let (share, paths) = shared_with(&a, &["Pat"]).await;
    let id = share_id(&share);
    let on_b = current(&b, id).await;
    assert_eq!(on_b["title"], share["title"]);
    assert_eq!(on_b["recipients"], share["recipients"]);

    let (status, viewer) = b.get_text(&paths[0]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(viewer.contains("Demo recording"), "{viewer}");
    let video = get(&b, &format!("{}/video", paths[0])).await;
    assert_eq!(video.status(), StatusCode::OK);
    assert_eq!(video.bytes().await.unwrap().as_ref(), common::DEMO);

    // Signing out on B ends the session on A too.
    let (status, _) = call(&b, "auth/signout", json!({})).await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let (status, _) = call(&a, "share/get", json!({ "share_id": id })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_send_each_email_exactly_once() {
    // Each message takes the server 20 ms, so the send lasts long enough for
    // both workers to be busy at once.
    let smtp = SmtpServer::start_with(&["--delay", "0.02"]).await;
    let (a, b) = two_instances(&smtp).await;
    let id = share_to(&a, RECIPIENTS).await;

    let started = Instant::now();
    assert_eq!(send(&a, id).await, RECIPIENTS as u64);
    wait_for_share(&b, id, "all sent", |s| all_in_state(s, "sent")).await;
    let elapsed = started.elapsed();

    let received = smtp.received();
    assert_eq!(received.len(), RECIPIENTS, "messages at the SMTP server");
    for (recipient, messages) in per_recipient(&received) {
        assert_eq!(messages.len(), 1, "{recipient}");
    }
    let (by_a, by_b) = (a.sent_email_ids(), b.sent_email_ids());
    let by_a_set: BTreeSet<_> = by_a.iter().collect();
    assert!(
        by_b.iter().all(|id| !by_a_set.contains(id)),
        "an email sent by both"
    );
    assert_eq!(by_a.len() + by_b.len(), RECIPIENTS);
    assert!(
        !by_a.is_empty() && !by_b.is_empty(),
        "both workers sent: A {}, B {}",
        by_a.len(),
        by_b.len()
    );
    eprintln!(
        "{RECIPIENTS} emails in {:.1} s: instance A sent {}, instance B sent {}",
        elapsed.as_secs_f64(),
        by_a.len(),
        by_b.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn when_one_instance_dies_the_other_sends_the_rest() {
    let smtp = SmtpServer::start_with(&["--delay", "0.02"]).await;
    let (mut a, b) = two_instances(&smtp).await;
    let id = share_to(&a, RECIPIENTS).await;

    let started = Instant::now();
    assert_eq!(send(&a, id).await, RECIPIENTS as u64);
    smtp.wait_for(RECIPIENTS / 5).await;
    a.kill().await;
    let before = smtp.received().len();
    assert!(before < RECIPIENTS, "A died before the send was over");

    // A's unfinished claims run out (3 s), then B takes them too.
    wait_for_share(&b, id, "all sent", |s| all_in_state(s, "sent")).await;
    let received = smtp.received();
    // An email on the wire when A died may have gone twice, with the same
    // Message-ID (mail programs show it once); none is missing.
    for (recipient, messages) in per_recipient(&received) {
        let ids: BTreeSet<_> = messages.iter().map(|m| &m.message_id).collect();
        assert_eq!(ids.len(), 1, "{recipient}: {messages:#?}");
    }
    eprintln!(
        "A killed after {before} of {RECIPIENTS} delivered; B sent {} in all; {} messages \
         in all ({} twice) in {:.1} s",
        b.sent_email_ids().len(),
        received.len(),
        received.len() - RECIPIENTS,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_revoked_or_ended_on_one_instance_is_gone_on_the_other_at_once() {
    let a = spawn_app().await;
    let b = a.another_instance().await;
    let (share, paths) = shared_with(&a, &["Pat", "Sam"]).await;
    let id = share_id(&share);
    let (pat, sam) = (&paths[0], &paths[1]);

    // B has answered both links (and keeps the answers in memory) …
    for path in [pat, sam, pat, sam] {
        assert_eq!(get(&b, path).await.status(), StatusCode::OK, "{path}");
    }
    // … yet a revoke on A is seen by B's very next request.
    let recipients = current(&a, id).await["recipients"].clone();
    let pat_id = recipients
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Pat")
        .unwrap()["id"]
        .clone();
    ok(
        &a,
        "shares/revoke",
        json!({ "share_id": id, "recipient_id": pat_id }),
    )
    .await;
    assert_eq!(get(&b, pat).await.status(), StatusCode::NOT_FOUND);
    let video = get(&b, &format!("{pat}/video")).await;
    assert_eq!(video.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&b, sam).await.status(), StatusCode::OK);

    // So is an expiration moved into the past, and moved back.
    expire_share(&a, id).await;
    assert_eq!(get(&b, sam).await.status(), StatusCode::GONE);
    ok(
        &a,
        "shares/expiration",
        json!({ "share_id": id, "end_date": "2099-12-31" }),
    )
    .await;
    assert_eq!(get(&b, sam).await.status(), StatusCode::OK);

    // And a title changed on A is what B's page shows.
    let (_, before) = b.get_text(sam).await;
    assert!(before.contains("Demo recording"), "{before}");
    ok(
        &a,
        "share/title",
        json!({ "share_id": id, "title": "Renamed on A" }),
    )
    .await;
    let (_, after) = b.get_text(sam).await;
    assert!(after.contains("Renamed on A"), "{after}");
}
