//! A worker process for the lifecycle tests: calls `GET /2/users/me` for users whose grants live
//! in one `FileStore` directory, through the blocking adapter's `Grants`.
//!
//! - `grant-worker users BASE DIR CLIENT_ID OFFSET THREADS FIRST_ID COUNT [--wait]`: `THREADS`
//!   threads each call once for every user `FIRST_ID ..= FIRST_ID + COUNT - 1` (each thread in
//!   its own order) and check the answer is that user; exit 0 when all were.
//! - `grant-worker once BASE DIR CLIENT_ID OFFSET KEY`: one call; prints `ok`,
//!   `login-required <reason>` (exit 3) or `error <message>` (exit 1).
//! - `grant-worker tasks BASE DIR CLIENT_ID OFFSET TASKS FIRST_ID COUNT [--wait]`: as `users`,
//!   with `TASKS` tokio tasks through the async adapter.
//!
//! `DIR` is a `FileStore` directory, or a `redis://` URL for the Redis store (sealed with the
//! tests' key). `GRANT_WORKER_LEASE_MS`, `GRANT_WORKER_BUDGET_MS` and `GRANT_WORKER_TIMEOUT_MS`
//! set the lease TTL, the send budget and the HTTP timeout (for lease-expiry tests).
//!
//! `OFFSET` is the fake X's clock offset in seconds. With `--wait` the worker prints `ready`
//! once set up and waits for a line on stdin, so a parent can release every worker at once.
//! Exit 2 on bad arguments.

use std::future::Future;
use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use twitter_auth_core::grant::{GrantSettings, UserKey};
use twitter_auth_core::oauth2::App as OAuth2Client;
use twitter_auth_core::{ClientId, Endpoints};
use twitter_auth_redis::{RedisStore, Sealer};
use twitter_auth_std::{BlockingTokenStore, Clock, FileStore, TokenStore};
use twitter_auth_ureq::{Error, Grants, Transport};

/// The key the lifecycle tests seal Redis values with.
const REDIS_KEY: [u8; 32] = *b"lifecycle tests' key, 32 bytes!!";

/// A store that has both faces.
trait AnyStore: TokenStore + BlockingTokenStore {}
impl<S: TokenStore + BlockingTokenStore> AnyStore for S {}

fn open_store(dir: &str) -> Arc<dyn AnyStore> {
    if dir.starts_with("redis://") {
        Arc::new(RedisStore::open(dir, Sealer::new(1, REDIS_KEY)).expect("a Redis URL"))
    } else {
        Arc::new(FileStore::new(dir))
    }
}

fn env_ms(name: &str) -> Option<Duration> {
    std::env::var(name)
        .ok()?
        .parse()
        .ok()
        .map(Duration::from_millis)
}

fn settings() -> GrantSettings {
    let mut settings = GrantSettings::default();
    if let Some(ttl) = env_ms("GRANT_WORKER_LEASE_MS") {
        settings.lease_ttl = ttl;
    }
    if let Some(budget) = env_ms("GRANT_WORKER_BUDGET_MS") {
        settings.send_budget = budget;
    }
    settings
}

/// The system clock moved by the mock's offset, so this process agrees with the mock.
#[derive(Debug)]
struct OffsetClock(u64);

impl Clock for OffsetClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.0)
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let wait = args.last().is_some_and(|last| last == "--wait");
    if wait {
        args.pop();
    }
    let (mode, rest) = args
        .split_first()
        .map_or(("", &[][..]), |(m, r)| (m.as_str(), r));
    let [base, dir, client_id, offset, more @ ..] = rest else {
        return usage();
    };
    let (Ok(offset), Ok(endpoints)) = (offset.parse::<u64>(), Endpoints::local(base)) else {
        return usage();
    };
    let oauth2 = OAuth2Client::public(ClientId::new(client_id.clone())).with_endpoints(endpoints);
    let store = open_store(dir);
    if let ("tasks", [tasks, first, count]) = (mode, more) {
        let (Ok(tasks), Ok(first), Ok(count)) = (
            tasks.parse::<u64>(),
            first.parse::<u64>(),
            count.parse::<u64>(),
        ) else {
            return usage();
        };
        return tasks_mode(oauth2, store, offset, tasks, first, count, wait);
    }
    let mut agent = ureq::Agent::config_builder().timeout_connect(Some(Duration::from_secs(10)));
    agent = agent.timeout_global(Some(
        env_ms("GRANT_WORKER_TIMEOUT_MS").unwrap_or(Duration::from_secs(30)),
    ));
    let transport =
        Transport::with_agent(agent.build().into()).with_clock(Arc::new(OffsetClock(offset)));
    let blocking: Arc<dyn BlockingTokenStore> = store;
    let grants = Grants::new(transport, oauth2, blocking).with_settings(settings());
    match (mode, more) {
        ("users", [threads, first, count]) => {
            let (Ok(threads), Ok(first), Ok(count)) = (
                threads.parse::<u64>(),
                first.parse::<u64>(),
                count.parse::<u64>(),
            ) else {
                return usage();
            };
            if wait && !barrier() {
                return ExitCode::FAILURE;
            }
            users(&grants, threads, first, count)
        }
        ("once", [key]) => once(&grants, key),
        _ => usage(),
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: grant-worker users|tasks BASE DIR CLIENT_ID OFFSET THREADS FIRST_ID COUNT [--wait]\n       grant-worker once BASE DIR CLIENT_ID OFFSET KEY"
    );
    ExitCode::from(2)
}

/// One `2/users/me` for `key`: the user id X answered with.
fn whoami(grants: &Grants, key: &UserKey) -> Result<String, Error> {
    let api = grants.api(key)?;
    let url = api.endpoints().api_url("2/users/me");
    let request = http::Request::get(url.as_str())
        .body(Vec::new())
        .expect("a valid request");
    let answer = api.send(request)?;
    let body: serde_json::Value = serde_json::from_slice(answer.body()).unwrap_or_default();
    Ok(format!(
        "{} {}",
        answer.status().as_u16(),
        body["data"]["id"].as_str().unwrap_or("-")
    ))
}

fn users(grants: &Grants, threads: u64, first: u64, count: u64) -> ExitCode {
    let failures = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let failures = &failures;
            scope.spawn(move || {
                for i in 0..count {
                    // Each thread walks the users from another starting point.
                    let id = first + (i + t * 37) % count;
                    let key = UserKey::new(id.to_string()).expect("a key");
                    match whoami(grants, &key) {
                        Ok(answer) if answer == format!("200 {id}") => {}
                        other => {
                            eprintln!("grant-worker: user {id}: {other:?}");
                            failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    if failures.into_inner() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn once(grants: &Grants, key: &str) -> ExitCode {
    let Ok(key) = UserKey::new(key) else {
        return usage();
    };
    match whoami(grants, &key) {
        Ok(answer) if answer.starts_with("200 ") => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Ok(answer) => {
            println!("error answered {answer}");
            ExitCode::FAILURE
        }
        Err(e) => match e.login_required() {
            Some(reason) => {
                println!("login-required {reason:?}");
                ExitCode::from(3)
            }
            None => {
                println!("error {e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Prints `ready`, then waits for one line on stdin; `false` if stdout or stdin failed.
fn barrier() -> bool {
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "ready")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return false;
    }
    let mut line = String::new();
    matches!(std::io::stdin().lock().read_line(&mut line), Ok(n) if n > 0)
}

/// The system clock moved by the mock's offset, for the async adapter.
#[derive(Debug)]
struct AsyncOffsetClock(u64);

impl twitter_auth_reqwest::AsyncClock for AsyncOffsetClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.0)
    }

    fn sleep(&self, duration: Duration) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// `tasks` mode: `tasks` tokio tasks, each calling once for every user.
#[allow(clippy::too_many_arguments)]
fn tasks_mode(
    oauth2: OAuth2Client,
    store: Arc<dyn AnyStore>,
    offset: u64,
    tasks: u64,
    first: u64,
    count: u64,
    wait: bool,
) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let transport =
            twitter_auth_reqwest::Transport::new().with_clock(Arc::new(AsyncOffsetClock(offset)));
        let store: Arc<dyn TokenStore> = store;
        let grants =
            twitter_auth_reqwest::Grants::new(transport, oauth2, store).with_settings(settings());
        if wait && !barrier() {
            return ExitCode::FAILURE;
        }
        let mut running = tokio::task::JoinSet::new();
        for t in 0..tasks {
            let grants = grants.clone();
            running.spawn(async move {
                let mut failures = 0u64;
                for i in 0..count {
                    let id = first + (i + t * 37) % count;
                    let key = UserKey::new(id.to_string()).expect("a key");
                    let answer = async {
                        let api = grants.api(&key).await?;
                        let url = api.endpoints().api_url("2/users/me");
                        let request = http::Request::get(url.as_str())
                            .body(Vec::new())
                            .expect("a valid request");
                        api.send(request).await
                    }
                    .await;
                    match answer {
                        Ok(answer) if answer.status() == 200 => {}
                        other => {
                            eprintln!("grant-worker: user {id}: {other:?}");
                            failures += 1;
                        }
                    }
                }
                failures
            });
        }
        let mut failures = 0;
        while let Some(done) = running.join_next().await {
            failures += done.unwrap_or(1);
        }
        if failures == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    })
}
