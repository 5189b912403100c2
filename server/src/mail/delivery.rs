//! The delivery worker: claims due emails from the outbox, renders and sends
//! them, and records the outcome. Safe to run in many processes at once: a
//! claim is one atomic update, and a claim whose worker died runs out and is
//! taken again, so no email is lost; the price is that an email sent just
//! before a crash can go out once more (same Message-ID).

use std::{collections::HashMap, sync::Arc, time::Duration};

use app::{
    link::LinkBase,
    store::{EmailKind, OutboxId, OutboxItem, RecipientId, ShareEmailFacts, SharedStore},
};
use jiff::{SignedDuration, Timestamp};
use lettre::message::Mailbox;
use tokio::{
    sync::{Notify, Semaphore, mpsc},
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;

use super::{
    CONCURRENCY, Failure, Transport,
    message::{self, Outgoing, Unsendable},
};

/// How long a claimed email is the claimant's alone: longer than a send can
/// take (the SMTP timeout applies to each step), short enough that the
/// emails of a crashed process go out soon after.
pub const CLAIM: Duration = Duration::from_secs(30);
/// While busy, claim this many at a time (each claim is a write).
const CLAIM_BATCH: usize = 4;
/// How often an idle worker looks for email queued by other processes.
const POLL: Duration = Duration::from_secs(1);
/// Attempts before an email is marked failed: with the backoff below, about
/// an hour of retrying.
pub const MAX_ATTEMPTS: i64 = 12;
const MAX_BACKOFF: Duration = Duration::from_secs(600);

pub struct Worker {
    store: SharedStore,
    transport: Transport,
    from: Mailbox,
    links: LinkBase,
    /// The right-hand side of Message-IDs: MAIL_FROM's domain.
    id_domain: String,
}

/// A running worker: wake it when email was queued, stop it at shutdown.
pub struct WorkerHandle {
    wake: Arc<Notify>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    pub fn waker(&self) -> app::store::OutboxWaker {
        let wake = self.wake.clone();
        app::store::OutboxWaker(Arc::new(move || wake.notify_one()))
    }

    /// Stops claiming and waits for the sends in flight.
    pub async fn stop(self) {
        self.stop.cancel();
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the delivery worker ended abnormally");
        }
    }
}

impl Worker {
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

    pub fn start(self) -> WorkerHandle {
        let wake = Arc::new(Notify::new());
        let stop = CancellationToken::new();
        let task = tokio::spawn(Arc::new(self).run(wake.clone(), stop.clone()));
        WorkerHandle { wake, stop, task }
    }

    async fn run(self: Arc<Self>, wake: Arc<Notify>, stop: CancellationToken) {
        let slots = Arc::new(Semaphore::new(CONCURRENCY));
        let mut sending = JoinSet::new();
        // Sent emails are marked in batches, one statement for many.
        let (sent_tx, sent_rx) = mpsc::unbounded_channel();
        let marker = tokio::spawn(mark_sent(self.store.clone(), sent_rx));
        loop {
            // Claim only as many as there are free slots, so a claim never
            // waits in a queue here while its time runs out; while busy,
            // claim a few at a time rather than one by one.
            let want = if slots.available_permits() == CONCURRENCY {
                1
            } else {
                CLAIM_BATCH
            };
            let mut permit = tokio::select! {
                permit = slots.clone().acquire_many_owned(want as u32) => permit.expect("the semaphore is never closed"),
                () = stop.cancelled() => break,
            };
            while let Ok(more) = slots.clone().try_acquire_owned() {
                permit.merge(more);
            }
            let now = Timestamp::now();
            let claimed = match self
                .store
                .claim_emails(now, later(now, CLAIM), permit.num_permits())
                .await
            {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(%error, "could not claim email from the outbox");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                drop(permit);
                self.idle(&wake, &stop).await;
                continue;
            }
            let mut facts = self.share_facts(&claimed).await;
            for item in claimed {
                let one = permit.split(1).expect("one permit per claimed email");
                let facts = facts.remove(&item.recipient_id);
                let worker = self.clone();
                let sent = sent_tx.clone();
                sending.spawn(async move {
                    worker.deliver(item, facts, &sent).await;
                    drop(one);
                });
            }
            while sending.try_join_next().is_some() {}
        }
        while sending.join_next().await.is_some() {}
        drop(sent_tx);
        if let Err(error) = marker.await {
            tracing::error!(%error, "marking sent emails ended abnormally");
        }
    }

    /// The facts of the share emails among `claimed`, read in one query.
    async fn share_facts(&self, claimed: &[OutboxItem]) -> HashMap<RecipientId, ShareEmailFacts> {
        let recipients: Vec<RecipientId> = claimed
            .iter()
            .filter(|item| item.kind == EmailKind::Share)
            .map(|item| item.recipient_id)
            .collect();
        match self.store.share_email_facts(&recipients).await {
            Ok(facts) => facts,
            Err(error) => {
                // Each email then fails this attempt and is retried.
                tracing::error!(%error, "could not read what the emails say");
                HashMap::new()
            }
        }
    }

    /// Waits until an email may be due: woken by this process, at the next
    /// retry, or at the next poll for other processes' email.
    async fn idle(&self, wake: &Notify, stop: &CancellationToken) {
        let wait = match self.store.next_email_due().await {
            Ok(Some(due)) => Duration::try_from(due.duration_since(Timestamp::now()))
                .unwrap_or(Duration::ZERO)
                .clamp(Duration::from_millis(20), POLL),
            Ok(None) => POLL,
            Err(error) => {
                tracing::error!(%error, "could not read the outbox");
                POLL
            }
        };
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
            () = stop.cancelled() => {}
        }
    }

    async fn deliver(
        &self,
        item: OutboxItem,
        facts: Option<ShareEmailFacts>,
        sent: &mpsc::UnboundedSender<OutboxId>,
    ) {
        let result = match self.render(&item, facts).await {
            Ok(email) => self.transport.send(item.id, &email, &self.from).await,
            Err(failure) => Err(failure),
        };
        let kind = item.kind.key();
        let outcome = match result {
            Ok(recorded) => {
                tracing::info!(id = item.id, kind, attempt = item.attempts, "email sent");
                if !recorded {
                    // The marker only stops after every sender is done.
                    let _ = sent.send(item.id);
                }
                return;
            }
            Err(Failure::Transient(error)) if item.attempts < MAX_ATTEMPTS => {
                let retry_at = later(Timestamp::now(), backoff(item.attempts));
                tracing::warn!(id = item.id, kind, attempt = item.attempts, %error, %retry_at, "email not sent; will retry");
                self.store.email_retry(item.id, retry_at, &error).await
            }
            Err(failure) => {
                let reason = failure.to_string();
                tracing::warn!(id = item.id, kind, attempt = item.attempts, %reason, "email failed for good");
                self.store.email_failed(item.id, &reason).await
            }
        };
        if let Err(error) = outcome {
            // The claim runs out and the email is tried again.
            tracing::error!(id = item.id, %error, "could not record an email's outcome");
        }
    }

    async fn render(
        &self,
        item: &OutboxItem,
        facts: Option<ShareEmailFacts>,
    ) -> Result<Outgoing, Failure> {
        let message_id = format!("<{}@{}>", item.message_key, self.id_domain);
        match item.kind {
            EmailKind::Share => {
                let facts = facts.ok_or_else(|| {
                    Failure::Transient("could not read what the email says".into())
                })?;
                Ok(message::share_email(&facts, &self.links, message_id)?)
            }
            EmailKind::Opened => {
                let open = item.open_id.ok_or(Unsendable::LinkGone)?;
                let facts = self
                    .store
                    .opened_email_facts(open)
                    .await
                    .map_err(|e| Failure::Transient(e.to_string()))?
                    .ok_or(Unsendable::LinkGone)?;
                Ok(message::opened_email(&facts, message_id)?)
            }
        }
    }
}

/// Marks sent emails in batches: whatever has arrived since the last batch.
/// A crash before the mark means the email goes once more (same Message-ID).
async fn mark_sent(store: SharedStore, mut sent: mpsc::UnboundedReceiver<OutboxId>) {
    let mut batch = Vec::with_capacity(256);
    while sent.recv_many(&mut batch, 256).await > 0 {
        if let Err(error) = store.emails_sent(&batch, Timestamp::now()).await {
            tracing::error!(%error, count = batch.len(), "could not mark emails sent; they will go once more");
        }
        batch.clear();
    }
}

/// Wait before attempt `attempt + 1`: doubling from 1 s up to 10 min, half of
/// it random ("equal jitter") so that after an outage the retries of many
/// emails and processes spread out instead of arriving together.
pub fn backoff(attempt: i64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let full = Duration::from_secs(1)
        .saturating_mul(2u32.pow(doublings))
        .min(MAX_BACKOFF);
    let half = full / 2;
    half + half.mul_f64(rand::random::<f64>())
}

fn later(now: Timestamp, wait: Duration) -> Timestamp {
    SignedDuration::try_from(wait)
        .ok()
        .and_then(|wait| now.checked_add(wait).ok())
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stops_growing() {
        for (attempt, full) in [
            (1, 1),
            (2, 2),
            (3, 4),
            (5, 16),
            (10, 512),
            (11, 600),
            (40, 600),
        ] {
            let full = Duration::from_secs(full);
            for _ in 0..50 {
                let wait = backoff(attempt);
                assert!(
                    wait >= full / 2 && wait <= full,
                    "attempt {attempt}: {wait:?}"
                );
            }
        }
        let spread: std::collections::HashSet<_> = (0..20).map(|_| backoff(6)).collect();
        assert!(spread.len() > 10, "retries spread out");
    }
}
