//! Clock skew: HTTP dates, the offset between the local clock and X's, and X's "timestamp out
//! of bounds" rejection (v1.1 error code 135).
//!
//! OAuth 1.0a signatures carry a timestamp, and X rejects one too far from its own clock with
//! error 135. Every X response carries a `Date` header (v1.1 hosts end it in `GMT`, the v2 API in
//! `UTC`, as [tweepy's recorded answer](https://github.com/tweepy/tweepy/blob/c05ba988177219f1591b3bf03b8896b427c8b233/cassettes/test_client_get_me.yaml) shows), so one answer is enough to learn the offset:
//!
//! 1. [`is_timestamp_rejection`] tells a code-135 answer apart from other 401s;
//! 2. [`ClockSkew::from_response`] measures `Date − now`;
//! 3. the signer stamps later requests with [`ClockSkew::apply`]`(now)`, and the failed request
//!    may be re-signed once.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use twitter_auth_core::skew::{ClockSkew, is_timestamp_rejection, response_date};
//!
//! // X's v2 API ends its dates in UTC, v1.1 in GMT: both parse.
//! for date in ["Fri, 07 Jan 2022 08:05:56 UTC", "Fri, 07 Jan 2022 08:05:56 GMT"] {
//!     let response = http::Response::builder().header("date", date).body(Vec::new()).unwrap();
//!     let x_now = UNIX_EPOCH + Duration::from_secs(1_641_542_756);
//!     assert_eq!(response_date(&response), Some(x_now));
//! }
//!
//! // A local clock one hour slow.
//! let now = UNIX_EPOCH + Duration::from_secs(1_641_542_756 - 3600);
//! let response = http::Response::builder()
//!     .status(401)
//!     .header("date", "Fri, 07 Jan 2022 08:05:56 UTC")
//!     .body(br#"{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}"#.to_vec())
//!     .unwrap();
//! assert!(is_timestamp_rejection(&response));
//! let skew = ClockSkew::from_response(&response, now).unwrap();
//! assert_eq!(skew.seconds(), 3600);
//! assert!(skew.is_significant());
//! assert_eq!(skew.apply(now), UNIX_EPOCH + Duration::from_secs(1_641_542_756));
//! ```

use core::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{HttpResponse, UnixTime, error_from_response};

/// X's v1.1 error code for "timestamp out of bounds".
const TIMESTAMP_OUT_OF_BOUNDS: u32 = 135;

/// Parses an HTTP date (RFC 9110 §5.6.7) into seconds since the Unix epoch, with [`httpdate`].
///
/// The three forms of RFC 9110, exactly as written there (names case-sensitive, fixed widths,
/// surrounding whitespace ignored):
///
/// - IMF-fixdate, the one servers must send: `Sun, 06 Nov 1994 08:49:37 GMT`;
/// - obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT` (two-digit years `70`–`99` are 19xx,
///   `00`–`69` are 20xx);
/// - obsolete asctime: `Sun Nov  6 08:49:37 1994`.
///
/// X's v2 API ends its dates in `UTC` instead of `GMT` (`Fri, 07 Jan 2022 08:05:56 UTC`): that
/// zone is read as `GMT`. The weekday must agree with the date, and the date must lie between
/// 1970 and 9999. Total: any other input gives `None`, never a panic.
pub(crate) fn parse_http_date(value: &str) -> Option<UnixTime> {
    let value = value.trim_ascii();
    let parsed = match value.strip_suffix(" UTC") {
        Some(head) => httpdate::parse_http_date(&format!("{head} GMT")),
        None => httpdate::parse_http_date(value),
    };
    let secs = parsed.ok()?.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(UnixTime::from_secs(secs))
}

/// The response's `Date` header: X's clock when it answered.
///
/// The header is an HTTP date in one of RFC 9110's three forms (§5.6.7; parsed with
/// [`httpdate`]), or an IMF-fixdate ending in `UTC` as X's v2 API sends it. `None` if the header
/// is missing, not visible ASCII, or not such a date. If there are several, the first one counts.
pub fn response_date(response: &HttpResponse) -> Option<SystemTime> {
    header_date(response.headers()).map(UnixTime::to_system)
}

pub(crate) fn header_date(headers: &http::HeaderMap) -> Option<UnixTime> {
    let value = headers.get(http::header::DATE)?.to_str().ok()?;
    parse_http_date(value)
}

/// Whether X rejected an OAuth 1.0a request for its timestamp: a non-2xx answer whose v1.1
/// error list holds code 135 ("Could not authenticate you", timestamp out of bounds).
///
/// Such a request may be re-signed once with the [`ClockSkew`] measured from the same response.
pub fn is_timestamp_rejection(response: &HttpResponse) -> bool {
    !response.status().is_success()
        && error_from_response(response)
            .x_codes()
            .contains(&TIMESTAMP_OUT_OF_BOUNDS)
}

/// How far X's clock is ahead of the local one, in whole seconds (negative: X is behind).
///
/// Measured from a response's `Date` header ([`from_response`](Self::from_response)); applied to
/// the local `now` before stamping an OAuth 1.0a signature ([`apply`](Self::apply)).
/// Serializes as a bare number of seconds, so a client can store it with its credentials.
///
/// `Date` has one-second resolution and the answer took some time to arrive, so a measured
/// skew is exact only to a second or two; [`is_significant`](Self::is_significant) separates
/// real clock errors from that noise.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct ClockSkew {
    seconds: i64,
}

impl ClockSkew {
    /// No skew: the local clock agrees with X's.
    pub const ZERO: Self = Self { seconds: 0 };

    /// The smallest skew, in seconds either way, that [`is_significant`](Self::is_significant)
    /// reports: 30 s.
    ///
    /// Well above the measuring noise (one second of `Date` resolution plus the answer's
    /// transit time), and well below the tolerance OAuth servers usually allow a timestamp
    /// (X does not document its own; minutes, in practice). A skew this large is a wrong local
    /// clock, worth a warning to the user.
    pub const SIGNIFICANT_SECS: u64 = 30;

    /// A skew of `seconds` (positive: X's clock is ahead of the local one).
    pub const fn from_seconds(seconds: i64) -> Self {
        Self { seconds }
    }

    /// The skew between X's clock reading `server` and the local clock reading `local_now` at
    /// the same moment: `server − local_now`, whole seconds, saturating at `i64`'s range.
    pub fn between(server: SystemTime, local_now: SystemTime) -> Self {
        let server = signed_secs(server);
        let seconds = server.saturating_sub(signed_secs(local_now));
        Self {
            seconds: i64::try_from(seconds).unwrap_or(if seconds < 0 {
                i64::MIN
            } else {
                i64::MAX
            }),
        }
    }

    /// The skew a response reveals: its `Date` header minus `now`, the local time at which it
    /// arrived. `None` if the response has no parseable `Date` ([`response_date`]).
    pub fn from_response(response: &HttpResponse, now: SystemTime) -> Option<Self> {
        response_date(response).map(|date| Self::between(date, now))
    }

    /// The skew in seconds (positive: X's clock is ahead of the local one).
    pub const fn seconds(self) -> i64 {
        self.seconds
    }

    /// Whether the skew is at least [`SIGNIFICANT_SECS`](Self::SIGNIFICANT_SECS) either way:
    /// more than measuring noise, so the local clock is wrong.
    ///
    /// Applying a smaller skew is harmless; it is only not worth reporting.
    pub const fn is_significant(self) -> bool {
        self.seconds.unsigned_abs() >= Self::SIGNIFICANT_SECS
    }

    /// The local `now` corrected to X's clock: `now + skew`, saturating at the bounds of
    /// [`SystemTime`] on this platform instead of overflowing.
    #[must_use]
    pub fn apply(self, now: SystemTime) -> SystemTime {
        let amount = Duration::from_secs(self.seconds.unsigned_abs());
        if self.seconds >= 0 {
            saturate(now, amount, SystemTime::checked_add)
        } else {
            saturate(now, amount, SystemTime::checked_sub)
        }
    }
}

impl fmt::Display for ClockSkew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:+} s", self.seconds)
    }
}

/// `step(t, amount)`, or the largest whole-second part of `amount` that `step` can take.
fn saturate(
    t: SystemTime,
    amount: Duration,
    step: fn(&SystemTime, Duration) -> Option<SystemTime>,
) -> SystemTime {
    if let Some(moved) = step(&t, amount) {
        return moved;
    }
    // Binary search for the largest representable move: at most 64 steps.
    let (mut ok, mut too_far) = (0_u64, amount.as_secs());
    while too_far - ok > 1 {
        let mid = ok + (too_far - ok) / 2;
        if step(&t, Duration::from_secs(mid)).is_some() {
            ok = mid;
        } else {
            too_far = mid;
        }
    }
    step(&t, Duration::from_secs(ok)).unwrap_or(t)
}

/// Whole seconds since the epoch, negative before it (rounded toward the epoch).
pub(crate) fn signed_secs(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::from(after.as_secs()),
        Err(before) => -i128::from(before.duration().as_secs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9110 §5.6.7's example in its three forms.
    const RFC_9110_EXAMPLES: [&str; 3] = [
        "Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT", // obsolete RFC 850
        "Sun Nov  6 08:49:37 1994",       // obsolete asctime
    ];

    #[test]
    fn rfc_9110_examples_parse_in_all_three_forms() {
        for form in RFC_9110_EXAMPLES {
            assert_eq!(
                parse_http_date(form),
                Some(UnixTime::from_secs(784_111_777)),
                "{form}"
            );
        }
    }

    #[test]
    fn utc_is_read_as_gmt_in_both_forms_that_carry_a_zone() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"),
            Some(UnixTime::from_secs(784_111_777))
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 UTC"),
            Some(UnixTime::from_secs(784_111_777))
        );
        // asctime has no zone, so it cannot gain one.
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994 UTC"), None);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994 GMT"), None);
        assert_eq!(parse_http_date(" UTC"), None);
        assert_eq!(parse_http_date("UTC"), None);
    }

    proptest::proptest! {
        #[test]
        fn parse_http_date_is_total(s in proptest::prelude::any::<String>()) {
            let _ = parse_http_date(&s);
        }

        #[test]
        fn parse_http_date_is_total_on_date_like_strings(
            s in "[A-Za-z]{0,9},? [0-9 ]{0,5}[- ][A-Za-z]{0,4}[- ][0-9+-]{0,6} [0-9:]{0,10} [A-Z]{0,4}"
        ) {
            if let Some(t) = parse_http_date(&s) {
                proptest::prop_assert!(t.as_secs() <= 253_402_300_799);
            }
        }
    }
}
