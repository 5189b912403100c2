//! The one mechanism for work done after the request: emails now; media
//! processing, webhook deliveries, media deletion and reminders are queues
//! of the same kind. A job is a row written in the same transaction as its
//! cause ([`app::store::Store`]); a [`Runner`] per queue and process claims
//! due jobs for a limited while, runs them through the queue's [`Handler`],
//! and records the outcome: done (in batches), retried with backoff, or
//! failed for good. Safe to run in many processes at once: a claim is one
//! atomic statement, a long run renews its claim as it goes (and stops if
//! it lost it), and the jobs of a crashed process are claimed again once
//! their claim runs out, so nothing is lost; the price is that a job
//! finished just before a crash may run once more, so handlers make a second
//! run harmless (an email keeps its Message-ID).

use std::{sync::Arc, time::Duration};

use app::{
    clock::SharedClock,
    store::{Job, JobId, Queue, SharedStore},
};
use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use tokio::{
    sync::{Notify, Semaphore, mpsc},
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;

/// How the runners of every queue behave (configuration: `JOB_CLAIM_SECONDS`,
/// `JOB_POLL_MILLIS`).
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// How long a claimed job is its claimant's alone: longer than a run can
    /// take, short enough that the jobs of a crashed process go on soon.
    pub claim: Duration,
    /// How often an idle runner looks for jobs queued by other processes.
    pub poll: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            claim: Duration::from_secs(30),
            poll: Duration::from_secs(1),
        }
    }
}

/// Why a run did not complete.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Worth another try later (connection refused, a 4xx from a mail
    /// server, a timeout): retried with backoff until the queue's attempts
    /// run out.
    #[error("{0}")]
    Transient(String),
    /// No later try can succeed.
    #[error("{0}")]
    Permanent(String),
}

/// How a run completed.
pub enum Completion {
    /// The runner marks the job done (many in one statement).
    Done,
    /// The handler already recorded it, with its own result, in one
    /// transaction (the dev mailbox does).
    Recorded,
}

/// What a queue does with its jobs.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// What a batch of claimed jobs needs, read once for the batch (what
    /// the emails say, …).
    type Batch: Send + Sync + 'static;

    const QUEUE: Queue;
    /// At most this many of the queue's jobs run at once in one process.
    const CONCURRENCY: usize;
    /// Attempts before a job fails for good.
    const MAX_ATTEMPTS: i64;
    /// At shutdown, stop runs in flight and put their jobs back in the
    /// queue (long runs: another process, or the next start, takes them
    /// over) rather than waiting for them to finish.
    const ABANDON_AT_STOP: bool = false;

    async fn prepare(&self, jobs: &[Job]) -> Self::Batch;
    async fn run(&self, job: &Job, batch: &Self::Batch) -> Result<Completion, Failure>;
}

/// A queue's runner in this process.
pub struct Runner<H: Handler> {
    handler: Arc<H>,
    store: SharedStore,
    clock: SharedClock,
    timing: Timing,
}

/// A running runner: wake it when a job was queued, stop it at shutdown.
pub struct RunnerHandle {
    wake: Arc<Notify>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl RunnerHandle {
    /// Wakes the runner, so it looks for due jobs now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Stops claiming and waits for the runs in flight.
    pub async fn stop(self) {
        self.stop.cancel();
        if let Err(error) = self.task.await {
            tracing::error!(%error, "a job runner ended abnormally");
        }
    }
}

/// While busy, claim up to this many at a time (each claim is a write).
const CLAIM_BATCH: usize = 8;
/// Done jobs are marked this many at a time at most.
const DONE_BATCH: usize = 256;
/// The longest wait between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

impl<H: Handler> Runner<H> {
    pub fn new(handler: H, store: SharedStore, clock: SharedClock, timing: Timing) -> Self {
        Self {
            handler: Arc::new(handler),
            store,
            clock,
            timing,
        }
    }

    pub fn start(self) -> RunnerHandle {
        let wake = Arc::new(Notify::new());
        let stop = CancellationToken::new();
        let task = tokio::spawn(Arc::new(self).run(wake.clone(), stop.clone()));
        RunnerHandle { wake, stop, task }
    }

    async fn run(self: Arc<Self>, wake: Arc<Notify>, stop: CancellationToken) {
        let queue = H::QUEUE.key();
        let slots = Arc::new(Semaphore::new(H::CONCURRENCY));
        let mut running = JoinSet::new();
        // Done jobs are marked in batches, one statement for many.
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let marker = tokio::spawn(mark_done(self.store.clone(), self.clock.clone(), done_rx));
        loop {
            // Claim only as many as there are free slots, so a claim never
            // waits in a queue here while its time runs out; while busy,
            // claim a few at a time rather than one by one.
            let want = if slots.available_permits() == H::CONCURRENCY {
                1
            } else {
                CLAIM_BATCH.min(H::CONCURRENCY)
            };
            let mut permit = tokio::select! {
                permit = slots.clone().acquire_many_owned(want as u32) => permit.expect("the semaphore is never closed"),
                () = stop.cancelled() => break,
            };
            while let Ok(more) = slots.clone().try_acquire_owned() {
                permit.merge(more);
            }
            let now = self.clock.now();
            let claimed = match self
                .store
                .claim_jobs(
                    H::QUEUE,
                    now,
                    later(now, self.timing.claim),
                    permit.num_permits(),
                )
                .await
            {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(%error, queue, "could not claim jobs");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                drop(permit);
                self.idle(&wake, &stop).await;
                continue;
            }
            let batch = Arc::new(self.handler.prepare(&claimed).await);
            for job in claimed {
                let one = permit.split(1).expect("one permit per claimed job");
                let runner = self.clone();
                let batch = batch.clone();
                let done = done_tx.clone();
                let stop = stop.clone();
                running.spawn(async move {
                    runner.run_one(job, &batch, &done, &stop).await;
                    drop(one);
                });
            }
            while running.try_join_next().is_some() {}
        }
        while running.join_next().await.is_some() {}
        drop(done_tx);
        if let Err(error) = marker.await {
            tracing::error!(%error, queue, "marking jobs done ended abnormally");
        }
    }

    /// Waits until a job may be due: woken by this process, at the next
    /// retry, or at the next poll for other processes' jobs.
    async fn idle(&self, wake: &Notify, stop: &CancellationToken) {
        let wait = match self.store.next_job_due(H::QUEUE).await {
            Ok(Some(due)) => Duration::try_from(due.duration_since(self.clock.now()))
                .unwrap_or(Duration::ZERO)
                .clamp(Duration::from_millis(20), self.timing.poll),
            Ok(None) => self.timing.poll,
            Err(error) => {
                tracing::error!(%error, queue = H::QUEUE.key(), "could not read the queue");
                self.timing.poll
            }
        };
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
            () = stop.cancelled() => {}
        }
    }

    async fn run_one(
        &self,
        job: Job,
        batch: &H::Batch,
        done: &mpsc::UnboundedSender<JobId>,
        stop: &CancellationToken,
    ) {
        let queue = H::QUEUE.key();
        let abandon = async {
            match H::ABANDON_AT_STOP {
                true => stop.cancelled().await,
                false => std::future::pending().await,
            }
        };
        // The run is dropped (its child processes killed) when its claim is
        // lost or at shutdown.
        let outcome = tokio::select! {
            outcome = self.handler.run(&job, batch) => outcome,
            () = self.keep_claimed(&job) => {
                tracing::warn!(queue, id = %job.id, "lost the claim on a job; another worker has it");
                return;
            }
            () = abandon => {
                tracing::info!(queue, id = %job.id, "stopping: the job goes back to the queue");
                if let Err(error) = self.store.job_released(&job, self.clock.now()).await {
                    tracing::error!(queue, id = %job.id, %error, "could not put a job back");
                }
                return;
            }
        };
        let outcome = match outcome {
            Ok(completion) => {
                tracing::info!(queue, id = %job.id, subject = job.subject, attempt = job.attempts, "job done");
                if let Completion::Done = completion {
                    // The marker only stops after every run is over.
                    let _ = done.send(job.id);
                }
                return;
            }
            Err(Failure::Transient(error)) if job.attempts < H::MAX_ATTEMPTS => {
                let retry_at = later(self.clock.now(), backoff(job.attempts));
                tracing::warn!(queue, id = %job.id, attempt = job.attempts, %error, %retry_at, "job will be retried");
                self.store.job_retry(job.id, retry_at, &error).await
            }
            Err(failure) => {
                let reason = failure.to_string();
                tracing::warn!(queue, id = %job.id, attempt = job.attempts, %reason, "job failed for good");
                self.store
                    .job_failed(job.id, self.clock.now(), &reason)
                    .await
            }
        };
        if let Err(error) = outcome {
            // The claim runs out and the job is tried again.
            tracing::error!(queue, id = %job.id, %error, "could not record a job's outcome");
        }
    }
}

impl<H: Handler> Runner<H> {
    /// Renews the job's claim every third of its length while it runs;
    /// returns when the claim is lost (taken over after it ran out, or it
    /// could not be renewed before running out), never while it is held.
    async fn keep_claimed(&self, job: &Job) {
        let claim = self.timing.claim;
        let mut held_until = tokio::time::Instant::now() + claim;
        loop {
            tokio::time::sleep(claim / 3).await;
            let until = later(self.clock.now(), claim);
            match self.store.extend_job_claim(job, until).await {
                Ok(true) => held_until = tokio::time::Instant::now() + claim,
                Ok(false) => return,
                Err(error) => {
                    tracing::warn!(id = %job.id, %error, "could not renew a job's claim");
                    if tokio::time::Instant::now() + claim / 3 >= held_until {
                        return;
                    }
                }
            }
        }
    }
}

/// Marks done jobs in batches: whatever has arrived since the last batch.
/// A crash before the mark means the job runs once more.
async fn mark_done(
    store: SharedStore,
    clock: SharedClock,
    mut done: mpsc::UnboundedReceiver<JobId>,
) {
    let mut batch = Vec::with_capacity(DONE_BATCH);
    while done.recv_many(&mut batch, DONE_BATCH).await > 0 {
        if let Err(error) = store.jobs_done(&batch, clock.now()).await {
            tracing::error!(%error, count = batch.len(), "could not mark jobs done; they will run once more");
        }
        batch.clear();
    }
}

/// Wait before attempt `attempt + 1`: doubling from 1 s up to 10 min, half of
/// it random ("equal jitter") so that after an outage the retries of many
/// jobs and processes spread out instead of arriving together.
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
