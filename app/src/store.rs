//! The storage interface. Server functions, routes and workers reach the
//! database only through [`Store`], which the server provides as Leptos
//! context; its one implementation (SQLite or PostgreSQL behind a small
//! dialect) lives in the server crate.
//!
//! The store speaks typed ids and parsed domain values: what reaches it has
//! been checked at the door. It reads the time from the clock it was given
//! ([`crate::clock`]), so tests move time rather than edit rows.

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use jiff::Timestamp;

pub use crate::domain::{
    CommentId, EmailId, JobId, MailboxId, OpenId, RecipientId, RecordingId, RepId, ShareId,
};
use crate::{
    domain::{
        CommentBody, CommentTime, Expiration, Listing, MediaState, PreviewLayout, RecipientEmail,
        RecipientName, RecordingTitle, Watched, ZoneName,
    },
    link::LinkCode,
};

/// The shared handle to the store.
pub type SharedStore = Arc<dyn Store>;

/// Wakes this process's worker for a queue after work was queued, so it
/// need not wait for its next look (workers of other processes find the job
/// on theirs).
#[derive(Clone)]
pub struct JobWaker(pub Arc<dyn Fn(Queue) + Send + Sync>);

impl JobWaker {
    pub fn wake(&self, queue: Queue) {
        (self.0)(queue)
    }
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("storage failure: {0}")]
    Backend(String),
    /// The database cannot be reached just now.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
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
    /// Sessions started under an older epoch are over.
    pub session_epoch: i64,
    /// A disabled rep cannot sign in.
    pub disabled: bool,
}

#[derive(Clone, Debug)]
pub struct NewRep {
    /// Lower case, as sign-in looks it up.
    pub email: String,
    pub name: RecipientName,
    pub time_zone: Option<ZoneName>,
    /// Argon2id PHC string ([`crate::auth::hash_password`]).
    pub password_hash: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recording {
    pub id: RecordingId,
    pub owner_id: RepId,
    pub title: String,
    pub created_at: Timestamp,
    pub state: MediaState,
    /// Known once the file was probed.
    pub duration_ms: Option<i64>,
    /// The file as it was uploaded, kept as it is.
    pub original_key: String,
    /// The file players get, once the recording is ready: the original
    /// itself, or its remux or transcode.
    pub playable: Option<MediaFile>,
    pub poster_key: Option<String>,
    pub previews: Option<Previews>,
}

impl Recording {
    /// Every file the recording keeps in the media store.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys = vec![self.original_key.as_str()];
        keys.extend(self.playable.as_ref().map(|file| file.key.as_str()));
        keys.extend(self.poster_key.as_deref());
        keys.extend(self.previews.as_ref().map(|p| p.key.as_str()));
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The file to play and the length, when the recording is ready.
    pub fn ready(&self) -> Option<(&MediaFile, i64)> {
        match (&self.state, &self.playable, self.duration_ms) {
            (MediaState::Ready, Some(file), Some(duration_ms)) => Some((file, duration_ms)),
            _ => None,
        }
    }
}

/// A file in the media store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaFile {
    pub key: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// A recording's timeline previews: the sprite's key and its layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Previews {
    pub key: String,
    pub layout: PreviewLayout,
}

#[derive(Clone, Debug)]
pub struct NewRecording {
    pub owner_id: RepId,
    pub title: RecordingTitle,
    /// The upload, stored: the recording starts processing it.
    pub original: MediaFile,
    /// The deletion scheduled for the media before it was stored, which
    /// the new recording takes back ([`Store::schedule_media_deletion`]).
    pub pending: Option<PendingMedia>,
}

/// What a step of a recording's processing found or made. A step that
/// stores a file names it with the deletion scheduled for it, which the
/// recording takes back; a file it replaces is queued for deletion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessingStep {
    /// Its length, once probed.
    Probed {
        duration_ms: i64,
    },
    Progress {
        percent: u8,
    },
    Poster {
        key: String,
    },
    /// The file players get: the recording is ready.
    Ready {
        playable: MediaFile,
        duration_ms: i64,
    },
    Previews(Previews),
    /// It cannot be used (only while it is processing: a ready recording
    /// stays ready).
    Failed {
        reason: String,
    },
}

/// A media file stored (or about to be) that no recording has claimed yet:
/// it is deleted when its time comes, unless a recording claims it first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PendingMedia(pub i64);

/// A media file to delete, as the deletion queue's job reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaDeletion {
    pub key: String,
    /// A current recording uses the file after all: nothing to delete.
    pub in_use: bool,
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
    /// "Show a preview when the link is pasted": the viewer page names the
    /// recording and shows its poster to link unfurlers.
    pub link_preview: bool,
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
    pub link_code: Option<LinkCode>,
    /// The latest share email to this recipient, once one was queued.
    pub delivery: Option<EmailStatus>,
}

/// What adding a recipient did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addition {
    Added,
    /// The share has as many recipients as it may have.
    Full,
    /// No such share of this rep.
    NotFound,
}

/// Where an email is on its way out (the state of its job).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailState {
    Queued,
    /// A worker is sending it right now.
    Sending,
    Sent,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailStatus {
    pub state: EmailState,
    pub attempts: i64,
    /// Why the last attempt failed (kept while a retry is pending).
    pub last_error: Option<String>,
}

/// The kinds of background work. Each has its own table of what to work on
/// (an email of `emails`, …); a job names one row of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Sending an email: a recipient's link, or "opened" to the sender.
    Email,
    /// Deleting a media file (a deleted recording's, or an upload no
    /// recording claimed).
    MediaDeletion,
    /// Processing a new recording (a row of `recordings`): probe, poster,
    /// a playable file, timeline previews.
    Processing,
}

impl Queue {
    pub fn key(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::MediaDeletion => "media_deletion",
            Self::Processing => "processing",
        }
    }
}

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Queued,
    /// Claimed by a worker until its claim runs out.
    Running,
    Done,
    /// Given up on.
    Failed,
}

impl JobState {
    pub fn key(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Done, Self::Failed]
            .into_iter()
            .find(|s| s.key() == key)
    }
}

/// A job a worker has claimed: it may work on it until the claim runs out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    /// The row of the queue's table the job works on.
    pub subject: i64,
    /// Attempts so far, this one included.
    pub attempts: i64,
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

/// An email to send, with what it says, read when it is sent.
#[derive(Clone, Debug)]
pub struct EmailToSend {
    pub id: EmailId,
    /// Stable across attempts: the local part of the Message-ID.
    pub message_key: String,
    pub facts: EmailFacts,
}

#[derive(Clone, Debug)]
pub enum EmailFacts {
    Share(ShareEmailFacts),
    Opened(OpenedEmailFacts),
}

/// What the share email says.
#[derive(Clone, Debug)]
pub struct ShareEmailFacts {
    pub recipient_name: String,
    pub recipient_email: String,
    /// `None` once the recipient was removed or the link revoked: then the
    /// email is no longer sent.
    pub link_code: Option<LinkCode>,
    pub title: String,
    pub sender_name: String,
    pub comment_count: i64,
    pub expires_at: Timestamp,
    pub time_zone: String,
    /// The recording has a poster: the email shows it, linking to the recording.
    pub has_poster: bool,
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

/// One open of a link, as the viewer reported it (the store stamps the time).
#[derive(Clone, Debug)]
pub struct NewOpen {
    pub recipient_id: RecipientId,
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
    pub code: LinkCode,
    pub recipient_id: RecipientId,
    pub recipient_name: String,
    pub share_id: ShareId,
    pub title: String,
    pub sender_name: String,
    pub expires_at: Timestamp,
    pub time_zone: String,
    pub link_preview: bool,
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
    pub watched: Vec<Watched>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Reps.

    /// `Err(Conflict)` when a rep has this email already.
    async fn create_rep(&self, rep: NewRep) -> StoreResult<Rep>;
    async fn rep_by_email(&self, email: &str) -> StoreResult<Option<Rep>>;
    /// The rep with this email and their password hash, for signing in.
    async fn rep_credentials(&self, email: &str) -> StoreResult<Option<(Rep, Option<String>)>>;
    /// Sets the rep's password hash and ends their sessions (raises their
    /// session epoch); returns the new epoch, `None` when there is no such rep.
    async fn set_password_hash(&self, rep: RepId, hash: &str) -> StoreResult<Option<i64>>;
    /// Ends every session of the rep; returns the new epoch.
    async fn end_sessions(&self, rep: RepId) -> StoreResult<Option<i64>>;
    /// Disables the rep with this email and ends their sessions; `false`
    /// when there is no such rep.
    async fn disable_rep(&self, email: &str) -> StoreResult<bool>;
    async fn update_rep(
        &self,
        rep: RepId,
        name: &RecipientName,
        zone: &ZoneName,
    ) -> StoreResult<bool>;
    async fn rep_by_id(&self, id: RepId) -> StoreResult<Option<Rep>>;
    /// The rep with the lowest id (the demo rep in demo mode).
    async fn first_rep(&self) -> StoreResult<Option<Rep>>;

    // Recordings.

    /// A new recording, processing: its processing job is queued with it.
    async fn create_recording(&self, recording: NewRecording) -> StoreResult<Recording>;
    /// A recording whatever its owner, unless deleted (for its processing).
    async fn recording(&self, id: RecordingId) -> StoreResult<Option<Recording>>;
    /// Records a step of the recording's processing; `false` when the
    /// recording is gone (deleted): then a file the step stored is left to
    /// its scheduled deletion.
    async fn record_processing(
        &self,
        id: RecordingId,
        step: ProcessingStep,
        pending: Option<PendingMedia>,
    ) -> StoreResult<bool>;
    /// A page of the owner's recordings, newest first: up to
    /// [`PAGE_SIZE`](crate::domain::PAGE_SIZE)` + 1` of them (one more than a page says there is
    /// another page).
    async fn recordings_of(&self, owner: RepId, listing: &Listing) -> StoreResult<Vec<Recording>>;
    /// One recording, only if `owner` owns it.
    async fn recording_of(&self, owner: RepId, id: RecordingId) -> StoreResult<Option<Recording>>;
    /// Deletes the rep's recording: every link to it is revoked at once and
    /// it leaves every list; its shares stay as history; its media is queued
    /// for deletion. `false` when it is not theirs.
    async fn delete_recording(&self, owner: RepId, id: RecordingId) -> StoreResult<bool>;
    /// Queues the deletion of media `key` for `at`, unless a recording
    /// claims it first (give the result to [`NewRecording::pending`]).
    async fn schedule_media_deletion(&self, key: &str, at: Timestamp) -> StoreResult<PendingMedia>;
    /// The media files of these deletions (the subjects of their jobs).
    async fn media_deletions(
        &self,
        deletions: &[PendingMedia],
    ) -> StoreResult<HashMap<PendingMedia, MediaDeletion>>;

    // Shares. Every method takes the sender and touches only that sender's
    // shares: another rep's ids behave as if they did not exist (`false` /
    // `None`).

    /// The sender's draft share of the recording, created from `new` if there is none.
    async fn open_draft(&self, new: NewShare) -> StoreResult<ShareId>;
    async fn share_of(&self, sender: RepId, id: ShareId) -> StoreResult<Option<Share>>;
    async fn set_share_title(
        &self,
        sender: RepId,
        id: ShareId,
        title: &RecordingTitle,
    ) -> StoreResult<bool>;
    async fn set_share_expiration(
        &self,
        sender: RepId,
        id: ShareId,
        expiration: &Expiration,
        expires_at: Timestamp,
    ) -> StoreResult<bool>;
    /// "Show a preview when the link is pasted", on or off.
    async fn set_link_preview(&self, sender: RepId, id: ShareId, on: bool) -> StoreResult<bool>;
    async fn add_comment(
        &self,
        sender: RepId,
        share: ShareId,
        body: &CommentBody,
        at: Option<CommentTime>,
    ) -> StoreResult<bool>;
    /// Returns the comment's share.
    async fn edit_comment(
        &self,
        sender: RepId,
        comment: CommentId,
        body: &CommentBody,
    ) -> StoreResult<Option<ShareId>>;
    async fn delete_comment(
        &self,
        sender: RepId,
        comment: CommentId,
    ) -> StoreResult<Option<ShareId>>;
    /// Adds a recipient unless the share has `limit` current recipients
    /// already; `Err(Conflict)` when the email is already a current
    /// recipient of the share.
    async fn add_recipient(
        &self,
        sender: RepId,
        share: ShareId,
        name: &RecipientName,
        email: &RecipientEmail,
        limit: usize,
    ) -> StoreResult<Addition>;
    /// Removes the recipient and revokes their link, if any; returns the share.
    async fn remove_recipient(
        &self,
        sender: RepId,
        recipient: RecipientId,
    ) -> StoreResult<Option<ShareId>>;
    /// Generate Links: gives every current recipient without a link a new
    /// one (recipients keep the links they have), and marks the share sent,
    /// as Send Email(s) does.
    async fn create_missing_links(&self, sender: RepId, share: ShareId) -> StoreResult<bool>;
    async fn linked_share(&self, code: &LinkCode) -> StoreResult<Option<Arc<LinkedShare>>>;

    /// Send Email(s): in one transaction, gives recipients without a link
    /// their own, marks the share sent, and queues one email per recipient
    /// not emailed for this share before. Returns how many were queued;
    /// `None` if the share is not the sender's.
    async fn send_share(&self, sender: RepId, share: ShareId) -> StoreResult<Option<usize>>;
    /// Records an open and, unless the sender was notified of an open by
    /// this recipient at or after `quiet_since`, queues the notification
    /// (never, with `None`: the server sends no email). Returns whether it
    /// was queued.
    async fn record_open(&self, open: NewOpen, quiet_since: Option<Timestamp>)
    -> StoreResult<bool>;

    // The Shares page.

    /// A page of the rep's sent shares, newest first: up to
    /// [`PAGE_SIZE`](crate::domain::PAGE_SIZE)` + 1` of them, as [`Store::recordings_of`].
    async fn sent_shares(&self, sender: RepId, listing: &Listing)
    -> StoreResult<Vec<ShareSummary>>;
    /// One of the rep's sent shares, as the list shows it.
    async fn sent_share(&self, sender: RepId, id: ShareId) -> StoreResult<Option<ShareSummary>>;
    /// Each current recipient of the rep's share and what they did with
    /// their link; `None` when the share is not theirs.
    async fn share_activity(
        &self,
        sender: RepId,
        share: ShareId,
    ) -> StoreResult<Option<Vec<RecipientActivity>>>;
    /// Adds stretches the recipient watched to what they watched before
    /// (merged in the store's transaction, so reports never undo each other).
    async fn record_watch(&self, recipient: RecipientId, ranges: &[Watched]) -> StoreResult<()>;
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

    // Background work. Every job is a row written in the same transaction
    // as its cause; workers in any number of processes claim due jobs, one
    // claim at a time, so no job runs in two workers at once unless a claim
    // ran out.

    /// Keeps a claimed job claimed until `until` (a long run renews its
    /// claim as it goes); `false` when the claim was lost: the job is no
    /// longer running under this attempt, and its run should stop.
    async fn extend_job_claim(&self, job: &Job, until: Timestamp) -> StoreResult<bool>;
    /// Puts a claimed job back in the queue, due at `now`, its attempt not
    /// counted (the run was stopped, not failed).
    async fn job_released(&self, job: &Job, now: Timestamp) -> StoreResult<()>;
    /// Claims up to `limit` jobs of `queue` that are due at `now` (or whose
    /// claim ran out), each until `claim_until`, counting an attempt for each.
    async fn claim_jobs(
        &self,
        queue: Queue,
        now: Timestamp,
        claim_until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Job>>;
    /// When the next job of `queue` is due, if any is queued or running.
    async fn next_job_due(&self, queue: Queue) -> StoreResult<Option<Timestamp>>;
    /// Marks jobs done (one statement for many: a fan-out marks thousands).
    async fn jobs_done(&self, ids: &[JobId], at: Timestamp) -> StoreResult<()>;
    /// Puts a running job back in its queue, due at `at`.
    async fn job_retry(&self, id: JobId, at: Timestamp, error: &str) -> StoreResult<()>;
    async fn job_failed(&self, id: JobId, at: Timestamp, error: &str) -> StoreResult<()>;

    // Email.

    /// The emails with these ids and what each says (one query for a
    /// batch); an email whose facts are gone (its open was deleted) is left out.
    async fn emails_to_send(&self, ids: &[EmailId]) -> StoreResult<HashMap<EmailId, EmailToSend>>;
    /// Delivers into the dev mailbox and marks the email's job done, at once.
    async fn deliver_to_mailbox(
        &self,
        job: JobId,
        email: EmailId,
        message: &MailboxMessage,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// The dev mailbox, newest first.
    async fn mailbox(&self) -> StoreResult<Vec<MailboxEntry>>;
    async fn mailbox_message(&self, id: MailboxId) -> StoreResult<Option<MailboxEntry>>;
}
