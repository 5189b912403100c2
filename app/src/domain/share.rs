//! A share as the Share Recording window shows it, and the errors its server
//! functions answer with.

use serde::{Deserialize, Serialize};

use super::{ExpiryPreset, RecordingSummary};

/// Everything the window shows; every server function of the window answers
/// with the whole of it, so the window always shows what is saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShareView {
    pub id: i64,
    pub recording: RecordingSummary,
    pub title: String,
    pub expiration: ExpirationView,
    /// In timeline order: unstamped comments first, then by time.
    pub comments: Vec<CommentView>,
    pub recipients: Vec<RecipientView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpirationView {
    pub preset: ExpiryPreset,
    /// `YYYY-MM-DD`, as date inputs want it.
    pub start_date: String,
    pub end_date: Option<String>,
    /// The last day the link works, `YYYY-MM-DD`.
    pub last_day: String,
    /// "Link works until Tue, Mar 3, 2026".
    pub works_until: String,
    /// The IANA zone the dates are in.
    pub time_zone: String,
    /// The rep's current date in that zone (the earliest allowed end date).
    pub today: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentView {
    pub id: i64,
    pub body: String,
    pub at_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientView {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// The recipient's own link, once generated.
    pub link: Option<String>,
    /// The share email to them, once Send Email(s) queued it.
    pub delivery: Option<Delivery>,
}

/// Where a recipient's email is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Delivery {
    /// Waiting for the worker, or being sent; `retrying` says why the last
    /// attempt failed.
    Queued {
        retrying: Option<String>,
    },
    Sent,
    /// Given up on, for `reason`.
    Failed {
        reason: String,
    },
}

impl Delivery {
    /// `queued`, `sent` or `failed` (for styles).
    pub fn key(&self) -> &'static str {
        match self {
            Self::Queued { .. } => "queued",
            Self::Sent => "sent",
            Self::Failed { .. } => "failed",
        }
    }

    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Queued { .. })
    }

    /// What the window shows beside the recipient.
    pub fn label(&self) -> String {
        match self {
            Self::Queued { retrying: None } => "Email queued".into(),
            Self::Queued {
                retrying: Some(reason),
            } => format!("Email queued, retrying ({reason})"),
            Self::Sent => "Email sent".into(),
            Self::Failed { reason } => format!("Email failed: {reason}"),
        }
    }
}

impl ShareView {
    /// Recipients whose email is still on its way.
    pub fn emails_pending(&self) -> usize {
        self.recipients
            .iter()
            .filter(|r| r.delivery.as_ref().is_some_and(Delivery::is_pending))
            .count()
    }

    /// What Generate Links copies: the bare link for one recipient, else one
    /// `Name <email>: link` line each.
    pub fn links_for_clipboard(&self) -> String {
        let with_links: Vec<_> = self
            .recipients
            .iter()
            .filter_map(|r| r.link.as_ref().map(|link| (r, link)))
            .collect();
        match with_links.as_slice() {
            [(_, link)] => (*link).clone(),
            many => many
                .iter()
                .map(|(r, link)| format!("{} <{}>: {}", r.name, r.email, link))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

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
    // The Settings page.
    RepName,
    TimeZone,
    CurrentPassword,
    NewPassword,
}

/// What a server function of the window can answer instead of a share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ShareError {
    /// Bad input: shown next to `field`; nothing was changed.
    #[error("{message}")]
    Invalid { field: Field, message: String },
    /// No such share, comment or recipient for this rep (another rep's ids look the same).
    #[error("This share no longer exists.")]
    NotFound,
    /// The session ended (signed out elsewhere, or expired).
    #[error("You are signed out. Sign in again to go on.")]
    SignedOut,
    #[error("{0}")]
    Server(String),
}

impl ShareError {
    pub fn invalid(field: Field, error: impl std::fmt::Display) -> Self {
        Self::Invalid {
            field,
            message: error.to_string(),
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for ShareError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        Self::Server(value.to_string())
    }
}

/// Why signing in did not work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SignInError {
    #[error("Wrong email or password.")]
    WrongCredentials,
    #[error("Too many tries. Wait a minute, then try again.")]
    TooManyTries,
    #[error("Something went wrong on our side. Please try again.")]
    Server,
}

impl leptos::server_fn::error::FromServerFnError for SignInError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(_: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        Self::Server
    }
}

/// A link code: 96 bits from a CSPRNG as 16 URL-safe characters.
pub const LINK_CODE_LEN: usize = 16;

/// Whether `code` could be a link code at all (cheap check before any lookup).
pub fn is_link_code(code: &str) -> bool {
    code.len() == LINK_CODE_LEN
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipient(id: i64, name: &str, link: Option<&str>) -> RecipientView {
        RecipientView {
            id,
            name: name.into(),
            email: format!("{}@example.com", name.to_lowercase()),
            link: link.map(Into::into),
            delivery: None,
        }
    }

    fn share(recipients: Vec<RecipientView>) -> ShareView {
        ShareView {
            id: 1,
            recording: RecordingSummary {
                id: 1,
                title: "t".into(),
                created_at: String::new(),
                created_on: String::new(),
                duration_ms: 1000,
            },
            title: "t".into(),
            expiration: ExpirationView {
                preset: ExpiryPreset::Days30,
                start_date: String::new(),
                end_date: None,
                last_day: String::new(),
                works_until: String::new(),
                time_zone: "UTC".into(),
                today: String::new(),
            },
            comments: vec![],
            recipients,
        }
    }

    #[test]
    fn one_recipient_copies_the_bare_link_several_copy_a_line_each() {
        let one = share(vec![recipient(1, "Ada", Some("https://r.example/l/a"))]);
        assert_eq!(one.links_for_clipboard(), "https://r.example/l/a");
        let two = share(vec![
            recipient(1, "Ada", Some("https://r.example/l/a")),
            recipient(2, "Bob", Some("https://r.example/l/b")),
        ]);
        assert_eq!(
            two.links_for_clipboard(),
            "Ada <ada@example.com>: https://r.example/l/a\nBob <bob@example.com>: https://r.example/l/b"
        );
    }

    #[test]
    fn link_codes_have_one_shape() {
        assert!(is_link_code("AbCdEfGh12345_-x"));
        assert!(!is_link_code("short"));
        assert!(!is_link_code("AbCdEfGh12345_-/"));
    }
}
