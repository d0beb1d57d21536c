//! Item 16: without its default feature `demo`, `twauth` is a small blocking binary: no fake
//! X, no tokio, no reqwest, no axum, no hyper in its dependency tree (`cargo tree`, offline).

use std::process::Command;

/// The normal dependencies of `twauth` with `features`, one crate name per line.
fn tree(features: &[&str]) -> String {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "twauth",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(features)
        .args(["--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn has(tree: &str, name: &str) -> bool {
    tree.lines()
        .any(|line| line.split(' ').next() == Some(name))
}

#[test]
fn without_default_features_twauth_has_no_mock_tokio_or_reqwest() {
    let heavy = [
        "twitter-auth-mock",
        "twitter-auth-reqwest",
        "tokio",
        "reqwest",
        "axum",
        "hyper",
    ];
    let small = tree(&["--no-default-features"]);
    for name in heavy {
        assert!(
            !has(&small, name),
            "{name} is in the --no-default-features tree:\n{small}"
        );
    }
    assert!(
        has(&small, "twitter-auth-ureq") && has(&small, "ureq"),
        "{small}"
    );
    let full = tree(&[]);
    for name in ["twitter-auth-mock", "twitter-auth-reqwest", "tokio"] {
        assert!(has(&full, name), "{name} is in the default tree");
    }
}
