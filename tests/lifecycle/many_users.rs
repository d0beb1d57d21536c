//! Many users on one file store: processes, threads and the refresh job share it, and every
//! grant is refreshed exactly once.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use twitter_auth_mock::{Fault, FaultKind};

use crate::support::{FIRST_ID, TempDir, files, grants, key, login, worker};

/// The refresh job's horizon: tokens expiring within a minute.
const MARGIN: Duration = Duration::from_secs(60);

/// Whether a store directory holds one `.grant` per user and nothing else.
fn only_grants(dir: &std::path::Path, users: u64) {
    let names = files(dir);
    assert_eq!(names.len() as u64, users, "{names:?}");
    assert!(names.iter().all(|n| n.ends_with(".grant")), "{names:?}");
}

#[test]
fn four_processes_of_sixteen_threads_refresh_two_hundred_users_once_each() {
    const USERS: u64 = 200;
    let x = crate::support::fake_x(USERS);
    let dir = TempDir::new("procs");
    let here = grants(&x, dir.path());
    for i in 0..USERS {
        login(&x, &here, FIRST_ID + i);
    }
    // Every access token has expired (2 hours at X).
    x.advance(Duration::from_secs(7200));
    let before = x.counters();

    let mut workers: Vec<_> = (0..4)
        .map(|_| {
            worker(&x, dir.path(), "users")
                .args(["16", &FIRST_ID.to_string(), &USERS.to_string(), "--wait"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("a worker starts")
        })
        .collect();
    // A start barrier: every worker is set up before any calls.
    for w in &mut workers {
        let mut line = String::new();
        BufReader::new(w.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("ready");
        assert_eq!(line.trim(), "ready");
    }
    for w in &mut workers {
        writeln!(w.stdin.as_mut().expect("stdin"), "go").expect("released");
    }
    for w in workers {
        let status = w.wait_with_output().expect("the worker ends").status;
        assert!(status.success(), "a worker saw a failed call: {status}");
    }

    let after = x.counters();
    let calls = after.requests_to("/2/users/me") - before.requests_to("/2/users/me");
    println!(
        "4 processes x 16 threads x {USERS} users: {calls} calls, {} refreshes, {} refresh replays",
        after.refreshes - before.refreshes,
        after.refresh_replays - before.refresh_replays
    );
    assert_eq!(calls, 4 * 16 * USERS, "every call reached X once");
    assert_eq!(
        after.refreshes - before.refreshes,
        USERS,
        "one refresh per user"
    );
    assert_eq!(
        after.refresh_replays, before.refresh_replays,
        "no spent refresh token was sent (X would answer invalid_request)"
    );
    for i in 0..USERS {
        let (grant, salvage) = crate::support::stored(dir.path(), FIRST_ID + i);
        let grant = grant.expect("a grant");
        assert_eq!(grant.generation(), 2, "login, then one refresh");
        assert!(grant.refresh_intent().is_none() && salvage.is_none());
    }
    only_grants(dir.path(), USERS);
}

#[test]
fn the_refresh_job_refreshes_a_thousand_users_once_each_while_api_calls_run() {
    const USERS: u64 = 1000;
    let x = crate::support::fake_x(USERS);
    let dir = TempDir::new("job");
    let here = grants(&x, dir.path());
    for i in 0..USERS {
        login(&x, &here, FIRST_ID + i);
    }
    // 90 minutes later nothing has expired, so nothing is due within a 60 s margin.
    x.advance(Duration::from_secs(5400));
    let report = here.refresh_due(MARGIN, 8).expect("the job runs");
    assert!(report.is_empty(), "nothing due: {report:?}");
    assert_eq!(x.counters().refreshes, 0);

    // Two hours in: every access token is due. API calls for the first 100 users run in other
    // threads (and through other `Grants`, as another instance would) while the job runs.
    x.advance(Duration::from_secs(1800));
    let before = x.counters();
    let job_report = std::thread::scope(|scope| {
        let x = &x;
        for t in 0..4u64 {
            let dir = dir.path();
            scope.spawn(move || {
                let other = grants(x, dir);
                for i in (t..100).step_by(4) {
                    let api = other.api(&key(FIRST_ID + i)).expect("a grant");
                    let url = api.endpoints().api_url("2/users/me");
                    let request = http::Request::get(url.as_str()).body(Vec::new()).unwrap();
                    assert_eq!(api.send(request).expect("an answer").status(), 200);
                }
            });
        }
        here.refresh_due(MARGIN, 8).expect("the job runs")
    });
    let after = x.counters();
    println!(
        "refresh job over {USERS} users: refreshed {}, current {}, login required {}, failed {}, unsaved {}; X saw {} refreshes, {} replays",
        job_report.refreshed.len(),
        job_report.current.len(),
        job_report.login_required.len(),
        job_report.failed.len(),
        job_report.unsaved.len(),
        after.refreshes - before.refreshes,
        after.refresh_replays - before.refresh_replays,
    );
    assert_eq!(
        after.refreshes - before.refreshes,
        USERS,
        "each user refreshed once"
    );
    assert_eq!(after.refresh_replays, before.refresh_replays);
    // The job lists the keys due when it starts: API calls may have refreshed some of the first
    // 100 already. It refreshed what the API calls had not; together, each key once.
    assert!(
        job_report.len() as u64 >= USERS - 100,
        "every due key reported"
    );
    assert!(job_report.failed.is_empty() && job_report.login_required.is_empty());
    assert!(job_report.refreshed.len() as u64 >= USERS - 100);

    // Run again: nothing is due.
    let again = here.refresh_due(MARGIN, 8).expect("the job runs");
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(x.counters().refreshes, after.refreshes);
    only_grants(dir.path(), USERS);
}

#[test]
fn the_refresh_job_waits_out_a_429_from_the_token_endpoint() {
    const USERS: u64 = 20;
    let x = crate::support::fake_x(USERS);
    let dir = TempDir::new("job429");
    let here = grants(&x, dir.path());
    for i in 0..USERS {
        login(&x, &here, FIRST_ID + i);
    }
    x.advance(Duration::from_secs(7200));
    // X refuses three refreshes with a 429 whose window resets in 15 minutes.
    x.inject(Fault::new(
        "/2/oauth2/token",
        3,
        FaultKind::RateLimited { reset_after: 900 },
    ));
    let clock_before = x.now();
    let report = here.refresh_due(MARGIN, 4).expect("the job runs");
    assert_eq!(report.refreshed.len() as u64, USERS, "{report:?}");
    assert!(report.failed.is_empty());
    assert_eq!(x.counters().refreshes, USERS);
    assert!(
        x.now() >= clock_before + 900,
        "the job waited for the window to reset (on X's clock)"
    );
    let _ = Arc::clone(&x);
}

/// A file store that counts the calls made to it.
#[derive(Debug)]
struct Counting(twitter_auth_std::FileStore, std::sync::atomic::AtomicU64);

impl Counting {
    fn count(&self) -> u64 {
        self.1.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn tick(&self) {
        self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl twitter_auth_std::BlockingTokenStore for Counting {
    fn try_lease(
        &self,
        key: &twitter_auth_core::grant::UserKey,
        ttl: Duration,
    ) -> Result<Option<twitter_auth_std::Lease>, twitter_auth_std::StoreError> {
        self.tick();
        self.0.try_lease(key, ttl)
    }
    fn release(&self, lease: twitter_auth_std::Lease) -> Result<(), twitter_auth_std::StoreError> {
        self.tick();
        self.0.release(lease)
    }
    fn load(
        &self,
        key: &twitter_auth_core::grant::UserKey,
    ) -> Result<twitter_auth_core::grant::Loaded, twitter_auth_std::StoreError> {
        self.tick();
        self.0.load(key)
    }
    fn save(
        &self,
        lease: &twitter_auth_std::Lease,
        expected: Option<u64>,
        grant: &twitter_auth_core::grant::StoredGrant,
    ) -> Result<twitter_auth_core::grant::Saved, twitter_auth_std::StoreError> {
        self.tick();
        self.0.save(lease, expected, grant)
    }
    fn salvage(
        &self,
        grant: &twitter_auth_core::grant::StoredGrant,
    ) -> Result<(), twitter_auth_std::StoreError> {
        self.tick();
        self.0.salvage(grant)
    }
    fn delete(
        &self,
        lease: &twitter_auth_std::Lease,
        expected: u64,
    ) -> Result<twitter_auth_core::grant::Saved, twitter_auth_std::StoreError> {
        self.tick();
        self.0.delete(lease, expected)
    }
    fn expiring_before(
        &self,
        before: std::time::SystemTime,
    ) -> Result<Vec<twitter_auth_core::grant::UserKey>, twitter_auth_std::StoreError> {
        self.tick();
        self.0.expiring_before(before)
    }
}

#[test]
fn the_hot_path_reads_no_store_and_takes_no_lease() {
    const USERS: u64 = 20;
    let x = crate::support::fake_x(USERS);
    let dir = TempDir::new("hot");
    let here = grants(&x, dir.path());
    for i in 0..USERS {
        login(&x, &here, FIRST_ID + i);
    }
    let counting = Arc::new(Counting(
        twitter_auth_std::FileStore::new(dir.path()),
        std::sync::atomic::AtomicU64::new(0),
    ));
    let transport = twitter_auth_ureq::Transport::new()
        .with_clock(Arc::new(crate::support::XClock(Arc::clone(&x))));
    let app = crate::support::public_client(&x); // at the fake X's hosts
    let store: Arc<dyn twitter_auth_std::BlockingTokenStore> = Arc::clone(&counting) as _;
    let cold = twitter_auth_ureq::Grants::new(transport, app, store);
    for i in 0..USERS {
        cold.api(&key(FIRST_ID + i)).unwrap(); // one load each, the first time
    }
    assert_eq!(counting.count(), USERS);
    for round in 0..50 {
        for i in 0..USERS {
            let api = cold.api(&key(FIRST_ID + i)).unwrap();
            let url = api.endpoints().api_url("2/users/me");
            let request = http::Request::get(url.as_str()).body(Vec::new()).unwrap();
            assert_eq!(api.send(request).unwrap().status(), 200, "round {round}");
        }
    }
    assert_eq!(
        counting.count(),
        USERS,
        "1,000 calls: no store read, no lease"
    );
}
