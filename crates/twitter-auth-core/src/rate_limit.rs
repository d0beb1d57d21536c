//! Rate-limit headers: which bucket ran out, and how long to wait, on X's clock.
//!
//! X reports its limits on every response ([X: Rate limits](https://docs.x.com/x-api/fundamentals/rate-limits)):
//!
//! | Headers | [`BucketKind`] | What |
//! |---|---|---|
//! | `x-rate-limit-limit`, `-remaining`, `-reset` | [`Window`](BucketKind::Window) | the endpoint's window (mostly 15 min), per app or per user |
//! | `x-app-limit-24hour-limit`, `-remaining`, `-reset` | [`App24h`](BucketKind::App24h) | the app's 24-hour cap (e.g. 10 000 posts) |
//! | `x-user-limit-24hour-limit`, `-remaining`, `-reset` | [`User24h`](BucketKind::User24h) | the user's 24-hour cap |
//! | `Retry-After` (seconds or an HTTP date) | [`RetryAfter`](BucketKind::RetryAfter) | an explicit delay (documented only for Ads; honoured if present) |
//!
//! # Rules
//!
//! - **Parsing.** Counts and resets are unsigned ASCII decimals (surrounding whitespace
//!   allowed); resets are Unix seconds. A family becomes a [`Bucket`] only when all three of its
//!   headers parse; a garbage or missing one drops that family and nothing else.
//!   [`RateLimit::from_response`] is `None` when no family and no `Retry-After` could be read.
//!   If a header repeats, its first value counts. Parsing is total: no input panics.
//! - **Which bucket ran out** ([`RateLimit::exhausted`]). A 429 can arrive while the window
//!   still has calls left, because a 24-hour cap ran out, so every family is checked.
//!   `Retry-After`, if present, dominates. Otherwise, among the buckets with `remaining == 0`,
//!   the one resetting last wins (it is the one that keeps the requests failing); on equal
//!   resets `User24h` beats `App24h`, which beats `Window`. No bucket at zero: `None`.
//! - **Waits run on X's clock** ([`RateLimit::wait`]). Resets (and a `Retry-After` date) are
//!   instants on X's clock. The wait is `reset − X's now`, where X's now is the response's
//!   `Date` plus the local time elapsed since the response arrived (the `now` given to
//!   [`from_response`](RateLimit::from_response)). A local clock hours fast or slow thus waits
//!   the same, neither too long nor hammering X. Without a `Date`, X's now is the local `now`.
//!   A `Retry-After` in seconds counts from the response's arrival. Every wait is clamped to
//!   at least zero, then gets a 1 s margin (resets have one-second resolution; tweepy does the
//!   same), so a bucket that already reset yields 1 s.
//!
//! # Example
//!
//! A 429 from `POST /2/tweets`: the window has calls left, the app's 24-hour cap does not, and
//! the local clock is an hour fast.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use twitter_auth_core::rate_limit::{BucketKind, RateLimit};
//!
//! let response = http::Response::builder()
//!     .status(429)
//!     .header("date", "Fri, 07 Jan 2022 08:05:56 UTC") // 1 641 542 756 on X's clock
//!     .header("x-rate-limit-limit", "200")
//!     .header("x-rate-limit-remaining", "187")
//!     .header("x-rate-limit-reset", "1641543356") // in 10 minutes
//!     .header("x-app-limit-24hour-limit", "10000")
//!     .header("x-app-limit-24hour-remaining", "0")
//!     .header("x-app-limit-24hour-reset", "1641549956") // in 2 hours
//!     .body(br#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#.to_vec())
//!     .unwrap();
//! let now = UNIX_EPOCH + Duration::from_secs(1_641_542_756 + 3600);
//!
//! let limits = RateLimit::from_response(&response, now).unwrap();
//! assert_eq!(limits.window().unwrap().remaining, 187);
//! assert_eq!(limits.exhausted(), Some(BucketKind::App24h));
//! let in_two_hours = UNIX_EPOCH + Duration::from_secs(1_641_549_956);
//! assert_eq!(limits.resets_at(BucketKind::App24h), Some(in_two_hours));
//! // Two hours on X's clock, plus the 1 s margin, whatever the local clock says.
//! assert_eq!(limits.wait(now), Some(Duration::from_secs(7201)));
//! // Ten minutes later, ten minutes less.
//! assert_eq!(limits.wait(now + Duration::from_secs(600)), Some(Duration::from_secs(6601)));
//! ```

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName};

use crate::skew::{ClockSkew, header_date, parse_http_date};
use crate::{HttpResponse, UnixTime};

/// One rate-limit family as X reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Bucket {
    /// Requests allowed in the period (`…-limit`).
    pub limit: u64,
    /// Requests left in the period (`…-remaining`).
    pub remaining: u64,
    /// When the period resets, on X's clock (`…-reset`, whole seconds).
    #[serde(with = "crate::time::unix_secs")]
    pub reset: SystemTime,
}

impl Bucket {
    /// Whether no request is left until [`reset`](Self::reset).
    pub const fn is_exhausted(&self) -> bool {
        self.remaining == 0
    }
}

/// Which limit a [`RateLimit`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum BucketKind {
    /// The endpoint's window: `x-rate-limit-*` (mostly 15 minutes).
    Window,
    /// The app's 24-hour cap: `x-app-limit-24hour-*`.
    App24h,
    /// The user's 24-hour cap: `x-user-limit-24hour-*`.
    User24h,
    /// An explicit `Retry-After`.
    RetryAfter,
}

/// A `Retry-After` value (RFC 9110 §10.2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RetryAfter {
    /// A delay in seconds, counted from the response.
    Seconds(u64),
    /// An instant on X's clock (an HTTP date).
    At(#[serde(with = "crate::time::unix_secs")] SystemTime),
}

/// The rate limits one response reports. See the [module docs](self) for every rule.
///
/// Keeps the response's `Date` and the local time it arrived, so [`wait`](Self::wait) stays
/// right on a wrong local clock and later on. Serializable, e.g. to share between processes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct RateLimit {
    window: Option<Bucket>,
    app_24h: Option<Bucket>,
    user_24h: Option<Bucket>,
    retry_after: Option<RetryAfter>,
    date: Option<UnixTime>,
    received: UnixTime,
}

impl RateLimit {
    /// Reads the rate-limit headers of `response`, which arrived at the local time `now`.
    ///
    /// `None` when the response carries no readable rate-limit header (no complete family and
    /// no `Retry-After`). Never panics.
    pub fn from_response(response: &HttpResponse, now: SystemTime) -> Option<Self> {
        Self::from_headers(response.headers(), now)
    }

    /// [`from_response`](Self::from_response) for bare headers.
    pub fn from_headers(headers: &HeaderMap, now: SystemTime) -> Option<Self> {
        let window = bucket(headers, &WINDOW_HEADERS);
        let app_24h = bucket(headers, &APP_24H_HEADERS);
        let user_24h = bucket(headers, &USER_24H_HEADERS);
        let retry_after = retry_after(headers);
        if window.is_none() && app_24h.is_none() && user_24h.is_none() && retry_after.is_none() {
            return None; // and the `Date` is not worth parsing
        }
        Some(Self {
            window,
            app_24h,
            user_24h,
            retry_after,
            date: header_date(headers),
            received: UnixTime::from_system(now),
        })
    }

    /// The endpoint's window (`x-rate-limit-*`).
    pub const fn window(&self) -> Option<Bucket> {
        self.window
    }

    /// The app's 24-hour cap (`x-app-limit-24hour-*`).
    pub const fn app_24h(&self) -> Option<Bucket> {
        self.app_24h
    }

    /// The user's 24-hour cap (`x-user-limit-24hour-*`).
    pub const fn user_24h(&self) -> Option<Bucket> {
        self.user_24h
    }

    /// The bucket of `kind`; always `None` for [`BucketKind::RetryAfter`], which is not a bucket
    /// (see [`retry_after`](Self::retry_after)).
    pub const fn bucket(&self, kind: BucketKind) -> Option<Bucket> {
        match kind {
            BucketKind::Window => self.window,
            BucketKind::App24h => self.app_24h,
            BucketKind::User24h => self.user_24h,
            BucketKind::RetryAfter => None,
        }
    }

    /// The response's `Retry-After`, if present and readable.
    pub const fn retry_after(&self) -> Option<RetryAfter> {
        self.retry_after
    }

    /// The response's `Date`: X's clock when it answered.
    pub fn date(&self) -> Option<SystemTime> {
        self.date.map(UnixTime::to_system)
    }

    /// The local time the response arrived (the `now` given to
    /// [`from_response`](Self::from_response), in whole seconds).
    pub fn received(&self) -> SystemTime {
        self.received.to_system()
    }

    /// The clock skew the response reveals (`Date − received`), if it has a `Date`.
    pub fn skew(&self) -> Option<ClockSkew> {
        let date = i128::from(self.date?.as_secs());
        let skew = date - i128::from(self.received.as_secs());
        // Both are u64 seconds, so the difference fits in i64 unless one is absurd.
        Some(ClockSkew::from_seconds(
            i64::try_from(skew).unwrap_or(if skew < 0 { i64::MIN } else { i64::MAX }),
        ))
    }

    /// Which bucket ran out, by the rules of the [module docs](self): `Retry-After` if present;
    /// else the bucket at `remaining == 0` resetting last (ties: `User24h`, `App24h`,
    /// `Window`); else `None`.
    pub fn exhausted(&self) -> Option<BucketKind> {
        if self.retry_after.is_some() {
            return Some(BucketKind::RetryAfter);
        }
        [
            (BucketKind::Window, self.window),
            (BucketKind::App24h, self.app_24h),
            (BucketKind::User24h, self.user_24h),
        ]
        .into_iter()
        .filter_map(|(kind, bucket)| Some((kind, bucket?)))
        .filter(|(_, bucket)| bucket.is_exhausted())
        // `max_by_key` keeps the last of equal maxima: the later entries win ties.
        .max_by_key(|(_, bucket)| bucket.reset)
        .map(|(kind, _)| kind)
    }

    /// How long to wait, from the local `now`, before retrying: the wait for the
    /// [`exhausted`](Self::exhausted) bucket ([`wait_for`](Self::wait_for)), or `None` if none
    /// ran out.
    pub fn wait(&self, now: SystemTime) -> Option<Duration> {
        self.wait_for(self.exhausted()?, now)
    }

    /// How long to wait, from the local `now`, until the bucket of `kind` resets: its reset
    /// minus X's now (the `Date` plus the local time elapsed since the response arrived),
    /// clamped to at least zero, plus a 1 s margin. `None` if the response did not report
    /// that bucket.
    pub fn wait_for(&self, kind: BucketKind, now: SystemTime) -> Option<Duration> {
        let target = i128::from(UnixTime::from_system(self.resets_at(kind)?).as_secs());
        let elapsed =
            i128::from(UnixTime::from_system(now).as_secs()) - i128::from(self.received.as_secs());
        let x_now = i128::from(self.x_clock_at_arrival().as_secs()) + elapsed;
        let secs = (target - x_now).max(0).saturating_add(1);
        Some(Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX)))
    }

    /// When the bucket of `kind` resets, on X's clock. For a `Retry-After` in seconds: the
    /// response's `Date` (or, without one, its local arrival time) plus the delay.
    pub fn resets_at(&self, kind: BucketKind) -> Option<SystemTime> {
        match kind {
            BucketKind::RetryAfter => Some(match self.retry_after? {
                RetryAfter::Seconds(secs) => {
                    self.x_clock_at_arrival().saturating_add(secs).to_system()
                }
                RetryAfter::At(at) => at,
            }),
            _ => self.bucket(kind).map(|bucket| bucket.reset),
        }
    }

    /// X's clock when the response arrived: its `Date`, or the local time without one.
    fn x_clock_at_arrival(&self) -> UnixTime {
        self.date.unwrap_or(self.received)
    }
}

/// A bucket's `limit`, `remaining` and `reset` header names, made at compile time: this runs
/// on every answer, and a name given as `&str` is parsed and checked on every lookup.
type BucketHeaders = [HeaderName; 3];

const WINDOW_HEADERS: BucketHeaders = [
    HeaderName::from_static("x-rate-limit-limit"),
    HeaderName::from_static("x-rate-limit-remaining"),
    HeaderName::from_static("x-rate-limit-reset"),
];
const APP_24H_HEADERS: BucketHeaders = [
    HeaderName::from_static("x-app-limit-24hour-limit"),
    HeaderName::from_static("x-app-limit-24hour-remaining"),
    HeaderName::from_static("x-app-limit-24hour-reset"),
];
const USER_24H_HEADERS: BucketHeaders = [
    HeaderName::from_static("x-user-limit-24hour-limit"),
    HeaderName::from_static("x-user-limit-24hour-remaining"),
    HeaderName::from_static("x-user-limit-24hour-reset"),
];

/// The `{prefix}-limit/-remaining/-reset` family, if all three parse.
fn bucket(headers: &HeaderMap, [limit, remaining, reset]: &BucketHeaders) -> Option<Bucket> {
    let field = |name: &HeaderName| decimal(headers.get(name)?.as_bytes());
    Some(Bucket {
        limit: field(limit)?,
        remaining: field(remaining)?,
        reset: UnixTime::from_secs(field(reset)?).to_system(),
    })
}

fn retry_after(headers: &HeaderMap) -> Option<RetryAfter> {
    let value = headers.get(http::header::RETRY_AFTER)?;
    if let Some(secs) = decimal(value.as_bytes()) {
        return Some(RetryAfter::Seconds(secs));
    }
    parse_http_date(value.to_str().ok()?).map(|at| RetryAfter::At(at.to_system()))
}

/// An unsigned ASCII decimal, surrounding whitespace allowed; `None` on anything else or on
/// overflow.
fn decimal(bytes: &[u8]) -> Option<u64> {
    let digits = bytes.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0_u64, |n, &b| {
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}
