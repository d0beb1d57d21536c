//! `twauth token app-only`, `refresh` and `revoke` against the fake X on loopback, each test
//! with its own profile store (`XDG_CONFIG_HOME` in a fresh temporary directory).

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use twitter_auth_core::grant::{LoginRequired, StoredGrant, UserKey};
use twitter_auth_core::oauth2::{App, Scope, Scopes, TokenSet};
use twitter_auth_core::{ClientId, ClientSecret, Endpoints};
use twitter_auth_mock::{DEMO_WEB_APP, MockConfig, MockX};
use twitter_auth_std::{BlockingTokenStore as _, FileStore};
use twitter_auth_ureq::{Grants, ureq};

mod common;
use common::*;

const REDIRECT: &str = "http://127.0.0.1:8765/callback";

fn web_app(mock: &MockX) -> (String, String, String, String) {
    let app = mock.config().app(DEMO_WEB_APP).expect("a web app");
    (
        app.consumer_key.clone(),
        app.consumer_secret.clone(),
        app.client_id().expect("a client id").to_owned(),
        app.client_secret().expect("a client secret").to_owned(),
    )
}

#[test]
fn app_only_bearer_is_redacted_saved_and_shown_on_request() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("app-only");
    let (key, secret, _, _) = web_app(&mock);
    let env = [
        ("TWAUTH_CONSUMER_KEY", key.as_str()),
        ("TWAUTH_CONSUMER_SECRET", secret.as_str()),
    ];
    let base = mock.base_url();
    let run = twauth(
        &home,
        &["token", "app-only", "--save", "--base-url", base],
        &env,
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let path = home.profiles().join("default.json");
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("the profile is written"))
            .expect("JSON");
    let bearer = saved["bearer_token"].as_str().expect("the bearer is saved");
    assert!(bearer.len() > 20);
    assert!(!run.stdout.contains(bearer), "redacted: {}", run.stdout);
    assert!(run.stdout.contains("bearer token: AAAA…"), "{}", run.stdout);
    assert!(!run.stdout.contains(&secret) && !run.stderr.contains(&secret));
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);

    let run = twauth(
        &home,
        &["token", "app-only", "--show-secrets", "--base-url", base],
        &env,
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(run.stdout.contains(bearer), "shown whole: {}", run.stdout);
}

#[test]
fn app_only_with_a_wrong_secret_is_code_99() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("app-only-99");
    let (key, _, _, _) = web_app(&mock);
    let env = [
        ("TWAUTH_CONSUMER_KEY", key.as_str()),
        ("TWAUTH_CONSUMER_SECRET", "wrong"),
    ];
    let run = twauth(
        &home,
        &["token", "app-only", "--save", "--base-url", mock.base_url()],
        &env,
    );
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("code 99"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Unable to verify your credentials"),
        "{}",
        run.stderr
    );
    assert!(
        !home.profiles().join("default.json").exists(),
        "nothing saved"
    );
}

#[test]
fn app_only_without_consumer_credentials_is_an_error() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("app-only-none");
    let run = twauth(
        &home,
        &["token", "app-only", "--base-url", mock.base_url()],
        &[],
    );
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("no consumer key"), "{}", run.stderr);
}

/// Logs alice in with the web app's confidential client through the core's PKCE flow.
fn log_in(mock: &MockX, client: &App, scopes: Scopes) -> TokenSet {
    let now = UNIX_EPOCH + Duration::from_secs(mock.now());
    let (url, pending) = client
        .authorize(REDIRECT, scopes)
        .expect("an authorize request")
        .start(now, &mut StdRng::seed_from_u64(7));
    let browser: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into();
    let answer = browser.get(url.as_str()).call().expect("the consent page");
    assert_eq!(answer.status(), 302, "consent is automatic");
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location")
        .to_owned();
    let code = pending.on_callback(&location, now).expect("a code");
    twitter_auth_ureq::Transport::new()
        .execute(client.exchange(code).expect("an exchange"))
        .expect("the code exchange")
}

/// The home's token store, and `Grants` on it that the test uses as another process would.
fn grants(home: &Home, client: &App) -> (FileStore, Grants) {
    let store = FileStore::new(home.tokens());
    let grants = Grants::new(
        twitter_auth_ureq::Transport::new(),
        client.clone(),
        Arc::new(store.clone()),
    );
    (store, grants)
}

fn stored(store: &FileStore, key: &UserKey) -> Option<StoredGrant> {
    store.load(key).expect("readable").grant
}

#[test]
fn refresh_persists_a_new_set_whoami_works_and_revoke_empties_the_store() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("refresh");
    let (_, _, id, secret) = web_app(&mock);
    let client = App::confidential(ClientId::new(id.clone()), ClientSecret::new(secret.clone()))
        .with_endpoints(Endpoints::local(mock.base_url()).expect("endpoints"));
    let scopes = Scopes::from([
        Scope::TweetRead,
        Scope::TweetWrite,
        Scope::UsersRead,
        Scope::OfflineAccess,
    ]);
    let tokens = log_in(&mock, &client, scopes);
    let (store, grants) = grants(&home, &client);
    let key = UserKey::new("work").expect("a key");
    grants.login(&key, tokens.clone()).expect("stored");
    assert!(home.grant("work").exists(), "the profile name is the key");
    // What `login oauth2` records: the host that issued the grant.
    write_profile(
        &home,
        "work",
        &serde_json::json!({ "base_url": mock.base_url() }),
    );

    let env = [
        ("TWAUTH_CLIENT_ID", id.as_str()),
        ("TWAUTH_CLIENT_SECRET", secret.as_str()),
        ("TWAUTH_PROFILE", "work"),
    ];
    let base = mock.base_url();
    let run = twauth(&home, &["refresh", "--base-url", base], &env);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(run.stdout.starts_with("refreshed:"), "{}", run.stdout);
    let fresh = stored(&store, &key).expect("a grant");
    assert_eq!(fresh.generation(), 2);
    assert_ne!(
        fresh.tokens().access_token().secret(),
        tokens.access_token().secret(),
        "a new access token is persisted"
    );
    assert!(
        !run.stdout.contains(fresh.tokens().access_token().secret()),
        "redacted"
    );

    let run = twauth(&home, &["whoami", "--base-url", base], &env);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(
        run.stdout
            .starts_with("@mock_alice (id 1500000000000000001"),
        "{}",
        run.stdout
    );

    // The old refresh token is spent: a login with the old set again, and its refresh is
    // refused; the grant keeps its tokens and is marked lost.
    grants.login(&key, tokens.clone()).expect("stored");
    let run = twauth(&home, &["refresh", "--base-url", base], &env);
    assert_eq!(run.code, Some(1), "a spent refresh token is refused");
    assert!(
        run.stderr.contains("X refused the refresh token") && run.stderr.contains("log in again"),
        "{}",
        run.stderr
    );
    let kept = stored(&store, &key).expect("still there");
    assert_eq!(
        kept.tokens().access_token().secret(),
        tokens.access_token().secret()
    );
    assert_eq!(kept.lost(), Some(LoginRequired::Refused));
    let run = twauth(&home, &["refresh", "--base-url", base], &env);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("log in again"), "{}", run.stderr);
    grants.login(&key, fresh.tokens().clone()).expect("stored");

    let run = twauth(&home, &["revoke", "--base-url", base], &env);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(
        run.stdout.contains("revoked the refresh token"),
        "{}",
        run.stdout
    );
    assert!(stored(&store, &key).is_none(), "the grant is deleted");
    assert!(!home.grant("work").exists());

    let run = twauth(&home, &["whoami", "--base-url", base], &env);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("log in first"), "{}", run.stderr);
    let run = twauth(&home, &["revoke", "--base-url", base], &env);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("log in first"), "{}", run.stderr);
    let run = twauth(&home, &["refresh", "--base-url", base], &env);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("log in first"), "{}", run.stderr);
}

#[test]
fn a_grant_without_a_refresh_token_is_used_but_not_refreshed() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("no-refresh");
    let (_, _, id, secret) = web_app(&mock);
    let client = App::confidential(ClientId::new(id.clone()), ClientSecret::new(secret.clone()))
        .with_endpoints(Endpoints::local(mock.base_url()).expect("endpoints"));
    let tokens = log_in(
        &mock,
        &client,
        Scopes::from([Scope::TweetRead, Scope::UsersRead]),
    );
    assert!(tokens.refresh_token().is_none(), "no offline.access");
    let (store, grants) = grants(&home, &client);
    let key = UserKey::new("default").expect("a key");
    grants.login(&key, tokens).expect("stored");
    write_profile(
        &home,
        "default",
        &serde_json::json!({ "base_url": mock.base_url() }),
    );

    let env = [
        ("TWAUTH_CLIENT_ID", id.as_str()),
        ("TWAUTH_CLIENT_SECRET", secret.as_str()),
    ];
    let base = mock.base_url();
    let run = twauth(&home, &["request", "--base-url", base, "2/users/me"], &env);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(run.stdout.contains("mock_alice"), "{}", run.stdout);
    let run = twauth(&home, &["refresh", "--base-url", base], &env);
    assert_eq!(run.code, Some(1), "stdout: {}", run.stdout);
    assert!(run.stderr.contains("offline.access"), "{}", run.stderr);
    assert_eq!(stored(&store, &key).expect("kept").generation(), 1);
    let run = twauth(&home, &["revoke", "--base-url", base], &env);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(
        run.stdout.contains("revoked the access token"),
        "{}",
        run.stdout
    );
    assert!(stored(&store, &key).is_none());
}

/// Item 12: `invalidate app-only` kills the saved bearer at X and removes it from the profile;
/// `invalidate oauth1` does the same for an OAuth 1.0a access token.
#[test]
fn invalidate_the_app_only_bearer_and_an_oauth1_token() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("invalidate");
    let (key, secret, _, _) = web_app(&mock);
    let base = mock.base_url();
    let run = twauth(
        &home,
        &["token", "app-only", "--save", "--base-url", base],
        &[
            ("TWAUTH_CONSUMER_KEY", key.as_str()),
            ("TWAUTH_CONSUMER_SECRET", secret.as_str()),
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // From the profile alone (its consumer key and secret, its host).
    let run = twauth(
        &home,
        &[
            "request",
            "--auth",
            "app-only",
            "2/users/by/username/mock_bob",
        ],
        &[],
    );
    assert!(run.stderr.starts_with("HTTP 200"), "{}", run.stderr);
    let run = twauth(&home, &["invalidate", "app-only"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("invalidated the app-only bearer token"),
        "{}",
        run.stdout
    );
    assert_eq!(mock.counters().invalidations, 1);
    assert!(read_profile(&home, "default")["bearer_token"].is_null());
    let run = twauth(
        &home,
        &[
            "request",
            "--auth",
            "app-only",
            "2/users/by/username/mock_bob",
        ],
        &[],
    );
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("no app-only bearer token"),
        "{}",
        run.stderr
    );

    let env = alice(&mock);
    write_profile(
        &home,
        "one",
        &serde_json::json!({
            "consumer_key": env[0].1, "consumer_secret": env[1].1,
            "access_token": env[2].1, "access_token_secret": env[3].1,
            "base_url": base,
        }),
    );
    let run = twauth(&home, &["--json", "invalidate", "oauth1", "-u", "one"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("JSON");
    assert_eq!(json["invalidated"], "oauth1");
    assert_eq!(mock.counters().invalidations, 2);
    let stored = read_profile(&home, "one");
    assert!(stored["access_token"].is_null() && stored["access_token_secret"].is_null());
    // The token is dead at X.
    let run = twauth(
        &home,
        &[
            "request",
            "--fail",
            "--base-url",
            base,
            "1.1/account/verify_credentials.json",
        ],
        &pairs(&env),
    );
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("code 89"), "{}", run.stderr);
}

/// Item 10: `refresh --json` and `revoke --json`.
#[test]
fn refresh_and_revoke_in_json() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("refresh-json");
    let (_, _, id, secret) = web_app(&mock);
    let client = App::confidential(ClientId::new(id.clone()), ClientSecret::new(secret.clone()))
        .with_endpoints(Endpoints::local(mock.base_url()).expect("endpoints"));
    let tokens = log_in(
        &mock,
        &client,
        Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]),
    );
    let (_, grants) = grants(&home, &client);
    grants
        .login(&UserKey::new("default").expect("a key"), tokens)
        .expect("stored");
    write_profile(
        &home,
        "default",
        &serde_json::json!({ "base_url": mock.base_url(), "client_id": id, "client_secret": secret }),
    );
    let run = twauth(&home, &["refresh", "--json"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("JSON");
    assert_eq!(json["refreshed"], true);
    assert_eq!(json["generation"], 2);
    assert!(
        json["expires_in"].as_u64().is_some_and(|s| s > 7000),
        "{json}"
    );
    assert!(
        json["scopes"].as_array().is_some_and(|s| s.len() == 3),
        "{json}"
    );
    let run = twauth(&home, &["revoke", "--json"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("JSON");
    assert_eq!(
        json["revoked"],
        serde_json::json!(["refresh_token", "access_token"])
    );
}
