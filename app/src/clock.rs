//! What time it is, asked of one clock that the server hands to the store,
//! the server functions and the workers, so tests can move time instead of
//! editing rows.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

pub type SharedClock = Arc<dyn Clock>;

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until moved: for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn starting_at(now: Timestamp) -> Arc<Self> {
        Arc::new(Self(Mutex::new(now)))
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.0.lock().expect("the clock's lock is never poisoned");
        *now = now.checked_add(by).expect("a time within jiff's range");
    }

    pub fn set(&self, to: Timestamp) {
        *self.0.lock().expect("the clock's lock is never poisoned") = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("the clock's lock is never poisoned")
    }
}
