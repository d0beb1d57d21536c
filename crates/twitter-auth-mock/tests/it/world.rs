//! The world a test configures: [`MockConfig::validate`] and `MockX::start` refuse an
//! inconsistent one, and a desktop app takes only `oob` (contract §2.1, §6.1).

use std::io::ErrorKind;

use twitter_auth_mock::{MockConfig, MockX, UserToken};

use crate::support::{CALLBACK, CUSTOM_SCHEME_CALLBACK, Mock, OAuth1};

/// The message X sends with code 417 (contract §2.1).
const DESKTOP_ONLY_OOB: &str = "Desktop applications only support the oauth_callback value 'oob'";

/// Asserts `config` is refused by `validate` and by `MockX::start`.
fn assert_refused(what: &str, config: MockConfig) {
    assert!(config.validate().is_err(), "{what}: validate accepted it");
    match MockX::start(config) {
        Ok(x) => panic!("{what}: started on {}", x.addr()),
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{what}: {e}"),
    }
}

#[test]
fn the_demo_and_the_empty_worlds_are_valid() {
    assert_eq!(MockConfig::default().validate(), Ok(()));
    assert_eq!(MockConfig::empty().validate(), Ok(()));
}

#[test]
fn a_duplicate_consumer_key_is_refused() {
    let mut config = MockConfig::default();
    config.apps[1].consumer_key = config.apps[0].consumer_key.clone();
    assert_refused("a duplicate consumer key", config);
}

#[test]
fn a_duplicate_client_id_is_refused() {
    let mut config = MockConfig::default();
    let client_id = config.apps[0].client_id().expect("client id").to_owned();
    config.apps[1]
        .oauth2
        .as_mut()
        .expect("the native app has an OAuth 2.0 client")
        .client_id = client_id;
    assert_refused("a duplicate client id", config);
}

#[test]
fn an_owner_who_is_not_a_user_is_refused() {
    let mut config = MockConfig::default();
    config.apps[0].owner = "999".to_owned();
    assert_refused("an unknown owner", config);
}

#[test]
fn a_user_token_for_an_unknown_user_is_refused() {
    let mut config = MockConfig::default();
    config.apps[0].user_tokens.push(UserToken {
        user_id: "999".to_owned(),
        token: "999-unknownUserToken0000000000000000000001".to_owned(),
        secret: "unknownUserTokenSecret00000000000000000000001".to_owned(),
    });
    assert_refused("a token of an unknown user", config);
}

#[test]
fn the_demo_apps_are_not_desktop_apps() {
    let config = MockConfig::default();
    assert!(config.apps.iter().all(|app| !app.desktop));
}

#[test]
fn a_desktop_app_takes_only_oob() {
    let mut config = MockConfig::default();
    config.apps[0].desktop = true;
    let x = Mock::with(config);
    let app = &x.config().apps[0];
    for callback in [CALLBACK, CUSTOM_SCHEME_CALLBACK] {
        let answer = x.signed_post_form(
            OAuth1::app(app).callback(callback),
            "/oauth/request_token",
            "",
        );
        answer.assert_coded(401, 417);
        let message = answer.json()["errors"][0]["message"]
            .as_str()
            .expect("a message")
            .to_owned();
        assert!(message.starts_with(DESKTOP_ONLY_OOB), "{message}");
    }
    assert_eq!(x.counters().request_tokens, 0);

    let (token, secret) = x.request_token(app, "oob");
    assert!(!token.is_empty() && !secret.is_empty());
    // The other, non-desktop app keeps its registered callbacks.
    x.request_token(&x.config().apps[1], CALLBACK);
    assert_eq!(x.counters().request_tokens, 2);
}
