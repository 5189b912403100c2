//! The store on PostgreSQL: one database shared by any number of server
//! processes. It behaves exactly as the SQLite store (sqlite.rs, which this
//! file follows method by method); where SQLite's single writer made a
//! decision race-free for free, a row lock or a unique index does it here,
//! and each such method says which.
//!
//! Transactions run at READ COMMITTED (set for every connection in
//! [`PostgresStore::open`]): after a transaction waited for a row lock, each
//! of its later statements sees what the lock's previous holder committed.

use std::{collections::HashMap, str::FromStr};

use super::rows::*;
use app::{
    domain::{Expiration, Watched},
    store::*,
};
use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::{
    PgConnection, PgPool, Row,
    postgres::{PgConnectOptions, PgPoolOptions},
};

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// The connection pool, for the session store that shares the database.
    pub fn pool(&self) -> PgPool {
        self.pool.clone()
    }
}

impl PostgresStore {
    pub async fn open(database_url: &str) -> anyhow::Result<Self> {
        // The locking below relies on READ COMMITTED (PostgreSQL's default),
        // so a server-wide default of another level must not apply here.
        // Options are space-separated, hence the escaped space.
        let options = PgConnectOptions::from_str(database_url)?
            .options([("default_transaction_isolation", r"read\ committed")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await?;
        // sqlx holds an advisory lock while migrating, so processes starting
        // together apply each migration once.
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}

// `at_ms IS NOT NULL` is a boolean here (an integer in SQLite); false sorts
// before true as 0 before 1, so unstamped comments still come first.
const COMMENT_ORDER: &str = "ORDER BY at_ms IS NOT NULL, at_ms, id";
const SHARE_COLUMNS: &str = "id, recording_id, sender_id, title, expiry_preset, start_date, end_date, \
     time_zone, expires_at_ms, sent_at_ms";

const MAILBOX_COLUMNS: &str = "id, to_address, subject, raw, text_body, html_body, delivered_at_ms";
const REP_COLUMNS: &str = "id, email, name, time_zone";
const RECORDING_COLUMNS: &str =
    "id, owner_id, title, created_at_ms, duration_ms, media_key, content_type, size_bytes";

#[async_trait]
impl Store for PostgresStore {
    async fn create_rep(&self, rep: NewRep) -> StoreResult<Rep> {
        let row = sqlx::query(&format!(
            "INSERT INTO reps (email, name, time_zone, password_hash, created_at_ms) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {REP_COLUMNS}"
        ))
        .bind(&rep.email)
        .bind(&rep.name)
        .bind(&rep.time_zone)
        .bind(&rep.password_hash)
        .bind(Timestamp::now().as_millisecond())
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
        Ok(row.map(|row| (rep_from(&row), row.get("password_hash"))))
    }

    async fn set_password_hash(&self, rep: RepId, hash: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE reps SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(rep)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn rep_by_id(&self, id: RepId) -> StoreResult<Option<Rep>> {
        let row = sqlx::query(&format!("SELECT {REP_COLUMNS} FROM reps WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.as_ref().map(rep_from))
    }

    async fn update_rep(&self, rep: RepId, name: &str, time_zone: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE reps SET name = $1, time_zone = $2 WHERE id = $3")
            .bind(name)
            .bind(time_zone)
            .bind(rep)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
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
        let row = sqlx::query(&format!(
            "INSERT INTO recordings (owner_id, title, created_at_ms, duration_ms, media_key, content_type, size_bytes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {RECORDING_COLUMNS}"
        ))
        .bind(recording.owner_id)
        .bind(&recording.title)
        .bind(Timestamp::now().as_millisecond())
        .bind(recording.duration_ms)
        .bind(&recording.media_key)
        .bind(&recording.content_type)
        .bind(recording.size_bytes)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(recording_from(&row))
    }

    async fn recordings_of(&self, owner: RepId) -> StoreResult<Vec<Recording>> {
        let rows = sqlx::query(&format!(
            "SELECT {RECORDING_COLUMNS} FROM recordings WHERE owner_id = $1 AND deleted_at_ms IS NULL \
             ORDER BY created_at_ms DESC, id DESC"
        ))
        .bind(owner)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.iter().map(recording_from).collect())
    }

    async fn recording_of(&self, owner: RepId, id: RecordingId) -> StoreResult<Option<Recording>> {
        self.recording_of_inner(owner, id).await
    }

    async fn open_draft(&self, new: NewShare) -> StoreResult<ShareId> {
        let now = Timestamp::now().as_millisecond();
        // Insert unless a draft exists; the partial unique index decides races:
        // a second insert waits for the first to commit, then does nothing
        // (ON CONFLICT without a target covers partial unique indexes too).
        // The select that follows is a new statement, so it sees that draft.
        sqlx::query(
            "INSERT INTO shares (recording_id, sender_id, title, expiry_preset, start_date, end_date, \
             time_zone, expires_at_ms, created_at_ms, updated_at_ms) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9 \
             WHERE EXISTS (SELECT 1 FROM recordings WHERE id = $1 AND owner_id = $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(new.recording_id)
        .bind(new.sender_id)
        .bind(&new.title)
        .bind(new.expiration.preset().key())
        .bind(new.expiration.start().to_string())
        .bind(new.expiration.end().map(|d| d.to_string()))
        .bind(&new.time_zone)
        .bind(new.expires_at.as_millisecond())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM shares WHERE sender_id = $1 AND recording_id = $2 AND sent_at_ms IS NULL",
        )
        .bind(new.sender_id)
        .bind(new.recording_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        id.ok_or_else(|| StoreError::Backend("the draft share could not be created".into()))
    }

    async fn share_of(&self, sender: RepId, id: ShareId) -> StoreResult<Option<Share>> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {SHARE_COLUMNS} FROM shares WHERE id = $1 AND sender_id = $2"
        ))
        .bind(id)
        .bind(sender)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        else {
            return Ok(None);
        };
        let comments = self.comments_of(id).await?;
        let recipients = sqlx::query(
            "SELECT r.id, r.name, r.email, l.code, o.status, o.attempts, o.last_error FROM recipients r \
             LEFT JOIN links l ON l.recipient_id = r.id AND l.revoked_at_ms IS NULL \
             LEFT JOIN outbox o ON o.id = (SELECT MAX(id) FROM outbox WHERE recipient_id = r.id AND kind = 'share') \
             WHERE r.share_id = $1 AND r.removed_at_ms IS NULL ORDER BY r.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| Recipient {
            id: r.get("id"),
            name: r.get("name"),
            email: r.get("email"),
            link_code: r.get("code"),
            delivery: email_status_from(r),
        })
        .collect();
        Ok(Some(Share {
            id,
            recording_id: row.get("recording_id"),
            sender_id: row.get("sender_id"),
            title: row.get("title"),
            expiration: expiration_from(&row)?,
            time_zone: row.get("time_zone"),
            expires_at: instant(row.get("expires_at_ms")),
            sent_at: row.get::<Option<i64>, _>("sent_at_ms").map(instant),
            comments,
            recipients,
        }))
    }

    async fn set_share_title(&self, sender: RepId, id: ShareId, title: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE shares SET title = $1, updated_at_ms = $2 WHERE id = $3 AND sender_id = $4",
        )
        .bind(title)
        .bind(Timestamp::now().as_millisecond())
        .bind(id)
        .bind(sender)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_share_expiration(
        &self,
        sender: RepId,
        id: ShareId,
        expiration: &Expiration,
        expires_at: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE shares SET expiry_preset = $1, start_date = $2, end_date = $3, expires_at_ms = $4, updated_at_ms = $5 \
             WHERE id = $6 AND sender_id = $7",
        )
        .bind(expiration.preset().key())
        .bind(expiration.start().to_string())
        .bind(expiration.end().map(|d| d.to_string()))
        .bind(expires_at.as_millisecond())
        .bind(Timestamp::now().as_millisecond())
        .bind(id)
        .bind(sender)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn add_comment(
        &self,
        sender: RepId,
        share: ShareId,
        body: &str,
        at_ms: Option<i64>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO comments (share_id, body, at_ms, created_at_ms) \
             SELECT id, $1, $2, $3 FROM shares WHERE id = $4 AND sender_id = $5",
        )
        .bind(body)
        .bind(at_ms)
        .bind(Timestamp::now().as_millisecond())
        .bind(share)
        .bind(sender)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn edit_comment(
        &self,
        sender: RepId,
        comment: CommentId,
        body: &str,
    ) -> StoreResult<Option<ShareId>> {
        sqlx::query_scalar(
            "UPDATE comments SET body = $1 WHERE id = $2 \
             AND share_id IN (SELECT id FROM shares WHERE sender_id = $3) RETURNING share_id",
        )
        .bind(body)
        .bind(comment)
        .bind(sender)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)
    }

    async fn delete_comment(
        &self,
        sender: RepId,
        comment: CommentId,
    ) -> StoreResult<Option<ShareId>> {
        sqlx::query_scalar(
            "DELETE FROM comments WHERE id = $1 \
             AND share_id IN (SELECT id FROM shares WHERE sender_id = $2) RETURNING share_id",
        )
        .bind(comment)
        .bind(sender)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)
    }

    async fn add_recipient(
        &self,
        sender: RepId,
        share: ShareId,
        name: &str,
        email: &str,
    ) -> StoreResult<bool> {
        // FOR KEY SHARE on the share (what the foreign key check takes anyway,
        // but from the start): additions run alongside each other, the unique
        // index turning a duplicate email into Conflict, but never inside a
        // Send Email(s) or link generation holding the share FOR UPDATE.
        let done = sqlx::query(
            "INSERT INTO recipients (share_id, name, email, created_at_ms) \
             SELECT id, $1, $2, $3 FROM shares WHERE id = $4 AND sender_id = $5 FOR KEY SHARE",
        )
        .bind(name)
        .bind(email)
        .bind(Timestamp::now().as_millisecond())
        .bind(share)
        .bind(sender)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn remove_recipient(
        &self,
        sender: RepId,
        recipient: RecipientId,
    ) -> StoreResult<Option<ShareId>> {
        let now = Timestamp::now().as_millisecond();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The share FOR KEY SHARE first, as in add_recipient: a link being
        // generated for this recipient at this moment (under FOR UPDATE) is
        // committed before we look, so it is revoked below, never left live.
        sqlx::query(
            "SELECT s.id FROM recipients r JOIN shares s ON s.id = r.share_id \
             WHERE r.id = $1 AND s.sender_id = $2 FOR KEY SHARE OF s",
        )
        .bind(recipient)
        .bind(sender)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let share: Option<ShareId> = sqlx::query_scalar(
            "UPDATE recipients SET removed_at_ms = $1 WHERE id = $2 AND removed_at_ms IS NULL \
             AND share_id IN (SELECT id FROM shares WHERE sender_id = $3) RETURNING share_id",
        )
        .bind(now)
        .bind(recipient)
        .bind(sender)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if share.is_some() {
            sqlx::query("UPDATE links SET revoked_at_ms = $1 WHERE recipient_id = $2 AND revoked_at_ms IS NULL")
                .bind(now)
                .bind(recipient)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(share)
    }

    async fn create_missing_links(
        &self,
        sender: RepId,
        share: ShareId,
        new_code: &(dyn Fn() -> String + Send + Sync),
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The share stays locked FOR UPDATE until commit: a second generation
        // waits, then finds every recipient linked (no second link, no
        // unique violation on links.recipient_id).
        if !lock_own_share(&mut tx, sender, share).await? {
            return Ok(false);
        }
        insert_missing_links(&mut tx, share, new_code).await?;
        mark_sent(&mut tx, share, Timestamp::now().as_millisecond()).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn linked_share(&self, code: &str) -> StoreResult<Option<LinkedShare>> {
        // One statement, one row: every recipient's page view and every
        // range of their video asks, so no second round trip for the
        // recording or a row per comment.
        let Some(row) = sqlx::query(
            "SELECT l.code, r.id AS recipient_id, r.name AS recipient_name, s.id AS share_id, \
             s.title AS share_title, rep.name AS sender_name, s.expires_at_ms, s.time_zone, \
             rec.id, rec.owner_id, rec.title, rec.created_at_ms, rec.duration_ms, rec.media_key, \
             rec.content_type, rec.size_bytes, \
             (SELECT COALESCE(json_agg(json_build_object('id', c.id, 'body', c.body, 'at_ms', c.at_ms)), '[]')::text \
             FROM comments c WHERE c.share_id = s.id) AS comments_json \
             FROM links l JOIN recipients r ON r.id = l.recipient_id \
             JOIN shares s ON s.id = r.share_id JOIN reps rep ON rep.id = s.sender_id \
             JOIN recordings rec ON rec.id = s.recording_id AND rec.owner_id = s.sender_id \
             AND rec.deleted_at_ms IS NULL \
             WHERE l.code = $1 AND l.revoked_at_ms IS NULL AND r.removed_at_ms IS NULL",
        )
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        else {
            return Ok(None);
        };
        Ok(Some(LinkedShare {
            code: row.get("code"),
            recipient_id: row.get("recipient_id"),
            recipient_name: row.get("recipient_name"),
            share_id: row.get("share_id"),
            title: row.get("share_title"),
            sender_name: row.get("sender_name"),
            expires_at: instant(row.get("expires_at_ms")),
            time_zone: row.get("time_zone"),
            comments: comments_from_json(row.get("comments_json"))?,
            recording: recording_from(&row),
        }))
    }

    async fn send_share(
        &self,
        sender: RepId,
        share: ShareId,
        new_code: &(dyn Fn() -> String + Send + Sync),
    ) -> StoreResult<Option<usize>> {
        let now = Timestamp::now().as_millisecond();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The share locked FOR UPDATE until commit serialises Send Email(s)
        // with itself and with link generation, and waits out (then blocks)
        // recipients being added or removed: every recipient queued below
        // has its link, and a second send at once queues nothing.
        if !lock_own_share(&mut tx, sender, share).await? {
            return Ok(None);
        }
        insert_missing_links(&mut tx, share, new_code).await?;
        mark_sent(&mut tx, share, now).await?;
        // The partial unique index skips recipients emailed before (and would
        // stop a duplicate even without the lock).
        let queued = sqlx::query(&format!(
            "INSERT INTO outbox (kind, recipient_id, message_key, next_attempt_at_ms, created_at_ms) \
             SELECT 'share', r.id, {NEW_MESSAGE_KEY}, $1, $1 FROM recipients r \
             WHERE r.share_id = $2 AND r.removed_at_ms IS NULL ORDER BY r.id \
             ON CONFLICT DO NOTHING"
        ))
        .bind(now)
        .bind(share)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(queued.rows_affected() as usize))
    }

    async fn record_open(&self, open: NewOpen, quiet_since: Timestamp) -> StoreResult<bool> {
        let at = open.opened_at.as_millisecond();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // SQLite judges two opens one after the other under its write lock;
        // here the recipient's row, locked first, does: a second open waits
        // until the first commits, then its check sees the first's
        // notification. FOR NO KEY UPDATE conflicts only with itself and
        // updates, not with the foreign key checks of inserts naming the
        // recipient (a Send Email(s) at the same time is not held up).
        sqlx::query("SELECT id FROM recipients WHERE id = $1 FOR NO KEY UPDATE")
            .bind(open.recipient_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let open_id: i64 = sqlx::query_scalar(
            "INSERT INTO opens (recipient_id, opened_at_ms, reported_local, reported_zone, reported_offset_min, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(open.recipient_id)
        .bind(at)
        .bind(&open.reported_local)
        .bind(&open.reported_zone)
        .bind(open.reported_offset_min)
        .bind(&open.user_agent)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let queued = sqlx::query(&format!(
            "INSERT INTO outbox (kind, recipient_id, open_id, message_key, next_attempt_at_ms, created_at_ms) \
             SELECT 'opened', $1, $2, {NEW_MESSAGE_KEY}, $3, $3 \
             WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE kind = 'opened' AND recipient_id = $1 AND created_at_ms >= $4)"
        ))
        .bind(open.recipient_id)
        .bind(open_id)
        .bind(at)
        .bind(quiet_since.as_millisecond())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(queued.rows_affected() == 1)
    }

    async fn claim_emails(
        &self,
        now: Timestamp,
        claim_until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<OutboxItem>> {
        // One statement whose subquery locks the rows it picks, skipping rows
        // another worker has locked (is claiming right now): two workers never
        // claim the same row, and neither waits for the other. A row another
        // worker claimed and committed since this statement began is
        // re-checked when locked and no longer matches.
        let rows = sqlx::query(
            "UPDATE outbox SET status = 'sending', claimed_until_ms = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox \
                 WHERE (status = 'queued' AND next_attempt_at_ms <= $2) \
                    OR (status = 'sending' AND claimed_until_ms <= $2) \
                 ORDER BY next_attempt_at_ms, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, recipient_id, open_id, message_key, attempts",
        )
        .bind(claim_until.as_millisecond())
        .bind(now.as_millisecond())
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(outbox_item_from).collect()
    }

    async fn next_email_due(&self) -> StoreResult<Option<Timestamp>> {
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(CASE status WHEN 'queued' THEN next_attempt_at_ms ELSE claimed_until_ms END) \
             FROM outbox WHERE status IN ('queued', 'sending')",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(due.map(instant))
    }

    async fn emails_sent(&self, ids: &[OutboxId], at: Timestamp) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        // One array parameter instead of SQLite's list of placeholders: the
        // same statement for any number of ids, never near the 65535
        // parameter limit.
        sqlx::query(
            "UPDATE outbox SET status = 'sent', claimed_until_ms = NULL, last_error = NULL, sent_at_ms = $1 \
             WHERE id = ANY($2)",
        )
        .bind(at.as_millisecond())
        .bind(ids)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn email_retry(&self, id: OutboxId, at: Timestamp, error: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'queued', next_attempt_at_ms = $1, claimed_until_ms = NULL, last_error = $2 \
             WHERE id = $3 AND status = 'sending'",
        )
        .bind(at.as_millisecond())
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn email_failed(&self, id: OutboxId, error: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'failed', claimed_until_ms = NULL, last_error = $1 \
             WHERE id = $2 AND status = 'sending'",
        )
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn share_email_facts(
        &self,
        recipients: &[RecipientId],
    ) -> StoreResult<HashMap<RecipientId, ShareEmailFacts>> {
        if recipients.is_empty() {
            return Ok(HashMap::new());
        }
        // An array parameter, as in emails_sent. COUNT(*) is a BIGINT here.
        let rows = sqlx::query(
            "SELECT r.id, r.name, r.email, CASE WHEN r.removed_at_ms IS NULL THEN l.code END AS code, \
             s.title, rep.name AS sender_name, s.expires_at_ms, s.time_zone, \
             (SELECT COUNT(*) FROM comments c WHERE c.share_id = s.id) AS comment_count \
             FROM recipients r JOIN shares s ON s.id = r.share_id JOIN reps rep ON rep.id = s.sender_id \
             LEFT JOIN links l ON l.recipient_id = r.id AND l.revoked_at_ms IS NULL \
             WHERE r.id = ANY($1)",
        )
        .bind(recipients)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|row| {
                let facts = ShareEmailFacts {
                    recipient_name: row.get("name"),
                    recipient_email: row.get("email"),
                    link_code: row.get("code"),
                    title: row.get("title"),
                    sender_name: row.get("sender_name"),
                    comment_count: row.get("comment_count"),
                    expires_at: instant(row.get("expires_at_ms")),
                    time_zone: row.get("time_zone"),
                };
                (row.get("id"), facts)
            })
            .collect())
    }

    async fn opened_email_facts(&self, open: OpenId) -> StoreResult<Option<OpenedEmailFacts>> {
        let row = sqlx::query(
            "SELECT rep.name AS sender_name, rep.email AS sender_email, \
             COALESCE(rep.time_zone, s.time_zone) AS sender_zone, r.name, r.email, s.title, \
             o.opened_at_ms, o.reported_zone, o.reported_offset_min \
             FROM opens o JOIN recipients r ON r.id = o.recipient_id \
             JOIN shares s ON s.id = r.share_id JOIN reps rep ON rep.id = s.sender_id \
             WHERE o.id = $1",
        )
        .bind(open)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.map(|row| OpenedEmailFacts {
            sender_name: row.get("sender_name"),
            sender_email: row.get("sender_email"),
            sender_zone: row.get("sender_zone"),
            recipient_name: row.get("name"),
            recipient_email: row.get("email"),
            title: row.get("title"),
            opened_at: instant(row.get("opened_at_ms")),
            reported_zone: row.get("reported_zone"),
            reported_offset_min: row.get("reported_offset_min"),
        }))
    }

    async fn deliver_to_mailbox(
        &self,
        id: OutboxId,
        message: &MailboxMessage,
        at: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // Two workers delivering the same email (a claim ran out): the second
        // insert waits for the first to commit, then does nothing.
        sqlx::query(
            "INSERT INTO mailbox (outbox_id, to_address, subject, raw, text_body, html_body, delivered_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (outbox_id) DO NOTHING",
        )
        .bind(id)
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
            "UPDATE outbox SET status = 'sent', sent_at_ms = $1, claimed_until_ms = NULL, last_error = NULL \
             WHERE id = $2",
        )
        .bind(at.as_millisecond())
        .bind(id)
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
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.as_ref().map(mailbox_entry_from))
    }

    async fn sent_shares(
        &self,
        sender: RepId,
        only: Option<ShareId>,
    ) -> StoreResult<Vec<ShareSummary>> {
        let rows = sqlx::query(
            "SELECT s.id, s.recording_id, rec.title AS recording_title, \
             rec.duration_ms AS recording_duration_ms, s.title, s.expires_at_ms, \
             s.time_zone, s.sent_at_ms, \
             (SELECT COUNT(*) FROM recipients r WHERE r.share_id = s.id AND r.removed_at_ms IS NULL) AS recipients, \
             (SELECT COUNT(*) FROM opens o JOIN recipients r ON r.id = o.recipient_id WHERE r.share_id = s.id) AS opens \
             FROM shares s JOIN recordings rec ON rec.id = s.recording_id \
             WHERE s.sender_id = $1 AND s.sent_at_ms IS NOT NULL AND ($2::BIGINT IS NULL OR s.id = $2) \
             ORDER BY s.sent_at_ms DESC, s.id DESC",
        )
        .bind(sender)
        .bind(only)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.iter().map(share_summary_from).collect())
    }

    async fn share_activity(
        &self,
        sender: RepId,
        share: ShareId,
    ) -> StoreResult<Option<Vec<RecipientActivity>>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        if !lock_own_share(&mut conn, sender, share).await? {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT r.id, r.name, r.email, r.watched, l.code, l.revoked_at_ms, \
             o.status, o.attempts, o.last_error, \
             (SELECT COUNT(*) FROM opens op WHERE op.recipient_id = r.id) AS opens, \
             (SELECT MIN(op.opened_at_ms) FROM opens op WHERE op.recipient_id = r.id) AS first_open_ms, \
             (SELECT MAX(op.opened_at_ms) FROM opens op WHERE op.recipient_id = r.id) AS last_open_ms \
             FROM recipients r LEFT JOIN links l ON l.recipient_id = r.id \
             LEFT JOIN outbox o ON o.id = (SELECT MAX(id) FROM outbox WHERE recipient_id = r.id AND kind = 'share') \
             WHERE r.share_id = $1 AND r.removed_at_ms IS NULL ORDER BY r.id",
        )
        .bind(share)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(recipient_activity_from)
            .collect::<StoreResult<Vec<_>>>()
            .map(Some)
    }

    async fn record_watch(&self, recipient: RecipientId, ranges: &[Watched]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let known: Option<String> = sqlx::query_scalar(
            // Locks the recipient's row: two reports are merged one after
            // the other, never both from the same old value.
            "SELECT watched FROM recipients WHERE id = $1 FOR UPDATE",
        )
        .bind(recipient)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(known) = known else {
            return Ok(());
        };
        let merged = app::domain::merge_watched(&watched_from_json(&known)?, ranges);
        sqlx::query("UPDATE recipients SET watched = $1 WHERE id = $2")
            .bind(watched_to_json(&merged))
            .bind(recipient)
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
        let now = Timestamp::now().as_millisecond();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        if !lock_own_share(&mut tx, sender, share).await? {
            return Ok(None);
        }
        let revoked = match recipient {
            Some(recipient) => {
                let theirs: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM recipients WHERE id = $1 AND share_id = $2 AND removed_at_ms IS NULL",
                )
                .bind(recipient)
                .bind(share)
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
                .bind(recipient)
                .execute(&mut *tx)
                .await
            }
            None => {
                sqlx::query(
                    "UPDATE links SET revoked_at_ms = $1 WHERE revoked_at_ms IS NULL \
                     AND recipient_id IN (SELECT id FROM recipients WHERE share_id = $2)",
                )
                .bind(now)
                .bind(share)
                .execute(&mut *tx)
                .await
            }
        }
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(revoked.rows_affected() as usize))
    }

    async fn resend_share_email(
        &self,
        sender: RepId,
        share: ShareId,
        recipient: RecipientId,
    ) -> StoreResult<bool> {
        let now = Timestamp::now().as_millisecond();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        if !lock_own_share(&mut tx, sender, share).await? {
            return Ok(false);
        }
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT r.id FROM recipients r JOIN links l ON l.recipient_id = r.id AND l.revoked_at_ms IS NULL \
             WHERE r.id = $1 AND r.share_id = $2 AND r.removed_at_ms IS NULL",
        )
        .bind(recipient)
        .bind(share)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if live.is_none() {
            return Ok(false);
        }
        // Each resend takes the next number: the unique index allows it.
        sqlx::query(&format!(
            "INSERT INTO outbox (kind, recipient_id, message_key, next_attempt_at_ms, created_at_ms, resend) \
             SELECT 'share', $1, {NEW_MESSAGE_KEY}, $2, $3, COALESCE(MAX(resend), 0) + 1 \
             FROM outbox WHERE recipient_id = $4 AND kind = 'share'"
        ))
        .bind(recipient)
        .bind(now)
        .bind(now)
        .bind(recipient)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn delete_recording(&self, owner: RepId, id: RecordingId) -> StoreResult<Option<String>> {
        let now = Timestamp::now().as_millisecond();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let key: Option<String> = sqlx::query_scalar(
            "UPDATE recordings SET deleted_at_ms = $1 \
             WHERE id = $2 AND owner_id = $3 AND deleted_at_ms IS NULL RETURNING media_key",
        )
        .bind(now)
        .bind(id)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if key.is_some() {
            sqlx::query(
                "UPDATE links SET revoked_at_ms = $1 WHERE revoked_at_ms IS NULL AND recipient_id IN \
                 (SELECT r.id FROM recipients r JOIN shares s ON s.id = r.share_id WHERE s.recording_id = $2)",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(key)
    }
}

/// Whether the sender owns the share; if so, its row stays locked FOR UPDATE
/// until the transaction ends (sqlite.rs' `owns_share`, which needs no lock).
/// FOR UPDATE conflicts with the FOR KEY SHARE that adding or removing a
/// recipient takes, so the share's recipients stay as they are meanwhile.
async fn lock_own_share(
    conn: &mut PgConnection,
    sender: RepId,
    share: ShareId,
) -> StoreResult<bool> {
    let owned: Option<i64> =
        sqlx::query_scalar("SELECT id FROM shares WHERE id = $1 AND sender_id = $2 FOR UPDATE")
            .bind(share)
            .bind(sender)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    Ok(owned.is_some())
}

/// A share is sent once its links exist (emailed or handed out by the rep):
/// from then on it is on the Shares page, and the window starts a new draft.
async fn mark_sent(conn: &mut PgConnection, share: ShareId, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE shares SET sent_at_ms = COALESCE(sent_at_ms, $1), updated_at_ms = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(share)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Gives every current recipient of the share without a link a new one.
/// The caller holds the share locked ([`lock_own_share`]).
async fn insert_missing_links(
    conn: &mut PgConnection,
    share: ShareId,
    new_code: &(dyn Fn() -> String + Send + Sync),
) -> StoreResult<()> {
    let now = Timestamp::now().as_millisecond();
    // A collision of 95-bit random codes is next to impossible; the primary
    // key turns one into another round for that recipient, never a shared link.
    for _round in 0..5 {
        let without_link: Vec<i64> = sqlx::query_scalar(
            "SELECT r.id FROM recipients r WHERE r.share_id = $1 AND r.removed_at_ms IS NULL \
             AND NOT EXISTS (SELECT 1 FROM links l WHERE l.recipient_id = r.id)",
        )
        .bind(share)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        if without_link.is_empty() {
            return Ok(());
        }
        // Many rows per statement: a share to a thousand people is common.
        for chunk in without_link.chunks(500) {
            let mut insert = sqlx::query_builder::QueryBuilder::new(
                "INSERT INTO links (code, recipient_id, created_at_ms) ",
            );
            insert.push_values(chunk, |mut row, recipient| {
                row.push_bind(new_code())
                    .push_bind(*recipient)
                    .push_bind(now);
            });
            insert.push(" ON CONFLICT (code) DO NOTHING");
            insert.build().execute(&mut *conn).await.map_err(backend)?;
        }
    }
    Err(StoreError::Backend(
        "could not find unused link codes".into(),
    ))
}

/// A new Message-ID local part: 32 lowercase hex digits, as SQLite's
/// `lower(hex(randomblob(16)))` gives. PostgreSQL has no randomblob (and
/// gen_random_bytes needs pgcrypto); the built-in random UUID (v4: 122 of its
/// 128 bits random, from a strong source) without its dashes has that shape.
/// Volatile, so evaluated anew for every row.
const NEW_MESSAGE_KEY: &str = "replace(gen_random_uuid()::text, '-', '')";

impl PostgresStore {
    async fn comments_of(&self, share: ShareId) -> StoreResult<Vec<Comment>> {
        let rows = sqlx::query(&format!(
            "SELECT id, body, at_ms FROM comments WHERE share_id = $1 {COMMENT_ORDER}"
        ))
        .bind(share)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.iter().map(comment_from).collect())
    }

    async fn recording_of_inner(
        &self,
        owner: RepId,
        id: RecordingId,
    ) -> StoreResult<Option<Recording>> {
        let row = sqlx::query(&format!(
            "SELECT {RECORDING_COLUMNS} FROM recordings WHERE id = $1 AND owner_id = $2 AND deleted_at_ms IS NULL"
        ))
        .bind(id)
        .bind(owner)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.as_ref().map(recording_from))
    }
}
