//! The storage interface. Server functions and routes reach the database only
//! through [`Store`], which the server provides as Leptos context; the SQLite
//! implementation lives in the server crate, and another backend can sit
//! behind the same trait.

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use jiff::Timestamp;

use crate::domain::Expiration;

pub type RepId = i64;
pub type RecordingId = i64;
pub type ShareId = i64;
pub type CommentId = i64;
pub type RecipientId = i64;
pub type OutboxId = i64;
pub type OpenId = i64;
pub type MailboxId = i64;

/// The shared handle to the store.
pub type SharedStore = Arc<dyn Store>;

/// Wakes this process's delivery worker after email was queued, so it need
/// not wait for its next look at the outbox (workers of other processes find
/// the email on theirs).
#[derive(Clone)]
pub struct OutboxWaker(pub Arc<dyn Fn() + Send + Sync>);

impl OutboxWaker {
    pub fn wake(&self) {
        (self.0)()
    }
}

/// Deletes a recording's media (file or object) once the store has let go
/// of it; the server provides it as Leptos context.
#[derive(Clone)]
pub struct MediaRemover(pub Arc<dyn Fn(String) + Send + Sync>);

impl MediaRemover {
    pub fn remove(&self, media_key: String) {
        (self.0)(media_key)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("storage failure: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A sales rep: the owner of recordings and the sender of shares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rep {
    pub id: RepId,
    pub email: String,
    pub name: String,
    /// IANA time zone the rep chose; `None` until then.
    pub time_zone: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewRep {
    pub email: String,
    pub name: String,
    pub time_zone: Option<String>,
    /// Argon2id PHC string ([`crate::auth::hash_password`]).
    pub password_hash: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recording {
    pub id: RecordingId,
    pub owner_id: RepId,
    pub title: String,
    pub created_at: Timestamp,
    pub duration_ms: i64,
    /// File name of the media inside the media directory.
    pub media_key: String,
    pub content_type: String,
    pub size_bytes: i64,
}

#[derive(Clone, Debug)]
pub struct NewRecording {
    pub owner_id: RepId,
    pub title: String,
    pub duration_ms: i64,
    pub media_key: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// A share with its comments and current recipients.
#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    pub id: ShareId,
    pub recording_id: RecordingId,
    pub sender_id: RepId,
    pub title: String,
    pub expiration: Expiration,
    /// The IANA zone the expiration's dates are in.
    pub time_zone: String,
    pub expires_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    /// Unstamped first, then in timeline order.
    pub comments: Vec<Comment>,
    /// Current recipients (removed ones are not listed), in the order added.
    pub recipients: Vec<Recipient>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub body: String,
    pub at_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub id: RecipientId,
    pub name: String,
    pub email: String,
    /// The recipient's link code, once generated (and while not revoked).
    pub link_code: Option<String>,
    /// The share email to this recipient, once Send Email(s) queued it.
    pub delivery: Option<EmailStatus>,
}

/// Where an email is on its way out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailState {
    Queued,
    /// A worker is sending it right now.
    Sending,
    Sent,
    Failed,
}

impl EmailState {
    pub fn key(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Queued, Self::Sending, Self::Sent, Self::Failed]
            .into_iter()
            .find(|s| s.key() == key)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailStatus {
    pub state: EmailState,
    pub attempts: i64,
    /// Why the last attempt failed (kept while a retry is pending).
    pub last_error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailKind {
    /// A recipient's link to the shared recording.
    Share,
    /// "Your Shared Recording Was Opened", to the sender.
    Opened,
}

impl EmailKind {
    pub fn key(self) -> &'static str {
        match self {
            Self::Share => "share",
            Self::Opened => "opened",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Share, Self::Opened]
            .into_iter()
            .find(|k| k.key() == key)
    }
}

/// An email a worker has claimed: it may send it until the claim runs out.
#[derive(Clone, Debug)]
pub struct OutboxItem {
    pub id: OutboxId,
    pub kind: EmailKind,
    pub recipient_id: RecipientId,
    pub open_id: Option<OpenId>,
    /// Stable across attempts: the local part of the Message-ID.
    pub message_key: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// What the share email says, read when it is sent.
#[derive(Clone, Debug)]
pub struct ShareEmailFacts {
    pub recipient_name: String,
    pub recipient_email: String,
    /// `None` once the recipient was removed or the link revoked: then the
    /// email is no longer sent.
    pub link_code: Option<String>,
    pub title: String,
    pub sender_name: String,
    pub comment_count: i64,
    pub expires_at: Timestamp,
    pub time_zone: String,
}

/// What "Your Shared Recording Was Opened" says.
#[derive(Clone, Debug)]
pub struct OpenedEmailFacts {
    pub sender_name: String,
    pub sender_email: String,
    /// The rep's chosen zone, else the share's (their browser's when they shared).
    pub sender_zone: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub title: String,
    pub opened_at: Timestamp,
    pub reported_zone: Option<String>,
    pub reported_offset_min: Option<i64>,
}

/// One open of a link, as recorded.
#[derive(Clone, Debug)]
pub struct NewOpen {
    pub recipient_id: RecipientId,
    pub opened_at: Timestamp,
    pub reported_local: Option<String>,
    pub reported_zone: Option<String>,
    pub reported_offset_min: Option<i64>,
    pub user_agent: Option<String>,
}

/// A message as the dev mailbox keeps it.
#[derive(Clone, Debug)]
pub struct MailboxMessage {
    pub to: String,
    pub subject: String,
    /// The whole message as it would have gone over SMTP.
    pub raw: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone, Debug)]
pub struct MailboxEntry {
    pub id: MailboxId,
    pub delivered_at: Timestamp,
    pub message: MailboxMessage,
}

/// A new draft share, with the defaults the window starts from.
#[derive(Clone, Debug)]
pub struct NewShare {
    pub recording_id: RecordingId,
    pub sender_id: RepId,
    pub title: String,
    pub expiration: Expiration,
    pub time_zone: String,
    pub expires_at: Timestamp,
}

/// What a recipient's link opens: found only while the link is neither
/// revoked nor its recipient removed. Expiry is for the caller to judge.
#[derive(Clone, Debug)]
pub struct LinkedShare {
    pub code: String,
    pub recipient_id: RecipientId,
    pub recipient_name: String,
    pub share_id: ShareId,
    pub title: String,
    pub sender_name: String,
    pub expires_at: Timestamp,
    pub time_zone: String,
    pub comments: Vec<Comment>,
    pub recording: Recording,
}

/// One of the rep's sent shares, as the Shares page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareSummary {
    pub id: ShareId,
    pub recording_id: RecordingId,
    pub recording_title: String,
    pub recording_duration_ms: i64,
    pub title: String,
    pub expires_at: Timestamp,
    pub time_zone: String,
    pub sent_at: Option<Timestamp>,
    /// Current recipients.
    pub recipients: i64,
    /// Opens of all its links.
    pub opens: i64,
}

/// What one current recipient of a share did with their link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientActivity {
    /// `link_code` is `None` once the link was revoked (or before it exists).
    pub recipient: Recipient,
    pub link_revoked: bool,
    pub opens: i64,
    pub first_open: Option<Timestamp>,
    pub last_open: Option<Timestamp>,
    /// What they watched: sorted, disjoint stretches.
    pub watched: Vec<crate::domain::Watched>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn create_rep(&self, rep: NewRep) -> StoreResult<Rep>;
    async fn rep_by_email(&self, email: &str) -> StoreResult<Option<Rep>>;
    /// The rep with this email and their password hash, for signing in.
    async fn rep_credentials(&self, email: &str) -> StoreResult<Option<(Rep, Option<String>)>>;
    async fn set_password_hash(&self, rep: RepId, hash: &str) -> StoreResult<bool>;
    async fn update_rep(&self, rep: RepId, name: &str, time_zone: &str) -> StoreResult<bool>;
    async fn rep_by_id(&self, id: RepId) -> StoreResult<Option<Rep>>;
    /// The rep with the lowest id (the demo rep in demo mode).
    async fn first_rep(&self) -> StoreResult<Option<Rep>>;

    async fn create_recording(&self, recording: NewRecording) -> StoreResult<Recording>;
    /// The owner's recordings, newest first.
    async fn recordings_of(&self, owner: RepId) -> StoreResult<Vec<Recording>>;
    /// One recording, only if `owner` owns it.
    async fn recording_of(&self, owner: RepId, id: RecordingId) -> StoreResult<Option<Recording>>;

    // Shares. Every method takes the sender and touches only that sender's
    // shares: another rep's ids behave as if they did not exist (`false` /
    // `None`).

    /// The sender's draft share of the recording, created from `new` if there is none.
    async fn open_draft(&self, new: NewShare) -> StoreResult<ShareId>;
    async fn share_of(&self, sender: RepId, id: ShareId) -> StoreResult<Option<Share>>;
    async fn set_share_title(&self, sender: RepId, id: ShareId, title: &str) -> StoreResult<bool>;
    async fn set_share_expiration(
        &self,
        sender: RepId,
        id: ShareId,
        expiration: &Expiration,
        expires_at: Timestamp,
    ) -> StoreResult<bool>;
    async fn add_comment(
        &self,
        sender: RepId,
        share: ShareId,
        body: &str,
        at_ms: Option<i64>,
    ) -> StoreResult<bool>;
    /// Returns the comment's share.
    async fn edit_comment(
        &self,
        sender: RepId,
        comment: CommentId,
        body: &str,
    ) -> StoreResult<Option<ShareId>>;
    async fn delete_comment(
        &self,
        sender: RepId,
        comment: CommentId,
    ) -> StoreResult<Option<ShareId>>;
    /// `Err(Conflict)` when the email is already a current recipient of the share.
    async fn add_recipient(
        &self,
        sender: RepId,
        share: ShareId,
        name: &str,
        email: &str,
    ) -> StoreResult<bool>;
    /// Removes the recipient and revokes their link, if any; returns the share.
    async fn remove_recipient(
        &self,
        sender: RepId,
        recipient: RecipientId,
    ) -> StoreResult<Option<ShareId>>;
    /// Generate Links: gives every current recipient without a link a new
    /// one, codes from `new_code` (recipients keep the links they have), and
    /// marks the share sent, as Send Email(s) does.
    async fn create_missing_links(
        &self,
        sender: RepId,
        share: ShareId,
        new_code: &(dyn Fn() -> String + Send + Sync),
    ) -> StoreResult<bool>;
    async fn linked_share(&self, code: &str) -> StoreResult<Option<LinkedShare>>;

    // Email. Everything to send is a row in the outbox, written in the same
    // transaction as its cause; workers in any number of processes claim due
    // rows one claim at a time, so no row is sent by two workers at once
    // unless a claim ran out.

    /// Send Email(s): in one transaction, gives recipients without a link
    /// their own (codes from `new_code`), marks the share sent, and queues
    /// one email per recipient not emailed for this share before. Returns how
    /// many were queued; `None` if the share is not the sender's.
    async fn send_share(
        &self,
        sender: RepId,
        share: ShareId,
        new_code: &(dyn Fn() -> String + Send + Sync),
    ) -> StoreResult<Option<usize>>;
    /// Records an open and, unless the sender was notified of an open by
    /// this recipient at or after `quiet_since`, queues the notification.
    /// Returns whether it was queued.
    async fn record_open(&self, open: NewOpen, quiet_since: Timestamp) -> StoreResult<bool>;
    /// Claims up to `limit` emails that are due at `now` (or whose claim ran
    /// out), each until `claim_until`, counting an attempt for each.
    async fn claim_emails(
        &self,
        now: Timestamp,
        claim_until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<OutboxItem>>;
    /// When the next queued email is due, if any is queued or claimed.
    async fn next_email_due(&self) -> StoreResult<Option<Timestamp>>;
    /// Marks emails sent (one statement for many: fan-out marks thousands).
    async fn emails_sent(&self, ids: &[OutboxId], at: Timestamp) -> StoreResult<()>;
    async fn email_retry(&self, id: OutboxId, at: Timestamp, error: &str) -> StoreResult<()>;
    async fn email_failed(&self, id: OutboxId, error: &str) -> StoreResult<()>;
    /// What the share emails to these recipients say (one query for a batch).
    async fn share_email_facts(
        &self,
        recipients: &[RecipientId],
    ) -> StoreResult<HashMap<RecipientId, ShareEmailFacts>>;
    async fn opened_email_facts(&self, open: OpenId) -> StoreResult<Option<OpenedEmailFacts>>;
    /// Delivers into the dev mailbox and marks the email sent, at once.
    async fn deliver_to_mailbox(
        &self,
        id: OutboxId,
        message: &MailboxMessage,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// The dev mailbox, newest first.
    async fn mailbox(&self) -> StoreResult<Vec<MailboxEntry>>;
    async fn mailbox_message(&self, id: MailboxId) -> StoreResult<Option<MailboxEntry>>;

    /// The rep's sent shares, newest first; with `only`, just that one (if
    /// it is theirs and was sent).
    async fn sent_shares(
        &self,
        sender: RepId,
        only: Option<ShareId>,
    ) -> StoreResult<Vec<ShareSummary>>;
    /// Each current recipient of the rep's share and what they did with
    /// their link; `None` when the share is not theirs.
    async fn share_activity(
        &self,
        sender: RepId,
        share: ShareId,
    ) -> StoreResult<Option<Vec<RecipientActivity>>>;
    /// Adds stretches the recipient watched to what they watched before
    /// (merged in the store's transaction, so reports never undo each other).
    async fn record_watch(
        &self,
        recipient: RecipientId,
        ranges: &[crate::domain::Watched],
    ) -> StoreResult<()>;
    /// Revokes the link of one recipient of the rep's share (or, with
    /// `None`, all of its links) at once; how many were live, `None` when
    /// the share or recipient is not theirs.
    async fn revoke_links(
        &self,
        sender: RepId,
        share: ShareId,
        recipient: Option<RecipientId>,
    ) -> StoreResult<Option<usize>>;
    /// Queues the share email once more for a current recipient whose link
    /// is live; `false` when there is no such recipient of the rep's share.
    async fn resend_share_email(
        &self,
        sender: RepId,
        share: ShareId,
        recipient: RecipientId,
    ) -> StoreResult<bool>;
    /// Deletes the rep's recording: every link to it is revoked at once and
    /// it leaves every list; its shares stay as history. Returns its media
    /// key for the caller to delete, `None` when it is not theirs.
    async fn delete_recording(&self, owner: RepId, id: RecordingId) -> StoreResult<Option<String>>;
}
