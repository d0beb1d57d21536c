//! `twauth request` against the fake X on loopback: signed GET, JSON and form POSTs, a 404
//! (printed, exit 0; exit 1 with `--fail`), and the rate-limit line.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::UNIX_EPOCH;

use twitter_auth_mock::{DEMO_WEB_APP, MockConfig, MockX};

const VARS: [&str; 10] = [
    "TWAUTH_PROFILE",
    "TWAUTH_CONSUMER_KEY",
    "TWAUTH_CONSUMER_SECRET",
    "TWAUTH_CLIENT_ID",
    "TWAUTH_CLIENT_SECRET",
    "TWAUTH_ACCESS_TOKEN",
    "TWAUTH_ACCESS_TOKEN_SECRET",
    "TWAUTH_BEARER_TOKEN",
    "TWAUTH_BASE_URL",
    "TWAUTH_AUTH_URL",
];

/// A fresh `XDG_CONFIG_HOME`, removed on drop.
struct Home(PathBuf);

impl Home {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "twauth-request-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Self(dir)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn twauth(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_twauth"));
    for var in VARS {
        command.env_remove(var);
    }
    let output: Output = command
        .args(args)
        .envs(env.iter().copied())
        .env("XDG_CONFIG_HOME", &home.0)
        .current_dir(&home.0)
        .output()
        .expect("twauth runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The web app's consumer key/secret and its pre-issued OAuth 1.0a token for alice.
fn alice(mock: &MockX) -> [(&'static str, String); 4] {
    let app = mock.config().app(DEMO_WEB_APP).expect("a web app");
    let token = &app.user_tokens[0];
    [
        ("TWAUTH_CONSUMER_KEY", app.consumer_key.clone()),
        ("TWAUTH_CONSUMER_SECRET", app.consumer_secret.clone()),
        ("TWAUTH_ACCESS_TOKEN", token.token.clone()),
        ("TWAUTH_ACCESS_TOKEN_SECRET", token.secret.clone()),
    ]
}

fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

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
            "--json",
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
