//! Link answers kept in memory. Every page view, report and range of a
//! recipient's video asks what its link opens; asking the database each
//! time costs a hand-off to its connection and a row to decode. The answer
//! only changes when the rep changes the share, so it is kept until a write
//! that could change any answer (revoke, remove a recipient, expiration,
//! title, comments, preview, the recording or its owner's name) clears them
//! all.
//!
//! Other instances hear of such a write at once: on PostgreSQL through
//! `NOTIFY link_changes`, on one SQLite file through the length of a file
//! beside it, which every writer grows by one byte and every lookup reads
//! (a `stat`, not a query). Until an instance is sure it would hear (its
//! PostgreSQL listener is connected), it asks the database every time.
//! A notification reaches the listeners after the write has answered unless
//! the writer waits: a write on PostgreSQL answers once its own instance has
//! heard its notification back. PostgreSQL tells every listener in the same
//! moment, so by the time the rep sees the change saved the others have
//! been told too, and a recipient's next request is refused on any of them.
//!
//! Requests that miss the same link at once share one query (a thousand
//! viewers of one link re-checking together must not queue a thousand
//! queries for the pool). Only requests that arrive before any change
//! share it: a change starts the next ones on a query of their own.

use std::{
    collections::HashMap,
    fs::OpenOptions,
    io::Write,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use app::store::{LinkedShare, StoreError};

/// Answers kept at most; past this the cache starts afresh (a link is
/// opened again soon after it is opened, so recent answers are what count).
const CAPACITY: usize = 20_000;

/// An answer is asked again after this long whatever was heard: the last
/// guard should a signal ever be lost (a process dying between its commit
/// and its `NOTIFY`).
const MAX_AGE: Duration = Duration::from_secs(30);

/// The PostgreSQL channel that carries "some link answer changed".
pub const CHANNEL: &str = "link_changes";

pub struct LinkCache {
    entries: Mutex<Entries>,
    signal: Signal,
}

#[derive(Default)]
struct Entries {
    /// Raised whenever the answers are cleared: a lookup that started before
    /// does not keep what it read.
    generation: u64,
    /// The last level of the shared signal these entries agree with.
    seen: u64,
    answers: HashMap<String, (Instant, Arc<LinkedShare>)>,
    /// The queries under way, by code, each for requests of this generation.
    flights: HashMap<String, Flight>,
}

impl Entries {
    fn forget(&mut self) {
        self.answers.clear();
        self.flights.clear();
        self.generation += 1;
    }
}

/// One query for a link's answer, awaited by every request that missed it
/// meanwhile.
pub type Flight = Arc<tokio::sync::OnceCell<Result<Option<Arc<LinkedShare>>, StoreError>>>;

/// How writes by other instances become known.
enum Signal {
    /// One process (an in-memory database): only its own writes count.
    Local,
    /// A file beside the SQLite database: its length rises with every write.
    File(PathBuf),
    /// Raised by the task that listens on [`CHANNEL`].
    Notified(Arc<Notified>),
}

/// What the PostgreSQL listener task shares with the cache.
pub struct Notified {
    level: AtomicU64,
    listening: AtomicBool,
    /// Names this instance's own notifications (`{instance}:{number}`).
    instance: u64,
    /// The number of this instance's last notification sent, and heard.
    sent: AtomicU64,
    heard: AtomicU64,
    heard_more: tokio::sync::Notify,
}

impl Default for Notified {
    fn default() -> Self {
        Self {
            level: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            instance: rand::random(),
            sent: AtomicU64::new(0),
            heard: AtomicU64::new(0),
            heard_more: tokio::sync::Notify::new(),
        }
    }
}

impl Notified {
    /// A notification arrived (or may have been missed): answers are stale.
    pub fn changed(&self) {
        self.level.fetch_add(1, Ordering::SeqCst);
    }

    /// A notification with `payload` arrived.
    pub fn heard(&self, payload: &str) {
        self.changed();
        let own = payload
            .split_once(':')
            .filter(|(instance, _)| instance.parse() == Ok(self.instance))
            .and_then(|(_, number)| number.parse::<u64>().ok());
        if let Some(number) = own {
            self.heard.fetch_max(number, Ordering::SeqCst);
            self.heard_more.notify_waiters();
        }
    }

    /// The payload of this instance's next notification, and what completes
    /// once it has been heard back (at once while nothing is heard).
    pub fn announce(&self) -> (String, impl Future<Output = ()> + '_) {
        let number = self.sent.fetch_add(1, Ordering::SeqCst) + 1;
        let payload = format!("{}:{number}", self.instance);
        (payload, async move {
            loop {
                let more = self.heard_more.notified();
                let mut more = std::pin::pin!(more);
                // Registered before the check: a notification heard in
                // between still wakes this.
                more.as_mut().enable();
                if self.heard.load(Ordering::SeqCst) >= number
                    || !self.listening.load(Ordering::SeqCst)
                {
                    return;
                }
                more.await;
            }
        })
    }

    /// Whether notifications reach this instance; when not, every lookup
    /// asks the database.
    pub fn set_listening(&self, listening: bool) {
        if !listening {
            self.changed();
        }
        self.listening.store(listening, Ordering::SeqCst);
        // A write waiting to hear its notification need not wait for a
        // listener that is gone.
        self.heard_more.notify_waiters();
        if listening {
            // Whatever happened while deaf is unknown: start afresh.
            self.changed();
        }
    }
}

/// What [`LinkCache::lookup`] found: the answer, or the ticket to keep the
/// database's answer with [`LinkCache::keep`].
pub enum Lookup {
    Hit(Arc<LinkedShare>),
    Miss(Ticket),
}

pub struct Ticket {
    generation: Option<u64>,
    flight: Option<Flight>,
}

impl Ticket {
    /// The query this miss shares with others, if it may share one.
    pub fn flight(&self) -> Option<&Flight> {
        self.flight.as_ref()
    }
}

impl LinkCache {
    /// Single-process: an in-memory SQLite database.
    pub fn local() -> Self {
        Self::with(Signal::Local)
    }

    /// For a SQLite file that other processes may write.
    pub fn beside_file(database: &std::path::Path) -> Self {
        let mut name = database.as_os_str().to_owned();
        name.push(".link-changes");
        Self::with(Signal::File(PathBuf::from(name)))
    }

    /// For PostgreSQL: `notified` is raised by the listener task.
    pub fn notified(notified: Arc<Notified>) -> Self {
        Self::with(Signal::Notified(notified))
    }

    fn with(signal: Signal) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            signal,
        }
    }

    /// The current level of the shared signal, `None` when it cannot be
    /// trusted (then nothing is kept or served).
    fn level(&self) -> Option<u64> {
        match &self.signal {
            Signal::Local => Some(0),
            Signal::File(path) => match std::fs::metadata(path) {
                Ok(meta) => Some(meta.len()),
                // No write has happened yet anywhere.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(0),
                Err(_) => None,
            },
            Signal::Notified(n) => n
                .listening
                .load(Ordering::SeqCst)
                .then(|| n.level.load(Ordering::SeqCst)),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The map holds no invariant a panic could break halfway.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings the entries up to the signal's level; `false` when the signal
    /// cannot be trusted.
    fn refresh(&self, entries: &mut Entries) -> bool {
        let Some(level) = self.level() else {
            entries.forget();
            return false;
        };
        if level != entries.seen {
            entries.forget();
            entries.seen = level;
        }
        true
    }

    pub fn lookup(&self, code: &str) -> Lookup {
        let mut entries = self.entries();
        if !self.refresh(&mut entries) {
            return Lookup::Miss(Ticket {
                generation: None,
                flight: None,
            });
        }
        if let Some((kept, answer)) = entries.answers.get(code)
            && kept.elapsed() < MAX_AGE
        {
            return Lookup::Hit(answer.clone());
        }
        let flight = entries.flights.entry(code.to_string()).or_default().clone();
        Lookup::Miss(Ticket {
            generation: Some(entries.generation),
            flight: Some(flight),
        })
    }

    /// The query for `code` has answered: keeps the answer (when there is
    /// one), unless a change came while it was read.
    pub fn keep(&self, code: &str, ticket: Ticket, answer: Option<&Arc<LinkedShare>>) {
        let Some(generation) = ticket.generation else {
            return;
        };
        let mut entries = self.entries();
        if let (Some(landed), Some(flying)) = (&ticket.flight, entries.flights.get(code))
            && Arc::ptr_eq(landed, flying)
        {
            entries.flights.remove(code);
        }
        if !self.refresh(&mut entries) || entries.generation != generation {
            return;
        }
        let Some(answer) = answer else {
            return;
        };
        if entries.answers.len() >= CAPACITY {
            entries.answers.clear();
        }
        entries.answers.insert(
            answer.code.as_str().to_string(),
            (Instant::now(), answer.clone()),
        );
    }

    /// What hears other instances' notifications, on PostgreSQL.
    pub fn notifications(&self) -> Option<&Notified> {
        match &self.signal {
            Signal::Notified(notified) => Some(notified),
            Signal::Local | Signal::File(_) => None,
        }
    }

    /// A write that may change answers has committed here: forget them all
    /// and tell other processes on the same SQLite file. (PostgreSQL
    /// instances hear of it from the store's `NOTIFY`.)
    pub fn changed(&self) {
        self.entries().forget();
        if let Signal::File(path) = &self.signal {
            let grown = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut file| file.write_all(b"."));
            if let Err(error) = grown {
                // Other processes on this file may serve an old answer
                // until their own next write; say so loudly.
                tracing::error!(%error, path = %path.display(), "could not signal a link change");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flight(lookup: Lookup) -> (Ticket, Flight) {
        match lookup {
            Lookup::Miss(ticket) => {
                let flight = ticket.flight().expect("a shared query").clone();
                (ticket, flight)
            }
            Lookup::Hit(_) => panic!("nothing is kept yet"),
        }
    }

    #[tokio::test]
    async fn a_write_waits_for_its_own_notification_and_no_other() {
        use futures::FutureExt;
        let notified = Notified::default();
        notified.set_listening(true);
        let (payload, heard) = notified.announce();
        let mut heard = std::pin::pin!(heard);
        assert!(heard.as_mut().now_or_never().is_none(), "not heard yet");

        let level = notified.level.load(Ordering::SeqCst);
        let (instance, number) = payload.split_once(':').unwrap();
        let other: u64 = instance.parse::<u64>().unwrap().wrapping_add(1);
        notified.heard(&format!("{other}:{number}"));
        notified.heard("");
        assert_eq!(
            notified.level.load(Ordering::SeqCst),
            level + 2,
            "any notice is a change"
        );
        assert!(
            heard.as_mut().now_or_never().is_none(),
            "another's is not ours"
        );

        notified.heard(&payload);
        heard.await;
        // Heard later ones count for earlier ones (they come in order).
        let (_, first) = notified.announce();
        let (second, _) = notified.announce();
        notified.heard(&second);
        first.await;

        // Nothing is heard while the listener is away: nothing to wait for.
        let (_, waiting) = notified.announce();
        let mut waiting = std::pin::pin!(waiting);
        assert!(waiting.as_mut().now_or_never().is_none());
        notified.set_listening(false);
        waiting.await;
    }

    #[test]
    fn misses_at_once_share_a_query_until_a_change() {
        let cache = LinkCache::local();
        let (first, a) = flight(cache.lookup("code"));
        let (_, b) = flight(cache.lookup("code"));
        assert!(
            Arc::ptr_eq(&a, &b),
            "the second miss waits for the first query"
        );
        let (_, other) = flight(cache.lookup("other"));
        assert!(!Arc::ptr_eq(&a, &other), "another link has its own query");

        cache.changed();
        let (_, after) = flight(cache.lookup("code"));
        assert!(
            !Arc::ptr_eq(&a, &after),
            "a change starts a query of its own"
        );

        // The first query landing (with nothing found) leaves the newer one.
        cache.keep("code", first, None);
        let (_, still) = flight(cache.lookup("code"));
        assert!(Arc::ptr_eq(&after, &still));
    }
}
