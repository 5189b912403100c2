//! How many unknown link codes one client may try, and how many reports one
//! recipient's page may send.

use std::{net::IpAddr, num::NonZeroU32, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::client::client_key;

/// Unknown codes one client may try: a burst of this many, then one more
/// every [`MISS_REFILL`]. A person mistyping a link never notices; guessing
/// 95-bit codes at that pace is pointless.
pub const MISS_BURST: u32 = 20;
pub const MISS_REFILL: Duration = Duration::from_secs(3);

/// Counts each client's misses on `/l/{code}` (per IPv4 address, per IPv6
/// /64, since one host can hold a whole /64).
pub struct LinkMisses(DefaultKeyedRateLimiter<IpAddr>);

impl Default for LinkMisses {
    fn default() -> Self {
        let quota = Quota::with_period(MISS_REFILL)
            .expect("a refill period above zero")
            .allow_burst(NonZeroU32::new(MISS_BURST).expect("a burst above zero"));
        Self(RateLimiter::keyed(quota))
    }
}

impl LinkMisses {
    /// Counts a miss; `false` once the client has missed too often.
    pub fn allow(&self, client: IpAddr) -> bool {
        // Forget clients whose allowance is whole again, now and then.
        if self.0.len() > 100_000 {
            self.0.retain_recent();
        }
        self.0.check_key(&client_key(client)).is_ok()
    }
}

/// Reports (opened, watched) one recipient's link may send: a burst of this
/// many, then one every [`REPORT_REFILL`]. The page sends one every 10 s
/// while playing, and on pause, end and leaving; a script sending thousands
/// is answered 429 without touching the database.
pub const REPORT_BURST: u32 = 30;
pub const REPORT_REFILL: Duration = Duration::from_secs(2);
/// The largest report body taken: a report of the most stretches allowed
/// fits with room to spare.
pub const REPORT_BYTES: usize = 8 * 1024;

/// Counts each recipient's reports.
pub struct ReportLimits(DefaultKeyedRateLimiter<i64>);

impl Default for ReportLimits {
    fn default() -> Self {
        let quota = Quota::with_period(REPORT_REFILL)
            .expect("a refill period above zero")
            .allow_burst(NonZeroU32::new(REPORT_BURST).expect("a burst above zero"));
        Self(RateLimiter::keyed(quota))
    }
}

impl ReportLimits {
    /// Counts a report; `false` once the recipient's page sent too many.
    pub fn allow(&self, recipient: app::store::RecipientId) -> bool {
        if self.0.len() > 100_000 {
            self.0.retain_recent();
        }
        self.0.check_key(&recipient.get()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_a_burst_of_misses_then_is_refused() {
        let misses = LinkMisses::default();
        let client = "198.51.100.1".parse().unwrap();
        assert!((0..MISS_BURST).all(|_| misses.allow(client)));
        assert!(!misses.allow(client));
        assert!(
            misses.allow("198.51.100.2".parse().unwrap()),
            "others are not affected"
        );
    }
}
