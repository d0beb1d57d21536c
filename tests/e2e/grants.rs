//! Keyed grants through each adapter against the fake X on loopback: many users on one store
//! and one transport, refresh and rotation, logout, a refresh that never left, a store that
//! cannot be written, the refresh job, and keys that look like paths.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use twitter_auth_core::api::Credential;
use twitter_auth_core::grant::{GrantSettings, LoginRequired, MAX_KEY_LEN, StoredGrant, UserKey};
use twitter_auth_core::oauth2::{RevokeToken, Scope, Scopes, TokenSet};
use twitter_auth_core::retry::RetryPolicy;
use twitter_auth_core::{Endpoints, Error};
use twitter_auth_mock::{Fault, FaultKind};
use twitter_auth_std::{BlockingTokenStore, FileStore, MemoryStore, TokenStore};
use twitter_auth_tests::adapters::{Adapter, Failure};
use twitter_auth_tests::{Loopback, TempDir};

use crate::adapters::{
    FailingStore, TOKEN_PATH, adapter, assert_only_grant_files, first_user_key, get,
    hold_the_refresh, loaded, log_in_to, pkce_login, pkce_login_with, public_client, start, stored,
    whoami,
};

const REVOKE_PATH: &str = "/2/oauth2/revoke";

/// The key of the demo world's user number `user` (their X user id).
fn user_key(x: &Loopback, user: usize) -> UserKey {
    UserKey::new(x.mock().config().users[user].id.clone()).expect("a valid key")
}

/// The demo world's user number `user`'s username.
fn username(x: &Loopback, user: usize) -> String {
    x.mock().config().users[user].username.clone()
}

/// A PKCE login as the demo world's user number `user` (signed in to the mock's browser
/// first), stored for `key` through `grants`.
fn log_in_as<A: Adapter>(
    x: &Loopback,
    grants: &A::Grants,
    user: usize,
    key: &UserKey,
    seed: u64,
) -> A::Api {
    let id = x.mock().config().users[user].id.clone();
    assert!(x.mock().with_handler(|h| h.sign_in(&id)), "a known user");
    let tokens = pkce_login(
        x,
        &adapter::<A>(x, RetryPolicy::new()),
        &public_client(x),
        seed,
    );
    A::login(grants, key, tokens)
        .unwrap_or_else(|e| panic!("{}: the login is stored: {e:?}", A::NAME))
}

/// Grants of `A` over `store` with the demo world's public client.
fn grants_on<A: Adapter, S>(x: &Loopback, store: Arc<S>) -> A::Grants
where
    S: TokenStore + BlockingTokenStore + 'static,
{
    adapter::<A>(x, RetryPolicy::new()).grants(public_client(x), store)
}

fn refresh_secret(tokens: &TokenSet) -> String {
    tokens
        .refresh_token()
        .expect("refreshable")
        .secret()
        .to_owned()
}

/// Tries a refresh with `tokens` directly (the core's step through an adapter's transport).
fn refresh_with<A: Adapter>(x: &Loopback, tokens: &TokenSet) -> Result<TokenSet, Failure> {
    adapter::<A>(x, RetryPolicy::new())
        .execute(public_client(x).refresh(tokens).expect("a refresh step"))
}

/// X refuses a spent or revoked refresh token with `invalid_request`.
fn assert_refused<A: Adapter>(what: &str, result: Result<TokenSet, Failure>) {
    match result {
        Err(Failure::Core(Error::OAuth2 { status: 400, error })) => {
            assert_eq!(error.error, "invalid_request", "{}: {what}", A::NAME);
        }
        other => panic!("{}: {what} must be refused, got {other:?}", A::NAME),
    }
}

// ---------------------------------------------------------------------------------------------

/// Two users' grants in one file store, used through one transport: each call is made as its
/// own user, before and after both refresh.
fn two_users_one_store<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("two-users");
    let grants = grants_on::<A, _>(&x, Arc::new(FileStore::new(dir.path())));
    let (alice, bob) = (user_key(&x, 0), user_key(&x, 1));
    let alice_api = log_in_as::<A>(&x, &grants, 0, &alice, 21);
    let bob_api = log_in_as::<A>(&x, &grants, 1, &bob, 22);
    assert_ne!(username(&x, 0), username(&x, 1), "two distinct users");
    assert_eq!(whoami::<A>(&x, &alice_api), username(&x, 0), "{}", A::NAME);
    assert_eq!(whoami::<A>(&x, &bob_api), username(&x, 1), "{}", A::NAME);
    // Read back from the store, not from the login's cache.
    for (user, key) in [(0, &alice), (1, &bob)] {
        A::forget(&grants, key);
        let api = A::user_api(&grants, key).expect("a stored grant");
        assert_eq!(whoami::<A>(&x, &api), username(&x, user), "{}", A::NAME);
        assert_eq!(stored(&FileStore::new(dir.path()), key).key(), key);
    }
    // Both expire; each refreshes its own grant, once.
    x.mock().advance(Duration::from_secs(7200));
    assert_eq!(whoami::<A>(&x, &bob_api), username(&x, 1), "{}", A::NAME);
    assert_eq!(whoami::<A>(&x, &alice_api), username(&x, 0), "{}", A::NAME);
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 2, "{}: one refresh each", A::NAME);
    assert_eq!(counters.refresh_replays, 0, "{}", A::NAME);
    assert_only_grant_files(dir.path(), &[&alice, &bob]);
}

/// An expired access token in a file store: several callers at once, exactly one refresh at
/// X, the generation one up, and nothing but the grant file left in the directory.
fn expired_token_one_refresh_file_store<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("expired");
    let key = first_user_key(&x);
    let user = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(FileStore::new(dir.path())),
        key.clone(),
        23,
    );
    let before = stored(&*user.store, &key);
    let sent = x.mock().counters().requests_to(TOKEN_PATH);
    assert_only_grant_files(dir.path(), &[&key]);
    x.mock().advance(Duration::from_secs(7200));
    hold_the_refresh(&x);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                assert_eq!(whoami::<A>(&x, &user.api), username(&x, 0), "{}", A::NAME);
            });
        }
    });
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 1, "{}: exactly one refresh", A::NAME);
    assert_eq!(counters.requests_to(TOKEN_PATH), sent + 1, "{}", A::NAME);
    assert_eq!(counters.refresh_replays, 0, "{}", A::NAME);
    let after = stored(&FileStore::new(dir.path()), &key);
    assert_eq!(after.generation(), before.generation() + 1, "{}", A::NAME);
    assert!(after.refresh_intent().is_none(), "{}", A::NAME);
    assert_eq!(A::generation(&user.api), Some(after.generation()));
    assert_only_grant_files(dir.path(), &[&key]);
    // Fresh now: more calls, no more refreshes.
    assert_eq!(whoami::<A>(&x, &user.api), username(&x, 0), "{}", A::NAME);
    assert_eq!(x.mock().counters().refreshes, 1, "{}", A::NAME);
}

/// `refresh_now` rotates a fresh grant: a refresh at X, the generation one up, the old refresh
/// token spent, and the API client on the new set.
fn refresh_now_rotates<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("refresh-now");
    let key = first_user_key(&x);
    let user = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(FileStore::new(dir.path())),
        key.clone(),
        24,
    );
    let before = stored(&*user.store, &key);
    let refreshes = x.mock().counters().refreshes;
    A::refresh_now(&user.api).unwrap_or_else(|e| panic!("{}: refreshed: {e:?}", A::NAME));
    assert_eq!(
        x.mock().counters().refreshes,
        refreshes + 1,
        "{}: a refresh at X",
        A::NAME
    );
    let after = stored(&*user.store, &key);
    assert_eq!(after.generation(), before.generation() + 1, "{}", A::NAME);
    assert_eq!(A::generation(&user.api), Some(after.generation()));
    assert_ne!(
        refresh_secret(after.tokens()),
        refresh_secret(before.tokens()),
        "{}: rotated",
        A::NAME
    );
    match A::credential(&user.api) {
        Some(Credential::OAuth2(tokens)) => assert_eq!(
            tokens.access_token().secret(),
            after.tokens().access_token().secret(),
            "{}: the client holds the new set",
            A::NAME
        ),
        other => panic!("{}: an OAuth 2.0 credential, got {other:?}", A::NAME),
    }
    assert_only_grant_files(dir.path(), &[&key]);
    assert_eq!(whoami::<A>(&x, &user.api), username(&x, 0), "{}", A::NAME);
    assert_refused::<A>(
        "the rotated-out refresh token",
        refresh_with::<A>(&x, before.tokens()),
    );
    assert_eq!(x.mock().counters().refresh_replays, 1, "{}", A::NAME);
    // Again: one more generation.
    A::refresh_now(&user.api).expect("refreshed again");
    assert_eq!(
        stored(&*user.store, &key).generation(),
        before.generation() + 2,
        "{}",
        A::NAME
    );
    assert_eq!(x.mock().counters().refreshes, refreshes + 2, "{}", A::NAME);
}

/// `logout` revokes the refresh and the access token at X and deletes the key: its file is
/// gone, the old tokens are refused, and the key needs a login.
fn logout_revokes_and_deletes<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("logout");
    let key = first_user_key(&x);
    let user = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(FileStore::new(dir.path())),
        key.clone(),
        25,
    );
    let tokens = stored(&*user.store, &key).tokens().clone();
    let before = x.mock().counters();
    A::logout(&user.api).unwrap_or_else(|e| panic!("{}: logged out: {e:?}", A::NAME));
    let counters = x.mock().counters();
    assert_eq!(
        counters.revocations,
        before.revocations + 2,
        "{}: the refresh and the access token revoked",
        A::NAME
    );
    assert_eq!(
        counters.requests_to(REVOKE_PATH),
        before.requests_to(REVOKE_PATH) + 2,
        "{}",
        A::NAME
    );
    // The key is gone from the store: no file left for it.
    assert!(loaded(&*user.store, &key).grant.is_none(), "{}", A::NAME);
    assert_only_grant_files(dir.path(), &[]);
    // X refuses the old tokens.
    assert_refused::<A>("a revoked refresh token", refresh_with::<A>(&x, &tokens));
    let old = adapter::<A>(&x, RetryPolicy::new()).api(Credential::OAuth2(tokens));
    let answer = A::send(&old, get(&x, "2/users/me")).expect("an answer");
    assert_eq!(answer.status(), 401, "{}: a revoked access token", A::NAME);
    // The key needs a login, through the grants and through the old API client.
    match A::user_api(&user.grants, &key) {
        Err(Failure::LoginRequired(LoginRequired::NoGrant)) => {}
        other => panic!(
            "{}: expected LoginRequired(NoGrant), got {other:?}",
            A::NAME
        ),
    }
    match A::send(&user.api, get(&x, "2/users/me")) {
        Err(Failure::LoginRequired(LoginRequired::NoGrant)) => {}
        other => panic!(
            "{}: expected LoginRequired(NoGrant), got {other:?}",
            A::NAME
        ),
    }
    assert!(A::credential(&user.api).is_none(), "{}", A::NAME);
    // A second logout has nothing to revoke.
    A::logout(&user.api).expect("a second logout is harmless");
    assert_eq!(
        x.mock().counters().requests_to(REVOKE_PATH),
        before.requests_to(REVOKE_PATH) + 2,
        "{}: nothing sent",
        A::NAME
    );
}

/// A loopback base URL where nothing listens: a request to it is refused at connect, so it
/// provably never reached X.
fn dead_endpoints() -> Endpoints {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("an address").port()
    };
    Endpoints::local(&format!("http://127.0.0.1:{port}")).expect("a loopback base")
}

/// A refresh that never left (the connection was refused): the call fails as a transport
/// error, the intent is taken back (the refresh token was not spent), and a later call, here
/// through grants that can reach X, refreshes with the old grant.
fn refresh_never_sent_keeps_the_grant<A: Adapter>() {
    let x = start();
    let user = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(MemoryStore::new()),
        first_user_key(&x),
        26,
    );
    let (store, key) = (&*user.store, &user.key);
    let before = stored(store, key);
    let sent = x.mock().counters().requests_to(TOKEN_PATH);
    let dead = dead_endpoints();
    let cut_off = A::new(dead.clone(), RetryPolicy::new(), x.clock())
        .grants(public_client(&x), Arc::clone(&user.store));
    let api = A::user_api(&cut_off, key).expect("the grant is in the store");
    x.mock().advance(Duration::from_secs(7200));
    // The API call goes to the same (dead) hosts as the refresh: an API client sends its
    // credential only to its app's hosts.
    let call = http::Request::get(dead.api_url("2/users/me").as_str())
        .body(Vec::new())
        .expect("a valid request");
    match A::send(&api, call) {
        Err(Failure::Transport(_)) => {}
        other => panic!(
            "{}: a refused connection is a transport failure, got {other:?}",
            A::NAME
        ),
    }
    assert_eq!(
        x.mock().counters().requests_to(TOKEN_PATH),
        sent,
        "{}: nothing reached X",
        A::NAME
    );
    let now = stored(store, key);
    assert_eq!(now.generation(), before.generation(), "{}", A::NAME);
    assert!(
        now.refresh_intent().is_none(),
        "{}: the intent was taken back (the token is unspent)",
        A::NAME
    );
    assert!(now.lost().is_none(), "{}", A::NAME);
    assert_eq!(whoami::<A>(&x, &user.api), username(&x, 0), "{}", A::NAME);
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 1, "{}", A::NAME);
    assert_eq!(counters.refresh_replays, 0, "{}", A::NAME);
    assert_eq!(
        stored(store, key).generation(),
        before.generation() + 1,
        "{}",
        A::NAME
    );
}

/// A store that cannot be written: the intent's pre-write fails, so the refresh is never
/// sent; once the store works again, the old grant refreshes as if nothing happened.
fn unwritable_store<A: Adapter>() {
    let x = start();
    let user = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(FailingStore::default()),
        first_user_key(&x),
        27,
    );
    let (store, key) = (&*user.store, &user.key);
    let before = stored(store, key);
    let counters = x.mock().counters();
    store.fail_saves.store(true, Ordering::SeqCst);
    let saves = store.saves.load(Ordering::SeqCst);
    x.mock().advance(Duration::from_secs(7200));
    match A::send(&user.api, get(&x, "2/users/me")) {
        Err(Failure::Store(_)) => {}
        other => panic!(
            "{}: a store that cannot be written is a store error, got {other:?}",
            A::NAME
        ),
    }
    assert!(
        store.saves.load(Ordering::SeqCst) > saves,
        "{}: a save was tried",
        A::NAME
    );
    let after = x.mock().counters();
    assert_eq!(
        after.refreshes,
        counters.refreshes,
        "{}: no refresh",
        A::NAME
    );
    assert_eq!(
        after.requests_to(TOKEN_PATH),
        counters.requests_to(TOKEN_PATH),
        "{}: nothing sent to the token endpoint",
        A::NAME
    );
    assert_eq!(
        after.requests_to("/2/users/me"),
        counters.requests_to("/2/users/me"),
        "{}: nor the call",
        A::NAME
    );
    let now = stored(store, key);
    assert_eq!(now.generation(), before.generation(), "{}", A::NAME);
    assert!(now.refresh_intent().is_none(), "{}", A::NAME);
    store.fail_saves.store(false, Ordering::SeqCst);
    assert_eq!(whoami::<A>(&x, &user.api), username(&x, 0), "{}", A::NAME);
    let after = x.mock().counters();
    assert_eq!(after.refreshes, counters.refreshes + 1, "{}", A::NAME);
    assert_eq!(
        after.refresh_replays,
        0,
        "{}: the old grant worked",
        A::NAME
    );
    assert_eq!(
        stored(store, key).generation(),
        before.generation() + 1,
        "{}",
        A::NAME
    );
}

/// Every file under `root`, and every directory.
fn walk(root: &Path) -> (Vec<std::path::PathBuf>, Vec<std::path::PathBuf>) {
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable directory") {
            let entry = entry.expect("an entry");
            if entry.file_type().expect("a type").is_dir() {
                dirs.push(entry.path());
                pending.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    (files, dirs)
}

/// Keys that look like paths, or are long, name files inside the store's directory only, one
/// each, and work through login, reading back, refresh and listing.
fn keys_stay_inside_the_store<A: Adapter>() {
    let x = start();
    let root = TempDir::new("keys");
    let dir = root.path().join("a").join("b").join("store");
    let long = "ü".repeat(MAX_KEY_LEN / 2 - 12);
    assert_eq!(long.len(), 1000);
    let keys: Vec<UserKey> = ["../../etc/passwd", "a/b", "..", ".grant", long.as_str()]
        .into_iter()
        .map(|k| UserKey::new(k).expect("a valid key"))
        .collect();
    let grants = grants_on::<A, _>(&x, Arc::new(FileStore::new(&dir)));
    for (seed, key) in (30..).zip(&keys) {
        log_in_as::<A>(&x, &grants, 0, key, seed);
    }
    let store = FileStore::new(&dir);
    let generations: Vec<u64> = keys
        .iter()
        .map(|k| stored(&store, k).generation())
        .collect();
    x.mock().advance(Duration::from_secs(7200));
    for key in &keys {
        A::forget(&grants, key);
        let api = A::user_api(&grants, key).expect("read back from its file");
        assert_eq!(
            whoami::<A>(&x, &api),
            username(&x, 0),
            "{}: {key:?}",
            A::NAME
        );
    }
    assert_eq!(
        x.mock().counters().refreshes,
        keys.len() as u64,
        "{}: each refreshed",
        A::NAME
    );
    for (key, generation) in keys.iter().zip(generations) {
        let grant = stored(&store, key);
        assert_eq!(grant.key(), key, "{}: each file holds its own key", A::NAME);
        assert_eq!(grant.generation(), generation + 1, "{}", A::NAME);
    }
    // Files only in the store's directory: one per key, no subdirectory, nothing hidden.
    let (files, dirs) = walk(root.path());
    let mut dirs: Vec<_> = dirs
        .iter()
        .map(|d| {
            d.strip_prefix(root.path())
                .expect("under the root")
                .to_path_buf()
        })
        .collect();
    dirs.sort();
    assert_eq!(
        dirs,
        [
            Path::new("a").to_path_buf(),
            Path::new("a").join("b"),
            Path::new("a").join("b").join("store"),
        ],
        "{}",
        A::NAME
    );
    assert_eq!(files.len(), keys.len(), "{}: {files:?}", A::NAME);
    for file in &files {
        assert_eq!(file.parent(), Some(dir.as_path()), "{}: {file:?}", A::NAME);
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a UTF-8 name");
        assert!(!name.starts_with('.'), "{}: a hidden file {name}", A::NAME);
        assert!(name.ends_with(".grant"), "{}: {name}", A::NAME);
    }
    let key_refs: Vec<&UserKey> = keys.iter().collect();
    assert_only_grant_files(&dir, &key_refs);
}

/// The refresh job: every due key refreshed once, a revoked one reported as needing a login,
/// and a second run finds nothing to do.
fn refresh_job<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("job");
    let grants = grants_on::<A, _>(&x, Arc::new(FileStore::new(dir.path())));
    let store = FileStore::new(dir.path());
    let (alice, bob) = (user_key(&x, 0), user_key(&x, 1));
    let third = UserKey::new("alice's second device").expect("a valid key");
    let revoked = UserKey::new("revoked elsewhere").expect("a valid key");
    log_in_as::<A>(&x, &grants, 0, &alice, 41);
    log_in_as::<A>(&x, &grants, 1, &bob, 42);
    log_in_as::<A>(&x, &grants, 0, &third, 43);
    log_in_as::<A>(&x, &grants, 0, &revoked, 44);
    let dead = stored(&store, &revoked).tokens().clone();
    adapter::<A>(&x, RetryPolicy::new())
        .execute(
            public_client(&x)
                .revoke(RevokeToken::Refresh(
                    dead.refresh_token().expect("refreshable"),
                ))
                .expect("a step"),
        )
        .expect("revoked");
    let nothing_due = A::refresh_due(&grants, 2).expect("the job runs");
    assert!(nothing_due.is_empty(), "{}: {nothing_due:?}", A::NAME);
    x.mock().advance(Duration::from_secs(7200));
    let report = A::refresh_due(&grants, 2).expect("the job runs");
    let mut refreshed = report.refreshed.clone();
    refreshed.sort();
    let mut expected = vec![alice.clone(), bob.clone(), third.clone()];
    expected.sort();
    assert_eq!(refreshed, expected, "{}: {report:?}", A::NAME);
    assert_eq!(
        report.login_required,
        [(revoked.clone(), LoginRequired::Refused)],
        "{}",
        A::NAME
    );
    assert!(report.failed.is_empty(), "{}: {report:?}", A::NAME);
    assert!(report.unsaved.is_empty(), "{}: {report:?}", A::NAME);
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 3, "{}", A::NAME);
    assert_eq!(counters.refresh_replays, 0, "{}", A::NAME);
    for (user, key) in [(0, &alice), (1, &bob), (0, &third)] {
        let api = A::user_api(&grants, key).expect("a grant");
        assert_eq!(whoami::<A>(&x, &api), username(&x, user), "{}", A::NAME);
    }
    assert_eq!(x.mock().counters().refreshes, 3, "{}: all fresh", A::NAME);
    let again = A::refresh_due(&grants, 2).expect("the job runs");
    assert!(again.is_empty(), "{}: {again:?}", A::NAME);
    assert_eq!(x.mock().counters().refreshes, 3, "{}", A::NAME);
    assert_only_grant_files(dir.path(), &[&alice, &bob, &third, &revoked]);
}

/// X's token endpoint answers the refresh job with a 429: the job waits until the reset (on
/// the mock's clock) and refreshes the key then; nothing is spent by the refused attempt.
fn refresh_job_waits_out_a_429_body<A: Adapter>() {
    const RESET_AFTER: u64 = 300;
    let x = start();
    let user = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(MemoryStore::new()),
        first_user_key(&x),
        45,
    );
    let before = stored(&*user.store, &user.key);
    x.mock().advance(Duration::from_secs(7200));
    x.mock().inject(Fault::new(
        TOKEN_PATH,
        1,
        FaultKind::RateLimited {
            reset_after: RESET_AFTER,
        },
    ));
    let sent = x.mock().counters().requests_to(TOKEN_PATH);
    let started = x.mock().now();
    let report = A::refresh_due(&user.grants, 2).expect("the job runs");
    assert_eq!(
        report.refreshed,
        std::slice::from_ref(&user.key),
        "{}: {report:?}",
        A::NAME
    );
    assert!(report.failed.is_empty(), "{}: {report:?}", A::NAME);
    let counters = x.mock().counters();
    assert_eq!(
        counters.requests_to(TOKEN_PATH),
        sent + 2,
        "{}: the 429, then the refresh",
        A::NAME
    );
    assert_eq!(counters.refreshes, 1, "{}", A::NAME);
    assert_eq!(counters.refresh_replays, 0, "{}", A::NAME);
    assert!(
        x.mock().now() >= started + RESET_AFTER,
        "{}: waited on the mock's clock until the reset",
        A::NAME
    );
    let after = stored(&*user.store, &user.key);
    assert_eq!(after.generation(), before.generation() + 1, "{}", A::NAME);
    assert!(after.refresh_intent().is_none(), "{}", A::NAME);
}

/// A lease too short to outlive the HTTP timeout: the refresh is not sent (it could land after
/// the lease expired and another holder took over) and nothing is written.
fn short_lease_sends_nothing<A: Adapter>() {
    let x = start();
    let store = Arc::new(MemoryStore::new());
    let key = first_user_key(&x);
    let user = log_in_to::<A, _>(&x, RetryPolicy::new(), Arc::clone(&store), key.clone(), 46);
    let before = stored(&*store, &key);
    let defaults = GrantSettings::default();
    let settings = GrantSettings {
        lease_ttl: defaults.send_budget / 2,
        ..defaults
    };
    let grants = adapter::<A>(&x, RetryPolicy::new()).grants_with(
        public_client(&x),
        Arc::clone(&store),
        settings,
    );
    let api = A::user_api(&grants, &key).expect("a grant");
    let sent = x.mock().counters().requests_to(TOKEN_PATH);
    x.mock().advance(Duration::from_secs(7200));
    match A::send(&api, get(&x, "2/users/me")) {
        Err(Failure::Core(Error::LeaseUnavailable)) => {}
        other => panic!("{}: expected LeaseUnavailable, got {other:?}", A::NAME),
    }
    assert_eq!(
        x.mock().counters().requests_to(TOKEN_PATH),
        sent,
        "{}",
        A::NAME
    );
    let now = stored(&*store, &key);
    assert_eq!(now.generation(), before.generation(), "{}", A::NAME);
    assert!(now.refresh_intent().is_none(), "{}", A::NAME);
    // With the default lease, the same grant refreshes.
    assert_eq!(whoami::<A>(&x, &user.api), username(&x, 0), "{}", A::NAME);
    assert_eq!(x.mock().counters().refreshes, 1, "{}", A::NAME);
}

/// Another holder keeps the key's lease: a caller that needs a refresh waits up to its limit,
/// then gives up with `LeaseUnavailable` having sent nothing; once the lease is back it works.
fn busy_lease_gives_up_then_works_body<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("busy");
    let key = first_user_key(&x);
    let store = Arc::new(FileStore::new(dir.path()));
    log_in_to::<A, _>(&x, RetryPolicy::new(), Arc::clone(&store), key.clone(), 47);
    let settings = GrantSettings {
        max_lease_wait: Duration::from_millis(300),
        ..GrantSettings::default()
    };
    let grants = adapter::<A>(&x, RetryPolicy::new()).grants_with(
        public_client(&x),
        Arc::clone(&store),
        settings,
    );
    let api = A::user_api(&grants, &key).expect("a grant");
    let held = BlockingTokenStore::try_lease(&*store, &key, Duration::from_secs(600))
        .expect("leases")
        .expect("free");
    let sent = x.mock().counters().requests_to(TOKEN_PATH);
    x.mock().advance(Duration::from_secs(7200));
    let started = Instant::now();
    match A::send(&api, get(&x, "2/users/me")) {
        Err(Failure::Core(Error::LeaseUnavailable)) => {}
        other => panic!("{}: expected LeaseUnavailable, got {other:?}", A::NAME),
    }
    assert!(
        started.elapsed() >= settings.max_lease_wait,
        "{}: waited for the lease",
        A::NAME
    );
    assert_eq!(
        x.mock().counters().requests_to(TOKEN_PATH),
        sent,
        "{}",
        A::NAME
    );
    BlockingTokenStore::release(&*store, held).expect("released");
    assert_eq!(whoami::<A>(&x, &api), username(&x, 0), "{}", A::NAME);
    assert_eq!(x.mock().counters().refreshes, 1, "{}", A::NAME);
    assert_only_grant_files(dir.path(), &[&key]);
}

/// A set X issued that a crashed holder left in the salvage place (written, never renamed
/// into place): the next reader uses it without a refresh, the next task commits it, and
/// the next refresh starts from it, never from the spent committed one.
fn salvaged_set_is_adopted<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("salvage");
    let key = first_user_key(&x);
    let store = Arc::new(FileStore::new(dir.path()));
    log_in_to::<A, _>(&x, RetryPolicy::new(), Arc::clone(&store), key.clone(), 48);
    let committed = stored(&*store, &key);
    // The crashed holder's refresh: X rotated, the new set only reached the salvage place.
    let rotated = refresh_with::<A>(&x, committed.tokens()).expect("refreshed");
    let successor = StoredGrant::new(key.clone(), rotated, committed.generation() + 1);
    BlockingTokenStore::salvage(&*store, &successor).expect("salvaged");
    let refreshes = x.mock().counters().refreshes;
    let grants = grants_on::<A, _>(&x, Arc::clone(&store));
    let api = A::user_api(&grants, &key).expect("a grant");
    assert_eq!(
        A::generation(&api),
        Some(successor.generation()),
        "{}",
        A::NAME
    );
    assert_eq!(whoami::<A>(&x, &api), username(&x, 0), "{}", A::NAME);
    x.mock().advance(Duration::from_secs(7200));
    assert_eq!(whoami::<A>(&x, &api), username(&x, 0), "{}", A::NAME);
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, refreshes + 1, "{}", A::NAME);
    assert_eq!(
        counters.refresh_replays,
        0,
        "{}: the spent set was not used",
        A::NAME
    );
    let after = loaded(&*store, &key);
    assert_eq!(
        after.grant.as_ref().map(StoredGrant::generation),
        Some(successor.generation() + 1),
        "{}",
        A::NAME
    );
    assert!(after.salvage.is_none(), "{}", A::NAME);
    assert_only_grant_files(dir.path(), &[&key]);
}

/// After a refresh whose answer was cut off (and the one after it, which finds the grant
/// gone), a file store holds the grant file and nothing else: no lock, reserved space or
/// stale salvage left behind by either.
fn faults_leave_only_grant_files_body<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("faults");
    let key = first_user_key(&x);
    let user = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(FileStore::new(dir.path())),
        key.clone(),
        49,
    );
    x.mock().advance(Duration::from_secs(7200));
    x.mock()
        .inject(Fault::new(TOKEN_PATH, 1, FaultKind::DropConnection));
    match A::send(&user.api, get(&x, "2/users/me")) {
        Err(Failure::Core(Error::MayHaveBeenConsumed)) => {}
        other => panic!("{}: expected MayHaveBeenConsumed, got {other:?}", A::NAME),
    }
    assert_only_grant_files(dir.path(), &[&key]);
    assert!(
        stored(&*user.store, &key).refresh_intent().is_some(),
        "{}",
        A::NAME
    );
    x.mock()
        .inject(Fault::new(TOKEN_PATH, 1, FaultKind::LoseResponse));
    match A::send(&user.api, get(&x, "2/users/me")) {
        Err(Failure::Core(Error::MayHaveBeenConsumed)) => {}
        other => panic!("{}: expected MayHaveBeenConsumed, got {other:?}", A::NAME),
    }
    assert_only_grant_files(dir.path(), &[&key]);
    match A::send(&user.api, get(&x, "2/users/me")) {
        Err(Failure::LoginRequired(LoginRequired::OutcomeUnknown)) => {}
        other => panic!("{}: expected OutcomeUnknown, got {other:?}", A::NAME),
    }
    assert_only_grant_files(dir.path(), &[&key]);
    assert_eq!(
        stored(&*user.store, &key).lost(),
        Some(LoginRequired::OutcomeUnknown),
        "{}",
        A::NAME
    );
}

/// `refresh_now` on a client whose set another holder already replaced adopts the stored set
/// instead of refreshing again.
fn refresh_now_adopts_a_newer_set<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("adopt");
    let key = first_user_key(&x);
    let first = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(FileStore::new(dir.path())),
        key.clone(),
        50,
    );
    let other = grants_on::<A, _>(&x, Arc::new(FileStore::new(dir.path())));
    let second = A::user_api(&other, &key).expect("a grant");
    let before = A::generation(&second).expect("a generation");
    A::refresh_now(&first.api).expect("refreshed");
    assert_eq!(x.mock().counters().refreshes, 1, "{}", A::NAME);
    A::refresh_now(&second).expect("adopted");
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 1, "{}: not refreshed again", A::NAME);
    assert_eq!(counters.refresh_replays, 0, "{}", A::NAME);
    assert_eq!(A::generation(&second), Some(before + 1), "{}", A::NAME);
    assert_eq!(whoami::<A>(&x, &second), username(&x, 0), "{}", A::NAME);
}

/// A grant from a login without `offline.access` (no refresh token), through `A`'s grants.
fn without_refresh_token<A: Adapter>(x: &Loopback, seed: u64) -> A::Api {
    let grants = grants_on::<A, _>(x, Arc::new(MemoryStore::new()));
    let tokens = pkce_login_with(
        x,
        &adapter::<A>(x, RetryPolicy::new()),
        &public_client(x),
        seed,
        Scopes::from([Scope::TweetRead, Scope::UsersRead]),
    );
    assert!(!tokens.can_refresh(), "no offline.access, no refresh token");
    let api = A::login(&grants, &first_user_key(x), tokens).expect("stored");
    assert_eq!(whoami::<A>(x, &api), username(x, 0), "{}", A::NAME);
    api
}

/// `refresh_now` on a grant without a refresh token cannot refresh: it says the user must log
/// in again (`LoginRequired(NoRefreshToken)`, as the core's `GrantTask` decides for a
/// `Replace` refresh), rather than succeeding without doing anything.
fn refresh_now_without_refresh_token<A: Adapter>() {
    let x = start();
    let api = without_refresh_token::<A>(&x, 53);
    let sent = x.mock().counters().requests_to(TOKEN_PATH);
    match A::refresh_now(&api) {
        Err(Failure::LoginRequired(LoginRequired::NoRefreshToken)) => {}
        other => panic!(
            "{}: refresh_now without a refresh token must be LoginRequired(NoRefreshToken), got {other:?}",
            A::NAME
        ),
    }
    assert_eq!(
        x.mock().counters().requests_to(TOKEN_PATH),
        sent,
        "{}",
        A::NAME
    );
}

/// Once the access token of a grant without a refresh token has expired, a call says the user
/// must log in again (`LoginRequired(NoRefreshToken)`, as the core's `GrantTask` decides for an
/// expired set), rather than sending the dead token and handing back X's 401.
fn expired_without_refresh_token<A: Adapter>() {
    let x = start();
    let api = without_refresh_token::<A>(&x, 54);
    let calls = x.mock().counters().requests_to("/2/users/me");
    x.mock().advance(Duration::from_secs(7200));
    match A::send(&api, get(&x, "2/users/me")) {
        Err(Failure::LoginRequired(LoginRequired::NoRefreshToken)) => {}
        Ok(answer) => panic!(
            "{}: an expired token without a refresh token must be LoginRequired(NoRefreshToken), got X's {} after {} request(s)",
            A::NAME,
            answer.status(),
            x.mock().counters().requests_to("/2/users/me") - calls
        ),
        Err(other) => panic!(
            "{}: expected LoginRequired(NoRefreshToken), got {other:?}",
            A::NAME
        ),
    }
}

/// A logout through one holder is seen by another that still holds the grant in memory: X
/// refuses its tokens, and the store says the key is gone, so it needs a login (never a loop
/// or a refresh from revoked tokens).
fn logout_seen_by_another_holder<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("logout-other");
    let key = first_user_key(&x);
    let first = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(FileStore::new(dir.path())),
        key.clone(),
        55,
    );
    let other = grants_on::<A, _>(&x, Arc::new(FileStore::new(dir.path())));
    let second = A::user_api(&other, &key).expect("a grant");
    assert_eq!(whoami::<A>(&x, &second), username(&x, 0), "{}", A::NAME);
    A::logout(&first.api).expect("logged out");
    let sent = x.mock().counters().requests_to(TOKEN_PATH);
    match A::send(&second, get(&x, "2/users/me")) {
        Err(Failure::LoginRequired(LoginRequired::NoGrant)) => {}
        other => panic!(
            "{}: expected LoginRequired(NoGrant), got {other:?}",
            A::NAME
        ),
    }
    assert_eq!(
        x.mock().counters().requests_to(TOKEN_PATH),
        sent,
        "{}: no refresh from a revoked grant",
        A::NAME
    );
    assert_only_grant_files(dir.path(), &[]);
}

/// A revocation that fails in transport keeps the key, so the logout can be tried again; the
/// second try revokes at X and deletes it.
fn logout_retried_after_a_transport_failure<A: Adapter>() {
    let x = start();
    let dir = TempDir::new("logout-retry");
    let key = first_user_key(&x);
    let user = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(FileStore::new(dir.path())),
        key.clone(),
        56,
    );
    let before = stored(&*user.store, &key);
    let revocations = x.mock().counters().revocations;
    x.mock()
        .inject(Fault::new(REVOKE_PATH, 1, FaultKind::DropConnection));
    match A::logout(&user.api) {
        Err(Failure::Transport(_)) => {}
        other => panic!("{}: expected a transport failure, got {other:?}", A::NAME),
    }
    let kept = stored(&*user.store, &key);
    assert_eq!(kept.generation(), before.generation(), "{}: kept", A::NAME);
    assert_only_grant_files(dir.path(), &[&key]);
    A::logout(&user.api).unwrap_or_else(|e| panic!("{}: logged out: {e:?}", A::NAME));
    assert_eq!(
        x.mock().counters().revocations,
        revocations + 2,
        "{}",
        A::NAME
    );
    assert!(loaded(&*user.store, &key).grant.is_none(), "{}", A::NAME);
    assert_only_grant_files(dir.path(), &[]);
    assert_refused::<A>(
        "a revoked refresh token",
        refresh_with::<A>(&x, before.tokens()),
    );
}

/// What an API client says about its user: the key it was made for, and the generation,
/// expiry and scopes of the set it holds, before and after a refresh.
fn accessors_follow_the_grant<A: Adapter>() {
    let x = start();
    let user = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(MemoryStore::new()),
        UserKey::new("accessors").expect("a key"),
        57,
    );
    let check = |what: &str| {
        let grant = stored(&*user.store, &user.key);
        assert_eq!(
            A::key(&user.api).as_ref(),
            Some(&user.key),
            "{}: {what}",
            A::NAME
        );
        assert_eq!(
            A::generation(&user.api),
            Some(grant.generation()),
            "{}: {what}",
            A::NAME
        );
        assert_eq!(
            A::expires_at(&user.api),
            grant.expires_at(),
            "{}: {what}",
            A::NAME
        );
        assert!(grant.expires_at().is_some(), "{}: X said when", A::NAME);
        assert_eq!(
            A::scopes(&user.api).as_ref(),
            Some(grant.tokens().scopes()),
            "{}: {what}",
            A::NAME
        );
        grant
    };
    let before = check("after the login");
    let api = A::user_api(&user.grants, &user.key).expect("a grant");
    assert_eq!(A::key(&api).as_ref(), Some(&user.key), "{}", A::NAME);
    x.mock().advance(Duration::from_secs(7200));
    assert_eq!(whoami::<A>(&x, &user.api), username(&x, 0), "{}", A::NAME);
    let after = check("after a refresh");
    assert_eq!(after.generation(), before.generation() + 1, "{}", A::NAME);
    assert!(after.expires_at() > before.expires_at(), "{}", A::NAME);
    let fixed =
        adapter::<A>(&x, RetryPolicy::new()).api(Credential::OAuth2(after.tokens().clone()));
    assert_eq!(
        A::key(&fixed),
        None,
        "{}: a fixed credential has no key",
        A::NAME
    );
    assert_eq!(A::generation(&fixed), None, "{}", A::NAME);
    match A::refresh_now(&fixed) {
        Err(Failure::NotAGrant) => {}
        other => panic!(
            "{}: a fixed credential cannot refresh, got {other:?}",
            A::NAME
        ),
    }
}

for_each_adapter! {
    two_users_share_one_store_and_one_client => two_users_one_store::<A>();
    expired_token_is_refreshed_once_in_a_file_store => expired_token_one_refresh_file_store::<A>();
    refresh_now_rotates_the_grant => refresh_now_rotates::<A>();
    logout_revokes_at_x_and_deletes_the_key => logout_revokes_and_deletes::<A>();
    refresh_that_never_left_keeps_the_old_grant => refresh_never_sent_keeps_the_grant::<A>();
    unwritable_store_sends_no_refresh => unwritable_store::<A>();
    keys_that_look_like_paths_stay_inside_the_store => keys_stay_inside_the_store::<A>();
    refresh_job_refreshes_every_due_key => refresh_job::<A>();
    refresh_job_waits_out_a_429 => refresh_job_waits_out_a_429_body::<A>();
    lease_shorter_than_the_send_budget_sends_nothing => short_lease_sends_nothing::<A>();
    busy_lease_gives_up_then_works => busy_lease_gives_up_then_works_body::<A>();
    salvaged_set_is_adopted_without_a_refresh => salvaged_set_is_adopted::<A>();
    faults_leave_only_grant_files => faults_leave_only_grant_files_body::<A>();
    refresh_now_adopts_a_set_another_holder_stored => refresh_now_adopts_a_newer_set::<A>();
    logout_is_seen_by_another_holder => logout_seen_by_another_holder::<A>();
    logout_is_retried_after_a_transport_failure => logout_retried_after_a_transport_failure::<A>();
    api_client_accessors_follow_the_grant => accessors_follow_the_grant::<A>();
    refresh_now_without_a_refresh_token_is_login_required => refresh_now_without_refresh_token::<A>();
    expired_token_without_a_refresh_token_is_login_required => expired_without_refresh_token::<A>();
}

#[test]
fn user_key_refuses_empty_and_over_long_keys() {
    for bad in [String::new(), "k".repeat(MAX_KEY_LEN + 1)] {
        match UserKey::new(bad.clone()) {
            Err(Error::InvalidKey { .. }) => {}
            other => panic!("{} bytes: expected InvalidKey, got {other:?}", bad.len()),
        }
        let json = serde_json::to_string(&bad).expect("JSON");
        assert!(
            serde_json::from_str::<UserKey>(&json).is_err(),
            "{} bytes: refused when read back too",
            bad.len()
        );
    }
    let longest = "k".repeat(MAX_KEY_LEN);
    assert_eq!(
        UserKey::new(longest.clone())
            .expect("the longest key")
            .as_str(),
        longest
    );
}

/// The async adapter runs a refresh in a task of its own: a caller that stops waiting while
/// the refresh is at X cannot leave the rotated set unsaved (X has spent the old refresh
/// token). The set lands in the store, and the next call uses it without another refresh.
#[test]
fn abandoned_call_still_saves_its_refresh_reqwest() {
    use twitter_auth_tests::adapters::Reqwest;

    let x = start();
    let user = crate::adapters::logged_in::<Reqwest>(&x, RetryPolicy::new());
    let before = stored(&*user.store, &user.key);
    x.mock().advance(Duration::from_secs(7200));
    hold_the_refresh(&x);
    let api = Arc::clone(&user.api.api);
    let request = get(&x, "2/users/me");
    let waited = user.api.runtime.block_on(async move {
        tokio::time::timeout(Duration::from_millis(100), api.send(request)).await
    });
    assert!(waited.is_err(), "the caller stopped waiting mid-refresh");
    let deadline = Instant::now() + Duration::from_secs(10);
    while stored(&*user.store, &user.key).generation() == before.generation() {
        assert!(Instant::now() < deadline, "the refresh was never saved");
        std::thread::sleep(Duration::from_millis(10));
    }
    let after = stored(&*user.store, &user.key);
    assert_eq!(after.generation(), before.generation() + 1);
    assert!(after.refresh_intent().is_none());
    assert_eq!(x.mock().counters().refreshes, 1);
    assert_eq!(whoami::<Reqwest>(&x, &user.api), username(&x, 0));
    let counters = x.mock().counters();
    assert_eq!(counters.refreshes, 1, "no second refresh");
    assert_eq!(counters.refresh_replays, 0);
}
