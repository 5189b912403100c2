//! The storage interface. Server functions and routes reach the database only
//! through [`Store`], which the server provides as Leptos context; the SQLite
//! implementation lives in the server crate, and another backend can sit
//! behind the same trait.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::domain::Expiration;

pub type RepId = i64;
pub type RecordingId = i64;
pub type ShareId = i64;
pub type CommentId = i64;
pub type RecipientId = i64;

/// The shared handle to the store.
pub type SharedStore = Arc<dyn Store>;

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

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn create_rep(&self, rep: NewRep) -> StoreResult<Rep>;
    async fn rep_by_email(&self, email: &str) -> StoreResult<Option<Rep>>;
    /// The rep with the lowest id: whom the app acts as until reps sign in.
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
    /// Gives every current recipient without a link a new one, codes from
    /// `new_code`; recipients keep the links they have.
    async fn create_missing_links(
        &self,
        sender: RepId,
        share: ShareId,
        new_code: &(dyn Fn() -> String + Send + Sync),
    ) -> StoreResult<bool>;
    async fn linked_share(&self, code: &str) -> StoreResult<Option<LinkedShare>>;
}
