//! The leak scan of the core: every public value that holds a secret, built from sentinel
//! strings, formatted with `{:?}`, `{:#?}` and (where it exists) `{}`, and every error a flow
//! produces around them: no sentinel may appear.

use std::time::{Duration, UNIX_EPOCH};

use rand::SeedableRng;
use twitter_auth_core::oauth1::{self, Callback, PendingLogin, RequestToken};
use twitter_auth_core::oauth1_sign::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use twitter_auth_core::oauth2::{App, AppOnlyBearer, RevokeToken, Scopes, TokenSet};
use twitter_auth_core::{
    AccessToken, AuthorizationCode, BearerToken, ClientId, ClientSecret, Exchange, RefreshToken,
    Verifier,
};

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains("SENTINEL"), "{what} leaks a secret: {text}");
}

fn scan(what: &str, value: &impl std::fmt::Debug) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

fn scan_display(what: &str, value: &(impl std::fmt::Debug + std::fmt::Display)) {
    scan(what, value);
    assert_clean(what, &value.to_string());
}

#[test]
fn secret_newtypes() {
    scan_display("AccessToken", &AccessToken::new("SENTINEL-at"));
    scan_display("RefreshToken", &RefreshToken::new("SENTINEL-rt"));
    scan_display("BearerToken", &BearerToken::new("SENTINEL-bt"));
    scan_display("ClientSecret", &ClientSecret::new("SENTINEL-cs"));
    scan_display(
        "AuthorizationCode",
        &AuthorizationCode::new("SENTINEL-code"),
    );
    scan_display("Verifier", &Verifier::new("SENTINEL-verifier"));
}

#[test]
fn flow_values_and_their_errors() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);

    // OAuth 2.0.
    let tokens = TokenSet::from_parts(
        AccessToken::new("SENTINELaccess"),
        Some(RefreshToken::new("SENTINELrefresh")),
        Scopes::parse("tweet.read offline.access"),
        Some(crate::support::secs(1)),
    )
    .unwrap();
    scan("TokenSet", &tokens);
    let client = App::confidential(
        ClientId::new("client"),
        ClientSecret::new("SENTINELclientsecret"),
    );
    scan("App", &client);
    let bearer = AppOnlyBearer::new(BearerToken::new("SENTINELbearer")).unwrap();
    scan("AppOnlyBearer", &bearer);
    let app_only = oauth1::App::new(
        ConsumerKey::new("ck"),
        ConsumerSecret::new("SENTINELconsumer"),
    );
    scan("oauth1::App (app-only)", &app_only);
    scan("BearerExchange", &app_only.obtain_bearer().unwrap());
    scan(
        "InvalidateBearerExchange",
        &app_only.invalidate_bearer_basic(&bearer).unwrap(),
    );
    scan("RefreshExchange", &client.refresh(&tokens).unwrap());
    scan(
        "RevokeExchange",
        &client
            .revoke(RevokeToken::Refresh(tokens.refresh_token().unwrap()))
            .unwrap(),
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let (_, pending) = client
        .authorize("https://app.example/cb", Scopes::parse("tweet.read"))
        .unwrap()
        .start(now, &mut rng);
    scan("PendingLogin", &pending);
    let state = pending.state().secret().to_owned();
    let code = pending
        .on_callback(
            &format!("https://app.example/cb?state={state}&code=SENTINELcode"),
            now,
        )
        .unwrap();
    scan("AuthorizedCode", &code);
    let exchange = client.exchange(code).unwrap();
    scan("CodeExchange", &exchange);
    // A token answer X garbled, and X errors, never quote the body.
    let garbled = http::Response::builder()
        .status(200)
        .body(br#"{"token_type":"mac","access_token":"SENTINELfromX"}"#.to_vec())
        .unwrap();
    let e = exchange.finish(now, garbled).unwrap_err();
    scan_display("Error (token answer)", &e);

    // OAuth 1.0a.
    let consumer = ConsumerCredentials::new(
        ConsumerKey::new("ck"),
        ConsumerSecret::new("SENTINELconsumer"),
    );
    let app = oauth1::App::from(consumer);
    scan("oauth1::App", &app);
    let user = TokenCredentials::new(Token::new("t"), TokenSecret::new("SENTINELtokensecret"));
    let signer = app.signer(&user);
    scan("UserSigner", &signer);
    scan(
        "VerifyCredentialsExchange",
        &app.verify_credentials(&signer, now, &mut rng).unwrap(),
    );
    scan(
        "InvalidateTokenExchange",
        &app.invalidate_token(&user, now, &mut rng).unwrap(),
    );
    let callback_error = pending_oauth2_error();
    scan_display("Error::CallbackError", &callback_error);
    let step = app
        .request_token(RequestToken::new(Callback::oob()), now, &mut rng)
        .unwrap();
    scan("RequestTokenExchange", &step);
    let answer = http::Response::builder()
        .status(200)
        .body(
            b"oauth_token=rt&oauth_token_secret=SENTINELrts&oauth_callback_confirmed=true".to_vec(),
        )
        .unwrap();
    let pending: PendingLogin = step.finish(now, answer).unwrap();
    scan("PendingLogin", &pending);
    let verified = pending.with_pin("SENTINEL-pin", now).unwrap();
    scan("AuthorizedToken", &verified);
    let step = app.access_token(verified, now, &mut rng).unwrap();
    scan("AccessTokenExchange", &step);
    let answer = http::Response::builder()
        .status(200)
        .body(b"oauth_token=at&oauth_token_secret=SENTINELats&user_id=1".to_vec())
        .unwrap();
    scan("UserCredentials", &step.finish(now, answer).unwrap());
}

/// An OAuth 2.0 callback error whose description quotes a sentinel the way a hostile redirect
/// could: it is X's (or the attacker's) text, never ours; the scan checks no secret of ours is in it.
fn pending_oauth2_error() -> twitter_auth_core::Error {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let client = App::public(ClientId::new("client"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let (_, pending) = client
        .authorize("https://app.example/cb", Scopes::parse("tweet.read"))
        .unwrap()
        .start(now, &mut rng);
    let state = pending.state().secret().to_owned();
    pending
        .on_callback(
            &format!("?state={state}&error=server_error&error_description=try+later"),
            now,
        )
        .unwrap_err()
}
