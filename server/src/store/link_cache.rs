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

use app::store::LinkedShare;

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
}

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
#[derive(Default)]
pub struct Notified {
    level: AtomicU64,
    listening: AtomicBool,
}

impl Notified {
    /// A notification arrived (or may have been missed): answers are stale.
    pub fn changed(&self) {
        self.level.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether notifications reach this instance; when not, every lookup
    /// asks the database.
    pub fn set_listening(&self, listening: bool) {
        if !listening {
            self.changed();
        }
        self.listening.store(listening, Ordering::SeqCst);
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
            entries.answers.clear();
            entries.generation += 1;
            return false;
        };
        if level != entries.seen {
            entries.answers.clear();
            entries.generation += 1;
            entries.seen = level;
        }
        true
    }

    pub fn lookup(&self, code: &str) -> Lookup {
        let mut entries = self.entries();
        if !self.refresh(&mut entries) {
            return Lookup::Miss(Ticket { generation: None });
        }
        match entries.answers.get(code) {
            Some((kept, answer)) if kept.elapsed() < MAX_AGE => Lookup::Hit(answer.clone()),
            _ => Lookup::Miss(Ticket {
                generation: Some(entries.generation),
            }),
        }
    }

    /// Keeps the database's answer, unless a change came while it was read.
    pub fn keep(&self, ticket: Ticket, answer: &Arc<LinkedShare>) {
        let Some(generation) = ticket.generation else {
            return;
        };
        let mut entries = self.entries();
        if !self.refresh(&mut entries) || entries.generation != generation {
            return;
        }
        if entries.answers.len() >= CAPACITY {
            entries.answers.clear();
        }
        entries.answers.insert(
            answer.code.as_str().to_string(),
            (Instant::now(), answer.clone()),
        );
    }

    /// A write that may change answers has committed here: forget them all
    /// and tell other processes on the same SQLite file. (PostgreSQL
    /// instances hear of it from the store's `NOTIFY`.)
    pub fn changed(&self) {
        {
            let mut entries = self.entries();
            entries.answers.clear();
            entries.generation += 1;
        }
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
