//! The `twitter-auth-mock` binary: it serves the demo world on the port it prints, and refuses
//! bad arguments with exit code 2 and its usage.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use twitter_auth_mock::{DEMO_WEB_APP, MockConfig};

use crate::support::{FORM_UTF8, basic};

const BINARY: &str = env!("CARGO_BIN_EXE_twitter-auth-mock");
const BANNER: &str = "fake X listening on http://127.0.0.1:";

/// A child process that is killed and reaped however the test ends.
struct Running(Child);

impl Running {
    fn stop(&mut self) -> ExitStatus {
        self.0.kill().expect("the mock can be killed");
        self.0.wait().expect("the mock is reaped")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_binary_serves_the_demo_world_on_the_port_it_prints() {
    let child = Command::new(BINARY)
        .args(["--port", "0", "--consent", "approve"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut child = Running(child);
    let stdout = child.0.stdout.take().expect("a piped stdout");

    // Read the first line on a thread (a hang fails the test), then keep draining stdout so
    // the rest of the banner never meets a closed pipe.
    let (first_line, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let _ = first_line.send(line);
        let mut rest = String::new();
        while stdout.read_line(&mut rest).is_ok_and(|n| n > 0) {
            rest.clear();
        }
    });
    let line = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("the binary prints where it listens");
    let port: u16 = line
        .trim_end()
        .strip_prefix(BANNER)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("not `{BANNER}PORT`: {line:?}"));
    assert_ne!(port, 0, "an ephemeral port was picked");

    // The demo web app's keys get an app-only token (contract §3.1).
    let config = MockConfig::default();
    let app = config.app(DEMO_WEB_APP).expect("the demo web app");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut response = agent
        .post(format!("http://127.0.0.1:{port}/oauth2/token"))
        .header(
            "authorization",
            basic(&app.consumer_key, &app.consumer_secret),
        )
        .content_type(FORM_UTF8)
        .send("grant_type=client_credentials")
        .expect("the binary answers");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = serde_json::from_str(
        &response
            .body_mut()
            .read_to_string()
            .expect("a readable body"),
    )
    .expect("a JSON body");
    assert_eq!(body["token_type"], "bearer", "{body}");
    assert!(body["access_token"].is_string(), "{body}");

    let status = child.stop();
    assert!(!status.success(), "killed, not exited: {status}");
    reader.join().expect("stdout drained to its end");
}

#[test]
fn a_bad_port_exits_2_with_the_usage_on_stderr() {
    let output = Command::new(BINARY)
        .args(["--port", "notanumber"])
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("usage: twitter-auth-mock"), "{stderr}");
    assert!(stderr.contains("--port"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing served: {output:?}");
}
