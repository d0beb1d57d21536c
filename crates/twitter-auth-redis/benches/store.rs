//! The Redis store beside the file store, in one run: the cost of loading a valid grant (p50
//! and p99 of single loads, interleaved in chunks), and the refresh job's rate over 10,000
//! users against the fake X with rate limits off. Prints a table and writes it to
//! `target/bench-extra/redis-store.md` for `cargo xtask bench`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2::{self, Scope, Scopes};
use twitter_auth_core::{ClientId, Endpoints, Replay, http};
use twitter_auth_mock::{DEMO_NATIVE_APP, MockConfig, MockX, RateLimits, User};
use twitter_auth_redis::testing::RedisServer;
use twitter_auth_redis::{RedisStore, Sealer};
use twitter_auth_std::{BlockingTokenStore, Clock, FileStore};
use twitter_auth_ureq::{Grants, Transport};

const USERS: u64 = 10_000;
const FIRST_ID: u64 = 3_000_000;
const LOADS: usize = 20_000;

/// The fake X's clock (sleeps are real).
struct XClock(Arc<MockX>);

impl std::fmt::Debug for XClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("XClock")
    }
}

impl Clock for XClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.now())
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at]
}

fn write(table: &str) {
    println!("{table}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-extra");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("redis-store.md"), table);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let Some(server) = RedisServer::start(true) else {
        write("\n## Redis store\n\nNot measured: redis-server is not installed.\n");
        return;
    };
    let mut config = MockConfig {
        rate_limits: RateLimits::unlimited(),
        ..MockConfig::default()
    };
    for i in 0..USERS {
        let id = FIRST_ID + i;
        config.users.push(User::new(
            id.to_string(),
            format!("u{id}"),
            format!("U {id}"),
        ));
    }
    let x = Arc::new(MockX::start(config).unwrap());
    let app_id = x
        .config()
        .app(DEMO_NATIVE_APP)
        .unwrap()
        .client_id()
        .unwrap();
    let app = oauth2::App::public(ClientId::new(app_id))
        .with_endpoints(Endpoints::local(x.base_url()).unwrap());
    let http = Transport::new().with_clock(Arc::new(XClock(Arc::clone(&x))));
    let dir = std::env::temp_dir().join(format!("twitter-auth-bench-{}", std::process::id()));
    let redis: Arc<dyn BlockingTokenStore> =
        Arc::new(RedisStore::open(&server.url(), Sealer::new(1, [9; 32])).unwrap());
    let file: Arc<dyn BlockingTokenStore> = Arc::new(FileStore::new(&dir));
    let stores = [
        ("Redis (loopback, AOF always)", redis),
        ("file store", file),
    ];
    let grants: Vec<Grants> = stores
        .iter()
        .map(|(_, s)| Grants::new(http.clone(), app.clone(), Arc::clone(s)))
        .collect();

    eprintln!("logging {USERS} users in, into both stores…");
    let scopes = Scopes::from([Scope::UsersRead, Scope::TweetRead, Scope::OfflineAccess]);
    for i in 0..USERS {
        let id = FIRST_ID + i;
        assert!(x.with_handler(|h| h.sign_in(&id.to_string())));
        for g in &grants {
            let (url, pending) = app
                .authorize("http://127.0.0.1:8765/callback", scopes.clone())
                .unwrap()
                .start(http.clock().now(), &mut rand::rng());
            let get = http::Request::get(url.as_str()).body(Vec::new()).unwrap();
            let consent = http.round_trip(&get, Replay::Safe).unwrap();
            let callback = consent.headers()["location"].to_str().unwrap();
            let code = pending.on_callback(callback, http.clock().now()).unwrap();
            let tokens = http.execute(app.exchange(code).unwrap()).unwrap();
            g.login(&UserKey::new(id.to_string()).unwrap(), tokens)
                .unwrap();
        }
    }

    // Loads: single calls, interleaved in chunks of 500.
    let mut times: [Vec<Duration>; 2] = Default::default();
    let key = |n: usize| UserKey::new((FIRST_ID + (n as u64 % USERS)).to_string()).unwrap();
    for chunk in 0..LOADS / 500 {
        for (side, (_, store)) in stores.iter().enumerate() {
            for n in 0..500 {
                let k = key(chunk * 500 + n);
                let start = Instant::now();
                let loaded = store.load(&k).unwrap();
                times[side].push(start.elapsed());
                assert!(loaded.grant.is_some());
            }
        }
    }
    for t in &mut times {
        t.sort();
    }

    // The refresh job over every user, each store in turn.
    x.advance(Duration::from_secs(7200));
    let mut rates = Vec::new();
    for g in &grants {
        let before = x.counters().refreshes;
        let start = Instant::now();
        let report = g.refresh_due(Duration::from_secs(60), 16).unwrap();
        let took = start.elapsed();
        assert_eq!(
            report.refreshed.len() as u64,
            USERS,
            "{:?}",
            report.failed.first()
        );
        assert_eq!(x.counters().refreshes - before, USERS);
        #[allow(clippy::cast_precision_loss)]
        rates.push((USERS as f64 / took.as_secs_f64(), took));
    }
    let _ = std::fs::remove_dir_all(&dir);

    let mut table = format!(
        "\n## Keyed stores: Redis beside files (one run; {LOADS} single loads per store in interleaved chunks; the refresh job over {USERS} users, 16 workers, the fake X with rate limits off)\n\n| store | load p50 | load p99 | refresh job | users/s |\n|---|--:|--:|--:|--:|\n"
    );
    for ((name, _), (t, (rate, took))) in stores.iter().zip(times.iter().zip(&rates)) {
        table.push_str(&format!(
            "| {name} | {:.1} µs | {:.1} µs | {:.1} s | {rate:.0} |\n",
            percentile(t, 0.5).as_secs_f64() * 1e6,
            percentile(t, 0.99).as_secs_f64() * 1e6,
            took.as_secs_f64(),
        ));
    }
    write(&table);
}
