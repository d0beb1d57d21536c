//! Project automation for the twitter-auth workspace, in the cargo-xtask pattern: one std-only
//! binary with a subcommand per task, run through the alias in `.cargo/config.toml`.
//!
//! - `cargo xtask ci`: fmt, clippy (workspace and per library crate without default features),
//!   tests, docs, tidy and cargo-deny, stopping at the first failure.
//! - `cargo xtask tidy`: house rules (also a `#[test]`, so `cargo test` enforces them).
//! - `cargo xtask bench [criterion args]`: criterion benches (the mock's start time and
//!   verifications per second, and the reqwest adapter's overhead over plain reqwest, included),
//!   callgrind instruction counts and allocation counts, printed as Markdown tables and saved
//!   to `target/bench-report.md`.
//! - `cargo xtask fuzz [--seconds N] [TARGET...]`: the cargo-fuzz targets of `fuzz/` (nightly),
//!   or their properties over the seed corpus on stable when no nightly is available.
//!
//! No dependencies on purpose: this crate builds before anything else in CI.

mod bench;
mod ci;
mod fuzz;
mod tidy;

use std::env;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The error of a task: a message printed as `error: …` before a non-zero exit.
type DynError = Box<dyn std::error::Error>;

/// Usage text for `cargo xtask help` and unknown tasks.
const USAGE: &str = "\
Usage: cargo xtask <task> [args]

Tasks:
  ci                    fmt, clippy, per-crate clippy without default features, test, doc,
                        tidy and cargo-deny (bans licenses sources); stops at the first failure
  tidy                  house rules: //! module docs, no #[should_panic]/#[ignore], pure crates
                        without IO dependencies, adapter line budget, versioned internal deps
  bench [ARGS...]       criterion benches of oauth1-sign, pkce, twitter-auth-mock and the
                        twitter-auth-reqwest overhead (ARGS go to criterion, e.g. a filter such
                        as `adapter`; default --warm-up-time 1 --measurement-time 3 --noplot),
                        then callgrind instructions and allocations per signature; prints
                        Markdown tables and saves them to <target dir>/bench-report.md
  fuzz [--seconds N] [TARGET...]
                        every cargo-fuzz target of fuzz/ for N seconds (default 60) on
                        nightly, with executions and crashes per target (saved to
                        <target dir>/fuzz-report.md); without nightly, says so and checks
                        the targets' properties over the seed corpus on stable
  help                  this text
";

/// Dispatches `cargo xtask <task>`; usage errors exit with 2, task failures with 1.
fn main() -> ExitCode {
    let mut args = env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    let result = match task.as_deref() {
        Some("ci") => no_args("ci", &rest).and_then(|()| ci::run()),
        Some("tidy") => no_args("tidy", &rest).and_then(|()| tidy::run()),
        Some("bench") => bench::run(&rest),
        Some("fuzz") => fuzz::run(&rest),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => {
            eprintln!("error: unknown task '{other}'\n");
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Fails if a task that takes no arguments got some.
fn no_args(task: &str, rest: &[String]) -> Result<(), DynError> {
    match rest {
        [] => Ok(()),
        _ => Err(format!("'{task}' takes no arguments, got: {}", rest.join(" ")).into()),
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(1)
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The cargo that runs us (`CARGO`, set by `cargo run`), or `cargo` from `PATH`.
fn cargo_program() -> OsString {
    env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// A `cargo <args>` command run from the workspace root.
fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(cargo_program());
    cmd.args(args).current_dir(project_root());
    cmd
}

/// Renders a command as a shell line for `$ …` echoes: environment overrides first, and our
/// cargo shown as plain `cargo`.
struct Shown<'a>(&'a Command);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in self.0.get_envs() {
            if let Some(value) = value {
                write!(f, "{}={} ", key.to_string_lossy(), quote(value))?;
            }
        }
        let program = self.0.get_program();
        if program == cargo_program().as_os_str() {
            f.write_str("cargo")?;
        } else {
            f.write_str(&quote(program))?;
        }
        for arg in self.0.get_args() {
            write!(f, " {}", quote(arg))?;
        }
        Ok(())
    }
}

/// Quotes a word for display if it holds characters a shell would split on.
fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    if !word.is_empty()
        && !word.contains(|c: char| c.is_whitespace() || "\"'$&|;<>()*?".contains(c))
    {
        word.into_owned()
    } else {
        format!("\"{}\"", word.replace('"', "\\\""))
    }
}

/// Runs a command to completion and returns its stdout; fails with its stderr otherwise.
fn output(mut cmd: Command) -> Result<String, DynError> {
    let shown = Shown(&cmd).to_string();
    let out = cmd
        .output()
        .map_err(|e| format!("could not run `{shown}`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{shown}` failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A package directory under `crates/` that is a workspace member.
struct Crate {
    /// The package name (`[package] name`).
    name: String,
    /// The package directory.
    dir: PathBuf,
    /// Whether the package has a library target (`src/lib.rs` or a `[lib]` section).
    has_lib: bool,
}

/// The workspace members under `crates/`, sorted by directory name.
///
/// Candidates come from the directory listing (each `Cargo.toml`'s `[package] name`); a
/// directory counts only if `cargo metadata --no-deps` lists its manifest as a member.
fn workspace_crates(root: &Path) -> Result<Vec<Crate>, DynError> {
    let metadata = output(cargo(["metadata", "--format-version", "1", "--no-deps"]))?;
    let members = json_string_values(&metadata, "manifest_path");
    let mut dirs: Vec<PathBuf> = match fs::read_dir(root.join("crates")) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect(),
        Err(_) => Vec::new(),
    };
    dirs.sort();
    let mut crates = Vec::new();
    for dir in dirs {
        let manifest = dir.join("Cargo.toml");
        if !members.iter().any(|m| Path::new(m) == manifest) {
            continue;
        }
        let text = fs::read_to_string(&manifest)?;
        let name = toml_package_name(&text)
            .ok_or_else(|| format!("{}: no `name = \"…\"` in [package]", manifest.display()))?;
        let has_lib = dir.join("src/lib.rs").is_file() || text.lines().any(|l| l.trim() == "[lib]");
        crates.push(Crate { name, dir, has_lib });
    }
    Ok(crates)
}

/// The `name = "…"` value in a manifest's `[package]` section (simple line parsing).
fn toml_package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "name"
        {
            return Some(value.trim().trim_matches('"').to_string());
        }
    }
    None
}

/// Every string value of `"key":"…"` in a JSON text, unescaped (enough for cargo and criterion
/// output, which is compact serde_json).
fn json_string_values(json: &str, key: &str) -> Vec<String> {
    let needle = format!("\"{key}\":");
    let mut values = Vec::new();
    let mut rest = json;
    while let Some(at) = rest.find(&needle) {
        rest = &rest[at + needle.len()..];
        if let Some(value) = json_string_at(rest) {
            values.push(value);
        }
    }
    values
}

/// The first `"key":"…"` string value in a JSON text; `None` if missing or not a string.
fn json_string(json: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\":");
    let at = json.find(&needle)?;
    json_string_at(&json[at + needle.len()..])
}

/// Parses a JSON string literal at the start of `text` (after optional whitespace).
fn json_string_at(text: &str) -> Option<String> {
    let mut chars = text.trim_start().strip_prefix('"')?.chars();
    let mut value = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'r' => value.push('\r'),
                'b' => value.push('\u{8}'),
                'f' => value.push('\u{c}'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    value.push(
                        char::from_u32(u32::from_str_radix(&hex, 16).ok()?).unwrap_or('\u{fffd}'),
                    );
                }
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
}

/// Parses the JSON number at the start of `text` (after optional whitespace).
fn json_number_at(text: &str) -> Option<f64> {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(text.len());
    text[..end].parse().ok()
}

/// Unit tests of the shared helpers.
#[cfg(test)]
mod tests {
    use super::{json_number_at, json_string, json_string_values, toml_package_name};

    /// Strings, nulls, escapes and numbers come out of compact JSON.
    #[test]
    fn json_helpers() {
        let json = r#"{"group_id":"pkce/verifier+s256","function_id":null,"value_str":"a\"b\u00e9","n": 1.5e2}"#;
        assert_eq!(
            json_string(json, "group_id").as_deref(),
            Some("pkce/verifier+s256")
        );
        assert_eq!(json_string(json, "function_id"), None);
        assert_eq!(json_string(json, "value_str").as_deref(), Some("a\"bé"));
        assert_eq!(json_string_values(json, "group_id"), ["pkce/verifier+s256"]);
        assert_eq!(
            json_number_at(&json[json.find("1.5").unwrap()..]),
            Some(150.0)
        );
    }

    /// The name is read from `[package]` only.
    #[test]
    fn package_name() {
        let manifest =
            "[workspace]\nname = \"no\"\n[package]\nversion = \"1\"\nname = \"pkce\"\n[lib]\n";
        assert_eq!(toml_package_name(manifest).as_deref(), Some("pkce"));
    }
}
