//! Comments on a share, optionally stamped with a spot on the timeline.

use serde::{Deserialize, Serialize};

pub const MAX_COMMENT_CHARS: usize = 2000;

/// A comment's text: trimmed, 1–2,000 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentBody(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    #[error("Write a comment first.")]
    Empty,
    #[error("Keep the comment to {MAX_COMMENT_CHARS} characters or fewer.")]
    TooLong,
    #[error("That time is not within the recording.")]
    OutsideRecording,
}

impl CommentBody {
    pub fn parse(raw: &str) -> Result<Self, CommentError> {
        let body = raw.trim();
        if body.is_empty() {
            Err(CommentError::Empty)
        } else if body.chars().count() > MAX_COMMENT_CHARS {
            Err(CommentError::TooLong)
        } else {
            Ok(Self(body.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A spot on a recording's timeline, in milliseconds from its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentTime(i64);

impl CommentTime {
    /// Accepts `0..=duration_ms`.
    pub fn parse(at_ms: i64, duration_ms: i64) -> Result<Self, CommentError> {
        if (0..=duration_ms).contains(&at_ms) {
            Ok(Self(at_ms))
        } else {
            Err(CommentError::OutsideRecording)
        }
    }

    pub fn ms(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_trimmed_and_bounded() {
        assert_eq!(
            CommentBody::parse("  Look here \n").unwrap().as_str(),
            "Look here"
        );
        assert_eq!(CommentBody::parse(" \n\t "), Err(CommentError::Empty));
        assert!(CommentBody::parse(&"é".repeat(MAX_COMMENT_CHARS)).is_ok());
        assert_eq!(
            CommentBody::parse(&"x".repeat(MAX_COMMENT_CHARS + 1)),
            Err(CommentError::TooLong)
        );
        assert!(
            CommentBody::parse("line one\nline two").is_ok(),
            "comments may span lines"
        );
    }

    #[test]
    fn timestamps_stay_within_the_recording() {
        assert_eq!(CommentTime::parse(0, 45_000).unwrap().ms(), 0);
        assert_eq!(CommentTime::parse(45_000, 45_000).unwrap().ms(), 45_000);
        assert_eq!(
            CommentTime::parse(45_001, 45_000),
            Err(CommentError::OutsideRecording)
        );
        assert_eq!(
            CommentTime::parse(-1, 45_000),
            Err(CommentError::OutsideRecording)
        );
    }
}
