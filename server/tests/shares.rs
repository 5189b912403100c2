//! The Shares page's server side: what each recipient watched, the rep's
//! sent shares with each recipient's activity, revoking and resending links,
//! and deleting a recording.

mod common;

use std::collections::BTreeMap;

use common::{DEMO, TestApp, api::*, smtp::SmtpServer, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn report_watched(app: &TestApp, path: &str, body: Value) -> StatusCode {
    app.client
        .post(app.url(&format!("{path}/watched")))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn report_open(app: &TestApp, path: &str) {
    let status = app
        .client
        .post(app.url(&format!("{path}/opened")))
        .json(&json!({ "zone": "Europe/Berlin" }))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn activity(app: &TestApp, share: i64) -> Value {
    ok(app, "shares/activity", json!({ "share_id": share })).await
}

/// Each recipient's activity by name.
fn by_name(activity: &Value) -> BTreeMap<String, Value> {
    activity["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

/// A sent share of the demo recording to `names`, every email delivered (so
/// nothing changes behind a test comparing before and after); the share id
/// and the links' paths in the same order.
async fn sent_to(app: &TestApp, names: &[&str]) -> (i64, Vec<String>) {
    let (share, paths) = shared_with(app, names).await;
    let id = share_id(&share);
    assert_eq!(send(app, id).await, names.len() as u64);
    wait_for_share(app, id, "the emails are delivered", |s| {
        all_in_state(s, "sent")
    })
    .await;
    (id, paths)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn what_was_watched_is_merged_and_bogus_reports_change_nothing() {
    let app = spawn_app().await;
    let (id, paths) = sent_to(&app, &["Pat", "Sam"]).await;

    // The demo recording is 45 s long. Reports overlap, repeat and arrive
    // out of order, as players send them.
    for ranges in [
        json!([[0.0, 10.0]]),
        json!([[20.0, 30.0], [5.0, 10.0]]),
        json!([[0.0, 10.0]]),
    ] {
        let status = report_watched(&app, &paths[0], json!({ "ranges": ranges })).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{ranges}");
    }
    let before = activity(&app, id).await;
    for bogus in [
        json!({ "ranges": [[-1.0, 3.0]] }),
        json!({ "ranges": [[0.0, 300.0]] }),
        json!({ "ranges": [[9.0, 3.0]] }),
        json!({ "ranges": [[null, 3.0]] }),
        json!({ "ranges": [[1.0, 2.0], [40.0, 3600.0]] }),
        json!({ "ranges": "all of it" }),
    ] {
        let status = report_watched(&app, &paths[0], bogus.clone()).await;
        assert!(status.is_client_error(), "{bogus}: {status}");
    }
    assert_eq!(
        activity(&app, id).await,
        before,
        "bogus reports changed nothing"
    );

    let recipients = by_name(&before);
    // 20 s of 45 s seen (0–10 and 20–30): 44 %, not the furthest point (66 %).
    assert_eq!(recipients["Pat"]["percent_watched"], 44);
    let bar = recipients["Pat"]["watched"].as_array().unwrap();
    assert_eq!(bar.len(), 2, "{bar:?}");
    assert_eq!(recipients["Sam"]["percent_watched"], 0);

    let unknown = report_watched(&app, "/l/AAAAAAAAAAAAAAAA", json!({ "ranges": [] })).await;
    assert_eq!(unknown, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sent_shares_are_listed_newest_first_with_recipients_and_opens() {
    let app = spawn_app().await;
    let (first, paths) = sent_to(&app, &["Pat"]).await;
    report_open(&app, &paths[0]).await;
    report_open(&app, &paths[0]).await;
    let (second, _) = sent_to(&app, &["Sam", "Kim"]).await;
    // A draft is not listed.
    open(&app).await;

    let list = ok(&app, "shares/list", json!({})).await["items"].clone();
    let rows: Vec<(i64, i64, i64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_i64().unwrap(),
                s["recipients"].as_i64().unwrap(),
                s["opens"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, vec![(second, 2, 0), (first, 1, 2)]);
    assert!(
        list[0]["expiry"]
            .as_str()
            .unwrap()
            .starts_with("Available until ")
    );

    let pat = &by_name(&activity(&app, first).await)["Pat"];
    assert_eq!(pat["opens"], 2);
    // In the rep's zone (the share's, until the rep picks one), named.
    for open in [&pat["first_open"], &pat["last_open"]] {
        let open = open.as_str().unwrap();
        assert!(open.ends_with(" EST") || open.ends_with(" EDT"), "{open}");
    }
    assert!(pat["link"].as_str().unwrap().contains(&paths[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_share_made_with_generate_links_only_is_on_the_shares_page() {
    let app = spawn_app().await;
    // The rep copies the links into their own email: no Send Email(s).
    let (share, paths) = shared_with(&app, &["Pat", "Sam"]).await;
    let id = share_id(&share);
    report_open(&app, &paths[0]).await;

    let rows = |list: &Value| -> Vec<(i64, i64, i64)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["id"].as_i64().unwrap(),
                    s["recipients"].as_i64().unwrap(),
                    s["opens"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let listed = ok(&app, "shares/list", json!({})).await["items"].clone();
    assert_eq!(rows(&listed), vec![(id, 2, 1)]);
    let sent_on = listed[0]["sent_on"].clone();
    assert_ne!(sent_on, "", "sent when its links were made");
    let recipients = by_name(&activity(&app, id).await);
    assert_eq!(recipients["Pat"]["opens"], 1);
    assert!(recipients["Pat"]["delivery"].is_null(), "no email");
    assert!(
        recipients["Pat"]["link"]
            .as_str()
            .unwrap()
            .ends_with(&paths[0])
    );
    assert_eq!(recipients["Sam"]["opens"], 0);

    // The window starts a new draft now; the share stays one row.
    assert_ne!(share_id(&open(&app).await), id);
    // Send Email(s) later on the same share: still one row, first sent time kept.
    assert_eq!(send(&app, id).await, 2);
    let listed = ok(&app, "shares/list", json!({})).await["items"].clone();
    assert_eq!(rows(&listed), vec![(id, 2, 1)]);
    assert_eq!(listed[0]["sent_on"], sent_on);

    // Its controls answer with the share, not "not found".
    let sam = recipients["Sam"]["id"].clone();
    let after = ok(
        &app,
        "shares/revoke",
        json!({ "share_id": id, "recipient_id": sam }),
    )
    .await;
    assert_eq!(by_name(&after)["Sam"]["revoked"], true);
    assert_eq!(get(&app, &paths[1]).await.status(), StatusCode::NOT_FOUND);
    let changed = ok(
        &app,
        "shares/expiration",
        json!({ "share_id": id, "end_date": "2099-12-31" }),
    )
    .await;
    assert_eq!(changed["share"]["last_day"], "2099-12-31");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_share_has_at_most_max_recipients_and_an_expired_one_is_not_resent() {
    let app = spawn_app_with(&[("MAX_RECIPIENTS", "2")]).await;
    let id = share_to(&app, 2).await;
    let refused = refused(
        &app,
        "share/recipient/add",
        json!({ "share_id": id, "name": "Third", "email": "third@example.com" }),
    )
    .await;
    assert_eq!(
        invalid(&refused),
        (
            "RecipientEmail",
            "A share can go to 2 recipients at most. Share the recording again for more."
        )
    );
    assert_eq!(
        current(&app, id).await["recipients"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    assert_eq!(send(&app, id).await, 2);
    let pat = by_name(&activity(&app, id).await)["Recipient 1"]["id"].clone();
    expire_share(&app, id).await;
    let error = refused_resend(&app, id, &pat).await;
    assert_eq!(invalid(&error).0, "EndDate", "{error}");
}

async fn refused_resend(app: &TestApp, share: i64, recipient: &Value) -> Value {
    refused(
        app,
        "shares/resend",
        json!({ "share_id": share, "recipient_id": recipient }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_link_stops_at_once_and_revoke_all_stops_the_rest() {
    let app = spawn_app().await;
    let (id, paths) = sent_to(&app, &["Pat", "Sam"]).await;
    let pat = by_name(&activity(&app, id).await)["Pat"]["id"].clone();

    ok(
        &app,
        "shares/revoke",
        json!({ "share_id": id, "recipient_id": pat }),
    )
    .await;
    assert_eq!(get(&app, &paths[0]).await.status(), StatusCode::NOT_FOUND);
    let video = get(&app, &format!("{}/video", paths[0])).await;
    assert_eq!(video.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&app, &paths[1]).await.status(), StatusCode::OK);
    let now = by_name(&activity(&app, id).await);
    assert_eq!(now["Pat"]["revoked"], true);
    assert!(now["Pat"]["link"].is_null());
    // A revoked link gets no more email.
    let (status, _) = call(
        &app,
        "shares/resend",
        json!({ "share_id": id, "recipient_id": pat }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    ok(
        &app,
        "shares/revoke",
        json!({ "share_id": id, "recipient_id": null }),
    )
    .await;
    assert_eq!(get(&app, &paths[1]).await.status(), StatusCode::NOT_FOUND);
    assert!(
        by_name(&activity(&app, id).await)
            .values()
            .all(|r| r["revoked"] == true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_past_expiration_ends_the_links_and_a_later_one_brings_them_back() {
    let app = spawn_app().await;
    let (id, paths) = sent_to(&app, &["Pat", "Sam"]).await;
    let video = format!("{}/video", paths[0]);
    let before = activity(&app, id).await;

    // Bad dates are refused and change nothing.
    for bad in ["", "next week", "2026-02-30"] {
        let error = refused(
            &app,
            "shares/expiration",
            json!({ "share_id": id, "end_date": bad }),
        )
        .await;
        assert_eq!(error["Invalid"]["field"], "EndDate", "{bad}: {error}");
    }
    assert_eq!(activity(&app, id).await, before);
    assert_eq!(get(&app, &paths[0]).await.status(), StatusCode::OK);

    // A day in the past ends every link of the share at once.
    let changed = ok(
        &app,
        "shares/expiration",
        json!({ "share_id": id, "end_date": "2026-01-15" }),
    )
    .await;
    assert_eq!(changed["share"]["last_day"], "2026-01-15");
    assert_eq!(changed["share"]["expired"], true);
    assert_eq!(
        changed["share"]["expiry"],
        "Expired after Thu, Jan 15, 2026"
    );
    for path in [&paths[0], &paths[1], &video] {
        assert_eq!(get(&app, path).await.status(), StatusCode::GONE, "{path}");
    }
    // The Share window reads the same custom range back.
    let share = current(&app, id).await;
    assert_eq!(share["expiration"]["preset"], "Custom");
    assert_eq!(share["expiration"]["end_date"], "2026-01-15");

    // A later day opens them again, through the whole of that day.
    let later = ok(
        &app,
        "shares/expiration",
        json!({ "share_id": id, "end_date": "2099-12-31" }),
    )
    .await;
    assert_eq!(later["share"]["expired"], false);
    assert_eq!(
        later["share"]["expiry"],
        "Available until Thu, Dec 31, 2099"
    );
    assert_eq!(get(&app, &paths[0]).await.status(), StatusCode::OK);
    assert_eq!(get(&app, &video).await.status(), StatusCode::OK);
    assert_eq!(
        ok(&app, "shares/list", json!({})).await["items"][0]["last_day"],
        "2099-12-31"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resend_sends_the_recipient_one_more_email() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(&[("SMTP_URL", &smtp.url())]).await;
    let (id, paths) = sent_to(&app, &["Pat", "Sam"]).await;
    smtp.wait_for(2).await;
    let pat = by_name(&activity(&app, id).await)["Pat"]["id"].clone();

    ok(
        &app,
        "shares/resend",
        json!({ "share_id": id, "recipient_id": pat }),
    )
    .await;
    wait_for_share(&app, id, "the resend is sent", |s| all_in_state(s, "sent")).await;
    let received = smtp.wait_for(3).await;
    let to_pat: Vec<_> = received
        .iter()
        .filter(|m| m.rcpt_to == "pat@example.com")
        .collect();
    assert_eq!((received.len(), to_pat.len()), (3, 2));
    assert_ne!(to_pat[0].message_id, to_pat[1].message_id);
    assert!(
        to_pat
            .iter()
            .all(|m| m.text.as_deref().unwrap().contains(&paths[0]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_a_recording_revokes_its_links_and_deletes_its_media() {
    let app = spawn_app().await;
    let demo_files = app.media_files().len();
    let uploaded: Value = app
        .client
        .post(app.url("/api/recordings/upload?title=Call%20to%20delete"))
        .body(DEMO)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let recording = uploaded["id"].as_i64().unwrap();
    wait_for_recording(&app, recording, "it is processed", |r| {
        r["state"] == "Ready" && !r["previews"].is_null()
    })
    .await;
    let share = ok(
        &app,
        "share/open",
        json!({ "recording_id": recording, "browser_time_zone": ZONE }),
    )
    .await;
    let id = share_id(&share);
    add_recipient(&app, id, "Pat", "pat@example.com").await;
    send(&app, id).await;
    let share = current(&app, id).await;
    let path = path_of(links(&share)[0].1.as_deref().unwrap());
    assert_eq!(get(&app, &path).await.status(), StatusCode::OK);
    // The recording's file (played as it is), its poster and previews.
    assert_eq!(app.media_files().len(), demo_files + 3);

    assert_eq!(
        delete_recording(&app, recording).await.status(),
        StatusCode::OK
    );
    assert_eq!(get(&app, &path).await.status(), StatusCode::NOT_FOUND);
    let video = get(&app, &format!("{path}/video")).await;
    assert_eq!(video.status(), StatusCode::NOT_FOUND);
    assert!(!app.recording_ids().await.contains(&recording));
    let media = get(&app, &format!("/media/recordings/{recording}")).await;
    assert_eq!(media.status(), StatusCode::NOT_FOUND);
    // Its files go right after the answer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.media_files().len() > demo_files {
        assert!(std::time::Instant::now() < deadline, "the media file stays");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The share stays in the list, as history.
    let list = ok(&app, "shares/list", json!({})).await["items"].clone();
    assert_eq!(list[0]["id"], id);
    assert_eq!(
        delete_recording(&app, recording).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// How long signing in takes, the median of five (the script's call).
async fn sign_in_time(app: &TestApp) -> std::time::Duration {
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let response = app
            .client
            .post(app.url("/api/auth/signin"))
            .form(&[
                ("email", common::DEMO_EMAIL),
                ("password", common::DEMO_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        times.push(started.elapsed());
    }
    times.sort();
    times[2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_tiny_watch_reports_store_little_and_slow_nobody() {
    let app = spawn_app().await;
    let (share, paths) = shared_with(&app, &["Pat"]).await;
    let id = share_id(&share);
    let before = sign_in_time(&app).await;

    let url = app.url(&format!("{}/watched", paths[0]));
    let mut taken = 0;
    let mut refused = 0;
    for batch in 0..(10_000 / 50) {
        let reports = (0..50).map(|n| {
            // Tiny stretches all over the 45 s recording.
            let at = ((batch * 50 + n) * 37 % 440) as f64 / 10.0;
            app.client
                .post(&url)
                .json(&json!({ "ranges": [[at, at + 0.01]] }))
                .send()
        });
        for response in futures::future::join_all(reports).await {
            match response.unwrap().status() {
                StatusCode::NO_CONTENT => taken += 1,
                StatusCode::TOO_MANY_REQUESTS => refused += 1,
                other => panic!("report answered {other}"),
            }
        }
    }
    assert_eq!(taken + refused, 10_000);
    assert!(refused > 9_000, "a flood is cut short: {taken} taken");

    // What one recipient can store is bounded by the recording's length.
    let watched = &by_name(&activity(&app, id).await)["Pat"]["watched"];
    assert!(
        watched.as_array().unwrap().len() <= 23,
        "{} stretches",
        watched.as_array().unwrap().len()
    );
    let stored: i64 =
        sqlx::query_scalar("SELECT CAST(MAX(LENGTH(watched)) AS BIGINT) FROM recipients")
            .fetch_one(&db(&app).await)
            .await
            .unwrap();
    assert!(stored < 1_000, "{stored} bytes");

    let after = sign_in_time(&app).await;
    assert!(
        after < before * 2 + std::time::Duration::from_millis(100),
        "sign-in took {before:?} before and {after:?} after"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_report_bodies_are_refused_before_the_link_is_looked_up() {
    let app = spawn_app().await;
    let (_, paths) = shared_with(&app, &["Pat"]).await;
    let big = json!({ "ranges": vec![[1.0, 2.0]; 5_000] });
    for path in [paths[0].as_str(), "/l/AAAAAAAAAAAAAAAA", "/l/nonsense"] {
        for report in ["watched", "opened"] {
            let status = app
                .client
                .post(app.url(&format!("{path}/{report}")))
                .json(&big)
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}/{report}");
        }
    }
}

/// The media-deletion job's state, attempts and last error.
/// The deletion job of the media file `key`.
async fn media_deletion_job(app: &TestApp, key: &str) -> Option<(String, i64, Option<String>)> {
    sqlx::query_as(
        "SELECT j.status, j.attempts, j.last_error FROM jobs j \
         JOIN media_deletions d ON d.id = j.subject_id \
         WHERE j.queue = 'media_deletion' AND d.media_key = $1 ORDER BY j.id DESC LIMIT 1",
    )
    .bind(key)
    .fetch_optional(&db(app).await)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_media_deletion_that_fails_is_retried_until_it_is_done() {
    let app = spawn_app().await;
    let recording = demo_recording(&app).await;
    // The file cannot be removed for now: a folder stands in its place.
    let file = app.media_files().pop().unwrap();
    let key = file.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    std::fs::write(file.join("in the way"), b"x").unwrap();

    let deleted = delete_recording(&app, recording).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let job = media_deletion_job(&app, &key).await;
        if let Some((state, attempts, error)) = &job
            && state == "queued"
            && *attempts >= 2
        {
            assert!(error.is_some(), "{job:?}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{job:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Out of the way: a later attempt succeeds.
    std::fs::remove_dir_all(&file).unwrap();
    std::fs::write(&file, b"the recording").unwrap();
    loop {
        let job = media_deletion_job(&app, &key).await;
        if job.as_ref().is_some_and(|(state, _, _)| state == "done") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{job:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!file.exists(), "the file is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_expiration_form_posted_without_scripts_comes_back_with_its_message() {
    let app = spawn_app().await;
    let (share, _) = shared_with(&app, &["Ada"]).await;
    let id = share_id(&share).to_string();
    let page = format!("/shares/{id}");
    // As a browser posts the form before (or without) the page's wasm,
    // following the redirect back to the page.
    let post = |referer: String, end_date: &'static str| {
        let request = app
            .client
            .post(app.url("/api/shares/expiration"))
            .header("accept", "text/html")
            .header("referer", referer)
            .form(&[("share_id", id.clone()), ("end_date", end_date.into())]);
        async move {
            let response = request.send().await.unwrap();
            let back_on = response.url().clone();
            assert_eq!(response.status(), StatusCode::OK, "{back_on}");
            (back_on, response.text().await.unwrap())
        }
    };

    let (back_on, html) = post(app.url(&page), "2027-03-31").await;
    assert_eq!(back_on.path(), page);
    assert!(html.contains("Expiration changed."), "{html}");
    assert!(html.contains("Available until Wed, Mar 31, 2027"), "{html}");

    // A refused date after that (the page's URL still says it was done
    // before): the refusal by the field, not the earlier notice.
    let (back_on, html) = post(back_on.to_string(), "2027-02-30").await;
    assert_eq!(back_on.path(), page);
    assert!(html.contains("Pick an end date."), "{html}");
    assert!(!html.contains("Expiration changed."), "{html}");
    assert!(
        html.contains("Available until Wed, Mar 31, 2027"),
        "nothing changed: {html}"
    );
}
