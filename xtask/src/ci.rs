//! `cargo xtask ci`: every check CI runs, in order, stopping at the first failure.
//!
//! Each step prints `$ <command>` first; a failure ends the run with
//! `error: step '<name>' failed (<exit status>)` and a non-zero exit.

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{DynError, Shown, cargo, project_root, tidy, workspace_crates};

/// Runs steps one after the other and counts the ones that passed.
struct Runner {
    /// Steps that passed so far.
    passed: usize,
}

impl Runner {
    /// Prints `$ <command>`, runs it with inherited output and fails if it does not succeed.
    fn step(&mut self, name: &str, mut cmd: Command) -> Result<(), DynError> {
        println!("$ {}", Shown(&cmd));
        let status = cmd
            .status()
            .map_err(|e| format!("step '{name}' failed (could not start it: {e})"))?;
        if !status.success() {
            return Err(format!("step '{name}' failed ({status})").into());
        }
        self.passed += 1;
        Ok(())
    }
}

/// Runs the CI pipeline from the workspace root.
pub(crate) fn run() -> Result<(), DynError> {
    let start = Instant::now();
    let root = project_root();
    let mut ci = Runner { passed: 0 };

    ci.step("fmt", cargo(["fmt", "--all", "--check"]))?;
    ci.step(
        "clippy",
        cargo([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    // Each library on its own, without default features: no feature unification with the rest
    // of the workspace can hide a missing `#[cfg]` or import.
    for krate in workspace_crates(&root)?.into_iter().filter(|c| c.has_lib) {
        let name = krate.name.as_str();
        ci.step(
            &format!("clippy -p {name} --no-default-features"),
            cargo([
                "clippy",
                "-p",
                name,
                "--no-default-features",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        )?;
    }
    // The browser test (crates/twauth/tests/browser.rs) drives headless Chromium through
    // chromedriver: install both when missing, and make the test fail rather than skip.
    ensure_browser(&mut ci)?;
    ensure_apt(
        &mut ci,
        &["redis-server"],
        &["/usr/bin/redis-server"],
        "the Redis store's tests",
    )?;
    // Unit, integration and doc tests (and xtask's own tidy test).
    let mut test = cargo(["test", "--workspace", "--all-features"]);
    test.env("TWAUTH_REQUIRE_BROWSER", "1");
    test.env("TWITTER_AUTH_REQUIRE_REDIS", "1");
    ci.step("test", test)?;
    let mut doc = cargo(["doc", "--workspace", "--no-deps", "--all-features"]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    ci.step("doc", doc)?;

    println!("$ cargo xtask tidy   # in-process");
    let report = tidy::check(&root)?;
    if !report.problems.is_empty() {
        for problem in &report.problems {
            eprintln!("{problem}");
        }
        let n = report.problems.len();
        return Err(format!(
            "step 'tidy' failed ({n} problem{})",
            if n == 1 { "" } else { "s" }
        )
        .into());
    }
    println!("{}", report.summary());
    ci.passed += 1;

    let mut probe = cargo(["deny", "--version"]);
    probe.stdout(Stdio::null()).stderr(Stdio::null());
    if !probe.status().is_ok_and(|s| s.success()) {
        println!(
            "cargo-deny is missing (`cargo deny --version` failed): installing it, since CI checks bans, licences and sources with it"
        );
        ci.step(
            "install cargo-deny",
            // Pinned, so a new cargo-deny release cannot change what CI checks.
            cargo(["install", "--locked", "cargo-deny", "--version", "0.20.2"]),
        )?;
    }
    ci.step(
        "deny",
        cargo(["deny", "check", "bans", "licenses", "sources"]),
    )?;
    println!(
        "skipping 'cargo deny check advisories': it needs the RustSec advisory database from the network"
    );

    println!(
        "ci: all {} steps passed in {} s",
        ci.passed,
        start.elapsed().as_secs()
    );
    Ok(())
}

/// Installs the Debian `packages` with apt-get when any of `files` is missing (and
/// updates the package lists once if the first try fails), because `needed_by` needs it.
fn ensure_apt(
    ci: &mut Runner,
    packages: &[&str],
    files: &[&str],
    needed_by: &str,
) -> Result<(), DynError> {
    if files.iter().all(|f| std::path::Path::new(f).is_file()) {
        return Ok(());
    }
    let names = packages.join(" ");
    println!("{names} missing: installing with apt-get, since {needed_by} need it");
    let install = || {
        let mut cmd = Command::new("apt-get");
        cmd.args(["install", "-y"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    let step = format!("install {names}");
    if ci.step(&step, install()).is_ok() {
        return Ok(());
    }
    let mut update = Command::new("apt-get");
    update
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive");
    ci.step("apt-get update", update)?;
    ci.step(&step, install())
}

/// Debian's Chromium and its WebDriver, which the browser test needs.
const BROWSER_FILES: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromedriver"];

/// Installs `chromium` and `chromium-driver` with apt-get when either is missing.
fn ensure_browser(ci: &mut Runner) -> Result<(), DynError> {
    ensure_apt(
        ci,
        &["chromium", "chromium-driver"],
        &BROWSER_FILES,
        "the browser tests",
    )
}
