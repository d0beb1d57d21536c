//! Users' grants on Redis against the fake X, through the adapters' `Grants`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2::{self, Scope, Scopes};
use twitter_auth_core::{ClientId, Endpoints, Replay};
use twitter_auth_mock::{DEMO_NATIVE_APP, MockConfig, MockX, RateLimits, User};
use twitter_auth_redis::testing::RedisServer;
use twitter_auth_std::{BlockingTokenStore, Clock};
use twitter_auth_ureq::{Error, Grants, Transport};

use crate::{key, store};

/// The fake X's clock moved by `ahead`; sleeps are real.
struct XClock(Arc<MockX>, Duration);

impl std::fmt::Debug for XClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("XClock")
    }
}

impl Clock for XClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.now()) + self.1
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

fn fake_x(users: u64) -> Arc<MockX> {
    let mut config = MockConfig {
        rate_limits: RateLimits::unlimited(),
        ..MockConfig::default()
    };
    for i in 0..users {
        config.users.push(User::new(
            format!("{}", 500 + i),
            format!("u{i}"),
            format!("U {i}"),
        ));
    }
    Arc::new(MockX::start(config).expect("the mock starts"))
}

fn app(x: &MockX) -> oauth2::App {
    let id = x
        .config()
        .app(DEMO_NATIVE_APP)
        .unwrap()
        .client_id()
        .unwrap();
    oauth2::App::public(ClientId::new(id)).with_endpoints(Endpoints::local(x.base_url()).unwrap())
}

fn grants(x: &Arc<MockX>, store: Arc<dyn BlockingTokenStore>, ahead: Duration) -> Grants {
    let client = Transport::new().with_clock(Arc::new(XClock(Arc::clone(x), ahead)));
    Grants::new(client, app(x), store)
}

/// Logs user `500 + i` in and stores the grant.
fn login(x: &MockX, grants: &Grants, i: u64) -> UserKey {
    let id = format!("{}", 500 + i);
    assert!(x.with_handler(|h| h.sign_in(&id)));
    let http = grants.transport();
    let scopes = Scopes::from([Scope::UsersRead, Scope::TweetRead, Scope::OfflineAccess]);
    let (url, pending) = app(x)
        .authorize("http://127.0.0.1:8765/callback", scopes)
        .unwrap()
        .start(http.clock().now(), &mut rand::rng());
    let consent = http
        .round_trip(
            &http::Request::get(url.as_str()).body(Vec::new()).unwrap(),
            Replay::Safe,
        )
        .unwrap();
    let callback = consent.headers()["location"].to_str().unwrap();
    let code = pending.on_callback(callback, http.clock().now()).unwrap();
    let tokens = http.execute(app(x).exchange(code).unwrap()).unwrap();
    let k = key(&id);
    grants.login(&k, tokens).unwrap();
    k
}

fn me(grants: &Grants, k: &UserKey) -> Result<u16, Error> {
    let api = grants.api(k)?;
    let url = api.endpoints().api_url("2/users/me");
    Ok(api
        .send(http::Request::get(url.as_str()).body(Vec::new()).unwrap())?
        .status()
        .as_u16())
}

#[test]
fn a_redis_killed_mid_run_sends_no_refresh_and_keeps_what_was_saved() {
    let Some(mut server) = RedisServer::start(true) else {
        return;
    };
    let x = fake_x(5);
    let store: Arc<dyn BlockingTokenStore> =
        Arc::new(store(&server).with_timeout(Duration::from_millis(500)));
    let here = grants(&x, Arc::clone(&store), Duration::ZERO);
    let users: Vec<UserKey> = (0..5).map(|i| login(&x, &here, i)).collect();
    for k in &users {
        assert_eq!(me(&here, k).unwrap(), 200);
    }
    server.kill();
    x.advance(Duration::from_secs(7200)); // every access token expired
    let before = x.counters().refreshes;
    for k in &users {
        match me(&here, k) {
            Err(Error::Store(e)) => assert!(!e.to_string().contains("ACCESS"), "{e}"),
            other => panic!("expected a store error, got {other:?}"),
        }
    }
    assert_eq!(
        x.counters().refreshes,
        before,
        "no refresh without a working store"
    );

    server.restart(); // AOF with appendfsync always: everything saved is back
    let after_restart = grants(&x, store, Duration::ZERO);
    for k in &users {
        assert_eq!(me(&after_restart, k).unwrap(), 200, "{k}");
    }
    assert_eq!(
        x.counters().refreshes,
        before + 5,
        "each refreshed once, from its saved set"
    );
}

#[test]
fn a_client_clock_an_hour_ahead_changes_nothing_for_leases() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let x = fake_x(1);
    let shared: Arc<dyn BlockingTokenStore> = Arc::new(store(&server));
    let normal = grants(&x, Arc::clone(&shared), Duration::ZERO);
    let ahead = grants(&x, Arc::clone(&shared), Duration::from_secs(3600));
    let k = login(&x, &normal, 0);
    let before = x.counters().refreshes;
    // Both ask for a new set of generation 1 at once: one refresh, the other adopts it.
    std::thread::scope(|s| {
        let (normal, ahead, k) = (&normal, &ahead, &k);
        let a = s.spawn(move || ahead.api(k).unwrap().refresh_now());
        let b = s.spawn(move || normal.api(k).unwrap().refresh_now());
        a.join().unwrap().unwrap();
        b.join().unwrap().unwrap();
    });
    assert_eq!(x.counters().refreshes, before + 1);
    assert_eq!(x.counters().refresh_replays, 0);
    // Both use the one set stored, whatever their clocks say.
    assert_eq!(me(&ahead, &k).unwrap(), 200);
    assert_eq!(me(&normal, &k).unwrap(), 200);
    assert_eq!(ahead.api(&k).unwrap().generation(), Some(2));
    assert_eq!(normal.api(&k).unwrap().generation(), Some(2));
    assert_eq!(x.counters().refreshes, before + 1);
    assert_eq!(
        x.counters().refresh_replays,
        0,
        "no spent token was ever sent"
    );
}
