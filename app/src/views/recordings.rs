//! Recordings as the rep's pages show them.

use serde::{Deserialize, Serialize};

use crate::domain::RecordingId;

/// A recording as the rep's pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingSummary {
    pub id: RecordingId,
    pub title: String,
    /// When the recording was added, as an RFC 3339 instant (for `<time datetime>`).
    pub created_at: String,
    /// The same instant as words in the rep's time zone, e.g. "Nov 28, 2026".
    pub created_on: String,
    pub duration_ms: i64,
}

impl RecordingSummary {
    /// Where the rep's browser fetches the video.
    pub fn media_url(&self) -> String {
        format!("/media/recordings/{}", self.id)
    }

    pub fn page_url(&self) -> String {
        format!("/recordings/{}", self.id)
    }
}
