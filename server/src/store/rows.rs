//! From database rows to the store's values. Both backends' rows hold the
//! same kinds of values (integers, text and their NULLs), so one mapper per
//! value serves both.

use app::{
    domain::{Expiration, ExpiryPreset, MediaState, Watched},
    link::LinkCode,
    store::*,
};
use jiff::Timestamp;
use sqlx::{ColumnIndex, Decode, Row, Type};

/// A row of either backend, read by column name.
pub trait StoreRow {
    fn int(&self, column: &str) -> i64;
    /// A boolean expression's value: `true`/`false` on PostgreSQL, 1/0 on SQLite.
    fn flag(&self, column: &str) -> bool;
    fn maybe_int(&self, column: &str) -> Option<i64>;
    fn text(&self, column: &str) -> String;
    fn maybe_text(&self, column: &str) -> Option<String>;
}

impl<R> StoreRow for R
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
{
    fn int(&self, column: &str) -> i64 {
        self.get(column)
    }
    fn flag(&self, column: &str) -> bool {
        self.try_get::<bool, _>(column)
            .or_else(|_| self.try_get::<i64, _>(column).map(|n| n != 0))
            .unwrap_or(false)
    }
    fn maybe_int(&self, column: &str) -> Option<i64> {
        self.get(column)
    }
    fn text(&self, column: &str) -> String {
        self.get(column)
    }
    fn maybe_text(&self, column: &str) -> Option<String> {
        self.get(column)
    }
}

/// A row the database handed over as a JSON object (see
/// `Dialect::many_rows_as_json`): the columns its query names, SQL NULL as
/// null.
#[derive(serde::Deserialize)]
#[serde(transparent)]
pub struct JsonRow(serde_json::Map<String, serde_json::Value>);

impl StoreRow for JsonRow {
    fn int(&self, column: &str) -> i64 {
        self.maybe_int(column).unwrap_or_default()
    }
    fn flag(&self, column: &str) -> bool {
        match self.0.get(column) {
            Some(serde_json::Value::Bool(flag)) => *flag,
            other => other.and_then(serde_json::Value::as_i64).unwrap_or(0) != 0,
        }
    }
    fn maybe_int(&self, column: &str) -> Option<i64> {
        self.0.get(column).and_then(serde_json::Value::as_i64)
    }
    fn text(&self, column: &str) -> String {
        self.maybe_text(column).unwrap_or_default()
    }
    fn maybe_text(&self, column: &str) -> Option<String> {
        self.0.get(column)?.as_str().map(str::to_string)
    }
}

/// A unique-index violation is a conflict the caller may expect; anything
/// else is the backend failing.
pub fn backend(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.message().to_string())
        }
        // The database cannot be reached (restarting, network down): the
        // request fails for now, and the next one may well work.
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.to_string()),
        // PostgreSQL shutting down or starting up (class 57: operator intervention).
        sqlx::Error::Database(db) if db.code().is_some_and(|code| code.starts_with("57")) => {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Backend(error.to_string()),
    }
}

/// Instants are stored as milliseconds since the epoch.
pub fn instant(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub fn rep_from(row: &impl StoreRow) -> Rep {
    Rep {
        id: RepId(row.int("id")),
        email: row.text("email"),
        name: row.text("name"),
        time_zone: row.maybe_text("time_zone"),
        session_epoch: row.int("session_epoch"),
        disabled: row.maybe_int("disabled_at_ms").is_some(),
    }
}

pub fn recording_from(row: &impl StoreRow) -> StoreResult<Recording> {
    let id = RecordingId(row.int("id"));
    let corrupt =
        |what: &str| StoreError::Backend(format!("recording {id} has an unreadable {what}"));
    let state = match row.text("state").as_str() {
        "processing" => MediaState::Processing {
            percent: u8::try_from(row.int("progress").clamp(0, 100)).unwrap_or(0),
        },
        "ready" => MediaState::Ready,
        "failed" => MediaState::Failed {
            reason: row.maybe_text("failure").unwrap_or_default(),
        },
        _ => return Err(corrupt("state")),
    };
    let playable = match (
        row.maybe_text("media_key"),
        row.maybe_text("content_type"),
        row.maybe_int("size_bytes"),
    ) {
        (Some(key), Some(content_type), Some(size_bytes)) => Some(MediaFile {
            key,
            content_type,
            size_bytes,
        }),
        _ => None,
    };
    let previews = match (row.maybe_text("previews_key"), row.maybe_text("previews")) {
        (Some(key), Some(layout)) => Some(Previews {
            key,
            layout: serde_json::from_str(&layout).map_err(|_| corrupt("preview layout"))?,
        }),
        _ => None,
    };
    Ok(Recording {
        id,
        owner_id: RepId(row.int("owner_id")),
        title: row.text("title"),
        created_at: instant(row.int("created_at_ms")),
        state,
        duration_ms: row.maybe_int("duration_ms"),
        original_key: row.text("original_key"),
        playable,
        poster_key: row.maybe_text("poster_key"),
        previews,
    })
}

pub fn comment_from(row: &impl StoreRow) -> Comment {
    Comment {
        id: CommentId(row.int("id")),
        body: row.text("body"),
        at_ms: row.maybe_int("at_ms"),
    }
}

/// The state of a recipient's latest share email (`None` before any), from
/// its job's `status`, `attempts` and `last_error`.
pub fn email_status_from(row: &(impl StoreRow + ?Sized)) -> Option<EmailStatus> {
    let state = match JobState::from_key(&row.maybe_text("status")?)? {
        JobState::Queued => EmailState::Queued,
        JobState::Running => EmailState::Sending,
        JobState::Done => EmailState::Sent,
        JobState::Failed => EmailState::Failed,
    };
    Some(EmailStatus {
        state,
        attempts: row.int("attempts"),
        last_error: row.maybe_text("last_error"),
    })
}

pub fn expiration_from(row: &impl StoreRow) -> StoreResult<Expiration> {
    let corrupt = || {
        StoreError::Backend(format!(
            "share {} has an unreadable expiration",
            row.int("id")
        ))
    };
    let preset = ExpiryPreset::from_key(&row.text("expiry_preset")).ok_or_else(corrupt)?;
    let start = row.text("start_date").parse().map_err(|_| corrupt())?;
    let end = row
        .maybe_text("end_date")
        .map(|d| d.parse())
        .transpose()
        .map_err(|_| corrupt())?;
    Ok(Expiration::from_stored(preset, start, end))
}

pub fn share_summary_from(row: &impl StoreRow) -> ShareSummary {
    ShareSummary {
        id: ShareId(row.int("id")),
        recording_id: RecordingId(row.int("recording_id")),
        recording_title: row.text("recording_title"),
        recording_duration_ms: row.int("recording_duration_ms"),
        title: row.text("title"),
        expires_at: instant(row.int("expires_at_ms")),
        time_zone: row.text("time_zone"),
        sent_at: row.maybe_int("sent_at_ms").map(instant),
        recipients: row.int("recipients"),
        opens: row.int("opens"),
    }
}

pub fn recipient_activity_from(row: &(impl StoreRow + ?Sized)) -> StoreResult<RecipientActivity> {
    let revoked = row.maybe_int("revoked_at_ms").is_some();
    Ok(RecipientActivity {
        recipient: Recipient {
            id: RecipientId(row.int("id")),
            name: row.text("name"),
            email: row.text("email"),
            link_code: row
                .maybe_text("code")
                .filter(|_| !revoked)
                .map(LinkCode::from_stored),
            delivery: email_status_from(row),
        },
        link_revoked: revoked,
        opens: row.int("opens"),
        first_open: row.maybe_int("first_open_ms").map(instant),
        last_open: row.maybe_int("last_open_ms").map(instant),
        watched: watched_from_json(&row.text("watched"))?,
    })
}

pub fn job_from(row: &impl StoreRow) -> Job {
    Job {
        id: JobId(row.int("id")),
        subject: row.int("subject_id"),
        attempts: row.int("attempts"),
    }
}

/// An email and what it says, from [`Store::emails_to_send`]'s row; `None`
/// for an "opened" email whose open is gone.
pub fn email_to_send_from(row: &impl StoreRow) -> StoreResult<Option<EmailToSend>> {
    let kind = row.text("kind");
    let facts = match EmailKind::from_key(&kind) {
        Some(EmailKind::Share) => EmailFacts::Share(ShareEmailFacts {
            recipient_name: row.text("name"),
            recipient_email: row.text("email"),
            link_code: row.maybe_text("code").map(LinkCode::from_stored),
            title: row.text("title"),
            sender_name: row.text("sender_name"),
            comment_count: row.int("comment_count"),
            expires_at: instant(row.int("expires_at_ms")),
            time_zone: row.text("time_zone"),
            has_poster: row.flag("has_poster"),
        }),
        Some(EmailKind::Opened) => {
            let Some(opened_at) = row.maybe_int("opened_at_ms") else {
                return Ok(None);
            };
            EmailFacts::Opened(OpenedEmailFacts {
                sender_name: row.text("sender_name"),
                sender_email: row.text("sender_email"),
                sender_zone: row.text("sender_zone"),
                recipient_name: row.text("name"),
                recipient_email: row.text("email"),
                title: row.text("title"),
                opened_at: instant(opened_at),
                reported_zone: row.maybe_text("reported_zone"),
                reported_offset_min: row.maybe_int("reported_offset_min"),
            })
        }
        None => return Err(StoreError::Backend(format!("unknown email kind {kind:?}"))),
    };
    Ok(Some(EmailToSend {
        id: EmailId(row.int("id")),
        message_key: row.text("message_key"),
        facts,
    }))
}

pub fn mailbox_entry_from(row: &impl StoreRow) -> MailboxEntry {
    MailboxEntry {
        id: MailboxId(row.int("id")),
        delivered_at: instant(row.int("delivered_at_ms")),
        message: MailboxMessage {
            to: row.text("to_address"),
            subject: row.text("subject"),
            raw: row.text("raw"),
            text: row.text("text_body"),
            html: row.text("html_body"),
        },
    }
}

/// A share's comments from a JSON array of `{id, body, at_ms}` (what the
/// viewer's one-statement lookup returns), in timeline order: untimed
/// comments first, then by time, as everywhere else.
pub fn comments_from_json(json: &str) -> StoreResult<Vec<Comment>> {
    #[derive(serde::Deserialize)]
    struct Stored {
        id: i64,
        body: String,
        at_ms: Option<i64>,
    }
    let rows: Vec<Stored> = serde_json::from_str(json)
        .map_err(|e| StoreError::Backend(format!("unreadable comments: {e}")))?;
    let mut comments: Vec<_> = rows
        .into_iter()
        .map(|row| Comment {
            id: CommentId(row.id),
            body: row.body,
            at_ms: row.at_ms,
        })
        .collect();
    comments.sort_by_key(|c| (c.at_ms.is_some(), c.at_ms, c.id));
    Ok(comments)
}

/// A recipient's watched stretches from their stored JSON
/// (`[[start_ms, end_ms], …]`, sorted and disjoint).
pub fn watched_from_json(json: &str) -> StoreResult<Vec<Watched>> {
    let pairs: Vec<[i64; 2]> = serde_json::from_str(json)
        .map_err(|e| StoreError::Backend(format!("unreadable watched ranges: {e}")))?;
    Ok(pairs
        .into_iter()
        .map(|[start_ms, end_ms]| Watched { start_ms, end_ms })
        .collect())
}

pub fn watched_to_json(ranges: &[Watched]) -> String {
    let pairs: Vec<[i64; 2]> = ranges.iter().map(|w| [w.start_ms, w.end_ms]).collect();
    serde_json::to_string(&pairs).expect("pairs of numbers serialise")
}
