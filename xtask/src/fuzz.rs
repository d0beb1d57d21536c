//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs every cargo-fuzz target of `fuzz/` (or
//! the ones named) for N seconds each (default 60), one after the other, and prints a Markdown
//! table of executions, corpus and crashes per target, also saved to
//! `<target dir>/fuzz-report.md`. `FUZZ_TOOLCHAIN` names another toolchain than `nightly`.
//!
//! libFuzzer needs a nightly toolchain (`-Zsanitizer`) and cargo-fuzz. With nightly but no
//! cargo-fuzz, this installs cargo-fuzz (pinned) as `ci` installs cargo-deny. Without nightly
//! it says so plainly, fuzzes nothing, and runs the targets' properties on stable over the seed
//! corpus instead (the `fuzz_seeds` tests of the mock's suite and of `tests/e2e`, which
//! `cargo test --workspace` runs too), so the properties still hold for something.
//!
//! Each target grows its corpus in `fuzz/corpus/<target>/` (ignored by git) from the committed
//! seeds in `fuzz/seeds/<target>/`; a crash leaves its input in `fuzz/artifacts/<target>/`.
//!
//! The targets are built without a sanitizer (`-s none`): every crate of the workspace forbids
//! `unsafe`, what the targets look for are panics and broken properties, which need none, and
//! AddressSanitizer costs about ten times the executions (145 against 1,400 a second for
//! `core_finish` on a 2-core machine).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{DynError, Shown, cargo, json_string, output, project_root};

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 60;

/// The cargo-fuzz release `fuzz` installs when it is missing, so a new release cannot change
/// what runs.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// How `cargo fuzz build` and `run` are told to build (release, no sanitizer: see the module
/// docs).
const BUILD_FLAGS: &[&str] = &["-O", "--sanitizer", "none"];

/// The stable fallback: the test suites that run the targets' properties over the seeds.
const SEED_TESTS: &[&[&str]] = &[
    &[
        "test",
        "-p",
        "twitter-auth-mock",
        "--test",
        "it",
        "fuzz_seeds",
    ],
    &[
        "test",
        "-p",
        "twitter-auth-tests",
        "--test",
        "e2e",
        "fuzz_seeds",
    ],
];

/// What `cargo xtask fuzz` was asked for.
#[derive(Debug, PartialEq, Eq)]
struct Args {
    /// Seconds per target.
    seconds: u64,
    /// Targets to run; empty means all.
    targets: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Args, DynError> {
    let mut parsed = Args {
        seconds: DEFAULT_SECONDS,
        targets: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let seconds = match arg.strip_prefix("--seconds") {
            Some("") => Some(args.next().ok_or("--seconds takes a number")?.as_str()),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(seconds) = seconds {
            parsed.seconds = seconds
                .parse()
                .ok()
                .filter(|&s| s > 0)
                .ok_or_else(|| format!("--seconds takes a positive number, got {seconds:?}"))?;
        } else if arg.starts_with('-') {
            return Err(format!(
                "unknown option {arg}: usage `cargo xtask fuzz [--seconds N] [TARGET...]`"
            )
            .into());
        } else {
            parsed.targets.push(arg.clone());
        }
    }
    Ok(parsed)
}

/// The targets in `fuzz/fuzz_targets/`, sorted.
fn all_targets(fuzz_dir: &Path) -> Result<Vec<String>, DynError> {
    let dir = fuzz_dir.join("fuzz_targets");
    let mut targets: Vec<String> = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    targets.sort();
    Ok(targets)
}

/// The toolchain that fuzzes: `nightly`, or `$FUZZ_TOOLCHAIN` (a dated nightly, say; or a name
/// that does not exist, to see what happens without one).
fn toolchain() -> String {
    std::env::var("FUZZ_TOOLCHAIN")
        .ok()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "nightly".to_owned())
}

/// `cargo +<toolchain> <args>` through rustup's proxy (not `$CARGO`, which is the stable cargo
/// itself and takes no `+toolchain`), from `fuzz_dir`.
fn nightly<I, S>(fuzz_dir: &Path, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new("cargo");
    cmd.arg(format!("+{}", toolchain()))
        .args(args)
        .current_dir(fuzz_dir);
    cmd
}

/// Whether a command runs and succeeds, its output discarded.
fn succeeds(mut cmd: Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    cmd.status().is_ok_and(|s| s.success())
}

/// Why fuzzing cannot run here, if it cannot; installs cargo-fuzz when nightly is there.
fn fuzzing_unavailable(fuzz_dir: &Path) -> Option<String> {
    if !succeeds(nightly(fuzz_dir, ["--version"])) {
        let toolchains = Command::new("rustup")
            .args(["toolchain", "list"])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .replace('\n', ", ")
            })
            .unwrap_or_else(|_| "rustup is not installed".to_owned());
        return Some(format!(
            "no nightly toolchain (`cargo +{} --version` failed; toolchains: {toolchains}). \
             libFuzzer needs nightly (-Zsanitizer): `rustup toolchain install nightly`, then \
             `cargo install cargo-fuzz`",
            toolchain()
        ));
    }
    if succeeds(nightly(fuzz_dir, ["fuzz", "--version"])) {
        return None;
    }
    println!("cargo-fuzz is missing: installing cargo-fuzz {CARGO_FUZZ_VERSION} from crates.io");
    let mut install = Command::new("cargo");
    install.args([
        "install",
        "--locked",
        "cargo-fuzz",
        "--version",
        CARGO_FUZZ_VERSION,
    ]);
    println!("$ {}", Shown(&install));
    if install.status().is_ok_and(|s| s.success())
        && succeeds(nightly(fuzz_dir, ["fuzz", "--version"]))
    {
        return None;
    }
    Some(format!(
        "cargo-fuzz is missing and `cargo install cargo-fuzz --version {CARGO_FUZZ_VERSION}` failed (offline?)"
    ))
}

/// What libFuzzer said about one run.
#[derive(Debug, Default, PartialEq, Eq)]
struct Stats {
    /// Inputs executed (`stat::number_of_executed_units`, else `Done N runs`).
    runs: Option<u64>,
    /// `stat::average_exec_per_sec`.
    per_second: Option<u64>,
    /// Coverage counters (`cov:` of the last status line).
    coverage: Option<u64>,
    /// Inputs in the corpus (`corp: N/…` of the last status line).
    corpus: Option<u64>,
    /// Where the crashing input was written, if it crashed.
    artifact: Option<String>,
}

/// Reads libFuzzer's output (stderr, with `-print_final_stats=1`).
fn parse_stats(log: &str) -> Stats {
    let mut stats = Stats::default();
    let number = |text: &str| -> Option<u64> {
        let digits: String = text
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("stat::number_of_executed_units:") {
            stats.runs = number(rest);
        } else if let Some(rest) = line.strip_prefix("stat::average_exec_per_sec:") {
            stats.per_second = number(rest);
        } else if let Some(rest) = line.strip_prefix("Done ") {
            stats.runs = stats.runs.or_else(|| number(rest));
        } else if line.starts_with('#') {
            for (key, field) in [
                (" cov: ", &mut stats.coverage),
                (" corp: ", &mut stats.corpus),
            ] {
                if let Some(at) = line.find(key) {
                    *field = number(&line[at + key.len()..]).or(*field);
                }
            }
        }
        if let Some(at) = line.find("Test unit written to ") {
            let path = line[at + "Test unit written to ".len()..].trim();
            stats.artifact = Some(path.to_owned());
        }
    }
    stats
}

/// Runs `cargo xtask fuzz`.
pub(crate) fn run(args: &[String]) -> Result<(), DynError> {
    let args = parse_args(args)?;
    let root = project_root();
    let fuzz_dir = root.join("fuzz");
    let known = all_targets(&fuzz_dir)?;
    if let Some(unknown) = args.targets.iter().find(|t| !known.contains(t)) {
        return Err(format!("no fuzz target {unknown:?} (targets: {})", known.join(", ")).into());
    }
    let targets = if args.targets.is_empty() {
        known
    } else {
        args.targets
    };

    if let Some(reason) = fuzzing_unavailable(&fuzz_dir) {
        println!("fuzz: NOT FUZZING: {reason}.");
        println!(
            "fuzz: checking the targets' properties on stable over the seed corpus (fuzz/seeds/) instead"
        );
        for args in SEED_TESTS {
            let mut cmd = cargo(*args);
            println!("$ {}", Shown(&cmd));
            let status = cmd.status()?;
            if !status.success() {
                return Err(format!("`{}` failed ({status})", Shown(&cmd)).into());
            }
        }
        println!("fuzz: the properties hold over the seeds; no target was fuzzed ({reason})");
        return Ok(());
    }

    let mut build = nightly(&fuzz_dir, ["fuzz", "build"]);
    build.args(BUILD_FLAGS);
    println!("$ {}", Shown(&build));
    let status = build.status()?;
    if !status.success() {
        return Err(format!("`{}` failed ({status})", Shown(&build)).into());
    }
    let mut rows = Vec::new();
    for target in &targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        fs::create_dir_all(&corpus)?;
        let seeds = fuzz_dir.join("seeds").join(target);
        let mut cmd = nightly(&fuzz_dir, ["fuzz", "run"]);
        cmd.args(BUILD_FLAGS).arg(target);
        cmd.arg(&corpus).arg(&seeds).args([
            "--".to_owned(),
            format!("-max_total_time={}", args.seconds),
            "-print_final_stats=1".to_owned(),
        ]);
        println!("$ {}", Shown(&cmd));
        let started = Instant::now();
        let out = cmd.output()?;
        let elapsed = started.elapsed().as_secs();
        let log = String::from_utf8_lossy(&out.stderr);
        let log_path = fuzz_dir.join("corpus").join(format!("{target}.log"));
        fs::write(&log_path, log.as_bytes())?;
        let stats = parse_stats(&log);
        let crashed = !out.status.success() || stats.artifact.is_some();
        println!(
            "{target}: {} executions in {elapsed} s{}",
            stats.runs.map_or_else(|| "?".to_owned(), |n| n.to_string()),
            if crashed {
                format!(
                    ", CRASHED ({}; log {})",
                    stats.artifact.as_deref().unwrap_or("no artifact"),
                    log_path.display()
                )
            } else {
                String::new()
            }
        );
        rows.push((target.clone(), elapsed, stats, crashed));
    }
    let report = report(args.seconds, &rows);
    print!("\n{report}");
    let target_dir = target_dir()?;
    fs::create_dir_all(&target_dir)?;
    let path = target_dir.join("fuzz-report.md");
    fs::write(&path, &report)?;
    println!("(saved to {})", path.display());
    let crashed: Vec<&str> = rows
        .iter()
        .filter(|row| row.3)
        .map(|row| row.0.as_str())
        .collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!("fuzz targets crashed: {}", crashed.join(", ")).into())
    }
}

/// The Markdown table of a run.
fn report(seconds: u64, rows: &[(String, u64, Stats, bool)]) -> String {
    let show = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    let mut out = format!(
        "## cargo xtask fuzz --seconds {seconds}\n\n\
         | target | seconds | executions | exec/s | coverage | corpus | crashes |\n\
         |---|---:|---:|---:|---:|---:|---|\n"
    );
    let mut total = 0;
    for (target, elapsed, stats, crashed) in rows {
        total += stats.runs.unwrap_or(0);
        let crash = if *crashed {
            format!("1 ({})", stats.artifact.as_deref().unwrap_or("see the log"))
        } else {
            "0".to_owned()
        };
        let _ = writeln!(
            out,
            "| {target} | {elapsed} | {} | {} | {} | {} | {crash} |",
            show(stats.runs),
            show(stats.per_second),
            show(stats.coverage),
            show(stats.corpus),
        );
    }
    let _ = writeln!(out, "\n{total} executions in all.");
    out
}

/// Cargo's target directory for the workspace.
fn target_dir() -> Result<PathBuf, DynError> {
    let metadata = output(cargo(["metadata", "--format-version", "1", "--no-deps"]))?;
    let dir = json_string(&metadata, "target_directory")
        .ok_or("no target_directory in `cargo metadata` output")?;
    Ok(PathBuf::from(dir))
}

/// Unit tests of argument parsing and of reading libFuzzer's output.
#[cfg(test)]
mod tests {
    use super::{Args, DEFAULT_SECONDS, Stats, all_targets, parse_args, parse_stats, report};
    use crate::project_root;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn arguments() {
        assert_eq!(
            parse_args(&[]).unwrap(),
            Args {
                seconds: DEFAULT_SECONDS,
                targets: Vec::new()
            }
        );
        assert_eq!(
            parse_args(&strings(&["--seconds", "240", "pkce"])).unwrap(),
            Args {
                seconds: 240,
                targets: vec!["pkce".to_owned()]
            }
        );
        assert_eq!(parse_args(&strings(&["--seconds=5"])).unwrap().seconds, 5);
        assert!(parse_args(&strings(&["--seconds"])).is_err());
        assert!(parse_args(&strings(&["--seconds", "0"])).is_err());
        assert!(parse_args(&strings(&["--jobs", "2"])).is_err());
    }

    /// libFuzzer's own words, as a run with `-print_final_stats=1` ends.
    #[test]
    fn stats_of_a_clean_run() {
        let log = "INFO: Seed: 1234\n\
                   #2\tINITED cov: 310 ft: 400 corp: 20/1532b exec/s: 0 rss: 40Mb\n\
                   #65536\tpulse  cov: 1020 ft: 3001 corp: 260/20Kb lim: 4096 exec/s: 21845 rss: 60Mb\n\
                   #1301234\tDONE   cov: 1104 ft: 3310 corp: 301/25Kb lim: 4096 exec/s: 21687 rss: 61Mb\n\
                   Done 1301234 runs in 60 second(s)\n\
                   stat::number_of_executed_units: 1301234\n\
                   stat::average_exec_per_sec:     21687\n\
                   stat::new_units_added:          281\n";
        assert_eq!(
            parse_stats(log),
            Stats {
                runs: Some(1_301_234),
                per_second: Some(21_687),
                coverage: Some(1104),
                corpus: Some(301),
                artifact: None,
            }
        );
    }

    #[test]
    fn stats_of_a_crash() {
        let log = "#1024\tpulse  cov: 50 ft: 60 corp: 5/100b exec/s: 512 rss: 30Mb\n\
                   thread '<unnamed>' panicked at src/oauth1_props.rs:27:5:\n\
                   ==77== ERROR: libFuzzer: deadly signal\n\
                   artifact_prefix='/w/fuzz/artifacts/oauth1_header/'; Test unit written to /w/fuzz/artifacts/oauth1_header/crash-da39a3ee\n\
                   stat::number_of_executed_units: 1100\n";
        let stats = parse_stats(log);
        assert_eq!(stats.runs, Some(1100));
        assert_eq!(
            stats.artifact.as_deref(),
            Some("/w/fuzz/artifacts/oauth1_header/crash-da39a3ee")
        );
        let table = report(10, &[("oauth1_header".to_owned(), 3, stats, true)]);
        assert!(table.contains("| oauth1_header | 3 | 1100 | ? | 50 | 5 | 1 (/w/fuzz/artifacts/oauth1_header/crash-da39a3ee) |"), "{table}");
    }

    /// Every target has seeds, and every seed directory has a target.
    #[test]
    fn targets_and_seeds_match() {
        let fuzz = project_root().join("fuzz");
        let targets = all_targets(&fuzz).unwrap();
        assert!(targets.len() >= 8, "{targets:?}");
        let mut seeded: Vec<String> = std::fs::read_dir(fuzz.join("seeds"))
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        seeded.sort();
        assert_eq!(targets, seeded);
    }
}
