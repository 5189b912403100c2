//! The store: one body of SQL for SQLite and PostgreSQL, over sqlx's Any
//! driver. Queries use `$n` placeholders, which both backends read; the few
//! pieces that differ (row locks, JSON aggregation, random keys, how a
//! writing transaction starts) come from [`Dialect`], where they are
//! explained. Times come from the clock the store was given.

use std::{collections::HashMap, sync::Arc};

use app::{
    clock::SharedClock,
    domain::{
        CommentBody, CommentTime, Expiration, Listing, PAGE_SIZE, RecipientEmail, RecipientName,
        RecordingTitle, Search, Watched, ZoneName, merge_watched,
    },
    link::LinkCode,
    store::*,
};
use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};

use super::{
    dialect::{Dialect, placeholders},
    link_cache::{self, LinkCache, Lookup},
    rows::*,
};

pub struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
    clock: SharedClock,
    links: LinkCache,
}

const COMMENT_ORDER: &str = "ORDER BY at_ms IS NOT NULL, at_ms, id";
const SHARE_COLUMNS: &str = "id, recording_id, sender_id, title, expiry_preset, start_date, end_date, \
     time_zone, expires_at_ms, sent_at_ms, link_preview";
const MAILBOX_COLUMNS: &str = "id, to_address, subject, raw, text_body, html_body, delivered_at_ms";
const REP_COLUMNS: &str = "id, email, name, time_zone, session_epoch, disabled_at_ms";
/// A recording's columns, each prefixed by `rec.` (the alias every query
/// reading a recording gives its table).
const RECORDING_COLUMNS: &str = "rec.id, rec.owner_id, rec.title, rec.created_at_ms, \
     rec.duration_ms, rec.original_key, rec.media_key, rec.content_type, rec.size_bytes, \
     rec.state, rec.progress, rec.failure, rec.poster_key, rec.previews_key, rec.previews";
/// A sent share as the Shares page lists it, with its counts; the caller
/// adds the WHERE clause (shares `s`, recordings `rec`).
const SHARE_SUMMARY: &str = "SELECT s.id, s.recording_id, rec.title AS recording_title, \
     COALESCE(rec.duration_ms, 0) AS recording_duration_ms, s.title, s.expires_at_ms, \
     s.time_zone, s.sent_at_ms, \
     (SELECT COUNT(*) FROM recipients r WHERE r.share_id = s.id AND r.removed_at_ms IS NULL) AS recipients, \
     (SELECT CAST(COALESCE(SUM(o.open_count), 0) AS BIGINT) FROM opens o \
      JOIN recipients r ON r.id = o.recipient_id WHERE r.share_id = s.id) AS opens \
     FROM shares s JOIN recordings rec ON rec.id = s.recording_id";
/// Every column that names a file of a recording.
const RECORDING_KEYS: [&str; 4] = ["original_key", "media_key", "poster_key", "previews_key"];
/// The state of a recipient's latest share email: its job, joined to a
/// query over recipients `r`.
const LATEST_SHARE_EMAIL: &str = "LEFT JOIN jobs j ON j.queue = 'email' AND j.subject_id = \
     (SELECT MAX(e.id) FROM emails e WHERE e.recipient_id = r.id AND e.kind = 'share')";
/// Ids per statement in `IN (…)` lists: well under both backends' limits on
/// parameters.
const IDS_PER_STATEMENT: usize = 1000;
/// Links inserted per statement (three parameters each).
const LINKS_PER_STATEMENT: usize = 500;
/// Opens this close to the last one are part of the same visit.
const VISIT_GAP_MS: i64 = 5 * 60 * 1000;
/// Visits kept per recipient; the last one takes every later open.
const MAX_VISITS: i64 = 100;
/// How long a write waits to hear its own link-change notification back
/// (normally a millisecond or two) before it answers anyway.
const HEAR_BACK_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

/// What a link opens, in one statement and one row: every recipient's page
/// view and every range of their video asks, so no second round trip for
/// the recording or a row per comment.
fn linked_share_sql(dialect: Dialect) -> String {
    format!(
        "SELECT l.code, r.id AS recipient_id, r.name AS recipient_name, s.id AS share_id, \
         s.title AS share_title, rep.name AS sender_name, s.expires_at_ms, s.time_zone, \
         s.link_preview, {RECORDING_COLUMNS}, {} AS comments_json \
         FROM links l JOIN recipients r ON r.id = l.recipient_id \
         JOIN shares s ON s.id = r.share_id JOIN reps rep ON rep.id = s.sender_id \
         JOIN recordings rec ON rec.id = s.recording_id AND rec.owner_id = s.sender_id \
         AND rec.deleted_at_ms IS NULL \
         WHERE l.code = $1 AND l.revoked_at_ms IS NULL AND r.removed_at_ms IS NULL",
        dialect.comments_json("s.id")
    )
}

/// A page of an owner's recordings ($1), after the cursor ($2, $3), those
/// matching a search ($4): keyset paging on the (owner_id, created_at_ms,
/// id) index, so a later page costs what the first one does.
fn recordings_page_sql() -> String {
    format!(
        "SELECT {RECORDING_COLUMNS} FROM recordings rec \
         WHERE rec.owner_id = $1 AND rec.deleted_at_ms IS NULL \
         AND (CAST($2 AS BIGINT) IS NULL OR rec.created_at_ms < $2 \
              OR (rec.created_at_ms = $2 AND rec.id < $3)) \
         AND (CAST($4 AS TEXT) IS NULL OR LOWER(rec.title) LIKE $4 ESCAPE '\\') \
         ORDER BY rec.created_at_ms DESC, rec.id DESC LIMIT {}",
        PAGE_SIZE + 1
    )
}

/// A page of a sender's sent shares, as [`recordings_page_sql`], on the
/// (sender_id, sent_at_ms, id) index; a search matches the share's or its
/// recording's title, or a current recipient's name or email.
fn sent_shares_page_sql() -> String {
    format!(
        "{SHARE_SUMMARY} WHERE s.sender_id = $1 AND s.sent_at_ms IS NOT NULL \
         AND (CAST($2 AS BIGINT) IS NULL OR s.sent_at_ms < $2 \
              OR (s.sent_at_ms = $2 AND s.id < $3)) \
         AND (CAST($4 AS TEXT) IS NULL OR LOWER(s.title) LIKE $4 ESCAPE '\\' \
              OR LOWER(rec.title) LIKE $4 ESCAPE '\\' \
              OR EXISTS (SELECT 1 FROM recipients r WHERE r.share_id = s.id \
                 AND r.removed_at_ms IS NULL AND (LOWER(r.name) LIKE $4 ESCAPE '\\' \
                 OR LOWER(r.email) LIKE $4 ESCAPE '\\'))) \
         ORDER BY s.sent_at_ms DESC, s.id DESC LIMIT {}",
        PAGE_SIZE + 1
    )
}

/// One sent share ($1) of a sender ($2), as the list shows it.
fn sent_share_sql() -> String {
    format!("{SHARE_SUMMARY} WHERE s.id = $1 AND s.sender_id = $2 AND s.sent_at_ms IS NOT NULL")
}

/// The columns of [`share_activity_sql`]'s rows (named again for SQLite,
/// which builds each row's JSON object from them).
const SHARE_ACTIVITY_COLUMNS: &[&str] = &[
    "id",
    "name",
    "email",
    "watched",
    "code",
    "revoked_at_ms",
    "status",
    "attempts",
    "last_error",
    "opens",
    "first_open_ms",
    "last_open_ms",
];

/// A share's ($1) current recipients with their link, email and opens (the
/// share's opens summed per recipient in one pass, not three lookups each).
fn share_activity_sql(dialect: Dialect) -> String {
    let rows = format!(
        "SELECT r.id, r.name, r.email, r.watched, l.code, l.revoked_at_ms, \
         j.status, j.attempts, j.last_error, COALESCE(o.opens, 0) AS opens, \
         o.first_open_ms, o.last_open_ms \
         FROM recipients r LEFT JOIN links l ON l.recipient_id = r.id \
         LEFT JOIN (SELECT op.recipient_id, CAST(SUM(op.open_count) AS BIGINT) AS opens, \
             MIN(op.opened_at_ms) AS first_open_ms, MAX(op.last_at_ms) AS last_open_ms \
             FROM opens op JOIN recipients sr ON sr.id = op.recipient_id \
             WHERE sr.share_id = $1 GROUP BY op.recipient_id) AS o ON o.recipient_id = r.id \
         {LATEST_SHARE_EMAIL} \
         WHERE r.share_id = $1 AND r.removed_at_ms IS NULL ORDER BY r.id"
    );
    dialect
        .many_rows_as_json(SHARE_ACTIVITY_COLUMNS, &rows, "id")
        .unwrap_or(rows)
}

/// The current recipients of a share ($1), counted before one is added.
const CURRENT_RECIPIENTS_SQL: &str =
    "SELECT COUNT(*) FROM recipients WHERE share_id = $1 AND removed_at_ms IS NULL";
/// A recipient's ($1) latest visit, and how many they made.
const LATEST_VISIT_SQL: &str = "SELECT id, last_at_ms, (SELECT COUNT(*) FROM opens WHERE recipient_id = $1) \
     FROM opens WHERE recipient_id = $1 ORDER BY last_at_ms DESC, id DESC LIMIT 1";

/// Claims a queue's ($2) due jobs, at most $4 of them, until $1; due at $3
/// means queued to run by then, or running on a claim that ran out by then
/// (its process crashed). Each arm walks its own partial index in order and
/// stops after $4 rows, so a claim costs the same with a million jobs
/// waiting as with ten; an OR across the two indexes would collect and sort
/// every due job first. The few candidates are then taken oldest first.
/// On PostgreSQL each arm locks the rows it picks and skips those another
/// worker is claiming.
fn claim_jobs_sql(dialect: Dialect) -> String {
    let skip_locked = dialect.skip_locked();
    format!(
        "UPDATE jobs SET status = 'running', claimed_until_ms = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM ( \
             SELECT id, run_at_ms FROM (SELECT id, run_at_ms FROM jobs \
                 WHERE queue = $2 AND status = 'queued' AND run_at_ms <= $3 \
                 ORDER BY run_at_ms LIMIT $4{skip_locked}) AS due \
             UNION ALL \
             SELECT id, run_at_ms FROM (SELECT id, run_at_ms FROM jobs \
                 WHERE queue = $2 AND status = 'running' AND claimed_until_ms <= $3 \
                 ORDER BY claimed_until_ms LIMIT $4{skip_locked}) AS lapsed \
             ) AS candidates ORDER BY run_at_ms, id LIMIT $4) \
         RETURNING id, subject_id, attempts"
    )
}

/// The queries behind every link open, report, list page, share's activity
/// and job claim, by name: none may read a whole table or every row of two
/// indexes, however large the database grows (a test checks their plans).
pub fn hot_queries(dialect: Dialect) -> Vec<(&'static str, String)> {
    vec![
        ("link open", linked_share_sql(dialect)),
        ("recordings page", recordings_page_sql()),
        ("shares page", sent_shares_page_sql()),
        ("one sent share", sent_share_sql()),
        ("share activity", share_activity_sql(dialect)),
        (
            "recipients before adding one",
            CURRENT_RECIPIENTS_SQL.to_string(),
        ),
        ("latest visit of an open", LATEST_VISIT_SQL.to_string()),
        ("claiming jobs", claim_jobs_sql(dialect)),
    ]
}

impl SqlStore {
    /// The rows of `sql` (bound to `id`; on SQLite one JSON array of them,
    /// see [`Dialect::many_rows_as_json`]), each read by `read`.
    async fn fetch_many<T>(
        &self,
        conn: &mut AnyConnection,
        sql: &str,
        id: i64,
        read: impl Fn(&(dyn StoreRow + 'static)) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        match self.dialect {
            Dialect::Sqlite => {
                let json: String = sqlx::query_scalar(sql)
                    .bind(id)
                    .fetch_one(conn)
                    .await
                    .map_err(backend)?;
                let rows: Vec<JsonRow> = serde_json::from_str(&json)
                    .map_err(|e| StoreError::Backend(format!("unreadable rows: {e}")))?;
                rows.iter().map(|row| read(row)).collect()
            }
            Dialect::Postgres => {
                let rows = sqlx::query(sql)
                    .bind(id)
                    .fetch_all(conn)
                    .await
                    .map_err(backend)?;
                rows.iter().map(|row| read(row)).collect()
            }
        }
    }

    pub fn new(pool: AnyPool, dialect: Dialect, clock: SharedClock, links: LinkCache) -> Self {
        Self {
            pool,
            dialect,
            clock,
            links,
        }
    }

    /// A committed write may have changed what some link opens: this
    /// instance forgets its answers, and the others hear of it.
    async fn links_changed(&self) {
        self.links.changed();
        let Some(notifications) = self.links.notifications() else {
            return;
        };
        let (payload, heard) = notifications.announce();
        let notified = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(link_cache::CHANNEL)
            .bind(payload.as_str())
            .execute(&self.pool)
            .await;
        if let Err(error) = notified {
            // Other instances keep an old answer until their entries age out.
            tracing::error!(%error, "could not notify other instances of a link change");
            return;
        }
        // Answered once the others have been told too (see link_cache).
        if tokio::time::timeout(HEAR_BACK_WITHIN, heard).await.is_err() {
            tracing::warn!(
                "a link change was not heard back within {HEAR_BACK_WITHIN:?}; \
                 other instances may serve the old answer a moment longer"
            );
        }
    }

    /// What the link opens, from the database.
    async fn load_linked_share(&self, code: &LinkCode) -> StoreResult<Option<LinkedShare>> {
        let Some(row) = sqlx::query(&linked_share_sql(self.dialect))
            .bind(code.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        Ok(Some(LinkedShare {
            code: LinkCode::from_stored(row.text("code")),
            recipient_id: RecipientId(row.int("recipient_id")),
            recipient_name: row.text("recipient_name"),
            share_id: ShareId(row.int("share_id")),
            title: row.text("share_title"),
            sender_name: row.text("sender_name"),
            expires_at: instant(row.int("expires_at_ms")),
            time_zone: row.text("time_zone"),
            link_preview: row.flag("link_preview"),
            comments: comments_from_json(&row.text("comments_json"))?,
            recording: recording_from(&row)?,
        }))
    }

    /// The rows of a list page: `sql` takes the owner, the cursor and the
    /// search as `$1`…`$4` (see [`recordings_page_sql`]).
    async fn page_rows(
        &self,
        sql: &str,
        owner: i64,
        listing: &Listing,
    ) -> StoreResult<Vec<sqlx::any::AnyRow>> {
        sqlx::query(sql)
            .bind(owner)
            .bind(listing.after.map(|c| c.at_ms))
            .bind(listing.after.map(|c| c.id))
            .bind(listing.search.as_ref().map(Search::like_pattern))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }

    /// A transaction that writes (see [`Dialect::begin_write`]).
    ///
    /// Begun on a task of its own, so that it is never cancelled half-way:
    /// sqlx-sqlite acknowledges a custom `BEGIN` before it hands over the
    /// transaction, and a caller dropped in between (a client gone, a
    /// timeout) left the connection in the pool with its transaction open,
    /// holding SQLite's write lock for good ("database is locked" for every
    /// writer, "begin_with at non-zero transaction depth" on that
    /// connection). On its own task the begin ends in a `Transaction`, which
    /// rolls back when dropped if nobody is left to take it.
    async fn begin_write(&self) -> StoreResult<Transaction<'static, Any>> {
        let pool = self.pool.clone();
        let begin = self.dialect.begin_write();
        tokio::spawn(async move { pool.begin_with(begin).await })
            .await
            .map_err(|e| StoreError::Backend(format!("beginning a transaction: {e}")))?
            .map_err(backend)
    }

    /// Whether the sender owns the share; within a transaction on PostgreSQL
    /// its row then stays locked FOR UPDATE until the end. FOR UPDATE
    /// conflicts with the FOR KEY SHARE that adding or removing a recipient
    /// takes, so the share's recipients stay as they are meanwhile.
    async fn lock_own_share(
        &self,
        conn: &mut AnyConnection,
        sender: RepId,
        share: ShareId,
    ) -> StoreResult<bool> {
        let owned: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM shares WHERE id = $1 AND sender_id = $2{}",
            self.dialect.for_update()
        ))
        .bind(share.get())
        .bind(sender.get())
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
        Ok(owned.is_some())
    }

    /// Gives every current recipient of the share without a link a new one.
    /// The caller holds the share locked ([`Self::lock_own_share`]).
    async fn insert_missing_links(
        &self,
        conn: &mut AnyConnection,
        share: ShareId,
        now: i64,
    ) -> StoreResult<()> {
        // A collision of 95-bit random codes is next to impossible; the
        // primary key turns one into another round for that recipient, never
        // a shared link.
        for _round in 0..5 {
            let without_link: Vec<i64> = sqlx::query_scalar(
                "SELECT r.id FROM recipients r WHERE r.share_id = $1 AND r.removed_at_ms IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM links l WHERE l.recipient_id = r.id) ORDER BY r.id",
            )
            .bind(share.get())
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
            if without_link.is_empty() {
                return Ok(());
            }
            // Many rows per statement: a share to a thousand people is common.
            for chunk in without_link.chunks(LINKS_PER_STATEMENT) {
                let rows = (0..chunk.len())
                    .map(|i| format!("({})", placeholders(3 * i + 1, 3)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "INSERT INTO links (code, recipient_id, created_at_ms) VALUES {rows} \
                     ON CONFLICT (code) DO NOTHING"
                );
                let mut insert = sqlx::query(&sql);
                for recipient in chunk {
                    insert = insert
                        .bind(LinkCode::random().as_str().to_string())
                        .bind(*recipient)
                        .bind(now);
                }
                insert.execute(&mut *conn).await.map_err(backend)?;
            }
        }
        Err(StoreError::Backend(
            "could not find unused link codes".into(),
        ))
    }

    /// A share is sent once its links exist (emailed or handed out by the
    /// rep): from then on it is on the Shares page, and the window starts a
    /// new draft. The first time is kept.
    async fn mark_sent(
        &self,
        conn: &mut AnyConnection,
        share: ShareId,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE shares SET sent_at_ms = COALESCE(sent_at_ms, $1), updated_at_ms = $1 WHERE id = $2",
        )
        .bind(now)
        .bind(share.get())
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        Ok(())
    }

    /// Queues the deletion of media `key`, due at `at` (ms).
    async fn queue_media_deletion(
        &self,
        conn: &mut AnyConnection,
        key: &str,
        at: i64,
    ) -> StoreResult<PendingMedia> {
        let deletion: i64 = sqlx::query_scalar(
            "INSERT INTO media_deletions (media_key, created_at_ms) VALUES ($1, $2) RETURNING id",
        )
        .bind(key)
        .bind(self.now_ms())
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
        sqlx::query(
            "INSERT INTO jobs (queue, subject_id, run_at_ms, created_at_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(Queue::MediaDeletion.key())
        .bind(deletion)
        .bind(at)
        .bind(self.now_ms())
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        Ok(PendingMedia(deletion))
    }

    /// Takes back a scheduled deletion: a recording keeps the file now.
    async fn claim_media(
        &self,
        conn: &mut AnyConnection,
        pending: PendingMedia,
    ) -> StoreResult<()> {
        sqlx::query("DELETE FROM jobs WHERE queue = $1 AND subject_id = $2")
            .bind(Queue::MediaDeletion.key())
            .bind(pending.0)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        sqlx::query("DELETE FROM media_deletions WHERE id = $1")
            .bind(pending.0)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Queues the job that sends email `email`.
    async fn queue_email(&self, conn: &mut AnyConnection, email: i64, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO jobs (queue, subject_id, run_at_ms, created_at_ms) VALUES ($1, $2, $3, $3)",
        )
        .bind(Queue::Email.key())
        .bind(email)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn comments_of(&self, share: ShareId) -> StoreResult<Vec<Comment>> {
        let rows = sqlx::query(&format!(
            "SELECT id, body, at_ms FROM comments WHERE share_id = $1 {COMMENT_ORDER}"
        ))
        .bind(share.get())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.iter().map(comment_from).collect())
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn create_rep(&self, rep: NewRep) -> StoreResult<Rep> {
        let row = sqlx::query(&format!(
            "INSERT INTO reps (email, name, time_zone, password_hash, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {REP_COLUMNS}"
        ))
        .bind(&rep.email)
        .bind(rep.name.as_str())
        .bind(rep.time_zone.as_ref().map(|z| z.as_str().to_string()))
        .bind(&rep.password_hash)
        .bind(self.now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rep_from(&row))
    }

    async fn rep_by_email(&self, email: &str) -> StoreResult<Option<Rep>> {
        let row = sqlx::query(&format!("SELECT {REP_COLUMNS} FROM reps WHERE email = $1"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.as_ref().map(rep_from))
    }

    async fn rep_credentials(&self, email: &str) -> StoreResult<Option<(Rep, Option<String>)>> {
        let row = sqlx::query(&format!(
            "SELECT {REP_COLUMNS}, password_hash FROM reps WHERE email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.map(|row| (rep_from(&row), row.maybe_text("password_hash"))))
    }

    async fn set_password_hash(&self, rep: RepId, hash: &str) -> StoreResult<Option<i64>> {
        sqlx::query_scalar(
            "UPDATE reps SET password_hash = $1, session_epoch = session_epoch + 1 WHERE id = $2 \
             RETURNING session_epoch",
        )
        .bind(hash)
        .bind(rep.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)
    }

    async fn end_sessions(&self, rep: RepId) -> StoreResult<Option<i64>> {
        sqlx::query_scalar(
            "UPDATE reps SET session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch",
        )
        .bind(rep.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)
    }

    async fn disable_rep(&self, email: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE reps SET disabled_at_ms = COALESCE(disabled_at_ms, $1), \
             session_epoch = session_epoch + 1 WHERE email = $2",
        )
        .bind(self.now_ms())
        .bind(email)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn update_rep(
        &self,
        rep: RepId,
        name: &RecipientName,
        zone: &ZoneName,
    ) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE reps SET name = $1, time_zone = $2 WHERE id = $3")
            .bind(name.as_str())
            .bind(zone.as_str())
            .bind(rep.get())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.links_changed().await;
        Ok(true)
    }

    async fn rep_by_id(&self, id: RepId) -> StoreResult<Option<Rep>> {
        let row = sqlx::query(&format!("SELECT {REP_COLUMNS} FROM reps WHERE id = $1"))
            .bind(id.get())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.as_ref().map(rep_from))
    }

    async fn first_rep(&self) -> StoreResult<Option<Rep>> {
        let row = sqlx::query(&format!(
            "SELECT {REP_COLUMNS} FROM reps ORDER BY id LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.as_ref().map(rep_from))
    }

    async fn create_recording(&self, recording: NewRecording) -> StoreResult<Recording> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO recordings (owner_id, title, created_at_ms, original_key) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(recording.owner_id.get())
        .bind(recording.title.as_str())
        .bind(now)
        .bind(&recording.original.key)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(
            "INSERT INTO jobs (queue, subject_id, run_at_ms, created_at_ms) VALUES ($1, $2, $3, $3)",
        )
        .bind(Queue::Processing.key())
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        // The recording claims its media: its pending deletion is off.
        if let Some(pending) = recording.pending {
            self.claim_media(&mut tx, pending).await?;
        }
        let row = sqlx::query(&format!(
            "SELECT {RECORDING_COLUMNS} FROM recordings rec WHERE rec.id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        recording_from(&row)
    }

    async fn recording(&self, id: RecordingId) -> StoreResult<Option<Recording>> {
        let row = sqlx::query(&format!(
            "SELECT {RECORDING_COLUMNS} FROM recordings rec WHERE rec.id = $1 AND rec.deleted_at_ms IS NULL"
        ))
        .bind(id.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(recording_from).transpose()
    }

    async fn record_processing(
        &self,
        id: RecordingId,
        step: ProcessingStep,
        pending: Option<PendingMedia>,
    ) -> StoreResult<bool> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        // The files this step replaces (the recording's row, locked).
        let Some(before) = sqlx::query(&format!(
            "SELECT {RECORDING_COLUMNS} FROM recordings rec \
             WHERE rec.id = $1 AND rec.deleted_at_ms IS NULL{}",
            self.dialect.for_no_key_update()
        ))
        .bind(id.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        else {
            return Ok(false);
        };
        let before = recording_from(&before)?;
        let (update, replaced) = match &step {
            ProcessingStep::Probed { duration_ms } => (
                sqlx::query("UPDATE recordings SET duration_ms = $1 WHERE id = $2")
                    .bind(*duration_ms)
                    .bind(id.get()),
                None,
            ),
            ProcessingStep::Progress { percent } => (
                sqlx::query("UPDATE recordings SET progress = $1 WHERE id = $2 AND state = 'processing'")
                    .bind(i64::from((*percent).min(100)))
                    .bind(id.get()),
                None,
            ),
            ProcessingStep::Poster { key } => (
                sqlx::query("UPDATE recordings SET poster_key = $1 WHERE id = $2")
                    .bind(key.clone())
                    .bind(id.get()),
                before.poster_key.clone(),
            ),
            ProcessingStep::Ready {
                playable,
                duration_ms,
            } => (
                sqlx::query(
                    "UPDATE recordings SET state = 'ready', progress = 100, failure = NULL, \
                     media_key = $1, content_type = $2, size_bytes = $3, duration_ms = $4 WHERE id = $5",
                )
                .bind(playable.key.clone())
                .bind(playable.content_type.clone())
                .bind(playable.size_bytes)
                .bind(*duration_ms)
                .bind(id.get()),
                before.playable.map(|file| file.key),
            ),
            ProcessingStep::Previews(previews) => (
                sqlx::query("UPDATE recordings SET previews_key = $1, previews = $2 WHERE id = $3")
                    .bind(previews.key.clone())
                    .bind(
                        serde_json::to_string(&previews.layout)
                            .map_err(|e| StoreError::Backend(e.to_string()))?,
                    )
                    .bind(id.get()),
                before.previews.map(|p| p.key),
            ),
            ProcessingStep::Failed { reason } => (
                sqlx::query(
                    "UPDATE recordings SET state = 'failed', failure = $1 WHERE id = $2 AND state = 'processing'",
                )
                .bind(reason.clone())
                .bind(id.get()),
                None,
            ),
        };
        update.execute(&mut *tx).await.map_err(backend)?;
        if let Some(pending) = pending {
            self.claim_media(&mut tx, pending).await?;
        }
        // A file replaced goes, unless it is the original (always kept)
        // or the new file is the same.
        if let Some(old) = replaced.filter(|old| {
            *old != before.original_key
                && !matches!(&step, ProcessingStep::Ready { playable, .. } if playable.key == *old)
        }) {
            self.queue_media_deletion(&mut tx, &old, now).await?;
        }
        tx.commit().await.map_err(backend)?;
        // The viewer's page shows the recording's poster, length and
        // media; its progress is the rep's alone.
        if !matches!(step, ProcessingStep::Progress { .. }) {
            self.links_changed().await;
        }
        Ok(true)
    }

    async fn recordings_of(&self, owner: RepId, listing: &Listing) -> StoreResult<Vec<Recording>> {
        let rows = self
            .page_rows(&recordings_page_sql(), owner.get(), listing)
            .await?;
        rows.iter().map(recording_from).collect()
    }

    async fn recording_of(&self, owner: RepId, id: RecordingId) -> StoreResult<Option<Recording>> {
        let row = sqlx::query(&format!(
            "SELECT {RECORDING_COLUMNS} FROM recordings rec \
             WHERE rec.id = $1 AND rec.owner_id = $2 AND rec.deleted_at_ms IS NULL"
        ))
        .bind(id.get())
        .bind(owner.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(recording_from).transpose()
    }

    async fn delete_recording(&self, owner: RepId, id: RecordingId) -> StoreResult<bool> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query(&format!(
            "UPDATE recordings SET deleted_at_ms = $1 \
             WHERE id = $2 AND owner_id = $3 AND deleted_at_ms IS NULL RETURNING {}",
            RECORDING_KEYS.join(", ")
        ))
        .bind(now)
        .bind(id.get())
        .bind(owner.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(deleted) = deleted else {
            return Ok(false);
        };
        sqlx::query(
            "UPDATE links SET revoked_at_ms = $1 WHERE revoked_at_ms IS NULL AND recipient_id IN \
             (SELECT r.id FROM recipients r JOIN shares s ON s.id = r.share_id WHERE s.recording_id = $2)",
        )
        .bind(now)
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let mut keys: Vec<String> = RECORDING_KEYS
            .iter()
            .filter_map(|column| deleted.maybe_text(column))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            self.queue_media_deletion(&mut tx, &key, now).await?;
        }
        tx.commit().await.map_err(backend)?;
        self.links_changed().await;
        Ok(true)
    }

    async fn schedule_media_deletion(&self, key: &str, at: Timestamp) -> StoreResult<PendingMedia> {
        let mut tx = self.begin_write().await?;
        let deletion = self
            .queue_media_deletion(&mut tx, key, at.as_millisecond())
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(deletion)
    }

    async fn media_deletions(
        &self,
        ids: &[PendingMedia],
    ) -> StoreResult<HashMap<PendingMedia, MediaDeletion>> {
        let mut deletions = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let sql = format!(
                "SELECT d.id, d.media_key, EXISTS (SELECT 1 FROM recordings r \
                 WHERE r.deleted_at_ms IS NULL AND d.media_key IN (r.{})) AS in_use \
                 FROM media_deletions d WHERE d.id IN ({})",
                RECORDING_KEYS.join(", r."),
                placeholders(1, chunk.len())
            );
            let mut select = sqlx::query(&sql);
            for PendingMedia(id) in chunk {
                select = select.bind(*id);
            }
            for row in select.fetch_all(&self.pool).await.map_err(backend)? {
                deletions.insert(
                    PendingMedia(row.int("id")),
                    MediaDeletion {
                        key: row.text("media_key"),
                        in_use: row.flag("in_use"),
                    },
                );
            }
        }
        Ok(deletions)
    }

    async fn open_draft(&self, new: NewShare) -> StoreResult<ShareId> {
        // Insert unless a draft exists; the partial unique index decides
        // races: a second insert waits for the first to commit, then does
        // nothing (ON CONFLICT without a target covers partial unique
        // indexes too). The select that follows is a new statement, so it
        // sees that draft.
        sqlx::query(
            "INSERT INTO shares (recording_id, sender_id, title, expiry_preset, start_date, end_date, \
             time_zone, expires_at_ms, created_at_ms, updated_at_ms) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9 \
             WHERE EXISTS (SELECT 1 FROM recordings WHERE id = $1 AND owner_id = $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(new.recording_id.get())
        .bind(new.sender_id.get())
        .bind(&new.title)
        .bind(new.expiration.preset().key())
        .bind(new.expiration.start().to_string())
        .bind(new.expiration.end().map(|d| d.to_string()))
        .bind(&new.time_zone)
        .bind(new.expires_at.as_millisecond())
        .bind(self.now_ms())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM shares WHERE sender_id = $1 AND recording_id = $2 AND sent_at_ms IS NULL",
        )
        .bind(new.sender_id.get())
        .bind(new.recording_id.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        id.map(ShareId)
            .ok_or_else(|| StoreError::Backend("the draft share could not be created".into()))
    }

    async fn share_of(&self, sender: RepId, id: ShareId) -> StoreResult<Option<Share>> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {SHARE_COLUMNS} FROM shares WHERE id = $1 AND sender_id = $2"
        ))
        .bind(id.get())
        .bind(sender.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        else {
            return Ok(None);
        };
        let comments = self.comments_of(id).await?;
        let recipients = sqlx::query(&format!(
            "SELECT r.id, r.name, r.email, l.code, j.status, j.attempts, j.last_error FROM recipients r \
             LEFT JOIN links l ON l.recipient_id = r.id AND l.revoked_at_ms IS NULL \
             {LATEST_SHARE_EMAIL} \
             WHERE r.share_id = $1 AND r.removed_at_ms IS NULL ORDER BY r.id"
        ))
        .bind(id.get())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| Recipient {
            id: RecipientId(r.int("id")),
            name: r.text("name"),
            email: r.text("email"),
            link_code: r.maybe_text("code").map(LinkCode::from_stored),
            delivery: email_status_from(r),
        })
        .collect();
        Ok(Some(Share {
            id,
            recording_id: RecordingId(row.int("recording_id")),
            sender_id: RepId(row.int("sender_id")),
            title: row.text("title"),
            expiration: expiration_from(&row)?,
            time_zone: row.text("time_zone"),
            expires_at: instant(row.int("expires_at_ms")),
            sent_at: row.maybe_int("sent_at_ms").map(instant),
            link_preview: row.flag("link_preview"),
            comments,
            recipients,
        }))
    }

    async fn set_share_title(
        &self,
        sender: RepId,
        id: ShareId,
        title: &RecordingTitle,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE shares SET title = $1, updated_at_ms = $2 WHERE id = $3 AND sender_id = $4",
        )
        .bind(title.as_str())
        .bind(self.now_ms())
        .bind(id.get())
        .bind(sender.get())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.links_changed().await;
        Ok(true)
    }

    async fn set_share_expiration(
        &self,
        sender: RepId,
        id: ShareId,
        expiration: &Expiration,
        expires_at: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE shares SET expiry_preset = $1, start_date = $2, end_date = $3, expires_at_ms = $4, \
             updated_at_ms = $5 WHERE id = $6 AND sender_id = $7",
        )
        .bind(expiration.preset().key())
        .bind(expiration.start().to_string())
        .bind(expiration.end().map(|d| d.to_string()))
        .bind(expires_at.as_millisecond())
        .bind(self.now_ms())
        .bind(id.get())
        .bind(sender.get())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.links_changed().await;
        Ok(true)
    }

    async fn set_link_preview(&self, sender: RepId, id: ShareId, on: bool) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE shares SET link_preview = $1, updated_at_ms = $2 WHERE id = $3 AND sender_id = $4",
        )
        .bind(on)
        .bind(self.now_ms())
        .bind(id.get())
        .bind(sender.get())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.links_changed().await;
        Ok(true)
    }

    async fn add_comment(
        &self,
        sender: RepId,
        share: ShareId,
        body: &CommentBody,
        at: Option<CommentTime>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO comments (share_id, body, at_ms, created_at_ms) \
             SELECT id, $1, $2, $3 FROM shares WHERE id = $4 AND sender_id = $5",
        )
        .bind(body.as_str())
        .bind(at.map(CommentTime::ms))
        .bind(self.now_ms())
        .bind(share.get())
        .bind(sender.get())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.links_changed().await;
        Ok(true)
    }

    async fn edit_comment(
        &self,
        sender: RepId,
        comment: CommentId,
        body: &CommentBody,
    ) -> StoreResult<Option<ShareId>> {
        let share: Option<i64> = sqlx::query_scalar(
            "UPDATE comments SET body = $1 WHERE id = $2 \
             AND share_id IN (SELECT id FROM shares WHERE sender_id = $3) RETURNING share_id",
        )
        .bind(body.as_str())
        .bind(comment.get())
        .bind(sender.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        if share.is_some() {
            self.links_changed().await;
        }
        Ok(share.map(ShareId))
    }

    async fn delete_comment(
        &self,
        sender: RepId,
        comment: CommentId,
    ) -> StoreResult<Option<ShareId>> {
        let share: Option<i64> = sqlx::query_scalar(
            "DELETE FROM comments WHERE id = $1 \
             AND share_id IN (SELECT id FROM shares WHERE sender_id = $2) RETURNING share_id",
        )
        .bind(comment.get())
        .bind(sender.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        if share.is_some() {
            self.links_changed().await;
        }
        Ok(share.map(ShareId))
    }

    async fn add_recipient(
        &self,
        sender: RepId,
        share: ShareId,
        name: &RecipientName,
        email: &RecipientEmail,
        limit: usize,
    ) -> StoreResult<Addition> {
        let mut tx = self.begin_write().await?;
        // The share locked, so two additions at once cannot both take the
        // last place; the unique index turns a duplicate email into Conflict.
        if !self.lock_own_share(&mut tx, sender, share).await? {
            return Ok(Addition::NotFound);
        }
        let current: i64 = sqlx::query_scalar(CURRENT_RECIPIENTS_SQL)
            .bind(share.get())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        if current >= i64::try_from(limit).unwrap_or(i64::MAX) {
            return Ok(Addition::Full);
        }
        sqlx::query(
            "INSERT INTO recipients (share_id, name, email, created_at_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(share.get())
        .bind(name.as_str())
        .bind(email.as_str())
        .bind(self.now_ms())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Addition::Added)
    }

    async fn remove_recipient(
        &self,
        sender: RepId,
        recipient: RecipientId,
    ) -> StoreResult<Option<ShareId>> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        // The share FOR KEY SHARE first, as in add_recipient: a link being
        // generated for this recipient at this moment (under FOR UPDATE) is
        // committed before we look, so it is revoked below, never left live.
        sqlx::query(&format!(
            "SELECT s.id FROM recipients r JOIN shares s ON s.id = r.share_id \
             WHERE r.id = $1 AND s.sender_id = $2{}",
            self.dialect.for_key_share_of("s")
        ))
        .bind(recipient.get())
        .bind(sender.get())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let share: Option<i64> = sqlx::query_scalar(
            "UPDATE recipients SET removed_at_ms = $1 WHERE id = $2 AND removed_at_ms IS NULL \
             AND share_id IN (SELECT id FROM shares WHERE sender_id = $3) RETURNING share_id",
        )
        .bind(now)
        .bind(recipient.get())
        .bind(sender.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if share.is_some() {
            sqlx::query(
                "UPDATE links SET revoked_at_ms = $1 WHERE recipient_id = $2 AND revoked_at_ms IS NULL",
            )
            .bind(now)
            .bind(recipient.get())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        if share.is_some() {
            self.links_changed().await;
        }
        Ok(share.map(ShareId))
    }

    async fn create_missing_links(&self, sender: RepId, share: ShareId) -> StoreResult<bool> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        // The share stays locked FOR UPDATE until commit: a second
        // generation waits, then finds every recipient linked (no second
        // link, no unique violation on links.recipient_id).
        if !self.lock_own_share(&mut tx, sender, share).await? {
            return Ok(false);
        }
        self.insert_missing_links(&mut tx, share, now).await?;
        self.mark_sent(&mut tx, share, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn linked_share(&self, code: &LinkCode) -> StoreResult<Option<Arc<LinkedShare>>> {
        let ticket = match self.links.lookup(code.as_str()) {
            Lookup::Hit(answer) => return Ok(Some(answer)),
            Lookup::Miss(ticket) => ticket,
        };
        let load = || async { Ok(self.load_linked_share(code).await?.map(Arc::new)) };
        let answer = match ticket.flight() {
            Some(flight) => flight.get_or_init(load).await.clone(),
            None => load().await,
        };
        // Only answers are kept: an unknown code asked again asks again
        // (misses are throttled per client instead), so guessing cannot fill memory.
        self.links.keep(
            code.as_str(),
            ticket,
            answer.as_ref().ok().and_then(Option::as_ref),
        );
        answer
    }
    async fn send_share(&self, sender: RepId, share: ShareId) -> StoreResult<Option<usize>> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        // The share locked FOR UPDATE until commit serialises Send Email(s)
        // with itself and with link generation, and waits out (then blocks)
        // recipients being added or removed: every recipient queued below
        // has its link, and a second send at once queues nothing.
        if !self.lock_own_share(&mut tx, sender, share).await? {
            return Ok(None);
        }
        self.insert_missing_links(&mut tx, share, now).await?;
        self.mark_sent(&mut tx, share, now).await?;
        // The partial unique index skips recipients emailed before (and
        // would stop a duplicate even without the lock).
        let queued = sqlx::query(&format!(
            "INSERT INTO emails (kind, recipient_id, message_key, created_at_ms) \
             SELECT 'share', r.id, {}, $1 FROM recipients r \
             WHERE r.share_id = $2 AND r.removed_at_ms IS NULL ORDER BY r.id \
             ON CONFLICT DO NOTHING",
            self.dialect.new_message_key()
        ))
        .bind(now)
        .bind(share.get())
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        sqlx::query(
            "INSERT INTO jobs (queue, subject_id, run_at_ms, created_at_ms) \
             SELECT $1, e.id, $2, $2 FROM emails e JOIN recipients r ON r.id = e.recipient_id \
             WHERE r.share_id = $3 AND e.kind = 'share' \
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.queue = $1 AND j.subject_id = e.id) \
             ORDER BY e.id",
        )
        .bind(Queue::Email.key())
        .bind(now)
        .bind(share.get())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(queued as usize))
    }

    async fn record_open(
        &self,
        open: NewOpen,
        quiet_since: Option<Timestamp>,
    ) -> StoreResult<bool> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        // Two opens at once are judged one after the other: SQLite's writer
        // lock does it, and on PostgreSQL the recipient's row, locked first:
        // a second open waits until the first commits, then its check sees
        // the first's notification. FOR NO KEY UPDATE does not hold up
        // inserts naming the recipient (a Send Email(s) at the same time).
        sqlx::query(&format!(
            "SELECT id FROM recipients WHERE id = $1{}",
            self.dialect.for_no_key_update()
        ))
        .bind(open.recipient_id.get())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        // An open soon after the last one is the same visit; past the
        // recipient's most visits, the last visit takes every later open.
        let latest: Option<(i64, i64, i64)> = sqlx::query_as(LATEST_VISIT_SQL)
            .bind(open.recipient_id.get())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        let open_id: i64 = match latest {
            Some((visit, last_at, visits))
                if now - last_at <= VISIT_GAP_MS || visits >= MAX_VISITS =>
            {
                sqlx::query(
                    "UPDATE opens SET open_count = open_count + 1, last_at_ms = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(visit)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                visit
            }
            _ => sqlx::query_scalar(
                "INSERT INTO opens (recipient_id, opened_at_ms, last_at_ms, reported_local, \
                 reported_zone, reported_offset_min, user_agent) \
                 VALUES ($1, $2, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(open.recipient_id.get())
            .bind(now)
            .bind(&open.reported_local)
            .bind(&open.reported_zone)
            .bind(open.reported_offset_min)
            .bind(&open.user_agent)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?,
        };
        let Some(quiet_since) = quiet_since else {
            tx.commit().await.map_err(backend)?;
            return Ok(false);
        };
        let email: Option<i64> = sqlx::query_scalar(&format!(
            "INSERT INTO emails (kind, recipient_id, open_id, message_key, created_at_ms) \
             SELECT 'opened', $1, $2, {}, $3 \
             WHERE NOT EXISTS (SELECT 1 FROM emails WHERE kind = 'opened' AND recipient_id = $1 \
             AND created_at_ms >= $4) RETURNING id",
            self.dialect.new_message_key()
        ))
        .bind(open.recipient_id.get())
        .bind(open_id)
        .bind(now)
        .bind(quiet_since.as_millisecond())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if let Some(email) = email {
            self.queue_email(&mut tx, email, now).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(email.is_some())
    }

    async fn sent_shares(
        &self,
        sender: RepId,
        listing: &Listing,
    ) -> StoreResult<Vec<ShareSummary>> {
        let rows = self
            .page_rows(&sent_shares_page_sql(), sender.get(), listing)
            .await?;
        Ok(rows.iter().map(share_summary_from).collect())
    }

    async fn sent_share(&self, sender: RepId, id: ShareId) -> StoreResult<Option<ShareSummary>> {
        let row = sqlx::query(&sent_share_sql())
            .bind(id.get())
            .bind(sender.get())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.as_ref().map(share_summary_from))
    }

    async fn share_activity(
        &self,
        sender: RepId,
        share: ShareId,
    ) -> StoreResult<Option<Vec<RecipientActivity>>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let owned: Option<i64> =
            sqlx::query_scalar("SELECT id FROM shares WHERE id = $1 AND sender_id = $2")
                .bind(share.get())
                .bind(sender.get())
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
        if owned.is_none() {
            return Ok(None);
        }
        self.fetch_many(
            &mut conn,
            &share_activity_sql(self.dialect),
            share.get(),
            recipient_activity_from,
        )
        .await
        .map(Some)
    }

    async fn record_watch(&self, recipient: RecipientId, ranges: &[Watched]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // The recipient's row, locked: two reports are merged one after the
        // other, never both from the same old value.
        let known: Option<String> = sqlx::query_scalar(&format!(
            "SELECT watched FROM recipients WHERE id = $1{}",
            self.dialect.for_update()
        ))
        .bind(recipient.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(known) = known else {
            return Ok(());
        };
        let merged = merge_watched(&watched_from_json(&known)?, ranges);
        sqlx::query("UPDATE recipients SET watched = $1 WHERE id = $2")
            .bind(watched_to_json(&merged))
            .bind(recipient.get())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn revoke_links(
        &self,
        sender: RepId,
        share: ShareId,
        recipient: Option<RecipientId>,
    ) -> StoreResult<Option<usize>> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        if !self.lock_own_share(&mut tx, sender, share).await? {
            return Ok(None);
        }
        let revoked = match recipient {
            Some(recipient) => {
                let theirs: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM recipients WHERE id = $1 AND share_id = $2 AND removed_at_ms IS NULL",
                )
                .bind(recipient.get())
                .bind(share.get())
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                if theirs.is_none() {
                    return Ok(None);
                }
                sqlx::query(
                    "UPDATE links SET revoked_at_ms = $1 WHERE recipient_id = $2 AND revoked_at_ms IS NULL",
                )
                .bind(now)
                .bind(recipient.get())
                .execute(&mut *tx)
                .await
            }
            None => {
                sqlx::query(
                    "UPDATE links SET revoked_at_ms = $1 WHERE revoked_at_ms IS NULL \
                     AND recipient_id IN (SELECT id FROM recipients WHERE share_id = $2)",
                )
                .bind(now)
                .bind(share.get())
                .execute(&mut *tx)
                .await
            }
        }
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        self.links_changed().await;
        Ok(Some(revoked.rows_affected() as usize))
    }

    async fn resend_share_email(
        &self,
        sender: RepId,
        share: ShareId,
        recipient: RecipientId,
    ) -> StoreResult<bool> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        if !self.lock_own_share(&mut tx, sender, share).await? {
            return Ok(false);
        }
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT r.id FROM recipients r JOIN links l ON l.recipient_id = r.id AND l.revoked_at_ms IS NULL \
             WHERE r.id = $1 AND r.share_id = $2 AND r.removed_at_ms IS NULL",
        )
        .bind(recipient.get())
        .bind(share.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if live.is_none() {
            return Ok(false);
        }
        // Each resend takes the next number: the unique index allows it.
        let email: i64 = sqlx::query_scalar(&format!(
            "INSERT INTO emails (kind, recipient_id, message_key, created_at_ms, resend) \
             SELECT 'share', $1, {}, $2, COALESCE(MAX(resend), 0) + 1 \
             FROM emails WHERE recipient_id = $1 AND kind = 'share' RETURNING id",
            self.dialect.new_message_key()
        ))
        .bind(recipient.get())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        self.queue_email(&mut tx, email, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn claim_jobs(
        &self,
        queue: Queue,
        now: Timestamp,
        claim_until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Job>> {
        // One statement: SQLite runs it under its write lock; on PostgreSQL
        // a row claimed and committed by another worker since this
        // statement began is re-checked when locked and no longer matches.
        // Either way no two workers claim the same job.
        let rows = sqlx::query(&claim_jobs_sql(self.dialect))
            .bind(claim_until.as_millisecond())
            .bind(queue.key())
            .bind(now.as_millisecond())
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut jobs: Vec<Job> = rows.iter().map(job_from).collect();
        jobs.sort_by_key(|job| job.id);
        Ok(jobs)
    }

    async fn extend_job_claim(&self, job: &Job, until: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET claimed_until_ms = $1 WHERE id = $2 AND status = 'running' AND attempts = $3",
        )
        .bind(until.as_millisecond())
        .bind(job.id.get())
        .bind(job.attempts)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn job_released(&self, job: &Job, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET status = 'queued', run_at_ms = $1, claimed_until_ms = NULL, \
             attempts = attempts - 1 WHERE id = $2 AND status = 'running' AND attempts = $3",
        )
        .bind(now.as_millisecond())
        .bind(job.id.get())
        .bind(job.attempts)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn next_job_due(&self, queue: Queue) -> StoreResult<Option<Timestamp>> {
        // Two arms, each served by its partial index, so the done jobs
        // (most of the table) are never read.
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(due) FROM ( \
                 SELECT MIN(run_at_ms) AS due FROM jobs WHERE queue = $1 AND status = 'queued' \
                 UNION ALL \
                 SELECT MIN(claimed_until_ms) AS due FROM jobs WHERE queue = $1 AND status = 'running' \
             ) AS next",
        )
        .bind(queue.key())
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(due.map(instant))
    }

    async fn jobs_done(&self, ids: &[JobId], at: Timestamp) -> StoreResult<()> {
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let sql = format!(
                "UPDATE jobs SET status = 'done', finished_at_ms = $1, claimed_until_ms = NULL, \
                 last_error = NULL WHERE id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut update = sqlx::query(&sql).bind(at.as_millisecond());
            for id in chunk {
                update = update.bind(id.get());
            }
            update.execute(&self.pool).await.map_err(backend)?;
        }
        Ok(())
    }

    async fn job_retry(&self, id: JobId, at: Timestamp, error: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET status = 'queued', run_at_ms = $1, claimed_until_ms = NULL, last_error = $2 \
             WHERE id = $3 AND status = 'running'",
        )
        .bind(at.as_millisecond())
        .bind(error)
        .bind(id.get())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn job_failed(&self, id: JobId, at: Timestamp, error: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET status = 'failed', claimed_until_ms = NULL, last_error = $1, \
             finished_at_ms = $2 WHERE id = $3 AND status = 'running'",
        )
        .bind(error)
        .bind(at.as_millisecond())
        .bind(id.get())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn emails_to_send(&self, ids: &[EmailId]) -> StoreResult<HashMap<EmailId, EmailToSend>> {
        let mut emails = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let sql = format!(
                "SELECT e.id, e.kind, e.message_key, r.name, r.email, \
                 CASE WHEN r.removed_at_ms IS NULL THEN l.code END AS code, \
                 s.title, s.expires_at_ms, s.time_zone, rep.name AS sender_name, \
                 rep.email AS sender_email, COALESCE(rep.time_zone, s.time_zone) AS sender_zone, \
                 (SELECT COUNT(*) FROM comments c WHERE c.share_id = s.id) AS comment_count, \
                 o.last_at_ms AS opened_at_ms, o.reported_zone, o.reported_offset_min, \
                 rec.poster_key IS NOT NULL AS has_poster \
                 FROM emails e JOIN recipients r ON r.id = e.recipient_id \
                 JOIN shares s ON s.id = r.share_id JOIN reps rep ON rep.id = s.sender_id \
                 JOIN recordings rec ON rec.id = s.recording_id \
                 LEFT JOIN links l ON l.recipient_id = r.id AND l.revoked_at_ms IS NULL \
                 LEFT JOIN opens o ON o.id = e.open_id \
                 WHERE e.id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut select = sqlx::query(&sql);
            for id in chunk {
                select = select.bind(id.get());
            }
            for row in select.fetch_all(&self.pool).await.map_err(backend)? {
                if let Some(email) = email_to_send_from(&row)? {
                    emails.insert(email.id, email);
                }
            }
        }
        Ok(emails)
    }

    async fn deliver_to_mailbox(
        &self,
        job: JobId,
        email: EmailId,
        message: &MailboxMessage,
        at: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // Two workers delivering the same email (a claim ran out): the
        // second insert waits for the first to commit, then does nothing.
        sqlx::query(
            "INSERT INTO mailbox (email_id, to_address, subject, raw, text_body, html_body, delivered_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (email_id) DO NOTHING",
        )
        .bind(email.get())
        .bind(&message.to)
        .bind(&message.subject)
        .bind(&message.raw)
        .bind(&message.text)
        .bind(&message.html)
        .bind(at.as_millisecond())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(
            "UPDATE jobs SET status = 'done', finished_at_ms = $1, claimed_until_ms = NULL, \
             last_error = NULL WHERE id = $2",
        )
        .bind(at.as_millisecond())
        .bind(job.get())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn mailbox(&self) -> StoreResult<Vec<MailboxEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {MAILBOX_COLUMNS} FROM mailbox ORDER BY delivered_at_ms DESC, id DESC"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.iter().map(mailbox_entry_from).collect())
    }

    async fn mailbox_message(&self, id: MailboxId) -> StoreResult<Option<MailboxEntry>> {
        let row = sqlx::query(&format!(
            "SELECT {MAILBOX_COLUMNS} FROM mailbox WHERE id = $1"
        ))
        .bind(id.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.as_ref().map(mailbox_entry_from))
    }
}
