//! Every flow through each transport adapter against the fake X on loopback (one test body per
//! flow, run by each adapter), each ending with the credential working on a protected resource;
//! then the API client: single-flight refresh across threads and processes, and faults.

use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use twitter_auth_core::api::Credential;
use twitter_auth_core::oauth1::{
    AuthorizeKind, Callback, RequestToken, UserCredentials, UserSigner, VerifyCredentials,
};
use twitter_auth_core::oauth1_sign::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use twitter_auth_core::oauth2::{
    self, AppOnly, AuthorizeRequest, Client as OAuth2Client, RevokeToken, Scope, Scopes, TokenSet,
    UsersMe,
};
use twitter_auth_core::retry::RetryPolicy;
use twitter_auth_core::{ClientId, ClientSecret, Error, HttpRequest};
use twitter_auth_mock::{
    DEMO_NATIVE_APP, DEMO_WEB_APP, Fault, FaultKind, MockConfig, RateLimits, pin_from_page,
};
use twitter_auth_std::{FileStore, MemoryStore, TokenStore};
use twitter_auth_tests::adapters::{Adapter, Failure, Reqwest, Ureq};
use twitter_auth_tests::{Loopback, Transport as _, plain_agent, send_plain};

const REDIRECT: &str = "http://127.0.0.1:8765/callback";

fn start() -> Loopback {
    Loopback::start(MockConfig::default())
}

fn adapter<A: Adapter>(x: &Loopback, policy: RetryPolicy) -> A {
    A::new(x.endpoints(), policy, x.clock())
}

fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("adapter-e2e-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn web_consumer(x: &Loopback) -> ConsumerCredentials {
    let app = x.mock().config().app(DEMO_WEB_APP).expect("web app");
    ConsumerCredentials::new(
        ConsumerKey::new(app.consumer_key.clone()),
        ConsumerSecret::new(app.consumer_secret.clone()),
    )
}

fn owner_token(x: &Loopback) -> TokenCredentials {
    let token = &x
        .mock()
        .config()
        .app(DEMO_WEB_APP)
        .expect("web app")
        .user_tokens[0];
    TokenCredentials::new(
        Token::new(token.token.clone()),
        TokenSecret::new(token.secret.clone()),
    )
}

fn public_client(x: &Loopback) -> OAuth2Client {
    let app = x.mock().config().app(DEMO_NATIVE_APP).expect("native app");
    OAuth2Client::public(ClientId::new(app.client_id().expect("client id")))
}

fn confidential_client(x: &Loopback) -> OAuth2Client {
    let app = x.mock().config().app(DEMO_WEB_APP).expect("web app");
    OAuth2Client::confidential(
        ClientId::new(app.client_id().expect("client id")),
        ClientSecret::new(app.client_secret().expect("secret")),
    )
}

fn get(x: &Loopback, path: &str) -> HttpRequest {
    http::Request::get(x.endpoints().api_url(path).as_str())
        .body(Vec::new())
        .expect("a valid request")
}

/// The browser: a GET of the authorize URL whose answer is a redirect (or the PIN page).
fn browse(url: &str) -> http::Response<Vec<u8>> {
    let request = http::Request::get(url).body(Vec::new()).expect("a URI");
    send_plain(&plain_agent(), &request).expect("the consent page answers")
}

fn location(answer: &http::Response<Vec<u8>>) -> String {
    assert_eq!(answer.status(), 302, "consent redirects");
    answer.headers()["location"]
        .to_str()
        .expect("ASCII")
        .to_owned()
}

fn pkce_login<A: Adapter>(x: &Loopback, a: &A, client: &OAuth2Client, seed: u64) -> TokenSet {
    let endpoints = x.endpoints();
    let now = x.now();
    let scopes = Scopes::from([
        Scope::TweetRead,
        Scope::TweetWrite,
        Scope::UsersRead,
        Scope::OfflineAccess,
    ]);
    let (url, pending) = AuthorizeRequest::new(client, REDIRECT, scopes)
        .expect("an authorize request")
        .start(&endpoints, now, &mut StdRng::seed_from_u64(seed));
    let callback = location(&browse(url.as_str()));
    let code = pending.on_callback(&callback, now).expect("a code");
    a.execute(code.exchange(client, &endpoints).expect("a step"))
        .unwrap_or_else(|e| panic!("{}: code exchange failed: {e:?}", A::NAME))
}

fn whoami<A: Adapter>(x: &Loopback, api: &A::Api) -> String {
    let answer = A::send(api, get(x, "2/users/me")).expect("an answer");
    assert_eq!(answer.status(), 200, "{}: {:?}", A::NAME, answer);
    let body: serde_json::Value = serde_json::from_slice(answer.body()).expect("JSON");
    body["data"]["username"]
        .as_str()
        .expect("a username")
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Every flow, through an adapter.

fn app_only_flow<A: Adapter>() {
    let x = start();
    let a: A = adapter(&x, RetryPolicy::new());
    let consumer = web_consumer(&x);
    let app = AppOnly::new(consumer.key, consumer.secret);
    let endpoints = x.endpoints();
    let bearer = a
        .execute(app.obtain(&endpoints).expect("a step"))
        .expect("a bearer");
    let api = adapter::<A>(&x, RetryPolicy::new()).api(Credential::AppOnly(bearer.clone()));
    let answer = A::send(&api, get(&x, "2/users/by/username/mock_bob")).expect("an answer");
    assert_eq!(answer.status(), 200, "{}", A::NAME);
    a.execute(app.invalidate_basic(&endpoints, &bearer).expect("a step"))
        .expect("invalidated");
    let answer = A::send(&api, get(&x, "2/users/by/username/mock_bob")).expect("an answer");
    assert_eq!(answer.status(), 401, "{}: a dead bearer", A::NAME);
}

fn pkce_flow<A: Adapter>(client_of: fn(&Loopback) -> OAuth2Client) {
    let x = start();
    let a: A = adapter(&x, RetryPolicy::new());
    let client = client_of(&x);
    let tokens = pkce_login(&x, &a, &client, 1);
    let endpoints = x.endpoints();
    let me = a
        .execute(UsersMe::new(&endpoints, &tokens).expect("a step"))
        .expect("users/me");
    assert_eq!(me.username, x.mock().config().users[0].username);
    let rotated = a
        .execute(oauth2::refresh(&client, &endpoints, &tokens).expect("a step"))
        .expect("refreshed");
    let api = adapter::<A>(&x, RetryPolicy::new()).api(Credential::OAuth2(rotated.clone()));
    assert_eq!(whoami::<A>(&x, &api), x.mock().config().users[0].username);
    let refresh = rotated.refresh_token().expect("refreshable");
    a.execute(oauth2::revoke(&client, &endpoints, RevokeToken::Refresh(refresh)).expect("a step"))
        .expect("revoked");
    let answer = A::send(&api, get(&x, "2/users/me")).expect("an answer");
    assert_eq!(answer.status(), 401, "{}: revoked", A::NAME);
}

fn oauth1_flow<A: Adapter>(kind: AuthorizeKind, pin: bool) {
    let x = start();
    let a: A = adapter(&x, RetryPolicy::new());
    let consumer = web_consumer(&x);
    let endpoints = x.endpoints();
    let callback = if pin {
        Callback::oob()
    } else {
        Callback::url(REDIRECT).expect("a callback")
    };
    let pending = a
        .execute(
            RequestToken::new(callback)
                .exchange(&consumer, &endpoints, x.now(), &nonce())
                .expect("a step"),
        )
        .expect("a request token");
    let url = pending.authorize_url(&endpoints, kind);
    let page = browse(url.as_str());
    let verified = if pin {
        let html = String::from_utf8(page.into_body()).expect("UTF-8");
        let pin = pin_from_page(&html).expect("a PIN").to_owned();
        pending.with_pin(&pin, x.now()).expect("verified")
    } else {
        pending
            .on_callback(&location(&page), x.now())
            .expect("verified")
    };
    let user: UserCredentials = a
        .execute(
            verified
                .access_token(&consumer, &endpoints, x.now(), &nonce())
                .expect("a step"),
        )
        .expect("an access token");
    let signer = UserSigner::new(&consumer, &user.token);
    let me = a
        .execute(VerifyCredentials::new(&endpoints, &signer, x.now(), &nonce()).expect("a step"))
        .expect("verified credentials");
    assert_eq!(me.screen_name, x.mock().config().users[0].username);
    let api = adapter::<A>(&x, RetryPolicy::new()).api(Credential::OAuth1(signer));
    assert_eq!(whoami::<A>(&x, &api), x.mock().config().users[0].username);
}

/// The API client signs queries, form bodies and JSON bodies alike.
fn oauth1_api_bodies<A: Adapter>() {
    let x = start();
    let signer = UserSigner::new(&web_consumer(&x), &owner_token(&x));
    let api = adapter::<A>(&x, RetryPolicy::new()).api(Credential::OAuth1(signer));
    let answer = A::send(
        &api,
        get(
            &x,
            "1.1/account/verify_credentials.json?include_entities=false&skip_status=true",
        ),
    )
    .expect("an answer");
    assert_eq!(answer.status(), 200, "{}: query signed", A::NAME);
    let json = http::Request::post(x.endpoints().api_url("2/tweets").as_str())
        .header("content-type", "application/json")
        .body(br#"{"text":"hello from an adapter"}"#.to_vec())
        .expect("a request");
    let answer = A::send(&api, json).expect("an answer");
    assert_eq!(
        answer.status(),
        201,
        "{}: JSON body not signed, header valid",
        A::NAME
    );
    let form = http::Request::post(x.endpoints().api_url("1.1/oauth/invalidate_token").as_str())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"note=form+bodies+are+signed".to_vec())
        .expect("a request");
    let answer = A::send(&api, form).expect("an answer");
    assert_eq!(answer.status(), 200, "{}: form body signed", A::NAME);
}

macro_rules! for_each_adapter {
    ($($name:ident => $body:expr;)*) => {
        mod ureq_adapter {
            use super::*;
            type A = Ureq;
            $(#[test] fn $name() { $body })*
        }
        mod reqwest_adapter {
            use super::*;
            type A = Reqwest;
            $(#[test] fn $name() { $body })*
        }
    };
}

for_each_adapter! {
    app_only_obtain_use_invalidate => app_only_flow::<A>();
    pkce_public_client => pkce_flow::<A>(public_client);
    pkce_confidential_client => pkce_flow::<A>(confidential_client);
    oauth1_three_legged => oauth1_flow::<A>(AuthorizeKind::Authorize, false);
    oauth1_sign_in_with_x => oauth1_flow::<A>(AuthorizeKind::Authenticate, false);
    oauth1_pin => oauth1_flow::<A>(AuthorizeKind::Authorize, true);
    oauth1_api_signs_queries_and_bodies => oauth1_api_bodies::<A>();
    api_refreshes_an_expired_token_before_use => refresh_before_use::<A>();
    api_refreshes_once_after_a_401 => refresh_after_401::<A>();
    api_waits_on_429_until_reset => waits_on_429::<A>();
    api_retries_503 => retries_503::<A>();
    dropped_refresh_keeps_the_old_refresh_token => dropped_refresh::<A>();
    malformed_token_answer_is_typed => malformed_answer::<A>();
    revoked_grant_is_typed => revoked_grant::<A>();
    redirects_are_not_followed => no_redirects::<A>();
}

// ---------------------------------------------------------------------------------------------
// The API client's OAuth 2.0 bookkeeping.

/// A logged-in OAuth 2.0 API client over a memory store, and the store.
fn logged_in<A: Adapter>(x: &Loopback, policy: RetryPolicy) -> (A::Api, Arc<MemoryStore>) {
    let client = public_client(x);
    let tokens = pkce_login(x, &adapter::<A>(x, RetryPolicy::new()), &client, 7);
    let store = Arc::new(MemoryStore::with(tokens));
    let api = adapter::<A>(x, policy)
        .api_oauth2(client, store.clone())
        .expect("tokens in the store");
    (api, store)
}

fn stored_access(store: &dyn TokenStore) -> String {
    store
        .load()
        .expect("loads")
        .expect("a set")
        .access_token()
        .secret()
        .to_owned()
}

fn refresh_before_use<A: Adapter>() {
    let x = start();
    let (api, store) = logged_in::<A>(&x, RetryPolicy::new());
    let before = stored_access(&*store);
    x.mock().advance(Duration::from_secs(7200));
    assert_eq!(whoami::<A>(&x, &api), x.mock().config().users[0].username);
    assert_eq!(x.mock().counters().refreshes, 1);
    assert_ne!(stored_access(&*store), before, "the new set was saved");
}

fn refresh_after_401<A: Adapter>() {
    let x = start();
    let (api, store) = logged_in::<A>(&x, RetryPolicy::new());
    // The access token dies at X while the client still thinks it fresh.
    let tokens = store.load().expect("loads").expect("a set");
    let endpoints = x.endpoints();
    adapter::<A>(&x, RetryPolicy::new())
        .execute(
            oauth2::revoke(
                &public_client(&x),
                &endpoints,
                RevokeToken::Access(tokens.access_token()),
            )
            .expect("a step"),
        )
        .expect("revoked");
    assert_eq!(whoami::<A>(&x, &api), x.mock().config().users[0].username);
    assert_eq!(x.mock().counters().refreshes, 1);
}

fn waits_on_429<A: Adapter>() {
    let x = start();
    let policy = RetryPolicy::new().with_wait_on_rate_limit(true);
    let (api, _) = logged_in::<A>(&x, policy);
    let before = x.mock().now();
    x.mock().inject(Fault::new(
        "/2/users/me",
        1,
        FaultKind::RateLimited { reset_after: 120 },
    ));
    assert_eq!(whoami::<A>(&x, &api), x.mock().config().users[0].username);
    assert!(
        x.mock().now() >= before + 120,
        "waited on the mock's clock until the reset"
    );
}

fn retries_503<A: Adapter>() {
    let x = start();
    let (api, _) = logged_in::<A>(&x, RetryPolicy::recommended());
    x.mock()
        .inject(Fault::new("/2/users/me", 2, FaultKind::Status(503)));
    assert_eq!(whoami::<A>(&x, &api), x.mock().config().users[0].username);
    assert_eq!(x.mock().counters().requests_to("/2/users/me"), 3);
}

fn dropped_refresh<A: Adapter>() {
    let x = start();
    let (api, store) = logged_in::<A>(&x, RetryPolicy::recommended());
    let before = store.load().expect("loads").expect("a set");
    x.mock().advance(Duration::from_secs(7200));
    x.mock()
        .inject(Fault::new("/2/oauth2/token", 1, FaultKind::DropConnection));
    match A::send(&api, get(&x, "2/users/me")) {
        Err(Failure::Core(Error::MayHaveBeenConsumed) | Failure::Transport(_)) => {}
        other => panic!(
            "{}: a dropped refresh must fail clearly, got {other:?}",
            A::NAME
        ),
    }
    let kept = store.load().expect("loads").expect("a set");
    assert_eq!(
        kept.refresh_token().map(|t| t.secret().to_owned()),
        before.refresh_token().map(|t| t.secret().to_owned()),
        "the store still holds the old refresh token"
    );
    // It still works: the next call refreshes with it.
    assert_eq!(whoami::<A>(&x, &api), x.mock().config().users[0].username);
    assert_eq!(x.mock().counters().refreshes, 1);
}

fn malformed_answer<A: Adapter>() {
    let x = start();
    let a: A = adapter(&x, RetryPolicy::new());
    let consumer = web_consumer(&x);
    let app = AppOnly::new(consumer.key, consumer.secret);
    x.mock()
        .inject(Fault::new("/oauth2/token", 1, FaultKind::MalformedBody));
    match a.execute(app.obtain(&x.endpoints()).expect("a step")) {
        Err(Failure::Core(Error::Malformed { .. })) => {}
        other => panic!(
            "{}: expected a malformed-answer error, got {other:?}",
            A::NAME
        ),
    }
}

fn revoked_grant<A: Adapter>() {
    let x = start();
    let (api, store) = logged_in::<A>(&x, RetryPolicy::new());
    let tokens = store.load().expect("loads").expect("a set");
    adapter::<A>(&x, RetryPolicy::new())
        .execute(
            oauth2::revoke(
                &public_client(&x),
                &x.endpoints(),
                RevokeToken::Refresh(tokens.refresh_token().expect("refreshable")),
            )
            .expect("a step"),
        )
        .expect("revoked");
    match A::send(&api, get(&x, "2/users/me")) {
        Err(Failure::Core(Error::OAuth2 { status: 400, error })) => {
            assert_eq!(error.error, "invalid_request");
        }
        other => panic!(
            "{}: a revoked grant must be a typed error, got {other:?}",
            A::NAME
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Single-flight refresh: threads, and processes sharing a file store.

/// Keeps the first refresh in flight for half a second, so every other caller arrives while it
/// is pending: without single flight they would refresh too (and spend a dead token).
fn hold_the_refresh(x: &Loopback) {
    x.mock().inject(Fault::new(
        "/2/oauth2/token",
        1,
        FaultKind::Delay(Duration::from_millis(500)),
    ));
}

#[test]
fn sixteen_threads_share_one_refresh_ureq() {
    let x = start();
    let (api, _) = logged_in::<Ureq>(&x, RetryPolicy::new());
    x.mock().advance(Duration::from_secs(7200));
    hold_the_refresh(&x);
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                for _ in 0..4 {
                    let answer = Ureq::send(&api, get(&x, "2/users/me")).expect("an answer");
                    assert_eq!(answer.status(), 200);
                }
            });
        }
    });
    assert_eq!(x.mock().counters().refreshes, 1);
    assert_eq!(x.mock().counters().refresh_replays, 0);
}

#[test]
fn four_processes_share_one_refresh_through_a_file_store() {
    let x = Loopback::start(MockConfig {
        rate_limits: RateLimits::unlimited(),
        ..MockConfig::default()
    });
    let client = public_client(&x);
    let tokens = pkce_login(&x, &adapter::<Ureq>(&x, RetryPolicy::new()), &client, 9);
    let dir = std::env::temp_dir().join(format!("twauth-e2e-procs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let path = dir.join("tokens.json");
    FileStore::new(&path).save(&tokens).expect("saved");
    x.mock().advance(Duration::from_secs(7200));
    hold_the_refresh(&x);
    // The workers' clocks must agree with the mock's, which now runs ahead of the system's.
    let offset = x.mock().now().saturating_sub(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    let client_id = x
        .mock()
        .config()
        .app(DEMO_NATIVE_APP)
        .and_then(|a| a.client_id())
        .expect("client id")
        .to_owned();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_store-worker"))
                .args([
                    x.mock().base_url(),
                    path.to_str().expect("UTF-8 path"),
                    &client_id,
                    &offset.to_string(),
                    "25",
                ])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("a worker starts")
        })
        .collect();
    for worker in workers {
        let output = worker.wait_with_output().expect("a worker ends");
        assert!(
            output.status.success(),
            "a worker failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 1, "one refresh among four processes");
    assert_eq!(
        counters.refresh_replays, 0,
        "no dead refresh token was spent"
    );
    assert_eq!(counters.requests_to("/2/users/me"), 100);
    // The store ends with the newest set: it works, and it is what the mock issued last.
    let stored = FileStore::new(&path).load().expect("loads").expect("a set");
    let api = adapter::<Ureq>(&x, RetryPolicy::new()).api(Credential::OAuth2(stored));
    assert_eq!(
        whoami::<Ureq>(&x, &api),
        x.mock().config().users[0].username
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_hundred_tasks_share_one_refresh_reqwest() {
    let x = Loopback::start(MockConfig {
        rate_limits: RateLimits::unlimited(),
        ..MockConfig::default()
    });
    let (api, _) = logged_in::<Reqwest>(&x, RetryPolicy::new());
    x.mock().advance(Duration::from_secs(7200));
    hold_the_refresh(&x);
    let url = x.endpoints().api_url("2/users/me");
    let statuses = api.runtime.block_on(async {
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let api = Arc::clone(&api.api);
                let request = http::Request::get(url.as_str())
                    .body(Vec::new())
                    .expect("a valid request");
                tokio::spawn(async move { api.send(request).await.map(|a| a.status()) })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.expect("the task ends").expect("an answer"));
        }
        statuses
    });
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(x.mock().counters().refreshes, 1);
    assert_eq!(x.mock().counters().refresh_replays, 0);
}

/// A redirect is handed back, never followed: the `Authorization` header cannot reach another
/// host.
fn no_redirects<A: Adapter>() {
    let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
    elsewhere.set_nonblocking(true).expect("non-blocking");
    let target = format!(
        "http://127.0.0.1:{}/cb",
        elsewhere.local_addr().expect("addr").port()
    );
    let mut config = MockConfig::default();
    config.apps[1].callbacks.push(target.clone());
    let x = Loopback::start(config);
    let client_id = public_client(&x);
    let (url, _) = AuthorizeRequest::new(&client_id, &target, Scopes::from([Scope::UsersRead]))
        .expect("an authorize request")
        .start(&x.endpoints(), x.now(), &mut StdRng::seed_from_u64(3));
    let signer = UserSigner::new(&web_consumer(&x), &owner_token(&x));
    let api = adapter::<A>(&x, RetryPolicy::recommended()).api(Credential::OAuth1(signer));
    let request = http::Request::get(url.as_str())
        .body(Vec::new())
        .expect("a request");
    let answer = A::send(&api, request).expect("an answer");
    assert_eq!(
        answer.status(),
        302,
        "{}: the redirect comes back as is",
        A::NAME
    );
    assert!(
        answer.headers()["location"]
            .to_str()
            .expect("ASCII")
            .starts_with(&target)
    );
    std::thread::sleep(Duration::from_millis(100));
    match elsewhere.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!(
            "{}: something connected to the redirect target: {other:?}",
            A::NAME
        ),
    }
}
