//! Profiles and credential sources: env vars, `.env`, profile files; `whoami`; bad input
//! (no credential, malformed profile) against the fake X on loopback.

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
            "twauth-profile-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Self(dir)
    }

    fn profiles(&self) -> PathBuf {
        self.0.join("twauth").join("profiles")
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
fn whoami_with_the_pre_issued_oauth1_token_from_env() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("whoami");
    let env = alice(&mock);
    let run = twauth(
        &home,
        &["whoami", "--base-url", mock.base_url()],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(
        run.stdout.trim(),
        "@mock_alice (id 1500000000000000001, name Alice Mock)"
    );
    for (_, secret) in &env[1..] {
        assert!(!run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()));
    }
}

#[test]
fn dotenv_and_profile_file_supply_credentials_with_flags_first() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("sources");
    let env = alice(&mock);
    // The consumer and the base URL from a profile file, the user token from `.env`.
    std::fs::create_dir_all(home.profiles()).expect("the store directory");
    let profile = serde_json::json!({
        "consumer_key": env[0].1,
        "consumer_secret": env[1].1,
        "base_url": "http://127.0.0.1:9/",
    });
    std::fs::write(home.profiles().join("p.json"), profile.to_string()).expect("written");
    std::fs::write(
        home.0.join(".env"),
        format!(
            "# test\nTWAUTH_ACCESS_TOKEN={}\nTWAUTH_ACCESS_TOKEN_SECRET=\"{}\"\n",
            env[2].1, env[3].1
        ),
    )
    .expect("written");
    // The flag beats the profile's (unreachable) base URL.
    let run = twauth(
        &home,
        &["whoami", "--profile", "p", "--base-url", mock.base_url()],
        &[],
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(run.stdout.starts_with("@mock_alice"), "{}", run.stdout);
    // The environment beats `.env`: a wrong token secret is refused by X (exit 1, X's message).
    let run = twauth(
        &home,
        &["whoami", "--profile", "p", "--base-url", mock.base_url()],
        &[("TWAUTH_ACCESS_TOKEN_SECRET", "wrong")],
    );
    assert_eq!(run.code, Some(1), "stdout: {}", run.stdout);
    assert!(run.stderr.starts_with("twauth: "), "{}", run.stderr);
}

#[test]
fn an_unknown_profile_is_empty_and_a_credential_is_asked_for() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("empty");
    for args in [
        &["whoami", "--profile", "nobody"][..],
        &["request", "--profile", "nobody", "2/users/me"][..],
    ] {
        let mut args = args.to_vec();
        args.extend(["--base-url", mock.base_url()]);
        let run = twauth(&home, &args, &[]);
        assert_eq!(run.code, Some(1), "{args:?}");
        assert!(run.stderr.contains("log in first"), "{}", run.stderr);
    }
    assert!(
        !home.profiles().join("nobody.json").exists(),
        "nothing written"
    );
}

#[test]
fn a_malformed_profile_is_reported_and_left_unchanged() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("malformed");
    std::fs::create_dir_all(home.profiles()).expect("the store directory");
    let path = home.profiles().join("default.json");
    let text = "{\"consumer_key\": \"k\", oops";
    std::fs::write(&path, text).expect("written");
    let env = alice(&mock);
    for args in [
        &["whoami"][..],
        &["token", "app-only", "--save"][..],
        &["request", "2/users/me"][..],
    ] {
        let mut args = args.to_vec();
        args.extend(["--base-url", mock.base_url()]);
        let run = twauth(&home, &args, &pairs(&env));
        assert_eq!(run.code, Some(1), "{args:?}");
        assert!(
            run.stderr.contains("is not a valid profile") && run.stderr.contains("default.json"),
            "{}",
            run.stderr
        );
        assert_eq!(std::fs::read_to_string(&path).expect("kept"), text);
    }
}

#[test]
fn usage_errors_exit_2() {
    let home = Home::new("usage");
    for args in [
        &["whoami", "--profile", "../x"][..],
        &["request"][..],
        &["request", "-d", "novalue", "2/x"][..],
        &["request", "-H", "nocolon", "2/x"][..],
        &["request", "--json", "{", "2/x"][..],
        &["request", "--json", "{}", "-d", "a=b", "2/x"][..],
        &["token"][..],
    ] {
        let run = twauth(&home, args, &[]);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: ") || run.stderr.contains("Usage:"),
            "{}",
            run.stderr
        );
    }
}
