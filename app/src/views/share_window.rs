//! A share as the Share Recording window shows it.

use serde::{Deserialize, Serialize};

use super::RecordingSummary;
use crate::domain::{CommentId, ExpiryPreset, RecipientId, ShareId};

/// Everything the window shows; every server function of the window answers
/// with the whole of it, so the window always shows what is saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShareView {
    pub id: ShareId,
    pub recording: RecordingSummary,
    pub title: String,
    /// "Show a preview when the link is pasted".
    pub link_preview: bool,
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
    pub id: CommentId,
    pub body: String,
    pub at_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientView {
    pub id: RecipientId,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn recipient(id: i64, name: &str, link: Option<&str>) -> RecipientView {
        RecipientView {
            id: RecipientId(id),
            name: name.into(),
            email: format!("{}@example.com", name.to_lowercase()),
            link: link.map(Into::into),
            delivery: None,
        }
    }

    fn share(recipients: Vec<RecipientView>) -> ShareView {
        ShareView {
            id: ShareId(1),
            recording: RecordingSummary {
                id: crate::domain::RecordingId(1),
                title: "t".into(),
                created_at: String::new(),
                created_on: String::new(),
                duration_ms: Some(1000),
                state: crate::domain::MediaState::Ready,
                has_poster: false,
                previews: None,
            },
            title: "t".into(),
            link_preview: true,
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
}
