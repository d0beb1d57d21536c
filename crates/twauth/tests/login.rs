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
