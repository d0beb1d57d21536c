//! The core's PKCE flow against the fake X, in memory and over loopback HTTP: authorize,
//! callback, code exchange, `2/users/me`, expiry, refresh with rotation, revoke.

use std::time::Duration;

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use twitter_auth_core::oauth2::{self, App, Freshness, RevokeToken, Scope, Scopes, TokenSet};
use twitter_auth_core::{ClientId, ClientSecret, Error};
use twitter_auth_mock::{Consent, DEMO_NATIVE_APP, DEMO_WEB_APP, MockConfig};
use twitter_auth_tests::{InMemory, Loopback, Transport, follow_consent};

const REDIRECT: &str = "http://127.0.0.1:8765/callback";

/// The demo native app, at the fake X's hosts.
fn public_client<T: Transport>(x: &T) -> App {
    let app = x
        .config()
        .app(DEMO_NATIVE_APP)
        .expect("the demo world has a native app");
    App::public(ClientId::new(app.client_id().expect("it has a client id")))
        .with_endpoints(x.endpoints())
}

/// The demo web app, at the fake X's hosts.
fn confidential_client<T: Transport>(x: &T) -> App {
    let app = x
        .config()
        .app(DEMO_WEB_APP)
        .expect("the demo world has a web app");
    App::confidential(
        ClientId::new(app.client_id().expect("it has a client id")),
        ClientSecret::new(app.client_secret().expect("it is confidential")),
    )
    .with_endpoints(x.endpoints())
}

/// Authorize URL → consent → callback → code exchange: the token set.
fn log_in<T: Transport>(x: &mut T, client: &App, scopes: Scopes, seed: u64) -> TokenSet {
    let mut rng = StdRng::seed_from_u64(seed);
    let (url, pending) = client
        .authorize(REDIRECT, scopes)
        .expect("a valid authorize request")
        .start(x.now(), &mut rng);
    let callback = follow_consent(x, url.as_str());
    assert!(
        callback.starts_with(REDIRECT),
        "the consent redirects to the registered URI"
    );
    assert!(
        pending.matches(&callback),
        "the callback carries the login's state"
    );
    let code = pending
        .on_callback(&callback, x.now())
        .expect("the callback carries a code");
    let step = client.exchange(code).expect("an exchange step");
    x.run(step).expect("the code exchange succeeds")
}

/// `2/users/me` as `client`'s user (the app's hosts are the fake X's).
fn whoami<T: Transport>(x: &mut T, client: &App, tokens: &TokenSet) -> Result<String, Error> {
    let step = client.users_me(tokens)?;
    x.run(step).map(|user| user.username)
}

fn full_scopes() -> Scopes {
    Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess])
}

/// One test body for both transports: log in, use, expire, refresh, replay, revoke.
fn pkce_lifecycle<T: Transport>(x: &mut T, client: &App) {
    let signed_in = x.config().users[0].username.clone();
    let tokens = log_in(x, client, full_scopes(), 1);
    assert_eq!(tokens.scopes(), &full_scopes(), "X grants what was asked");
    assert!(
        tokens.can_refresh(),
        "offline.access brings a refresh token"
    );
    assert_eq!(
        whoami(x, client, &tokens).expect("the token works"),
        signed_in
    );

    // Two hours later the access token is dead, at X and by the token set's own account.
    x.advance(Duration::from_secs(7200));
    assert_eq!(
        tokens.freshness(x.now(), oauth2::DEFAULT_REFRESH_MARGIN),
        Freshness::Expired
    );
    assert!(
        matches!(
            whoami(x, client, &tokens),
            Err(Error::Problem { status: 401, .. })
        ),
        "an expired token is refused with a v2 problem"
    );

    // Refresh: new access and refresh tokens; the old refresh token is spent.
    let step = client.refresh(&tokens).expect("a refresh step");
    let rotated = x.run(step).expect("the refresh succeeds");
    assert_ne!(
        rotated.refresh_token().map(|t| t.secret().to_owned()),
        tokens.refresh_token().map(|t| t.secret().to_owned()),
        "the refresh token rotates"
    );
    assert_eq!(
        whoami(x, client, &rotated).expect("the new token works"),
        signed_in
    );
    let replay = client.refresh(&tokens).expect("a refresh step");
    match x.run(replay) {
        Err(Error::OAuth2 { status: 400, error }) => assert_eq!(error.error, "invalid_request"),
        other => panic!("a replayed refresh token must be invalid_request, got {other:?}"),
    }

    // Log out: revoking the refresh token ends the grant, access token included.
    let refresh_token = rotated.refresh_token().expect("still refreshable");
    let step = client
        .revoke(RevokeToken::Refresh(refresh_token))
        .expect("a revoke step");
    x.run(step).expect("the revocation succeeds");
    assert!(matches!(
        whoami(x, client, &rotated),
        Err(Error::Problem { status: 401, .. })
    ));
    let step = client.refresh(&rotated).expect("a refresh step");
    assert!(matches!(
        x.run(step),
        Err(Error::OAuth2 { status: 400, .. })
    ));
}

#[test]
fn public_client_lifecycle_in_memory() {
    let mut x = InMemory::new(MockConfig::default());
    let client = public_client(&x);
    pkce_lifecycle(&mut x, &client);
    let counters = x.handler().counters();
    assert_eq!(counters.authorization_codes, 1);
    assert_eq!(counters.refreshes, 1);
    assert_eq!(counters.refresh_replays, 1);
    assert_eq!(counters.revocations, 1);
}

#[test]
fn public_client_lifecycle_over_loopback() {
    let mut x = Loopback::start(MockConfig::default());
    let client = public_client(&x);
    pkce_lifecycle(&mut x, &client);
    let counters = x.mock().counters();
    assert_eq!(
        counters.requests_to("/2/oauth2/token"),
        4,
        "exchange, refresh, replayed refresh, refresh after revoke"
    );
    assert_eq!(counters.refreshes, 1);
}

#[test]
fn confidential_client_lifecycle_over_loopback() {
    let mut x = Loopback::start(MockConfig::default());
    let client = confidential_client(&x);
    pkce_lifecycle(&mut x, &client);
}

#[test]
fn a_confidential_client_without_its_secret_is_told_so() {
    let mut x = Loopback::start(MockConfig::default());
    let app = x.config().app(DEMO_WEB_APP).expect("demo web app").clone();
    // The classic mix-up: a confidential client's id used as if it were public.
    let client = App::public(ClientId::new(app.client_id().expect("client id")))
        .with_endpoints(x.endpoints());
    let mut rng = StdRng::seed_from_u64(2);
    let (url, pending) = client
        .authorize(REDIRECT, full_scopes())
        .expect("a valid authorize request")
        .start(x.now(), &mut rng);
    let callback = follow_consent(&mut x, url.as_str());
    let code = pending.on_callback(&callback, x.now()).expect("a code");
    let step = client.exchange(code).expect("an exchange step");
    match x.run(step) {
        Err(Error::OAuth2 { status: 401, error }) => {
            assert_eq!(error.error, "unauthorized_client");
            assert_eq!(
                error.description.as_deref(),
                Some("Missing valid authorization header")
            );
        }
        other => panic!("expected unauthorized_client, got {other:?}"),
    }
}

#[test]
fn without_offline_access_there_is_no_refresh_token() {
    let mut x = InMemory::new(MockConfig::default());
    let client = public_client(&x);
    let tokens = log_in(
        &mut x,
        &client,
        Scopes::from([Scope::TweetRead, Scope::UsersRead]),
        3,
    );
    assert!(!tokens.can_refresh());
    assert!(matches!(
        client.refresh(&tokens),
        Err(Error::NoRefreshToken)
    ));
}

#[test]
fn a_denied_consent_is_a_typed_error() {
    let mut x = Loopback::start(MockConfig {
        consent: Consent::Deny,
        ..MockConfig::default()
    });
    let client = public_client(&x);
    let mut rng = StdRng::seed_from_u64(4);
    let (url, pending) = client
        .authorize(REDIRECT, full_scopes())
        .expect("a valid authorize request")
        .start(x.now(), &mut rng);
    let callback = follow_consent(&mut x, url.as_str());
    assert!(matches!(
        pending.on_callback(&callback, x.now()),
        Err(Error::Denied)
    ));
}

#[test]
fn a_code_used_after_30_seconds_is_refused() {
    let mut x = InMemory::new(MockConfig::default());
    let client = public_client(&x);
    let mut rng = StdRng::seed_from_u64(5);
    let (url, pending) = client
        .authorize(REDIRECT, full_scopes())
        .expect("a valid authorize request")
        .start(x.now(), &mut rng);
    let callback = follow_consent(&mut x, url.as_str());
    let code = pending.on_callback(&callback, x.now()).expect("a code");
    x.advance(Duration::from_secs(31));
    let step = client.exchange(code).expect("an exchange step");
    match x.run(step) {
        Err(Error::OAuth2 { status: 400, error }) => assert_eq!(error.error, "invalid_request"),
        other => panic!("an expired code must be invalid_request, got {other:?}"),
    }
}
