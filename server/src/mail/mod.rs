//! Outgoing email: the messages ([`message`]), the email queue's handler
//! ([`delivery`]) and, with no SMTP server configured, the dev mailbox
//! ([`mailbox`]) that keeps mail in the database for `/dev/mailbox`.

pub mod delivery;
pub mod mailbox;
pub mod message;
pub mod smtp;

use app::{
    clock::SharedClock,
    store::{EmailId, JobId, SharedStore},
};
use lettre::message::Mailbox;
use url::Url;

use crate::jobs::{Completion, Failure};
use message::Outgoing;
use smtp::SmtpSender;

/// SMTP connections one process sends on at once (and keeps open between
/// emails).
pub const CONNECTIONS: usize = 8;
/// Emails one process has in hand at once: four per connection, so that
/// the next emails are claimed and rendered while the last ones are sent.
pub const CONCURRENCY: usize = 4 * CONNECTIONS;

/// Where mail goes.
pub enum Transport {
    Smtp(SmtpSender),
    /// The dev mailbox in the database.
    Mailbox(SharedStore, SharedClock),
}

impl Transport {
    pub fn smtp(url: &Url, step_timeout: std::time::Duration) -> anyhow::Result<Self> {
        Ok(Self::Smtp(SmtpSender::from_url(
            url,
            CONNECTIONS,
            step_timeout,
        )?))
    }

    /// Sends `email`. The dev mailbox records it as sent at once; SMTP
    /// leaves that to the job runner, which marks many in one go.
    async fn send(
        &self,
        job: JobId,
        id: EmailId,
        email: &Outgoing,
        from: &Mailbox,
    ) -> Result<Completion, Failure> {
        let message = email
            .message(from)
            .map_err(|unsendable| Failure::Permanent(unsendable.to_string()))?;
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
                Ok(Completion::Done)
            }
            Self::Mailbox(store, clock) => {
                let kept = app::store::MailboxMessage {
                    to: email.to.to_string(),
                    subject: email.subject.clone(),
                    raw: String::from_utf8_lossy(&message.formatted()).into_owned(),
                    text: email.text.clone(),
                    html: email.html.clone(),
                };
                store
                    .deliver_to_mailbox(job, id, &kept, clock.now())
                    .await
                    .map_err(|e| Failure::Transient(e.to_string()))?;
                Ok(Completion::Recorded)
            }
        }
    }
}
