//! Time zones by their IANA names.

use serde::{Deserialize, Serialize};

/// An IANA time zone name that the time zone database knows, e.g.
/// `America/New_York`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneName(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("Pick a time zone from the list.")]
    Unknown,
}

impl ZoneName {
    pub fn parse(raw: &str) -> Result<Self, ZoneError> {
        let name = raw.trim();
        // Longer names than this do not exist; no need to look them up.
        if name.is_empty() || name.len() > 64 || jiff::tz::TimeZone::get(name).is_err() {
            return Err(ZoneError::Unknown);
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_zones_parse() {
        assert_eq!(
            ZoneName::parse(" Europe/Berlin ").unwrap().as_str(),
            "Europe/Berlin"
        );
        for bad in ["", "Mars/Olympus", "../../etc/passwd"] {
            assert_eq!(ZoneName::parse(bad), Err(ZoneError::Unknown), "{bad}");
        }
    }
}
