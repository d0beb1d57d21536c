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
//! use twitter_auth_core::UnixTime;
//! use twitter_auth_core::skew::{ClockSkew, format_http_date, is_timestamp_rejection, parse_http_date};
//!
//! // X's v2 API ends its dates in UTC, v1.1 in GMT: both parse.
//! assert_eq!(parse_http_date("Fri, 07 Jan 2022 08:05:56 UTC"), Some(UnixTime::from_secs(1_641_542_756)));
//! assert_eq!(format_http_date(UnixTime::from_secs(784_111_777)), "Sun, 06 Nov 1994 08:49:37 GMT");
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

/// The last instant an IMF-fixdate can carry: `Fri, 31 Dec 9999 23:59:59 GMT`.
const MAX_HTTP_DATE: u64 = 253_402_300_799;

/// X's v1.1 error code for "timestamp out of bounds".
const TIMESTAMP_OUT_OF_BOUNDS: u32 = 135;

const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses an HTTP date (RFC 9110 §5.6.7) into seconds since the Unix epoch.
///
/// Accepted forms (surrounding spaces and tabs are ignored; runs of spaces between fields are
/// tolerated; day and month names match case-insensitively):
///
/// - IMF-fixdate, the one servers must send: `Sun, 06 Nov 1994 08:49:37 GMT`;
/// - the same ending in `UTC`, which X's v2 API sends: `Fri, 07 Jan 2022 08:05:56 UTC`;
/// - obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT` (two-digit years `70`–`99` are 19xx,
///   `00`–`69` are 20xx);
/// - obsolete asctime: `Sun Nov  6 08:49:37 1994`.
///
/// The zone must be `GMT` or `UTC` (asctime has none). The weekday must be a valid name (short or
/// long) but is not checked against the date. Hours are `00`–`23`, minutes `00`–`59`, seconds
/// `00`–`60` (a leap second counts as the next second's start); the day must exist in its month
/// (leap years by the Gregorian rule). Dates before 1970 have no [`UnixTime`] and give `None`.
///
/// Total: any other input gives `None`, never a panic or an overflow.
pub fn parse_http_date(value: &str) -> Option<UnixTime> {
    let value = value.trim_matches([' ', '\t']);
    let mut fields = value.split([' ', '\t']).filter(|f| !f.is_empty());
    let first = fields.next()?;
    let date = if let Some(weekday) = first.strip_suffix(',') {
        if !is_weekday(weekday) {
            return None;
        }
        let second = fields.next()?;
        if second.contains('-') {
            // RFC 850: `06-Nov-94 08:49:37 GMT`.
            let mut parts = second.split('-');
            let day = digits(parts.next()?, 1, 2)?;
            let month = month(parts.next()?)?;
            let year = digits(parts.next()?, 2, 2)?;
            if parts.next().is_some() {
                return None;
            }
            let year = if year < 70 { 2000 + year } else { 1900 + year };
            let time = time(fields.next()?)?;
            zone(fields.next()?)?;
            Civil {
                year,
                month,
                day,
                time,
            }
        } else {
            // IMF-fixdate: `06 Nov 1994 08:49:37 GMT`.
            let day = digits(second, 1, 2)?;
            let month = month(fields.next()?)?;
            let year = digits(fields.next()?, 4, 4)?;
            let time = time(fields.next()?)?;
            zone(fields.next()?)?;
            Civil {
                year,
                month,
                day,
                time,
            }
        }
    } else {
        // asctime: `Sun Nov  6 08:49:37 1994`.
        if !is_weekday(first) {
            return None;
        }
        let month = month(fields.next()?)?;
        let day = digits(fields.next()?, 1, 2)?;
        let time = time(fields.next()?)?;
        let year = digits(fields.next()?, 4, 4)?;
        Civil {
            year,
            month,
            day,
            time,
        }
    };
    if fields.next().is_some() {
        return None;
    }
    date.to_unix()
}

/// Formats an instant as an IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`:
/// what a `Date` header carries.
///
/// Instants after `Fri, 31 Dec 9999 23:59:59 GMT` are clamped to it, so the output is always a
/// valid IMF-fixdate and [`parse_http_date`] reads it back.
pub fn format_http_date(t: UnixTime) -> String {
    let secs = t.as_secs().min(MAX_HTTP_DATE);
    // Both fit easily: `secs / 86_400` is below 2^22.
    let days = i64::try_from(secs / 86_400).unwrap_or_default();
    let of_day = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let weekday = DAY_NAMES[usize::try_from((days + 4).rem_euclid(7)).unwrap_or_default()];
    let month = MONTH_NAMES[usize::try_from(month - 1).unwrap_or_default()];
    format!(
        "{weekday}, {day:02} {month} {year:04} {:02}:{:02}:{:02} GMT",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// The response's `Date` header, parsed with [`parse_http_date`]: X's clock when it answered.
///
/// `None` if the header is missing, not visible ASCII, or not an HTTP date. If there are several,
/// the first one counts.
pub fn response_date(response: &HttpResponse) -> Option<UnixTime> {
    header_date(response.headers())
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
    pub fn between(server: UnixTime, local_now: SystemTime) -> Self {
        let server = i128::from(server.as_secs());
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

/// A calendar date and time of day, as read from an HTTP date.
struct Civil {
    year: u32,
    month: u32,
    day: u32,
    /// Seconds since midnight (up to 86 400 with a leap second).
    time: u32,
}

impl Civil {
    fn to_unix(&self) -> Option<UnixTime> {
        if self.day == 0 || self.day > days_in_month(self.year, self.month) {
            return None;
        }
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        let secs = days
            .checked_mul(86_400)?
            .checked_add(i64::from(self.time))?;
        u64::try_from(secs).ok().map(UnixTime::from_secs)
    }
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
/// `month` is 1–12, `day` 1–31; callers pass years below 10 000, far from any overflow.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: `(year, month 1–12, day 1–31)`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_weekday(name: &str) -> bool {
    DAY_NAMES
        .iter()
        .chain(&LONG_DAY_NAMES)
        .any(|d| d.eq_ignore_ascii_case(name))
}

/// A month name to 1–12.
fn month(name: &str) -> Option<u32> {
    let index = MONTH_NAMES
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))?;
    u32::try_from(index + 1).ok()
}

/// An unsigned decimal of `min..=max` ASCII digits (no sign, no spaces).
fn digits(field: &str, min: usize, max: usize) -> Option<u32> {
    if field.len() < min || field.len() > max || !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    field.bytes().try_fold(0_u32, |n, b| {
        n.checked_mul(10)?.checked_add(u32::from(b - b'0'))
    })
}

/// `HH:MM:SS` to seconds since midnight.
fn time(field: &str) -> Option<u32> {
    let mut parts = field.split(':');
    let hour = digits(parts.next()?, 2, 2)?;
    let minute = digits(parts.next()?, 2, 2)?;
    let second = digits(parts.next()?, 2, 2)?;
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(hour * 3600 + minute * 60 + second)
}

fn zone(field: &str) -> Option<()> {
    (field == "GMT" || field == "UTC").then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_across_four_centuries() {
        for days in -800_000..800_000_i64 {
            let (y, m, d) = civil_from_days(days);
            let (m, d) = (u32::try_from(m).unwrap(), u32::try_from(d).unwrap());
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn epoch_is_a_thursday() {
        assert_eq!(
            format_http_date(UnixTime::EPOCH),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }
}
