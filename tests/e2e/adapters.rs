//! Every flow through each transport adapter against the fake X on loopback (one test body per
//! flow, run by each adapter), each ending with the credential working on a protected resource;
//! then the API client: single-flight refresh across threads, clients and processes, faults,
//! failing stores, and redirects that are never followed.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use twitter_auth_core::api::Credential;
use twitter_auth_core::grant::{Loaded, LoginRequired, Saved, StoredGrant, UserKey};
use twitter_auth_core::oauth1::{self, AuthorizeKind, Callback, UserCredentials};
use twitter_auth_core::oauth1_sign::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use twitter_auth_core::oauth2::{App as OAuth2Client, RevokeToken, Scope, Scopes, TokenSet};
use twitter_auth_core::retry::RetryPolicy;
use twitter_auth_core::{ClientId, ClientSecret, Error, HttpRequest, Replay};
use twitter_auth_mock::{
    DEMO_NATIVE_APP, DEMO_WEB_APP, Fault, FaultKind, MockConfig, RateLimits, pin_from_page,
};
use twitter_auth_std::{
    BlockingTokenStore, FileStore, Lease, MemoryStore, StoreError, StoreFuture, TokenStore,
};
use twitter_auth_tests::adapters::{Adapter, Failure, Reqwest, Ureq};
use twitter_auth_tests::{Loopback, TempDir, Transport as _, plain_agent, send_plain};

pub(crate) const REDIRECT: &str = "http://127.0.0.1:8765/callback";

pub(crate) fn start() -> Loopback {
    Loopback::start(MockConfig::default())
}

pub(crate) fn adapter<A: Adapter>(x: &Loopback, policy: RetryPolicy) -> A {
    A::new(x.endpoints(), policy, x.clock())
}

pub(crate) fn web_consumer(x: &Loopback) -> ConsumerCredentials {
    let app = x.mock().config().app(DEMO_WEB_APP).expect("web app");
    ConsumerCredentials::new(
        ConsumerKey::new(app.consumer_key.clone()),
        ConsumerSecret::new(app.consumer_secret.clone()),
    )
}

/// The demo web app's OAuth 1.0a face, at the fake X's hosts (nonces from `rand::rng()`).
pub(crate) fn web_app(x: &Loopback) -> oauth1::App {
    oauth1::App::from(web_consumer(x)).with_endpoints(x.endpoints())
}

/// The demo web app's app-only face, at the fake X's hosts.
pub(crate) fn app_only(x: &Loopback) -> oauth1::App {
    let consumer = web_consumer(x);
    oauth1::App::new(consumer.key, consumer.secret).with_endpoints(x.endpoints())
}

pub(crate) fn owner_token(x: &Loopback) -> TokenCredentials {
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

/// The demo native app, at the fake X's hosts.
pub(crate) fn public_client(x: &Loopback) -> OAuth2Client {
    let app = x.mock().config().app(DEMO_NATIVE_APP).expect("native app");
    OAuth2Client::public(ClientId::new(app.client_id().expect("client id")))
        .with_endpoints(x.endpoints())
}

/// The demo web app, at the fake X's hosts.
pub(crate) fn confidential_client(x: &Loopback) -> OAuth2Client {
    let app = x.mock().config().app(DEMO_WEB_APP).expect("web app");
    OAuth2Client::confidential(
        ClientId::new(app.client_id().expect("client id")),
        ClientSecret::new(app.client_secret().expect("secret")),
    )
    .with_endpoints(x.endpoints())
}

pub(crate) fn get(x: &Loopback, path: &str) -> HttpRequest {
    http::Request::get(x.endpoints().api_url(path).as_str())
        .body(Vec::new())
        .expect("a valid request")
}

/// The browser: a GET of the authorize URL whose answer is a redirect (or the PIN page).
pub(crate) fn browse(url: &str) -> http::Response<Vec<u8>> {
    let request = http::Request::get(url).body(Vec::new()).expect("a URI");
    send_plain(&plain_agent(), &request).expect("the consent page answers")
}

pub(crate) fn location(answer: &http::Response<Vec<u8>>) -> String {
    assert_eq!(answer.status(), 302, "consent redirects");
    answer.headers()["location"]
        .to_str()
        .expect("ASCII")
        .to_owned()
}

pub(crate) fn pkce_login<A: Adapter>(
    x: &Loopback,
    a: &A,
    client: &OAuth2Client,
    seed: u64,
) -> TokenSet {
    let scopes = Scopes::from([
        Scope::TweetRead,
        Scope::TweetWrite,
        Scope::UsersRead,
        Scope::OfflineAccess,
    ]);
    pkce_login_with(x, a, client, seed, scopes)
}

/// [`pkce_login`] asking for `scopes`.
pub(crate) fn pkce_login_with<A: Adapter>(
    x: &Loopback,
    a: &A,
    client: &OAuth2Client,
    seed: u64,
    scopes: Scopes,
) -> TokenSet {
    let now = x.now();
    let (url, pending) = client
        .authorize(REDIRECT, scopes)
        .expect("an authorize request")
        .start(now, &mut StdRng::seed_from_u64(seed));
    let callback = location(&browse(url.as_str()));
    let code = pending.on_callback(&callback, now).expect("a code");
    a.execute(client.exchange(code).expect("a step"))
        .unwrap_or_else(|e| panic!("{}: code exchange failed: {e:?}", A::NAME))
}

pub(crate) fn whoami<A: Adapter>(x: &Loopback, api: &A::Api) -> String {
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
    let app = app_only(&x);
    let bearer = a
        .execute(app.obtain_bearer().expect("a step"))
        .expect("a bearer");
    let api = adapter::<A>(&x, RetryPolicy::new()).api(Credential::AppOnly(bearer.clone()));
    let answer = A::send(&api, get(&x, "2/users/by/username/mock_bob")).expect("an answer");
    assert_eq!(answer.status(), 200, "{}", A::NAME);
    a.execute(app.invalidate_bearer_basic(&bearer).expect("a step"))
        .expect("invalidated");
    let answer = A::send(&api, get(&x, "2/users/by/username/mock_bob")).expect("an answer");
    assert_eq!(answer.status(), 401, "{}: a dead bearer", A::NAME);
}

fn pkce_flow<A: Adapter>(client_of: fn(&Loopback) -> OAuth2Client) {
    let x = start();
    let a: A = adapter(&x, RetryPolicy::new());
    let client = client_of(&x);
    let tokens = pkce_login(&x, &a, &client, 1);
    let me = a
        .execute(client.users_me(&tokens).expect("a step"))
        .expect("users/me");
    assert_eq!(me.username, x.mock().config().users[0].username);
    let rotated = a
        .execute(client.refresh(&tokens).expect("a step"))
        .expect("refreshed");
    let api = adapter::<A>(&x, RetryPolicy::new()).api(Credential::OAuth2(rotated.clone()));
    assert_eq!(whoami::<A>(&x, &api), x.mock().config().users[0].username);
    let refresh = rotated.refresh_token().expect("refreshable");
    a.execute(
        client
            .revoke(RevokeToken::Refresh(refresh))
            .expect("a step"),
    )
    .expect("revoked");
    let answer = A::send(&api, get(&x, "2/users/me")).expect("an answer");
    assert_eq!(answer.status(), 401, "{}: revoked", A::NAME);
}

fn oauth1_flow<A: Adapter>(kind: AuthorizeKind, pin: bool) {
    let x = start();
    let a: A = adapter(&x, RetryPolicy::new());
    let app = web_app(&x);
    let callback = if pin {
        Callback::oob()
    } else {
        Callback::url(REDIRECT).expect("a callback")
    };
    let pending = a
        .execute(
            app.request_token(callback, x.now(), &mut rand::rng())
                .expect("a step"),
        )
        .expect("a request token");
    let url = app.authorize_url(&pending, kind);
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
            app.access_token(verified, x.now(), &mut rand::rng())
                .expect("a step"),
        )
        .expect("an access token");
    let signer = app.signer(&user.token);
    let me = a
        .execute(
            app.verify_credentials(&signer, x.now(), &mut rand::rng())
                .expect("a step"),
        )
        .expect("verified credentials");
    assert_eq!(me.screen_name, x.mock().config().users[0].username);
    let api = adapter::<A>(&x, RetryPolicy::new()).api(Credential::OAuth1(signer));
    assert_eq!(whoami::<A>(&x, &api), x.mock().config().users[0].username);
}

/// The API client signs queries, form bodies and JSON bodies alike.
fn oauth1_api_bodies<A: Adapter>() {
    let x = start();
    let signer = oauth1::App::from(web_consumer(&x)).signer(&owner_token(&x));
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

/// The contract's default bearer invalidation (§3.3, §10.6): OAuth 1.0a, signed with the app's
/// keys and the app owner's access token; the bearer is refused afterwards.
fn app_only_invalidate_signed<A: Adapter>() {
    let x = start();
    let a: A = adapter(&x, RetryPolicy::new());
    let app = app_only(&x);
    let bearer = a
        .execute(app.obtain_bearer().expect("a step"))
        .expect("a bearer");
    let api = adapter::<A>(&x, RetryPolicy::new()).api(Credential::AppOnly(bearer.clone()));
    let answer = A::send(&api, get(&x, "2/users/by/username/mock_bob")).expect("an answer");
    assert_eq!(answer.status(), 200, "{}: a live bearer", A::NAME);
    let step = app
        .invalidate_bearer_signed(&bearer, &owner_token(&x), x.now(), &mut rand::rng())
        .expect("a step");
    a.execute(step)
        .unwrap_or_else(|e| panic!("{}: the signed invalidation failed: {e:?}", A::NAME));
    let counters = x.mock().counters();
    assert_eq!(counters.invalidations, 1, "{}", A::NAME);
    assert_eq!(counters.rejected_signatures, 0, "{}", A::NAME);
    let answer = A::send(&api, get(&x, "2/users/by/username/mock_bob")).expect("an answer");
    assert_eq!(answer.status(), 401, "{}: an invalidated bearer", A::NAME);
}

/// A signed flow step (here the signed bearer invalidation) cannot be signed anew by `execute`,
/// so even with retries and 429 waits on it is sent once: the 429 comes back as X's typed error
/// instead of a stale signature earning a 135.
fn signed_step_sent_once<A: Adapter>() {
    let x = start();
    let policy = RetryPolicy::recommended().with_wait_on_rate_limit(true);
    let a: A = adapter(&x, policy);
    let app = app_only(&x);
    let bearer = a
        .execute(app.obtain_bearer().expect("a step"))
        .expect("a bearer");
    x.mock().inject(Fault::new(
        "/oauth2/invalidate_token",
        1,
        FaultKind::RateLimited { reset_after: 400 },
    ));
    let step = app
        .invalidate_bearer_signed(&bearer, &owner_token(&x), x.now(), &mut rand::rng())
        .expect("a step");
    match a.execute(step) {
        Err(Failure::Core(Error::X {
            status: 429,
            errors,
        })) => assert_eq!(errors[0].code, 88),
        other => panic!("{}: expected X's 429, got {other:?}", A::NAME),
    }
    let counters = x.mock().counters();
    assert_eq!(
        counters.requests_to("/oauth2/invalidate_token"),
        1,
        "{}: sent once",
        A::NAME
    );
    assert_eq!(counters.rejected_signatures, 0, "{}", A::NAME);
}

/// A 429 whose window resets 400 s ahead is waited out (contract §7: until the reset, + 1 s),
/// on the mock's clock, so it costs no real time. The retry must be signed anew: the first
/// signature's timestamp is then 401 s old, beyond the mock's 300 s window (X's tolerance,
/// contract §1.2), and a re-sent one would be refused with code 135 (counted below even if a
/// re-sign after the 135 then rescued the call).
fn oauth1_waits_on_429_then_signs_anew<A: Adapter>() {
    const PATH: &str = "/1.1/account/verify_credentials.json";
    const RESET_AFTER: u64 = 400;
    let x = start();
    assert!(
        RESET_AFTER > x.mock().config().timestamp_window,
        "the wait must outlast the timestamp window"
    );
    let signer = oauth1::App::from(web_consumer(&x)).signer(&owner_token(&x));
    let policy = RetryPolicy::new().with_wait_on_rate_limit(true);
    let api = adapter::<A>(&x, policy).api(Credential::OAuth1(signer));
    x.mock().inject(Fault::new(
        PATH,
        1,
        FaultKind::RateLimited {
            reset_after: RESET_AFTER,
        },
    ));
    let before = x.mock().now();
    let started = Instant::now();
    let answer = A::send(&api, get(&x, &PATH[1..])).expect("an answer");
    let took = started.elapsed();
    assert_eq!(
        answer.status(),
        200,
        "{}: {}",
        A::NAME,
        String::from_utf8_lossy(answer.body())
    );
    let counters = x.mock().counters();
    assert_eq!(
        counters.requests_to(PATH),
        2,
        "{}: the 429, then one retry",
        A::NAME
    );
    assert_eq!(
        counters.rejected_signatures,
        0,
        "{}: the retry was signed anew (fresh timestamp and nonce)",
        A::NAME
    );
    assert!(
        x.mock().now() >= before + RESET_AFTER,
        "{}: waited until the reset on the mock's clock",
        A::NAME
    );
    assert!(
        took < Duration::from_secs(2),
        "{}: the wait is on the mock's clock, not the wall's ({took:?})",
        A::NAME
    );
}

/// Runs each body once per adapter: `mod ureq_adapter` and `mod reqwest_adapter`, with `A` the
/// adapter; attributes before a name (`#[ignore = "…"]`) go on both tests.
macro_rules! for_each_adapter {
    ($($(#[$meta:meta])* $name:ident => $body:expr;)*) => {
        mod ureq_adapter {
            use super::*;
            type A = twitter_auth_tests::adapters::Ureq;
            $($(#[$meta])* #[test] fn $name() { $body })*
        }
        mod reqwest_adapter {
            use super::*;
            type A = twitter_auth_tests::adapters::Reqwest;
            $($(#[$meta])* #[test] fn $name() { $body })*
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
    app_only_invalidate_signed_by_the_owner => app_only_invalidate_signed::<A>();
    signed_step_is_never_resent_as_is => signed_step_sent_once::<A>();
    oauth1_api_signs_queries_and_bodies => oauth1_api_bodies::<A>();
    oauth1_api_signs_anew_after_a_429_wait => oauth1_waits_on_429_then_signs_anew::<A>();
    api_refreshes_an_expired_token_before_use => refresh_before_use::<A>();
    api_refreshes_once_after_a_401 => refresh_after_401::<A>();
    api_hands_back_a_second_401_after_one_refresh => refresh_once_after_401s::<A>();
    api_waits_on_429_until_reset => waits_on_429::<A>();
    api_retries_503 => retries_503::<A>();
    a_retried_step_sends_its_body_again => retried_body::<A>();
    dropped_refresh_keeps_the_old_refresh_token => dropped_refresh::<A>();
    lost_refresh_answer_means_login_required_outcome_unknown => lost_refresh_answer::<A>();
    failed_save_keeps_the_new_set_in_memory => failed_save::<A>();
    two_clients_share_one_refresh_through_a_file_store => two_clients_one_refresh::<A>();
    second_client_refreshes_from_the_stored_set => refresh_from_the_stored_set::<A>();
    malformed_token_answer_is_typed => malformed_answer::<A>();
    revoked_grant_means_login_required_refused => revoked_grant::<A>();
    redirects_are_not_followed => no_redirects::<A>();
    flow_steps_do_not_follow_redirects => round_trip_no_redirects::<A>();
}

// ---------------------------------------------------------------------------------------------
// The API client's OAuth 2.0 bookkeeping.

/// A user logged in through an adapter's grants: the API client, the grants, the store and
/// the key.
pub(crate) struct LoggedIn<A: Adapter, S> {
    pub(crate) api: A::Api,
    pub(crate) grants: A::Grants,
    pub(crate) store: Arc<S>,
    pub(crate) key: UserKey,
}

/// The demo world's first user's key (their X user id; any text would do).
pub(crate) fn first_user_key(x: &Loopback) -> UserKey {
    UserKey::new(x.mock().config().users[0].id.clone()).expect("a valid key")
}

/// A PKCE login of the mock's signed-in user, stored for `key` in `store` through `A`'s grants.
pub(crate) fn log_in_to<A: Adapter, S>(
    x: &Loopback,
    policy: RetryPolicy,
    store: Arc<S>,
    key: UserKey,
    seed: u64,
) -> LoggedIn<A, S>
where
    S: TokenStore + BlockingTokenStore + 'static,
{
    let client = public_client(x);
    let tokens = pkce_login(x, &adapter::<A>(x, RetryPolicy::new()), &client, seed);
    let grants = adapter::<A>(x, policy).grants(client, Arc::clone(&store));
    let api = A::login(&grants, &key, tokens)
        .unwrap_or_else(|e| panic!("{}: the login is stored: {e:?}", A::NAME));
    LoggedIn {
        api,
        grants,
        store,
        key,
    }
}

/// A logged-in user's API client over a memory store.
pub(crate) fn logged_in<A: Adapter>(x: &Loopback, policy: RetryPolicy) -> LoggedIn<A, MemoryStore> {
    log_in_to(
        x,
        policy,
        Arc::new(MemoryStore::new()),
        first_user_key(x),
        7,
    )
}

/// What `store` holds for `key` (committed grant and salvage place).
pub(crate) fn loaded(store: &dyn BlockingTokenStore, key: &UserKey) -> Loaded {
    store.load(key).expect("the store loads")
}

/// The grant `store` holds for `key`.
pub(crate) fn stored(store: &dyn BlockingTokenStore, key: &UserKey) -> StoredGrant {
    loaded(store, key).grant.expect("a stored grant")
}

fn refresh_before_use<A: Adapter>() {
    let x = start();
    let user = logged_in::<A>(&x, RetryPolicy::new());
    let before = stored(&*user.store, &user.key);
    assert_eq!(A::generation(&user.api), Some(before.generation()));
    x.mock().advance(Duration::from_secs(7200));
    assert_eq!(
        whoami::<A>(&x, &user.api),
        x.mock().config().users[0].username
    );
    assert_eq!(x.mock().counters().refreshes, 1);
    let after = stored(&*user.store, &user.key);
    assert_ne!(
        after.tokens().access_token().secret(),
        before.tokens().access_token().secret(),
        "{}: the new set was saved",
        A::NAME
    );
    assert_eq!(after.generation(), before.generation() + 1, "{}", A::NAME);
    assert_eq!(A::generation(&user.api), Some(after.generation()));
    assert!(
        after.refresh_intent().is_none(),
        "{}: intent cleared",
        A::NAME
    );
}

/// The access token dies at X while the client still thinks it fresh: the 401 costs exactly
/// one refresh, and the call is answered with the new token.
fn refresh_after_401<A: Adapter>() {
    let x = start();
    let user = logged_in::<A>(&x, RetryPolicy::new());
    let before = stored(&*user.store, &user.key);
    adapter::<A>(&x, RetryPolicy::new())
        .execute(
            public_client(&x)
                .revoke(RevokeToken::Access(before.tokens().access_token()))
                .expect("a step"),
        )
        .expect("revoked");
    let calls = x.mock().counters().requests_to("/2/users/me");
    assert_eq!(
        whoami::<A>(&x, &user.api),
        x.mock().config().users[0].username
    );
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 1, "{}: one refresh", A::NAME);
    assert_eq!(
        counters.requests_to("/2/users/me"),
        calls + 2,
        "{}: the 401, then the call again",
        A::NAME
    );
    let after = stored(&*user.store, &user.key);
    assert_eq!(after.generation(), before.generation() + 1, "{}", A::NAME);
    assert_eq!(A::generation(&user.api), Some(after.generation()));
}

/// A 401 that persists after the refresh comes back as it is: one refresh, never a loop.
fn refresh_once_after_401s<A: Adapter>() {
    let x = start();
    let user = logged_in::<A>(&x, RetryPolicy::new());
    let before = x.mock().counters();
    x.mock()
        .inject(Fault::new("/2/users/me", 2, FaultKind::Status(401)));
    let answer = A::send(&user.api, get(&x, "2/users/me")).expect("an answer");
    assert_eq!(answer.status(), 401, "{}: handed back", A::NAME);
    let counters = x.mock().counters();
    assert_eq!(
        counters.refreshes,
        before.refreshes + 1,
        "{}: exactly one refresh",
        A::NAME
    );
    assert_eq!(
        counters.requests_to("/2/users/me"),
        before.requests_to("/2/users/me") + 2,
        "{}: sent twice",
        A::NAME
    );
    assert_eq!(
        whoami::<A>(&x, &user.api),
        x.mock().config().users[0].username
    );
    assert_eq!(x.mock().counters().refreshes, before.refreshes + 1);
}

fn waits_on_429<A: Adapter>() {
    let x = start();
    let policy = RetryPolicy::new().with_wait_on_rate_limit(true);
    let user = logged_in::<A>(&x, policy);
    let before = x.mock().now();
    x.mock().inject(Fault::new(
        "/2/users/me",
        1,
        FaultKind::RateLimited { reset_after: 120 },
    ));
    assert_eq!(
        whoami::<A>(&x, &user.api),
        x.mock().config().users[0].username
    );
    assert!(
        x.mock().now() >= before + 120,
        "waited on the mock's clock until the reset"
    );
}

fn retries_503<A: Adapter>() {
    let x = start();
    let user = logged_in::<A>(&x, RetryPolicy::recommended());
    x.mock()
        .inject(Fault::new("/2/users/me", 2, FaultKind::Status(503)));
    assert_eq!(
        whoami::<A>(&x, &user.api),
        x.mock().config().users[0].username
    );
    assert_eq!(x.mock().counters().requests_to("/2/users/me"), 3);
}

/// A step with a form body (`grant_type=client_credentials`), answered 503 twice: every
/// attempt carries the whole body (the adapter lends it to the HTTP client and takes it back),
/// or X would refuse the grant.
fn retried_body<A: Adapter>() {
    let x = start();
    let a: A = adapter(&x, RetryPolicy::recommended());
    x.mock()
        .inject(Fault::new("/oauth2/token", 2, FaultKind::Status(503)));
    let bearer = a.execute(app_only(&x).obtain_bearer().expect("a step"));
    assert!(bearer.is_ok(), "{}: {bearer:?}", A::NAME);
    assert_eq!(x.mock().counters().requests_to("/oauth2/token"), 3);
}

pub(crate) const TOKEN_PATH: &str = "/2/oauth2/token";

fn refresh_secret(tokens: &TokenSet) -> String {
    tokens
        .refresh_token()
        .expect("refreshable")
        .secret()
        .to_owned()
}

fn stored_refresh(store: &dyn BlockingTokenStore, key: &UserKey) -> String {
    refresh_secret(stored(store, key).tokens())
}

/// The connection drops after the refresh was sent and before X processed it. The adapter
/// cannot tell that X did nothing: the grant may have been spent, so it reports
/// `MayHaveBeenConsumed` and does not send the refresh again (contract §4.6: never replay a
/// refresh whose outcome is unknown), even with retries on. The intent stays in the store;
/// the next call tries the old refresh token once more, X never saw it, and it works.
fn dropped_refresh<A: Adapter>() {
    let x = start();
    let user = logged_in::<A>(&x, RetryPolicy::recommended());
    let (store, key) = (&*user.store, &user.key);
    let before = stored(store, key);
    let sent = x.mock().counters().requests_to(TOKEN_PATH);
    x.mock().advance(Duration::from_secs(7200));
    x.mock()
        .inject(Fault::new(TOKEN_PATH, 1, FaultKind::DropConnection));
    match A::send(&user.api, get(&x, "2/users/me")) {
        Err(Failure::Core(Error::MayHaveBeenConsumed)) => {}
        other => panic!(
            "{}: a dropped refresh must be MayHaveBeenConsumed, got {other:?}",
            A::NAME
        ),
    }
    let counters = x.mock().counters();
    assert_eq!(
        counters.requests_to(TOKEN_PATH),
        sent + 1,
        "{}: the single-use refresh was sent once, not retried blindly",
        A::NAME
    );
    assert_eq!(counters.refreshes, 0, "{}: X processed nothing", A::NAME);
    let now = stored(store, key);
    assert_eq!(
        refresh_secret(now.tokens()),
        refresh_secret(before.tokens()),
        "{}: the store still holds the old refresh token",
        A::NAME
    );
    assert_eq!(now.generation(), before.generation(), "{}", A::NAME);
    assert!(
        now.refresh_intent().is_some(),
        "{}: the intent says the outcome is unknown",
        A::NAME
    );
    // X never saw it, so the old refresh token still works: the next call refreshes with it.
    assert_eq!(
        whoami::<A>(&x, &user.api),
        x.mock().config().users[0].username
    );
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 1, "{}", A::NAME);
    assert_eq!(counters.refresh_replays, 0, "{}", A::NAME);
    assert_eq!(counters.requests_to(TOKEN_PATH), sent + 2, "{}", A::NAME);
    let after = stored(store, key);
    assert_ne!(
        refresh_secret(after.tokens()),
        refresh_secret(before.tokens()),
        "{}: the new set was saved",
        A::NAME
    );
    assert_eq!(after.generation(), before.generation() + 1, "{}", A::NAME);
    assert!(after.refresh_intent().is_none(), "{}", A::NAME);
}

/// X processes the refresh (rotating the refresh token) and the answer is lost: the case the
/// contract warns about (§4.6, "never replay a refresh request whose outcome is unknown"), and
/// one no client can repair. The call fails with `MayHaveBeenConsumed` without a retry, and the
/// store keeps the intent. The next call tries the old refresh token once (the cut may have
/// come before X saw it), X refuses it as spent, and the grant is declared gone with
/// `LoginRequired(OutcomeUnknown)`, never a bare `invalid_request`; later calls say so without
/// asking X again, and a new login for the key works.
fn lost_refresh_answer<A: Adapter>() {
    let x = start();
    let user = logged_in::<A>(&x, RetryPolicy::recommended());
    let (store, key) = (&*user.store, &user.key);
    let before = stored(store, key);
    let sent = x.mock().counters().requests_to(TOKEN_PATH);
    x.mock().advance(Duration::from_secs(7200));
    x.mock()
        .inject(Fault::new(TOKEN_PATH, 1, FaultKind::LoseResponse));
    match A::send(&user.api, get(&x, "2/users/me")) {
        Err(Failure::Core(Error::MayHaveBeenConsumed)) => {}
        other => panic!(
            "{}: a lost refresh answer must be MayHaveBeenConsumed, got {other:?}",
            A::NAME
        ),
    }
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 1, "{}: X did rotate", A::NAME);
    assert_eq!(
        counters.requests_to(TOKEN_PATH),
        sent + 1,
        "{}: not replayed",
        A::NAME
    );
    let now = stored(store, key);
    assert_eq!(
        refresh_secret(now.tokens()),
        refresh_secret(before.tokens()),
        "{}: nothing to save",
        A::NAME
    );
    assert!(now.refresh_intent().is_some(), "{}: intent kept", A::NAME);
    // What happens next: the old (spent) refresh token is tried once, and refused.
    match A::send(&user.api, get(&x, "2/users/me")) {
        Err(Failure::LoginRequired(LoginRequired::OutcomeUnknown)) => {}
        other => panic!(
            "{}: the spent refresh token must mean LoginRequired(OutcomeUnknown), got {other:?}",
            A::NAME
        ),
    }
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 1, "{}", A::NAME);
    assert_eq!(
        counters.refresh_replays,
        1,
        "{}: the spent token, tried once",
        A::NAME
    );
    assert_eq!(counters.requests_to(TOKEN_PATH), sent + 2, "{}", A::NAME);
    let lost = stored(store, key);
    assert_eq!(
        lost.lost(),
        Some(LoginRequired::OutcomeUnknown),
        "{}: the store says the grant is gone",
        A::NAME
    );
    assert_eq!(lost.generation(), before.generation(), "{}", A::NAME);
    // Every later call says the same without spending anything at X.
    match A::send(&user.api, get(&x, "2/users/me")) {
        Err(Failure::LoginRequired(LoginRequired::OutcomeUnknown)) => {}
        other => panic!("{}: still gone, got {other:?}", A::NAME),
    }
    assert_eq!(
        x.mock().counters().requests_to(TOKEN_PATH),
        sent + 2,
        "{}: X is not asked again",
        A::NAME
    );
    // The user logs in again: a new grant, one generation above the lost one.
    let tokens = pkce_login(
        &x,
        &adapter::<A>(&x, RetryPolicy::new()),
        &public_client(&x),
        8,
    );
    let api = A::login(&user.grants, key, tokens).expect("a new login is stored");
    assert_eq!(whoami::<A>(&x, &api), x.mock().config().users[0].username);
    let again = stored(store, key);
    assert_eq!(again.generation(), before.generation() + 1, "{}", A::NAME);
    assert_eq!(again.lost(), None, "{}", A::NAME);
}

/// A `MemoryStore` whose saves fail on demand (a full disk, a store that went away): every
/// save while `fail_saves` is set, and the next save of a set X issued (generation one above
/// the stored one, no intent) when `fail_new_set` is set.
#[derive(Debug, Default)]
pub(crate) struct FailingStore {
    pub(crate) inner: MemoryStore,
    pub(crate) fail_saves: AtomicBool,
    pub(crate) fail_new_set: AtomicBool,
    /// Saves attempted.
    pub(crate) saves: AtomicUsize,
}

impl FailingStore {
    fn failure() -> StoreError {
        StoreError::Io {
            path: PathBuf::from("failing-store"),
            source: std::io::Error::other("no space left on device"),
        }
    }
}

impl BlockingTokenStore for FailingStore {
    fn try_lease(&self, key: &UserKey, ttl: Duration) -> Result<Option<Lease>, StoreError> {
        BlockingTokenStore::try_lease(&self.inner, key, ttl)
    }

    fn release(&self, lease: Lease) -> Result<(), StoreError> {
        BlockingTokenStore::release(&self.inner, lease)
    }

    fn load(&self, key: &UserKey) -> Result<Loaded, StoreError> {
        BlockingTokenStore::load(&self.inner, key)
    }

    fn save(
        &self,
        lease: &Lease,
        expected: Option<u64>,
        grant: &StoredGrant,
    ) -> Result<Saved, StoreError> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        if self.fail_saves.load(Ordering::SeqCst) {
            return Err(Self::failure());
        }
        let new_set = grant.refresh_intent().is_none()
            && expected.is_some_and(|e| grant.generation() == e + 1);
        if new_set && self.fail_new_set.swap(false, Ordering::SeqCst) {
            return Err(Self::failure());
        }
        BlockingTokenStore::save(&self.inner, lease, expected, grant)
    }

    fn salvage(&self, grant: &StoredGrant) -> Result<(), StoreError> {
        BlockingTokenStore::salvage(&self.inner, grant)
    }

    fn delete(&self, lease: &Lease, expected: u64) -> Result<Saved, StoreError> {
        BlockingTokenStore::delete(&self.inner, lease, expected)
    }

    fn expiring_before(&self, before: SystemTime) -> Result<Vec<UserKey>, StoreError> {
        BlockingTokenStore::expiring_before(&self.inner, before)
    }
}

/// The async face: the blocking calls, which are quick.
impl TokenStore for FailingStore {
    fn try_lease<'a>(&'a self, key: &'a UserKey, ttl: Duration) -> StoreFuture<'a, Option<Lease>> {
        Box::pin(async move { BlockingTokenStore::try_lease(self, key, ttl) })
    }

    fn release(&self, lease: Lease) -> StoreFuture<'_, ()> {
        Box::pin(async move { BlockingTokenStore::release(self, lease) })
    }

    fn load<'a>(&'a self, key: &'a UserKey) -> StoreFuture<'a, Loaded> {
        Box::pin(async move { BlockingTokenStore::load(self, key) })
    }

    fn save<'a>(
        &'a self,
        lease: &'a Lease,
        expected: Option<u64>,
        grant: &'a StoredGrant,
    ) -> StoreFuture<'a, Saved> {
        Box::pin(async move { BlockingTokenStore::save(self, lease, expected, grant) })
    }

    fn salvage<'a>(&'a self, grant: &'a StoredGrant) -> StoreFuture<'a, ()> {
        Box::pin(async move { BlockingTokenStore::salvage(self, grant) })
    }

    fn delete<'a>(&'a self, lease: &'a Lease, expected: u64) -> StoreFuture<'a, Saved> {
        Box::pin(async move { BlockingTokenStore::delete(self, lease, expected) })
    }

    fn expiring_before(&self, before: SystemTime) -> StoreFuture<'_, Vec<UserKey>> {
        Box::pin(async move { BlockingTokenStore::expiring_before(self, before) })
    }
}

/// The refresh succeeds and saving its set fails: X has spent the old refresh token, so the
/// new set is used anyway (the call works), kept in memory and in the store's salvage place;
/// the next call commits it without another refresh and without spending the dead token.
fn failed_save<A: Adapter>() {
    let x = start();
    let user = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(FailingStore::default()),
        first_user_key(&x),
        11,
    );
    let (store, key) = (&*user.store, &user.key);
    let before = stored(store, key);
    store.fail_new_set.store(true, Ordering::SeqCst);
    x.mock().advance(Duration::from_secs(7200));
    assert_eq!(
        whoami::<A>(&x, &user.api),
        x.mock().config().users[0].username,
        "{}: the unsaved set is used",
        A::NAME
    );
    assert!(
        !store.fail_new_set.load(Ordering::SeqCst),
        "{}: the save was attempted",
        A::NAME
    );
    assert_eq!(x.mock().counters().refreshes, 1, "{}", A::NAME);
    let held = loaded(store, key);
    let committed = held.grant.expect("a grant");
    assert_eq!(
        refresh_secret(committed.tokens()),
        refresh_secret(before.tokens()),
        "{}: not committed",
        A::NAME
    );
    let salvaged = held.salvage.expect("the new set in the salvage place");
    assert_eq!(
        salvaged.generation(),
        before.generation() + 1,
        "{}",
        A::NAME
    );
    assert_eq!(A::generation(&user.api), Some(salvaged.generation()));
    assert_eq!(
        whoami::<A>(&x, &user.api),
        x.mock().config().users[0].username
    );
    let counters = x.mock().counters();
    assert_eq!(
        counters.refreshes,
        1,
        "{}: the new set was kept in memory",
        A::NAME
    );
    assert_eq!(counters.refresh_replays, 0, "{}", A::NAME);
    let settled = loaded(store, key);
    assert_eq!(
        settled.grant.as_ref().map(StoredGrant::generation),
        Some(before.generation() + 1),
        "{}: the next task committed it",
        A::NAME
    );
    assert!(settled.salvage.is_none(), "{}", A::NAME);
    // Two hours on, the next refresh is from the committed set: nothing dead is spent, and
    // the store ends with the newest set.
    x.mock().advance(Duration::from_secs(7200));
    assert_eq!(
        whoami::<A>(&x, &user.api),
        x.mock().config().users[0].username
    );
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 2, "{}", A::NAME);
    assert_eq!(
        counters.refresh_replays,
        0,
        "{}: no dead token spent",
        A::NAME
    );
    let newest = stored(store, key);
    assert_eq!(newest.generation(), before.generation() + 2, "{}", A::NAME);
    let api_now =
        adapter::<A>(&x, RetryPolicy::new()).api(Credential::OAuth2(newest.tokens().clone()));
    assert_eq!(
        whoami::<A>(&x, &api_now),
        x.mock().config().users[0].username
    );
}

/// A login saved in a `FileStore` in `dir`, and two API clients of this process on that one
/// directory, each from grants of its own (its own single-flight lock, its own copy of the
/// grant in memory, its own `FileStore` value).
fn two_clients<A: Adapter>(x: &Loopback, dir: &TempDir, seed: u64) -> ([A::Api; 2], UserKey) {
    let key = first_user_key(x);
    let first = log_in_to::<A, _>(
        x,
        RetryPolicy::new(),
        Arc::new(FileStore::new(dir.path())),
        key.clone(),
        seed,
    );
    let grants = adapter::<A>(x, RetryPolicy::new())
        .grants(public_client(x), Arc::new(FileStore::new(dir.path())));
    let second = A::user_api(&grants, &key).expect("the grant is in the store");
    ([first.api, second], key)
}

/// Two API clients in one process sharing one `FileStore` directory need the token at once:
/// the store's lease (a lock on a file each holder opens anew) excludes them from each other
/// as it does processes; the second re-reads the store under it and adopts the first's set
/// instead of spending the rotated refresh token.
fn two_clients_one_refresh<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("two-clients");
    let (clients, key) = two_clients::<A>(&x, &dir, 13);
    let before = stored(&FileStore::new(dir.path()), &key);
    x.mock().advance(Duration::from_secs(7200));
    hold_the_refresh(&x);
    std::thread::scope(|scope| {
        for api in &clients {
            let x = &x;
            scope.spawn(move || {
                assert_eq!(whoami::<A>(x, api), x.mock().config().users[0].username);
            });
        }
    });
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 1, "{}: one refresh for both", A::NAME);
    assert_eq!(counters.refresh_replays, 0, "{}", A::NAME);
    let after = stored(&FileStore::new(dir.path()), &key);
    assert_eq!(after.generation(), before.generation() + 1, "{}", A::NAME);
    for api in &clients {
        assert_eq!(A::generation(api), Some(after.generation()), "{}", A::NAME);
    }
    assert_only_grant_files(dir.path(), &[&key]);
}

/// The set the first client stored is itself due when the second client (still holding the
/// original set in memory) needs a token: the second refreshes from the stored set, never from
/// its own, whose refresh token X has already rotated.
fn refresh_from_the_stored_set<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("stored-set");
    let ([first, second], key) = two_clients::<A>(&x, &dir, 17);
    let store = FileStore::new(dir.path());
    let original = stored_refresh(&store, &key);
    x.mock().advance(Duration::from_secs(7200));
    assert_eq!(whoami::<A>(&x, &first), x.mock().config().users[0].username);
    assert_eq!(x.mock().counters().refreshes, 1, "{}", A::NAME);
    let rotated = stored_refresh(&store, &key);
    assert_ne!(rotated, original, "{}: the first client saved", A::NAME);
    // The rotated set's access token lives 2 h (contract §4.5): move past it.
    x.mock().advance(Duration::from_secs(7200));
    assert_eq!(
        whoami::<A>(&x, &second),
        x.mock().config().users[0].username
    );
    let counters = x.mock().counters();
    assert_eq!(
        counters.refresh_replays,
        0,
        "{}: the original refresh token was not spent again",
        A::NAME
    );
    assert_eq!(counters.refreshes, 2, "{}", A::NAME);
    let newest = stored_refresh(&store, &key);
    assert!(
        newest != rotated && newest != original,
        "{}: the second client saved a new set",
        A::NAME
    );
    // The first client's set in memory is now spent too; it adopts the newest without a refresh.
    assert_eq!(whoami::<A>(&x, &first), x.mock().config().users[0].username);
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 2, "{}", A::NAME);
    assert_eq!(counters.refresh_replays, 0, "{}", A::NAME);
    assert_eq!(A::generation(&first), A::generation(&second), "{}", A::NAME);
}

fn malformed_answer<A: Adapter>() {
    let x = start();
    let a: A = adapter(&x, RetryPolicy::new());
    let app = app_only(&x);
    x.mock()
        .inject(Fault::new("/oauth2/token", 1, FaultKind::MalformedBody));
    match a.execute(app.obtain_bearer().expect("a step")) {
        Err(Failure::Core(Error::Malformed { .. })) => {}
        other => panic!(
            "{}: expected a malformed-answer error, got {other:?}",
            A::NAME
        ),
    }
}

/// The user revoked the grant elsewhere: the access token is refused, the refresh token too,
/// and the call says the user must log in again (typed, with the reason), as does the store.
fn revoked_grant<A: Adapter>() {
    let x = start();
    let user = logged_in::<A>(&x, RetryPolicy::new());
    let tokens = stored(&*user.store, &user.key).tokens().clone();
    adapter::<A>(&x, RetryPolicy::new())
        .execute(
            public_client(&x)
                .revoke(RevokeToken::Refresh(
                    tokens.refresh_token().expect("refreshable"),
                ))
                .expect("a step"),
        )
        .expect("revoked");
    match A::send(&user.api, get(&x, "2/users/me")) {
        Err(Failure::LoginRequired(LoginRequired::Refused)) => {}
        other => panic!(
            "{}: a revoked grant must be LoginRequired(Refused), got {other:?}",
            A::NAME
        ),
    }
    assert_eq!(
        stored(&*user.store, &user.key).lost(),
        Some(LoginRequired::Refused),
        "{}",
        A::NAME
    );
}

/// Only `<key>.grant` files are in `dir`, one per key: no lock, salvage or reserved space
/// left behind, nothing else.
pub(crate) fn assert_only_grant_files(dir: &Path, keys: &[&UserKey]) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the store directory exists")
        .map(|entry| {
            let entry = entry.expect("an entry");
            assert!(
                entry.file_type().expect("a type").is_file(),
                "only files in {}: {:?}",
                dir.display(),
                entry.path()
            );
            entry.file_name().into_string().expect("a UTF-8 name")
        })
        .collect();
    names.sort();
    let mut expected: Vec<String> = keys
        .iter()
        .map(|key| format!("{}.grant", FileStore::file_stem(key)))
        .collect();
    expected.sort();
    assert_eq!(names, expected, "{}", dir.display());
}

// ---------------------------------------------------------------------------------------------
// Single-flight refresh: threads, and processes sharing a file store.

/// Keeps the first refresh in flight for half a second, so every other caller arrives while it
/// is pending: without single flight they would refresh too (and spend a dead token).
pub(crate) fn hold_the_refresh(x: &Loopback) {
    x.mock().inject(Fault::new(
        "/2/oauth2/token",
        1,
        FaultKind::Delay(Duration::from_millis(500)),
    ));
}

#[test]
fn sixteen_threads_share_one_refresh_ureq() {
    let x = start();
    let user = logged_in::<Ureq>(&x, RetryPolicy::new());
    x.mock().advance(Duration::from_secs(7200));
    hold_the_refresh(&x);
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                for _ in 0..4 {
                    let answer = Ureq::send(&user.api, get(&x, "2/users/me")).expect("an answer");
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
    let dir = TempDir::new("procs");
    let key = first_user_key(&x);
    let user = log_in_to::<Ureq, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(FileStore::new(dir.path())),
        key.clone(),
        9,
    );
    let before = stored(&*user.store, &key);
    x.mock().advance(Duration::from_secs(7200));
    hold_the_refresh(&x);
    // The workers' clocks must agree with the mock's, which now runs ahead of the system's.
    let offset = x.mock().now().saturating_sub(
        SystemTime::now()
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
    let mut workers: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_store-worker"))
                .args([
                    x.mock().base_url(),
                    dir.path().to_str().expect("UTF-8 path"),
                    key.as_str(),
                    &client_id,
                    &offset.to_string(),
                    "25",
                    "--wait",
                ])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("a worker starts")
        })
        .collect();
    // The start barrier: every worker has loaded its API client (and the expired set) before
    // any makes a call, so all four need the refresh at once while the first is held.
    for i in 0..workers.len() {
        let mut line = String::new();
        let stdout = workers[i].stdout.as_mut().expect("a piped stdout");
        let read = BufReader::new(stdout).read_line(&mut line);
        if !(read.is_ok() && line == "ready\n") {
            let worker = workers.swap_remove(i);
            let output = worker.wait_with_output().expect("a worker ends");
            panic!(
                "worker {i} never got ready ({read:?}, {line:?}): {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    for worker in &mut workers {
        let mut stdin = worker.stdin.take().expect("a piped stdin");
        writeln!(stdin, "go").expect("the start signal is written");
    }
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
    // The store ends with the newest set: it works, it is one generation on, and nothing but
    // the grant file is left in the directory.
    let newest = stored(&FileStore::new(dir.path()), &key);
    assert_eq!(newest.generation(), before.generation() + 1);
    assert!(newest.refresh_intent().is_none());
    assert_only_grant_files(dir.path(), &[&key]);
    let api =
        adapter::<Ureq>(&x, RetryPolicy::new()).api(Credential::OAuth2(newest.tokens().clone()));
    assert_eq!(
        whoami::<Ureq>(&x, &api),
        x.mock().config().users[0].username
    );
}

#[test]
fn a_hundred_tasks_share_one_refresh_reqwest() {
    let x = Loopback::start(MockConfig {
        rate_limits: RateLimits::unlimited(),
        ..MockConfig::default()
    });
    let user = logged_in::<Reqwest>(&x, RetryPolicy::new());
    x.mock().advance(Duration::from_secs(7200));
    hold_the_refresh(&x);
    let url = x.endpoints().api_url("2/users/me");
    let statuses = user.api.runtime.block_on(async {
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let api = Arc::clone(&user.api.api);
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

// ---------------------------------------------------------------------------------------------
// Redirects: handed back, never followed.

/// A loopback listener standing in for another host: counts the connections that reach it
/// and answers each `200 ok` (so a client that does follow a redirect gets an answer instead of
/// waiting forever), keeping each request's head.
struct RedirectTarget {
    url: String,
    connections: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RedirectTarget {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a listener");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!(
            "http://127.0.0.1:{}/cb",
            listener.local_addr().expect("addr").port()
        );
        let connections = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let (connections, heads, stop) = (connections.clone(), heads.clone(), stop.clone());
            move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            connections.fetch_add(1, Ordering::SeqCst);
                            // Kept before answering: the client may look as soon as it has
                            // the answer.
                            let head = read_head(&mut stream);
                            heads.lock().expect("not poisoned").push(head);
                            let _ = stream.write_all(
                                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                            );
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(e) => panic!("the redirect target failed: {e}"),
                    }
                }
            }
        });
        Self {
            url,
            connections,
            heads,
            stop,
            thread: Some(thread),
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The heads of the requests that reached it.
    fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("not poisoned").clone()
    }

    /// Asserts that nothing connected (after a moment for a stray connection to arrive).
    fn assert_untouched(&self, who: &str) {
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            self.connections(),
            0,
            "{who}: something connected to the redirect target: {:?}",
            self.heads()
        );
    }
}

impl Drop for RedirectTarget {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request head from `stream`.
fn read_head(stream: &mut std::net::TcpStream) -> String {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") && matches!(stream.read(&mut byte), Ok(1)) {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A fake X whose authorize URL answers 302 to `target` (a registered callback), and a GET of
/// that URL.
fn redirecting(target: &RedirectTarget) -> (Loopback, HttpRequest) {
    let mut config = MockConfig::default();
    config.apps[1].callbacks.push(target.url.clone());
    let x = Loopback::start(config);
    let (url, _) = public_client(&x)
        .authorize(&target.url, Scopes::from([Scope::UsersRead]))
        .expect("an authorize request")
        .start(x.now(), &mut StdRng::seed_from_u64(3));
    let request = http::Request::get(url.as_str())
        .body(Vec::new())
        .expect("a request");
    (x, request)
}

fn assert_redirect_handed_back(
    who: &str,
    answer: Result<http::Response<Vec<u8>>, Failure>,
    target: &RedirectTarget,
) {
    let answer = answer.unwrap_or_else(|e| panic!("{who}: expected the 302, got {e:?}"));
    assert_eq!(answer.status(), 302, "{who}: the redirect comes back as is");
    assert!(
        answer.headers()["location"]
            .to_str()
            .expect("ASCII")
            .starts_with(&target.url),
        "{who}: {answer:?}"
    );
    target.assert_untouched(who);
}

/// Through the API client: the `Authorization` header cannot reach another host.
fn no_redirects<A: Adapter>() {
    let target = RedirectTarget::start();
    let (x, request) = redirecting(&target);
    let signer = oauth1::App::from(web_consumer(&x)).signer(&owner_token(&x));
    let api = adapter::<A>(&x, RetryPolicy::recommended()).api(Credential::OAuth1(signer));
    assert_redirect_handed_back(A::NAME, A::send(&api, request), &target);
}

/// Through `round_trip`, which `execute` sends every flow step with.
fn round_trip_no_redirects<A: Adapter>() {
    let target = RedirectTarget::start();
    let (x, request) = redirecting(&target);
    let a: A = adapter(&x, RetryPolicy::recommended());
    assert_redirect_handed_back(A::NAME, a.round_trip(&request, Replay::Safe), &target);
}

/// A caller's ureq agent with ureq's defaults follows redirects; the adapter turns that off
/// for each request, so its flow steps and its API client still hand the 302 back.
#[test]
fn caller_agent_that_follows_redirects_does_not_follow_ureq() {
    let target = RedirectTarget::start();
    let (x, request) = redirecting(&target);
    let a = Ureq::with_default_http(x.endpoints(), RetryPolicy::recommended(), x.clock());
    assert_redirect_handed_back(
        "ureq round_trip",
        a.round_trip(&request, Replay::Safe),
        &target,
    );
    let signer = oauth1::App::from(web_consumer(&x)).signer(&owner_token(&x));
    let api = Ureq::with_default_http(x.endpoints(), RetryPolicy::recommended(), x.clock())
        .api(Credential::OAuth1(signer));
    assert_redirect_handed_back("ureq API client", Ureq::send(&api, request), &target);
}

/// A caller's reqwest client with reqwest's defaults follows redirects, and reqwest cannot turn
/// that off per request: the adapter sees the answer came from elsewhere and refuses it with
/// `Error::Redirected` rather than handing the redirected answer to the core. (reqwest itself
/// drops `Authorization` on a redirect to another host or port: checked below, as that is what
/// keeps the credential home in this misconfiguration.)
#[test]
fn caller_client_that_follows_redirects_is_refused_reqwest() {
    let target = RedirectTarget::start();
    let (x, request) = redirecting(&target);
    let a = Reqwest::with_default_http(x.endpoints(), RetryPolicy::new(), x.clock());
    match a.round_trip(&request, Replay::Safe) {
        Err(Failure::Redirected) => {}
        other => panic!("reqwest round_trip: expected Redirected, got {other:?}"),
    }
    assert_eq!(target.connections(), 1, "reqwest followed it once");
    // With retries on, a misconfigured client is still reported at once, not retried.
    let retrying = Reqwest::with_default_http(x.endpoints(), RetryPolicy::recommended(), x.clock());
    match retrying.round_trip(&request, Replay::Safe) {
        Err(Failure::Redirected) => {}
        other => panic!("reqwest round_trip with retries: expected Redirected, got {other:?}"),
    }
    assert_eq!(target.connections(), 2, "not retried");
    let signer = oauth1::App::from(web_consumer(&x)).signer(&owner_token(&x));
    let api = Reqwest::with_default_http(x.endpoints(), RetryPolicy::new(), x.clock())
        .api(Credential::OAuth1(signer));
    match Reqwest::send(&api, request) {
        Err(Failure::Redirected) => {}
        other => panic!("reqwest API client: expected Redirected, got {other:?}"),
    }
    let heads = target.heads();
    assert_eq!(heads.len(), 3, "{heads:?}");
    assert!(
        !heads[2].to_ascii_lowercase().contains("\r\nauthorization:"),
        "the signature went to another host: {}",
        heads[2]
    );
}
