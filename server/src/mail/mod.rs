//! Outgoing email: the messages ([`message`]), the delivery worker
//! ([`delivery`]) and, with no SMTP server configured, the dev mailbox
//! ([`mailbox`]) that keeps mail in the database for `/dev/mailbox`.

pub mod delivery;
pub mod mailbox;
pub mod message;

use std::time::Duration;

use app::store::{OutboxId, SharedStore};
use jiff::Timestamp;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor, message::Mailbox,
    transport::smtp::PoolConfig,
};
use url::Url;

use message::{Outgoing, Unsendable};

/// How many emails one process sends at once (and SMTP connections it keeps).
pub const CONCURRENCY: usize = 8;

/// Where mail goes.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The dev mailbox in the database.
    Mailbox(SharedStore),
}

impl Transport {
    pub fn smtp(url: &Url) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.as_str())?
            // A server that stops answering costs a retry, not a stuck worker.
            .timeout(Some(Duration::from_secs(15)))
            .pool_config(PoolConfig::new().max_size(CONCURRENCY as u32))
            .build();
        Ok(Self::Smtp(transport))
    }

    /// Sends `email` and marks it sent.
    async fn send(
        &self,
        id: OutboxId,
        email: &Outgoing,
        from: &Mailbox,
        store: &SharedStore,
    ) -> Result<(), Failure> {
        let message = email.message(from)?;
        match self {
            Self::Smtp(smtp) => {
                smtp.send(message).await.map_err(|e| {
                    if e.is_permanent() {
                        Failure::Permanent(e.to_string())
                    } else {
                        Failure::Transient(e.to_string())
                    }
                })?;
                store
                    .email_sent(id, Timestamp::now())
                    .await
                    .map_err(|e| Failure::Unrecorded(e.to_string()))
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
                    .map_err(|e| Failure::Transient(e.to_string()))
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
    /// Sent, but the database did not take the mark: the claim runs out and
    /// the email goes once more, with the same Message-ID.
    #[error("sent, but could not record it: {0}")]
    Unrecorded(String),
}
