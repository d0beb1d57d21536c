//! The hot path of a user's API call (a valid token, no refresh due): no store read, no lease,
//! only the keyed lookup. Side by side against the fake X on loopback:
//!
//! - `floor`: plain ureq with a precomputed `Authorization: Bearer` header;
//! - `single-user`: `ApiClient::new(client, Credential::OAuth2(tokens))`, one user's set;
//! - `keyed-10000-users`: `grants.api(&key)?.send(..)` round robin over 10,000 logged-in users.
//!
//! and the lookup alone (`grants.api(&key)` for a cached user; `floor` = cloning one client's
//! `Arc`).

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use twitter_auth_core::api::Credential;
use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2::{self, AuthorizeRequest, Scope, Scopes, TokenSet};
use twitter_auth_core::{ClientId, Endpoints, Replay, http};
use twitter_auth_mock::{DEMO_NATIVE_APP, MockConfig, MockX, RateLimits, User};
use twitter_auth_std::MemoryStore;
use twitter_auth_ureq::{ApiClient, Client, Grants};

const USERS: u64 = 10_000;
const FIRST_ID: u64 = 7_000_000;
const REDIRECT: &str = "http://127.0.0.1:8765/callback";

fn login(x: &MockX, http: &Client, app: &oauth2::Client, id: u64) -> TokenSet {
    assert!(x.with_handler(|h| h.sign_in(&id.to_string())));
    let scopes = Scopes::from([Scope::UsersRead, Scope::TweetRead, Scope::OfflineAccess]);
    let (url, pending) = AuthorizeRequest::new(app, REDIRECT, scopes).unwrap().start(
        http.endpoints(),
        SystemTime::now(),
        &mut rand::rng(),
    );
    let consent = http
        .round_trip(
            &http::Request::get(url.as_str()).body(Vec::new()).unwrap(),
            Replay::Safe,
        )
        .unwrap();
    let callback = consent.headers()["location"].to_str().unwrap();
    let code = pending.on_callback(callback, SystemTime::now()).unwrap();
    http.execute(code.exchange(app, http.endpoints()).unwrap())
        .unwrap()
}

fn hot_path(c: &mut Criterion) {
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
    let x = MockX::start(config).unwrap();
    let app_id = x
        .config()
        .app(DEMO_NATIVE_APP)
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();
    let app = oauth2::Client::public(ClientId::new(app_id));
    let http = Client::new(Endpoints::local(x.base_url()).unwrap());
    let grants = Grants::new(http.clone(), app.clone(), Arc::new(MemoryStore::new()));
    let keys: Vec<UserKey> = (0..USERS)
        .map(|i| {
            let key = UserKey::new((FIRST_ID + i).to_string()).unwrap();
            grants
                .login(&key, login(&x, &http, &app, FIRST_ID + i))
                .unwrap();
            key
        })
        .collect();
    let tokens = login(&x, &http, &app, FIRST_ID);
    let me = http.endpoints().api_url("2/users/me");
    let request = || http::Request::get(me.as_str()).body(Vec::new()).unwrap();

    let mut group = c.benchmark_group("grants/send_loopback");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let bearer = tokens.authorization_header();
    group.bench_function("floor", |b| {
        b.iter(|| {
            let answer = agent
                .get(me.as_str())
                .header("authorization", bearer.clone())
                .call()
                .unwrap();
            assert_eq!(answer.status(), 200);
        });
    });
    let single = ApiClient::new(http.clone(), Credential::OAuth2(tokens));
    group.bench_function("single-user", |b| {
        b.iter(|| assert_eq!(single.send(request()).unwrap().status(), 200));
    });
    let mut next = 0;
    group.bench_function("keyed-10000-users", |b| {
        b.iter(|| {
            next = (next + 1) % keys.len();
            let api = grants.api(&keys[next]).unwrap();
            assert_eq!(api.send(request()).unwrap().status(), 200);
        });
    });
    group.finish();

    let mut group = c.benchmark_group("grants/lookup");
    let one = Arc::new(ApiClient::new(
        http.clone(),
        Credential::OAuth2(login(&x, &http, &app, FIRST_ID)),
    ));
    group.bench_function("floor", |b| b.iter(|| black_box(Arc::clone(&one))));
    let mut next = 0;
    group.bench_function("keyed-10000-users", |b| {
        b.iter(|| {
            next = (next + 1) % keys.len();
            black_box(grants.api(&keys[next]).unwrap())
        });
    });
    group.finish();
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
