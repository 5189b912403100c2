//! The one error every server function answers with, and which field of a
//! form it belongs to. Its HTTP status is set in one place
//! ([`super::ssr::answer`]).

use serde::{Deserialize, Serialize};

/// Which input an error belongs next to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    Title,
    Expiration,
    StartDate,
    EndDate,
    Comment,
    CommentTime,
    EditComment,
    RecipientName,
    RecipientEmail,
    Recipients,
    // Signing in.
    Password,
    // The search box of a list.
    Search,
    // The Settings page.
    RepName,
    TimeZone,
    CurrentPassword,
    NewPassword,
}

/// What a server function can answer instead of its result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    /// Bad input: shown next to `field`; nothing was changed.
    #[error("{message}")]
    Invalid { field: Field, message: String },
    /// No such recording, share, comment or recipient for this rep (another
    /// rep's ids look the same).
    #[error("This no longer exists.")]
    NotFound,
    /// The session ended (signed out elsewhere, or expired).
    #[error("You are signed out. Sign in again to go on.")]
    SignedOut,
    /// Signing in: one answer for a wrong email and a wrong password, so the
    /// form does not tell which emails have accounts.
    #[error("Wrong email or password.")]
    WrongCredentials,
    #[error("Too many tries. Wait a minute, then try again.")]
    TooManyTries,
    /// The recording is still being processed (or could not be): it cannot
    /// be shared yet.
    #[error("This recording is not ready yet. Share it once it is processed.")]
    NotReady,
    /// The server's database cannot be reached just now.
    #[error("The server cannot reach its database just now. Please try again in a moment.")]
    Unavailable,
    #[error("{0}")]
    Server(String),
}

impl ApiError {
    pub fn invalid(field: Field, error: impl std::fmt::Display) -> Self {
        Self::Invalid {
            field,
            message: error.to_string(),
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for ApiError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        Self::Server(value.to_string())
    }
}
