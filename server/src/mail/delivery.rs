//! The email queue's handler: renders each claimed email from what the
//! store says now and sends it over SMTP, or into the dev mailbox. The job
//! runner ([`crate::jobs`]) claims, retries and records.

use std::collections::HashMap;

use app::{
    link::LinkBase,
    store::{EmailFacts, EmailId, EmailToSend, Job, Queue, SharedStore},
};
use async_trait::async_trait;
use lettre::message::Mailbox;

use super::{CONCURRENCY, Transport, message};
use crate::jobs::{Completion, Failure, Handler};

/// Attempts before an email is marked failed: with the runner's backoff,
/// 14 to 27 minutes of retrying.
pub const MAX_ATTEMPTS: i64 = 12;

pub struct Email {
    store: SharedStore,
    transport: Transport,
    from: Mailbox,
    links: LinkBase,
    /// The right-hand side of Message-IDs: MAIL_FROM's domain.
    id_domain: String,
}

impl Email {
    pub fn new(store: SharedStore, transport: Transport, from: Mailbox, links: LinkBase) -> Self {
        let id_domain = from.email.domain().to_string();
        Self {
            store,
            transport,
            from,
            links,
            id_domain,
        }
    }

    fn render(&self, email: &EmailToSend) -> Result<message::Outgoing, message::Unsendable> {
        let message_id = format!("<{}@{}>", email.message_key, self.id_domain);
        match &email.facts {
            EmailFacts::Share(facts) => message::share_email(facts, &self.links, message_id),
            EmailFacts::Opened(facts) => message::opened_email(facts, message_id),
        }
    }
}

#[async_trait]
impl Handler for Email {
    /// The claimed emails and what they say, read in one query; `Err` when
    /// the read failed (each email then fails this attempt and is retried).
    type Batch = Result<HashMap<EmailId, EmailToSend>, String>;

    const QUEUE: Queue = Queue::Email;
    const CONCURRENCY: usize = CONCURRENCY;
    const MAX_ATTEMPTS: i64 = MAX_ATTEMPTS;

    async fn prepare(&self, jobs: &[Job]) -> Self::Batch {
        let ids: Vec<EmailId> = jobs.iter().map(|job| EmailId(job.subject)).collect();
        self.store.emails_to_send(&ids).await.map_err(|error| {
            tracing::error!(%error, "could not read what the emails say");
            error.to_string()
        })
    }

    async fn run(&self, job: &Job, batch: &Self::Batch) -> Result<Completion, Failure> {
        let emails = batch
            .as_ref()
            .map_err(|_| Failure::Transient("could not read what the email says".into()))?;
        let email = emails
            .get(&EmailId(job.subject))
            .ok_or_else(|| Failure::Permanent("the email is no longer there to send".into()))?;
        let outgoing = self
            .render(email)
            .map_err(|unsendable| Failure::Permanent(unsendable.to_string()))?;
        let completion = self
            .transport
            .send(job.id, email.id, &outgoing, &self.from)
            .await?;
        tracing::info!(email = %email.id, job = %job.id, attempt = job.attempts, "email sent");
        Ok(completion)
    }
}
