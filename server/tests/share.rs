//! Sharing a recording: the Share Recording window's server functions, the
//! recipients' links and the viewer page they open.

mod common;

use std::collections::HashSet;

use common::{DEMO, TestApp, api::*, spawn_app, spawn_app_with};
use jiff::{Timestamp, ToSpan};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

const DEMO_TITLE: &str = "Demo recording: product walkthrough";
const LINK_BASE: &str = "https://rec.example";

// ------------------------------------------------------- the draft share

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn opening_a_share_starts_a_draft_with_the_recordings_title_for_30_days() {
    let app = spawn_app().await;
    let share = open(&app).await;

    assert_eq!(share["title"], DEMO_TITLE);
    assert_eq!(share["recording"]["id"], demo_recording(&app).await);
    let expiration = &share["expiration"];
    assert_eq!(expiration["preset"], "Days30");
    assert_eq!(expiration["start_date"], today().to_string());
    assert_eq!(expiration["end_date"], Value::Null);
    assert_eq!(expiration["time_zone"], ZONE);
    let last_day = today().checked_add(29.days()).unwrap();
    assert_eq!(
        expiration["works_until"],
        format!("Link works until {}", long_date(last_day))
    );
    assert_eq!(share["comments"], json!([]));
    assert_eq!(share["recipients"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reopening_keeps_the_draft_with_everything_saved_in_it() {
    let app = spawn_app().await;
    let id = share_id(&open(&app).await);

    ok(
        &app,
        "share/title",
        json!({ "share_id": id, "title": "For ACME" }),
    )
    .await;
    add_comment(&app, id, "Pricing starts here", Some(12_000)).await;
    add_recipient(&app, id, "Ada Lovelace", "ada@example.com").await;
    let saved = ok(
        &app,
        "share/expiration",
        json!({ "share_id": id, "preset": "Days90", "start_date": today().to_string(), "end_date": null }),
    )
    .await;

    // Opened again, even from a browser in another zone: the same draft.
    let recording_id = demo_recording(&app).await;
    let reopened = ok(
        &app,
        "share/open",
        json!({ "recording_id": recording_id, "browser_time_zone": "Asia/Tokyo" }),
    )
    .await;
    assert_eq!(share_id(&reopened), id);
    assert_eq!(reopened, saved);
    assert_eq!(reopened["title"], "For ACME");
    assert_eq!(reopened["expiration"]["preset"], "Days90");
    assert_eq!(reopened["expiration"]["time_zone"], ZONE);
    assert_eq!(reopened["comments"][0]["body"], "Pricing starts here");
    assert_eq!(reopened["recipients"][0]["email"], "ada@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_change_is_saved_and_answered_with_the_whole_share() {
    let app = spawn_app().await;
    let id = share_id(&open(&app).await);

    let share = ok(
        &app,
        "share/title",
        json!({ "share_id": id, "title": "  Q3 review  " }),
    )
    .await;
    assert_eq!(share["title"], "Q3 review", "titles are trimmed");

    let start = today();
    let end = start.checked_add(10.days()).unwrap();
    let share = ok(
        &app,
        "share/expiration",
        json!({ "share_id": id, "preset": "Custom", "start_date": start.to_string(), "end_date": end.to_string() }),
    )
    .await;
    assert_eq!(share["expiration"]["preset"], "Custom");
    assert_eq!(share["expiration"]["end_date"], end.to_string());
    assert_eq!(
        share["expiration"]["works_until"],
        format!("Link works until {}", long_date(end)),
        "a custom end date works through that whole day"
    );

    let share = add_comment(&app, id, "  Look at the demo  ", Some(10_000)).await;
    let comment = &share["comments"][0];
    assert_eq!(comment["body"], "Look at the demo");
    assert_eq!(comment["at_ms"], 10_000);
    let comment_id = comment["id"].as_i64().unwrap();

    let share = ok(
        &app,
        "share/comment/edit",
        json!({ "comment_id": comment_id, "body": "Look at the pricing" }),
    )
    .await;
    assert_eq!(share["comments"][0]["body"], "Look at the pricing");
    assert_eq!(
        share["comments"][0]["at_ms"], 10_000,
        "editing keeps the time"
    );

    let share = ok(
        &app,
        "share/comment/delete",
        json!({ "comment_id": comment_id }),
    )
    .await;
    assert_eq!(share["comments"], json!([]));

    let share = add_recipient(&app, id, "  Ada Lovelace ", " Ada@Example.COM ").await;
    let recipient = &share["recipients"][0];
    assert_eq!(recipient["name"], "Ada Lovelace");
    assert_eq!(
        recipient["email"], "ada@example.com",
        "emails are normalised"
    );
    assert_eq!(recipient["link"], Value::Null);

    let share = generate_links(&app, id).await;
    assert!(share["recipients"][0]["link"].is_string());

    let recipient_id = share["recipients"][0]["id"].as_i64().unwrap();
    let share = ok(
        &app,
        "share/recipient/remove",
        json!({ "recipient_id": recipient_id }),
    )
    .await;
    assert_eq!(share["recipients"], json!([]));

    // A removed recipient can be added again.
    let share = add_recipient(&app, id, "Ada Lovelace", "ada@example.com").await;
    assert_eq!(share["recipients"].as_array().unwrap().len(), 1);

    assert_eq!(
        current(&app, id).await,
        share,
        "everything answered was saved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_is_refused_next_to_its_field_and_changes_nothing() {
    let app = spawn_app().await;
    let id = share_id(&open(&app).await);
    let share = add_comment(&app, id, "Keep me", Some(1_000)).await;
    let comment_id = share["comments"][0]["id"].as_i64().unwrap();
    add_recipient(&app, id, "Ada", "ada@example.com").await;
    let before = open(&app).await;
    let duration = before["recording"]["duration_ms"].as_i64().unwrap();
    let start = today();
    let yesterday = start.yesterday().unwrap();
    let ten_days_ago = start.checked_sub(10.days()).unwrap();

    let cases = [
        (
            "share/title",
            json!({ "share_id": id, "title": "   " }),
            "Title",
        ),
        (
            "share/title",
            json!({ "share_id": id, "title": "x".repeat(201) }),
            "Title",
        ),
        (
            "share/comment/add",
            json!({ "share_id": id, "body": " \n ", "at_ms": null }),
            "Comment",
        ),
        (
            "share/comment/add",
            json!({ "share_id": id, "body": "x".repeat(2001), "at_ms": null }),
            "Comment",
        ),
        (
            "share/comment/add",
            json!({ "share_id": id, "body": "Too late", "at_ms": duration + 1 }),
            "CommentTime",
        ),
        (
            "share/comment/add",
            json!({ "share_id": id, "body": "Too early", "at_ms": -1 }),
            "CommentTime",
        ),
        (
            "share/comment/edit",
            json!({ "comment_id": comment_id, "body": "" }),
            "EditComment",
        ),
        (
            "share/comment/edit",
            json!({ "comment_id": comment_id, "body": "x".repeat(2001) }),
            "EditComment",
        ),
        (
            "share/recipient/add",
            json!({ "share_id": id, "name": "", "email": "bob@example.com" }),
            "RecipientName",
        ),
        (
            "share/recipient/add",
            json!({ "share_id": id, "name": "x".repeat(101), "email": "bob@example.com" }),
            "RecipientName",
        ),
        (
            "share/recipient/add",
            json!({ "share_id": id, "name": "Eve\r\nBcc: all@example.com", "email": "eve@example.com" }),
            "RecipientName",
        ),
        (
            "share/recipient/add",
            json!({ "share_id": id, "name": "Bob", "email": "bob@example" }),
            "RecipientEmail",
        ),
        (
            "share/recipient/add",
            json!({ "share_id": id, "name": "Bob", "email": "Bob <bob@example.com>" }),
            "RecipientEmail",
        ),
        (
            "share/recipient/add",
            json!({ "share_id": id, "name": "Ada again", "email": "Ada@Example.com" }),
            "RecipientEmail",
        ),
        (
            "share/expiration",
            json!({ "share_id": id, "preset": "Custom", "start_date": start.to_string(), "end_date": yesterday.to_string() }),
            "EndDate",
        ),
        (
            "share/expiration",
            json!({ "share_id": id, "preset": "Custom", "start_date": ten_days_ago.to_string(), "end_date": yesterday.to_string() }),
            "EndDate",
        ),
        (
            "share/expiration",
            json!({ "share_id": id, "preset": "Custom", "start_date": start.to_string(), "end_date": null }),
            "EndDate",
        ),
        (
            "share/expiration",
            json!({ "share_id": id, "preset": "Days30", "start_date": "next week", "end_date": null }),
            "StartDate",
        ),
    ];
    for (endpoint, body, field) in cases {
        let error = refused(&app, endpoint, body.clone()).await;
        let (got_field, message) = invalid(&error);
        assert_eq!(got_field, field, "{endpoint} {body}: {error}");
        assert!(!message.is_empty(), "{endpoint} {body}: {error}");
        assert_eq!(
            open(&app).await,
            before,
            "{endpoint} {body} changed the share"
        );
    }

    // The messages say what to fix.
    let error = refused(
        &app,
        "share/recipient/add",
        json!({ "share_id": id, "name": "Ada", "email": "ADA@example.com" }),
    )
    .await;
    assert_eq!(invalid(&error).1, "This recipient is already on the list.");
    let error = refused(
        &app,
        "share/comment/add",
        json!({ "share_id": id, "body": "x".repeat(2001), "at_ms": null }),
    )
    .await;
    assert_eq!(
        invalid(&error).1,
        "Keep the comment to 2000 characters or fewer."
    );
    let error = refused(
        &app,
        "share/expiration",
        json!({ "share_id": id, "preset": "Custom", "start_date": start.to_string(), "end_date": yesterday.to_string() }),
    )
    .await;
    assert_eq!(
        invalid(&error).1,
        "The end date must be on or after the start date."
    );

    // The edges of what is allowed are allowed.
    let share = add_comment(&app, id, &"é".repeat(2000), Some(duration)).await;
    assert_eq!(share["comments"].as_array().unwrap().len(), 2);
    add_recipient(&app, id, &"ü".repeat(100), "bob@example.com").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_and_other_reps_ids_are_not_found_and_untouched() {
    let app = spawn_app().await;
    let mine = open(&app).await;

    // Another rep's recording, share, comment and recipient.
    let pool = db(&app).await;
    let rep: i64 = sqlx::query_scalar(
        "INSERT INTO reps (email, name, created_at_ms) VALUES ('other@example.com', 'Other Rep', 0) RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let recording: i64 = sqlx::query_scalar(
        "INSERT INTO recordings (owner_id, title, created_at_ms, duration_ms, original_key, media_key, \
         content_type, size_bytes, state, progress) \
         VALUES ($1, 'Their recording', 0, 60000, 'theirs.webm', 'theirs.webm', 'video/webm', 1, \
         'ready', 100) RETURNING id",
    )
    .bind(rep)
    .fetch_one(&pool)
    .await
    .unwrap();
    let share: i64 = sqlx::query_scalar(
        "INSERT INTO shares (recording_id, sender_id, title, expiry_preset, start_date, time_zone, \
         expires_at_ms, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, 'Their share', '1y', '2026-01-01', 'UTC', 4102444800000, 0, 0) RETURNING id",
    )
    .bind(recording)
    .bind(rep)
    .fetch_one(&pool)
    .await
    .unwrap();
    let comment: i64 = sqlx::query_scalar(
        "INSERT INTO comments (share_id, body, created_at_ms) VALUES ($1, 'Their comment', 0) RETURNING id",
    )
    .bind(share)
    .fetch_one(&pool)
    .await
    .unwrap();
    let recipient: i64 = sqlx::query_scalar(
        "INSERT INTO recipients (share_id, name, email, created_at_ms) \
         VALUES ($1, 'Their client', 'client@example.com', 0) RETURNING id",
    )
    .bind(share)
    .fetch_one(&pool)
    .await
    .unwrap();

    let today = today().to_string();
    for (share, comment, recipient, recording) in [
        (9999, 9999, 9999, 9999),
        (share, comment, recipient, recording),
    ] {
        let calls = [
            (
                "share/open",
                json!({ "recording_id": recording, "browser_time_zone": ZONE }),
            ),
            (
                "share/title",
                json!({ "share_id": share, "title": "Mine now" }),
            ),
            (
                "share/expiration",
                json!({ "share_id": share, "preset": "Days30", "start_date": today, "end_date": null }),
            ),
            (
                "share/comment/add",
                json!({ "share_id": share, "body": "Hello", "at_ms": null }),
            ),
            (
                "share/comment/add",
                json!({ "share_id": share, "body": "Hello", "at_ms": 1000 }),
            ),
            (
                "share/comment/edit",
                json!({ "comment_id": comment, "body": "Edited" }),
            ),
            ("share/comment/delete", json!({ "comment_id": comment })),
            (
                "share/recipient/add",
                json!({ "share_id": share, "name": "Mallory", "email": "mallory@example.com" }),
            ),
            (
                "share/recipient/remove",
                json!({ "recipient_id": recipient }),
            ),
            ("share/links", json!({ "share_id": share })),
        ];
        for (endpoint, body) in calls {
            let error = refused(&app, endpoint, body.clone()).await;
            assert_eq!(error, json!("NotFound"), "{endpoint} {body}");
        }
    }

    // Nothing of theirs changed, and nothing of theirs leaked into mine.
    let (title, expiry): (String, String) =
        sqlx::query_as("SELECT title, expiry_preset FROM shares WHERE id = $1")
            .bind(share)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((title.as_str(), expiry.as_str()), ("Their share", "1y"));
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM comments WHERE share_id = $1")
        .bind(share)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(bodies, ["Their comment"]);
    let recipients: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT email, removed_at_ms FROM recipients WHERE share_id = $1")
            .bind(share)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(recipients, [("client@example.com".to_string(), None)]);
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM links")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(links, 0);
    assert_eq!(open(&app).await, mine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn comments_come_back_in_timeline_order() {
    let app = spawn_app().await;
    let id = share_id(&open(&app).await);
    add_comment(&app, id, "at 0:30", Some(30_000)).await;
    add_comment(&app, id, "general one", None).await;
    add_comment(&app, id, "at 0:05", Some(5_000)).await;
    add_comment(&app, id, "at 0:00", Some(0)).await;
    add_comment(&app, id, "general two", None).await;
    let share = add_comment(&app, id, "at 0:30 too", Some(30_000)).await;

    let order: Vec<&str> = share["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "general one",
            "general two",
            "at 0:00",
            "at 0:05",
            "at 0:30",
            "at 0:30 too"
        ]
    );
    assert_eq!(open(&app).await["comments"], share["comments"]);
}

// ---------------------------------------------------------------- links

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_recipient_gets_one_link_and_keeps_it() {
    let app = spawn_app_with(&[("SHORT_LINK_URL", LINK_BASE)]).await;
    let id = share_id(&open(&app).await);

    let error = refused(&app, "share/links", json!({ "share_id": id })).await;
    assert_eq!(invalid(&error), ("Recipients", "Add a recipient first."));

    add_recipient(&app, id, "Ada", "ada@example.com").await;
    add_recipient(&app, id, "Bob", "bob@example.com").await;
    let first = links(&generate_links(&app, id).await);
    let [(_, Some(ada)), (_, Some(bob))] = first.as_slice() else {
        panic!("both recipients have links: {first:?}");
    };
    assert_ne!(ada, bob);
    for link in [ada, bob] {
        let code = link
            .strip_prefix(&format!("{LINK_BASE}/l/"))
            .unwrap_or_else(|| panic!("{link}"));
        assert_eq!(code.len(), 16, "{link}");
        assert!(
            code.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{link}"
        );
    }

    assert_eq!(
        links(&generate_links(&app, id).await),
        first,
        "generating again changes nothing"
    );

    add_recipient(&app, id, "Cy", "cy@example.com").await;
    let after = links(&generate_links(&app, id).await);
    assert_eq!(after[..2], first[..], "existing links are kept");
    let cy = after[2].1.as_deref().expect("the new recipient has a link");
    assert!(cy != ada && cy != bob);
    assert_eq!(links(&current(&app, id).await), after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn link_codes_are_distinct_across_many_recipients_and_shares() {
    let app = spawn_app().await;
    let mut all = Vec::new();
    for _ in 0..4 {
        let id = share_id(&open(&app).await);
        for n in 0..50 {
            add_recipient(&app, id, &format!("R{n}"), &format!("r{n}@example.com")).await;
        }
        let share = generate_links(&app, id).await;
        // Its links are out, so the next open starts a new draft.
        all.extend(links(&share).into_iter().map(|(_, link)| link.unwrap()));
    }
    assert_eq!(all.len(), 200);
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(distinct.len(), 200, "every recipient has their own link");
    // Same-named recipients on different shares open their own share.
    let (status, html) = app.get_text(&path_of(&all[0])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(DEMO_TITLE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn removing_a_recipient_revokes_their_link_at_once() {
    let app = spawn_app().await;
    let (share, paths) = shared_with(&app, &["Ada", "Bob"]).await;
    let [ada, bob] = paths.as_slice() else {
        panic!("{paths:?}")
    };
    for path in [ada, bob] {
        assert_eq!(get(&app, path).await.status(), StatusCode::OK, "{path}");
    }

    let ada_id = share["recipients"][0]["id"].as_i64().unwrap();
    let share = ok(
        &app,
        "share/recipient/remove",
        json!({ "recipient_id": ada_id }),
    )
    .await;

    let (status, html) = app.get_text(ada).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("This link is not available"), "{html}");
    assert!(!html.contains(DEMO_TITLE));
    let video = get(&app, &format!("{ada}/video")).await;
    assert_eq!(video.status(), StatusCode::NOT_FOUND);

    assert_eq!(get(&app, bob).await.status(), StatusCode::OK);
    assert_eq!(
        get(&app, &format!("{bob}/video")).await.status(),
        StatusCode::OK
    );

    // Added again, Ada gets a new link; the old one stays dead.
    add_recipient(&app, share_id(&share), "Ada", "ada@example.com").await;
    let share = generate_links(&app, share_id(&share)).await;
    let new_ada = path_of(share["recipients"][1]["link"].as_str().unwrap());
    assert_ne!(&new_ada, ada);
    assert_eq!(get(&app, &new_ada).await.status(), StatusCode::OK);
    assert_eq!(get(&app, ada).await.status(), StatusCode::NOT_FOUND);
}

// ------------------------------------------------------------ the viewer

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_viewer_shows_title_sender_expiry_and_timed_comments() {
    let app = spawn_app().await;
    let id = share_id(&open(&app).await);
    ok(
        &app,
        "share/title",
        json!({ "share_id": id, "title": "Q3 review <script>alert(1)</script>" }),
    )
    .await;
    add_comment(&app, id, "Welcome & thanks", None).await;
    add_comment(&app, id, "Pricing is here", Some(10_000)).await;
    add_comment(&app, id, "<script>alert(2)</script>", Some(42_500)).await;
    let (share, paths) = shared_with(&app, &["Ada"]).await;

    let response = get(&app, &paths[0]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let html = response.text().await.unwrap();

    let title = "Q3 review &#60;script&#62;alert(1)&#60;/script&#62;";
    let escaped = |s: &str| {
        s.replace('&', "&#38;")
            .replace('<', "&#60;")
            .replace('>', "&#62;")
    };
    assert_eq!(escaped("Q3 review <script>alert(1)</script>"), title);
    assert!(html.contains(&format!("<title>{title}</title>")), "{html}");
    assert!(html.contains(&format!("<h1>{title}</h1>")), "{html}");
    assert!(html.contains("Shared by Demo Rep"), "{html}");
    let last_day = today().checked_add(29.days()).unwrap();
    assert!(
        html.contains(&format!("Available until {}", long_date(last_day))),
        "{html}"
    );
    assert_eq!(
        share["expiration"]["works_until"],
        format!("Link works until {}", long_date(last_day)),
        "the recipient sees the date the rep saw"
    );

    // The video plays without scripts, from the link's own URL.
    let video = format!(
        "<video controls preload=\"metadata\" playsinline src=\"{0}/video\" \
         poster=\"{0}/poster.jpg\" data-opened-url=\"{0}/opened\" data-watched-url=\"{0}/watched\">",
        paths[0]
    );
    assert!(html.contains(&video), "{html}");

    // Comments in timeline order, with times, seeking when clicked.
    let general = html
        .find("Welcome &#38; thanks")
        .expect("unstamped comment");
    let at_10 = html
        .find("<button type=\"button\" class=\"comment\" data-at=\"10\"")
        .expect("a stamped comment is a button");
    let at_42 = html
        .find("data-at=\"42.5\"")
        .expect("seconds keep their fraction");
    assert!(general < at_10 && at_10 < at_42, "{html}");
    assert!(html.contains("<span class=\"at\">0:10</span>"), "{html}");
    assert!(html.contains("<span class=\"at\">0:42</span>"), "{html}");
    assert!(html.contains("Pricing is here"));
    assert!(html.contains(&escaped("<script>alert(2)</script>")));

    // Nothing user-written became markup, and the page runs no inline code.
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("alert(1)</"), "{html}");
    assert!(!html.contains(" style="), "{html}");
    assert!(!html.contains("/pkg/"), "not the app's WebAssembly bundle");
    assert!(html.contains("<script src=\"/viewer.js\" defer></script>"));
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/viewer.css\">"));
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("<main>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn comments_past_an_hour_show_hours() {
    let app = spawn_app().await;
    let pool = db(&app).await;
    let id = share_id(&open(&app).await);
    // The demo recording is 45 s long; pretend it runs for two hours.
    sqlx::query("UPDATE recordings SET duration_ms = 7200000 WHERE id = $1")
        .bind(demo_recording(&app).await)
        .execute(&pool)
        .await
        .unwrap();
    add_comment(&app, id, "Deep in", Some(3_723_000)).await;
    let (_, paths) = shared_with(&app, &["Ada"]).await;
    let (_, html) = app.get_text(&paths[0]).await;
    assert!(html.contains("<span class=\"at\">1:02:03</span>"), "{html}");
    assert!(html.contains("data-at=\"3723\""), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_viewers_stylesheet_and_script_are_served() {
    let app = spawn_app().await;
    for (path, content_type, needle) in [
        ("/viewer.css", "text/css; charset=utf-8", "video"),
        (
            "/viewer.js",
            "text/javascript; charset=utf-8",
            "currentTime",
        ),
    ] {
        let response = get(&app, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], content_type);
        assert!(
            response.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("max-age="),
            "{path}"
        );
        assert!(response.text().await.unwrap().contains(needle), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_video_is_served_in_byte_ranges_while_the_link_is_valid() {
    let app = spawn_app().await;
    let (_, paths) = shared_with(&app, &["Ada"]).await;
    let video = format!("{}/video", paths[0]);
    let len = DEMO.len();

    let whole = get(&app, &video).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()[header::ACCEPT_RANGES], "bytes");
    assert_eq!(whole.headers()[header::CONTENT_TYPE], "video/webm");
    assert_eq!(whole.bytes().await.unwrap(), DEMO);

    let part = app
        .client
        .get(app.url(&video))
        .header(header::RANGE, "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()[header::CONTENT_RANGE],
        format!("bytes 1000-1999/{len}")
    );
    assert_eq!(part.bytes().await.unwrap(), &DEMO[1000..2000]);

    let beyond = app
        .client
        .get(app.url(&video))
        .header(header::RANGE, format!("bytes={}-", len + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    let head = app.client.head(app.url(&video)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[header::CONTENT_LENGTH], len.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_link_says_so_and_stops_the_video() {
    let app = spawn_app().await;
    let (share, paths) = shared_with(&app, &["Ada"]).await;
    let video = format!("{}/video", paths[0]);
    assert_eq!(get(&app, &video).await.status(), StatusCode::OK);

    expire_share(&app, share_id(&share)).await;

    let response = get(&app, &paths[0]).await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<h1>This recording link has expired</h1>"),
        "{html}"
    );
    assert!(!html.contains(DEMO_TITLE), "{html}");
    assert!(!html.contains("Demo Rep"), "{html}");
    assert!(!html.contains("<video"), "{html}");

    let response = app
        .client
        .get(app.url(&video))
        .header(header::RANGE, "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(
        !response.bytes().await.unwrap().starts_with(&DEMO[..4]),
        "no video bytes"
    );
    let head = app.client.head(app.url(&video)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::GONE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_links_are_not_available_and_reveal_nothing() {
    let app = spawn_app().await;
    shared_with(&app, &["Ada"]).await;
    for path in [
        "/l/AAAAAAAAAAAAAAAA",
        "/l/short",
        "/l/AAAAAAAAAAAAAAAA%3Cx%3E",
        "/l/AAAAAAAAAAAAAAAA/video",
        "/l/x/video",
    ] {
        let response = get(&app, path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.headers()["referrer-policy"], "no-referrer");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("This link is not available"),
            "{path}: {body}"
        );
        assert!(!body.contains(DEMO_TITLE), "{path}");
        assert!(!body.contains("Demo Rep"), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_days_over_a_leap_day_end_to_end() {
    let app = spawn_app().await;
    let id = share_id(&open(&app).await);
    let share = ok(
        &app,
        "share/expiration",
        json!({ "share_id": id, "preset": "Days60", "start_date": "2096-01-01", "end_date": null }),
    )
    .await;
    // January's 31 days and February's 29 make 60: it works through Feb 29.
    assert_eq!(
        share["expiration"]["works_until"],
        "Link works until Wed, Feb 29, 2096"
    );
    // It stops at midnight in New York (EST, UTC-5) at the start of March 1.
    let expires_at_ms: i64 = sqlx::query_scalar("SELECT expires_at_ms FROM shares WHERE id = $1")
        .bind(id)
        .fetch_one(&db(&app).await)
        .await
        .unwrap();
    assert_eq!(
        Timestamp::from_millisecond(expires_at_ms)
            .unwrap()
            .to_string(),
        "2096-03-01T05:00:00Z"
    );
    // The recipient sees the same last day.
    let (_, paths) = shared_with(&app, &["Ada"]).await;
    let (_, html) = app.get_text(&paths[0]).await;
    assert!(html.contains("Available until Wed, Feb 29, 2096"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guessing_link_codes_is_cut_off_per_client() {
    let app = spawn_app().await;
    let (_, paths) = shared_with(&app, &["Ada"]).await;
    let started = std::time::Instant::now();
    let mut statuses = Vec::new();
    for _ in 0..1000 {
        let code = app::link::LinkCode::random();
        statuses.push(get(&app, &format!("/l/{}", code.as_str())).await.status());
    }
    let elapsed = started.elapsed();
    let first_refusal = statuses
        .iter()
        .position(|s| *s == StatusCode::TOO_MANY_REQUESTS)
        .expect("guessing is cut off");
    assert!(
        first_refusal >= 20,
        "a burst of 20 misses is allowed: {first_refusal}"
    );
    assert!(
        statuses[..first_refusal]
            .iter()
            .all(|s| *s == StatusCode::NOT_FOUND)
    );
    // After the burst, one more miss every 3 s at most.
    let not_found = statuses
        .iter()
        .filter(|s| **s == StatusCode::NOT_FOUND)
        .count();
    assert!(
        not_found as u64 <= 20 + elapsed.as_secs() / 3 + 1,
        "{not_found} misses answered in {elapsed:?}"
    );
    let page = get(
        &app,
        &format!("/l/{}", app::link::LinkCode::random().as_str()),
    )
    .await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text().await.unwrap().contains("Too many tries"));

    // The link of someone else, on another address, still works; so does a
    // real link from the guessing address (only misses are limited).
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let response = other.get(app.url(&paths[0])).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let miss = other
        .get(app.url(&format!("/l/{}", app::link::LinkCode::random().as_str())))
        .send()
        .await
        .unwrap();
    assert_eq!(
        miss.status(),
        StatusCode::NOT_FOUND,
        "another client has its own allowance"
    );
    assert_eq!(get(&app, &paths[0]).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revoking_a_link_stops_a_video_already_streaming() {
    stream_is_cut_off_by(|app, share| {
        Box::pin(async move {
            let recipient = links(&share)[0].0.clone();
            let ada = by_recipient_id(app, share_id(&share), &recipient).await;
            ok(
                app,
                "shares/revoke",
                json!({ "share_id": share_id(&share), "recipient_id": ada }),
            )
            .await;
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_a_recording_stops_a_video_already_streaming() {
    stream_is_cut_off_by(|app, share| {
        Box::pin(async move {
            let recording = share["recording"]["id"].as_i64().unwrap();
            let deleted = delete_recording(app, recording).await;
            assert!(deleted.status().is_success(), "{}", deleted.status());
        })
    })
    .await;
}

type Cut = for<'a> fn(
    &'a TestApp,
    Value,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

/// A recipient's video is streaming when `cut` happens: the stream ends
/// before the file does.
async fn stream_is_cut_off_by(cut: Cut) {
    use futures::StreamExt;

    let app = spawn_app().await;
    let (share, paths) = shared_with(&app, &["Ada"]).await;
    // A long recording: the demo's file grown to 64 MB on disk.
    for file in app.media_files() {
        let mut bytes = std::fs::read(&file).unwrap();
        bytes.resize(64 << 20, 0);
        std::fs::write(&file, bytes).unwrap();
    }
    let response = get(&app, &format!("{}/video", paths[0])).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.bytes_stream();
    let mut received = 0usize;
    while received < (1 << 20) {
        received += body.next().await.unwrap().unwrap().len();
    }

    cut(&app, share).await;
    // Past the stream's next look at its link (every 3 s), reading on.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let mut ended_early = false;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(chunk) => received += chunk.len(),
            Err(_) => {
                ended_early = true;
                break;
            }
        }
    }
    assert!(ended_early, "the stream was cut off");
    assert!(received < 48 << 20, "{} MB came", received >> 20);
}

/// The id of `share`'s recipient with `email`.
async fn by_recipient_id(app: &TestApp, share: i64, email: &str) -> i64 {
    let activity = ok(app, "shares/activity", json!({ "share_id": share })).await;
    activity["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == email)
        .and_then(|r| r["id"].as_i64())
        .unwrap()
}
