//! Bookkeeping with expiry: seen nonces and rate-limit windows.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher as _, RandomState};

/// Nonces seen within the timestamp window, per consumer key.
///
/// Keys are kept as 64-bit SipHash digests (random keys per window): a long load test at tens
/// of thousands of requests per second keeps millions of them, and a collision (about one in
/// 10^5 across 20 million live nonces) would only refuse one request.
pub(crate) struct NonceWindow {
    hasher: RandomState,
    seen: HashSet<u64>,
    // Insertion order is expiry order (the window is fixed), so expiry is a pop from the front.
    expiry: VecDeque<(u64, u64)>,
}

impl Default for NonceWindow {
    fn default() -> Self {
        Self {
            hasher: RandomState::new(),
            seen: HashSet::new(),
            expiry: VecDeque::new(),
        }
    }
}

impl NonceWindow {
    /// Records a nonce; `false` if it was already seen and has not expired.
    pub(crate) fn insert(&mut self, now: u64, ttl: u64, consumer_key: &str, nonce: &str) -> bool {
        while let Some(&(at, key)) = self.expiry.front() {
            if at > now {
                break;
            }
            self.expiry.pop_front();
            self.seen.remove(&key);
        }
        let key = self.hasher.hash_one((consumer_key, nonce));
        if !self.seen.insert(key) {
            return false;
        }
        self.expiry.push_back((now.saturating_add(ttl), key));
        true
    }
}

/// The state of one bucket after a request, as the `x-rate-limit-*` headers tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Quota {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    pub(crate) reset: u64,
    pub(crate) exceeded: bool,
}

#[derive(Default)]
pub(crate) struct RateLimiter {
    windows: HashMap<(String, &'static str), (u64, u32)>,
}

impl RateLimiter {
    /// Counts one request of `who` to `endpoint` in a fixed window that starts with its first
    /// request.
    pub(crate) fn charge(
        &mut self,
        now: u64,
        window: u64,
        limit: u32,
        who: &str,
        endpoint: &'static str,
    ) -> Quota {
        let entry = self
            .windows
            .entry((who.to_owned(), endpoint))
            .or_insert((now, 0));
        if now >= entry.0.saturating_add(window) {
            *entry = (now, 0);
        }
        let reset = entry.0.saturating_add(window);
        if entry.1 >= limit {
            return Quota {
                limit,
                remaining: 0,
                reset,
                exceeded: true,
            };
        }
        entry.1 += 1;
        Quota {
            limit,
            remaining: limit - entry.1,
            reset,
            exceeded: false,
        }
    }

    /// The bucket as [`charge`](Self::charge) would leave it, without counting a request.
    pub(crate) fn peek(
        &self,
        now: u64,
        window: u64,
        limit: u32,
        who: &str,
        endpoint: &'static str,
    ) -> Quota {
        let (start, used) = self
            .windows
            .get(&(who.to_owned(), endpoint))
            .copied()
            .filter(|&(start, _)| now < start.saturating_add(window))
            .unwrap_or((now, 0));
        Quota {
            limit,
            remaining: limit.saturating_sub(used),
            reset: start.saturating_add(window),
            exceeded: used >= limit,
        }
    }
}
