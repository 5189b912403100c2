//! What the Shares page shows: the rep's sent shares, and for one share what
//! each recipient did with their link.

use serde::{Deserialize, Serialize};

use super::Delivery;
use crate::domain::{RecipientId, ShareId};

/// One sent share in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentShareView {
    pub id: ShareId,
    pub recording_title: String,
    pub title: String,
    /// e.g. "Available until Mon, Dec 28, 2026" or "Expired on …".
    pub expiry: String,
    pub expired: bool,
    /// The last day the links work, as `YYYY-MM-DD` (for the date field).
    pub last_day: String,
    /// When it was first sent, in the rep's zone.
    pub sent_on: String,
    pub recipients: i64,
    pub opens: i64,
}

/// One share with each current recipient's activity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShareActivityView {
    pub share: SentShareView,
    pub recording_duration_ms: i64,
    pub recipients: Vec<RecipientActivityView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecipientActivityView {
    pub id: RecipientId,
    pub name: String,
    pub email: String,
    /// The live link; `None` once revoked.
    pub link: Option<String>,
    pub revoked: bool,
    pub delivery: Option<Delivery>,
    pub opens: i64,
    /// In the rep's zone, e.g. "Nov 28, 2026, 4:12 PM EST".
    pub first_open: Option<String>,
    pub last_open: Option<String>,
    /// Share of the recording actually seen, 0–100.
    pub percent_watched: u8,
    /// The stretches seen, as fractions of the recording (for the bar).
    pub watched: Vec<(f64, f64)>,
}
