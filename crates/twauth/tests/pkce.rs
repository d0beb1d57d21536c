//! `twauth pkce`: RFC 7636's example, JSON output, fresh verifiers and refused ones.

use std::process::{Command, Output};

// RFC 7636 Appendix B, copied from /work/shared/vectors/pkce.json (vector `rfc7636/appendix-b`).
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn pkce(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_twauth"))
        .arg("pkce")
        .args(args)
        .output()
        .expect("runs twauth")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

#[test]
fn rfc7636_appendix_b() {
    let out = stdout(&pkce(&["--verifier", VERIFIER]));
    assert_eq!(field(&out, "verifier:"), VERIFIER);
    assert_eq!(field(&out, "challenge:"), CHALLENGE);
    let out = stdout(&pkce(&[&format!("--verifier={VERIFIER}")]));
    assert_eq!(field(&out, "challenge:"), CHALLENGE);
}

#[test]
fn json_output() {
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&pkce(&["--verifier", VERIFIER, "--json"]))).expect("JSON");
    assert_eq!(
        v,
        serde_json::json!({"verifier": VERIFIER, "challenge": CHALLENGE})
    );
}

#[test]
fn fresh_verifier_verifies() {
    let v: serde_json::Value = serde_json::from_str(&stdout(&pkce(&["--json"]))).expect("JSON");
    let verifier = v["verifier"].as_str().expect("verifier");
    let challenge = v["challenge"].as_str().expect("challenge");
    assert!(verifier.len() >= 43, "{verifier}");
    assert!(pkce::verify(verifier, challenge, pkce::Method::S256));

    let text = stdout(&pkce(&[]));
    let verifier2 = field(&text, "verifier:");
    assert!(verifier2.len() >= 43);
    assert_ne!(verifier, verifier2, "fresh each time");
    assert!(pkce::verify(
        verifier2,
        field(&text, "challenge:"),
        pkce::Method::S256
    ));
}

#[test]
fn forbidden_verifiers_exit_2() {
    for (bad, reason) in [
        ("short", "43 to 128"),
        (
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX!",
            "invalid character",
        ),
        (
            "-dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX=",
            "invalid character",
        ),
    ] {
        let out = pkce(&["--verifier", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(reason), "{bad}: {stderr}");
        assert!(
            !stderr.contains(bad),
            "the rejected value is not echoed: {stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}
