//! `twauth mock-server`: serves the fake X on the port asked for, prints its URL first, answers
//! a real request; a bad `--port` is a usage error.

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
