//! How many unknown link codes one client may try.

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
