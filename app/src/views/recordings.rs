//! Recordings as the rep's pages show them.

use serde::{Deserialize, Serialize};

use crate::domain::{MediaState, PreviewLayout, RecordingId};

/// A recording as the rep's pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingSummary {
    pub id: RecordingId,
    pub title: String,
    /// When the recording was added, as an RFC 3339 instant (for `<time datetime>`).
    pub created_at: String,
    /// The same instant as words in the rep's time zone, e.g. "Nov 28, 2026".
    pub created_on: String,
    /// Known once the file was probed.
    pub duration_ms: Option<i64>,
    pub state: MediaState,
    pub has_poster: bool,
    /// The timeline previews' layout, once made.
    pub previews: Option<PreviewLayout>,
}

impl RecordingSummary {
    /// Where the rep's browser fetches the video.
    pub fn media_url(&self) -> String {
        format!("/media/recordings/{}", self.id)
    }

    pub fn page_url(&self) -> String {
        format!("/recordings/{}", self.id)
    }

    pub fn poster_url(&self) -> Option<String> {
        self.has_poster
            .then(|| format!("/media/recordings/{}/poster.jpg", self.id))
    }

    /// The sprite of timeline previews, once made.
    pub fn previews_url(&self) -> Option<String> {
        self.previews
            .map(|_| format!("/media/recordings/{}/previews.jpg", self.id))
    }
}
