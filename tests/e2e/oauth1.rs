//! The core's OAuth 1.0a flows against the fake X, whose signature check is `oauth1-sign`'s
//! verifier fed by the mock's own request parsing: 3-legged, PIN, Sign in with X, verify
//! credentials, invalidate, and a clock the client learns from a 135.

use std::time::Duration;

use twitter_auth_core::oauth1::{self, AuthorizeKind, Callback, UserCredentials};
use twitter_auth_core::oauth1_sign::{
    ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use twitter_auth_core::{Error, Exchange as _};
use twitter_auth_mock::{DEMO_WEB_APP, MockConfig, pin_from_page};
use twitter_auth_tests::{InMemory, Loopback, Transport, follow_consent};

const CALLBACK: &str = "http://127.0.0.1:8765/callback";

/// The demo web app at the fake X's hosts. Nonces come from `rand::rng()`, fresh per request
/// (the mock refuses a nonce twice).
fn web_app<T: Transport>(x: &T) -> oauth1::App {
    let app = x
        .config()
        .app(DEMO_WEB_APP)
        .expect("the demo world has a web app");
    oauth1::App::new(
        ConsumerKey::new(app.consumer_key.clone()),
        ConsumerSecret::new(app.consumer_secret.clone()),
    )
    .with_endpoints(x.endpoints())
}

fn three_legged<T: Transport>(x: &mut T, kind: AuthorizeKind) -> UserCredentials {
    let app = web_app(x);
    let step = app
        .request_token(
            Callback::url(CALLBACK).expect("a valid callback"),
            x.now(),
            &mut rand::rng(),
        )
        .expect("a request-token step");
    let pending = x.run(step).expect("X issues a request token");
    let url = app.authorize_url(&pending, kind);
    let callback = follow_consent(x, url.as_str());
    let verified = pending
        .on_callback(&callback, x.now())
        .expect("the callback carries this login's token and a verifier");
    let step = app
        .access_token(verified, x.now(), &mut rand::rng())
        .expect("an access-token step");
    x.run(step).expect("X issues an access token")
}

fn verify<T: Transport>(x: &mut T, user: &UserCredentials) -> Result<String, Error> {
    let app = web_app(x);
    let signer = app.signer(&user.token);
    let step = app.verify_credentials(&signer, x.now(), &mut rand::rng())?;
    x.run(step).map(|u| u.screen_name)
}

fn oauth1_lifecycle<T: Transport>(x: &mut T) {
    let signed_in = x.config().users[0].clone();
    let user = three_legged(x, AuthorizeKind::Authorize);
    assert_eq!(
        user.user_id.as_ref().map(|id| id.as_str()),
        Some(signed_in.id.as_str())
    );
    assert_eq!(
        user.screen_name.as_deref(),
        Some(signed_in.username.as_str())
    );
    assert_eq!(
        verify(x, &user).expect("the token works"),
        signed_in.username
    );

    // The same token answers on API v2 in OAuth 1.0a user context.
    let app = web_app(x);
    let signer = app.signer(&user.token);
    let step = app
        .users_me(&signer, x.now(), &mut rand::rng())
        .expect("a step");
    assert_eq!(
        x.run(step).expect("v2 accepts it").username,
        signed_in.username
    );

    // Sign in with X hands the same user the same token again.
    let again = three_legged(x, AuthorizeKind::Authenticate);
    assert_eq!(again.token.token.as_str(), user.token.token.as_str());

    let step = app
        .invalidate_token(&user.token, x.now(), &mut rand::rng())
        .expect("an invalidate step");
    x.run(step).expect("X invalidates the token");
    match verify(x, &user) {
        Err(Error::X {
            status: 401,
            errors,
        }) => assert_eq!(errors[0].code, 89),
        other => panic!("an invalidated token must be code 89, got {other:?}"),
    }
}

#[test]
fn three_legged_in_memory() {
    oauth1_lifecycle(&mut InMemory::new(MockConfig::default()));
}

#[test]
fn three_legged_over_loopback() {
    let mut x = Loopback::start(MockConfig::default());
    oauth1_lifecycle(&mut x);
    assert_eq!(x.mock().counters().rejected_signatures, 0);
}

#[test]
fn pin_flow_reads_the_pin_from_the_page() {
    let mut x = Loopback::start(MockConfig::default());
    let app = web_app(&x);
    let step = app
        .request_token(Callback::oob(), x.now(), &mut rand::rng())
        .expect("a request-token step");
    let pending = x.run(step).expect("X issues a request token");
    assert!(pending.is_pin());
    let url = app.authorize_url(&pending, AuthorizeKind::Authorize);
    let page = x
        .send(
            &http::Request::get(url.as_str())
                .body(Vec::new())
                .expect("a valid URI"),
        )
        .expect("the page loads");
    assert_eq!(page.status(), 200);
    let html = String::from_utf8(page.into_body()).expect("the page is UTF-8");
    let pin = pin_from_page(&html).expect("the page shows a PIN");
    let verified = pending.with_pin(pin, x.now()).expect("a PIN is a verifier");
    let step = app
        .access_token(verified, x.now(), &mut rand::rng())
        .expect("an access-token step");
    let user = x.run(step).expect("the PIN buys an access token");
    assert_eq!(
        verify(&mut x, &user).expect("the token works"),
        x.config().users[0].username
    );
}

#[test]
fn a_signer_learns_the_servers_clock_from_a_135() {
    let mut x = InMemory::new(MockConfig::default());
    let app_config = x.config().app(DEMO_WEB_APP).expect("web app").clone();
    let token = &app_config.user_tokens[0];
    let token = TokenCredentials::new(
        Token::new(token.token.clone()),
        TokenSecret::new(token.secret.clone()),
    );
    let app = web_app(&x);
    let mut signer = app.signer(&token);
    // The client's clock is ten minutes behind X's.
    let client_now = x.now();
    x.advance(Duration::from_secs(600));
    let step = app
        .verify_credentials(&signer, client_now, &mut rand::rng())
        .expect("a step");
    let response = x.send(step.request()).expect("an answer");
    assert_eq!(response.status(), 401);
    assert!(
        signer.learn_clock(&response, client_now),
        "the 135 and its Date teach the offset"
    );
    let step = app
        .verify_credentials(&signer, client_now, &mut rand::rng())
        .expect("a step");
    assert!(
        x.run(step).is_ok(),
        "re-signed with X's time, the request passes"
    );
}
