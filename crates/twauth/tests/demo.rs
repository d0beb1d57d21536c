//! `twauth demo` (feature `demo`): every flow through both adapters against the embedded fake X
//! succeeds, the summary table says so, and no secret of the demo world is printed.

#![cfg(feature = "demo")]

use std::process::{Command, Output};

use twitter_auth_mock::MockConfig;

const FLOWS: [&str; 7] = [
    "OAuth 1.0a 3-legged",
    "OAuth 1.0a PIN (oob)",
    "Sign in with X",
    "OAuth 2.0 app-only",
    "PKCE public client",
    "PKCE confidential client",
    "ApiClient signed request",
];

fn demo(args: &[&str]) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_twauth"))
        .arg("demo")
        .args(args)
        .output()
        .expect("twauth runs");
    let stdout = String::from_utf8(output.stdout.clone()).expect("UTF-8 output");
    (output, stdout)
}

/// The table's row for `flow`: the last line that starts with it.
fn row<'a>(stdout: &'a str, flow: &str) -> &'a str {
    stdout
        .lines()
        .rev()
        .find(|line| line.starts_with(flow))
        .unwrap_or_else(|| panic!("no row for {flow:?} in:\n{stdout}"))
}

/// Every secret of the demo world: consumer secrets, client secrets, pre-issued token secrets.
fn secrets() -> Vec<String> {
    let config = MockConfig::default();
    let mut secrets = Vec::new();
    for app in &config.apps {
        secrets.push(app.consumer_secret.clone());
        if let Some(secret) = app.client_secret() {
            secrets.push(secret.to_owned());
        }
        for token in &app.user_tokens {
            secrets.push(token.secret.clone());
        }
    }
    assert!(secrets.len() >= 5, "the demo world has its secrets");
    secrets
}

#[test]
fn every_flow_passes_through_both_adapters_and_no_secret_is_printed() {
    let (output, stdout) = demo(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let header = stdout
        .lines()
        .find(|line| line.starts_with("flow"))
        .unwrap_or_else(|| panic!("no table header in:\n{stdout}"));
    assert!(
        header.contains("ureq") && header.contains("reqwest"),
        "{header}"
    );
    for flow in FLOWS {
        let row = row(&stdout, flow);
        assert_eq!(row.matches('✓').count(), 2, "{row}");
        assert!(!row.contains('✗'), "{row}");
    }
    // The steps a person follows are shown.
    for step in [
        "authorize URL",
        "consent given",
        "token obtained",
        "belongs to",
        "refreshed",
        "revoked",
        "invalidated",
        "signed request",
        "@mock_alice",
        "@mock_bob",
    ] {
        assert!(stdout.contains(step), "{step:?} missing from:\n{stdout}");
    }
    for secret in secrets() {
        assert!(
            !stdout.contains(&secret) && !stderr.contains(&secret),
            "a secret was printed: {secret}"
        );
    }
}

#[test]
fn quiet_prints_only_the_table_for_one_adapter() {
    let (output, stdout) = demo(&["--quiet", "--adapter", "ureq"]);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("authorize URL"), "{stdout}");
    assert!(!stdout.contains("reqwest"), "{stdout}");
    for flow in FLOWS {
        let row = row(&stdout, flow);
        assert_eq!(row.matches('✓').count(), 1, "{row}");
    }
}

#[test]
fn an_unknown_adapter_is_a_usage_error() {
    let (output, _) = demo(&["--adapter", "curl"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

#[test]
fn json_lists_every_run() {
    let (output, stdout) = demo(&["--json", "--adapter", "ureq"]);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(json["passed"], 7, "{json}");
    assert_eq!(json["failed"], 0, "{json}");
    let runs = json["runs"].as_array().expect("runs");
    assert!(
        runs.iter()
            .all(|r| r["ok"] == true && r["adapter"] == "ureq"),
        "{json}"
    );
    for flow in FLOWS {
        assert!(
            runs.iter().any(|r| r["flow"] == flow),
            "{flow} missing: {json}"
        );
    }
}
