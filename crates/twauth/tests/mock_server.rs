//! `twauth mock-server` (feature `demo`): serves the fake X on the port asked for, prints its
//! URL first, answers a real request; a bad `--port` is a usage error; the flags tests and
//! demos need (token lifetime, rate limits, faults) and its counters (stdin, a file).

#![cfg(feature = "demo")]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use twitter_auth_mock::{DEMO_WEB_APP, MockConfig};

/// Kills the server when dropped, so a failing assertion doesn't leak the process.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serves_the_demo_world_on_an_ephemeral_port() {
    let child = Command::new(env!("CARGO_BIN_EXE_twauth"))
        .args(["mock-server", "--port", "0", "--consent", "approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("twauth starts");
    let mut server = Server(child);
    let mut stdout = BufReader::new(server.0.stdout.take().expect("piped stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    let base = first
        .trim_end()
        .strip_prefix("fake X listening on ")
        .unwrap_or_else(|| panic!("the first line names the URL: {first:?}"))
        .trim_end_matches('/')
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(!base.ends_with(":0"), "an actual port was picked: {base}");
    let mut second = String::new();
    stdout.read_line(&mut second).expect("a second line");
    assert_eq!(second.trim_end(), "consent: Approve");

    // An OAuth 2.0 app-only token, with the demo web app's consumer key and secret.
    let config = MockConfig::default();
    let app = config.app(DEMO_WEB_APP).expect("the web app");
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", app.consumer_key, app.consumer_secret));
    let mut answer = ureq::post(&format!("{base}/oauth2/token"))
        .header("authorization", &format!("Basic {basic}"))
        .header(
            "content-type",
            "application/x-www-form-urlencoded;charset=UTF-8",
        )
        .send("grant_type=client_credentials")
        .expect("the fake X answers 200");
    assert_eq!(answer.status(), 200);
    let body = answer.body_mut().read_to_string().expect("a body");
    assert!(body.contains("\"token_type\":\"bearer\""), "{body}");
    assert!(body.contains("access_token"), "{body}");
    drop(server);
}

#[test]
fn a_port_that_is_not_a_number_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_twauth"))
        .args(["mock-server", "--port", "notanumber"])
        .output()
        .expect("twauth runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(output.stdout.is_empty(), "nothing served: {output:?}");
}

mod common;
use common::*;

/// A `mock-server` with piped stdin and stdout, its world read from the `--json` first line.
struct Running {
    server: Server,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
    world: serde_json::Value,
}

fn start(args: &[&str]) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_twauth"))
        .args(["mock-server", "--json", "--consent", "approve"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("twauth starts");
    let mut server = Server(child);
    let stdin = server.0.stdin.take().expect("piped stdin");
    let mut stdout = BufReader::new(server.0.stdout.take().expect("piped stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    let world = serde_json::from_str(&first).expect("the world as JSON");
    Running {
        server,
        stdin,
        stdout,
        world,
    }
}

impl Running {
    fn base(&self) -> &str {
        self.world["base_url"].as_str().expect("a base URL")
    }

    /// The counters, asked for on stdin.
    fn counters(&mut self) -> serde_json::Value {
        use std::io::Write as _;
        writeln!(self.stdin, "counters").expect("stdin");
        self.stdin.flush().expect("flush");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("a line");
        serde_json::from_str(&line).expect("counters as JSON")
    }
}

/// Item 17: `--access-token-ttl`, `--rate-limit`, `--fault`, and the counters on stdin and in
/// `--counters-file`.
#[test]
fn flags_for_lifetimes_limits_faults_and_counters() {
    let home = Home::new("mock-flags");
    let counters_file = home.0.join("counters.json");
    let mut x = start(&[
        "--access-token-ttl",
        "5",
        "--rate-limit",
        "GET /2/users/me=2",
        "--fault",
        "503:/1.1/account/verify_credentials.json:1",
        "--counters-file",
        counters_file.to_str().expect("UTF-8"),
    ]);
    assert_eq!(x.world["access_token_ttl"], 5);
    let base = x.base().to_owned();
    let alice = &x.world["apps"][0];
    let env = [
        (
            "TWAUTH_CONSUMER_KEY",
            alice["consumer_key"].as_str().expect("key").to_owned(),
        ),
        (
            "TWAUTH_CONSUMER_SECRET",
            alice["consumer_secret"]
                .as_str()
                .expect("secret")
                .to_owned(),
        ),
        (
            "TWAUTH_ACCESS_TOKEN",
            alice["access_tokens"][0]["token"]
                .as_str()
                .expect("token")
                .to_owned(),
        ),
        (
            "TWAUTH_ACCESS_TOKEN_SECRET",
            alice["access_tokens"][0]["secret"]
                .as_str()
                .expect("secret")
                .to_owned(),
        ),
    ];
    // The fault: the first verify_credentials is a 503.
    let run = twauth(
        &home,
        &[
            "request",
            "--base-url",
            &base,
            "1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert!(run.stderr.starts_with("HTTP 503"), "{}", run.stderr);
    let run = twauth(
        &home,
        &[
            "request",
            "--base-url",
            &base,
            "1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert!(run.stderr.starts_with("HTTP 200"), "{}", run.stderr);
    // The limit: two 2/users/me per window, then 429.
    for expected in ["HTTP 200", "HTTP 200", "HTTP 429"] {
        let run = twauth(
            &home,
            &["request", "--base-url", &base, "2/users/me"],
            &pairs(&env),
        );
        assert!(
            run.stderr.starts_with(expected),
            "{expected}: {}",
            run.stderr
        );
    }
    let counters = x.counters();
    assert_eq!(counters["faults"], 1, "{counters}");
    assert_eq!(counters["rate_limited"], 1, "{counters}");
    assert_eq!(counters["requests"]["/2/users/me"], 3, "{counters}");
    // The file follows (rewritten within 200 ms of a change).
    std::thread::sleep(std::time::Duration::from_millis(600));
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&counters_file).expect("the counters file"))
            .expect("JSON");
    assert_eq!(file, counters);
    // A fault queued on stdin.
    {
        use std::io::Write as _;
        writeln!(x.stdin, "fault 500:/2/users/by/username/mock_bob").expect("stdin");
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let run = twauth(
        &home,
        &[
            "request",
            "--base-url",
            &base,
            "2/users/by/username/mock_bob",
        ],
        &pairs(&env),
    );
    assert!(run.stderr.starts_with("HTTP 500"), "{}", run.stderr);
    drop(x.server);
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        &["--fault", "boom:/x"][..],
        &["--rate-limit", "/2/users/me=3"][..],
        &["--access-token-ttl", "0"][..],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_twauth"))
            .arg("mock-server")
            .args(args)
            .output()
            .expect("twauth runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    }
}
