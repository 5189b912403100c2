//! A rep's new password: the rules it must meet before it is hashed.

/// Long enough to resist guessing, short enough that hashing stays cheap.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 1024;

#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Use at least {MIN_PASSWORD_CHARS} characters.")]
    TooShort,
    #[error("Use at most {MAX_PASSWORD_CHARS} characters.")]
    TooLong,
}

impl NewPassword {
    /// Taken as typed (no trimming: spaces may be part of a passphrase).
    pub fn parse(password: &str) -> Result<Self, PasswordError> {
        let chars = password.chars().count();
        if chars < MIN_PASSWORD_CHARS || password.trim().is_empty() {
            Err(PasswordError::TooShort)
        } else if chars > MAX_PASSWORD_CHARS {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(password.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Never print a password, not even in a debug log.
impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_eight_to_1024_characters() {
        assert_eq!(NewPassword::parse("short"), Err(PasswordError::TooShort));
        assert_eq!(NewPassword::parse("        "), Err(PasswordError::TooShort));
        assert_eq!(
            NewPassword::parse(&"x".repeat(1025)),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            NewPassword::parse(" correct horse ").unwrap().as_str(),
            " correct horse "
        );
        assert_eq!(
            format!("{:?}", NewPassword::parse("secret-words").unwrap()),
            "NewPassword(…)"
        );
    }
}
