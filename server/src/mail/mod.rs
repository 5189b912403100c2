//! Outgoing email: the messages ([`message`]), the delivery worker
//! ([`delivery`]) and, with no SMTP server configured, the dev mailbox
//! ([`mailbox`]) that keeps mail in the database for `/dev/mailbox`.

pub mod delivery;
pub mod mailbox;
pub mod message;
pub mod smtp;

use app::store::{OutboxId, SharedStore};
use jiff::Timestamp;
use lettre::message::Mailbox;
use url::Url;

use message::{Outgoing, Unsendable};
use smtp::SmtpSender;

/// How many emails one process sends at once (and SMTP connections it keeps).
pub const CONCURRENCY: usize = 8;

/// Where mail goes.
pub enum Transport {
    Smtp(SmtpSender),
    /// The dev mailbox in the database.
    Mailbox(SharedStore),
}

impl Transport {
    pub fn smtp(url: &Url) -> anyhow::Result<Self> {
        Ok(Self::Smtp(SmtpSender::from_url(url, CONCURRENCY)?))
    }

    /// Sends `email`. The dev mailbox records it as sent at once; SMTP
    /// leaves that to the caller (`Ok(false)`), which marks many in one go.
    async fn send(&self, id: OutboxId, email: &Outgoing, from: &Mailbox) -> Result<bool, Failure> {
        let message = email.message(from)?;
        match self {
            Self::Smtp(smtp) => {
                smtp.send(message.envelope(), &message.formatted())
                    .await
                    .map_err(|e| {
                        if e.permanent {
                            Failure::Permanent(e.message)
                        } else {
                            Failure::Transient(e.message)
                        }
                    })?;
                Ok(false)
            }
            Self::Mailbox(mailbox) => {
                let kept = app::store::MailboxMessage {
                    to: email.to.to_string(),
                    subject: email.subject.clone(),
                    raw: String::from_utf8_lossy(&message.formatted()).into_owned(),
                    text: email.text.clone(),
                    html: email.html.clone(),
                };
                mailbox
                    .deliver_to_mailbox(id, &kept, Timestamp::now())
                    .await
                    .map_err(|e| Failure::Transient(e.to_string()))?;
                Ok(true)
            }
        }
    }
}

/// Why a delivery did not complete.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// Worth another try later (connection refused, 4xx, timeout).
    #[error("{0}")]
    Transient(String),
    /// The server refused for good (5xx).
    #[error("{0}")]
    Permanent(String),
    #[error(transparent)]
    Unsendable(#[from] Unsendable),
}
