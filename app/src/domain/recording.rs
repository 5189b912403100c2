//! A recording's title, and how its length reads.

use serde::{Deserialize, Serialize};

/// A recording's title: trimmed, 1–200 characters, on one line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingTitle(String);

pub const MAX_TITLE_CHARS: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TitleError {
    #[error("Enter a title.")]
    Empty,
    #[error("Keep the title to {MAX_TITLE_CHARS} characters or fewer.")]
    TooLong,
    #[error("The title must be one line, without control characters.")]
    ControlCharacter,
}

impl RecordingTitle {
    pub fn parse(raw: &str) -> Result<Self, TitleError> {
        let title = raw.trim();
        if title.is_empty() {
            Err(TitleError::Empty)
        } else if title.chars().count() > MAX_TITLE_CHARS {
            Err(TitleError::TooLong)
        } else if title.chars().any(char::is_control) {
            Err(TitleError::ControlCharacter)
        } else {
            Ok(Self(title.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A length of time as a player shows it: `m:ss`, or `h:mm:ss` from an hour on.
pub fn format_clock(ms: i64) -> String {
    let total = ms.max(0) / 1000;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_checked() {
        assert_eq!(
            RecordingTitle::parse("  Q3 review ").unwrap().as_str(),
            "Q3 review"
        );
        assert_eq!(RecordingTitle::parse("   "), Err(TitleError::Empty));
        assert_eq!(
            RecordingTitle::parse(&"x".repeat(201)),
            Err(TitleError::TooLong)
        );
        assert!(RecordingTitle::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            RecordingTitle::parse("a\nb"),
            Err(TitleError::ControlCharacter)
        );
    }

    #[test]
    fn clock_uses_hours_only_past_an_hour() {
        assert_eq!(format_clock(0), "0:00");
        assert_eq!(format_clock(9_999), "0:09");
        assert_eq!(format_clock(75_000), "1:15");
        assert_eq!(format_clock(3_599_999), "59:59");
        assert_eq!(format_clock(3_600_000), "1:00:00");
        assert_eq!(format_clock(36_061_000), "10:01:01");
    }
}
