//! OAuth 2.0 Authorization Code with PKCE over HTTP: authorize, code exchange, refresh with
//! rotation, revoke (contract §4, §6.2).

use std::time::Duration;

use twitter_auth_mock::{Consent, MockConfig};

use crate::support::{
    ALICE, ALICE_ID, CALLBACK, CUSTOM_SCHEME_CALLBACK, FORM, Mock, PkceRequest, basic, bearer,
    form, query_of, text, vector,
};

const READ: &str = "tweet.read users.read";
const OFFLINE: &str = "tweet.read users.read offline.access";
const INVALID_CODE: &str = "Value passed for the authorization code was invalid.";

/// The scopes of a token response, as a sorted list (X may answer them in any order).
fn scopes(body: &serde_json::Value) -> Vec<String> {
    let mut scopes: Vec<String> = text(body, "scope").split(' ').map(str::to_owned).collect();
    scopes.sort();
    scopes
}

fn sorted(scope: &str) -> Vec<String> {
    let mut scopes: Vec<String> = scope.split(' ').map(str::to_owned).collect();
    scopes.sort();
    scopes
}

/// Asserts a token response's shape (contract §4.5).
fn assert_token_response(body: &serde_json::Value, scope: &str) {
    assert_eq!(body["token_type"], "bearer", "{body}");
    assert_eq!(body["expires_in"], 7200, "{body}");
    assert!(!text(body, "access_token").is_empty());
    assert_eq!(scopes(body), sorted(scope), "{body}");
    assert_eq!(
        body.get("refresh_token").is_some(),
        scope.split(' ').any(|s| s == "offline.access"),
        "a refresh token exactly when offline.access was granted: {body}"
    );
}

fn users_me(x: &Mock, access_token: &str) -> crate::support::Answer {
    x.get("/2/users/me", Some(&bearer(access_token)))
}

#[test]
fn public_client_logs_in_with_client_id_in_the_body() {
    let x = Mock::start();
    let app = x.native();
    assert!(app.client_secret().is_none(), "the native app is public");
    let pkce = PkceRequest::new();
    let answer = x.authorize_oauth2(app, OFFLINE, &pkce);
    let location = answer.location();
    assert!(location.starts_with(&format!("{CALLBACK}?")), "{location}");
    let params = query_of(&location);
    assert_eq!(params["state"], pkce.state);
    let code = &params["code"];
    assert!(!code.is_empty());
    assert!(!params.contains_key("error"));

    let answer = x.exchange(app, code, pkce.verifier.secret());
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.media_type(), "application/json");
    let body = answer.json();
    assert_token_response(&body, OFFLINE);

    let me = users_me(&x, text(&body, "access_token"));
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.json()["data"]["username"], ALICE);
    let counters = x.counters();
    assert_eq!(counters.authorization_codes, 1);
    assert_eq!(counters.oauth2_access_tokens, 1);
}

#[test]
fn confidential_client_logs_in_with_basic() {
    let x = Mock::start();
    let app = x.web();
    let client_id = app.client_id().expect("client id");
    let secret = app.client_secret().expect("the web app is confidential");
    let pkce = PkceRequest::new();
    let code = x.pkce_code(app, READ, &pkce);
    // No client_id in the body (contract §4.4).
    let answer = x.post_form(
        "/2/oauth2/token",
        Some(&basic(client_id, secret)),
        &form(&[
            ("code", &code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", CALLBACK),
            ("code_verifier", pkce.verifier.secret()),
        ]),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_token_response(&answer.json(), READ);
}

#[test]
fn confidential_client_without_basic_is_401_unauthorized_client() {
    let x = Mock::start();
    let app = x.web();
    let pkce = PkceRequest::new();
    let code = x.pkce_code(app, READ, &pkce);
    let body = form(&[
        ("code", &code),
        ("grant_type", "authorization_code"),
        ("redirect_uri", CALLBACK),
        ("code_verifier", pkce.verifier.secret()),
        ("client_id", app.client_id().expect("client id")),
    ]);
    let answer = x.post_form("/2/oauth2/token", None, &body);
    let description = answer.oauth2_error(401, "unauthorized_client");
    assert_eq!(description, "Missing valid authorization header");
    // A wrong secret is no better.
    let answer = x.post_form(
        "/2/oauth2/token",
        Some(&basic(app.client_id().expect("client id"), "wrong")),
        &body,
    );
    answer.oauth2_error(401, "unauthorized_client");
    assert_eq!(x.counters().oauth2_access_tokens, 0);
}

#[test]
fn public_client_without_client_id_is_401_unauthorized_client() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let code = x.pkce_code(app, READ, &pkce);
    let answer = x.post_form(
        "/2/oauth2/token",
        None,
        &form(&[
            ("code", &code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", CALLBACK),
            ("code_verifier", pkce.verifier.secret()),
        ]),
    );
    let description = answer.oauth2_error(401, "unauthorized_client");
    assert_eq!(description, "Missing valid authorization header");
}

#[test]
fn the_rfc_7636_example_verifier_answers_its_challenge() {
    let x = Mock::start();
    let app = x.native();
    let example = vector("pkce", "rfc7636/appendix-b");
    let path = Mock::authorize_path(
        app,
        CALLBACK,
        READ,
        "state-from-rfc-test",
        text(&example, "code_challenge"),
    );
    let params = x.get(&path, None).redirect_params();
    let answer = x.exchange(app, &params["code"], text(&example, "code_verifier"));
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_token_response(&answer.json(), READ);
}

#[test]
fn lower_case_s256_and_plain_are_accepted() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let challenge = pkce.verifier.challenge();
    // X's own SDK sends `s256` (contract §4.2).
    let path = Mock::authorize_path(app, CALLBACK, READ, &pkce.state, challenge.as_str())
        .replace("code_challenge_method=S256", "code_challenge_method=s256");
    let code = x.get(&path, None).redirect_params()["code"].clone();
    let answer = x.exchange(app, &code, pkce.verifier.secret());
    assert_eq!(answer.status, 200, "{answer:?}");

    // `plain`: the challenge is the verifier itself (RFC 7636 §4.2).
    let verifier = PkceRequest::new().verifier;
    let path = Mock::authorize_path(app, CALLBACK, READ, &pkce.state, verifier.secret())
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let code = x.get(&path, None).redirect_params()["code"].clone();
    let answer = x.exchange(app, &code, verifier.secret());
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn scope_spaces_may_be_encoded_as_plus_or_percent_20() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let challenge = pkce.verifier.challenge();
    // Our form encoder writes `+`; X's docs write `%20` (contract §4.2).
    let plus = Mock::authorize_path(app, CALLBACK, READ, &pkce.state, challenge.as_str());
    assert!(plus.contains("scope=tweet.read+users.read"), "{plus}");
    let percent = plus.replace(
        "scope=tweet.read+users.read",
        "scope=tweet.read%20users.read",
    );
    for path in [plus, percent] {
        let code = x.get(&path, None).redirect_params()["code"].clone();
        let answer = x.exchange(app, &code, pkce.verifier.secret());
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_token_response(&answer.json(), READ);
    }
}

#[test]
fn every_registered_redirect_uri_works() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let challenge = pkce.verifier.challenge();
    let path = Mock::authorize_path(
        app,
        CUSTOM_SCHEME_CALLBACK,
        READ,
        &pkce.state,
        challenge.as_str(),
    );
    let location = x.get(&path, None).location();
    assert!(
        location.starts_with(&format!("{CUSTOM_SCHEME_CALLBACK}?")),
        "{location}"
    );
    let code = query_of(&location)["code"].clone();
    let answer = x.oauth2_post(
        app,
        "/2/oauth2/token",
        &[
            ("code", &code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", CUSTOM_SCHEME_CALLBACK),
            ("code_verifier", pkce.verifier.secret()),
        ],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn unknown_client_or_unregistered_redirect_uri_is_a_400_page_without_redirect() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let challenge = pkce.verifier.challenge();
    let good = Mock::authorize_path(app, CALLBACK, READ, &pkce.state, challenge.as_str());
    let client_id = app.client_id().expect("client id");
    let unknown_client = good.replace(client_id, "bm9TdWNoQ2xpZW50OjE6Y2k");
    // Exact match: a trailing slash is another URI (contract §4.1).
    let unregistered = [
        "http://127.0.0.1:8765/callback/",
        "http://127.0.0.1:8765/other",
        "https://evil.example/callback",
        // X asks for 127.0.0.1 rather than localhost (contract §2.1); the demo world obeys.
        "http://localhost:8765/callback",
    ]
    .map(|uri| Mock::authorize_path(app, uri, READ, &pkce.state, challenge.as_str()));
    for path in std::iter::once(unknown_client).chain(unregistered) {
        let answer = x.get(&path, None);
        assert_eq!(answer.status, 400, "{path}: {answer:?}");
        assert_eq!(answer.media_type(), "text/html");
        // Never redirect to an unregistered URI (RFC 6749 §4.1.2.1).
        assert!(answer.header("location").is_none(), "{answer:?}");
    }
    assert_eq!(x.counters().authorization_codes, 0);
}

#[test]
fn unknown_scope_redirects_with_invalid_scope() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let challenge = pkce.verifier.challenge();
    for scope in ["tweet.read account.follows.read", "no.such.scope", ""] {
        let path = Mock::authorize_path(app, CALLBACK, scope, &pkce.state, challenge.as_str());
        let location = x.get(&path, None).location();
        assert!(location.starts_with(CALLBACK), "{location}");
        let params = query_of(&location);
        assert_eq!(params["error"], "invalid_scope", "{scope}: {location}");
        assert_eq!(params["state"], pkce.state);
        assert!(!params.contains_key("code"));
    }
}

#[test]
fn every_documented_scope_is_accepted() {
    let x = Mock::start();
    let app = x.native();
    // The docs' 22 scopes, OpenAPI's 3 more, and the Ads scopes (contract §4.8).
    let all = "tweet.read tweet.write tweet.moderate.write users.email users.read follows.read \
               follows.write offline.access space.read mute.read mute.write like.read like.write \
               list.read list.write block.read block.write bookmark.read bookmark.write dm.read \
               dm.write media.write broadcast.read broadcast.write timeline.read ads.read ads.write";
    let body = x.pkce_login(app, all);
    assert_token_response(&body, all);
}

#[test]
fn missing_state_or_challenge_redirects_with_invalid_request() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let challenge = pkce.verifier.challenge();

    let no_state = Mock::authorize_path(app, CALLBACK, READ, "", challenge.as_str());
    let params = x.get(&no_state, None).redirect_params();
    assert_eq!(params["error"], "invalid_request");
    assert!(!params.contains_key("code"));

    // Up to 500 characters of state (contract §4.2).
    let longest = "s".repeat(500);
    let path = Mock::authorize_path(app, CALLBACK, READ, &longest, challenge.as_str());
    let params = x.get(&path, None).redirect_params();
    assert_eq!(params["state"], longest);
    assert!(params.contains_key("code"));
    let too_long = "s".repeat(501);
    let path = Mock::authorize_path(app, CALLBACK, READ, &too_long, challenge.as_str());
    assert_eq!(
        x.get(&path, None).redirect_params()["error"],
        "invalid_request"
    );

    let no_challenge = Mock::authorize_path(app, CALLBACK, READ, &pkce.state, challenge.as_str())
        .replace(&format!("code_challenge={}&", challenge.as_str()), "");
    assert!(!no_challenge.contains("code_challenge="));
    let params = x.get(&no_challenge, None).redirect_params();
    assert_eq!(params["error"], "invalid_request");
    assert_eq!(params["state"], pkce.state);

    let wrong_type = Mock::authorize_path(app, CALLBACK, READ, &pkce.state, challenge.as_str())
        .replace("response_type=code", "response_type=token");
    let params = x.get(&wrong_type, None).redirect_params();
    assert_eq!(params["error"], "unsupported_response_type");
    assert_eq!(x.counters().authorization_codes, 1);
}

#[test]
fn the_state_limit_counts_characters_not_bytes() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let challenge = pkce.verifier.challenge();
    // "up to 500 characters" (contract §4.2): 500 two-byte characters are 1000 bytes.
    let longest = "é".repeat(500);
    assert_eq!((longest.chars().count(), longest.len()), (500, 1000));
    let path = Mock::authorize_path(app, CALLBACK, READ, &longest, challenge.as_str());
    let params = x.get(&path, None).redirect_params();
    assert!(!params.contains_key("error"), "{params:?}");
    assert_eq!(params["state"], longest);
    let answer = x.exchange(app, &params["code"], pkce.verifier.secret());
    assert_eq!(answer.status, 200, "{answer:?}");

    for too_long in ["é".repeat(501), "s".repeat(501)] {
        let path = Mock::authorize_path(app, CALLBACK, READ, &too_long, challenge.as_str());
        let params = x.get(&path, None).redirect_params();
        assert_eq!(params["error"], "invalid_request", "{params:?}");
        assert!(!params.contains_key("code"));
    }
    assert_eq!(x.counters().authorization_codes, 1);
}

#[test]
fn refused_consent_redirects_with_access_denied_and_the_state() {
    let x = Mock::with(MockConfig {
        consent: Consent::Deny,
        ..MockConfig::default()
    });
    let pkce = PkceRequest::new();
    let answer = x.authorize_oauth2(x.native(), READ, &pkce);
    let location = answer.location();
    assert!(location.starts_with(CALLBACK), "{location}");
    let params = query_of(&location);
    // RFC 6749 §4.1.2.1 (contract §4.3).
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], pkce.state);
    assert!(!params.contains_key("code"));

    // Consent can change while the mock runs.
    x.set_consent(Consent::Approve);
    let answer = x.authorize_oauth2(x.native(), READ, &pkce);
    assert!(answer.redirect_params().contains_key("code"));
}

#[test]
fn a_code_is_single_use() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let code = x.pkce_code(app, READ, &pkce);
    let first = x.exchange(app, &code, pkce.verifier.secret());
    assert_eq!(first.status, 200, "{first:?}");
    let second = x.exchange(app, &code, pkce.verifier.secret());
    assert_eq!(second.oauth2_error(400, "invalid_request"), INVALID_CODE);
    assert_eq!(x.counters().oauth2_access_tokens, 1);
}

#[test]
fn a_wrong_verifier_is_refused() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let code = x.pkce_code(app, READ, &pkce);
    let other = PkceRequest::new();
    let answer = x.exchange(app, &code, other.verifier.secret());
    assert_eq!(answer.oauth2_error(400, "invalid_request"), INVALID_CODE);

    // The challenge itself is not the verifier (S256, RFC 7636 §4.6), on a fresh code.
    let pkce = PkceRequest::new();
    let code = x.pkce_code(app, READ, &pkce);
    let challenge = pkce.verifier.challenge();
    assert_ne!(challenge.as_str(), pkce.verifier.secret());
    let answer = x.exchange(app, &code, challenge.as_str());
    assert_eq!(answer.oauth2_error(400, "invalid_request"), INVALID_CODE);
    assert_eq!(x.counters().oauth2_access_tokens, 0);
}

#[test]
fn a_wrong_verifier_spends_the_code() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let code = x.pkce_code(app, READ, &pkce);
    let guess = PkceRequest::new();
    let answer = x.exchange(app, &code, guess.verifier.secret());
    assert_eq!(answer.oauth2_error(400, "invalid_request"), INVALID_CODE);
    // Any attempt spends the code: the right verifier cannot be retried in after a wrong one
    // (RFC 6749 §4.1.2: single use).
    let answer = x.exchange(app, &code, pkce.verifier.secret());
    assert_eq!(answer.oauth2_error(400, "invalid_request"), INVALID_CODE);
    assert_eq!(x.counters().oauth2_access_tokens, 0);
}

#[test]
fn a_wrong_redirect_uri_is_refused() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let code = x.pkce_code(app, READ, &pkce);
    // Registered, but not the one the code was issued for.
    let answer = x.oauth2_post(
        app,
        "/2/oauth2/token",
        &[
            ("code", &code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", CUSTOM_SCHEME_CALLBACK),
            ("code_verifier", pkce.verifier.secret()),
        ],
    );
    assert_eq!(answer.oauth2_error(400, "invalid_request"), INVALID_CODE);
}

#[test]
fn a_code_of_another_client_is_refused() {
    let x = Mock::start();
    let pkce = PkceRequest::new();
    let code = x.pkce_code(x.native(), READ, &pkce);
    let answer = x.exchange(x.web(), &code, pkce.verifier.secret());
    assert_eq!(answer.oauth2_error(400, "invalid_request"), INVALID_CODE);
}

#[test]
fn a_code_expires_after_30_seconds() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let code = x.pkce_code(app, READ, &pkce);
    x.advance(Duration::from_secs(31));
    let answer = x.exchange(app, &code, pkce.verifier.secret());
    assert_eq!(answer.oauth2_error(400, "invalid_request"), INVALID_CODE);
}

#[test]
fn missing_parameters_are_invalid_request() {
    let x = Mock::start();
    let app = x.native();
    let answer = x.oauth2_post(
        app,
        "/2/oauth2/token",
        &[("grant_type", "authorization_code")],
    );
    let description = answer.oauth2_error(400, "invalid_request");
    assert!(
        description.starts_with("Missing required parameter ["),
        "{description}"
    );
    let answer = x.oauth2_post(app, "/2/oauth2/token", &[("code", "x")]);
    assert_eq!(
        answer.oauth2_error(400, "invalid_request"),
        "Missing required parameter [grant_type]."
    );
    let answer = x.oauth2_post(app, "/2/oauth2/token", &[("grant_type", "refresh_token")]);
    assert_eq!(
        answer.oauth2_error(400, "invalid_request"),
        "Missing required parameter [refresh_token]."
    );
    let answer = x.oauth2_post(app, "/2/oauth2/token", &[("grant_type", "password")]);
    answer.oauth2_error(400, "unsupported_grant_type");
}

#[test]
fn no_refresh_token_without_offline_access() {
    let x = Mock::start();
    let body = x.pkce_login(x.native(), READ);
    assert_token_response(&body, READ);
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(body["expires_in"], 7200);
}

#[test]
fn refresh_rotates_the_refresh_token() {
    let x = Mock::start();
    let app = x.native();
    let first = x.pkce_login(app, OFFLINE);
    let old = text(&first, "refresh_token");

    let answer = x.refresh(app, old);
    assert_eq!(answer.status, 200, "{answer:?}");
    let second = answer.json();
    assert_token_response(&second, OFFLINE);
    let new = text(&second, "refresh_token");
    assert_ne!(new, old, "a new refresh token");
    assert_ne!(text(&second, "access_token"), text(&first, "access_token"));
    let me = users_me(&x, text(&second, "access_token"));
    assert_eq!(me.status, 200, "{me:?}");

    // The old one stops working (contract §4.6).
    let replay = x.refresh(app, old);
    assert_eq!(
        replay.oauth2_error(400, "invalid_request"),
        "Value passed for the refresh token was invalid."
    );
    // The new one works, once.
    let answer = x.refresh(app, new);
    assert_eq!(answer.status, 200, "{answer:?}");

    let counters = x.counters();
    assert_eq!(counters.refreshes, 2);
    assert_eq!(counters.refresh_replays, 1);
    assert_eq!(counters.oauth2_access_tokens, 3);
}

#[test]
fn confidential_client_refreshes_and_revokes_with_basic() {
    let x = Mock::start();
    let app = x.web();
    let body = x.pkce_login(app, OFFLINE);
    let answer = x.refresh(app, text(&body, "refresh_token"));
    assert_eq!(answer.status, 200, "{answer:?}");
    let refreshed = answer.json();

    // Without Basic: the classic mix-up.
    let answer = x.post_form(
        "/2/oauth2/token",
        None,
        &form(&[
            ("refresh_token", text(&refreshed, "refresh_token")),
            ("grant_type", "refresh_token"),
            ("client_id", app.client_id().expect("client id")),
        ]),
    );
    answer.oauth2_error(401, "unauthorized_client");

    let answer = x.oauth2_post(
        app,
        "/2/oauth2/revoke",
        &[
            ("token", text(&refreshed, "access_token")),
            ("token_type_hint", "access_token"),
        ],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json(), serde_json::json!({ "revoked": true }));
    assert_eq!(x.counters().revocations, 1);
    // The revoked access token is dead (RFC 7009 §2.1).
    users_me(&x, text(&refreshed, "access_token")).problem(401);
}

#[test]
fn a_refresh_token_of_another_client_is_refused() {
    let x = Mock::start();
    let body = x.pkce_login(x.native(), OFFLINE);
    let answer = x.refresh(x.web(), text(&body, "refresh_token"));
    answer.oauth2_error(400, "invalid_request");
    // Still good for its own client.
    let answer = x.refresh(x.native(), text(&body, "refresh_token"));
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn refresh_may_not_widen_the_scope() {
    let x = Mock::start();
    let app = x.native();
    let body = x.pkce_login(app, OFFLINE);
    let answer = x.oauth2_post(
        app,
        "/2/oauth2/token",
        &[
            ("refresh_token", text(&body, "refresh_token")),
            ("grant_type", "refresh_token"),
            ("scope", "tweet.read users.read tweet.write"),
        ],
    );
    // RFC 6749 §6: a scope beyond the original grant is invalid_scope.
    answer.oauth2_error(400, "invalid_scope");
}

#[test]
fn refresh_with_a_narrower_scope_issues_a_narrower_token() {
    let x = Mock::start();
    let app = x.native();
    let writer = "tweet.read tweet.write users.read offline.access";
    let body = x.pkce_login(app, writer);
    let post_tweet = |token: &str| {
        x.send(
            x.request("POST", "/2/tweets", Some(&bearer(token)))
                .header("content-type", "application/json")
                .body(br#"{"text":"hello"}"#.to_vec())
                .expect("a request"),
        )
    };
    assert_eq!(post_tweet(text(&body, "access_token")).status, 201);

    // Drop tweet.write, keep offline.access (RFC 6749 §6: a subset of the grant).
    let answer = x.oauth2_post(
        app,
        "/2/oauth2/token",
        &[
            ("refresh_token", text(&body, "refresh_token")),
            ("grant_type", "refresh_token"),
            ("scope", OFFLINE),
        ],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let narrowed = answer.json();
    // The response's scope is the narrowed set, with a refresh token (offline.access kept).
    assert_token_response(&narrowed, OFFLINE);
    let access = text(&narrowed, "access_token");
    assert_eq!(users_me(&x, access).status, 200);
    // tweet.write was dropped: the new token may not post (contract §4.8).
    post_tweet(access).problem(403);

    // Drop offline.access too: no refresh token any more (contract §4.5).
    let answer = x.oauth2_post(
        app,
        "/2/oauth2/token",
        &[
            ("refresh_token", text(&narrowed, "refresh_token")),
            ("grant_type", "refresh_token"),
            ("scope", READ),
        ],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let narrowest = answer.json();
    assert_token_response(&narrowest, READ);
    assert!(narrowest.get("refresh_token").is_none(), "{narrowest}");
    assert_eq!(users_me(&x, text(&narrowest, "access_token")).status, 200);
    post_tweet(text(&narrowest, "access_token")).problem(403);
}

/// A public client's code exchange and refresh with every parameter in the query of the POST
/// and no body, under `content_type` if any (contract §4.4).
fn exchange_and_refresh_in_the_query(content_type: Option<&str>) {
    let x = Mock::start();
    let app = x.native();
    let client_id = app.client_id().expect("client id");
    let post_query = |pairs: &[(&str, &str)]| {
        let mut request = x.request("POST", &format!("/2/oauth2/token?{}", form(pairs)), None);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        x.send(request.body(Vec::new()).expect("a request"))
    };
    let pkce = PkceRequest::new();
    let code = x.pkce_code(app, OFFLINE, &pkce);
    let answer = post_query(&[
        ("code", &code),
        ("grant_type", "authorization_code"),
        ("code_verifier", pkce.verifier.secret()),
        ("client_id", client_id),
        ("redirect_uri", CALLBACK),
    ]);
    assert_eq!(answer.status, 200, "{answer:?}");
    let tokens = answer.json();
    assert_token_response(&tokens, OFFLINE);
    assert_eq!(users_me(&x, text(&tokens, "access_token")).status, 200);

    let answer = post_query(&[
        ("client_id", client_id),
        ("grant_type", "refresh_token"),
        ("refresh_token", text(&tokens, "refresh_token")),
    ]);
    assert_eq!(answer.status, 200, "{answer:?}");
    let refreshed = answer.json();
    assert_token_response(&refreshed, OFFLINE);
    assert_eq!(users_me(&x, text(&refreshed, "access_token")).status, 200);
    let counters = x.counters();
    assert_eq!(counters.oauth2_access_tokens, 2);
    assert_eq!(counters.refreshes, 1);
}

#[test]
fn public_client_token_parameters_may_travel_in_the_query_as_the_ts_sdk_sends_them() {
    // X's TS SDK sets a form Content-Type and sends no body (`OAuth2User.ts`, `request.ts`).
    exchange_and_refresh_in_the_query(Some(FORM));
}

#[test]
fn public_client_token_parameters_may_travel_in_the_query_without_a_content_type() {
    exchange_and_refresh_in_the_query(None);
}

#[test]
fn revoke_requires_token_type_hint() {
    let x = Mock::start();
    let app = x.native();
    let body = x.pkce_login(app, READ);
    let token = text(&body, "access_token");
    let answer = x.oauth2_post(app, "/2/oauth2/revoke", &[("token", token)]);
    assert_eq!(
        answer.oauth2_error(400, "invalid_request"),
        "Missing required parameter [token_type_hint]."
    );
    // Nothing was revoked.
    assert_eq!(users_me(&x, token).status, 200);
    assert_eq!(x.counters().revocations, 0);
}

#[test]
fn revoke_refuses_an_unknown_token_type_hint() {
    let x = Mock::start();
    let app = x.native();
    let body = x.pkce_login(app, READ);
    let token = text(&body, "access_token");
    let answer = x.oauth2_post(
        app,
        "/2/oauth2/revoke",
        &[("token", token), ("token_type_hint", "bogus")],
    );
    // RFC 7009 §2.2.1.
    answer.oauth2_error(400, "unsupported_token_type");
    assert_eq!(users_me(&x, token).status, 200, "nothing was revoked");
    assert_eq!(x.counters().revocations, 0);
}

#[test]
fn revoke_requires_a_token() {
    let x = Mock::start();
    let answer = x.oauth2_post(
        x.native(),
        "/2/oauth2/revoke",
        &[("token_type_hint", "access_token")],
    );
    assert_eq!(
        answer.oauth2_error(400, "invalid_request"),
        "Missing required parameter [token]."
    );
}

#[test]
fn revoke_without_client_authentication_is_401_unauthorized_client() {
    let x = Mock::start();
    let app = x.native();
    let body = x.pkce_login(app, READ);
    let token = text(&body, "access_token");
    // Neither `client_id` in the body nor Basic (contract §4.7, §6.2).
    let answer = x.post_form(
        "/2/oauth2/revoke",
        None,
        &form(&[("token", token), ("token_type_hint", "access_token")]),
    );
    assert_eq!(
        answer.oauth2_error(401, "unauthorized_client"),
        "Missing valid authorization header"
    );
    // The confidential client without its Basic is no better.
    let web = x.pkce_login(x.web(), READ);
    let answer = x.post_form(
        "/2/oauth2/revoke",
        None,
        &form(&[
            ("token", text(&web, "access_token")),
            ("token_type_hint", "access_token"),
            ("client_id", x.web().client_id().expect("client id")),
        ]),
    );
    answer.oauth2_error(401, "unauthorized_client");
    assert_eq!(users_me(&x, token).status, 200, "nothing was revoked");
    assert_eq!(users_me(&x, text(&web, "access_token")).status, 200);
    assert_eq!(x.counters().revocations, 0);
}

#[test]
fn revoking_an_access_token_ends_it() {
    let x = Mock::start();
    let app = x.native();
    let body = x.pkce_login(app, OFFLINE);
    let token = text(&body, "access_token");
    assert_eq!(users_me(&x, token).status, 200);

    let answer = x.oauth2_post(
        app,
        "/2/oauth2/revoke",
        &[("token", token), ("token_type_hint", "access_token")],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json(), serde_json::json!({ "revoked": true }));
    assert_eq!(x.counters().revocations, 1);

    users_me(&x, token).problem(401);
}

#[test]
fn revoking_a_refresh_token_ends_its_access_tokens_too() {
    let x = Mock::start();
    let app = x.native();
    let body = x.pkce_login(app, OFFLINE);
    let access = text(&body, "access_token");
    let refresh = text(&body, "refresh_token");

    let answer = x.oauth2_post(
        app,
        "/2/oauth2/revoke",
        &[("token", refresh), ("token_type_hint", "refresh_token")],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["revoked"], true);

    users_me(&x, access).problem(401);
    let answer = x.refresh(app, refresh);
    answer.oauth2_error(400, "invalid_request");
    assert_eq!(x.counters().revocations, 1);
}

#[test]
fn revoke_answers_the_same_for_unknown_tokens() {
    let x = Mock::start();
    let app = x.native();
    // RFC 7009 §2.2: an invalid token is not an error.
    let answer = x.oauth2_post(
        app,
        "/2/oauth2/revoke",
        &[
            ("token", "bm90LWEtdG9rZW4"),
            ("token_type_hint", "access_token"),
        ],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(x.counters().revocations, 0);
}

#[test]
fn the_token_endpoint_wants_a_form_body() {
    let x = Mock::start();
    let app = x.native();
    let pkce = PkceRequest::new();
    let code = x.pkce_code(app, READ, &pkce);
    let body = form(&[
        ("code", &code),
        ("grant_type", "authorization_code"),
        ("redirect_uri", CALLBACK),
        ("code_verifier", pkce.verifier.secret()),
        ("client_id", app.client_id().expect("client id")),
    ]);
    // `application/x-www-form-urlencoded; charset=UTF-8` is still a form.
    let answer = x.send(
        x.request("POST", "/2/oauth2/token", None)
            .header("content-type", format!("{FORM}; charset=UTF-8"))
            .body(body.into_bytes())
            .expect("a request"),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["token_type"], "bearer");
}

#[test]
fn users_me_names_the_user_who_consented() {
    let x = Mock::start();
    let body = x.pkce_login(x.web(), READ);
    let me = users_me(&x, text(&body, "access_token"));
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.json()["data"]["id"], ALICE_ID);
}
