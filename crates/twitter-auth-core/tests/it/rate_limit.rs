//! Rate-limit headers, HTTP dates and clock skew, with headers shaped as X sends them
//! (contract §1.2 and §7; tweepy cassettes: `x-rate-limit-limit: 75`, `date: … UTC`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use twitter_auth_core::HttpResponse;
use twitter_auth_core::rate_limit::{Bucket, BucketKind, RateLimit, RetryAfter};
use twitter_auth_core::skew::{ClockSkew, is_timestamp_rejection, response_date};

/// `Fri, 07 Jan 2022 08:05:56 UTC`, the date of a tweepy v2 cassette.
const X_NOW: u64 = 1_641_542_756;
const HOUR: u64 = 3600;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Vec::new()).unwrap()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn reset_in(delta: u64) -> String {
    (X_NOW + delta).to_string()
}

// ---------------------------------------------------------------------------------------------
// HTTP dates
// ---------------------------------------------------------------------------------------------

/// `value` as a response's `Date`, read back by [`response_date`]; `None` also when `value`
/// cannot be a header value at all.
fn date(value: &str) -> Option<SystemTime> {
    let value = http::HeaderValue::from_bytes(value.as_bytes()).ok()?;
    let mut r = response(200, &[]);
    r.headers_mut().insert(http::header::DATE, value);
    response_date(&r)
}

/// An IMF-fixdate, as the mock (and any server) writes it.
fn imf_fixdate(secs: u64) -> String {
    httpdate::fmt_http_date(at(secs))
}

#[test]
fn rfc_9110_examples_parse_in_all_three_forms() {
    for form in [
        "Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT", // obsolete RFC 850
        "Sun Nov  6 08:49:37 1994",       // obsolete asctime
    ] {
        assert_eq!(
            date(form),
            Some(crate::support::secs(784_111_777)),
            "{form}"
        );
    }
}

#[test]
fn x_v2_dates_end_in_utc_and_v1_dates_in_gmt() {
    for value in [
        "Fri, 07 Jan 2022 08:05:56 UTC",
        "Fri, 07 Jan 2022 08:05:56 GMT",
    ] {
        assert_eq!(date(value), Some(crate::support::secs(X_NOW)), "{value}");
    }
}

#[test]
fn valid_dates_parse_to_their_unix_seconds() {
    for (value, expected) in [
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
        ("Thu, 29 Feb 2024 12:00:00 GMT", 1_709_208_000), // leap year
        ("Tue, 29 Feb 2000 00:00:00 GMT", 951_782_400),   // divisible by 400: leap
        ("Sun, 28 Feb 2100 23:59:59 GMT", 4_107_542_399), // 2100 is not leap
        ("Mon, 01 Mar 2100 00:00:00 GMT", 4_107_542_400),
        ("Tue, 19 Jan 2038 03:14:08 GMT", 2_147_483_648), // past i32
        ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799),
        ("  Fri, 07 Jan 2022 08:05:56 UTC\t", X_NOW), // surrounding whitespace
        ("Friday, 07-Jan-22 08:05:56 UTC", X_NOW),    // RFC 850, 20xx
        ("Friday, 07-Jan-22 08:05:56 GMT", X_NOW),
        ("Thursday, 01-Jan-70 00:00:00 GMT", 0), // RFC 850, 19xx
        ("Fri Jan  7 08:05:56 2022", X_NOW),     // asctime
        ("Fri Jan 07 08:05:56 2022", X_NOW),
    ] {
        assert_eq!(
            date(value),
            Some(crate::support::secs(expected)),
            "{value:?}"
        );
    }
}

#[test]
fn invalid_dates_are_rejected() {
    for value in [
        "",
        " ",
        "GMT",
        "UTC",
        "Sun, 31 Apr 2022 00:00:00 GMT", // April has 30 days
        "Sun, 32 Jan 2022 00:00:00 GMT",
        "Sun, 00 Jan 2022 00:00:00 GMT",
        "Wed, 29 Feb 2023 00:00:00 GMT", // not a leap year
        "Mon, 29 Feb 2100 00:00:00 GMT", // not a leap year either
        "Sun, 06 Foo 1994 08:49:37 GMT", // no such month
        "Sun, 06 November 1994 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT", // no such weekday
        "Mon, 06 Nov 1994 08:49:37 GMT", // the wrong weekday
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Nov 1994 08:49:37:00 GMT",
        "Sun, 06 Nov 1994 08:49:37 PST", // only GMT and UTC
        "Sun, 06 Nov 1994 08:49:37 +0000",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 94 08:49:37 GMT", // IMF-fixdate needs four digits
        "Sun, 06 Nov 11994 08:49:37 GMT",
        "Sun, 06 Nov +994 08:49:37 GMT",
        "Sun, -6 Nov 1994 08:49:37 GMT",
        "Sun, 006 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT trailing",
        "Sunday, 06-Nov-1994 08:49:37 GMT", // RFC 850 has two-digit years
        "Sunday, 06-Nov-94-1 08:49:37 GMT",
        "Sun Nov  6 08:49:37 94",
        "Sun Nov  6 08:49:37 1994 GMT",
        "Sun Nov  6 08:49:37 1994 UTC",
        "Wed, 31 Dec 1969 23:59:59 GMT", // before the epoch
        "1641542756",
        "Sun, 06 Nov 1994 08:49:37 GMT,",
        "Sun, 06 Nov 1994 ０8:49:37 GMT", // a full-width digit
        // RFC 9110's grammar is exact, and so is `httpdate`: no leap second, no one-digit day,
        // no runs of spaces, names in their case.
        "Fri, 31 Dec 2021 23:59:60 GMT",
        "Fri, 7 Jan 2022 08:05:56 UTC",
        "Fri,  07  Jan  2022  08:05:56  UTC",
        "fri, 07 JAN 2022 08:05:56 UTC",
    ] {
        assert_eq!(date(value), None, "{value:?}");
    }
}

#[test]
fn response_date_reads_the_first_date_header() {
    let r = response(200, &[("date", "Fri, 07 Jan 2022 08:05:56 UTC")]);
    assert_eq!(response_date(&r), Some(crate::support::secs(X_NOW)));
    assert_eq!(response_date(&response(200, &[])), None);
    assert_eq!(
        response_date(&response(200, &[("date", "yesterday")])),
        None
    );
    let mut r = response(200, &[("date", "Fri, 07 Jan 2022 08:05:56 UTC")]);
    r.headers_mut().append(
        "date",
        http::HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
    );
    assert_eq!(response_date(&r), Some(crate::support::secs(X_NOW)));
    let mut r = response(200, &[]);
    r.headers_mut().insert(
        "date",
        http::HeaderValue::from_bytes(b"Fri, 07 Jan 2022 \xff").unwrap(),
    );
    assert_eq!(response_date(&r), None);
}

// ---------------------------------------------------------------------------------------------
// Clock skew
// ---------------------------------------------------------------------------------------------

#[test]
fn skew_is_server_date_minus_local_now() {
    let r = response(401, &[("date", "Fri, 07 Jan 2022 08:05:56 UTC")]);
    // Local clock one hour slow: X is ahead.
    let slow = ClockSkew::from_response(&r, at(X_NOW - HOUR)).unwrap();
    assert_eq!(slow.seconds(), 3600);
    assert_eq!(slow.apply(at(X_NOW - HOUR)), at(X_NOW));
    // One hour fast: X is behind.
    let fast = ClockSkew::from_response(&r, at(X_NOW + HOUR)).unwrap();
    assert_eq!(fast.seconds(), -3600);
    assert_eq!(fast.apply(at(X_NOW + HOUR)), at(X_NOW));
    // Sub-second local time: whole seconds, toward the epoch.
    let exact = ClockSkew::from_response(&r, at(X_NOW) + Duration::from_millis(900)).unwrap();
    assert_eq!(exact, ClockSkew::ZERO);
    // No Date, or a garbage one: nothing learnt.
    assert_eq!(
        ClockSkew::from_response(&response(401, &[]), at(X_NOW)),
        None
    );
    let garbage = response(401, &[("date", "Fri, 07 Jan 2022")]);
    assert_eq!(ClockSkew::from_response(&garbage, at(X_NOW)), None);
}

#[test]
fn skew_threshold_is_thirty_seconds_either_way() {
    assert_eq!(ClockSkew::SIGNIFICANT_SECS, 30);
    for (seconds, significant) in [
        (0, false),
        (29, false),
        (-29, false),
        (30, true),
        (-30, true),
        (i64::MIN, true),
    ] {
        assert_eq!(
            ClockSkew::from_seconds(seconds).is_significant(),
            significant,
            "{seconds}"
        );
    }
    assert_eq!(ClockSkew::default(), ClockSkew::ZERO);
    assert!(!ClockSkew::ZERO.is_significant());
}

#[test]
fn skew_apply_saturates_instead_of_overflowing() {
    let now = at(X_NOW);
    assert_eq!(ClockSkew::ZERO.apply(now), now);
    // Far out of range either way: no panic, and the result moved in the right direction.
    assert!(ClockSkew::from_seconds(i64::MAX).apply(now) > now);
    assert!(ClockSkew::from_seconds(i64::MIN).apply(now) < now);
    // Any two instants a `SystemTime` holds: the difference fits, whole seconds.
    let far = u64::MAX / 4;
    assert_eq!(
        ClockSkew::between(UNIX_EPOCH + Duration::from_secs(far), UNIX_EPOCH).seconds(),
        i64::try_from(far).unwrap()
    );
    assert_eq!(ClockSkew::between(UNIX_EPOCH, at(1)).seconds(), -1);
}

#[test]
fn skew_serializes_as_bare_seconds_and_displays_signed() {
    let skew = ClockSkew::from_seconds(-3600);
    assert_eq!(serde_json::to_string(&skew).unwrap(), "-3600");
    assert_eq!(serde_json::from_str::<ClockSkew>("-3600").unwrap(), skew);
    assert_eq!(skew.to_string(), "-3600 s");
    assert_eq!(ClockSkew::from_seconds(5).to_string(), "+5 s");
}

#[test]
fn timestamp_rejection_is_code_135_on_an_error_status() {
    let body = br#"{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}"#;
    let rejected = http::Response::builder()
        .status(401)
        .body(body.to_vec())
        .unwrap();
    assert!(is_timestamp_rejection(&rejected));
    let several = br#"{"errors":[{"code":32,"message":"Could not authenticate you."},{"code":135,"message":"x"}]}"#;
    let several = http::Response::builder()
        .status(401)
        .body(several.to_vec())
        .unwrap();
    assert!(is_timestamp_rejection(&several));
    for (status, body) in [
        (401, &br#"{"errors":[{"code":32,"message":"Could not authenticate you."}]}"#[..]),
        (401, b"Timestamp out of bounds"),
        (401, b""),
        (200, &body[..]),
        (401, br#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#),
    ] {
        let r = http::Response::builder().status(status).body(body.to_vec()).unwrap();
        assert!(!is_timestamp_rejection(&r), "{status} {:?}", String::from_utf8_lossy(body));
    }
}

// ---------------------------------------------------------------------------------------------
// Rate limits
// ---------------------------------------------------------------------------------------------

#[test]
fn the_window_triple_as_tweepy_cassettes_show_it() {
    let r = response(
        200,
        &[
            ("date", "Fri, 07 Jan 2022 08:05:56 UTC"),
            ("x-rate-limit-limit", "75"),
            ("x-rate-limit-remaining", "74"),
            ("x-rate-limit-reset", &reset_in(900)),
        ],
    );
    let limits = RateLimit::from_response(&r, at(X_NOW)).unwrap();
    let window = Bucket {
        limit: 75,
        remaining: 74,
        reset: crate::support::secs(X_NOW + 900),
    };
    assert_eq!(limits.window(), Some(window));
    assert_eq!(limits.bucket(BucketKind::Window), Some(window));
    assert!(!window.is_exhausted());
    assert_eq!(limits.app_24h(), None);
    assert_eq!(limits.user_24h(), None);
    assert_eq!(limits.retry_after(), None);
    assert_eq!(limits.date(), Some(crate::support::secs(X_NOW)));
    assert_eq!(limits.received(), crate::support::secs(X_NOW));
    assert_eq!(limits.skew(), Some(ClockSkew::ZERO));
    // Calls are left: nothing ran out, nothing to wait for.
    assert_eq!(limits.exhausted(), None);
    assert_eq!(limits.wait(at(X_NOW)), None);
    // But the window's reset is still known.
    assert_eq!(
        limits.wait_for(BucketKind::Window, at(X_NOW)),
        Some(secs(901))
    );
    assert_eq!(
        limits.resets_at(BucketKind::Window),
        Some(crate::support::secs(X_NOW + 900))
    );
    assert_eq!(limits.resets_at(BucketKind::App24h), None);
    assert_eq!(limits.wait_for(BucketKind::RetryAfter, at(X_NOW)), None);
}

#[test]
fn an_exhausted_window_waits_until_its_reset_plus_one_second() {
    let r = response(
        429,
        &[
            ("date", "Fri, 07 Jan 2022 08:05:56 UTC"),
            ("x-rate-limit-limit", "75"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", &reset_in(300)),
        ],
    );
    let limits = RateLimit::from_response(&r, at(X_NOW)).unwrap();
    assert_eq!(limits.exhausted(), Some(BucketKind::Window));
    assert_eq!(limits.wait(at(X_NOW)), Some(secs(301)));
    // Asked later, the wait shrinks by the local time elapsed…
    assert_eq!(limits.wait(at(X_NOW + 100)), Some(secs(201)));
    // …down to the 1 s margin once the reset has passed.
    assert_eq!(limits.wait(at(X_NOW + 300)), Some(secs(1)));
    assert_eq!(limits.wait(at(X_NOW + 10 * HOUR)), Some(secs(1)));
}

#[test]
fn a_local_clock_an_hour_fast_or_slow_waits_the_same() {
    let headers = [
        ("date", "Fri, 07 Jan 2022 08:05:56 UTC"),
        ("x-rate-limit-limit", "75"),
        ("x-rate-limit-remaining", "0"),
        ("x-rate-limit-reset", &reset_in(300)),
    ];
    let r = response(429, &headers);
    for local in [X_NOW, X_NOW + HOUR, X_NOW - HOUR, X_NOW + 30 * 24 * HOUR] {
        let limits = RateLimit::from_response(&r, at(local)).unwrap();
        assert_eq!(
            limits.wait(at(local)),
            Some(secs(301)),
            "local clock at {local}"
        );
        assert_eq!(
            limits.wait(at(local + 60)),
            Some(secs(241)),
            "local clock at {local}"
        );
        let skew = i64::try_from(X_NOW).unwrap() - i64::try_from(local).unwrap();
        assert_eq!(limits.skew(), Some(ClockSkew::from_seconds(skew)));
    }
    // Without a Date, the local clock is all there is: one hour fast waits an hour less.
    let r = response(429, &headers[1..]);
    let limits = RateLimit::from_response(&r, at(X_NOW)).unwrap();
    assert_eq!(limits.date(), None);
    assert_eq!(limits.skew(), None);
    assert_eq!(limits.wait(at(X_NOW)), Some(secs(301)));
    let limits = RateLimit::from_response(&r, at(X_NOW + HOUR)).unwrap();
    assert_eq!(limits.wait(at(X_NOW + HOUR)), Some(secs(1)));
}

#[test]
fn a_429_with_window_calls_left_is_a_24_hour_cap() {
    // POST /2/tweets: the window has calls left, the app's 24-hour cap does not.
    let r = response(
        429,
        &[
            ("date", "Fri, 07 Jan 2022 08:05:56 UTC"),
            ("x-rate-limit-limit", "200"),
            ("x-rate-limit-remaining", "187"),
            ("x-rate-limit-reset", &reset_in(600)),
            ("x-app-limit-24hour-limit", "10000"),
            ("x-app-limit-24hour-remaining", "0"),
            ("x-app-limit-24hour-reset", &reset_in(2 * HOUR)),
            ("x-user-limit-24hour-limit", "100"),
            ("x-user-limit-24hour-remaining", "42"),
            ("x-user-limit-24hour-reset", &reset_in(3 * HOUR)),
        ],
    );
    let limits = RateLimit::from_response(&r, at(X_NOW - HOUR)).unwrap();
    assert_eq!(limits.exhausted(), Some(BucketKind::App24h));
    assert_eq!(limits.wait(at(X_NOW - HOUR)), Some(secs(2 * HOUR + 1)));
    assert_eq!(
        limits.app_24h(),
        Some(Bucket {
            limit: 10_000,
            remaining: 0,
            reset: crate::support::secs(X_NOW + 2 * HOUR)
        })
    );
    assert_eq!(
        limits.user_24h(),
        Some(Bucket {
            limit: 100,
            remaining: 42,
            reset: crate::support::secs(X_NOW + 3 * HOUR)
        })
    );
    assert_eq!(limits.bucket(BucketKind::User24h), limits.user_24h());
    assert_eq!(limits.bucket(BucketKind::RetryAfter), None);
}

#[test]
fn of_several_exhausted_buckets_the_one_resetting_last_wins() {
    let family = |prefix: &str, remaining: &str, delta: u64| {
        [
            (format!("{prefix}-limit"), "10".to_owned()),
            (format!("{prefix}-remaining"), remaining.to_owned()),
            (format!("{prefix}-reset"), reset_in(delta)),
        ]
    };
    let build = |families: &[[(String, String); 3]]| {
        let mut headers = vec![(
            "date".to_owned(),
            "Fri, 07 Jan 2022 08:05:56 UTC".to_owned(),
        )];
        headers.extend(families.iter().flatten().cloned());
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        RateLimit::from_response(&response(429, &headers), at(X_NOW)).unwrap()
    };
    let w = "x-rate-limit";
    let app = "x-app-limit-24hour";
    let user = "x-user-limit-24hour";

    let l = build(&[
        family(w, "0", 900),
        family(app, "0", 5 * HOUR),
        family(user, "0", 2 * HOUR),
    ]);
    assert_eq!(l.exhausted(), Some(BucketKind::App24h));
    assert_eq!(l.wait(at(X_NOW)), Some(secs(5 * HOUR + 1)));

    let l = build(&[
        family(w, "0", 900),
        family(app, "3", 5 * HOUR),
        family(user, "0", 2 * HOUR),
    ]);
    assert_eq!(l.exhausted(), Some(BucketKind::User24h));

    let l = build(&[
        family(w, "0", 900),
        family(app, "3", 5 * HOUR),
        family(user, "1", 2 * HOUR),
    ]);
    assert_eq!(l.exhausted(), Some(BucketKind::Window));

    // A window reset later than a 24-hour one (e.g. a 24-hour window) still wins by time.
    let l = build(&[family(w, "0", 20 * HOUR), family(user, "0", 2 * HOUR)]);
    assert_eq!(l.exhausted(), Some(BucketKind::Window));

    // Ties: User24h, then App24h, then Window.
    let l = build(&[
        family(w, "0", HOUR),
        family(app, "0", HOUR),
        family(user, "0", HOUR),
    ]);
    assert_eq!(l.exhausted(), Some(BucketKind::User24h));
    let l = build(&[family(w, "0", HOUR), family(app, "0", HOUR)]);
    assert_eq!(l.exhausted(), Some(BucketKind::App24h));

    // Nothing at zero: no bucket ran out, even on a 429 (a cap X does not report).
    let l = build(&[
        family(w, "1", HOUR),
        family(app, "1", HOUR),
        family(user, "1", HOUR),
    ]);
    assert_eq!(l.exhausted(), None);
    assert_eq!(l.wait(at(X_NOW)), None);
}

#[test]
fn retry_after_in_seconds_dominates_and_counts_from_the_response() {
    let r = response(
        429,
        &[
            ("date", "Fri, 07 Jan 2022 08:05:56 UTC"),
            ("retry-after", "120"),
            ("x-rate-limit-limit", "75"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", &reset_in(900)),
        ],
    );
    for local in [X_NOW, X_NOW + HOUR, X_NOW - HOUR] {
        let limits = RateLimit::from_response(&r, at(local)).unwrap();
        assert_eq!(limits.retry_after(), Some(RetryAfter::Seconds(120)));
        assert_eq!(limits.exhausted(), Some(BucketKind::RetryAfter));
        assert_eq!(
            limits.resets_at(BucketKind::RetryAfter),
            Some(crate::support::secs(X_NOW + 120))
        );
        assert_eq!(limits.wait(at(local)), Some(secs(121)));
        assert_eq!(limits.wait(at(local + 20)), Some(secs(101)));
    }
    // Alone, without a Date: relative to the arrival.
    let r = response(503, &[("retry-after", " 7 ")]);
    let limits = RateLimit::from_response(&r, at(X_NOW)).unwrap();
    assert_eq!(limits.exhausted(), Some(BucketKind::RetryAfter));
    assert_eq!(limits.wait(at(X_NOW)), Some(secs(8)));
    assert_eq!(limits.wait(at(X_NOW + 7)), Some(secs(1)));
}

#[test]
fn retry_after_as_a_date_is_on_xs_clock() {
    let r = response(
        503,
        &[
            ("date", "Fri, 07 Jan 2022 08:05:56 UTC"),
            ("retry-after", "Fri, 07 Jan 2022 08:10:56 GMT"),
        ],
    );
    for local in [X_NOW, X_NOW + HOUR, X_NOW - HOUR] {
        let limits = RateLimit::from_response(&r, at(local)).unwrap();
        assert_eq!(
            limits.retry_after(),
            Some(RetryAfter::At(crate::support::secs(X_NOW + 300)))
        );
        assert_eq!(limits.wait(at(local)), Some(secs(301)));
    }
    // A Retry-After date in the past: the 1 s margin.
    let r = response(
        503,
        &[
            ("date", "Fri, 07 Jan 2022 08:05:56 UTC"),
            ("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ],
    );
    assert_eq!(
        RateLimit::from_response(&r, at(X_NOW))
            .unwrap()
            .wait(at(X_NOW)),
        Some(secs(1))
    );
}

#[test]
fn missing_or_garbage_headers_give_none_or_a_partial_result() {
    // Nothing about rate limits.
    assert_eq!(
        RateLimit::from_response(&response(200, &[]), at(X_NOW)),
        None
    );
    let only_date = response(200, &[("date", "Fri, 07 Jan 2022 08:05:56 UTC")]);
    assert_eq!(RateLimit::from_response(&only_date, at(X_NOW)), None);
    // Garbage everywhere: nothing usable, so None.
    let garbage = response(
        429,
        &[
            ("x-rate-limit-limit", "seventy-five"),
            ("x-rate-limit-remaining", "-1"),
            ("x-rate-limit-reset", "1.5e9"),
            ("retry-after", "soon"),
        ],
    );
    assert_eq!(RateLimit::from_response(&garbage, at(X_NOW)), None);
    // An incomplete family is dropped; the complete one stays.
    let partial = response(
        429,
        &[
            ("x-rate-limit-limit", "75"),
            ("x-rate-limit-remaining", "0"),
            ("x-app-limit-24hour-limit", "10000"),
            ("x-app-limit-24hour-remaining", "0"),
            ("x-app-limit-24hour-reset", &reset_in(HOUR)),
            ("x-user-limit-24hour-remaining", "+5"),
            ("x-user-limit-24hour-limit", "100"),
            ("x-user-limit-24hour-reset", &reset_in(HOUR)),
            ("date", "not a date"),
        ],
    );
    let limits = RateLimit::from_response(&partial, at(X_NOW)).unwrap();
    assert_eq!(limits.window(), None);
    assert_eq!(limits.user_24h(), None);
    assert_eq!(limits.date(), None);
    assert_eq!(limits.exhausted(), Some(BucketKind::App24h));
    assert_eq!(limits.wait(at(X_NOW)), Some(secs(HOUR + 1)));
    // Overflowing numbers are garbage too; the largest u64 is not.
    let big = response(
        200,
        &[
            ("x-rate-limit-limit", "18446744073709551616"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "0"),
            ("x-app-limit-24hour-limit", "1"),
            ("x-app-limit-24hour-remaining", "0"),
            ("x-app-limit-24hour-reset", "18446744073709551615"),
        ],
    );
    let limits = RateLimit::from_response(&big, at(X_NOW)).unwrap();
    assert_eq!(limits.window(), None);
    // A reset past what the platform's clock holds saturates thousands of years out.
    let wait = limits.wait(at(X_NOW)).unwrap();
    assert!(wait > Duration::from_secs(8_000 * 365 * 86_400), "{wait:?}");
    // Non-ASCII bytes in a value.
    let mut r = response(429, &[]);
    for name in [
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
        "retry-after",
    ] {
        r.headers_mut()
            .insert(name, http::HeaderValue::from_bytes(b"1\xff").unwrap());
    }
    assert_eq!(RateLimit::from_response(&r, at(X_NOW)), None);
}

#[test]
fn a_repeated_header_counts_its_first_value() {
    let mut r = response(
        429,
        &[
            ("x-rate-limit-limit", "75"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", &reset_in(60)),
        ],
    );
    r.headers_mut().append(
        "x-rate-limit-remaining",
        http::HeaderValue::from_static("5"),
    );
    let limits = RateLimit::from_response(&r, at(X_NOW)).unwrap();
    assert_eq!(limits.window().map(|w| w.remaining), Some(0));
}

#[test]
fn a_rate_limit_survives_serde_and_keeps_waiting_right() {
    let r = response(
        429,
        &[
            ("date", "Fri, 07 Jan 2022 08:05:56 UTC"),
            ("x-rate-limit-limit", "75"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", &reset_in(300)),
            ("retry-after", "Fri, 07 Jan 2022 08:10:56 GMT"),
        ],
    );
    let limits = RateLimit::from_response(&r, at(X_NOW + HOUR)).unwrap();
    let json = serde_json::to_string(&limits).unwrap();
    let back: RateLimit = serde_json::from_str(&json).unwrap();
    assert_eq!(back, limits);
    assert_eq!(back.wait(at(X_NOW + HOUR + 100)), Some(secs(201)));
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const RATE_LIMIT_HEADERS: [&str; 11] = [
    "date",
    "retry-after",
    "x-rate-limit-limit",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
    "x-app-limit-24hour-limit",
    "x-app-limit-24hour-remaining",
    "x-app-limit-24hour-reset",
    "x-user-limit-24hour-limit",
    "x-user-limit-24hour-remaining",
    "x-user-limit-24hour-reset",
];

/// A header value: visible ASCII, digits, dates, or arbitrary bytes a header may hold.
fn header_value() -> impl Strategy<Value = Option<http::HeaderValue>> {
    prop_oneof![
        Just(None),
        "[ -~]{0,40}".prop_map(|s| http::HeaderValue::from_str(&s).ok()),
        "[0-9 ]{0,22}".prop_map(|s| http::HeaderValue::from_str(&s).ok()),
        (0_u64..=u64::MAX).prop_map(|n| Some(http::HeaderValue::from(n))),
        (0_u64..=253_402_300_799).prop_map(|t| http::HeaderValue::from_str(&imf_fixdate(t)).ok()),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| http::HeaderValue::from_bytes(&b).ok()),
    ]
}

fn instant() -> impl Strategy<Value = SystemTime> {
    prop_oneof![
        (0_u64..=u64::MAX / 4).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
        (0_u64..=1_000_000_000_000).prop_map(|s| UNIX_EPOCH - Duration::from_secs(s)),
        (X_NOW - 10 * HOUR..X_NOW + 10 * HOUR).prop_map(at),
    ]
}

proptest! {
    #[test]
    fn response_date_is_total_on_any_string(s in any::<String>()) {
        let _ = date(&s);
    }

    #[test]
    fn response_date_reads_every_imf_fixdate_in_gmt_and_utc(t in 0_u64..=253_402_300_799) {
        let text = imf_fixdate(t);
        prop_assert_eq!(text.len(), 29);
        prop_assert_eq!(date(&text), Some(crate::support::secs(t)));
        // X's v2 spelling.
        let utc = text.replace("GMT", "UTC");
        prop_assert_eq!(date(&utc), Some(crate::support::secs(t)));
    }

    #[test]
    fn rate_limit_parsing_is_total(
        values in proptest::collection::vec(header_value(), RATE_LIMIT_HEADERS.len()),
        now in instant(),
        later in instant(),
    ) {
        let mut r = response(429, &[]);
        for (name, value) in RATE_LIMIT_HEADERS.iter().zip(values) {
            if let Some(value) = value {
                r.headers_mut().insert(*name, value);
            }
        }
        if let Some(limits) = RateLimit::from_response(&r, now) {
            let _ = limits.skew();
            let exhausted = limits.exhausted();
            prop_assert_eq!(limits.wait(later).is_some(), exhausted.is_some());
            if let Some(wait) = limits.wait(later) {
                prop_assert!(wait >= secs(1));
            }
            for kind in [BucketKind::Window, BucketKind::App24h, BucketKind::User24h, BucketKind::RetryAfter] {
                let _ = limits.wait_for(kind, later);
            }
        }
        let _ = ClockSkew::from_response(&r, now).map(|s| s.apply(later));
    }

    #[test]
    fn the_wait_does_not_depend_on_the_local_clock(
        skew in -(10 * 24 * 3600_i64)..=10 * 24 * 3600,
        delta in 0_u64..=2 * 24 * 3600,
        elapsed in 0_u64..=3 * 24 * 3600,
        kind in 0_usize..3,
    ) {
        let prefix = ["x-rate-limit", "x-app-limit-24hour", "x-user-limit-24hour"][kind];
        let reset = reset_in(delta);
        let names = [format!("{prefix}-limit"), format!("{prefix}-remaining"), format!("{prefix}-reset")];
        let r = response(
            429,
            &[
                ("date", "Fri, 07 Jan 2022 08:05:56 UTC"),
                (&names[0], "10"),
                (&names[1], "0"),
                (&names[2], &reset),
            ],
        );
        let local = at(X_NOW.saturating_add_signed(skew));
        let limits = RateLimit::from_response(&r, local).unwrap();
        let expected = secs(delta.saturating_sub(elapsed) + 1);
        prop_assert_eq!(limits.wait(local + secs(elapsed)), Some(expected));
    }
}
