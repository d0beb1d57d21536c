//! What `twauth` prints and how it ends: a closed pipe (bug 3), `--json` on every command,
//! completions, clap's suggestions, help that lists only a command's flags, `-v`/`--trace`
//! with secrets redacted, errors that name the host and the flag, X's hint without `--fail`,
//! and the wait line on a rate limit.

use std::process::{Command, Stdio};

use twitter_auth_mock::{DEMO_WEB_APP, Fault, FaultKind, MockConfig, MockX};

mod common;
use common::*;

/// Runs `twauth args` with stdout closed before it writes anything: the reader of a pipe that
/// went away (`| head -1` after its line).
fn with_closed_stdout(home: &Home, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_twauth"));
    for var in VARS {
        command.env_remove(var);
    }
    // A pipe whose read end is closed before twauth starts: its first write fails, however the
    // two processes are scheduled (closing it after the spawn raced the child's first write).
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let child = command
        .args(args)
        .envs(env.iter().copied())
        .env("XDG_CONFIG_HOME", &home.0)
        .current_dir(&home.0)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("twauth starts");
    let output = child.wait_with_output().expect("twauth ends");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Bug 3: `twauth request … | head -1` and `twauth demo | head -1` panicked ("failed printing
/// to stdout: Broken pipe", exit 101). They end quietly, with 141 as a shell reports a tool
/// killed by SIGPIPE.
#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("pipe");
    let env = alice(&mock);
    let (code, stderr) = with_closed_stdout(
        &home,
        &[
            "request",
            "--base-url",
            mock.base_url(),
            "1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert_eq!(code, Some(141), "stderr: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
    #[cfg(feature = "demo")]
    {
        let (code, stderr) = with_closed_stdout(&home, &["demo", "--adapter", "ureq"], &[]);
        assert_eq!(code, Some(141), "stderr: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{stderr}"
        );
    }
    let (code, stderr) = with_closed_stdout(&home, &["pkce"], &[]);
    assert_eq!(code, Some(141), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn json_of(run: &Run) -> serde_json::Value {
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "one line: {}", run.stdout);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// Item 10: `--json` (before or after the command) prints one JSON object on stdout for
/// whoami, token, request (status, rate limit, body), refresh, revoke, status, profiles; an
/// error is one JSON object on stderr.
#[test]
fn json_output_for_scripts() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("json");
    let env = alice(&mock);
    let base = mock.base_url();
    let who = json_of(&twauth(
        &home,
        &["--json", "whoami", "--base-url", base],
        &pairs(&env),
    ));
    assert_eq!(who["username"], "mock_alice");
    assert_eq!(who["id"], "1500000000000000001");
    assert_eq!(who["credential"], "oauth1");

    let request = json_of(&twauth(
        &home,
        &[
            "request",
            "--json",
            "--base-url",
            base,
            "1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    ));
    assert_eq!(request["status"], 200);
    assert_eq!(request["body"]["screen_name"], "mock_alice");
    assert!(request["rate_limit"]["remaining"].is_u64(), "{request}");
    assert!(request["rate_limit"]["reset"].is_u64(), "{request}");
    let missing = json_of(&twauth(
        &home,
        &["request", "--json", "--base-url", base, "2/no/such/thing"],
        &pairs(&env),
    ));
    assert_eq!(missing["status"], 404);
    assert!(missing["error"]["error"].is_string(), "{missing}");

    let app = mock.config().app(DEMO_WEB_APP).expect("the web app");
    let consumer = [
        ("TWAUTH_CONSUMER_KEY", app.consumer_key.as_str()),
        ("TWAUTH_CONSUMER_SECRET", app.consumer_secret.as_str()),
    ];
    let token = json_of(&twauth(
        &home,
        &[
            "--json",
            "token",
            "app-only",
            "--save",
            "-u",
            "app",
            "--base-url",
            base,
        ],
        &consumer,
    ));
    assert_eq!(token["token_type"], "bearer");
    assert!(
        token["bearer_token"]
            .as_str()
            .is_some_and(|t| t.contains('…')),
        "{token}"
    );
    assert!(
        token["saved_to"]
            .as_str()
            .is_some_and(|p| p.ends_with("app.json"))
    );

    let status = json_of(&twauth(&home, &["--json", "status", "-u", "app"], &[]));
    assert_eq!(status["profile"], "app");
    assert_eq!(status["request_uses"], "app-only");
    assert_eq!(status["base_url"], format!("{base}/"));
    let list = json_of(&twauth(&home, &["profiles", "list", "--json"], &[]));
    assert_eq!(list["profiles"][0]["name"], "app");

    let error = twauth(
        &home,
        &["--json", "whoami", "-u", "nobody", "--base-url", base],
        &[],
    );
    assert_eq!(error.code, Some(1));
    assert!(error.stdout.is_empty(), "{}", error.stdout);
    let error: serde_json::Value = serde_json::from_str(error.stderr.trim()).expect("JSON error");
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|e| e.contains("log in first")),
        "{error}"
    );
    assert_eq!(error["exit_code"], 1);
}

/// Item 10: completion scripts for the usual shells.
#[test]
fn completions_for_each_shell() {
    let home = Home::new("completions");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = twauth(&home, &["completions", shell], &[]);
        assert_eq!(run.code, Some(0), "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("twauth"), "{shell}");
        assert!(
            run.stdout.contains("whoami") && run.stdout.contains("base-url"),
            "{shell}"
        );
    }
    let run = twauth(&home, &["completions", "tcsh"], &[]);
    assert_eq!(run.code, Some(2));
}

/// Item 10: a typo gets clap's "did you mean".
#[test]
fn typos_get_suggestions() {
    let home = Home::new("typos");
    let run = twauth(&home, &["requets", "2/users/me"], &[]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("similar") && run.stderr.contains("request"),
        "{}",
        run.stderr
    );
    let run = twauth(&home, &["whoami", "--base-ur", "http://127.0.0.1:1"], &[]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("--base-url"), "{}", run.stderr);
}

/// Item 13: each command's help lists only the flags it uses, and shows `[env: …]` without a
/// value, set or not.
#[test]
fn help_lists_only_the_flags_a_command_uses() {
    let home = Home::new("help");
    let help = |args: &[&str]| {
        let run = twauth(&home, args, &[]);
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        run.stdout
    };
    let refresh = help(&["refresh", "--help"]);
    assert!(refresh.contains("--client-id") && refresh.contains("--base-url"));
    for other in [
        "--consumer-key",
        "--access-token",
        "--bearer-token",
        "--auth-url",
    ] {
        assert!(
            !refresh.contains(other),
            "refresh --help lists {other}:\n{refresh}"
        );
    }
    let token = help(&["token", "app-only", "--help"]);
    assert!(token.contains("--consumer-secret"));
    for other in ["--client-id", "--access-token", "--bearer-token"] {
        assert!(
            !token.contains(other),
            "token app-only --help lists {other}"
        );
    }
    let login = help(&["login", "oauth1", "--help"]);
    assert!(!login.contains("--client-id") && !login.contains("--auth-url"));
    assert!(help(&["login", "oauth2", "--help"]).contains("--auth-url"));
    let whoami = help(&["whoami", "--help"]);
    assert!(whoami.contains("--access-token") && !whoami.contains("--bearer-token"));
    let status = help(&["status", "--help"]);
    assert!(!status.contains("--consumer-key") && !status.contains("--base-url"));
    assert!(help(&["--help"]).contains("Exit codes"));
    // `[env: NAME]`, never `[env: NAME=…]`, whether the variable is set or not.
    let run = twauth(
        &home,
        &["request", "--help"],
        &[
            ("TWAUTH_BASE_URL", "http://127.0.0.1:9"),
            ("TWAUTH_CLIENT_SECRET", "s3cr3t-value"),
        ],
    );
    assert!(
        run.stdout.contains("[env: TWAUTH_BASE_URL]"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("TWAUTH_BASE_URL="), "{}", run.stdout);
    assert!(!run.stdout.contains("s3cr3t-value"));
}

/// Item 10: `-v` shows each request and response line, `--trace` headers and bodies too, with
/// every secret redacted (the signature and token of an OAuth 1.0a header, the Basic header,
/// token fields of the bodies).
#[test]
fn verbose_and_trace_show_requests_with_secrets_redacted() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("trace");
    let env = alice(&mock);
    let base = mock.base_url();
    let run = twauth(
        &home,
        &[
            "-v",
            "request",
            "--base-url",
            base,
            "1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("> GET {base}/1.1/account/verify_credentials.json")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("< HTTP 200 OK"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("authorization:"),
        "-v shows no headers"
    );

    let run = twauth(
        &home,
        &[
            "--trace",
            "request",
            "--base-url",
            base,
            "1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("> authorization: OAuth "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("oauth_signature=\"[redacted]\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("oauth_token=\"[redacted]\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("< x-rate-limit-remaining: "),
        "{}",
        run.stderr
    );
    for (_, secret) in &env[1..] {
        assert!(
            !run.stderr.contains(secret.as_str()),
            "{secret} in {}",
            run.stderr
        );
    }

    // An app-only token: the Basic header and the token in the answer are redacted.
    let app = mock.config().app(DEMO_WEB_APP).expect("the web app");
    let run = twauth(
        &home,
        &[
            "--trace",
            "token",
            "app-only",
            "--base-url",
            base,
            "--show-secrets",
        ],
        &[
            ("TWAUTH_CONSUMER_KEY", app.consumer_key.as_str()),
            ("TWAUTH_CONSUMER_SECRET", app.consumer_secret.as_str()),
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("> authorization: Basic [redacted]"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("\"access_token\":\"[redacted]\""),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&app.consumer_secret));
}

/// Item 15: a base URL without its scheme is an error naming the flag (or variable) and the
/// fix; an unreachable host is named with the setting it came from.
#[test]
fn errors_name_the_host_and_the_flag() {
    let home = Home::new("errors");
    let env = [
        ("TWAUTH_CONSUMER_KEY", "k"),
        ("TWAUTH_CONSUMER_SECRET", "secret-value"),
    ];
    let run = twauth(
        &home,
        &["token", "app-only", "--base-url", "127.0.0.1:8799"],
        &env,
    );
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("--base-url \"127.0.0.1:8799\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("http://127.0.0.1:8799"),
        "{}",
        run.stderr
    );
    let mut with_env = env.to_vec();
    with_env.push(("TWAUTH_BASE_URL", "http://api.example.com"));
    let run = twauth(&home, &["token", "app-only"], &with_env);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("TWAUTH_BASE_URL"), "{}", run.stderr);
    assert!(run.stderr.contains("loopback"), "{}", run.stderr);

    // Nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let run = twauth(&home, &["token", "app-only", "--base-url", &base], &env);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains(&format!("cannot reach {base}/ (from --base-url)")),
        "{}",
        run.stderr
    );
}

/// Item 15: X's reason and hint are on stderr without `--fail` too.
#[test]
fn x_hint_is_shown_without_fail() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("hint");
    let mut env = alice(&mock).to_vec();
    env[3].1 = "wrong-token-secret".to_owned();
    let run = twauth(
        &home,
        &[
            "request",
            "--base-url",
            mock.base_url(),
            "1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("X says: "), "{}", run.stderr);
    assert!(run.stderr.contains("code 32"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: bad signature"), "{}", run.stderr);
}

/// Item 14: off a terminal, a rate-limit wait is one line with the seconds and the reset time.
#[test]
fn a_rate_limit_wait_says_until_when() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    mock.inject(Fault::new(
        "/1.1/account/verify_credentials.json",
        1,
        FaultKind::RateLimited { reset_after: 2 },
    ));
    let home = Home::new("wait-line");
    let env = alice(&mock);
    let run = twauth(
        &home,
        &[
            "request",
            "--wait-on-rate-limit",
            "--base-url",
            mock.base_url(),
            "1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("waiting before trying again"))
        .unwrap_or_else(|| panic!("no wait line: {}", run.stderr));
    assert!(line.contains("s (until ") && line.contains("UTC"), "{line}");
}

/// Item 14: on a terminal the wait counts down on one line, rewritten every second (run under
/// `script`, which gives the process a terminal; skipped where `script` is missing).
#[test]
fn on_a_terminal_the_wait_counts_down() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: no `script` to give twauth a terminal");
        return;
    }
    let mock = MockX::start(MockConfig::default()).expect("mock");
    mock.inject(Fault::new(
        "/1.1/account/verify_credentials.json",
        1,
        FaultKind::RateLimited { reset_after: 3 },
    ));
    let home = Home::new("wait-tty");
    let env = alice(&mock);
    let inner = format!(
        "{} request --wait-on-rate-limit --base-url {} 1.1/account/verify_credentials.json",
        env!("CARGO_BIN_EXE_twauth"),
        mock.base_url()
    );
    let mut command = Command::new("script");
    for var in VARS {
        command.env_remove(var);
    }
    let output = command
        .args(["-qec", &inner, "/dev/null"])
        .envs(pairs(&env))
        .env("XDG_CONFIG_HOME", &home.0)
        .current_dir(&home.0)
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{screen}");
    assert!(screen.contains("left (until "), "a countdown: {screen:?}");
    assert!(screen.contains('\r'), "rewritten in place: {screen:?}");
    assert!(screen.contains("HTTP 200 OK"), "{screen:?}");
}
