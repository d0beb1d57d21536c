//! The retry policy, rule by rule (the table in `twitter_auth_core::retry`'s docs).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use twitter_auth_core::retry::{Decision, Outcome, RetryPolicy, TransportFailure};
use twitter_auth_core::{Error, HttpResponse, Replay};

/// `Fri, 07 Jan 2022 08:05:56 UTC`.
const X_NOW: u64 = 1_641_542_756;
const DATE: &str = "Fri, 07 Jan 2022 08:05:56 UTC";
const HOUR: u64 = 3600;
/// Jitter bits that pick exactly half of the backoff ceiling.
const HALF: u32 = 1 << 31;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Vec::new()).unwrap()
}

/// A 429 whose window resets `delta` seconds after X's `Date`.
fn limited(delta: u64) -> HttpResponse {
    let reset = (X_NOW + delta).to_string();
    response(
        429,
        &[
            ("date", DATE),
            ("x-rate-limit-limit", "75"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", &reset),
        ],
    )
}

fn decide(policy: &RetryPolicy, replay: Replay, attempt: u32, outcome: Outcome<'_>) -> Decision {
    policy.decide(replay, attempt, outcome, at(X_NOW), HALF)
}

fn is_accept(d: &Decision) -> bool {
    matches!(d, Decision::Accept)
}

fn retry_after(d: &Decision) -> Option<Duration> {
    match d {
        Decision::RetryAfter(wait) => Some(*wait),
        _ => None,
    }
}

const BOTH: [Replay; 2] = [Replay::Safe, Replay::Never];

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[test]
fn the_default_retries_nothing_and_never_waits() {
    let p = RetryPolicy::default();
    assert_eq!(p, RetryPolicy::new());
    assert_eq!(p.retries(), 0);
    assert!(!p.wait_on_rate_limit());
    assert_eq!(p.retry_statuses(), [500, 502, 503, 504]);
    assert_eq!(p.base_delay(), secs(1));
    assert_eq!(p.max_delay(), secs(30));
    assert_eq!(p.max_rate_limit_wait(), secs(16 * 60));
    for replay in BOTH {
        assert!(is_accept(&decide(
            &p,
            replay,
            0,
            Outcome::Response(&response(503, &[]))
        )));
        assert!(is_accept(&decide(
            &p,
            replay,
            0,
            Outcome::Response(&limited(60))
        )));
        let d = decide(&p, replay, 0, Outcome::Transport(TransportFailure::NotSent));
        assert!(matches!(d, Decision::GiveUp(None)), "{d:?}");
    }
}

#[test]
fn recommended_turns_on_three_retries_but_not_429_waits() {
    let p = RetryPolicy::recommended();
    assert_eq!(p.retries(), 3);
    assert!(!p.wait_on_rate_limit());
    assert_eq!(p, RetryPolicy::default().with_retries(3));
}

#[test]
fn builders_set_every_knob() {
    let p = RetryPolicy::new()
        .with_retries(5)
        .with_base_delay(Duration::from_millis(250))
        .with_max_delay(secs(8))
        .with_retry_statuses([502, 503])
        .with_wait_on_rate_limit(true)
        .with_max_rate_limit_wait(secs(60));
    assert_eq!(p.retries(), 5);
    assert_eq!(p.base_delay(), Duration::from_millis(250));
    assert_eq!(p.max_delay(), secs(8));
    assert_eq!(p.retry_statuses(), [502, 503]);
    assert!(p.wait_on_rate_limit());
    assert_eq!(p.max_rate_limit_wait(), secs(60));
}

// ---------------------------------------------------------------------------------------------
// Backoff
// ---------------------------------------------------------------------------------------------

#[test]
fn backoff_doubles_up_to_the_cap_scaled_by_the_jitter() {
    let p = RetryPolicy::recommended();
    // Full jitter: the ceiling times jitter / 2^32.
    for (attempt, ceiling) in [
        (0, 1),
        (1, 2),
        (2, 4),
        (3, 8),
        (4, 16),
        (5, 30),
        (6, 30),
        (31, 30),
    ] {
        assert_eq!(
            p.backoff(attempt, HALF),
            secs(ceiling) / 2,
            "attempt {attempt}"
        );
        assert_eq!(p.backoff(attempt, 0), Duration::ZERO, "attempt {attempt}");
        let top = p.backoff(attempt, u32::MAX);
        assert!(
            top < secs(ceiling) && secs(ceiling) - top < Duration::from_micros(1),
            "{top:?}"
        );
    }
    // Huge attempts and delays never overflow.
    assert_eq!(p.backoff(32, HALF), secs(15));
    assert_eq!(p.backoff(u32::MAX, HALF), secs(15));
    let huge = RetryPolicy::new()
        .with_base_delay(Duration::MAX)
        .with_max_delay(Duration::MAX);
    assert!(huge.backoff(u32::MAX, u32::MAX) > secs(u64::MAX / 2));
    assert_eq!(huge.backoff(0, 0), Duration::ZERO);
    // Deterministic given the jitter.
    assert_eq!(p.backoff(2, 12_345), p.backoff(2, 12_345));
}

// ---------------------------------------------------------------------------------------------
// Answers that go to the flow
// ---------------------------------------------------------------------------------------------

#[test]
fn non_retryable_statuses_are_accepted_even_with_retries_left() {
    let p = RetryPolicy::recommended().with_wait_on_rate_limit(true);
    for status in [
        100, 200, 201, 204, 301, 302, 400, 401, 403, 404, 409, 501, 505, 599,
    ] {
        for replay in BOTH {
            let d = decide(&p, replay, 0, Outcome::Response(&response(status, &[])));
            assert!(is_accept(&d), "{status} {replay:?}: {d:?}");
        }
    }
}

#[test]
fn a_401_with_code_135_is_accepted_for_the_flow_to_re_sign() {
    let p = RetryPolicy::recommended();
    let body = br#"{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}"#;
    let r = http::Response::builder()
        .status(401)
        .header("date", DATE)
        .body(body.to_vec())
        .unwrap();
    assert!(is_accept(&decide(
        &p,
        Replay::Safe,
        0,
        Outcome::Response(&r)
    )));
}

// ---------------------------------------------------------------------------------------------
// 5xx
// ---------------------------------------------------------------------------------------------

#[test]
fn listed_5xx_on_a_safe_request_backs_off_while_attempts_remain() {
    let p = RetryPolicy::recommended();
    for status in [500, 502, 503, 504] {
        let r = response(status, &[]);
        for attempt in 0..3 {
            let d = decide(&p, Replay::Safe, attempt, Outcome::Response(&r));
            assert_eq!(
                retry_after(&d),
                Some(p.backoff(attempt, HALF)),
                "{status} #{attempt}"
            );
        }
        // The attempt limit is reached: the flow reports the 5xx.
        assert!(is_accept(&decide(
            &p,
            Replay::Safe,
            3,
            Outcome::Response(&r)
        )));
        assert!(is_accept(&decide(
            &p,
            Replay::Safe,
            99,
            Outcome::Response(&r)
        )));
    }
}

#[test]
fn a_5xx_on_a_single_use_step_is_never_replayed() {
    let p = RetryPolicy::recommended().with_retries(10);
    // 503: X did not take the request; the flow reports the status.
    let d = decide(&p, Replay::Never, 0, Outcome::Response(&response(503, &[])));
    assert!(is_accept(&d), "503: {d:?}");
    // 500, 502, 504: the grant may be spent; reported as such, never replayed.
    for status in [500, 502, 504] {
        let d = decide(
            &p,
            Replay::Never,
            0,
            Outcome::Response(&response(status, &[])),
        );
        assert!(
            matches!(d, Decision::GiveUp(Some(Error::MayHaveBeenConsumed))),
            "{status}: {d:?}"
        );
    }
}

#[test]
fn retry_statuses_are_configurable() {
    let p = RetryPolicy::recommended().with_retry_statuses([503, 408]);
    assert!(is_accept(&decide(
        &p,
        Replay::Safe,
        0,
        Outcome::Response(&response(500, &[]))
    )));
    let d = decide(&p, Replay::Safe, 0, Outcome::Response(&response(408, &[])));
    assert_eq!(retry_after(&d), Some(secs(1) / 2));
    // 429 in the list changes nothing: only wait_on_rate_limit retries it.
    let p = RetryPolicy::recommended().with_retry_statuses([429]);
    assert!(is_accept(&decide(
        &p,
        Replay::Safe,
        0,
        Outcome::Response(&limited(60))
    )));
}

#[test]
fn a_retry_after_on_a_listed_5xx_is_a_floor_and_a_long_one_is_accepted() {
    let p = RetryPolicy::recommended();
    let r = response(503, &[("date", DATE), ("retry-after", "120")]);
    assert_eq!(
        retry_after(&decide(&p, Replay::Safe, 0, Outcome::Response(&r))),
        Some(secs(121))
    );
    // Shorter than the backoff: the backoff.
    let r = response(503, &[("retry-after", "0")]);
    assert_eq!(
        retry_after(&p.decide(Replay::Safe, 4, Outcome::Response(&r), at(X_NOW), HALF)),
        None,
        "attempt 4 of 3 retries"
    );
    let p = p.with_retries(10);
    let d = decide(&p, Replay::Safe, 4, Outcome::Response(&r));
    assert_eq!(retry_after(&d), Some(secs(8)));
    // Longer than max_rate_limit_wait: not waited for.
    let r = response(
        503,
        &[
            ("retry-after", "Fri, 07 Jan 2022 10:05:56 GMT"),
            ("date", DATE),
        ],
    );
    assert!(is_accept(&decide(
        &p,
        Replay::Safe,
        0,
        Outcome::Response(&r)
    )));
    let d = decide(
        &p.with_max_rate_limit_wait(secs(3 * HOUR)),
        Replay::Safe,
        0,
        Outcome::Response(&r),
    );
    assert_eq!(retry_after(&d), Some(secs(2 * HOUR + 1)));
}

// ---------------------------------------------------------------------------------------------
// 429
// ---------------------------------------------------------------------------------------------

#[test]
fn a_429_waits_until_the_reset_on_xs_clock_when_asked_to() {
    let p = RetryPolicy::recommended().with_wait_on_rate_limit(true);
    for replay in BOTH {
        for local in [X_NOW, X_NOW + HOUR, X_NOW - HOUR] {
            let d = p.decide(replay, 0, Outcome::Response(&limited(300)), at(local), HALF);
            assert_eq!(
                retry_after(&d),
                Some(secs(301)),
                "{replay:?}, local clock at {local}"
            );
        }
    }
    // Without the option, the flow reports the 429.
    let p = RetryPolicy::recommended();
    assert!(is_accept(&decide(
        &p,
        Replay::Safe,
        0,
        Outcome::Response(&limited(300))
    )));
}

#[test]
fn a_429_waits_for_the_24_hour_cap_not_the_window() {
    let p = RetryPolicy::recommended()
        .with_wait_on_rate_limit(true)
        .with_max_rate_limit_wait(secs(24 * HOUR));
    let window_reset = (X_NOW + 600).to_string();
    let app_reset = (X_NOW + 2 * HOUR).to_string();
    let r = response(
        429,
        &[
            ("date", DATE),
            ("x-rate-limit-limit", "200"),
            ("x-rate-limit-remaining", "187"),
            ("x-rate-limit-reset", &window_reset),
            ("x-app-limit-24hour-limit", "10000"),
            ("x-app-limit-24hour-remaining", "0"),
            ("x-app-limit-24hour-reset", &app_reset),
        ],
    );
    let d = decide(&p, Replay::Safe, 0, Outcome::Response(&r));
    assert_eq!(retry_after(&d), Some(secs(2 * HOUR + 1)));
    // Longer than the default 16-minute cap: not waited for, the flow reports it.
    let p = p.with_max_rate_limit_wait(RetryPolicy::new().max_rate_limit_wait());
    assert!(is_accept(&decide(
        &p,
        Replay::Safe,
        0,
        Outcome::Response(&r)
    )));
}

#[test]
fn a_429_wait_longer_than_the_maximum_is_accepted() {
    let p = RetryPolicy::recommended()
        .with_wait_on_rate_limit(true)
        .with_max_rate_limit_wait(secs(301));
    assert_eq!(
        retry_after(&decide(
            &p,
            Replay::Safe,
            0,
            Outcome::Response(&limited(300))
        )),
        Some(secs(301))
    );
    assert!(is_accept(&decide(
        &p,
        Replay::Safe,
        0,
        Outcome::Response(&limited(301))
    )));
}

#[test]
fn a_429_honours_retry_after() {
    let p = RetryPolicy::recommended().with_wait_on_rate_limit(true);
    let r = response(429, &[("date", DATE), ("retry-after", "42")]);
    assert_eq!(
        retry_after(&decide(&p, Replay::Safe, 0, Outcome::Response(&r))),
        Some(secs(43))
    );
}

#[test]
fn a_429_without_an_exhausted_bucket_backs_off() {
    let p = RetryPolicy::recommended().with_wait_on_rate_limit(true);
    let bare = response(429, &[]);
    let reset = (X_NOW + 600).to_string();
    let left = response(
        429,
        &[
            ("date", DATE),
            ("x-rate-limit-limit", "75"),
            ("x-rate-limit-remaining", "3"),
            ("x-rate-limit-reset", &reset),
        ],
    );
    for r in [bare, left] {
        for attempt in 0..3 {
            let d = decide(&p, Replay::Safe, attempt, Outcome::Response(&r));
            assert_eq!(retry_after(&d), Some(p.backoff(attempt, HALF)));
        }
        assert!(is_accept(&decide(
            &p,
            Replay::Safe,
            3,
            Outcome::Response(&r)
        )));
    }
}

#[test]
fn waiting_on_rate_limits_alone_allows_one_wait() {
    let p = RetryPolicy::new().with_wait_on_rate_limit(true);
    assert_eq!(
        retry_after(&decide(
            &p,
            Replay::Safe,
            0,
            Outcome::Response(&limited(60))
        )),
        Some(secs(61))
    );
    assert!(is_accept(&decide(
        &p,
        Replay::Safe,
        1,
        Outcome::Response(&limited(60))
    )));
    // It does not turn on other retries.
    assert!(is_accept(&decide(
        &p,
        Replay::Safe,
        0,
        Outcome::Response(&response(503, &[]))
    )));
}

#[test]
fn the_429_attempt_limit_is_the_retry_count() {
    let p = RetryPolicy::recommended().with_wait_on_rate_limit(true);
    for attempt in 0..3 {
        assert!(
            retry_after(&decide(
                &p,
                Replay::Safe,
                attempt,
                Outcome::Response(&limited(60))
            ))
            .is_some()
        );
    }
    assert!(is_accept(&decide(
        &p,
        Replay::Never,
        3,
        Outcome::Response(&limited(60))
    )));
}

// ---------------------------------------------------------------------------------------------
// Transport failures
// ---------------------------------------------------------------------------------------------

#[test]
fn not_sent_is_retried_for_both_kinds_because_nothing_reached_x() {
    let p = RetryPolicy::recommended();
    for replay in BOTH {
        for attempt in 0..3 {
            let d = decide(
                &p,
                replay,
                attempt,
                Outcome::Transport(TransportFailure::NotSent),
            );
            assert_eq!(
                retry_after(&d),
                Some(p.backoff(attempt, HALF)),
                "{replay:?} #{attempt}"
            );
        }
        // The attempt limit is reached: report the transport error the adapter holds.
        let d = decide(&p, replay, 3, Outcome::Transport(TransportFailure::NotSent));
        assert!(matches!(d, Decision::GiveUp(None)), "{replay:?}: {d:?}");
    }
}

#[test]
fn an_ambiguous_failure_on_a_safe_request_is_retried() {
    let p = RetryPolicy::recommended();
    for attempt in 0..3 {
        let d = decide(
            &p,
            Replay::Safe,
            attempt,
            Outcome::Transport(TransportFailure::Unknown),
        );
        assert_eq!(retry_after(&d), Some(p.backoff(attempt, HALF)));
    }
    let d = decide(
        &p,
        Replay::Safe,
        3,
        Outcome::Transport(TransportFailure::Unknown),
    );
    assert!(matches!(d, Decision::GiveUp(None)), "{d:?}");
}

#[test]
fn a_single_use_step_is_never_replayed_after_an_ambiguous_failure() {
    for p in [
        RetryPolicy::new(),
        RetryPolicy::recommended(),
        RetryPolicy::recommended()
            .with_retries(u32::MAX)
            .with_wait_on_rate_limit(true),
    ] {
        for attempt in [0, 1, 3, u32::MAX] {
            let d = decide(
                &p,
                Replay::Never,
                attempt,
                Outcome::Transport(TransportFailure::Unknown),
            );
            let Decision::GiveUp(Some(e)) = &d else {
                panic!("{d:?}")
            };
            assert!(matches!(e, Error::MayHaveBeenConsumed), "{e:?}");
            assert!(e.hint().is_some());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A driving loop, as an adapter writes it
// ---------------------------------------------------------------------------------------------

/// Runs the adapter loop over scripted outcomes; returns the sleeps and the final decision.
fn drive(
    policy: &RetryPolicy,
    replay: Replay,
    script: &[Result<HttpResponse, TransportFailure>],
) -> (Vec<Duration>, Decision) {
    let mut sleeps = Vec::new();
    for (attempt, step) in script.iter().enumerate() {
        let outcome = match step {
            Ok(response) => Outcome::Response(response),
            Err(failure) => Outcome::Transport(*failure),
        };
        let attempt = u32::try_from(attempt).unwrap();
        match policy.decide(replay, attempt, outcome, at(X_NOW), HALF) {
            Decision::RetryAfter(wait) => sleeps.push(wait),
            decision => return (sleeps, decision),
        }
    }
    panic!("the script ran out after {sleeps:?}")
}

#[test]
fn a_read_survives_a_flaky_network_and_a_rate_limit() {
    let p = RetryPolicy::recommended().with_wait_on_rate_limit(true);
    let (sleeps, d) = drive(
        &p,
        Replay::Safe,
        &[
            Err(TransportFailure::NotSent),
            Ok(limited(10)),
            Ok(response(502, &[])),
            Ok(response(200, &[])),
        ],
    );
    assert!(is_accept(&d));
    assert_eq!(sleeps, [Duration::from_millis(500), secs(11), secs(2)]);
}

#[test]
fn a_refresh_gives_up_at_the_first_ambiguous_failure() {
    let p = RetryPolicy::recommended();
    let (sleeps, d) = drive(
        &p,
        Replay::Never,
        &[
            Err(TransportFailure::NotSent),
            Err(TransportFailure::Unknown),
            Ok(response(200, &[])),
        ],
    );
    assert_eq!(sleeps, [Duration::from_millis(500)]);
    assert!(
        matches!(d, Decision::GiveUp(Some(Error::MayHaveBeenConsumed))),
        "{d:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn outcome_status() -> impl Strategy<Value = Option<u16>> {
    prop_oneof![
        Just(None),
        (100_u16..=599).prop_map(Some),
        Just(Some(429)),
        Just(Some(503))
    ]
}

proptest! {
    #[test]
    fn decisions_follow_the_invariants(
        retries in 0_u32..6,
        attempt in 0_u32..8,
        wait_on_rate_limit in any::<bool>(),
        never in any::<bool>(),
        status in outcome_status(),
        sent in any::<bool>(),
        delta in 0_u64..=48 * HOUR,
        jitter in any::<u32>(),
        local_skew in -(48 * 3600_i64)..=48 * 3600,
    ) {
        let p = RetryPolicy::recommended().with_retries(retries).with_wait_on_rate_limit(wait_on_rate_limit);
        let replay = if never { Replay::Never } else { Replay::Safe };
        let now = at(X_NOW.saturating_add_signed(local_skew));
        let r = match status {
            Some(429) => limited(delta),
            Some(status) => response(status, &[("date", DATE)]),
            None => response(200, &[]),
        };
        let failure = if sent { TransportFailure::Unknown } else { TransportFailure::NotSent };
        let outcome = if status.is_some() { Outcome::Response(&r) } else { Outcome::Transport(failure) };
        let d = p.decide(replay, attempt, outcome, now, jitter);
        match &d {
            // Never more retries than allowed (one 429 wait when only waiting is on).
            Decision::RetryAfter(wait) => {
                let limit = if status == Some(429) { retries.max(1) } else { retries };
                prop_assert!(attempt < limit);
                prop_assert!(*wait <= p.max_rate_limit_wait().max(p.max_delay()));
                // A single-use step is replayed only when it never left, or after a 429.
                if never {
                    prop_assert!(status == Some(429) || (status.is_none() && !sent));
                }
            }
            Decision::GiveUp(Some(e)) => {
                prop_assert!(matches!(e, Error::MayHaveBeenConsumed));
                // An ambiguous transport failure, or a gateway/server failure (500, 502, 504)
                // that says nothing of whether X spent the grant.
                let ambiguous = (sent && status.is_none()) || matches!(status, Some(500 | 502 | 504));
                prop_assert!(never && ambiguous);
            }
            Decision::GiveUp(None) => prop_assert!(status.is_none()),
            Decision::Accept => prop_assert!(status.is_some()),
        }
        // Ambiguous failures of single-use steps always end in MayHaveBeenConsumed.
        if never && sent && status.is_none() {
            prop_assert!(matches!(d, Decision::GiveUp(Some(Error::MayHaveBeenConsumed))));
        }
    }
}

#[test]
fn a_request_sent_once_is_never_retried() {
    let policy = RetryPolicy::recommended().with_wait_on_rate_limit(true);
    // A 429 that would be waited on, a 503 that would be retried: neither, for `Once`.
    assert!(
        retry_after(&decide(
            &policy,
            Replay::Safe,
            0,
            Outcome::Response(&limited(60))
        ))
        .is_some()
    );
    assert!(is_accept(&decide(
        &policy,
        Replay::Once,
        0,
        Outcome::Response(&limited(60))
    )));
    assert!(is_accept(&decide(
        &policy,
        Replay::Once,
        0,
        Outcome::Response(&response(503, &[]))
    )));
    for failure in [TransportFailure::NotSent, TransportFailure::Unknown] {
        assert!(matches!(
            decide(&policy, Replay::Once, 0, Outcome::Transport(failure)),
            Decision::GiveUp(None)
        ));
    }
}
