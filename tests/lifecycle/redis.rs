//! Many instances on one Redis: processes that share users, a lease holder killed or stopped
//! mid-refresh.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use twitter_auth_mock::{Fault, FaultKind, MockX};
use twitter_auth_redis::testing::RedisServer;
use twitter_auth_redis::{RedisStore, Sealer};
use twitter_auth_std::BlockingTokenStore;
use twitter_auth_ureq::{Grants, Transport};

use crate::support::{
    FIRST_ID, TempDir, XClock, fake_x, key, login, public_client, reached, worker,
};

/// The key `grant-worker` seals with.
const REDIS_KEY: [u8; 32] = *b"lifecycle tests' key, 32 bytes!!";

fn redis_grants(x: &Arc<MockX>, url: &str) -> (Grants, Arc<RedisStore>) {
    let store = Arc::new(RedisStore::open(url, Sealer::new(1, REDIS_KEY)).expect("a URL"));
    let transport = Transport::new().with_clock(Arc::new(XClock(Arc::clone(x))));
    let blocking: Arc<dyn BlockingTokenStore> = Arc::clone(&store) as _;
    (Grants::new(transport, public_client(x), blocking), store)
}

#[test]
fn four_processes_of_25_tasks_refresh_50_users_on_one_redis_once_each() {
    const USERS: u64 = 50;
    let Some(server) = RedisServer::start(true) else {
        return;
    };
    let x = fake_x(USERS);
    let (here, store) = redis_grants(&x, &server.url());
    for i in 0..USERS {
        login(&x, &here, FIRST_ID + i);
    }
    x.advance(Duration::from_secs(7200));
    let before = x.counters();
    let url = server.url();
    let mut workers: Vec<Child> = (0..4)
        .map(|_| {
            worker(&x, Path::new(&url), "tasks")
                .args(["25", &FIRST_ID.to_string(), &USERS.to_string(), "--wait"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("a worker starts")
        })
        .collect();
    for w in &mut workers {
        let mut line = String::new();
        BufReader::new(w.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
    }
    for w in &mut workers {
        writeln!(w.stdin.as_mut().unwrap(), "go").unwrap();
    }
    for w in workers {
        assert!(
            w.wait_with_output().unwrap().status.success(),
            "a call failed"
        );
    }
    let after = x.counters();
    let calls = after.requests_to("/2/users/me") - before.requests_to("/2/users/me");
    println!(
        "4 processes x 25 tasks x {USERS} users on Redis: {calls} calls, {} refreshes, {} replays",
        after.refreshes - before.refreshes,
        after.refresh_replays - before.refresh_replays
    );
    assert_eq!(calls, 4 * 25 * USERS);
    assert_eq!(
        after.refreshes - before.refreshes,
        USERS,
        "one refresh per user"
    );
    assert_eq!(
        after.refresh_replays, before.refresh_replays,
        "no invalid_request"
    );
    for i in 0..USERS {
        let grant = store.load(&key(FIRST_ID + i)).unwrap().grant.unwrap();
        assert_eq!(grant.generation(), 2);
        assert!(grant.refresh_intent().is_none());
    }
}

/// A worker with a 1.5 s lease, a 0.5 s send budget and a 0.4 s HTTP timeout.
fn short_lease(mut command: std::process::Command) -> std::process::Command {
    command
        .env("GRANT_WORKER_LEASE_MS", "1500")
        .env("GRANT_WORKER_BUDGET_MS", "500")
        .env("GRANT_WORKER_TIMEOUT_MS", "400");
    command
}

/// A `grant-worker once` on Redis with a 1.5 s lease, a 0.5 s send budget and a 0.4 s HTTP
/// timeout, stopping at `point` (resumed when `resume` exists, if given).
fn spawn_paused(x: &MockX, url: &str, point: &str, resume: Option<&Path>) -> Child {
    let mut command = short_lease(worker(x, Path::new(url), "once"));
    command
        .arg(FIRST_ID.to_string())
        .env("TWITTER_AUTH_FAILPOINT", point)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(resume) = resume {
        command.env("TWITTER_AUTH_FAILPOINT_RESUME", resume);
    }
    let mut child = command.spawn().expect("a worker starts");
    assert!(reached(&mut child, point), "the worker reached {point}");
    child
}

/// The next call for the user, from another instance: `ok` or `login-required …`.
fn next_call(x: &MockX, url: &str) -> String {
    let out = short_lease(worker(x, Path::new(url), "once"))
        .arg(FIRST_ID.to_string())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn a_holder_killed_mid_refresh_holds_others_back_only_until_its_lease_expires() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let url = server.url();
    let x = fake_x(1);
    let (here, _) = redis_grants(&x, &url);
    login(&x, &here, FIRST_ID);

    // Killed after recording its intent, before sending: the grant lives.
    x.advance(Duration::from_secs(7200));
    let mut child = spawn_paused(&x, &url, "after-intent", None);
    child.kill().unwrap();
    let _ = child.wait();
    let start = Instant::now();
    assert_eq!(next_call(&x, &url), "ok");
    assert!(
        start.elapsed() >= Duration::from_millis(700),
        "the next caller waited for the dead holder's lease to expire"
    );

    // Killed while X answers (X processed the refresh): the typed "log in again", nothing else.
    x.advance(Duration::from_secs(7200));
    x.inject(Fault::new(
        "/2/oauth2/token",
        1,
        FaultKind::Delay(Duration::from_secs(5)),
    ));
    let refreshes = x.counters().refreshes;
    let mut child = short_lease(worker(&x, Path::new(&url), "once"))
        .arg(FIRST_ID.to_string())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    while x.counters().refreshes == refreshes {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(next_call(&x, &url), "login-required OutcomeUnknown");
}

/// Stops `child` with `SIGSTOP` (or continues it with `SIGCONT`).
fn signal(child: &Child, name: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -{name}");
}

#[test]
fn a_holder_stopped_before_it_sends_does_not_send_after_its_lease_expired() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let url = server.url();
    let x = fake_x(1);
    let (here, store) = redis_grants(&x, &url);
    login(&x, &here, FIRST_ID);
    x.advance(Duration::from_secs(7200));
    let dir = TempDir::new("sigstop-a");
    let resume = dir.path().join("resume");
    let stale = spawn_paused(&x, &url, "after-intent", Some(&resume));
    signal(&stale, "STOP");
    std::thread::sleep(Duration::from_millis(1600)); // its lease expires on Redis's clock
    let before = x.counters().refreshes;
    assert_eq!(next_call(&x, &url), "ok", "another instance proceeds");
    assert_eq!(x.counters().refreshes, before + 1);
    std::fs::write(&resume, b"").unwrap();
    signal(&stale, "CONT");
    let out = stale.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("error"),
        "the stale holder gave up: {said}"
    );
    assert_eq!(
        x.counters().refreshes,
        before + 1,
        "the stale holder sent nothing"
    );
    assert_eq!(x.counters().refresh_replays, 0);
    let grant = store.load(&key(FIRST_ID)).unwrap().grant.unwrap();
    assert_eq!(
        grant.generation(),
        2,
        "the login, then the other instance's refresh"
    );
    assert_eq!(next_call(&x, &url), "ok");
}

#[test]
fn a_holder_stopped_after_x_answered_is_fenced_out_and_its_set_salvaged() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let url = server.url();
    let x = fake_x(1);
    let (here, store) = redis_grants(&x, &url);
    login(&x, &here, FIRST_ID);
    x.advance(Duration::from_secs(7200));
    let dir = TempDir::new("sigstop-b");
    let resume = dir.path().join("resume");
    let stale = spawn_paused(&x, &url, "answered", Some(&resume));
    signal(&stale, "STOP");
    std::thread::sleep(Duration::from_millis(1600));
    // Another instance: the intent says an earlier refresh's outcome is unknown; X refuses the
    // spent token; the grant is reported lost (typed), not overwritten with anything.
    assert_eq!(next_call(&x, &url), "login-required OutcomeUnknown");
    let lost = store.load(&key(FIRST_ID)).unwrap().grant.unwrap();
    std::fs::write(&resume, b"").unwrap();
    signal(&stale, "CONT");
    let out = stale.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok",
        "it used X's new set"
    );
    // Its save was fenced out: the new set is in the salvage key, the grant untouched...
    let loaded = store.load(&key(FIRST_ID)).unwrap();
    assert_eq!(loaded.grant.unwrap().generation(), lost.generation());
    assert_eq!(loaded.salvage.unwrap().generation(), lost.generation() + 1);
    // ...and the next call commits it: the grant X issued was not lost after all.
    assert_eq!(next_call(&x, &url), "ok");
    let grant = store.load(&key(FIRST_ID)).unwrap().grant.unwrap();
    assert_eq!(grant.generation(), lost.generation() + 1);
    assert!(grant.lost().is_none());
}
