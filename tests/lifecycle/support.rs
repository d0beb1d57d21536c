//! A fake X with generated users, PKCE logins for them, and `grant-worker` processes.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use twitter_auth_core::grant::{StoredGrant, UserKey};
use twitter_auth_core::oauth2::{self, Scope, Scopes};
use twitter_auth_core::{ClientId, Endpoints, Replay};
use twitter_auth_mock::{DEMO_NATIVE_APP, MockConfig, MockX, RateLimits, User};
use twitter_auth_std::{BlockingTokenStore, Clock, FileStore};
use twitter_auth_ureq::{Grants, Transport};

/// The demo native app's registered callback.
pub(crate) const REDIRECT: &str = "http://127.0.0.1:8765/callback";

/// The first generated user id.
pub(crate) const FIRST_ID: u64 = 9_100_000;

/// A fake X with `users` generated users (ids `FIRST_ID..`), unlimited rate limits, consent
/// approved at once.
pub(crate) fn fake_x(users: u64) -> Arc<MockX> {
    let mut config = MockConfig {
        rate_limits: RateLimits::unlimited(),
        ..MockConfig::default()
    };
    for i in 0..users {
        let id = FIRST_ID + i;
        config.users.push(User::new(
            id.to_string(),
            format!("user{id}"),
            format!("User {id}"),
        ));
    }
    Arc::new(MockX::start(config).expect("the mock starts"))
}

/// The fake X's clock, for an in-process adapter; sleeps are real (leases are held by real
/// processes).
pub(crate) struct XClock(pub(crate) Arc<MockX>);

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
        // A rate-limit wait moves the fake X's clock instead of waiting.
        self.0.advance(duration);
    }
}

/// The demo native app's public client, at the fake X's hosts.
pub(crate) fn public_client(x: &MockX) -> oauth2::App {
    let app = x
        .config()
        .app(DEMO_NATIVE_APP)
        .expect("the demo native app");
    let endpoints = Endpoints::local(x.base_url()).expect("a loopback base");
    oauth2::App::public(ClientId::new(app.client_id().expect("an OAuth 2.0 client")))
        .with_endpoints(endpoints)
}

/// The blocking adapter's grants in `dir`, on the fake X's clock.
pub(crate) fn grants(x: &Arc<MockX>, dir: &Path) -> Grants {
    let transport = Transport::new().with_clock(Arc::new(XClock(Arc::clone(x))));
    Grants::new(transport, public_client(x), Arc::new(FileStore::new(dir)))
}

/// Logs user `id` in with PKCE (consent approved as them) and stores the grant.
pub(crate) fn login(x: &MockX, grants: &Grants, id: u64) {
    assert!(
        x.with_handler(|h| h.sign_in(&id.to_string())),
        "user {id} exists"
    );
    let client = public_client(x);
    let scopes = Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]);
    let http = grants.transport();
    let (url, pending) = client
        .authorize(REDIRECT, scopes)
        .expect("an authorize request")
        .start(http.clock().now(), &mut rand::rng());
    let request = http::Request::get(url.as_str())
        .body(Vec::new())
        .expect("a request");
    let consent = http
        .round_trip(&request, Replay::Safe)
        .expect("the consent answers");
    assert_eq!(consent.status(), 302, "consent approved at once");
    let callback = consent.headers()["location"].to_str().expect("a location");
    let code = pending
        .on_callback(callback, http.clock().now())
        .expect("a code");
    let tokens = http
        .execute(client.exchange(code).expect("a step"))
        .expect("the code exchange");
    grants.login(&key(id), tokens).expect("the grant is stored");
}

/// The key of user `id`.
pub(crate) fn key(id: u64) -> UserKey {
    UserKey::new(id.to_string()).expect("a key")
}

/// What the store holds for `id`, read as another process would.
pub(crate) fn stored(dir: &Path, id: u64) -> (Option<StoredGrant>, Option<StoredGrant>) {
    let loaded = FileStore::new(dir).load(&key(id)).expect("the store reads");
    (loaded.grant, loaded.salvage)
}

/// The fake X's clock offset from this machine's, for worker processes.
pub(crate) fn offset(x: &MockX) -> u64 {
    let here = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    x.now().saturating_sub(here)
}

/// `grant-worker` with its common arguments.
pub(crate) fn worker(x: &MockX, dir: &Path, mode: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_grant-worker"));
    command
        .arg(mode)
        .arg(x.base_url())
        .arg(dir)
        .arg(public_client_id(x))
        .arg(offset(x).to_string());
    command
}

fn public_client_id(x: &MockX) -> String {
    let app = x
        .config()
        .app(DEMO_NATIVE_APP)
        .expect("the demo native app");
    app.client_id().expect("an OAuth 2.0 client").to_owned()
}

/// Runs `grant-worker once` for `id` to its end: `ok`, `login-required …` or `error …`.
pub(crate) fn once(x: &MockX, dir: &Path, id: u64) -> String {
    let out = worker(x, dir, "once")
        .arg(id.to_string())
        .stderr(Stdio::inherit())
        .output()
        .expect("the worker runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Starts `grant-worker once` for `id` with `TWITTER_AUTH_FAILPOINT=point` (if any).
pub(crate) fn spawn_once(x: &MockX, dir: &Path, id: u64, point: Option<&str>) -> Child {
    let mut command = worker(x, dir, "once");
    command
        .arg(id.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(point) = point {
        command.env("TWITTER_AUTH_FAILPOINT", point);
    }
    command.spawn().expect("the worker starts")
}

/// Waits until `child` says it reached failpoint `point`; `false` if it ended first.
pub(crate) fn reached(child: &mut Child, point: &str) -> bool {
    let stderr = child.stderr.take().expect("piped stderr");
    let want = format!("failpoint {point}");
    BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .any(|line| line == want)
}

/// The files in `dir`, sorted.
pub(crate) fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map_while(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A directory removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory under the system's temp dir.
    pub(crate) fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "twitter-auth-lifecycle-{tag}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        Self(dir)
    }

    /// The path.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
