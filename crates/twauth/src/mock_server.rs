//! `twauth mock-server`: the fake X in the foreground (feature `demo`), with its apps' and
//! users' (made-up) credentials printed, and what tests and demos need: short token lifetimes,
//! rate limits, injected faults, and the mock's counters.
//!
//! [`start`] is the one place twauth starts the fake X (the demo uses it too). While serving,
//! stdin takes commands, one per line: `counters` (one JSON line on stdout), `fault SPEC`,
//! `advance SECS`, `consent page|approve|deny`, `quit`; `--counters-file PATH` keeps the
//! counters in a file as well.

use std::io::{BufRead as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use twitter_auth_mock::{Consent, Counters, Fault, FaultKind, MockConfig, MockX, RateLimits};

use crate::ui::{self, errln, outln};

/// Options.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The loopback port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// What the authorize pages do: show a consent page a browser can use, or approve or deny
    /// at once.
    #[arg(long, value_enum, default_value_t = ConsentArg::Page)]
    consent: ConsentArg,
    /// Lifetime of OAuth 2.0 access tokens, in seconds (X: 7200).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    access_token_ttl: Option<u64>,
    /// Lifetime of OAuth 2.0 refresh tokens, in seconds (about six months at X).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    refresh_token_ttl: Option<u64>,
    /// A per-endpoint request limit, `"METHOD /path=N"` (repeatable), e.g.
    /// `--rate-limit "GET /2/users/me=3"` (`:name` for path parameters).
    #[arg(long, value_name = "ENDPOINT=N", value_parser = rate_limit)]
    rate_limit: Vec<(String, u32)>,
    /// The limit of every endpoint not given by --rate-limit (X's published ones by default).
    #[arg(long, value_name = "N")]
    rate_limit_default: Option<u32>,
    /// The rate-limit window, in seconds (X: 900).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    rate_limit_window: Option<u64>,
    /// A fault for the next requests to a path, `KIND:PATH[:TIMES]` (repeatable). KIND is an
    /// HTTP status (`503`), `drop` (connection closed, request not processed), `lose` (processed,
    /// answer lost), `malformed` (200 with a truncated body), `delay=SECS`, or
    /// `rate-limited=SECS` (429 until SECS from now). E.g. `--fault 503:/2/users/me:2`.
    #[arg(long, value_name = "KIND:PATH[:TIMES]", value_parser = fault)]
    fault: Vec<FaultSpec>,
    /// Seed of the token generator: the same seed issues the same tokens.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Keep the mock's counters (JSON) in this file, rewritten when they change.
    #[arg(long, value_name = "PATH")]
    counters_file: Option<PathBuf>,
}

/// `--consent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ConsentArg {
    /// A consent page with Authorize and Cancel buttons.
    Page,
    /// Approve at once (redirect to the callback).
    Approve,
    /// Deny at once.
    Deny,
}

impl From<ConsentArg> for Consent {
    fn from(consent: ConsentArg) -> Self {
        match consent {
            ConsentArg::Page => Self::Page,
            ConsentArg::Approve => Self::Approve,
            ConsentArg::Deny => Self::Deny,
        }
    }
}

/// A parsed `--fault`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FaultSpec {
    path: String,
    times: u32,
    kind: FaultKind,
}

impl FaultSpec {
    fn fault(&self) -> Fault {
        Fault::new(self.path.clone(), self.times, self.kind.clone())
    }
}

fn rate_limit(text: &str) -> Result<(String, u32), String> {
    let (endpoint, limit) = text
        .rsplit_once('=')
        .ok_or("expected \"METHOD /path=N\", e.g. \"GET /2/users/me=3\"")?;
    let endpoint = endpoint.trim();
    let (method, path) = endpoint
        .split_once(' ')
        .ok_or("the endpoint is \"METHOD /path\", e.g. \"GET /2/users/me\"")?;
    if !path.starts_with('/') || method.is_empty() {
        return Err("the endpoint is \"METHOD /path\", e.g. \"GET /2/users/me\"".to_owned());
    }
    let limit = limit
        .trim()
        .parse()
        .map_err(|_| format!("{limit:?} is not a number of requests"))?;
    Ok((format!("{} {path}", method.to_ascii_uppercase()), limit))
}

fn fault(text: &str) -> Result<FaultSpec, String> {
    let (kind, rest) = text
        .split_once(':')
        .ok_or("expected KIND:PATH[:TIMES], e.g. 503:/2/users/me")?;
    let (path, times) = match rest.rsplit_once(':') {
        Some((path, times)) if times.chars().all(|c| c.is_ascii_digit()) && !times.is_empty() => (
            path,
            times
                .parse()
                .map_err(|_| format!("{times:?} is not a count"))?,
        ),
        _ => (rest, 1),
    };
    if !path.starts_with('/') {
        return Err(format!("the path {path:?} must start with /"));
    }
    let seconds = |v: &str| {
        v.parse::<u64>()
            .map_err(|_| format!("{v:?} is not a number of seconds"))
    };
    let kind = match kind {
        "drop" => FaultKind::DropConnection,
        "lose" => FaultKind::LoseResponse,
        "malformed" => FaultKind::MalformedBody,
        k if k.starts_with("delay=") => FaultKind::Delay(Duration::from_secs(seconds(&k[6..])?)),
        k if k.starts_with("rate-limited=") => FaultKind::RateLimited {
            reset_after: seconds(&k[13..])?,
        },
        k => match k.parse::<u16>() {
            Ok(status) if (100..600).contains(&status) => FaultKind::Status(status),
            _ => {
                return Err(format!(
                    "unknown fault {k:?}: an HTTP status, drop, lose, malformed, delay=SECS or rate-limited=SECS"
                ));
            }
        },
    };
    Ok(FaultSpec {
        path: path.to_owned(),
        times,
        kind,
    })
}

/// Starts the fake X on `addr` (port 0: a free one) with `config`: twauth's one place that
/// starts it.
pub(crate) fn start(addr: SocketAddr, config: MockConfig) -> std::io::Result<MockX> {
    MockX::start_on(addr, config)
}

/// The mock's counters as JSON.
pub(crate) fn counters_json(counters: &Counters) -> serde_json::Value {
    serde_json::json!({
        "requests": counters.requests,
        "request_tokens": counters.request_tokens,
        "oauth1_access_tokens": counters.oauth1_access_tokens,
        "bearer_tokens": counters.bearer_tokens,
        "authorization_codes": counters.authorization_codes,
        "oauth2_access_tokens": counters.oauth2_access_tokens,
        "refreshes": counters.refreshes,
        "refresh_replays": counters.refresh_replays,
        "revocations": counters.revocations,
        "invalidations": counters.invalidations,
        "rejected_signatures": counters.rejected_signatures,
        "rate_limited": counters.rate_limited,
        "faults": counters.faults,
    })
}

/// The config the flags ask for.
fn config(args: &Args) -> MockConfig {
    let mut config = MockConfig {
        consent: args.consent.into(),
        seed: args.seed,
        ..MockConfig::default()
    };
    if let Some(ttl) = args.access_token_ttl {
        config.access_token_ttl = ttl;
    }
    if let Some(ttl) = args.refresh_token_ttl {
        config.refresh_token_ttl = ttl;
    }
    let mut limits = RateLimits::default();
    if let Some(window) = args.rate_limit_window {
        limits.window = window;
    }
    if let Some(default) = args.rate_limit_default {
        limits.default = default;
        limits.per_endpoint.clear();
    }
    for (endpoint, limit) in &args.rate_limit {
        limits = limits.with(endpoint, *limit);
    }
    config.rate_limits = limits;
    config
}

/// Prints the world: URL, apps with their credentials, users.
fn describe(x: &MockX) {
    let config = x.config();
    if ui::json() {
        let apps: Vec<_> = config
            .apps
            .iter()
            .map(|app| {
                serde_json::json!({
                    "name": app.name,
                    "owner": app.owner,
                    "consumer_key": app.consumer_key,
                    "consumer_secret": app.consumer_secret,
                    "client_id": app.client_id(),
                    "client_secret": app.client_secret(),
                    "access_tokens": app.user_tokens.iter().map(|t| serde_json::json!({
                        "user_id": t.user_id, "token": t.token, "secret": t.secret,
                    })).collect::<Vec<_>>(),
                    "callbacks": app.callbacks,
                })
            })
            .collect();
        let users: Vec<_> = config
            .users
            .iter()
            .map(|u| serde_json::json!({"id": u.id, "username": u.username, "name": u.name}))
            .collect();
        ui::out_json(&serde_json::json!({
            "base_url": x.base_url(),
            "consent": format!("{:?}", config.consent),
            "access_token_ttl": config.access_token_ttl,
            "apps": apps,
            "users": users,
        }));
        return;
    }
    outln!("fake X listening on {}", x.base_url());
    outln!("consent: {:?}", config.consent);
    outln!(
        "access tokens live {}s, refresh tokens {}s; rate-limit window {}s",
        config.access_token_ttl,
        config.refresh_token_ttl,
        config.rate_limits.window
    );
    for app in &config.apps {
        outln!("\napp {:?} (owner {})", app.name, app.owner);
        outln!("  consumer key     {}", app.consumer_key);
        outln!("  consumer secret  {}", app.consumer_secret);
        if let Some(id) = app.client_id() {
            outln!("  client id        {id}");
        }
        match app.client_secret() {
            Some(secret) => outln!("  client secret    {secret}  (confidential client)"),
            None if app.oauth2.is_some() => outln!("  client secret    none (public client)"),
            None => {}
        }
        for token in &app.user_tokens {
            outln!(
                "  access token     {}  (user {})",
                token.token,
                token.user_id
            );
            outln!("  token secret     {}", token.secret);
        }
        outln!("  callbacks        {}", app.callbacks.join(" "));
    }
    outln!("\nusers:");
    for user in &config.users {
        outln!("  {} @{} ({})", user.id, user.username, user.name);
    }
    outln!(
        "\nthese are made-up demo credentials; stdin takes `counters`, `fault KIND:PATH[:TIMES]`, \
         `advance SECS`, `consent page|approve|deny`, `quit`; press Ctrl-C to stop"
    );
}

/// One stdin command; `false` to stop serving.
fn command(x: &MockX, line: &str) -> bool {
    let line = line.trim();
    let (name, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    match name {
        "" => {}
        "counters" => ui::out_json(&counters_json(&x.counters())),
        "quit" | "exit" => return false,
        "fault" => match fault(rest) {
            Ok(spec) => {
                x.inject(spec.fault());
                errln!("fault queued: {rest}");
            }
            Err(e) => errln!("fault: {e}"),
        },
        "advance" => match rest.parse::<u64>() {
            Ok(secs) => {
                x.advance(Duration::from_secs(secs));
                errln!("clock advanced {secs}s");
            }
            Err(_) => errln!("advance takes a number of seconds"),
        },
        "consent" => match rest {
            "page" => x.set_consent(Consent::Page),
            "approve" => x.set_consent(Consent::Approve),
            "deny" => x.set_consent(Consent::Deny),
            _ => errln!("consent takes page, approve or deny"),
        },
        other => errln!(
            "unknown command {other:?}: counters, fault KIND:PATH[:TIMES], advance SECS, consent page|approve|deny, quit"
        ),
    }
    true
}

/// Rewrites `path` with the counters whenever they change (every 200 ms at most).
fn keep_counters(x: &MockX, path: &std::path::Path, last: &mut Option<Counters>) {
    let counters = x.counters();
    if last.as_ref() == Some(&counters) {
        return;
    }
    let mut text = counters_json(&counters).to_string();
    text.push('\n');
    let temp = path.with_extension("tmp");
    let written = std::fs::File::create(&temp)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        errln!("twauth: cannot write {}: {e}", path.display());
    }
    *last = Some(counters);
}

/// Runs the command: serves until killed, or until `quit` on stdin.
pub(crate) fn run(args: &Args) -> ExitCode {
    let port = args.port;
    let x = match start(SocketAddr::from(([127, 0, 0, 1], port)), config(args)) {
        Ok(x) => x,
        Err(e) => {
            errln!("twauth: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    for spec in &args.fault {
        x.inject(spec.fault());
    }
    describe(&x);
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let x = &x;
        scope.spawn(move || {
            let stdin = std::io::stdin();
            let mut line = String::new();
            loop {
                line.clear();
                match stdin.lock().read_line(&mut line) {
                    // End of stdin (or </dev/null): keep serving.
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if !command(x, &line) {
                            let _ = stop.send(());
                            return;
                        }
                    }
                }
            }
        });
        let mut last = None;
        loop {
            if let Some(path) = &args.counters_file {
                keep_counters(x, path, &mut last);
            }
            match stopped.recv_timeout(Duration::from_millis(200)) {
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Ok(()) => std::process::exit(0),
                // Stdin ended: serve until killed.
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    if args.counters_file.is_none() {
                        loop {
                            std::thread::park();
                        }
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs() {
        assert_eq!(
            fault("503:/2/users/me:2"),
            Ok(FaultSpec {
                path: "/2/users/me".into(),
                times: 2,
                kind: FaultKind::Status(503)
            })
        );
        assert_eq!(
            fault("delay=3:/2/oauth2/token").map(|f| (f.kind, f.times)),
            Ok((FaultKind::Delay(Duration::from_secs(3)), 1))
        );
        assert_eq!(
            fault("rate-limited=5:/2/users/me").map(|f| f.kind),
            Ok(FaultKind::RateLimited { reset_after: 5 })
        );
        assert!(fault("boom:/x").is_err());
        assert!(fault("503:nopath").is_err());
    }

    #[test]
    fn rate_limit_specs() {
        assert_eq!(
            rate_limit("get /2/users/me=3"),
            Ok(("GET /2/users/me".into(), 3))
        );
        assert!(rate_limit("/2/users/me=3").is_err());
        assert!(rate_limit("GET /2/users/me=x").is_err());
    }
}
