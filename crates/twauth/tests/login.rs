//! `twauth login oauth2` and `twauth login oauth1` against the fake X on loopback, the test
//! playing the browser: each run has its own profile store (`XDG_CONFIG_HOME` in a fresh
//! temporary directory) and its own redirect URI on a free port.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};

use twitter_auth_mock::{Consent, DEMO_NATIVE_APP, DEMO_WEB_APP, MockConfig, MockX, pin_from_page};
use twitter_auth_ureq::ureq;

mod common;
use common::*;

/// A running `twauth`, killed (and reaped) if the test ends before it does.
struct Running {
    child: Child,
    stderr: BufReader<ChildStderr>,
    /// The stderr lines read so far.
    seen: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Finished {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn command(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_twauth"));
    for var in VARS {
        command.env_remove(var);
    }
    command
        .args(args)
        .envs(env.iter().copied())
        .env("XDG_CONFIG_HOME", &home.0)
        .current_dir(&home.0);
    command
}

fn spawn(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut child = command(home, args, env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("twauth starts");
    let stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
    Running {
        child,
        stderr,
        seen: String::new(),
    }
}

impl Running {
    /// Reads stderr until the authorize URL (a line that is only an `http` URL) appears.
    fn authorize_url(&mut self) -> String {
        loop {
            let mut line = String::new();
            let read = self
                .stderr
                .read_line(&mut line)
                .expect("stderr is readable");
            assert!(
                read > 0,
                "twauth ended without an authorize URL; stderr:\n{}",
                self.seen
            );
            self.seen.push_str(&line);
            let trimmed = line.trim();
            if trimmed.starts_with("http") && !trimmed.contains(' ') {
                return trimmed.to_owned();
            }
        }
    }

    fn write_stdin(&mut self, text: &str) {
        let mut stdin = self.child.stdin.take().expect("piped stdin");
        stdin.write_all(text.as_bytes()).expect("stdin is writable");
    }

    fn finish(mut self) -> Finished {
        drop(self.child.stdin.take());
        let mut rest = String::new();
        self.stderr
            .read_to_string(&mut rest)
            .expect("stderr is readable");
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .expect("piped stdout")
            .read_to_string(&mut stdout)
            .expect("stdout is readable");
        let status = self.child.wait().expect("twauth ends");
        Finished {
            code: status.code(),
            stdout,
            stderr: format!("{}{rest}", self.seen),
        }
    }
}

fn run(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Finished {
    let output = command(home, args, env).output().expect("twauth runs");
    Finished {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A redirect URI on a port that was free a moment ago.
fn free_redirect() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/callback")
}

/// The demo world with `redirect` registered for both apps.
fn mock(redirect: &str, consent: Consent) -> MockX {
    let mut config = MockConfig::default();
    for app in &mut config.apps {
        app.callbacks.push(redirect.to_owned());
    }
    config.consent = consent;
    MockX::start(config).expect("mock")
}

/// A browser that follows redirects (to the CLI's loopback receiver).
fn browser() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// A browser that stops at the first redirect.
fn stopping_browser() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("the file exists")
        .permissions()
        .mode()
        & 0o777
}

#[cfg(not(unix))]
fn mode(_: &Path) -> u32 {
    0o600
}

fn native_client_id(mock: &MockX) -> String {
    mock.config()
        .app(DEMO_NATIVE_APP)
        .and_then(|a| a.client_id())
        .expect("a client id")
        .to_owned()
}

fn web_consumer(mock: &MockX) -> (String, String) {
    let app = mock.config().app(DEMO_WEB_APP).expect("a web app");
    (app.consumer_key.clone(), app.consumer_secret.clone())
}

fn assert_whoami(home: &Home, mock: &MockX) {
    let who = run(home, &["whoami", "--base-url", mock.base_url()], &[]);
    assert_eq!(who.code, Some(0), "whoami stderr: {}", who.stderr);
    assert!(who.stdout.contains("@mock_alice"), "{}", who.stdout);
}

fn oauth2_args<'a>(mock: &'a MockX, redirect: &'a str, id: &'a str, auth: &'a str) -> Vec<&'a str> {
    vec![
        "login",
        "oauth2",
        "--no-browser",
        "--timeout",
        "60",
        "--redirect",
        redirect,
        "--client-id",
        id,
        "--base-url",
        mock.base_url(),
        "--auth-url",
        auth,
    ]
}

#[test]
fn oauth2_loopback_login_saves_the_token_set_and_whoami_works() {
    let redirect = free_redirect();
    let mock = mock(&redirect, Consent::Approve);
    let home = Home::new("oauth2");
    let id = native_client_id(&mock);
    let auth = format!("{}/i/oauth2/authorize", mock.base_url());
    let mut login = spawn(&home, &oauth2_args(&mock, &redirect, &id, &auth), &[]);
    let url = login.authorize_url();
    assert!(url.starts_with(&auth), "{url}");
    let page = browser()
        .get(&url)
        .call()
        .expect("the browser reaches the CLI");
    assert_eq!(page.status(), 200);
    let done = login.finish();
    assert_eq!(done.code, Some(0), "stderr: {}", done.stderr);
    assert!(
        done.stdout.contains("logged in as @mock_alice"),
        "{}",
        done.stdout
    );
    assert!(
        done.stderr.contains("Waiting for the browser"),
        "{}",
        done.stderr
    );
    assert_eq!(mode(&home.grant("default")), 0o600);
    #[cfg(unix)]
    assert_eq!(mode(&home.tokens()), 0o700);
    assert_whoami(&home, &mock);
}

#[test]
fn oauth2_pasted_redirect_logs_in() {
    let redirect = free_redirect();
    let mock = mock(&redirect, Consent::Approve);
    let home = Home::new("paste");
    let id = native_client_id(&mock);
    let auth = format!("{}/i/oauth2/authorize", mock.base_url());
    let mut args = oauth2_args(&mock, &redirect, &id, &auth);
    args.push("--paste");
    let mut login = spawn(&home, &args, &[]);
    let url = login.authorize_url();
    let answer = stopping_browser()
        .get(&url)
        .call()
        .expect("the consent page");
    assert_eq!(answer.status(), 302);
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location")
        .to_owned();
    login.write_stdin(&format!("{location}\n"));
    let done = login.finish();
    assert_eq!(done.code, Some(0), "stderr: {}", done.stderr);
    assert!(done.stdout.contains("@mock_alice"), "{}", done.stdout);
    assert_eq!(mode(&home.grant("default")), 0o600);
    assert_whoami(&home, &mock);
}

#[test]
fn oauth2_denied_consent_exits_1_saying_so() {
    let redirect = free_redirect();
    let mock = mock(&redirect, Consent::Deny);
    let home = Home::new("deny");
    let id = native_client_id(&mock);
    let auth = format!("{}/i/oauth2/authorize", mock.base_url());
    let mut login = spawn(&home, &oauth2_args(&mock, &redirect, &id, &auth), &[]);
    let url = login.authorize_url();
    let _ = browser()
        .get(&url)
        .call()
        .expect("the browser reaches the CLI");
    let done = login.finish();
    assert_eq!(done.code, Some(1), "stderr: {}", done.stderr);
    assert!(done.stderr.contains("denied"), "{}", done.stderr);
    assert!(!home.grant("default").exists());
}

#[test]
fn usage_errors_exit_2() {
    let home = Home::new("usage");
    let both = run(
        &home,
        &[
            "login",
            "oauth1",
            "--pin",
            "--callback",
            "http://127.0.0.1:1/cb",
        ],
        &[],
    );
    assert_eq!(both.code, Some(2), "{}", both.stderr);
    let none = run(&home, &["login"], &[]);
    assert_eq!(none.code, Some(2), "{}", none.stderr);
}

#[test]
fn oauth1_pin_login_saves_the_access_token_and_whoami_works() {
    let mock = mock(&free_redirect(), Consent::Approve);
    let home = Home::new("pin");
    let (key, secret) = web_consumer(&mock);
    let env = [
        ("TWAUTH_CONSUMER_KEY", key.as_str()),
        ("TWAUTH_CONSUMER_SECRET", secret.as_str()),
    ];
    let args = [
        "login",
        "oauth1",
        "--pin",
        "--no-browser",
        "--base-url",
        mock.base_url(),
    ];
    let mut login = spawn(&home, &args, &env);
    let url = login.authorize_url();
    let page = browser().get(&url).call().expect("the PIN page");
    assert_eq!(page.status(), 200);
    let html = page.into_body().read_to_string().expect("HTML");
    let pin = pin_from_page(&html).expect("a PIN").to_owned();
    login.write_stdin(&format!("{pin}\n"));
    let done = login.finish();
    assert_eq!(done.code, Some(0), "stderr: {}", done.stderr);
    assert!(
        done.stdout.contains("logged in as @mock_alice"),
        "{}",
        done.stdout
    );
    let profile = home.profiles().join("default.json");
    assert_eq!(mode(&profile), 0o600);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&profile).expect("the profile")).expect("JSON");
    assert!(saved["access_token"].is_string() && saved["access_token_secret"].is_string());
    assert_whoami(&home, &mock);
}

#[test]
fn oauth1_callback_login_saves_the_access_token_and_whoami_works() {
    let redirect = free_redirect();
    let mock = mock(&redirect, Consent::Approve);
    let home = Home::new("callback");
    let (key, secret) = web_consumer(&mock);
    let args = [
        "login",
        "oauth1",
        "--callback",
        &redirect,
        "--sign-in",
        "--no-browser",
        "--timeout",
        "60",
        "--consumer-key",
        &key,
        "--consumer-secret",
        &secret,
        "--base-url",
        mock.base_url(),
    ];
    let mut login = spawn(&home, &args, &[]);
    let url = login.authorize_url();
    assert!(url.contains("oauth/authenticate"), "{url}");
    let page = browser()
        .get(&url)
        .call()
        .expect("the browser reaches the CLI");
    assert_eq!(page.status(), 200);
    let done = login.finish();
    assert_eq!(done.code, Some(0), "stderr: {}", done.stderr);
    assert!(
        done.stdout.contains("logged in as @mock_alice"),
        "{}",
        done.stdout
    );
    assert_eq!(mode(&home.profiles().join("default.json")), 0o600);
    assert_whoami(&home, &mock);
}

/// The web app's confidential OAuth 2.0 client: (client id, client secret).
fn web_client(mock: &MockX) -> (String, String) {
    let app = mock.config().app(DEMO_WEB_APP).expect("a web app");
    (
        app.client_id().expect("a client id").to_owned(),
        app.client_secret().expect("a client secret").to_owned(),
    )
}

/// Logs in with `login oauth2` (the test's browser consents) and returns the finished run.
fn oauth2_login(
    home: &Home,
    mock: &MockX,
    redirect: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Finished {
    let mut args = vec![
        "login",
        "oauth2",
        "--no-browser",
        "--timeout",
        "60",
        "--redirect",
        redirect,
        "--base-url",
        mock.base_url(),
    ];
    args.extend_from_slice(extra);
    let mut login = spawn(home, &args, env);
    let url = login.authorize_url();
    let page = browser()
        .get(&url)
        .call()
        .expect("the browser reaches the CLI");
    assert_eq!(page.status(), 200);
    login.finish()
}

/// Bug 1: `login oauth2` records the client id and secret, the base URL and the authorize URL
/// with the grant, so `refresh`, `request` (refreshing when due, exactly once), `whoami` and
/// `revoke` work from the profile alone, with no flag and no environment variable. Before the
/// fix, `refresh` failed ("no OAuth 2.0 client id") and `whoami` went to api.x.com.
#[test]
fn oauth2_login_records_the_client_and_hosts_and_later_commands_need_nothing_else() {
    let redirect = free_redirect();
    let mut config = MockConfig::default();
    for app in &mut config.apps {
        app.callbacks.push(redirect.clone());
    }
    config.consent = Consent::Approve;
    config.access_token_ttl = 2;
    let mock = MockX::start(config).expect("mock");
    let home = Home::new("records");
    let (id, secret) = web_client(&mock);
    let env = [
        ("TWAUTH_CLIENT_ID", id.as_str()),
        ("TWAUTH_CLIENT_SECRET", secret.as_str()),
    ];
    let done = oauth2_login(&home, &mock, &redirect, &[], &env);
    assert_eq!(done.code, Some(0), "stderr: {}", done.stderr);
    assert!(
        done.stdout.contains("logged in as @mock_alice"),
        "{}",
        done.stdout
    );
    let profile = read_profile(&home, "default");
    assert_eq!(profile["client_id"], id.as_str());
    assert_eq!(profile["client_secret"], secret.as_str());
    assert_eq!(profile["base_url"], format!("{}/", mock.base_url()));
    assert_eq!(
        profile["auth_url"],
        format!("{}/i/oauth2/authorize", mock.base_url())
    );

    // From the profile alone: no flag, no TWAUTH_* variable.
    let refresh = run(&home, &["refresh"], &[]);
    assert_eq!(refresh.code, Some(0), "stderr: {}", refresh.stderr);
    assert!(
        refresh.stdout.starts_with("refreshed:"),
        "{}",
        refresh.stdout
    );
    assert_eq!(mock.counters().refreshes, 1);

    // Past the 2 s lifetime: `request` refreshes once, then answers 200.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let request = run(&home, &["request", "/2/users/me"], &[]);
    assert_eq!(request.code, Some(0), "stderr: {}", request.stderr);
    assert!(
        request.stderr.starts_with("HTTP 200 OK"),
        "{}",
        request.stderr
    );
    assert!(request.stdout.contains("mock_alice"), "{}", request.stdout);
    assert_eq!(
        mock.counters().refreshes,
        2,
        "exactly one refresh for the request"
    );

    let who = run(&home, &["whoami"], &[]);
    assert_eq!(who.code, Some(0), "stderr: {}", who.stderr);
    assert!(who.stdout.starts_with("@mock_alice"), "{}", who.stdout);

    let revoke = run(&home, &["revoke"], &[]);
    assert_eq!(revoke.code, Some(0), "stderr: {}", revoke.stderr);
    assert!(!home.grant("default").exists());
    assert!(mock.counters().revocations >= 1);
}

/// Bug 2: when the check after the save (`GET 2/users/me`) fails (here: no `users.read`
/// scope), the login says the credential is saved and why the check failed, and exits 0
/// (it exited 1, and the user believed the login had failed).
#[test]
fn a_failed_check_after_the_save_is_reported_and_the_login_exits_0() {
    let redirect = free_redirect();
    let mock = mock(&redirect, Consent::Approve);
    let home = Home::new("check");
    let id = native_client_id(&mock);
    let done = oauth2_login(
        &home,
        &mock,
        &redirect,
        &["--client-id", &id, "--scopes", "tweet.read offline.access"],
        &[],
    );
    assert_eq!(done.code, Some(0), "stderr: {}", done.stderr);
    assert!(done.stdout.contains("logged in"), "{}", done.stdout);
    assert!(
        done.stderr.contains("saved")
            && done.stderr.contains("check")
            && done.stderr.contains("403"),
        "{}",
        done.stderr
    );
    assert!(home.grant("default").exists(), "the grant is kept");
    // And with --json, the same facts for a script.
    let home = Home::new("check-json");
    let done = oauth2_login(
        &home,
        &mock,
        &redirect,
        &[
            "--client-id",
            &id,
            "--scopes",
            "tweet.read offline.access",
            "--json",
        ],
        &[],
    );
    assert_eq!(done.code, Some(0), "stderr: {}", done.stderr);
    let json: serde_json::Value = serde_json::from_str(done.stdout.trim()).expect("JSON");
    assert_eq!(json["logged_in"], true);
    assert!(json["user"].is_null(), "{json}");
    assert!(
        json["check_error"]
            .as_str()
            .is_some_and(|e| e.contains("403")),
        "{json}"
    );
}

/// The command line of a running process, as `ps` and `/proc` show it to other users.
fn command_line(pid: u32) -> String {
    let proc = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .unwrap_or_default();
    let ps = Command::new("ps")
        .args(["-ww", "-o", "args=", "-p", &pid.to_string()])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    format!("{proc}\n{ps}")
}

/// Security 7: with secrets given as `-` (stdin) or through the environment, `ps` during the
/// login (while it waits for the browser) shows none of them, and the login works.
#[test]
fn ps_during_a_login_shows_no_secret() {
    let redirect = free_redirect();
    let mock = mock(&redirect, Consent::Approve);
    let (id, secret) = web_client(&mock);
    for via_stdin in [true, false] {
        let home = Home::new(if via_stdin { "ps-stdin" } else { "ps-env" });
        let mut args = vec![
            "login",
            "oauth2",
            "--no-browser",
            "--timeout",
            "60",
            "--redirect",
            &redirect,
            "--base-url",
            mock.base_url(),
            "--client-id",
            &id,
        ];
        let env: Vec<(&str, &str)> = if via_stdin {
            args.extend(["--client-secret", "-"]);
            Vec::new()
        } else {
            vec![("TWAUTH_CLIENT_SECRET", secret.as_str())]
        };
        let mut login = spawn(&home, &args, &env);
        if via_stdin {
            let mut stdin = login.child.stdin.take().expect("piped stdin");
            stdin
                .write_all(format!("{secret}\n").as_bytes())
                .expect("stdin is writable");
        }
        let url = login.authorize_url();
        let shown = command_line(login.child.id());
        assert!(
            shown.contains("login oauth2"),
            "ps sees the process: {shown}"
        );
        assert!(!shown.contains(&secret), "the secret shows in ps: {shown}");
        let page = browser()
            .get(&url)
            .call()
            .expect("the browser reaches the CLI");
        assert_eq!(page.status(), 200);
        let done = login.finish();
        assert_eq!(done.code, Some(0), "stderr: {}", done.stderr);
        assert!(
            !done.stderr.contains("visible to other users"),
            "{}",
            done.stderr
        );
        assert!(!done.stdout.contains(&secret) && !done.stderr.contains(&secret));
        assert_eq!(
            read_profile(&home, "default")["client_secret"],
            secret.as_str()
        );
    }
}

/// Security 7: `-` is never sent as a secret: with stdin empty it is a usage error and
/// nothing reaches X; a `-` in `.env` or a profile is refused; a secret given literally on the
/// command line works but is warned about.
#[test]
fn a_dash_is_never_sent_as_a_secret() {
    let redirect = free_redirect();
    let mock = mock(&redirect, Consent::Approve);
    let (key, secret) = web_consumer(&mock);
    let home = Home::new("dash");
    let base = mock.base_url();
    let run_ = twauth_stdin(
        &home,
        &[
            "token",
            "app-only",
            "--consumer-key",
            &key,
            "--consumer-secret",
            "-",
            "--base-url",
            base,
        ],
        &[],
        "",
    );
    assert_eq!(run_.code, Some(2), "stderr: {}", run_.stderr);
    assert!(
        run_.stderr.contains("--consumer-secret -"),
        "{}",
        run_.stderr
    );
    let run_ = twauth_stdin(
        &home,
        &["token", "app-only", "--base-url", base],
        &[
            ("TWAUTH_CONSUMER_KEY", &key),
            ("TWAUTH_CONSUMER_SECRET", "-"),
        ],
        "",
    );
    assert_eq!(run_.code, Some(2), "stderr: {}", run_.stderr);
    std::fs::write(home.0.join(".env"), "TWAUTH_CONSUMER_SECRET=-\n").expect("written");
    let run_ = twauth_stdin(
        &home,
        &[
            "token",
            "app-only",
            "--consumer-key",
            &key,
            "--base-url",
            base,
        ],
        &[],
        "",
    );
    assert_eq!(run_.code, Some(2), "stderr: {}", run_.stderr);
    assert!(run_.stderr.contains("./.env"), "{}", run_.stderr);
    std::fs::remove_file(home.0.join(".env")).expect("removed");
    assert_eq!(
        mock.counters().requests_to("/oauth2/token"),
        0,
        "nothing sent"
    );

    // Given on stdin, it works.
    let run_ = twauth_stdin(
        &home,
        &[
            "token",
            "app-only",
            "--consumer-key",
            &key,
            "--consumer-secret",
            "-",
            "--base-url",
            base,
        ],
        &[],
        &format!("{secret}\n"),
    );
    assert_eq!(run_.code, Some(0), "stderr: {}", run_.stderr);
    assert!(
        !run_.stderr.contains("visible to other users"),
        "{}",
        run_.stderr
    );
    // Given literally, it works and the user is told it shows in `ps`.
    let run_ = twauth_stdin(
        &home,
        &[
            "token",
            "app-only",
            "--consumer-key",
            &key,
            "--consumer-secret",
            &secret,
            "--base-url",
            base,
        ],
        &[],
        "",
    );
    assert_eq!(run_.code, Some(0), "stderr: {}", run_.stderr);
    assert!(
        run_.stderr.contains("visible to other users"),
        "{}",
        run_.stderr
    );
}
