//! The hot path of a user's API call (a valid token, no refresh due): no store read, no lease,
//! only the keyed lookup. Interleaved rounds against the fake X on loopback, so machine noise
//! hits every variant alike:
//!
//! - `floor`: plain ureq with a precomputed `Authorization: Bearer` header;
//! - `single-user`: `ApiClient::new(transport, endpoints, Credential::OAuth2(tokens))`, one user's set;
//! - `keyed, one user`: `grants.api(&key)?.send(..)` for one user (our own cost over the
//!   single-user client: the lookup);
//! - `keyed, 10,000 users`: the same round robin over 10,000 users (adds the fake X's cost of
//!   many tokens);
//!
//! and the lookup alone (`grants.api(&key)` for a cached user, against cloning one `Arc`).
//! Prints a table and writes it to `target/bench-extra/grants-hot-path.md` for
//! `cargo xtask bench`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use twitter_auth_core::api::Credential;
use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2::{self, Scope, Scopes, TokenSet};
use twitter_auth_core::{ClientId, Endpoints, Replay, http};
use twitter_auth_mock::{DEMO_NATIVE_APP, MockConfig, MockX, RateLimits, User};
use twitter_auth_std::MemoryStore;
use twitter_auth_ureq::{ApiClient, Grants, Transport};

const USERS: u64 = 10_000;
const FIRST_ID: u64 = 7_000_000;
const REDIRECT: &str = "http://127.0.0.1:8765/callback";
const ROUNDS: usize = 15;
const PER_ROUND: usize = 300;

fn login(x: &MockX, http: &Transport, app: &oauth2::App, id: u64) -> TokenSet {
    assert!(x.with_handler(|h| h.sign_in(&id.to_string())));
    let scopes = Scopes::from([Scope::UsersRead, Scope::TweetRead, Scope::OfflineAccess]);
    let (url, pending) = app
        .authorize(REDIRECT, scopes)
        .unwrap()
        .start(SystemTime::now(), &mut rand::rng());
    let get = http::Request::get(url.as_str()).body(Vec::new()).unwrap();
    let consent = http.round_trip(&get, Replay::Safe).unwrap();
    let callback = consent.headers()["location"].to_str().unwrap();
    let code = pending.on_callback(callback, SystemTime::now()).unwrap();
    http.execute(app.exchange(code).unwrap()).unwrap()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Per-call time of `f` over `n` calls.
fn per_call(n: usize, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / u32::try_from(n).unwrap()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks; there is nothing to list
    }
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
        .unwrap();
    let endpoints = Endpoints::local(x.base_url()).unwrap();
    let app = oauth2::App::public(ClientId::new(app_id)).with_endpoints(endpoints.clone());
    let http = Transport::new();
    let grants = Grants::new(http.clone(), app.clone(), Arc::new(MemoryStore::new()));
    eprintln!("logging in {USERS} users…");
    let keys: Vec<UserKey> = (0..USERS)
        .map(|i| {
            let key = UserKey::new((FIRST_ID + i).to_string()).unwrap();
            grants
                .login(&key, login(&x, &http, &app, FIRST_ID + i))
                .unwrap();
            key
        })
        .collect();
    let me = endpoints.api_url("2/users/me");
    let request = || http::Request::get(me.as_str()).body(Vec::new()).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let tokens = login(&x, &http, &app, FIRST_ID);
    let bearer = tokens.authorization_header();
    let single = ApiClient::new(http.clone(), &endpoints, Credential::OAuth2(tokens));

    let mut next = 0;
    let mut rows: [Vec<f64>; 4] = Default::default();
    let mut ratios: [Vec<f64>; 3] = Default::default();
    for _ in 0..ROUNDS {
        let floor = per_call(PER_ROUND, || {
            let mut answer = agent
                .get(me.as_str())
                .header("authorization", bearer.clone())
                .call()
                .unwrap();
            assert_eq!(answer.status(), 200);
            black_box(answer.body_mut().read_to_vec().unwrap());
        });
        let one = per_call(PER_ROUND, || {
            assert_eq!(single.send(request()).unwrap().status(), 200);
        });
        let keyed_one = per_call(PER_ROUND, || {
            let api = grants.api(&keys[0]).unwrap();
            assert_eq!(api.send(request()).unwrap().status(), 200);
        });
        let keyed = per_call(PER_ROUND, || {
            next = (next + 1) % keys.len();
            let api = grants.api(&keys[next]).unwrap();
            assert_eq!(api.send(request()).unwrap().status(), 200);
        });
        for (row, d) in rows.iter_mut().zip([floor, one, keyed_one, keyed]) {
            row.push(d.as_secs_f64() * 1e6);
        }
        ratios[0].push(one.as_secs_f64() / floor.as_secs_f64());
        ratios[1].push(keyed_one.as_secs_f64() / one.as_secs_f64());
        ratios[2].push(keyed.as_secs_f64() / one.as_secs_f64());
    }
    let one = Arc::new(ApiClient::new(
        http.clone(),
        &endpoints,
        Credential::OAuth2(login(&x, &http, &app, FIRST_ID)),
    ));
    let mut lookup = [Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        lookup[0].push(per_call(100_000, || drop(black_box(Arc::clone(&one)))).as_secs_f64() * 1e9);
        lookup[1].push(
            per_call(100_000, || {
                next = (next + 1) % keys.len();
                drop(black_box(grants.api(&keys[next]).unwrap()));
            })
            .as_secs_f64()
                * 1e9,
        );
    }
    let [floor, single_us, keyed_one_us, keyed_us] = rows.map(median);
    let [single_vs_floor, keyed_one_vs_single, keyed_vs_single] = ratios.map(median);
    let [arc_ns, api_ns] = lookup.map(median);
    let table = format!(
        "\n## Hot path of a user's call (`twitter-auth-ureq`, loopback, {USERS} users, medians of {ROUNDS} interleaved rounds of {PER_ROUND} calls)\n\n\
| variant | per call | ratio |\n|---|--:|--:|\n\
| plain ureq, precomputed bearer (floor) | {floor:.1} µs | 1.00 |\n\
| `ApiClient` with one user's token set | {single_us:.1} µs | {single_vs_floor:.3} × floor |\n\
| `grants.api(&key)?.send(..)`, one user | {keyed_one_us:.1} µs | {keyed_one_vs_single:.3} × single-user |\n\
| `grants.api(&key)?.send(..)`, {USERS} users round robin | {keyed_us:.1} µs | {keyed_vs_single:.3} × single-user |\n\
| lookup alone: `grants.api(&key)` (cached) | {api_ns:.0} ns | vs {arc_ns:.0} ns for `Arc::clone` of one client |\n\n\
Ratios are medians of per-round ratios. The round robin also measures the fake X, which keeps\n\
per-token state for 10,000 tokens; the one-user row is the keyed client's own cost. No store\n\
read and no lease on this path (checked by `tests/lifecycle`'s counting store).\n"
    );
    println!("{table}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-extra");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("grants-hot-path.md"), table);
}
