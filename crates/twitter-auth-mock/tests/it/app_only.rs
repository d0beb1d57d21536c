//! App-only bearer tokens over HTTP: `oauth2/token` and both variants of
//! `oauth2/invalidate_token` (contract §3).

use twitter_auth_mock::{MockConfig, UserToken};

use crate::support::{
    BOB, BOB_ID, FORM_UTF8, Mock, OAuth1, basic, bearer, form, owner_token, vector,
};

fn token_request(x: &Mock, authorization: Option<&str>, body: &str) -> crate::support::Answer {
    x.send(
        x.request("POST", "/oauth2/token", authorization)
            .header("content-type", FORM_UTF8)
            .body(body.as_bytes().to_vec())
            .expect("a request"),
    )
}

/// The 403 code-99 body, exactly as X documents it (contract §3.1).
fn assert_code_99(answer: &crate::support::Answer) {
    answer.assert_coded(403, 99);
    let published = &vector("x-wire-samples", "oauth2/app-only-token")["response_403_bad_credentials_or_too_frequent"];
    assert_eq!(answer.json(), *published, "{answer:?}");
}

#[test]
fn the_basic_helper_matches_the_published_header() {
    let cases = &vector("oauth2-client-auth", "basic-auth")["cases"];
    for case in cases.as_array().expect("cases") {
        if let (Some(user), Some(password)) = (case["username"].as_str(), case["password"].as_str())
        {
            assert_eq!(basic(user, password), case["header"], "{case}");
        }
    }
}

#[test]
fn bearer_token_is_json_with_token_type_bearer() {
    let x = Mock::start();
    let app = x.web();
    let answer = token_request(
        &x,
        Some(&basic(&app.consumer_key, &app.consumer_secret)),
        "grant_type=client_credentials",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.media_type(), "application/json");
    let body = answer.json();
    assert_eq!(body["token_type"], "bearer");
    let token = body["access_token"].as_str().expect("an access_token");
    // Literal `%2F` and `%3D`, to be used verbatim (contract §3.1).
    assert!(token.contains("%2F"), "{token}");
    assert!(token.contains("%3D"), "{token}");
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(2),
        "only token_type and access_token: {body}"
    );
    assert_eq!(x.counters().bearer_tokens, 1);
}

#[test]
fn an_app_has_one_bearer_token_until_invalidated() {
    let x = Mock::start();
    let first = x.app_bearer(x.web());
    let second = x.app_bearer(x.web());
    assert_eq!(first, second);
    assert_eq!(x.counters().bearer_tokens, 1);
    // Another app has its own.
    let other = x.app_bearer(x.native());
    assert_ne!(first, other);
    assert_eq!(x.counters().bearer_tokens, 2);
}

#[test]
fn bad_credentials_or_requests_are_403_code_99() {
    let x = Mock::start();
    let app = x.web();
    let good = basic(&app.consumer_key, &app.consumer_secret);
    let cases: [(Option<String>, &str); 6] = [
        (
            Some(basic(&app.consumer_key, "wrong-secret")),
            "grant_type=client_credentials",
        ),
        (
            Some(basic("unknownKey", &app.consumer_secret)),
            "grant_type=client_credentials",
        ),
        (None, "grant_type=client_credentials"),
        (
            Some("Basic !!!not-base64".to_owned()),
            "grant_type=client_credentials",
        ),
        (Some(good.clone()), "grant_type=password"),
        (Some(good), ""),
    ];
    for (authorization, body) in cases {
        let answer = token_request(&x, authorization.as_deref(), body);
        assert_code_99(&answer);
    }
    assert_eq!(x.counters().bearer_tokens, 0);
}

#[test]
fn a_suspended_app_gets_no_bearer_token() {
    let mut config = MockConfig::default();
    config.apps[1].suspended = true;
    let x = Mock::with(config);
    let app = &x.config().apps[1];
    let answer = token_request(
        &x,
        Some(&basic(&app.consumer_key, &app.consumer_secret)),
        "grant_type=client_credentials",
    );
    assert_code_99(&answer);
}

#[test]
fn the_bearer_token_is_sent_verbatim() {
    let x = Mock::start();
    let token = x.app_bearer(x.web());
    let answer = x.get(
        &format!("/2/users/by/username/{BOB}"),
        Some(&bearer(&token)),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["data"]["username"], BOB);

    // Decoding `%2F`/`%3D` makes another, unknown token.
    let decoded = token.replace("%2F", "/").replace("%3D", "=");
    let answer = x.get(
        &format!("/2/users/by/username/{BOB}"),
        Some(&bearer(&decoded)),
    );
    answer.problem(401);
}

/// Invalidated: the bearer fails on v1.1 with code 89 and on v2 with a 401 problem.
fn assert_bearer_dead(x: &Mock, token: &str) {
    let answer = x.get("/1.1/account/verify_credentials.json", Some(&bearer(token)));
    answer.assert_coded(401, 89);
    let answer = x.get(&format!("/2/users/by/username/{BOB}"), Some(&bearer(token)));
    answer.problem(401);
}

#[test]
fn invalidate_with_basic_kills_the_bearer() {
    let x = Mock::start();
    let app = x.web();
    let token = x.app_bearer(app);
    // The guide's variant: Basic, form body (contract §3.3); the token form-encoded once
    // more, as issued.
    let answer = x.send(
        x.request(
            "POST",
            "/oauth2/invalidate_token",
            Some(&basic(&app.consumer_key, &app.consumer_secret)),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("access_token", &token)]).into_bytes())
        .expect("a request"),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json(), serde_json::json!({ "access_token": token }));
    assert_eq!(x.counters().invalidations, 1);
    assert_bearer_dead(&x, &token);

    // A new call issues a new token.
    let fresh = x.app_bearer(app);
    assert_ne!(fresh, token);
    assert_eq!(x.counters().bearer_tokens, 2);
}

#[test]
fn invalidate_with_oauth1_as_the_app_owner_kills_the_bearer() {
    let x = Mock::start();
    let app = x.web();
    let token = x.app_bearer(app);
    // The API reference's variant: OAuth 1.0a with the owner's token, `access_token` in the
    // query (contract §3.3).
    let path = format!(
        "/oauth2/invalidate_token?{}",
        form(&[("access_token", &token)])
    );
    let header = x.sign(OAuth1::owner(app), "POST", &path, None);
    let answer = x.send(
        x.request("POST", &path, Some(&header))
            .body(Vec::new())
            .expect("a request"),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["access_token"], token.as_str());
    assert_bearer_dead(&x, &token);
}

#[test]
fn invalidate_accepts_the_token_pasted_raw_as_in_the_api_reference_example() {
    let x = Mock::start();
    let app = x.web();
    let token = x.app_bearer(app);
    assert!(
        token.contains("%2F"),
        "X's bearer tokens carry a literal %2F"
    );
    // X's API reference example puts the token in the query unencoded
    // (`?access_token=AAAA%2FAAA%3DAAAAAAAA`, contract §3.3), so X reads it decoded once.
    let path = format!("/oauth2/invalidate_token?access_token={token}");
    let header = x.sign(OAuth1::owner(app), "POST", &path, None);
    let answer = x.send(
        x.request("POST", &path, Some(&header))
            .body(Vec::new())
            .expect("a request"),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_bearer_dead(&x, &token);
}

#[test]
fn invalidate_with_oauth1_as_another_user_is_403_code_220() {
    let mut config = MockConfig::default();
    // Bob authorized alice's web app: a user token, but not the owner's.
    config.apps[0].user_tokens.push(UserToken {
        user_id: BOB_ID.to_owned(),
        token: format!("{BOB_ID}-bobOnTheWebApp00000000000000000000001"),
        secret: "bobOnTheWebAppSecret000000000000000000000001".to_owned(),
    });
    let x = Mock::with(config);
    let app = &x.config().apps[0];
    assert_ne!(app.owner, BOB_ID);
    let bob = &app.user_tokens[1];
    let token = x.app_bearer(app);
    let body = form(&[("access_token", &token)]);
    let answer = x.signed_post_form(
        OAuth1::app(app).token(&bob.token, &bob.secret),
        "/oauth2/invalidate_token",
        &body,
    );
    answer.assert_coded(403, 220);
    // The bearer still works.
    let answer = x.get(
        &format!("/2/users/by/username/{BOB}"),
        Some(&bearer(&token)),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(x.counters().invalidations, 0);

    // The owner may.
    let answer = x.signed_post_form(OAuth1::owner(app), "/oauth2/invalidate_token", &body);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(owner_token(app).user_id, app.owner);
}

#[test]
fn invalidate_with_bad_credentials_or_token_is_403_code_99() {
    let x = Mock::start();
    let web = x.web();
    let native = x.native();
    let token = x.app_bearer(web);
    let body = form(&[("access_token", &token)]);
    // Wrong secret.
    let answer = x.post_form(
        "/oauth2/invalidate_token",
        Some(&basic(&web.consumer_key, "wrong")),
        &body,
    );
    assert_code_99(&answer);
    // Another app's token.
    let answer = x.post_form(
        "/oauth2/invalidate_token",
        Some(&basic(&native.consumer_key, &native.consumer_secret)),
        &body,
    );
    assert_code_99(&answer);
    // No token.
    let answer = x.post_form(
        "/oauth2/invalidate_token",
        Some(&basic(&web.consumer_key, &web.consumer_secret)),
        "",
    );
    assert_code_99(&answer);
    // Still alive.
    let answer = x.get(
        &format!("/2/users/by/username/{BOB}"),
        Some(&bearer(&token)),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn invalidate_with_oauth1_refuses_a_bad_signature_or_a_stale_timestamp() {
    let x = Mock::start();
    let app = x.web();
    let owned = owner_token(app);
    let token = x.app_bearer(app);
    let body = form(&[("access_token", &token)]);

    // The owner's token signed with the wrong consumer secret: 401 code 32 (contract §6.1).
    let answer = x.signed_post_form(
        OAuth1::keys(&app.consumer_key, "not-the-consumer-secret")
            .token(&owned.token, &owned.secret),
        "/oauth2/invalidate_token",
        &body,
    );
    answer.assert_coded(401, 32);
    // ... or the wrong token secret.
    let answer = x.signed_post_form(
        OAuth1::app(app).token(&owned.token, "not-the-token-secret"),
        "/oauth2/invalidate_token",
        &body,
    );
    answer.assert_coded(401, 32);

    // Correctly signed, but outside the 300 s window: 401 code 135 with a Date (contract §1.2).
    let stale = x.now() - 301;
    let answer = x.signed_post_form(
        OAuth1::owner(app).timestamp(stale),
        "/oauth2/invalidate_token",
        &body,
    );
    answer.assert_coded(401, 135);
    assert!(answer.header("date").is_some(), "{answer:?}");

    // The bearer survived all three.
    let answer = x.get(
        &format!("/2/users/by/username/{BOB}"),
        Some(&bearer(&token)),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let counters = x.counters();
    assert_eq!(counters.invalidations, 0);
    assert_eq!(counters.rejected_signatures, 3);
}
