//! Retry decisions, as a pure function: what to do after each attempt of an [`Exchange`].
//!
//! An adapter sends the request, then asks [`RetryPolicy::decide`] with what happened: an
//! answer ([`Outcome::Response`]) or a transport failure ([`Outcome::Transport`]), the
//! request's [`Replay`] kind (from [`Exchange::replay`]), the attempt number (0 for the first
//! try), its `now`, and random bits for jitter (the core draws none). The [`Decision`] is to
//! hand the answer to [`Exchange::finish`] ([`Accept`](Decision::Accept), even for a non-2xx:
//! the flow reports the error), to sleep and send the same request again
//! ([`RetryAfter`](Decision::RetryAfter)), or to stop ([`GiveUp`](Decision::GiveUp)).
//!
//! # Rules
//!
//! "Retries left" means `attempt < retries` ([`RetryPolicy::with_retries`]); for 429 waits it
//! means `attempt < max(retries, 1)`, so turning on [`wait_on_rate_limit`] alone allows one
//! wait. Every retry of any kind uses up an attempt.
//!
//! [`Replay::Once`] is never retried: its answer is accepted, its transport failure given up.
//! [`Replay::Resign`] is decided as [`Replay::Safe`]; the caller builds the step again before
//! sending it (an OAuth 1.0a request must not go out twice with the same nonce).
//!
//! | Outcome | [`Replay::Safe`] | [`Replay::Never`] (code exchange, refresh, OAuth 1.0a access token) |
//! |---|---|---|
//! | any status not below (1xx, 2xx, 3xx, 4xx but 429, a 5xx not listed) | `Accept` | `Accept` |
//! | 429, [`wait_on_rate_limit`] on, wait ≤ [`max_rate_limit_wait`], retries left | `RetryAfter(wait)` | `RetryAfter(wait)` |
//! | 429 otherwise | `Accept` | `Accept` |
//! | status in [`retry_statuses`] (500, 502, 503, 504), retries left, any `Retry-After` ≤ [`max_rate_limit_wait`] | `RetryAfter(backoff)` | 500, 502, 504: `GiveUp(Some(MayHaveBeenConsumed))` (a gateway failure says nothing of the grant's fate); 503 and others: `Accept`, never replayed |
//! | status in [`retry_statuses`] otherwise | `Accept` | `Accept` |
//! | [`TransportFailure::NotSent`], retries left | `RetryAfter(backoff)` | `RetryAfter(backoff)`: nothing reached X |
//! | [`TransportFailure::NotSent`], no retries left | `GiveUp(None)` | `GiveUp(None)` |
//! | [`TransportFailure::Unknown`], retries left | `RetryAfter(backoff)` | `GiveUp(Some(Error::MayHaveBeenConsumed))`, at once |
//! | [`TransportFailure::Unknown`], no retries left | `GiveUp(None)` | `GiveUp(Some(Error::MayHaveBeenConsumed))` |
//!
//! - **The 429 wait** is [`RateLimit::wait`]: until the exhausted bucket (or `Retry-After`)
//!   resets, measured on X's clock from the response's `Date`, plus 1 s. If the headers name no
//!   exhausted bucket (a cap X does not report), the wait is the backoff instead, as X's docs
//!   advise. Waits read from the headers are not jittered.
//! - **A 429 on a single-use step** may be waited out and sent again: X refused it before
//!   processing it, so the grant is unspent (a 30-second authorization code will have expired
//!   by then, and X will say so).
//! - **The backoff** ([`RetryPolicy::backoff`]) is "full jitter": a ceiling of
//!   `base_delay × 2^attempt`, capped at `max_delay`, scaled by `jitter / 2^32`, so it is
//!   uniform in `[0, ceiling)` over random `jitter` and fixed for a given one. A listed status
//!   with a `Retry-After` waits at least that long.
//! - **`GiveUp(None)`** means "report the transport error you already hold"; the core has no
//!   transport error of its own.
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use twitter_auth_core::{Error, Replay};
//! use twitter_auth_core::retry::{Decision, Outcome, RetryPolicy, TransportFailure};
//!
//! let policy = RetryPolicy::recommended().with_wait_on_rate_limit(true);
//! let now = UNIX_EPOCH + Duration::from_secs(1_641_542_756);
//! let half = 1 << 31; // the caller's random bits; half of the range picks half the ceiling
//!
//! // A 503 on a read: back off, 1 s × 2^0 × ½.
//! let unavailable = http::Response::builder().status(503).body(Vec::new()).unwrap();
//! let d = policy.decide(Replay::Safe, 0, Outcome::Response(&unavailable), now, half);
//! assert!(matches!(d, Decision::RetryAfter(w) if w == Duration::from_millis(500)));
//!
//! // The same 503 on a code exchange: X answered, the flow reports it; never replayed.
//! let d = policy.decide(Replay::Never, 0, Outcome::Response(&unavailable), now, half);
//! assert!(matches!(d, Decision::Accept));
//!
//! // A timeout after a refresh was sent: the refresh token may be spent.
//! let d = policy.decide(Replay::Never, 0, Outcome::Transport(TransportFailure::Unknown), now, half);
//! assert!(matches!(d, Decision::GiveUp(Some(Error::MayHaveBeenConsumed))));
//!
//! // A 429 whose window resets in 5 minutes on X's clock: wait for it (plus 1 s).
//! let limited = http::Response::builder()
//!     .status(429)
//!     .header("date", "Fri, 07 Jan 2022 08:05:56 UTC")
//!     .header("x-rate-limit-limit", "75")
//!     .header("x-rate-limit-remaining", "0")
//!     .header("x-rate-limit-reset", "1641543056")
//!     .body(Vec::new())
//!     .unwrap();
//! let d = policy.decide(Replay::Safe, 0, Outcome::Response(&limited), now, half);
//! assert!(matches!(d, Decision::RetryAfter(w) if w == Duration::from_secs(301)));
//!
//! // The last attempt is spent: hand the 429 to the flow, which reports it.
//! let d = policy.decide(Replay::Safe, 3, Outcome::Response(&limited), now, half);
//! assert!(matches!(d, Decision::Accept));
//! ```
//!
//! [`Exchange`]: crate::Exchange
//! [`Exchange::replay`]: crate::Exchange::replay
//! [`Exchange::finish`]: crate::Exchange::finish
//! [`wait_on_rate_limit`]: RetryPolicy::with_wait_on_rate_limit
//! [`max_rate_limit_wait`]: RetryPolicy::with_max_rate_limit_wait
//! [`retry_statuses`]: RetryPolicy::with_retry_statuses
//! [`RateLimit::wait`]: crate::rate_limit::RateLimit::wait

use std::time::{Duration, SystemTime};

use crate::rate_limit::{BucketKind, RateLimit};
use crate::{Error, HttpResponse, Replay};

/// What happened to one attempt.
#[derive(Clone, Copy, Debug)]
pub enum Outcome<'a> {
    /// X answered (any status).
    Response(&'a HttpResponse),
    /// No answer.
    Transport(TransportFailure),
}

/// Why there is no answer: whether the request could have reached X.
///
/// This is the one distinction the adapter must make (h11's `send_failed()`); when in doubt,
/// report [`Unknown`](Self::Unknown), which is always safe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportFailure {
    /// The request never left: name resolution, connection or TLS handshake failed before any
    /// byte of the request was written.
    NotSent,
    /// The request was (or may have been) sent, but no complete answer came: a timeout, a reset
    /// connection, a truncated response. X may have processed it.
    Unknown,
}

/// What to do after an attempt.
#[derive(Debug)]
#[must_use = "a retry decision must be acted on"]
pub enum Decision {
    /// Hand the response to [`Exchange::finish`](crate::Exchange::finish), even a non-2xx one:
    /// the flow turns it into its typed error.
    Accept,
    /// Wait this long (measured from the `now` given), then send the same request again with
    /// the next attempt number.
    RetryAfter(Duration),
    /// Stop. `Some` is the error to report; `None` means "report the transport error you
    /// already have".
    GiveUp(Option<Error>),
}

/// When to retry, as pure data; see the [module docs](self) for the rules.
///
/// The [`Default`] retries nothing and never waits on a 429 (retries are opt-in);
/// [`recommended`](Self::recommended) turns on three jittered retries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    retry_statuses: Vec<u16>,
    wait_on_rate_limit: bool,
    max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    /// No retries, no 429 waits; the delays set as in [`recommended`](Self::recommended)
    /// (1 s base, 30 s cap, 500/502/503/504, 429 waits up to 16 min) so enabling one knob is
    /// enough.
    fn default() -> Self {
        Self {
            retries: 0,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            retry_statuses: vec![500, 502, 503, 504],
            wait_on_rate_limit: false,
            max_rate_limit_wait: Duration::from_secs(16 * 60),
        }
    }
}

impl RetryPolicy {
    /// The [`Default`]: no retries, no 429 waits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Three retries after the first attempt, with full-jitter exponential backoff from 1 s up
    /// to 30 s, on 500/502/503/504 and on transport failures (within the rules for single-use
    /// steps). 429 waits stay off: they can block for up to
    /// [`max_rate_limit_wait`](Self::max_rate_limit_wait); turn them on with
    /// [`with_wait_on_rate_limit`](Self::with_wait_on_rate_limit).
    pub fn recommended() -> Self {
        Self::default().with_retries(3)
    }

    /// Sets how many times a request may be sent again after the first attempt (0: never).
    #[must_use]
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Sets the backoff's first ceiling (attempt 0).
    #[must_use]
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Sets the largest backoff ceiling.
    #[must_use]
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets the statuses retried with backoff for [`Replay::Safe`] requests (default 500, 502,
    /// 503, 504). 429 is never retried through this list, only by
    /// [`with_wait_on_rate_limit`](Self::with_wait_on_rate_limit).
    #[must_use]
    pub fn with_retry_statuses(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.retry_statuses = statuses.into_iter().collect();
        self
    }

    /// Sets whether a 429 is waited out (until its bucket resets) and retried. Off by default.
    #[must_use]
    pub fn with_wait_on_rate_limit(mut self, wait: bool) -> Self {
        self.wait_on_rate_limit = wait;
        self
    }

    /// Sets the longest wait for a 429 (or a `Retry-After` on a retried status); a longer one
    /// is not waited for, and the response goes to the flow. Default 16 minutes: a 15-minute
    /// window, not a 24-hour cap.
    #[must_use]
    pub fn with_max_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.max_rate_limit_wait = wait;
        self
    }

    /// How many times a request may be sent again after the first attempt.
    pub const fn retries(&self) -> u32 {
        self.retries
    }

    /// The backoff's first ceiling.
    pub const fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The largest backoff ceiling.
    pub const fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The statuses retried with backoff for [`Replay::Safe`] requests.
    pub fn retry_statuses(&self) -> &[u16] {
        &self.retry_statuses
    }

    /// Whether a 429 is waited out and retried.
    pub const fn wait_on_rate_limit(&self) -> bool {
        self.wait_on_rate_limit
    }

    /// The longest wait for a 429 or a `Retry-After`.
    pub const fn max_rate_limit_wait(&self) -> Duration {
        self.max_rate_limit_wait
    }

    /// The backoff before retry number `attempt + 1`: full jitter, i.e.
    /// `min(base_delay × 2^attempt, max_delay) × jitter / 2^32`. Deterministic given `jitter`
    /// (the caller's random bits); never overflows.
    pub fn backoff(&self, attempt: u32, jitter: u32) -> Duration {
        let ceiling = 1_u32
            .checked_shl(attempt)
            .and_then(|factor| self.base_delay.checked_mul(factor))
            .map_or(self.max_delay, |d| d.min(self.max_delay));
        let nanos = (ceiling.as_nanos() * u128::from(jitter)) >> 32;
        let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
        // Below 10^9, so it fits.
        let subsec = u32::try_from(nanos % 1_000_000_000).unwrap_or_default();
        Duration::new(secs, subsec)
    }

    /// What to do after attempt number `attempt` (0 for the first) of a request of kind
    /// `replay` ended in `outcome` at the local time `now`. `jitter` is random bits from the
    /// caller for the backoff. The rules are the table of the [module docs](self).
    pub fn decide(
        &self,
        replay: Replay,
        attempt: u32,
        outcome: Outcome<'_>,
        now: SystemTime,
        jitter: u32,
    ) -> Decision {
        let retries_left = attempt < self.retries;
        if replay == Replay::Once {
            return match outcome {
                Outcome::Response(_) => Decision::Accept,
                Outcome::Transport(_) => Decision::GiveUp(None),
            };
        }
        match outcome {
            Outcome::Transport(TransportFailure::NotSent) if retries_left => {
                Decision::RetryAfter(self.backoff(attempt, jitter))
            }
            Outcome::Transport(TransportFailure::Unknown) if replay == Replay::Never => {
                Decision::GiveUp(Some(Error::MayHaveBeenConsumed))
            }
            Outcome::Transport(TransportFailure::Unknown) if retries_left => {
                Decision::RetryAfter(self.backoff(attempt, jitter))
            }
            Outcome::Transport(_) => Decision::GiveUp(None),
            Outcome::Response(response) => {
                self.decide_response(replay, attempt, response, now, jitter)
            }
        }
    }

    fn decide_response(
        &self,
        replay: Replay,
        attempt: u32,
        response: &HttpResponse,
        now: SystemTime,
        jitter: u32,
    ) -> Decision {
        let status = response.status().as_u16();
        let limits = || RateLimit::from_response(response, now);
        if status == 429 {
            if !self.wait_on_rate_limit || attempt >= self.retries.max(1) {
                return Decision::Accept;
            }
            let wait = limits()
                .and_then(|limits| limits.wait(now))
                .unwrap_or_else(|| self.backoff(attempt, jitter));
            return if wait <= self.max_rate_limit_wait {
                Decision::RetryAfter(wait)
            } else {
                Decision::Accept
            };
        }
        if replay == Replay::Never && matches!(status, 500 | 502 | 504) {
            // A gateway or server failure says nothing of whether X spent the grant.
            return Decision::GiveUp(Some(Error::MayHaveBeenConsumed));
        }
        if !self.retry_statuses.contains(&status)
            || replay == Replay::Never
            || attempt >= self.retries
        {
            return Decision::Accept;
        }
        let backoff = self.backoff(attempt, jitter);
        match limits().and_then(|limits| limits.wait_for(BucketKind::RetryAfter, now)) {
            Some(asked) if asked > self.max_rate_limit_wait => Decision::Accept,
            Some(asked) => Decision::RetryAfter(asked.max(backoff)),
            None => Decision::RetryAfter(backoff),
        }
    }
}
