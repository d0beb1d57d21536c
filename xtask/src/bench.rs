//! `cargo xtask bench [criterion args]`: runs the criterion benches of `oauth1-sign`, `pkce`,
//! `twitter-auth-mock` and `twitter-auth-reqwest`, then measures instructions (callgrind) and heap
//! allocations per signature with the `sign_probe` example, and prints one Markdown report, also
//! saved to `<target dir>/bench-report.md`. The mock gets a section of its own (start time and
//! signed verifications per second, against the issue's targets), and so does the reqwest
//! adapter (requests per second with and without it, and the overhead against the goal).
//!
//! `cargo xtask bench --probes-only` skips criterion; `--signing-only` keeps only `oauth1-sign`
//! and `pkce` (no adapter, mock or Redis build), e.g. `cargo xtask bench --probes-only
//! --signing-only` for the issue's table alone.
//!
//! Times come from criterion's own output, `<target dir>/criterion/<group>/<function>/new/`
//! (`benchmark.json` for the real names and the elements per iteration, `estimates.json` for
//! the mean), counting only results this run wrote. Instruction counts subtract a 1000-signature run from a 2000-signature run, so
//! start-up and set-up cancel out.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{DynError, Shown, cargo, json_number_at, json_string, output};

/// Criterion arguments used when none are given.
const DEFAULT_ARGS: &[&str] = &["--warm-up-time", "1", "--measurement-time", "3", "--noplot"];

/// The criterion benches to run, as (package, bench target).
const BENCHES: &[(&str, &str)] = &[
    ("oauth1-sign", "sign"),
    ("pkce", "pkce"),
    ("twitter-auth-mock", "mock"),
    ("twitter-auth-reqwest", "overhead"),
    ("twitter-auth-ureq", "hot_path"),
    ("twitter-auth-redis", "store"),
];

/// The packages `--signing-only` keeps.
const SIGNING_PACKAGES: &[&str] = &["oauth1-sign", "pkce"];

/// Per group-name prefix: our function, and the other crate's function we compare it with.
const RIVALS: &[(&str, &str, &str)] = &[
    ("oauth1-sign/", "oauth1-sign", "oauth1-request"),
    ("pkce/", "pkce", "oauth2"),
];

/// The function in every group that does only the unavoidable work: the baseline for ratios.
const FLOOR: &str = "floor";

/// Group-name prefix of the mock's benches (`twitter-auth-mock`'s `benches/mock.rs`).
const MOCK_PREFIX: &str = "mock/";

/// The mock's start-and-stop cycle, as (group, function).
const MOCK_START: (&str, &str) = ("mock/start_stop", "first-answer");

/// The mock's signed-verification benches, as (group, function, what the row says).
const MOCK_RATES: &[(&str, &str, &str)] = &[
    (
        "mock/verify_in_memory",
        "handler",
        "verifications/s in memory (`Handler::handle`)",
    ),
    (
        "mock/verify_http",
        "1-client",
        "verifications/s over HTTP, 1 client thread",
    ),
    (
        "mock/verify_http",
        "2-clients",
        "verifications/s over HTTP, 2 client threads",
    ),
];

/// The issue's targets for the mock: a start under this many milliseconds...
const MOCK_START_LIMIT_MS: f64 = 100.0;

/// ... and at least this many signed-request verifications per second.
const MOCK_MIN_RATE: f64 = 5_000.0;

/// Group of the adapter-overhead bench (`twitter-auth-reqwest`'s `benches/overhead.rs`).
const ADAPTER_GROUP: &str = "adapter/overhead";

/// Its baseline: plain reqwest with precomputed `Authorization` headers.
const ADAPTER_PLAIN: &str = "plain-reqwest";

/// Its subject: `ApiClient::send` signing every request with OAuth 1.0a.
const ADAPTER_SIGNED: &str = "reqwest-adapter-oauth1";

/// The issue's goal: the adapter costs less than this share of plain reqwest's throughput, in
/// percent.
const ADAPTER_MAX_OVERHEAD_PERCENT: f64 = 5.0;

/// One criterion result.
struct Measurement {
    /// Criterion group id, e.g. `oauth1-sign/params/10`.
    group: String,
    /// Function id (or parameter, for `BenchmarkId::from_parameter`), e.g. `floor`.
    function: String,
    /// Mean time per iteration in nanoseconds.
    mean_ns: f64,
    /// Elements per iteration, for benches that declare `Throughput::Elements`.
    elements: Option<f64>,
    /// When criterion wrote it, for run order.
    written: SystemTime,
}

/// Runs the benches and prints the report.
pub(crate) fn run(args: &[String]) -> Result<(), DynError> {
    // `cargo xtask bench -- --flag` passes the `--` through to us.
    let args = args.strip_prefix(&["--".to_string()]).unwrap_or(args);
    // `--probes-only`: skip criterion, measure only the probes (instructions, interleaved
    // times, the adapter's per-request cost). `--signing-only`: only `oauth1-sign` and `pkce`
    // (their criterion benches unless `--probes-only`, and their probes), nothing that builds
    // the adapters, the mock or Redis. Either order, before any criterion argument.
    let mut probes_only = false;
    let mut signing_only = false;
    let mut args = args;
    while let Some(flag) = args.first() {
        match flag.as_str() {
            "--probes-only" => probes_only = true,
            "--signing-only" => signing_only = true,
            _ => break,
        }
        args = &args[1..];
    }
    let args: Vec<String> = if args.is_empty() {
        DEFAULT_ARGS.iter().map(ToString::to_string).collect()
    } else {
        args.to_vec()
    };
    let target_dir = target_dir()?;
    let criterion_dir =
        env::var_os("CRITERION_HOME").map_or_else(|| target_dir.join("criterion"), PathBuf::from);

    let mut report = String::new();
    header(&mut report, &args);

    // Results older than this were not written by this run (two seconds of slack for coarse
    // file-system timestamps).
    let started = SystemTime::now() - Duration::from_secs(2);
    let benches = BENCHES
        .iter()
        .filter(|_| !probes_only)
        .filter(|(package, _)| !signing_only || SIGNING_PACKAGES.contains(package));
    for (package, bench) in benches {
        let mut cmd = cargo(["bench", "-p", package, "--bench", bench, "--"]);
        cmd.args(&args);
        println!("$ {}", Shown(&cmd));
        let status = cmd
            .status()
            .map_err(|e| format!("could not run cargo bench: {e}"))?;
        if !status.success() {
            return Err(
                format!("`cargo bench -p {package} --bench {bench}` failed ({status})").into(),
            );
        }
    }

    let mut measurements = Vec::new();
    read_criterion(&criterion_dir, &mut measurements)?;
    measurements.retain(|m| m.written >= started);
    let (mock, measurements): (Vec<_>, Vec<_>) = measurements
        .into_iter()
        .partition(|m| m.group.starts_with(MOCK_PREFIX));
    let (adapter, mut measurements): (Vec<_>, Vec<_>) = measurements
        .into_iter()
        .partition(|m| m.group == ADAPTER_GROUP);
    measurements.retain(|m| {
        RIVALS
            .iter()
            .any(|(prefix, ..)| m.group.starts_with(prefix))
    });
    time_table(&mut report, &measurements, &criterion_dir);
    mock_table(&mut report, &mock);
    adapter_table(&mut report, &adapter);

    instruction_table(&mut report)?;
    if signing_only {
        let _ = writeln!(
            report,
            "\n(`--signing-only`: the adapter's per-request cost was not measured.)"
        );
    } else {
        adapter_cost_table(&mut report)?;
    }
    extra_tables(&mut report, &target_dir, started);

    println!("\n{report}");
    let path = target_dir.join("bench-report.md");
    fs::write(&path, &report).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    println!("(saved to {})", path.display());
    Ok(())
}

/// Cargo's target directory (honours `CARGO_TARGET_DIR` and `build.target-dir`).
fn target_dir() -> Result<PathBuf, DynError> {
    let metadata = output(cargo(["metadata", "--format-version", "1", "--no-deps"]))?;
    let dir = json_string(&metadata, "target_directory")
        .ok_or("no target_directory in `cargo metadata` output")?;
    Ok(PathBuf::from(dir))
}

/// The report's title and the machine it ran on.
fn header(report: &mut String, args: &[String]) {
    let cpus =
        std::thread::available_parallelism().map_or_else(|_| "?".to_string(), |n| n.to_string());
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    let _ = writeln!(report, "# twitter-auth benchmarks\n");
    let _ = writeln!(report, "- date: {}", utc_now());
    let _ = writeln!(report, "- machine: nproc {cpus}, {cpu}");
    let _ = writeln!(report, "- toolchain: {rustc}");
    let _ = writeln!(report, "- criterion args: `{}`", args.join(" "));
}

/// Collects every `new/benchmark.json` under `dir` with its `new/estimates.json`.
fn read_criterion(dir: &Path, into: &mut Vec<Measurement>) -> Result<(), DynError> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            read_criterion(&path, into)?;
            continue;
        }
        let in_new = path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "new");
        if !in_new || path.file_name().is_none_or(|n| n != "benchmark.json") {
            continue;
        }
        let benchmark = fs::read_to_string(&path)?;
        let estimates_path = path.with_file_name("estimates.json");
        let Ok(estimates) = fs::read_to_string(&estimates_path) else {
            continue;
        };
        let Some(group) = json_string(&benchmark, "group_id") else {
            continue;
        };
        let function = match (
            json_string(&benchmark, "function_id"),
            json_string(&benchmark, "value_str"),
        ) {
            (Some(f), Some(v)) => format!("{f}/{v}"),
            (Some(name), None) | (None, Some(name)) => name,
            (None, None) => continue,
        };
        let Some(mean_ns) = mean_point_estimate(&estimates) else {
            continue;
        };
        let written = fs::metadata(&estimates_path)?.modified()?;
        into.push(Measurement {
            group,
            function,
            mean_ns,
            elements: throughput_elements(&benchmark),
            written,
        });
    }
    Ok(())
}

/// `mean.point_estimate` from criterion's `estimates.json`, in nanoseconds.
fn mean_point_estimate(estimates: &str) -> Option<f64> {
    let mean = &estimates[estimates.find("\"mean\"")?..];
    let key = "\"point_estimate\":";
    json_number_at(&mean[mean.find(key)? + key.len()..])
}

/// `throughput.Elements` from criterion's `benchmark.json`: what one iteration processes.
fn throughput_elements(benchmark: &str) -> Option<f64> {
    let key = "\"Elements\":";
    json_number_at(&benchmark[benchmark.find(key)? + key.len()..])
}

/// Appends the mock's section: start time and verifications per second, against the issue's
/// targets.
fn mock_table(report: &mut String, measurements: &[Measurement]) {
    let _ = writeln!(report, "\n## mock (`twitter-auth-mock`)\n");
    if measurements.is_empty() {
        let _ = writeln!(report, "No results from `benches/mock.rs` in this run.");
        return;
    }
    let find = |group: &str, function: &str| {
        measurements
            .iter()
            .find(|m| m.group == group && m.function == function)
    };
    let met = |ok: bool| if ok { "yes" } else { "**no**" }.to_string();
    let missing = || ["not run".to_string(), String::new()];
    let mut rows = Vec::new();
    let (group, function) = MOCK_START;
    let [value, ok] = find(group, function).map_or_else(missing, |m| {
        [
            format!("{:.2} ms", m.mean_ns / 1e6),
            met(m.mean_ns / 1e6 < MOCK_START_LIMIT_MS),
        ]
    });
    rows.push(vec![
        "start, first answer, stop (mean)".to_string(),
        value,
        format!("< {MOCK_START_LIMIT_MS:.0} ms"),
        ok,
    ]);
    for (group, function, what) in MOCK_RATES {
        let rate = find(group, function).and_then(rate_of);
        let [value, ok] = rate.map_or_else(missing, |r| {
            [
                format!("{}/s", thousands(r.round())),
                met(r >= MOCK_MIN_RATE),
            ]
        });
        rows.push(vec![
            (*what).to_string(),
            value,
            format!("≥ {}/s", thousands(MOCK_MIN_RATE)),
            ok,
        ]);
    }
    markdown_table(
        report,
        &["measurement", "result", "target", "met"],
        &[false, true, true, false],
        &rows,
    );
}

/// Requests (elements) per second of a result that declares its elements per iteration.
fn rate_of(m: &Measurement) -> Option<f64> {
    m.elements
        .filter(|_| m.mean_ns > 0.0)
        .map(|n| n * 1e9 / m.mean_ns)
}

/// Appends the adapter's section: requests per second through plain reqwest (precomputed
/// headers) and through the OAuth 1.0a `ApiClient`, and the throughput the adapter costs,
/// against the issue's goal.
fn adapter_table(report: &mut String, measurements: &[Measurement]) {
    let _ = writeln!(
        report,
        "\n## adapter overhead (`twitter-auth-reqwest`, OAuth 1.0a)\n"
    );
    if measurements.is_empty() {
        let _ = writeln!(report, "No results from `benches/overhead.rs` in this run.");
        return;
    }
    let rate = |function: &str| {
        measurements
            .iter()
            .find(|m| m.function == function)
            .and_then(rate_of)
    };
    let shown = |r: Option<f64>| r.map_or_else(|| "not run".to_string(), |r| thousands(r.round()));
    let (plain, signed) = (rate(ADAPTER_PLAIN), rate(ADAPTER_SIGNED));
    let (overhead, met) = match (plain, signed) {
        (Some(p), Some(s)) => {
            let overhead = (1.0 - s / p) * 100.0;
            let met = if overhead < ADAPTER_MAX_OVERHEAD_PERCENT {
                "yes"
            } else {
                "**no**"
            };
            (format!("{overhead:.1} %"), met.to_string())
        }
        _ => ("n/a".to_string(), String::new()),
    };
    markdown_table(
        report,
        &[
            "plain reqwest, req/s",
            "adapter (OAuth 1.0a), req/s",
            "overhead",
            "goal",
            "met",
        ],
        &[true, true, true, true, false],
        &[vec![
            shown(plain),
            shown(signed),
            overhead,
            format!("< {ADAPTER_MAX_OVERHEAD_PERCENT:.0} %"),
            met,
        ]],
    );
    let _ = writeln!(
        report,
        "\nSequential `GET /1.1/account/verify_credentials.json` to the mock on one keep-alive \
         connection; plain reqwest sends headers signed before the timer, the adapter signs each \
         request (`ApiClient::send`). Overhead = (1 − adapter rate / plain rate) × 100."
    );
}

/// Appends the time table: one row per function, groups in the order they ran.
fn time_table(report: &mut String, measurements: &[Measurement], criterion_dir: &Path) {
    let _ = writeln!(report, "\n## Time per call (criterion mean)\n");
    if measurements.is_empty() {
        let _ = writeln!(
            report,
            "No criterion results from this run under `{}`.",
            criterion_dir.display()
        );
        return;
    }
    // Groups ordered by their first result, functions by when they ran.
    let mut groups: Vec<(&str, Vec<&Measurement>)> = Vec::new();
    let mut sorted: Vec<&Measurement> = measurements.iter().collect();
    sorted.sort_by_key(|m| m.written);
    for m in sorted {
        match groups.iter_mut().find(|(g, _)| *g == m.group) {
            Some((_, members)) => members.push(m),
            None => groups.push((&m.group, vec![m])),
        }
    }
    let mut rows = Vec::new();
    for (group, members) in &groups {
        let time_of = |name: &str| {
            members
                .iter()
                .find(|m| m.function == name)
                .map(|m| m.mean_ns)
        };
        let floor = time_of(FLOOR);
        let rival = RIVALS.iter().find(|(prefix, ..)| group.starts_with(prefix));
        for m in members {
            let vs_floor = floor.map_or_else(String::new, |f| format!("{:.2}×", m.mean_ns / f));
            let speed_up = match rival {
                Some((_, ours, theirs)) if m.function == *ours => time_of(theirs)
                    .map_or_else(String::new, |t| {
                        format!("{:.2}× vs {theirs}", t / m.mean_ns)
                    }),
                _ => String::new(),
            };
            rows.push(vec![
                (*group).to_string(),
                m.function.clone(),
                format_ns(m.mean_ns),
                vs_floor,
                speed_up,
            ]);
        }
    }
    markdown_table(
        report,
        &[
            "group",
            "function",
            "mean",
            "× floor",
            "speed-up (their time / ours)",
        ],
        &[false, false, true, true, true],
        &rows,
    );
}

/// Appends the tables that benches with their own harness wrote to `target/bench-extra/`
/// during this run (the keyed hot path, the Redis store).
fn extra_tables(report: &mut String, target_dir: &Path, started: SystemTime) {
    let Ok(entries) = fs::read_dir(target_dir.join("bench-extra")) else {
        return;
    };
    let mut tables: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            fs::metadata(p)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= started)
        })
        .collect();
    tables.sort();
    for table in tables {
        if let Ok(text) = fs::read_to_string(&table) {
            report.push_str(&text);
        }
    }
}

/// What one probe executable measures: instruction counts per call (`<probe> <name> <N>` under
/// callgrind, `N` and `2N` subtracted) and interleaved times (`<probe> --time`).
struct CaseSpec {
    /// The row label, as the issue's table names it.
    title: &'static str,
    /// The package and example of the probe.
    probe: (&'static str, &'static str),
    /// Extra probe arguments that select the case.
    case_args: &'static [&'static str],
    /// Calls per callgrind run (the second run makes twice as many).
    calls: u32,
    /// The contenders, in table order.
    contenders: &'static [&'static str],
    /// The contender that ratios are taken against.
    floor: &'static str,
}

/// The signing cases of `sign_probe` and the PKCE case of `pkce_probe`, in table order.
const CASES: &[CaseSpec] = &[
    CaseSpec {
        title: "X docs request → header",
        probe: ("oauth1-sign", "sign_probe"),
        case_args: &["--case", "x"],
        calls: 1000,
        contenders: &[
            "oauth1-sign",
            "oauth1-request",
            "oauth1-request-presorted",
            "floor",
            "floor-prekeyed",
        ],
        floor: "floor-prekeyed",
    },
    CaseSpec {
        title: "1000 query params",
        probe: ("oauth1-sign", "sign_probe"),
        case_args: &["--case", "params:1000"],
        calls: 5,
        contenders: &[
            "oauth1-sign",
            "oauth1-request",
            "oauth1-request-presorted",
            "floor",
            "floor-prekeyed",
        ],
        floor: "floor",
    },
    CaseSpec {
        title: "256 KiB form body",
        probe: ("oauth1-sign", "sign_probe"),
        case_args: &["--case", "body:262144"],
        calls: 5,
        contenders: &[
            "oauth1-sign",
            "oauth1-request",
            "oauth1-request-presorted",
            "floor",
            "floor-prekeyed",
        ],
        floor: "floor",
    },
    CaseSpec {
        title: "PKCE verifier + S256",
        probe: ("pkce", "pkce_probe"),
        case_args: &[],
        calls: 1000,
        contenders: &["pkce", "oauth2", "floor"],
        floor: "floor",
    },
];

/// Interleaved timing runs per case; the report takes the median of all their per-round ratios.
const TIME_RUNS: usize = 3;

/// Rounds per timing run.
const TIME_ROUNDS: &str = "61";

/// What a goal compares.
#[derive(Clone, Copy)]
enum Measure {
    /// Instructions per call under callgrind.
    Instructions,
    /// The median of per-round time ratios.
    Time,
}

/// One of the issue's goals: `subject ÷ against ≤ max` in `case`.
struct Goal {
    case: &'static str,
    subject: &'static str,
    against: &'static str,
    measure: Measure,
    max: f64,
}

/// The issue's goals, in its table's order.
const GOALS: &[Goal] = &[
    Goal {
        case: "X docs request → header",
        subject: "oauth1-sign",
        against: "oauth1-request",
        measure: Measure::Instructions,
        max: 0.5,
    },
    Goal {
        case: "X docs request → header",
        subject: "oauth1-sign",
        against: "oauth1-request",
        measure: Measure::Time,
        max: 0.5,
    },
    Goal {
        case: "X docs request → header",
        subject: "oauth1-sign",
        against: "floor-prekeyed",
        measure: Measure::Time,
        max: 1.5,
    },
    Goal {
        case: "1000 query params",
        subject: "oauth1-sign",
        against: "floor",
        measure: Measure::Instructions,
        max: 2.0,
    },
    Goal {
        case: "1000 query params",
        subject: "oauth1-sign",
        against: "floor",
        measure: Measure::Time,
        max: 2.5,
    },
    Goal {
        case: "256 KiB form body",
        subject: "oauth1-sign",
        against: "floor",
        measure: Measure::Instructions,
        max: 1.3,
    },
    Goal {
        case: "256 KiB form body",
        subject: "oauth1-sign",
        against: "floor",
        measure: Measure::Time,
        max: 1.6,
    },
    Goal {
        case: "PKCE verifier + S256",
        subject: "pkce",
        against: "floor",
        measure: Measure::Instructions,
        max: 1.1,
    },
    Goal {
        case: "PKCE verifier + S256",
        subject: "pkce",
        against: "floor",
        measure: Measure::Time,
        max: 1.2,
    },
];

/// One contender's results in one case.
struct Contender {
    name: &'static str,
    /// Instructions per call, when valgrind ran.
    instructions: Option<f64>,
    /// Nanoseconds per call in each round of every timing run, in order (aligned across the
    /// contenders of a case, so that index `k` is the same round for all of them).
    rounds: Vec<f64>,
}

/// The results of one case.
struct CaseResult {
    spec: &'static CaseSpec,
    contenders: Vec<Contender>,
}

impl CaseResult {
    fn get(&self, name: &str) -> Option<&Contender> {
        self.contenders.iter().find(|c| c.name == name)
    }

    /// `a ÷ b` of their fastest rounds: noise only adds time, so the minimums are the steadiest
    /// estimate of what the code itself costs (shown beside the goals' median ratios).
    fn min_ratio(&self, a: &str, b: &str) -> Option<f64> {
        let fastest = |c: &Contender| c.rounds.iter().copied().reduce(f64::min);
        let (a, b) = (fastest(self.get(a)?)?, fastest(self.get(b)?)?);
        (b > 0.0).then(|| a / b)
    }

    /// `a ÷ b` by `measure`: instructions, or the median of per-round time ratios.
    fn ratio(&self, a: &str, b: &str, measure: Measure) -> Option<f64> {
        let (a, b) = (self.get(a)?, self.get(b)?);
        match measure {
            Measure::Instructions => match (a.instructions, b.instructions) {
                (Some(x), Some(y)) if y > 0.0 => Some(x / y),
                _ => None,
            },
            Measure::Time => median(
                a.rounds
                    .iter()
                    .zip(&b.rounds)
                    .filter(|(_, y)| **y > 0.0)
                    .map(|(x, y)| x / y)
                    .collect(),
            ),
        }
    }
}

/// The median of some values (the mean of the middle two for an even count).
fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// Parses `round <r> <name> <ns>` lines into per-name series.
fn parse_rounds(printed: &str, into: &mut [Contender]) {
    parse_series(printed, "round", into);
}

/// Parses `<kind> <r> <name> <ns>` lines into per-name series.
fn parse_series(printed: &str, kind: &str, into: &mut [Contender]) {
    for line in printed.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some(kind) {
            continue;
        }
        let (Some(_), Some(name), Some(ns)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        if let (Some(c), Ok(ns)) = (into.iter_mut().find(|c| c.name == name), ns.parse()) {
            c.rounds.push(ns);
        }
    }
}

/// Appends the issue's table: instructions (callgrind) and interleaved times of every contender
/// in every case, then each goal with its measured ratio and whether it is met.
fn instruction_table(report: &mut String) -> Result<(), DynError> {
    let _ = writeln!(
        report,
        "\n## Signing and PKCE against the floor (callgrind, interleaved timing)\n"
    );
    let valgrind = ensure_valgrind();
    let mut probes: Vec<((&str, &str), PathBuf)> = Vec::new();
    let mut results = Vec::new();
    for spec in CASES {
        let probe = match probes.iter().find(|(p, _)| *p == spec.probe) {
            Some((_, path)) => path.clone(),
            None => {
                let path = build_probe(spec.probe.0, spec.probe.1)?;
                probes.push((spec.probe, path.clone()));
                path
            }
        };
        let mut contenders: Vec<Contender> = spec
            .contenders
            .iter()
            .map(|name| Contender {
                name,
                instructions: None,
                rounds: Vec::new(),
            })
            .collect();
        if valgrind.is_ok() {
            for c in &mut contenders {
                let n = spec.calls;
                let one = callgrind_instructions(&probe, c.name, n, spec.case_args)?;
                let two = callgrind_instructions(&probe, c.name, 2 * n, spec.case_args)?;
                c.instructions = Some((two as f64 - one as f64) / f64::from(n));
            }
        }
        for _ in 0..TIME_RUNS {
            let mut cmd = Command::new(&probe);
            cmd.arg("--time")
                .args(spec.case_args)
                .args(["--rounds", TIME_ROUNDS]);
            println!("$ {}", Shown(&cmd));
            parse_rounds(&output(cmd)?, &mut contenders);
        }
        results.push(CaseResult { spec, contenders });
    }

    let mut rows = Vec::new();
    for result in &results {
        let floor = result.spec.floor;
        for c in &result.contenders {
            let ratio = |m| {
                result
                    .ratio(c.name, floor, m)
                    .map_or_else(|| "n/a".to_string(), |r| format!("{r:.2}×"))
            };
            rows.push(vec![
                result.spec.title.to_string(),
                c.name.to_string(),
                c.instructions
                    .map_or_else(|| "n/a".to_string(), |n| thousands(n.round())),
                ratio(Measure::Instructions),
                median(c.rounds.clone()).map_or_else(|| "n/a".to_string(), format_ns),
                ratio(Measure::Time),
                result
                    .min_ratio(c.name, floor)
                    .map_or_else(|| "n/a".to_string(), |r| format!("{r:.2}×")),
            ]);
        }
    }
    markdown_table(
        report,
        &[
            "case",
            "contender",
            "instructions/call",
            "÷ floor (instr)",
            "time/call (median)",
            "÷ floor (time)",
            "÷ floor (min time)",
        ],
        &[false, false, true, true, true, true, true],
        &rows,
    );
    let _ = writeln!(
        report,
        "\nEvery contender gets the same input inside the loop: `oauth1-request` the same raw URL \
         and body (splitting, decoding and `ParameterList` sorting included); \
         `oauth1-request-presorted` a list decoded and sorted beforehand (on the X example its \
         derived, compile-time sorted request). `floor` is HMAC-SHA1 over the precomputed base \
         string keyed per call, `floor-prekeyed` the same from a keyed state (what a reused \
         `Signer` keeps); the X row's floor is the prekeyed one. PKCE's floor draws 32 bytes \
         from the same thread RNG, hashes and encodes into stack buffers. Instructions: \
         callgrind, a run of 2N calls minus a run of N. Times: the median over all rounds of \
         {TIME_RUNS} interleaved runs ({TIME_ROUNDS} rounds each, a batch of about 1 ms per \
         contender per round); ratios are medians of per-round ratios, so a busy machine moves \
         them far less than the times; the goals are judged on them. \"÷ floor (min time)\" is \
         the ratio of the fastest rounds (noise only adds time), the steadiest run to run."
    );

    let _ = writeln!(report, "\n### Goals\n");
    let mut rows = Vec::new();
    for goal in GOALS {
        let measured = results
            .iter()
            .find(|r| r.spec.title == goal.case)
            .and_then(|r| r.ratio(goal.subject, goal.against, goal.measure));
        let what = match goal.measure {
            Measure::Instructions => "instructions",
            Measure::Time => "time",
        };
        let target = if goal.max < 1.0 {
            format!(
                "{} ≥ {:.1}× faster than {} ({what})",
                goal.subject,
                1.0 / goal.max,
                goal.against
            )
        } else {
            format!(
                "{} ≤ {:.2}× {} ({what})",
                goal.subject, goal.max, goal.against
            )
        };
        let (value, met) = match measured {
            Some(r) if goal.max < 1.0 => (
                format!("{:.2}× faster", 1.0 / r),
                if r <= goal.max { "yes" } else { "**no**" },
            ),
            Some(r) => (
                format!("{r:.2}×"),
                if r <= goal.max { "yes" } else { "**no**" },
            ),
            None => ("n/a".to_string(), "not measured"),
        };
        rows.push(vec![goal.case.to_string(), target, value, met.to_string()]);
    }
    markdown_table(
        report,
        &["case", "goal", "measured", "met"],
        &[false, false, true, false],
        &rows,
    );
    let met = GOALS
        .iter()
        .zip(&rows)
        .filter(|(_, row)| row[3] == "yes")
        .count();
    let _ = writeln!(report, "\n{met} of {} goals met in this run.", GOALS.len());

    // Allocations per signature on the X example.
    let sign_probe = probes
        .iter()
        .find(|(p, _)| p.1 == "sign_probe")
        .map(|(_, path)| path.clone());
    if let Some(probe) = sign_probe {
        let mut cells = Vec::new();
        for signer in CASES[0].contenders {
            let mut allocs = Command::new(&probe);
            allocs.args([signer, "1000", "--allocs"]);
            let printed = output(allocs)?;
            let n = printed
                .trim()
                .parse::<f64>()
                .map_or_else(|_| printed.trim().to_string(), |n| format!("{n:.2}"));
            cells.push(format!("{signer} {n}"));
        }
        let _ = writeln!(
            report,
            "\nHeap allocations per signature (X example): {}.",
            cells.join(", ")
        );
    }
    if let Err(why) = valgrind {
        let _ = writeln!(report, "\nInstruction counts skipped: {why}.");
    }
    Ok(())
}

/// Builds a probe example with the bench profile (the benches' optimised dependencies are
/// reused) and returns the executable's path.
fn build_probe(package: &str, example: &str) -> Result<PathBuf, DynError> {
    let mut cmd = cargo([
        "build",
        "--profile",
        "bench",
        "-p",
        package,
        "--example",
        example,
        "--message-format=json-render-diagnostics",
    ]);
    println!("$ {}", Shown(&cmd));
    cmd.stderr(Stdio::inherit());
    let messages = output(cmd)?;
    messages
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .filter_map(|l| json_string(l, "executable"))
        .map(PathBuf::from)
        .find(|p| p.file_stem().is_some_and(|n| n == example))
        .ok_or_else(|| format!("cargo build did not report the {example} executable").into())
}

/// Requests per callgrind run of the adapter probe (the second run makes twice as many).
const ADAPTER_PROBE_REQUESTS: u32 = 200;

/// Rounds per timing run of the adapter probe (a batch of 200 requests per side per round).
const ADAPTER_PROBE_ROUNDS: &str = "15";

/// Appends the adapter's own per-request cost: instructions (callgrind over requests answered
/// in process) and interleaved µs, plain reqwest beside the OAuth 1.0a `ApiClient`.
fn adapter_cost_table(report: &mut String) -> Result<(), DynError> {
    let _ = writeln!(
        report,
        "\n## The reqwest adapter's own cost per request (in-process responder)\n"
    );
    let mut cmd = cargo([
        "build",
        "--profile",
        "bench",
        "-p",
        "twitter-auth-reqwest",
        "--bench",
        "overhead",
        "--message-format=json-render-diagnostics",
    ]);
    println!("$ {}", Shown(&cmd));
    cmd.stderr(Stdio::inherit());
    let messages = output(cmd)?;
    let probe = messages
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .filter_map(|l| json_string(l, "executable"))
        .map(PathBuf::from)
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("overhead"))
        })
        .ok_or("cargo build did not report the overhead bench executable")?;

    let mut sides = [
        Contender {
            name: "plain",
            instructions: None,
            rounds: Vec::new(),
        },
        Contender {
            name: "adapter",
            instructions: None,
            rounds: Vec::new(),
        },
    ];
    if ensure_valgrind().is_ok() {
        for side in &mut sides {
            let mut counts = [0u64; 2];
            for (count, n) in counts
                .iter_mut()
                .zip([ADAPTER_PROBE_REQUESTS, 2 * ADAPTER_PROBE_REQUESTS])
            {
                let mut cmd = Command::new("valgrind");
                cmd.args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
                    .arg(&probe)
                    .env("OVERHEAD_PROBE", format!("{}:{n}", side.name));
                println!("$ {}", Shown(&cmd));
                let out = cmd.output()?;
                let stderr = String::from_utf8_lossy(&out.stderr);
                if !out.status.success() {
                    return Err(
                        format!("callgrind run of the adapter probe failed:\n{stderr}").into(),
                    );
                }
                *count = parse_callgrind_total(&stderr).ok_or("no callgrind total")?;
            }
            side.instructions =
                Some((counts[1] as f64 - counts[0] as f64) / f64::from(ADAPTER_PROBE_REQUESTS));
        }
    }
    // Pinned to one CPU, client and responder take turns on it: no cross-CPU wake-ups, the
    // fastest and steadiest loopback round trip, and the client thread's CPU time per request
    // (`cpu` lines) shows the adapter's own work. Unpinned, the round trip a quiet machine
    // gives (idle CPUs woken for every answer).
    let pin = Command::new("taskset")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let new_sides = || {
        ["plain", "adapter"].map(|name| Contender {
            name,
            instructions: None,
            rounds: Vec::new(),
        })
    };
    let (mut pinned_wall, mut pinned_cpu, mut quiet_wall) = (new_sides(), new_sides(), new_sides());
    for _ in 0..TIME_RUNS {
        for pinned in [true, false] {
            let mut cmd = if pinned && pin {
                let mut cmd = Command::new("taskset");
                cmd.args(["-c", "0"]).arg(&probe);
                cmd
            } else {
                Command::new(&probe)
            };
            cmd.env("OVERHEAD_PROBE", format!("time:{ADAPTER_PROBE_ROUNDS}"));
            println!("$ {}", Shown(&cmd));
            let printed = output(cmd)?;
            if pinned {
                parse_rounds(&printed, &mut pinned_wall);
                parse_series(&printed, "cpu", &mut pinned_cpu);
            } else {
                parse_rounds(&printed, &mut quiet_wall);
            }
        }
    }
    let per_round_difference = |sides: &[Contender; 2]| {
        median(
            sides[1]
                .rounds
                .iter()
                .zip(&sides[0].rounds)
                .map(|(a, p)| a - p)
                .collect(),
        )
    };
    let own_cpu = per_round_difference(&pinned_cpu);
    let own_wall = per_round_difference(&pinned_wall);
    let pinned_rtt = median(pinned_wall[0].rounds.clone());
    let quiet_rtt = median(quiet_wall[0].rounds.clone());
    let share = |rtt: Option<f64>| match (own_cpu, rtt) {
        (Some(d), Some(r)) if r > 0.0 => Some(d / r * 100.0),
        _ => None,
    };
    let (share_quiet, share_pinned) = (share(quiet_rtt), share(pinned_rtt));
    let us = |n: Option<f64>| n.map_or_else(|| "n/a".to_string(), |n| format!("{:.2} µs", n / 1e3));
    let instr = |n: Option<f64>| n.map_or_else(|| "n/a".to_string(), |n| thousands(n.round()));
    let [plain, adapter] = &sides;
    let extra = match (plain.instructions, adapter.instructions) {
        (Some(p), Some(a)) => Some(a - p),
        _ => None,
    };
    let rows = vec![
        vec![
            "plain reqwest (header signed beforehand)".to_string(),
            instr(plain.instructions),
            us(median(pinned_cpu[0].rounds.clone())),
            us(pinned_rtt),
            us(quiet_rtt),
        ],
        vec![
            "`ApiClient::send`, OAuth 1.0a (signs inside)".to_string(),
            instr(adapter.instructions),
            us(median(pinned_cpu[1].rounds.clone())),
            us(median(pinned_wall[1].rounds.clone())),
            us(median(quiet_wall[1].rounds.clone())),
        ],
        vec![
            "the adapter's own cost (per-round difference)".to_string(),
            instr(extra),
            us(own_cpu),
            us(own_wall),
            "—".to_string(),
        ],
    ];
    markdown_table(
        report,
        &[
            "per request",
            "instructions",
            "client CPU (pinned)",
            "round trip (pinned)",
            "round trip (quiet)",
        ],
        &[false, true, true, true, true],
        &rows,
    );
    let percent = |s: Option<f64>| s.map_or_else(|| "n/a".to_string(), |s| format!("{s:.1} %"));
    let met = share_quiet.map_or("not measured", |s| {
        if s < ADAPTER_MAX_OVERHEAD_PERCENT {
            "met"
        } else {
            "**not met**"
        }
    });
    let _ = writeln!(
        report,
        "\nThe adapter's own CPU time is {} of a loopback round trip on a quiet machine (goal < \
         {ADAPTER_MAX_OVERHEAD_PERCENT:.0} %: {met}) and {} of the fastest one (both processes' \
         threads on one CPU: no wake-ups across CPUs). Instructions: {} more than plain reqwest \
         per request, {} of plain reqwest's own.",
        percent(share_quiet),
        percent(share_pinned),
        instr(extra),
        match (extra, plain.instructions) {
            (Some(e), Some(p)) if p > 0.0 => format!("{:.1} %", e / p * 100.0),
            _ => "n/a".to_string(),
        },
    );
    let mut allocs = Command::new(&probe);
    allocs.env("OVERHEAD_PROBE", "allocs:2000");
    println!("$ {}", Shown(&allocs));
    let cells: Vec<String> = output(allocs)?
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["allocs", side, count, bytes] => Some(format!("{side} {count} ({bytes} bytes)")),
                _ => None,
            }
        })
        .collect();
    let _ = writeln!(
        report,
        "\nHeap allocations per request (2,000 requests, every thread): {}.",
        cells.join(", ")
    );
    let _ = writeln!(
        report,
        "\n`GET /1.1/account/verify_credentials.json` to a responder thread in the same process \
         (`benches/overhead.rs`, `OVERHEAD_PROBE`), one keep-alive connection, both sides \
         signing the same number of headers outside the measured path so that cancels (the \
         adapter then signs each request again inside, which is part of its cost). \
         Instructions: callgrind, {} requests minus {} (client, runtime and responder; the \
         responder's work is the same on both sides; SHA-1 runs in software under valgrind, so \
         signing weighs more there than on a CPU with SHA extensions). Times: {TIME_RUNS} runs \
         of {ADAPTER_PROBE_ROUNDS} rounds, 200 requests per side per round, alternating which \
         side goes first; the own cost is the median per-round difference of the client \
         thread's CPU time (Linux scheduler statistics) with the process pinned to one CPU{}; \
         round trips are the medians of wall time per request.",
        2 * ADAPTER_PROBE_REQUESTS,
        ADAPTER_PROBE_REQUESTS,
        if pin {
            ""
        } else {
            " (taskset missing: not pinned)"
        },
    );
    Ok(())
}

/// `Ok` if valgrind runs, installing it with apt-get when missing and running as root;
/// otherwise why instruction counts are skipped.
fn ensure_valgrind() -> Result<(), String> {
    let works = || {
        Command::new("valgrind")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works() {
        return Ok(());
    }
    if !is_root() {
        let why = "valgrind is not installed and we are not root, so cannot `apt-get install -y valgrind`";
        println!("skipping instruction counts: {why}");
        return Err(why.to_string());
    }
    println!(
        "valgrind is missing and we are root: installing it with apt-get for the instruction counts"
    );
    let apt = |args: &[&str]| {
        let mut cmd = Command::new("apt-get");
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        println!("$ {}", Shown(&cmd));
        cmd.status().is_ok_and(|s| s.success())
    };
    if !apt(&["install", "-y", "valgrind"]) {
        let _ = apt(&["update"]) && apt(&["install", "-y", "valgrind"]);
    }
    if works() {
        Ok(())
    } else {
        let why =
            "valgrind is not installed and `apt-get install -y valgrind` did not make it available";
        println!("skipping instruction counts: {why}");
        Err(why.to_string())
    }
}

/// Whether this process runs as root (real uid 0, from `/proc/self/status`).
fn is_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().next())
            .is_some_and(|uid| uid == "0")
    })
}

/// Total instructions of `probe <signer> <n> <args>` under callgrind.
fn callgrind_instructions(
    probe: &Path,
    signer: &str,
    n: u32,
    args: &[&str],
) -> Result<u64, DynError> {
    let mut cmd = Command::new("valgrind");
    cmd.args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(probe)
        .args([signer, &n.to_string()])
        .args(args);
    println!("$ {}", Shown(&cmd));
    let out = cmd.output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "callgrind run of sign_probe {signer} {n} failed ({}):\n{stderr}",
            out.status
        )
        .into());
    }
    parse_callgrind_total(&stderr).ok_or_else(|| {
        format!("no `Collected :` or `I refs:` line in callgrind output:\n{stderr}").into()
    })
}

/// The instruction total from callgrind's summary on stderr.
fn parse_callgrind_total(stderr: &str) -> Option<u64> {
    let number = |text: &str| text.trim().replace(',', "").parse().ok();
    let collected = stderr
        .lines()
        .find_map(|l| l.split_once("Collected :").and_then(|(_, n)| number(n)));
    collected.or_else(|| {
        stderr
            .lines()
            .find_map(|l| l.split_once("I   refs:").and_then(|(_, n)| number(n)))
    })
}

/// A duration in nanoseconds with a readable unit.
fn format_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// A whole number with `,` between thousands.
fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.abs());
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if n < 0.0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// Appends a padded Markdown table; `right[i]` right-aligns column `i`.
fn markdown_table(report: &mut String, headers: &[&str], right: &[bool], rows: &[Vec<String>]) {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([headers[i].chars().count(), 3])
            .max()
            .unwrap_or(3)
    };
    let widths: Vec<usize> = (0..headers.len()).map(width).collect();
    let line = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
    let pad = |i: usize, cell: &str| {
        let fill = " ".repeat(widths[i] - cell.chars().count());
        if right[i] {
            format!("{fill}{cell}")
        } else {
            format!("{cell}{fill}")
        }
    };
    let _ = writeln!(
        report,
        "{}",
        line(headers.iter().enumerate().map(|(i, h)| pad(i, h)).collect())
    );
    let rule = widths
        .iter()
        .zip(right)
        .map(|(w, r)| {
            if *r {
                format!("{}:", "-".repeat(w - 1))
            } else {
                "-".repeat(*w)
            }
        })
        .collect();
    let _ = writeln!(report, "{}", line(rule));
    for row in rows {
        let _ = writeln!(
            report,
            "{}",
            line(row.iter().enumerate().map(|(i, c)| pad(i, c)).collect())
        );
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Unit tests of the report helpers.
#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::{
        CASES, CaseResult, Contender, Measure, Measurement, adapter_table, civil_from_days,
        format_ns, mean_point_estimate, mock_table, parse_callgrind_total, parse_rounds,
        parse_series, thousands, throughput_elements,
    };

    /// Day counts map to the right calendar dates, leap days included.
    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }

    /// Times get a readable unit; counts get thousands separators.
    #[test]
    fn formatting() {
        assert_eq!(format_ns(138.137), "138.1 ns");
        assert_eq!(format_ns(2_345.0), "2.35 µs");
        assert_eq!(format_ns(3_456_789.0), "3.46 ms");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(thousands(999.0), "999");
    }

    /// The mean, not another estimate, is read from `estimates.json`.
    #[test]
    fn criterion_mean() {
        let estimates = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":137.7,"upper_bound":138.6},"point_estimate":138.13,"standard_error":0.23},"median":{"point_estimate":1.0}}"#;
        assert_eq!(mean_point_estimate(estimates), Some(138.13));
    }

    /// Both callgrind summary formats are understood.
    #[test]
    fn ratios_of_rounds() {
        let printed = "round 0 ours 300\nround 0 floor 100\nround 1 ours 200\nround 1 floor 50\n\
                       cpu 0 ours 9\nround 2 ours 150\nround 2 floor 90\n";
        let mut contenders = ["ours", "floor"].map(|name| Contender {
            name,
            instructions: None,
            rounds: Vec::new(),
        });
        parse_rounds(printed, &mut contenders);
        assert_eq!(contenders[0].rounds, [300.0, 200.0, 150.0]);
        let mut cpu = [Contender {
            name: "ours",
            instructions: None,
            rounds: Vec::new(),
        }];
        parse_series(printed, "cpu", &mut cpu);
        assert_eq!(cpu[0].rounds, [9.0]);
        let result = CaseResult {
            spec: &CASES[0],
            contenders: contenders.into(),
        };
        // Per-round ratios 3, 4 and 1.67: their median is 3; the fastest rounds give 150 / 50.
        assert_eq!(result.ratio("ours", "floor", Measure::Time), Some(3.0));
        assert_eq!(result.min_ratio("ours", "floor"), Some(3.0));
        assert_eq!(result.min_ratio("ours", "nobody"), None);
    }

    #[test]
    fn callgrind_totals() {
        assert_eq!(
            parse_callgrind_total("==1== Events    : Ir\n==1== Collected : 1234567\n"),
            Some(1_234_567)
        );
        assert_eq!(
            parse_callgrind_total("==1== I   refs:      1,234,567\n"),
            Some(1_234_567)
        );
        assert_eq!(parse_callgrind_total("nothing"), None);
    }

    /// Elements per iteration come from `throughput`; benches without one have none.
    #[test]
    fn criterion_throughput() {
        let with = r#"{"group_id":"mock/verify_http","function_id":"2-clients","value_str":null,"throughput":{"Elements":4000},"full_id":"mock/verify_http/2-clients"}"#;
        assert_eq!(throughput_elements(with), Some(4000.0));
        let without = r#"{"group_id":"mock/start_stop","function_id":"first-answer","value_str":null,"throughput":null}"#;
        assert_eq!(throughput_elements(without), None);
    }

    /// The mock section turns means into milliseconds and rates, judges them against the
    /// issue's targets, and says which benches did not run.
    #[test]
    fn mock_section() {
        let m = |group: &str, function: &str, mean_ns: f64, elements: Option<f64>| Measurement {
            group: group.to_string(),
            function: function.to_string(),
            mean_ns,
            elements,
            written: UNIX_EPOCH,
        };
        let measurements = [
            m("mock/start_stop", "first-answer", 1_500_000.0, None),
            m("mock/verify_in_memory", "handler", 4_000.0, Some(1.0)),
            m("mock/verify_http", "2-clients", 1e9, Some(4_000.0)),
        ];
        let mut report = String::new();
        mock_table(&mut report, &measurements);
        let row = |start: &str| {
            report
                .lines()
                .find(|l| l.starts_with(&format!("| {start}")))
                .unwrap_or_default()
                .split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(row("start")[1..], ["1.50 ms", "< 100 ms", "yes"]);
        assert_eq!(
            row("verifications/s in memory")[1..],
            ["250,000/s", "≥ 5,000/s", "yes"]
        );
        assert_eq!(
            row("verifications/s over HTTP, 1")[1..],
            ["not run", "≥ 5,000/s"]
        );
        assert_eq!(
            row("verifications/s over HTTP, 2")[1..],
            ["4,000/s", "≥ 5,000/s", "**no**"]
        );

        let mut empty = String::new();
        mock_table(&mut empty, &[]);
        assert!(empty.contains("No results"));
    }

    /// The adapter section turns batch means into requests per second, computes the overhead
    /// against plain reqwest, judges it against the 5 % goal, and says what did not run.
    #[test]
    fn adapter_section() {
        let m = |function: &str, mean_ns: f64| Measurement {
            group: "adapter/overhead".to_string(),
            function: function.to_string(),
            mean_ns,
            elements: Some(1_000.0),
            written: UNIX_EPOCH,
        };
        let cells = |report: &str| {
            report
                .lines()
                .filter(|l| l.starts_with('|'))
                .nth(2)
                .unwrap_or_default()
                .split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };

        // 1,000 requests in 80 ms and in 82 ms: 12,500/s and 12,195/s, 2.4 % slower.
        let mut report = String::new();
        adapter_table(
            &mut report,
            &[m("plain-reqwest", 80e6), m("reqwest-adapter-oauth1", 82e6)],
        );
        assert!(report.contains("## adapter overhead (`twitter-auth-reqwest`, OAuth 1.0a)"));
        assert_eq!(
            cells(&report),
            ["12,500", "12,195", "2.4 %", "< 5 %", "yes"]
        );

        // 1,000 requests in 100 ms: 10,000/s, 20 % slower.
        let mut slow = String::new();
        adapter_table(
            &mut slow,
            &[m("reqwest-adapter-oauth1", 100e6), m("plain-reqwest", 80e6)],
        );
        assert_eq!(
            cells(&slow),
            ["12,500", "10,000", "20.0 %", "< 5 %", "**no**"]
        );

        let mut half = String::new();
        adapter_table(&mut half, &[m("plain-reqwest", 80e6)]);
        assert_eq!(cells(&half), ["12,500", "not run", "n/a", "< 5 %"]);

        let mut empty = String::new();
        adapter_table(&mut empty, &[]);
        assert!(empty.contains("No results"));
    }
}
