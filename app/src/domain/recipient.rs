//! The people a share goes to.

use std::str::FromStr;

use email_address::{EmailAddress, Options};
use serde::{Deserialize, Serialize};

pub const MAX_NAME_CHARS: usize = 100;

/// A recipient's name: trimmed, 1–100 characters, no control characters
/// (so no line break can ever reach an email header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientName(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecipientError {
    #[error("Enter the recipient's name.")]
    EmptyName,
    #[error("Keep the name to {MAX_NAME_CHARS} characters or fewer.")]
    NameTooLong,
    #[error("The name must be one line, without control characters.")]
    NameControlCharacter,
    #[error("Enter the recipient's email.")]
    EmptyEmail,
    #[error("That is not a valid email address.")]
    InvalidEmail,
    #[error("This recipient is already on the list.")]
    Duplicate,
}

impl RecipientName {
    pub fn parse(raw: &str) -> Result<Self, RecipientError> {
        let name = raw.trim();
        if name.is_empty() {
            Err(RecipientError::EmptyName)
        } else if name.chars().count() > MAX_NAME_CHARS {
            Err(RecipientError::NameTooLong)
        } else if name.chars().any(char::is_control) {
            Err(RecipientError::NameControlCharacter)
        } else {
            Ok(Self(name.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, checked by the `email_address` crate (RFC 5322, no
/// display name, a dotted domain) and normalised to lower case, so the same
/// person is never listed twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientEmail(String);

impl RecipientEmail {
    pub fn parse(raw: &str) -> Result<Self, RecipientError> {
        let email = raw.trim();
        if email.is_empty() {
            return Err(RecipientError::EmptyEmail);
        }
        let options = Options::default()
            .with_required_tld()
            .without_display_text()
            .without_domain_literal();
        let parsed = EmailAddress::parse_with_options(email, options)
            .map_err(|_| RecipientError::InvalidEmail)?;
        // Reject anything the parser kept that cannot go in a header as is.
        if parsed
            .as_str()
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(RecipientError::InvalidEmail);
        }
        Ok(Self(lowercase(parsed.as_str())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `text` lowercased by Unicode's rules. In the browser, by the browser's own
/// (the same rules): Rust's case tables would be 12 KB of the bundle's data,
/// which every page loads, code split off or not.
fn lowercase(text: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        js_sys::JsString::from(text).to_lower_case().into()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        text.to_lowercase()
    }
}

impl FromStr for RecipientEmail {
    type Err = RecipientError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_trimmed_line_of_at_most_100_characters() {
        assert_eq!(
            RecipientName::parse("  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
        assert_eq!(RecipientName::parse(""), Err(RecipientError::EmptyName));
        assert!(RecipientName::parse(&"ü".repeat(100)).is_ok());
        assert_eq!(
            RecipientName::parse(&"x".repeat(101)),
            Err(RecipientError::NameTooLong)
        );
        assert_eq!(
            RecipientName::parse("Eve\r\nBcc: all@example.com"),
            Err(RecipientError::NameControlCharacter)
        );
    }

    #[test]
    fn emails_are_checked_and_normalised() {
        assert_eq!(
            RecipientEmail::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "Ada <ada@example.com>",
            "a b@example.com",
            "ada@exa\nmple.com",
        ] {
            assert_eq!(
                RecipientEmail::parse(bad),
                Err(RecipientError::InvalidEmail),
                "{bad:?}"
            );
        }
        assert_eq!(RecipientEmail::parse("  "), Err(RecipientError::EmptyEmail));
    }
}
