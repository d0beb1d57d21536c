//! OAuth 1.0a over HTTP: request token, authorize/authenticate, access token, invalidate
//! (contract §1, §2, §6.1).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use twitter_auth_mock::{Consent, MockConfig, pin_from_page};

use crate::support::{
    ALICE, ALICE_ID, CALLBACK, CUSTOM_SCHEME_CALLBACK, Mock, OAuth1, form, nonce, query_of,
};

#[test]
fn request_token_answers_a_form_with_the_callback_confirmed() {
    let x = Mock::start();
    let answer = x.signed_post_form(
        OAuth1::app(x.web()).callback(CALLBACK),
        "/oauth/request_token",
        "",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    // Form-encoded whatever the Content-Type (contract §2.1).
    let form = answer.form();
    assert!(!form["oauth_token"].is_empty());
    assert!(!form["oauth_token_secret"].is_empty());
    assert_eq!(form["oauth_callback_confirmed"], "true");
    assert_eq!(form.len(), 3, "{}", answer.body);
    assert_eq!(x.counters().request_tokens, 1);
}

#[test]
fn request_token_accepts_a_callback_in_the_form_body_and_a_custom_scheme() {
    let x = Mock::start();
    let body = form(&[("oauth_callback", CUSTOM_SCHEME_CALLBACK)]);
    let answer = x.signed_post_form(OAuth1::app(x.native()), "/oauth/request_token", &body);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.form()["oauth_callback_confirmed"], "true");
}

#[test]
fn request_token_accepts_oob_without_registration() {
    let x = Mock::start();
    let (token, secret) = x.request_token(x.web(), "oob");
    assert!(!token.is_empty() && !secret.is_empty());
}

#[test]
fn unregistered_callback_is_403_code_415() {
    let x = Mock::start();
    // Exact match, trailing slash included (contract §2.1).
    for callback in [
        "http://127.0.0.1:8765/callback/",
        "http://127.0.0.1:9999/callback",
        "https://evil.example/callback",
    ] {
        let answer = x.signed_post_form(
            OAuth1::app(x.web()).callback(callback),
            "/oauth/request_token",
            "",
        );
        answer.assert_coded(403, 415);
    }
    assert_eq!(x.counters().request_tokens, 0);
}

#[test]
fn request_token_without_a_callback_is_400_code_215() {
    let x = Mock::start();
    // `oauth_callback` is required (contract §2.1), even for an app with registered callbacks.
    let answer = x.signed_post_form(OAuth1::app(x.web()), "/oauth/request_token", "");
    answer.assert_coded(400, 215);
    assert_eq!(x.counters().request_tokens, 0);
}

#[test]
fn request_token_with_an_unknown_access_type_is_400_code_215() {
    let x = Mock::start();
    // `x_auth_access_type` is `read` or `write` (contract §2.1); in the body, signed.
    let body = form(&[("x_auth_access_type", "admin")]);
    let answer = x.signed_post_form(
        OAuth1::app(x.web()).callback(CALLBACK),
        "/oauth/request_token",
        &body,
    );
    answer.assert_coded(400, 215);
    // In the query, as tweepy sends it.
    let path = format!("/oauth/request_token?{body}");
    let header = x.sign(OAuth1::app(x.web()).callback(CALLBACK), "POST", &path, None);
    let answer = x.send(
        x.request("POST", &path, Some(&header))
            .body(Vec::new())
            .expect("a request"),
    );
    answer.assert_coded(400, 215);
    assert_eq!(x.counters().request_tokens, 0);
}

#[test]
fn localhost_is_not_a_registered_callback_of_the_demo_apps() {
    let x = Mock::start();
    // X asks for `http://127.0.0.1` rather than `localhost` (contract §2.1).
    for app in [x.web(), x.native()] {
        assert!(
            app.callbacks.iter().all(|c| !c.contains("localhost")),
            "{:?}",
            app.callbacks
        );
        let answer = x.signed_post_form(
            OAuth1::app(app).callback("http://localhost:8765/callback"),
            "/oauth/request_token",
            "",
        );
        answer.assert_coded(403, 415);
    }
    assert_eq!(x.counters().request_tokens, 0);
}

#[test]
fn missing_or_garbled_authorization_is_400_code_215() {
    let x = Mock::start();
    let body = form(&[("oauth_callback", "oob")]);
    for authorization in [
        None,
        Some("OAuth"),
        Some("OAuth this is not a header"),
        Some("OAuth oauth_consumer_key=\"unterminated"),
        Some("Basic Zm9vOmJhcg=="),
    ] {
        let answer = x.post_form("/oauth/request_token", authorization, &body);
        answer.assert_coded(400, 215);
    }
}

#[test]
fn unknown_consumer_key_is_401_code_32() {
    let x = Mock::start();
    let answer = x.signed_post_form(
        OAuth1::keys("noSuchConsumerKey", "noSuchSecret").callback("oob"),
        "/oauth/request_token",
        "",
    );
    answer.assert_coded(401, 32);
}

#[test]
fn wrong_signature_is_401_code_32() {
    let x = Mock::start();
    let app = x.web();
    let answer = x.signed_post_form(
        OAuth1::keys(&app.consumer_key, "not-the-consumer-secret").callback("oob"),
        "/oauth/request_token",
        "",
    );
    answer.assert_coded(401, 32);

    // A signature over another URL (the host is signed: contract §0.1).
    let header = OAuth1::app(app).callback("oob").header(
        x.now(),
        "POST",
        "https://api.x.com/oauth/request_token",
        Some(b""),
    );
    let answer = x.post_form("/oauth/request_token", Some(&header), "");
    answer.assert_coded(401, 32);

    // The form body is signed: changing it after signing breaks the signature.
    let header = x.sign(
        OAuth1::app(app),
        "POST",
        "/oauth/request_token",
        Some("oauth_callback=oob"),
    );
    let answer = x.post_form(
        "/oauth/request_token",
        Some(&header),
        &form(&[("oauth_callback", CALLBACK)]),
    );
    answer.assert_coded(401, 32);
    assert_eq!(x.counters().rejected_signatures, 3);
    assert_eq!(x.counters().request_tokens, 0);
}

#[test]
fn timestamp_outside_the_window_is_401_code_135_with_a_date() {
    let x = Mock::start();
    let app = x.web();
    for skew in [-310_i64, 310] {
        let timestamp = x.now().saturating_add_signed(skew);
        let answer = x.signed_post_form(
            OAuth1::app(app).callback("oob").timestamp(timestamp),
            "/oauth/request_token",
            "",
        );
        answer.assert_coded(401, 135);
        assert!(answer.header("date").is_some(), "{answer:?}");
    }
    // Inside the window (300 s either side) it works.
    for skew in [-290_i64, 290] {
        let timestamp = x.now().saturating_add_signed(skew);
        let answer = x.signed_post_form(
            OAuth1::app(app).callback("oob").timestamp(timestamp),
            "/oauth/request_token",
            "",
        );
        assert_eq!(answer.status, 200, "skew {skew}: {answer:?}");
    }
}

#[test]
fn the_date_of_a_135_tells_the_client_the_server_time() {
    let x = Mock::start();
    // The server's clock runs an hour ahead of the client's.
    x.advance(Duration::from_secs(3600));
    let client_now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let answer = x.signed_post_form(
        OAuth1::app(x.web()).callback("oob").timestamp(client_now),
        "/oauth/request_token",
        "",
    );
    answer.assert_coded(401, 135);
    let date = answer.header("date").expect("a Date header");
    let server_time = httpdate::parse_http_date(date)
        .expect("an HTTP date")
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    assert!(
        server_time.abs_diff(x.now()) <= 2,
        "Date {date} is not the mock's clock"
    );
    assert!(server_time >= client_now + 3590);
    // Signing with the server's time (learnt from Date) works.
    let answer = x.signed_post_form(
        OAuth1::app(x.web()).callback("oob").timestamp(server_time),
        "/oauth/request_token",
        "",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn replayed_nonce_is_401_code_32() {
    let x = Mock::start();
    let header = x.sign(
        OAuth1::app(x.web()).callback("oob"),
        "POST",
        "/oauth/request_token",
        Some(""),
    );
    let first = x.post_form("/oauth/request_token", Some(&header), "");
    assert_eq!(first.status, 200, "{first:?}");
    // The very same signed request again: a replay.
    let replay = x.post_form("/oauth/request_token", Some(&header), "");
    replay.assert_coded(401, 32);

    // The same nonce in a freshly signed request is a replay too.
    let used = nonce();
    let app = x.web();
    let answer = x.signed_post_form(
        OAuth1::app(app).callback("oob").nonce(&used),
        "/oauth/request_token",
        "",
    );
    assert_eq!(answer.status, 200);
    let answer = x.signed_post_form(
        OAuth1::app(app).callback(CALLBACK).nonce(&used),
        "/oauth/request_token",
        "",
    );
    answer.assert_coded(401, 32);
    assert_eq!(x.counters().request_tokens, 2);
}

#[test]
fn an_empty_nonce_is_401_code_32() {
    let x = Mock::start();
    // Correctly signed over `oauth_nonce=` (RFC 5849 §3.3: a nonce is a random string, unique
    // per timestamp; an empty one is none).
    let header = x.sign(
        OAuth1::app(x.web()).callback("oob").nonce(""),
        "POST",
        "/oauth/request_token",
        Some(""),
    );
    assert!(header.contains("oauth_nonce=\"\""), "{header}");
    let answer = x.post_form("/oauth/request_token", Some(&header), "");
    answer.assert_coded(401, 32);
    // On a protected resource as well.
    let answer = x.signed_get(
        OAuth1::owner(x.web()).nonce(""),
        "/1.1/account/verify_credentials.json",
    );
    answer.assert_coded(401, 32);
    let counters = x.counters();
    assert_eq!(counters.request_tokens, 0);
    assert_eq!(counters.rejected_signatures, 2);
}

#[test]
fn suspended_app_is_401_code_416() {
    let mut config = MockConfig::default();
    config.apps[0].suspended = true;
    let x = Mock::with(config);
    let app = &x.config().apps[0];
    let answer = x.signed_post_form(
        OAuth1::app(app).callback(CALLBACK),
        "/oauth/request_token",
        "",
    );
    answer.assert_coded(401, 416);
    // Its owner's token is refused too.
    let answer = x.signed_get(OAuth1::owner(app), "/1.1/account/verify_credentials.json");
    answer.assert_coded(401, 416);
}

#[test]
fn authorize_redirects_to_the_callback_with_token_and_verifier() {
    let x = Mock::start();
    let (token, _) = x.request_token(x.web(), CALLBACK);
    let answer = x.get(&format!("/oauth/authorize?oauth_token={token}"), None);
    let location = answer.location();
    assert!(location.starts_with(&format!("{CALLBACK}?")), "{location}");
    let params = query_of(&location);
    assert_eq!(params["oauth_token"], token);
    assert!(!params["oauth_verifier"].is_empty());
    assert!(!params.contains_key("denied"));
}

#[test]
fn authenticate_redirects_like_authorize() {
    let x = Mock::start();
    let (token, secret) = x.request_token(x.web(), CALLBACK);
    let answer = x.get(&format!("/oauth/authenticate?oauth_token={token}"), None);
    let params = answer.redirect_params();
    assert_eq!(params["oauth_token"], token);
    let answer = x.access_token(x.web(), (&token, &secret), &params["oauth_verifier"]);
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn oob_shows_a_pin_that_is_the_verifier() {
    let x = Mock::start();
    let app = x.native();
    let (token, secret) = x.request_token(app, "oob");
    let page = x.get(&format!("/oauth/authorize?oauth_token={token}"), None);
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.media_type(), "text/html");
    let pin = pin_from_page(&page.body).expect("a PIN on the page");
    // "a X generated ~7 digit PIN" (contract §2.2).
    assert!((6..=8).contains(&pin.len()), "{pin}");
    assert!(pin.bytes().all(|b| b.is_ascii_digit()));

    let answer = x.access_token(app, (&token, &secret), pin);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.form()["user_id"], ALICE_ID);
    // Single use: the PIN does not work twice.
    let again = x.access_token(app, (&token, &secret), pin);
    again.assert_coded(401, 89);
}

#[test]
fn stale_or_unknown_request_token_gets_a_400_page() {
    let x = Mock::start();
    let (token, _) = x.request_token(x.web(), CALLBACK);
    x.authorize_oauth1(&token);
    for path in [
        format!("/oauth/authorize?oauth_token={token}"),
        format!("/oauth/authenticate?oauth_token={token}"),
        "/oauth/authorize?oauth_token=noSuchToken".to_owned(),
        "/oauth/authorize".to_owned(),
    ] {
        let answer = x.get(&path, None);
        assert_eq!(answer.status, 400, "{path}: {answer:?}");
        assert_eq!(answer.media_type(), "text/html");
        assert!(answer.header("location").is_none());
    }
}

#[test]
fn refused_consent_redirects_with_denied() {
    let x = Mock::with(MockConfig {
        consent: Consent::Deny,
        ..MockConfig::default()
    });
    let app = x.web();
    let (token, secret) = x.request_token(app, CALLBACK);
    let answer = x.get(&format!("/oauth/authorize?oauth_token={token}"), None);
    let location = answer.location();
    assert!(location.starts_with(CALLBACK), "{location}");
    let params = query_of(&location);
    // `?denied=<request token>` and no verifier (contract §2.2).
    assert_eq!(params["denied"], token);
    assert!(!params.contains_key("oauth_verifier"));
    // The request token is dead.
    let answer = x.access_token(app, (&token, &secret), "anything");
    answer.assert_coded(401, 89);
}

#[test]
fn sign_in_with_x_skips_the_page_for_a_user_who_approved_before() {
    let x = Mock::with(MockConfig {
        consent: Consent::Page,
        ..MockConfig::default()
    });
    let app = x.web();

    // First time: the consent page, then the user clicks Authorize.
    let (first, _) = x.request_token(app, CALLBACK);
    let page = x.get(&format!("/oauth/authenticate?oauth_token={first}"), None);
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("id=\"allow\""));
    let answer = x.post_form(
        "/oauth/authenticate",
        None,
        &form(&[
            ("oauth_token", &first),
            ("user_id", ALICE_ID),
            ("decision", "allow"),
        ]),
    );
    assert_eq!(answer.redirect_params()["oauth_token"], first);

    // Sign in with X again: straight back to the callback.
    let (second, secret) = x.request_token(app, CALLBACK);
    let answer = x.get(&format!("/oauth/authenticate?oauth_token={second}"), None);
    let params = answer.redirect_params();
    assert_eq!(params["oauth_token"], second);
    let tokens = x.access_token(app, (&second, &secret), &params["oauth_verifier"]);
    assert_eq!(tokens.form()["screen_name"], ALICE);

    // `authorize` always shows the consent screen (contract §2.2) ...
    let (third, _) = x.request_token(app, CALLBACK);
    let page = x.get(&format!("/oauth/authorize?oauth_token={third}"), None);
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("id=\"allow\""));

    // ... and `force_login=true` brings the page back on `authenticate`.
    let (fourth, _) = x.request_token(app, CALLBACK);
    let page = x.get(
        &format!("/oauth/authenticate?oauth_token={fourth}&force_login=true"),
        None,
    );
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("id=\"allow\""));
}

#[test]
fn access_token_answers_the_user_id_and_screen_name() {
    let x = Mock::start();
    let app = x.web();
    let (token, secret) = x.request_token(app, CALLBACK);
    let verifier = x.authorize_oauth1(&token);
    let answer = x.access_token(app, (&token, &secret), &verifier);
    assert_eq!(answer.status, 200, "{answer:?}");
    let form = answer.form();
    assert!(!form["oauth_token"].is_empty());
    assert!(!form["oauth_token_secret"].is_empty());
    assert_ne!(
        form["oauth_token"], token,
        "a new token, not the request token"
    );
    assert_eq!(form["user_id"], ALICE_ID);
    assert_eq!(form["screen_name"], ALICE);

    // The access token signs requests.
    let answer = x.signed_get(
        OAuth1::app(app).token(&form["oauth_token"], &form["oauth_token_secret"]),
        "/1.1/account/verify_credentials.json",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["screen_name"], ALICE);
}

#[test]
fn wrong_verifier_is_401_in_plain_text() {
    let x = Mock::start();
    let app = x.web();
    let (token, secret) = x.request_token(app, CALLBACK);
    let verifier = x.authorize_oauth1(&token);
    let answer = x.access_token(app, (&token, &secret), &format!("{verifier}x"));
    assert_eq!(answer.status, 401, "{answer:?}");
    // Not JSON: clients must not assume JSON here (contract §6.1).
    assert_eq!(answer.media_type(), "text/plain");
    assert!(serde_json::from_str::<serde_json::Value>(&answer.body).is_err());

    // No verifier at all is refused the same way.
    let answer = x.signed_post_form(
        OAuth1::app(app).token(&token, &secret),
        "/oauth/access_token",
        "",
    );
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.media_type(), "text/plain");
}

#[test]
fn access_token_without_approval_is_refused() {
    let x = Mock::start();
    let app = x.web();
    let (token, secret) = x.request_token(app, CALLBACK);
    let answer = x.access_token(app, (&token, &secret), "guessed-verifier");
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(x.counters().oauth1_access_tokens, 0);
}

#[test]
fn request_token_is_single_use() {
    let x = Mock::start();
    // Alice does not hold a token for the native app yet: a new one is issued.
    let app = x.native();
    let (token, secret) = x.request_token(app, CALLBACK);
    let verifier = x.authorize_oauth1(&token);
    let first = x.access_token(app, (&token, &secret), &verifier);
    assert_eq!(first.status, 200, "{first:?}");
    let second = x.access_token(app, (&token, &secret), &verifier);
    second.assert_coded(401, 89);
    assert_eq!(x.counters().oauth1_access_tokens, 1);
}

#[test]
fn request_token_of_another_app_is_refused() {
    let x = Mock::start();
    let (token, secret) = x.request_token(x.web(), CALLBACK);
    let verifier = x.authorize_oauth1(&token);
    let answer = x.access_token(x.native(), (&token, &secret), &verifier);
    answer.assert_coded(401, 89);
}

#[test]
fn verifier_may_travel_in_the_form_body_or_the_query() {
    let x = Mock::start();
    let app = x.web();

    // Form body, everything else in the header (the Log in with X page: contract §1.2).
    let (token, secret) = x.request_token(app, CALLBACK);
    let verifier = x.authorize_oauth1(&token);
    let body = form(&[("oauth_verifier", &verifier)]);
    let answer = x.signed_post_form(
        OAuth1::app(app).token(&token, &secret),
        "/oauth/access_token",
        &body,
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.form()["user_id"], ALICE_ID);

    // Query (the API reference).
    let (token, secret) = x.request_token(app, CALLBACK);
    let verifier = x.authorize_oauth1(&token);
    let path = format!(
        "/oauth/access_token?{}",
        form(&[("oauth_verifier", &verifier)])
    );
    let header = x.sign(OAuth1::app(app).token(&token, &secret), "POST", &path, None);
    let answer = x.send(
        x.request("POST", &path, Some(&header))
            .body(Vec::new())
            .expect("a request"),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.form()["screen_name"], ALICE);
}

#[test]
fn authorizing_the_same_app_again_returns_the_same_access_token() {
    let x = Mock::start();
    let first = x.oauth1_login(x.native());
    let second = x.oauth1_login(x.native());
    assert_eq!(first.token, second.token);
    assert_eq!(first.secret, second.secret);
    assert_eq!(first.user_id, ALICE_ID);
    assert_eq!(first.screen_name, ALICE);
    assert_eq!(x.counters().oauth1_access_tokens, 1);
}

#[test]
fn invalidate_token_kills_the_access_token() {
    let x = Mock::start();
    let app = x.native();
    let tokens = x.oauth1_login(app);
    let signer = OAuth1::app(app).token(&tokens.token, &tokens.secret);

    let answer = x.signed_post_form(signer, "/1.1/oauth/invalidate_token", "");
    assert_eq!(answer.status, 200, "{answer:?}");
    // `{"access_token":"<the token>"}` (contract §2.4).
    assert_eq!(
        answer.json(),
        serde_json::json!({ "access_token": tokens.token })
    );
    assert_eq!(x.counters().invalidations, 1);

    let answer = x.signed_get(signer, "/1.1/account/verify_credentials.json");
    answer.assert_coded(401, 89);
    let answer = x.signed_get(signer, "/2/users/me");
    answer.problem(401);
    // Invalidating it again: the token is unknown now.
    let answer = x.signed_post_form(signer, "/1.1/oauth/invalidate_token", "");
    answer.assert_coded(401, 89);
}

#[test]
fn invalidate_token_also_answers_at_its_json_path() {
    let x = Mock::start();
    let app = x.web();
    let answer = x.signed_post_form(OAuth1::owner(app), "/1.1/oauth/invalidate_token.json", "");
    assert_eq!(answer.status, 200, "{answer:?}");
    let owned = crate::support::owner_token(app);
    assert_eq!(answer.json()["access_token"], owned.token.as_str());
    let answer = x.signed_get(OAuth1::owner(app), "/1.1/account/verify_credentials.json");
    answer.assert_coded(401, 89);
}

#[test]
fn invalidate_token_without_credentials_is_400_code_215() {
    let x = Mock::start();
    let answer = x.post_form("/1.1/oauth/invalidate_token", None, "");
    answer.assert_coded(400, 215);
}
