//! The core's app-only bearer flow against the fake X: obtain, use, invalidate (both variants).

use twitter_auth_core::oauth1;
use twitter_auth_core::oauth1_sign::{
    ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use twitter_auth_core::oauth2::AppOnlyBearer;
use twitter_auth_core::{Endpoints, Error, HttpResponse};
use twitter_auth_mock::{DEMO_WEB_APP, MockConfig};
use twitter_auth_tests::{Loopback, Transport};

/// The demo web app's app-only face, at the fake X's hosts.
fn app_only(config: &MockConfig, endpoints: Endpoints) -> oauth1::App {
    let app = config
        .app(DEMO_WEB_APP)
        .expect("the demo world has a web app");
    oauth1::App::new(
        ConsumerKey::new(app.consumer_key.clone()),
        ConsumerSecret::new(app.consumer_secret.clone()),
    )
    .with_endpoints(endpoints)
}

fn lookup(x: &mut Loopback, bearer: &AppOnlyBearer) -> HttpResponse {
    let url = x.endpoints().api_url("2/users/by/username/mock_bob");
    let request = http::Request::get(url.as_str())
        .header("authorization", bearer.authorization_header())
        .body(Vec::new())
        .expect("a valid request");
    x.send(&request).expect("an answer")
}

#[test]
fn obtain_use_and_invalidate_with_basic() {
    let mut x = Loopback::start(MockConfig::default());
    let app = app_only(x.config(), x.endpoints());
    let bearer = x
        .run(app.obtain_bearer().expect("a step"))
        .expect("a bearer");
    assert!(
        bearer
            .authorization_header()
            .to_str()
            .expect("ASCII")
            .contains("%2F")
    );
    assert_eq!(lookup(&mut x, &bearer).status(), 200);
    let again = x
        .run(app.obtain_bearer().expect("a step"))
        .expect("a bearer");
    assert_eq!(
        again.authorization_header(),
        bearer.authorization_header(),
        "one per app"
    );

    let step = app.invalidate_bearer_basic(&bearer).expect("a step");
    x.run(step).expect("X invalidates it");
    assert_eq!(lookup(&mut x, &bearer).status(), 401);
    assert_eq!(x.mock().counters().invalidations, 1);
}

#[test]
fn invalidate_signed_by_the_app_owner() {
    let mut x = Loopback::start(MockConfig::default());
    let app = app_only(x.config(), x.endpoints());
    let owner = x.config().app(DEMO_WEB_APP).expect("web app").user_tokens[0].clone();
    let owner = TokenCredentials::new(Token::new(owner.token), TokenSecret::new(owner.secret));
    let bearer = x
        .run(app.obtain_bearer().expect("a step"))
        .expect("a bearer");
    let step = app
        .invalidate_bearer_signed(&bearer, &owner, x.now(), &mut rand::rng())
        .expect("a step");
    x.run(step).expect("X invalidates it");
    assert_eq!(lookup(&mut x, &bearer).status(), 401);
}

#[test]
fn wrong_keys_are_code_99() {
    let mut x = Loopback::start(MockConfig::default());
    let app = oauth1::App::new(ConsumerKey::new("nobody"), ConsumerSecret::new("nothing"))
        .with_endpoints(x.endpoints());
    match x.run(app.obtain_bearer().expect("a step")) {
        Err(Error::X {
            status: 403,
            errors,
        }) => assert_eq!(errors[0].code, 99),
        other => panic!("expected code 99, got {other:?}"),
    }
}
