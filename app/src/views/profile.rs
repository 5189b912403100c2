//! What the Settings page shows: the rep's own profile.

use serde::{Deserialize, Serialize};

/// What the Settings page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub email: String,
    /// The rep's IANA zone; empty until chosen (the browser's is used).
    pub time_zone: String,
    /// Every zone to choose from.
    pub zones: Vec<String>,
}
