//! The storage interface. Server functions and routes reach the database only
//! through [`Store`], which the server provides as Leptos context; the SQLite
//! implementation lives in the server crate, and another backend can sit
//! behind the same trait.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;

pub type RepId = i64;
pub type RecordingId = i64;

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
    /// IANA time zone name used to show dates to this rep.
    pub time_zone: String,
}

#[derive(Clone, Debug)]
pub struct NewRep {
    pub email: String,
    pub name: String,
    pub time_zone: String,
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
}
