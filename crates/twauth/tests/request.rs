//! `twauth request` against the fake X on loopback: signed GET, JSON and form POSTs, a 404
//! (printed, exit 0; exit 1 with `--fail`), and the rate-limit line.

use twitter_auth_mock::{MockConfig, MockX};

mod common;
use common::*;

#[test]
fn signed_get_prints_status_rate_limit_and_body() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("get");
    let env = alice(&mock);
    let run = twauth(
        &home,
        &[
            "request",
            "--base-url",
            mock.base_url(),
            "/1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(run.stderr.starts_with("HTTP 200 OK\n"), "{}", run.stderr);
    assert!(run.stderr.contains("rate limit: "), "{}", run.stderr);
    assert!(
        run.stderr.contains(" remaining, resets in "),
        "{}",
        run.stderr
    );
    let body: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON body");
    assert_eq!(body["screen_name"], "mock_alice");
}

#[test]
fn json_post_creates_a_tweet() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("json");
    let env = alice(&mock);
    let run = twauth(
        &home,
        &[
            "request",
            "--base-url",
            mock.base_url(),
            "-d",
            r#"{"text":"hi"}"#,
            "2/tweets",
        ],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(run.stderr.starts_with("HTTP 201 Created"), "{}", run.stderr);
    let body: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON body");
    assert_eq!(body["data"]["text"], "hi");
}

#[test]
fn form_post_invalidates_the_token() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("form");
    let env = alice(&mock);
    let base = mock.base_url();
    let run = twauth(
        &home,
        &[
            "request",
            "--base-url",
            base,
            "-d",
            "reason=a test",
            "1.1/oauth/invalidate_token",
        ],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(run.stderr.starts_with("HTTP 200 OK"), "{}", run.stderr);
    // The token is dead now: X's refusal is printed, and with --fail it is exit 1.
    let run = twauth(
        &home,
        &[
            "request",
            "--base-url",
            base,
            "--fail",
            "1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    assert!(run.stderr.contains("HTTP 401"), "{}", run.stderr);
    assert!(run.stderr.contains("code 89"), "{}", run.stderr);
}

#[test]
fn a_404_is_printed_and_exits_0_unless_fail() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("404");
    let env = alice(&mock);
    let base = mock.base_url();
    let run = twauth(
        &home,
        &["request", "--base-url", base, "2/no/such/thing"],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(
        run.stderr.starts_with("HTTP 404 Not Found"),
        "{}",
        run.stderr
    );
    let run = twauth(
        &home,
        &["request", "--base-url", base, "--fail", "2/no/such/thing"],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
}

#[test]
fn waiting_on_a_rate_limit_says_so_and_then_succeeds() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    mock.inject(twitter_auth_mock::Fault::new(
        "/1.1/account/verify_credentials.json",
        1,
        twitter_auth_mock::FaultKind::RateLimited { reset_after: 1 },
    ));
    let home = Home::new("wait");
    let env = alice(&mock);
    let run = twauth(
        &home,
        &[
            "request",
            "--wait-on-rate-limit",
            "--base-url",
            mock.base_url(),
            "/1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("waiting "),
        "the wait is shown: {}",
        run.stderr
    );
    assert!(run.stderr.contains("HTTP 200 OK"), "{}", run.stderr);
    assert_eq!(
        mock.counters()
            .requests_to("/1.1/account/verify_credentials.json"),
        2,
        "one 429, then the re-signed retry"
    );
    // Without the flag the 429 is the answer.
    mock.inject(twitter_auth_mock::Fault::new(
        "/1.1/account/verify_credentials.json",
        1,
        twitter_auth_mock::FaultKind::RateLimited { reset_after: 1 },
    ));
    let run = twauth(
        &home,
        &[
            "request",
            "--base-url",
            mock.base_url(),
            "/1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert!(run.stderr.contains("HTTP 429"), "{}", run.stderr);
}
