//! Profiles and credential sources: env vars, `.env`, profile files; `whoami`; bad input
//! (no credential, malformed profile) against the fake X on loopback.

use twitter_auth_mock::{MockConfig, MockX};

mod common;
use common::*;

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
    // The flag beats the profile's (unreachable) base URL, but the profile's stored consumer
    // secret goes only to the host it recorded: refused without --allow-other-host.
    let run = twauth(
        &home,
        &["whoami", "--profile", "p", "--base-url", mock.base_url()],
        &[],
    );
    assert_eq!(run.code, Some(1), "stdout: {}", run.stdout);
    assert!(
        run.stderr.contains("refused") && run.stderr.contains("--allow-other-host"),
        "{}",
        run.stderr
    );
    let run = twauth(
        &home,
        &[
            "whoami",
            "-u",
            "p",
            "--base-url",
            mock.base_url(),
            "--allow-other-host",
        ],
        &[],
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(run.stdout.starts_with("@mock_alice"), "{}", run.stdout);
    assert!(run.stderr.contains("warning"), "{}", run.stderr);
    // The environment beats `.env`: a wrong token secret is refused by X (exit 1, X's message).
    let run = twauth(
        &home,
        &[
            "whoami",
            "--profile",
            "p",
            "--base-url",
            mock.base_url(),
            "--allow-other-host",
        ],
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
