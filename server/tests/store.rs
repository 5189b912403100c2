//! The store's contract, called directly (no HTTP) on a fresh database of
//! the backend under test (`TEST_DATABASE`), with a clock the tests move; and
//! the races the store's locking is there for, run as concurrent calls.

mod common;

use std::{collections::BTreeSet, sync::Arc};

use app::{
    clock::{Clock, ManualClock, SharedClock},
    domain::{
        CommentBody, CommentTime, Expiration, Listing, PAGE_SIZE, PageCursor, RecipientEmail,
        RecipientName, RecordingTitle, Search, Watched, ZoneName,
    },
    store::*,
};
use common::{Sandbox, api::connect};
use futures::future::join_all;
use jiff::{SignedDuration, Timestamp, civil::date, tz::TimeZone};
use sqlx::AnyPool;

/// A store on a fresh database, its clock, and a look into its tables.
struct Fixture {
    store: SharedStore,
    clock: Arc<ManualClock>,
    db: AnyPool,
    sandbox: Sandbox,
}

/// Noon UTC on the first of December 2026.
fn start() -> Timestamp {
    "2026-12-01T12:00:00Z".parse().unwrap()
}

async fn fixture() -> Fixture {
    let sandbox = Sandbox::new();
    let clock = ManualClock::starting_at(start());
    let shared: SharedClock = clock.clone();
    let store = server::store::open(sandbox.database_url(), shared)
        .await
        .unwrap();
    let db = connect(sandbox.database_url()).await;
    Fixture {
        store,
        clock,
        db,
        sandbox,
    }
}

/// An open of `recipient`'s link, reporting nothing about the browser.
fn an_open(recipient: RecipientId) -> NewOpen {
    NewOpen {
        recipient_id: recipient,
        reported_local: None,
        reported_zone: None,
        reported_offset_min: None,
        user_agent: None,
    }
}

fn name(s: &str) -> RecipientName {
    RecipientName::parse(s).unwrap()
}

fn email(s: &str) -> RecipientEmail {
    RecipientEmail::parse(s).unwrap()
}

impl Fixture {
    async fn rep(&self, address: &str) -> Rep {
        self.store
            .create_rep(NewRep {
                email: address.into(),
                name: name("Rep"),
                time_zone: None,
                password_hash: None,
            })
            .await
            .unwrap()
    }

    /// A recording of a minute, processed: ready, playing its original.
    async fn recording(&self, owner: RepId, title: &str) -> Recording {
        let original = MediaFile {
            key: format!("{}-{title}", owner.get()),
            content_type: "video/webm".into(),
            size_bytes: 1_000,
        };
        let recording = self
            .store
            .create_recording(NewRecording {
                owner_id: owner,
                title: RecordingTitle::parse(title).unwrap(),
                original: original.clone(),
                pending: None,
            })
            .await
            .unwrap();
        let ready = ProcessingStep::Ready {
            playable: original,
            duration_ms: 60_000,
        };
        assert!(
            self.store
                .record_processing(recording.id, ready, None)
                .await
                .unwrap()
        );
        self.store.recording(recording.id).await.unwrap().unwrap()
    }

    /// A draft share of `recording`, 30 days from today (UTC).
    async fn draft(&self, rep: RepId, recording: RecordingId) -> ShareId {
        let expiration =
            Expiration::default_from(self.clock.now().to_zoned_datetime(TimeZone::UTC).date());
        self.store
            .open_draft(NewShare {
                recording_id: recording,
                sender_id: rep,
                title: "A share".into(),
                expires_at: expiration.expires_at(&TimeZone::UTC),
                expiration,
                time_zone: "UTC".into(),
            })
            .await
            .unwrap()
    }

    /// A draft of a new recording with recipients `r1@…` to `rN@…`.
    async fn share_to(&self, rep: RepId, count: usize) -> ShareId {
        let recording = self.recording(rep, "Call").await;
        let share = self.draft(rep, recording.id).await;
        for n in 1..=count {
            assert!(
                self.store
                    .add_recipient(
                        rep,
                        share,
                        &name("R"),
                        &email(&format!("r{n}@example.com")),
                        500
                    )
                    .await
                    .unwrap()
                    == Addition::Added
            );
        }
        share
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.db).await.unwrap()
    }

    async fn recipients(&self, rep: RepId, share: ShareId) -> Vec<Recipient> {
        self.store
            .share_of(rep, share)
            .await
            .unwrap()
            .unwrap()
            .recipients
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reps_are_unique_by_email_and_found_by_it() {
    let f = fixture().await;
    let rep = f.rep("ada@example.com").await;
    let again = f
        .store
        .create_rep(NewRep {
            email: "ada@example.com".into(),
            name: name("Another"),
            time_zone: None,
            password_hash: None,
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(
        f.store.rep_by_email("ada@example.com").await.unwrap(),
        Some(rep.clone())
    );
    assert!(
        f.store
            .update_rep(
                rep.id,
                &name("Ada L"),
                &ZoneName::parse("Europe/Paris").unwrap()
            )
            .await
            .unwrap()
    );
    let changed = f.store.rep_by_id(rep.id).await.unwrap().unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.time_zone.as_deref()),
        ("Ada L", Some("Europe/Paris"))
    );
    // A new password ends the rep's sessions: their epoch moves on.
    assert_eq!(
        f.store
            .set_password_hash(rep.id, "$argon2id$x")
            .await
            .unwrap(),
        Some(rep.session_epoch + 1)
    );
    assert_eq!(
        f.store.end_sessions(rep.id).await.unwrap(),
        Some(rep.session_epoch + 2)
    );
    assert!(f.store.disable_rep("ada@example.com").await.unwrap());
    assert!(f.store.rep_by_id(rep.id).await.unwrap().unwrap().disabled);
    let (_, hash) = f
        .store
        .rep_credentials("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash.as_deref(), Some("$argon2id$x"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn recordings_are_listed_newest_first_and_only_to_their_owner() {
    let f = fixture().await;
    let (ada, bob) = (
        f.rep("ada@example.com").await,
        f.rep("bob@example.com").await,
    );
    let first = f.recording(ada.id, "First").await;
    f.clock.advance(SignedDuration::from_mins(5));
    let second = f.recording(ada.id, "Second").await;
    assert_eq!(second.created_at, start() + SignedDuration::from_mins(5));
    let listed: Vec<_> = f
        .store
        .recordings_of(ada.id, &Listing::default())
        .await
        .unwrap();
    assert_eq!(listed, vec![second.clone(), first.clone()]);
    assert_eq!(f.store.recording_of(bob.id, first.id).await.unwrap(), None);
    assert!(!f.store.delete_recording(bob.id, first.id).await.unwrap());

    assert!(f.store.delete_recording(ada.id, first.id).await.unwrap());
    assert_eq!(
        f.store
            .recordings_of(ada.id, &Listing::default())
            .await
            .unwrap(),
        vec![second]
    );
    // Its media is queued for deletion, due now.
    let now = f.clock.now();
    let jobs = f
        .store
        .claim_jobs(
            Queue::MediaDeletion,
            now,
            now + SignedDuration::from_secs(30),
            10,
        )
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    let deletion = PendingMedia(jobs[0].subject);
    let deletions = f.store.media_deletions(&[deletion]).await.unwrap();
    assert_eq!(
        deletions[&deletion],
        MediaDeletion {
            key: first.original_key.clone(),
            in_use: false
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stored_file_is_deleted_unless_its_recording_claims_it() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let later = f.clock.now() + SignedDuration::from_hours(1);
    let claimed = f
        .store
        .schedule_media_deletion("claimed.webm", later)
        .await
        .unwrap();
    let orphan = f
        .store
        .schedule_media_deletion("orphan.webm", later)
        .await
        .unwrap();
    f.store
        .create_recording(NewRecording {
            owner_id: ada.id,
            title: RecordingTitle::parse("Kept").unwrap(),
            original: MediaFile {
                key: "claimed.webm".into(),
                content_type: "video/webm".into(),
                size_bytes: 10,
            },
            pending: Some(claimed),
        })
        .await
        .unwrap();
    // Nothing is due before the hour is up; then only the orphan.
    let now = f.clock.now();
    assert!(
        f.store
            .claim_jobs(Queue::MediaDeletion, now, now, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let jobs = f
        .store
        .claim_jobs(Queue::MediaDeletion, later, later, 10)
        .await
        .unwrap();
    let subjects: Vec<PendingMedia> = jobs.iter().map(|job| PendingMedia(job.subject)).collect();
    assert_eq!(subjects, vec![orphan]);
    assert_eq!(
        f.store.media_deletions(&subjects).await.unwrap()[&orphan].key,
        "orphan.webm"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_draft_is_one_per_recording_until_its_links_are_out() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let recording = f.recording(ada.id, "Call").await;
    let draft = f.draft(ada.id, recording.id).await;
    assert_eq!(f.draft(ada.id, recording.id).await, draft);

    let stranger = f.rep("eve@example.com").await;
    for call in [
        f.store
            .set_share_title(stranger.id, draft, &RecordingTitle::parse("Mine").unwrap())
            .await
            .unwrap(),
        f.store
            .add_recipient(
                stranger.id,
                draft,
                &name("Eve"),
                &email("eve@example.com"),
                500,
            )
            .await
            .unwrap()
            == Addition::Added,
        f.store
            .create_missing_links(stranger.id, draft)
            .await
            .unwrap(),
    ] {
        assert!(!call, "another rep's share behaves as if it did not exist");
    }
    assert_eq!(f.store.send_share(stranger.id, draft).await.unwrap(), None);

    f.store
        .add_recipient(ada.id, draft, &name("Bo"), &email("bo@example.com"), 500)
        .await
        .unwrap();
    f.clock.advance(SignedDuration::from_mins(1));
    assert!(f.store.create_missing_links(ada.id, draft).await.unwrap());
    let sent = f.store.share_of(ada.id, draft).await.unwrap().unwrap();
    assert_eq!(sent.sent_at, Some(start() + SignedDuration::from_mins(1)));
    assert_ne!(f.draft(ada.id, recording.id).await, draft, "a new draft");
    let listed = f
        .store
        .sent_shares(ada.id, &Listing::default())
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), vec![draft]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shares_whose_links_came_before_they_counted_as_sent_are_listed_after_the_upgrade() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 2).await;
    f.clock.advance(SignedDuration::from_mins(5));
    assert!(f.store.create_missing_links(ada.id, share).await.unwrap());
    let other = f.recording(ada.id, "Other call").await;
    let untouched = f.draft(ada.id, other.id).await;
    // As an older version left it: links out, the share still a draft.
    sqlx::query("UPDATE shares SET sent_at_ms = NULL WHERE id = $1")
        .bind(share.get())
        .execute(&f.db)
        .await
        .unwrap();
    assert!(
        f.store
            .sent_shares(ada.id, &Listing::default())
            .await
            .unwrap()
            .is_empty()
    );

    let backend = if f.sandbox.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let upgrade = std::fs::read_to_string(format!(
        "{}/../migrations/{backend}/20261202000010_links_only_shares_sent.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    sqlx::raw_sql(&upgrade).execute(&f.db).await.unwrap();

    let listed = f
        .store
        .sent_shares(ada.id, &Listing::default())
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), vec![share]);
    let sent = f.store.share_of(ada.id, share).await.unwrap().unwrap();
    assert_eq!(
        sent.sent_at,
        Some(start() + SignedDuration::from_mins(5)),
        "as of its first link"
    );
    let draft = f.store.share_of(ada.id, untouched).await.unwrap().unwrap();
    assert_eq!(draft.sent_at, None, "a draft without links stays a draft");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn comments_come_unstamped_first_then_in_timeline_order() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let recording = f.recording(ada.id, "Call").await;
    let share = f.draft(ada.id, recording.id).await;
    for (body, at) in [
        ("at 30 s", Some(30_000)),
        ("no time", None),
        ("at 5 s", Some(5_000)),
    ] {
        let at = at.map(|ms| CommentTime::parse(ms, recording.duration_ms.unwrap()).unwrap());
        let body = CommentBody::parse(body).unwrap();
        assert!(f.store.add_comment(ada.id, share, &body, at).await.unwrap());
    }
    let comments = f
        .store
        .share_of(ada.id, share)
        .await
        .unwrap()
        .unwrap()
        .comments;
    let bodies: Vec<_> = comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(bodies, ["no time", "at 5 s", "at 30 s"]);
    let edited = CommentBody::parse("at five").unwrap();
    assert_eq!(
        f.store
            .edit_comment(ada.id, comments[1].id, &edited)
            .await
            .unwrap(),
        Some(share)
    );
    assert_eq!(
        f.store
            .delete_comment(ada.id, comments[0].id)
            .await
            .unwrap(),
        Some(share)
    );
    let stranger = f.rep("eve@example.com").await;
    assert_eq!(
        f.store
            .delete_comment(stranger.id, comments[1].id)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn links_open_the_share_until_revoked_removed_or_deleted() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 3).await;
    assert!(f.store.create_missing_links(ada.id, share).await.unwrap());
    let recipients = f.recipients(ada.id, share).await;
    let codes: Vec<_> = recipients
        .iter()
        .map(|r| r.link_code.clone().expect("a link each"))
        .collect();
    let distinct: BTreeSet<_> = codes.iter().map(|c| c.as_str()).collect();
    assert_eq!(distinct.len(), 3);

    let linked = f.store.linked_share(&codes[0]).await.unwrap().unwrap();
    assert_eq!(
        (linked.share_id, linked.recipient_id),
        (share, recipients[0].id)
    );

    // Revoked, removed: gone at once; the others still open.
    assert_eq!(
        f.store
            .revoke_links(ada.id, share, Some(recipients[0].id))
            .await
            .unwrap(),
        Some(1)
    );
    assert!(f.store.linked_share(&codes[0]).await.unwrap().is_none());
    assert_eq!(
        f.store
            .remove_recipient(ada.id, recipients[1].id)
            .await
            .unwrap(),
        Some(share)
    );
    assert!(f.store.linked_share(&codes[1]).await.unwrap().is_none());
    assert!(f.store.linked_share(&codes[2]).await.unwrap().is_some());

    // Generating again keeps the live link and makes none for the revoked one.
    assert!(f.store.create_missing_links(ada.id, share).await.unwrap());
    assert_eq!(
        f.recipients(ada.id, share).await[1].link_code.as_ref(),
        Some(&codes[2])
    );

    let recording = f
        .store
        .share_of(ada.id, share)
        .await
        .unwrap()
        .unwrap()
        .recording_id;
    f.store.delete_recording(ada.id, recording).await.unwrap();
    assert!(f.store.linked_share(&codes[2]).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sending_queues_one_email_per_recipient_and_jobs_follow_the_clock() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 3).await;
    assert_eq!(f.store.send_share(ada.id, share).await.unwrap(), Some(3));
    assert_eq!(f.store.send_share(ada.id, share).await.unwrap(), Some(0));

    let now = f.clock.now();
    assert_eq!(f.store.next_job_due(Queue::Email).await.unwrap(), Some(now));
    let until = now + SignedDuration::from_secs(30);
    let first = f
        .store
        .claim_jobs(Queue::Email, now, until, 2)
        .await
        .unwrap();
    let rest = f
        .store
        .claim_jobs(Queue::Email, now, until, 10)
        .await
        .unwrap();
    assert_eq!((first.len(), rest.len()), (2, 1));
    assert!(
        f.store
            .claim_jobs(Queue::Email, now, until, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let emails = f
        .store
        .emails_to_send(&first.iter().map(|j| EmailId(j.subject)).collect::<Vec<_>>())
        .await
        .unwrap();
    assert_eq!(emails.len(), 2);
    assert!(emails.values().all(|e| matches!(
        &e.facts,
        EmailFacts::Share(facts) if facts.link_code.is_some() && facts.title == "A share"
    )));

    // One done, one to retry in a minute, one whose worker died.
    f.store.jobs_done(&[first[0].id], now).await.unwrap();
    let retry_at = now + SignedDuration::from_mins(1);
    f.store
        .job_retry(first[1].id, retry_at, "4xx: try later")
        .await
        .unwrap();
    assert_eq!(
        f.store.next_job_due(Queue::Email).await.unwrap(),
        Some(until),
        "the dead worker's claim runs out first"
    );
    f.clock.set(until);
    let taken_over = f
        .store
        .claim_jobs(
            Queue::Email,
            until,
            until + SignedDuration::from_secs(30),
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        taken_over,
        vec![Job {
            id: rest[0].id,
            subject: rest[0].subject,
            attempts: 2
        }]
    );
    f.store
        .job_failed(taken_over[0].id, until, "550: no such mailbox")
        .await
        .unwrap();
    let retried = f
        .store
        .claim_jobs(
            Queue::Email,
            retry_at,
            retry_at + SignedDuration::from_secs(30),
            10,
        )
        .await
        .unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].attempts, 2);

    let states: Vec<_> = f
        .recipients(ada.id, share)
        .await
        .into_iter()
        .map(|r| r.delivery.unwrap().state)
        .collect();
    assert_eq!(
        states,
        [EmailState::Sent, EmailState::Sending, EmailState::Failed]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn opens_notify_the_first_time_then_at_most_hourly() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 1).await;
    f.store.create_missing_links(ada.id, share).await.unwrap();
    let recipient = f.recipients(ada.id, share).await[0].id;
    let open = || NewOpen {
        reported_zone: Some("Europe/Berlin".into()),
        reported_offset_min: Some(60),
        ..an_open(recipient)
    };
    let hour = SignedDuration::from_hours(1);
    let quiet_since = |clock: &ManualClock| Some(clock.now() - hour);
    assert!(
        f.store
            .record_open(open(), quiet_since(&f.clock))
            .await
            .unwrap()
    );
    f.clock.advance(SignedDuration::from_mins(59));
    assert!(
        !f.store
            .record_open(open(), quiet_since(&f.clock))
            .await
            .unwrap()
    );
    f.clock.advance(SignedDuration::from_mins(2));
    assert!(
        f.store
            .record_open(open(), quiet_since(&f.clock))
            .await
            .unwrap()
    );

    let activity = f
        .store
        .share_activity(ada.id, share)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(activity[0].opens, 3);
    assert_eq!(activity[0].first_open, Some(start()));
    assert_eq!(
        activity[0].last_open,
        Some(start() + SignedDuration::from_mins(61))
    );
    assert_eq!(
        f.count("SELECT COUNT(*) FROM emails WHERE kind = 'opened'")
            .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expiration_and_resend_follow_the_rules_of_the_shares_page() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 2).await;
    f.store.send_share(ada.id, share).await.unwrap();
    let recipients = f.recipients(ada.id, share).await;
    assert!(
        f.store
            .resend_share_email(ada.id, share, recipients[0].id)
            .await
            .unwrap()
    );
    f.store
        .revoke_links(ada.id, share, Some(recipients[1].id))
        .await
        .unwrap();
    assert!(
        !f.store
            .resend_share_email(ada.id, share, recipients[1].id)
            .await
            .unwrap(),
        "a revoked link gets no more email"
    );
    assert_eq!(f.count("SELECT COUNT(*) FROM emails").await, 3);
    assert_eq!(
        f.count("SELECT COUNT(*) FROM jobs WHERE queue = 'email'")
            .await,
        3
    );

    let ended = Expiration::from_stored(
        app::domain::ExpiryPreset::Custom,
        date(2026, 11, 1),
        Some(date(2026, 11, 15)),
    );
    let at = ended.expires_at(&TimeZone::UTC);
    assert!(
        f.store
            .set_share_expiration(ada.id, share, &ended, at)
            .await
            .unwrap()
    );
    let summary = &f.store.sent_share(ada.id, share).await.unwrap().unwrap();
    assert_eq!(summary.expires_at, at);
    assert_eq!((summary.recipients, summary.opens), (2, 0));
}

// ---------------------------------------------------------------- the races

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn sending_while_recipients_come_and_go_emails_each_current_recipient_once() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 10).await;
    let first_five: Vec<_> = f.recipients(ada.id, share).await[..5]
        .iter()
        .map(|r| r.id)
        .collect();
    let store = &f.store;
    let adds = (11..=30).map(|n| async move {
        store
            .add_recipient(
                ada.id,
                share,
                &name("R"),
                &email(&format!("r{n}@example.com")),
                500,
            )
            .await
            .map(|_| ())
    });
    let removes = first_five
        .iter()
        .map(|id| async move { store.remove_recipient(ada.id, *id).await.map(|_| ()) });
    let sends = (0..5).map(|_| async move { store.send_share(ada.id, share).await.map(|_| ()) });
    let mut calls: Vec<futures::future::BoxFuture<'_, StoreResult<()>>> = Vec::new();
    calls.extend(adds.map(|c| Box::pin(c) as _));
    calls.extend(removes.map(|c| Box::pin(c) as _));
    calls.extend(sends.map(|c| Box::pin(c) as _));
    for result in join_all(calls).await {
        result.unwrap();
    }
    // One more send after the dust settles reaches whoever was added last.
    store.send_share(ada.id, share).await.unwrap();

    let current = f.recipients(ada.id, share).await;
    assert_eq!(current.len(), 25);
    assert!(
        current.iter().all(|r| r.link_code.is_some()),
        "everyone has a link"
    );
    let per_recipient: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT r.id, COUNT(e.id) FROM recipients r LEFT JOIN emails e ON e.recipient_id = r.id \
         WHERE r.share_id = $1 AND r.removed_at_ms IS NULL GROUP BY r.id",
    )
    .bind(share.get())
    .fetch_all(&f.db)
    .await
    .unwrap();
    assert_eq!(per_recipient.len(), 25);
    assert!(
        per_recipient.iter().all(|(_, emails)| *emails == 1),
        "one email per current recipient: {per_recipient:?}"
    );
    assert_eq!(
        f.count("SELECT COUNT(*) FROM jobs WHERE queue = 'email'")
            .await,
        f.count("SELECT COUNT(*) FROM emails").await,
        "a job per email"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn opens_at_once_notify_once() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 1).await;
    f.store.create_missing_links(ada.id, share).await.unwrap();
    let recipient = f.recipients(ada.id, share).await[0].id;
    let quiet_since = f.clock.now() - SignedDuration::from_hours(1);
    let opens = (0..12).map(|_| f.store.record_open(an_open(recipient), Some(quiet_since)));
    let notified: Vec<bool> = join_all(opens)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(notified.iter().filter(|n| **n).count(), 1, "{notified:?}");
    assert_eq!(
        f.count("SELECT CAST(SUM(open_count) AS BIGINT) FROM opens")
            .await,
        12
    );
    assert_eq!(
        f.count("SELECT COUNT(*) FROM emails WHERE kind = 'opened'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn links_generated_twice_at_once_are_one_per_recipient() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 40).await;
    let generations = (0..6).map(|_| f.store.create_missing_links(ada.id, share));
    for made in join_all(generations).await {
        assert!(made.unwrap());
    }
    assert_eq!(f.count("SELECT COUNT(*) FROM links").await, 40);
    assert_eq!(
        f.count("SELECT COUNT(DISTINCT recipient_id) FROM links")
            .await,
        40
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn drafts_opened_at_once_are_one_draft() {
    // Two tabs opening the Share window of one recording at the same moment.
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let recording = f.recording(ada.id, "Call").await;
    let drafts = join_all((0..8).map(|_| f.draft(ada.id, recording.id))).await;
    assert!(drafts.iter().all(|draft| *draft == drafts[0]), "{drafts:?}");
    assert_eq!(f.count("SELECT COUNT(*) FROM shares").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn watch_reports_at_once_lose_no_stretch() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 1).await;
    let recipient = f.recipients(ada.id, share).await[0].id;
    // Twenty disjoint seconds of a minute, each reported on its own.
    let reports: Vec<Vec<Watched>> = (0..20)
        .map(|n| {
            vec![Watched {
                start_ms: n * 3_000,
                end_ms: n * 3_000 + 1_000,
            }]
        })
        .collect();
    let watching = reports.iter().map(|r| f.store.record_watch(recipient, r));
    for done in join_all(watching).await {
        done.unwrap();
    }
    let watched = &f
        .store
        .share_activity(ada.id, share)
        .await
        .unwrap()
        .unwrap()[0]
        .watched;
    assert_eq!(watched.len(), 20, "{watched:?}");
    assert_eq!(
        watched.iter().map(|w| w.end_ms - w.start_ms).sum::<i64>(),
        20_000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn workers_claiming_at_once_never_share_a_job() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 60).await;
    f.store.send_share(ada.id, share).await.unwrap();
    let now = f.clock.now();
    let until = now + SignedDuration::from_secs(30);
    let claims = (0..12).map(|_| f.store.claim_jobs(Queue::Email, now, until, 4));
    let mut claimed = Vec::new();
    // Several rounds, as busy workers do.
    for _ in 0..3 {
        for batch in join_all(claims.clone()).await {
            claimed.extend(batch.unwrap().into_iter().map(|job| job.id));
        }
    }
    let distinct: BTreeSet<_> = claimed.iter().collect();
    assert_eq!(distinct.len(), claimed.len(), "a job claimed twice");
    assert_eq!(claimed.len(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn additions_at_once_never_take_a_share_past_its_limit() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 0).await;
    let additions = (1..=12).map(|n| {
        let address = email(&format!("late{n}@example.com"));
        let store = f.store.clone();
        async move {
            store
                .add_recipient(ada.id, share, &name("Late"), &address, 5)
                .await
                .unwrap()
        }
    });
    let outcomes = join_all(additions).await;
    let added = outcomes.iter().filter(|o| **o == Addition::Added).count();
    let full = outcomes.iter().filter(|o| **o == Addition::Full).count();
    assert_eq!((added, full), (5, 7), "{outcomes:?}");
    assert_eq!(f.recipients(ada.id, share).await.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn opens_close_together_are_one_visit_and_visits_are_bounded() {
    let f = fixture().await;
    let ada = f.rep("ada@example.com").await;
    let share = f.share_to(ada.id, 1).await;
    f.store.create_missing_links(ada.id, share).await.unwrap();
    let recipient = f.recipients(ada.id, share).await[0].id;
    let open = || an_open(recipient);
    // Three opens a minute apart: one visit of three.
    for _ in 0..3 {
        f.store.record_open(open(), None).await.unwrap();
        f.clock.advance(SignedDuration::from_mins(1));
    }
    assert_eq!(f.count("SELECT COUNT(*) FROM opens").await, 1);
    // Then 300 opens an hour apart: the visits stop growing at a hundred.
    for _ in 0..300 {
        f.clock.advance(SignedDuration::from_hours(1));
        f.store.record_open(open(), None).await.unwrap();
    }
    assert_eq!(f.count("SELECT COUNT(*) FROM opens").await, 100);
    let activity = &f
        .store
        .share_activity(ada.id, share)
        .await
        .unwrap()
        .unwrap()[0];
    assert_eq!(activity.opens, 303, "every open is counted");
    assert_eq!(activity.first_open, Some(start()));
    assert_eq!(activity.last_open, Some(f.clock.now()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn long_lists_come_in_pages_that_rows_added_meanwhile_do_not_shift_and_search_finds_one() {
    let f = fixture().await;
    let (ada, bob) = (
        f.rep("ada@example.com").await,
        f.rep("bob@example.com").await,
    );
    let mut recordings = Vec::new();
    for n in 1..=PAGE_SIZE + 3 {
        recordings.push(f.recording(ada.id, &format!("Call {n}")).await);
        f.clock.advance(SignedDuration::from_secs(1));
    }
    f.recording(bob.id, "Call 1 of Bob").await;
    let search = |text: &str| Search::parse(text).unwrap();

    let first = f
        .store
        .recordings_of(ada.id, &Listing::default())
        .await
        .unwrap();
    assert_eq!(
        first.len(),
        PAGE_SIZE + 1,
        "a page and one more: there is a next page"
    );
    assert_eq!(first[0].title, format!("Call {}", PAGE_SIZE + 3));
    let last_shown = &first[PAGE_SIZE - 1];
    let after = Some(PageCursor {
        at_ms: last_shown.created_at.as_millisecond(),
        id: last_shown.id.get(),
    });
    // A recording uploaded meanwhile goes to the top, not into page two.
    f.recording(ada.id, "Call uploaded meanwhile").await;
    let second = f
        .store
        .recordings_of(
            ada.id,
            &Listing {
                search: None,
                after,
            },
        )
        .await
        .unwrap();
    let titles: Vec<_> = second.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["Call 3", "Call 2", "Call 1"]);

    // Search by title, whatever the case; `%` and `_` are letters.
    let found = f
        .store
        .recordings_of(
            ada.id,
            &Listing {
                search: search("call 1"),
                after: None,
            },
        )
        .await
        .unwrap();
    let mut titles: Vec<_> = found.iter().map(|r| r.title.clone()).collect();
    titles.sort();
    let mut expected = vec!["Call 1".to_string()];
    expected.extend((10..=19).map(|n| format!("Call {n}")));
    expected.sort();
    assert_eq!(titles, expected, "only Ada's");
    let none = f
        .store
        .recordings_of(
            ada.id,
            &Listing {
                search: search("call%"),
                after: None,
            },
        )
        .await
        .unwrap();
    assert!(none.is_empty());

    // Shares: by title, by its recording's title, by a current recipient.
    let share = f.share_to(ada.id, 2).await;
    assert!(f.store.create_missing_links(ada.id, share).await.unwrap());
    f.store
        .add_recipient(
            ada.id,
            share,
            &name("Quinn Byer"),
            &email("quinn@acme.example"),
            500,
        )
        .await
        .unwrap();
    let other_call = f.recording(ada.id, "Other call").await;
    let other = f.draft(ada.id, other_call.id).await;
    f.store
        .add_recipient(ada.id, other, &name("Ola"), &email("ola@example.com"), 500)
        .await
        .unwrap();
    assert!(f.store.create_missing_links(ada.id, other).await.unwrap());
    for (text, expected) in [
        ("QUINN", vec![share]),
        ("acme.example", vec![share]),
        ("call", vec![other, share]),
        ("nobody", vec![]),
    ] {
        let listed = f
            .store
            .sent_shares(
                ada.id,
                &Listing {
                    search: search(text),
                    after: None,
                },
            )
            .await
            .unwrap();
        let ids: Vec<_> = listed.iter().map(|s| s.id).collect();
        assert_eq!(ids, expected, "{text}");
    }
    let removed = f
        .store
        .share_activity(ada.id, share)
        .await
        .unwrap()
        .unwrap();
    let quinn = removed
        .iter()
        .find(|r| r.recipient.name == "Quinn Byer")
        .unwrap()
        .recipient
        .id;
    f.store.remove_recipient(ada.id, quinn).await.unwrap();
    let listed = f
        .store
        .sent_shares(
            ada.id,
            &Listing {
                search: search("quinn"),
                after: None,
            },
        )
        .await
        .unwrap();
    assert!(listed.is_empty(), "a removed recipient is not searched");
    assert_eq!(
        f.store
            .sent_share(ada.id, share)
            .await
            .unwrap()
            .unwrap()
            .recipients,
        2
    );
    assert_eq!(f.store.sent_share(bob.id, share).await.unwrap(), None);
}
