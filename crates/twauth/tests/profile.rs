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

/// Item 11: `profiles list | show | delete | default`, `status`, and `-u/--profile` before or
/// after the command.
#[test]
fn profiles_can_be_listed_shown_deleted_and_defaulted() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("profiles");
    let env = alice(&mock);
    let base = mock.base_url();
    let run = twauth(&home, &["profiles", "list"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("no profiles yet"), "{}", run.stdout);
    let profile = |name: &str| {
        write_profile(
            &home,
            name,
            &serde_json::json!({
                "consumer_key": env[0].1,
                "consumer_secret": env[1].1,
                "access_token": env[2].1,
                "access_token_secret": env[3].1,
                "base_url": base,
            }),
        );
    };
    profile("work");
    profile("home");
    let run = twauth(&home, &["profiles", "list"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(lines[0].contains("home") && lines[0].contains("oauth1") && lines[0].contains(base));
    assert!(lines[1].contains("work"));

    let run = twauth(&home, &["profiles", "show", "work"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("consumer secret") && run.stdout.contains(base));
    for (_, secret) in &env[1..] {
        assert!(
            !run.stdout.contains(secret.as_str()),
            "shortened: {}",
            run.stdout
        );
    }
    // -u anywhere, and `whoami` with the profile alone (its recorded host).
    for args in [&["-u", "work", "whoami"][..], &["whoami", "-u", "work"][..]] {
        let run = twauth(&home, args, &[]);
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert!(run.stdout.starts_with("@mock_alice"), "{}", run.stdout);
    }
    // The default profile: used when -u and TWAUTH_PROFILE are absent.
    let run = twauth(&home, &["whoami"], &[]);
    assert_eq!(run.code, Some(1), "`default` is empty: {}", run.stdout);
    let run = twauth(&home, &["profiles", "default", "work"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let run = twauth(&home, &["profiles", "default"], &[]);
    assert_eq!(run.stdout.trim(), "work");
    let run = twauth(&home, &["whoami"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let run = twauth(&home, &["status"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.starts_with("profile work (default)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("request uses     oauth1"),
        "{}",
        run.stdout
    );
    let run = twauth(&home, &["profiles", "list"], &[]);
    assert!(
        run.stdout.lines().any(|l| l.starts_with("* work")),
        "{}",
        run.stdout
    );

    let run = twauth(&home, &["profiles", "delete", "work"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!home.profiles().join("work.json").exists());
    let run = twauth(&home, &["profiles", "delete", "work"], &[]);
    assert_eq!(run.code, Some(1));
    let run = twauth(&home, &["profiles", "show", "nobody"], &[]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("no profile named 'nobody'"),
        "{}",
        run.stderr
    );
}

/// Item 9: profiles are written by one safe writer (mode 0600, no temporary file left, the
/// directory 0700); a profiles directory others can write is tightened (with a warning), a
/// profile file others can read too.
#[cfg(unix)]
#[test]
fn the_profile_store_is_private_and_tightened() {
    use std::os::unix::fs::PermissionsExt as _;
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("private");
    let app = mock
        .config()
        .app(twitter_auth_mock::DEMO_WEB_APP)
        .expect("the web app");
    let env = [
        ("TWAUTH_CONSUMER_KEY", app.consumer_key.as_str()),
        ("TWAUTH_CONSUMER_SECRET", app.consumer_secret.as_str()),
    ];
    let save = || {
        twauth(
            &home,
            &["token", "app-only", "--save", "--base-url", mock.base_url()],
            &env,
        )
    };
    let run = save();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let file = home.profiles().join("default.json");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&home.profiles()), 0o700);
    let leftovers: Vec<_> = std::fs::read_dir(home.profiles())
        .expect("listed")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    std::fs::set_permissions(home.profiles(), std::fs::Permissions::from_mode(0o777))
        .expect("chmod");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let run = save();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("tightened to 0700"), "{}", run.stderr);
    assert_eq!(mode(&home.profiles()), 0o700);
    assert_eq!(mode(&file), 0o600);
    let profile = read_profile(&home, "default");
    assert!(profile["bearer_token"].is_string());
    assert_eq!(profile["consumer_key"], app.consumer_key.as_str());
    assert_eq!(profile["base_url"], format!("{}/", mock.base_url()));
}
