//! `twauth token app-only`, `refresh` and `revoke` against the fake X on loopback, each test
//! with its own profile store (`XDG_CONFIG_HOME` in a fresh temporary directory).

use std::time::{Duration, UNIX_EPOCH};

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use twitter_auth_core::oauth2::{AuthorizeRequest, Client, Scope, Scopes, TokenSet};
use twitter_auth_core::{ClientId, ClientSecret, Endpoints};
use twitter_auth_mock::{DEMO_WEB_APP, MockConfig, MockX};
use twitter_auth_std::{FileStore, TokenStore as _};
use twitter_auth_ureq::ureq;

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
fn log_in(mock: &MockX, client: &Client) -> TokenSet {
    let endpoints = Endpoints::local(mock.base_url()).expect("endpoints");
    let now = UNIX_EPOCH + Duration::from_secs(mock.now());
    let scopes = Scopes::from([
        Scope::TweetRead,
        Scope::TweetWrite,
        Scope::UsersRead,
        Scope::OfflineAccess,
    ]);
    let (url, pending) = AuthorizeRequest::new(client, REDIRECT, scopes)
        .expect("an authorize request")
        .start(&endpoints, now, &mut StdRng::seed_from_u64(7));
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
    twitter_auth_ureq::Client::new(endpoints.clone())
        .execute(code.exchange(client, &endpoints).expect("an exchange"))
        .expect("the code exchange")
}

#[test]
fn refresh_persists_a_new_set_whoami_works_and_revoke_empties_the_store() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let home = Home::new("refresh");
    let (_, _, id, secret) = web_app(&mock);
    let client = Client::confidential(ClientId::new(id.clone()), ClientSecret::new(secret.clone()));
    let tokens = log_in(&mock, &client);
    std::fs::create_dir_all(home.profiles()).expect("the store directory");
    let store_path = home.profiles().join("work.tokens.json");
    let store = FileStore::new(&store_path);
    store.save(&tokens).expect("saved");

    let env = [
        ("TWAUTH_CLIENT_ID", id.as_str()),
        ("TWAUTH_CLIENT_SECRET", secret.as_str()),
        ("TWAUTH_PROFILE", "work"),
    ];
    let base = mock.base_url();
    let run = twauth(&home, &["refresh", "--base-url", base], &env);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(run.stdout.starts_with("refreshed:"), "{}", run.stdout);
    let fresh = store.load().expect("readable").expect("a token set");
    assert_ne!(
        fresh.access_token().secret(),
        tokens.access_token().secret(),
        "a new access token is persisted"
    );
    assert!(
        !run.stdout.contains(fresh.access_token().secret()),
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

    // The old refresh token is spent: using the old set again fails and changes nothing.
    store.save(&tokens).expect("saved");
    let run = twauth(&home, &["refresh", "--base-url", base], &env);
    assert_eq!(run.code, Some(1), "a spent refresh token is refused");
    assert!(
        run.stderr.contains("invalid_request") || run.stderr.contains("invalid"),
        "{}",
        run.stderr
    );
    let kept = store.load().expect("readable").expect("still there");
    assert_eq!(kept.access_token().secret(), tokens.access_token().secret());
    store.save(&fresh).expect("saved");

    let run = twauth(&home, &["revoke", "--base-url", base], &env);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(
        run.stdout.contains("revoked the refresh token"),
        "{}",
        run.stdout
    );
    assert!(
        store.load().expect("readable").is_none(),
        "the store is empty"
    );

    let run = twauth(&home, &["whoami", "--base-url", base], &env);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("log in first"), "{}", run.stderr);
    let run = twauth(&home, &["revoke", "--base-url", base], &env);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("log in first"), "{}", run.stderr);
}
