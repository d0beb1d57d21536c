//! The sans-IO [`Handler`] driven directly with a fake clock: lifetimes (code 30 s, access
//! token 7200 s, request token), the nonce and timestamp windows, a published signature, seeded
//! reproducibility, and faults as `Reply` values.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use http::{Request, Response};
use twitter_auth_mock::{
    AccessLevel, App, Fault, FaultKind, Handler, MockConfig, User, pin_from_page,
};

use crate::support::{
    ALICE_ID, BOB_ID, CALLBACK, OAuth1, PkceRequest, basic, bearer, form, nonce, query_of, text,
    vector, x_date,
};

/// Where the in-memory requests go: the handler signs and checks absolute URIs as given.
const BASE: &str = "https://api.x.com";
/// Some instant in 2026.
const T: u64 = 1_790_000_000;

fn url(path: &str) -> String {
    format!("{BASE}{path}")
}

fn get(path: &str, authorization: Option<&str>) -> Request<Vec<u8>> {
    let mut builder = Request::get(url(path));
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    builder.body(Vec::new()).expect("a request")
}

fn post_form(path: &str, authorization: Option<&str>, body: &str) -> Request<Vec<u8>> {
    let mut builder =
        Request::post(url(path)).header("content-type", "application/x-www-form-urlencoded");
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    builder.body(body.as_bytes().to_vec()).expect("a request")
}

/// One request at `now`, answered at once.
fn call(x: &mut Handler, now: u64, request: Request<Vec<u8>>) -> Response<Vec<u8>> {
    let reply = x.handle(now, request);
    assert!(reply.delay.is_zero());
    reply.into_response().expect("an answer")
}

fn body(response: &Response<Vec<u8>>) -> &str {
    std::str::from_utf8(response.body()).expect("UTF-8")
}

fn json(response: &Response<Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(response.body())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", body(response)))
}

fn form_of(response: &Response<Vec<u8>>) -> HashMap<String, String> {
    url::form_urlencoded::parse(response.body())
        .into_owned()
        .collect()
}

fn code(response: &Response<Vec<u8>>) -> i64 {
    json(response)["errors"][0]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no v1.1 code: {}", body(response)))
}

fn location(response: &Response<Vec<u8>>) -> String {
    assert_eq!(response.status(), 302, "{}", body(response));
    response.headers()["location"]
        .to_str()
        .expect("ASCII")
        .to_owned()
}

fn demo() -> Handler {
    Handler::new(MockConfig::default())
}

fn web(x: &Handler) -> App {
    x.config().apps[0].clone()
}

fn native(x: &Handler) -> App {
    x.config().apps[1].clone()
}

fn request_token(x: &mut Handler, now: u64, app: &App, callback: &str) -> (String, String) {
    let header = OAuth1::app(app).callback(callback).header(
        now,
        "POST",
        &url("/oauth/request_token"),
        Some(b""),
    );
    let response = call(x, now, post_form("/oauth/request_token", Some(&header), ""));
    assert_eq!(response.status(), 200, "{}", body(&response));
    let form = form_of(&response);
    (
        form["oauth_token"].clone(),
        form["oauth_token_secret"].clone(),
    )
}

fn access_token(
    x: &mut Handler,
    now: u64,
    app: &App,
    (token, secret): (&str, &str),
    verifier: &str,
) -> Response<Vec<u8>> {
    let header = OAuth1::app(app)
        .token(token, secret)
        .verifier(verifier)
        .header(now, "POST", &url("/oauth/access_token"), Some(b""));
    call(x, now, post_form("/oauth/access_token", Some(&header), ""))
}

/// PKCE with automatic consent at `now`; returns the code.
fn pkce_code(x: &mut Handler, now: u64, app: &App, scope: &str, pkce: &PkceRequest) -> String {
    let challenge = pkce.verifier.challenge();
    let path =
        crate::support::Mock::authorize_path(app, CALLBACK, scope, &pkce.state, challenge.as_str());
    let params = query_of(&location(&call(x, now, get(&path, None))));
    assert_eq!(params["state"], pkce.state);
    params["code"].clone()
}

/// The code exchange of the public native app.
fn exchange(x: &mut Handler, now: u64, app: &App, code: &str, verifier: &str) -> Response<Vec<u8>> {
    let body = form(&[
        ("code", code),
        ("grant_type", "authorization_code"),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier),
        ("client_id", app.client_id().expect("client id")),
    ]);
    call(x, now, post_form("/2/oauth2/token", None, &body))
}

fn refresh(x: &mut Handler, now: u64, app: &App, refresh_token: &str) -> Response<Vec<u8>> {
    let body = form(&[
        ("refresh_token", refresh_token),
        ("grant_type", "refresh_token"),
        ("client_id", app.client_id().expect("client id")),
    ]);
    call(x, now, post_form("/2/oauth2/token", None, &body))
}

fn users_me(x: &mut Handler, now: u64, token: &str) -> Response<Vec<u8>> {
    call(x, now, get("/2/users/me", Some(&bearer(token))))
}

#[test]
fn the_published_request_token_signature_is_accepted() {
    // X docs, Log in with X: a request_token call on api.twitter.com (contract §1, vectors).
    let example = vector("x-docs-oauth1", "x-docs/log-in-with-x/request_token");
    let params: HashMap<String, String> = example["oauth"]["params"]
        .as_array()
        .expect("params")
        .iter()
        .map(|p| (text_at(p, 0), text_at(p, 1)))
        .collect();
    let now: u64 = params["oauth_timestamp"].parse().expect("a timestamp");
    let mut config = MockConfig::empty();
    config.users.push(User::new("6253282", "xapi", "X API"));
    config.apps.push(App {
        name: "Log in with X example".to_owned(),
        consumer_key: params["oauth_consumer_key"].clone(),
        consumer_secret: text(&example["secrets"], "consumer_secret").to_owned(),
        oauth2: None,
        callbacks: vec![params["oauth_callback"].clone()],
        owner: "6253282".to_owned(),
        access: AccessLevel::ReadWrite,
        user_tokens: Vec::new(),
        suspended: false,
        desktop: false,
        request_email: false,
    });
    let mut x = Handler::new(config);
    let header = text(&example["expected"], "authorization_header");
    let request = |uri: &str| {
        Request::post(uri)
            .header("authorization", header)
            .body(Vec::new())
            .expect("a request")
    };
    // The signature covers the host: on api.x.com it does not verify (vector notes).
    let response = call(
        &mut x,
        now,
        request("https://api.x.com/oauth/request_token"),
    );
    assert_eq!(response.status(), 401);
    assert_eq!(code(&response), 32);

    let uri = text(&example["request"], "url");
    assert_eq!(uri, "https://api.twitter.com/oauth/request_token");
    // Outside the window: 135.
    let response = call(&mut x, now + 301, request(uri));
    assert_eq!(code(&response), 135);

    let response = call(&mut x, now, request(uri));
    assert_eq!(response.status(), 200, "{}", body(&response));
    assert_eq!(form_of(&response)["oauth_callback_confirmed"], "true");
    // Its nonce is spent now.
    let response = call(&mut x, now + 1, request(uri));
    assert_eq!(response.status(), 401);
    assert_eq!(code(&response), 32);
}

fn text_at(pair: &serde_json::Value, index: usize) -> String {
    pair[index].as_str().expect("a string").to_owned()
}

#[test]
fn a_code_expires_30_seconds_after_it_is_issued() {
    let mut x = demo();
    let app = native(&x);
    // Exchanged within 30 s: fine.
    let pkce = PkceRequest::new();
    let code = pkce_code(&mut x, T, &app, "tweet.read users.read", &pkce);
    let response = exchange(&mut x, T + 29, &app, &code, pkce.verifier.secret());
    assert_eq!(response.status(), 200, "{}", body(&response));
    // At 30 s it has expired (contract §4.3).
    let pkce = PkceRequest::new();
    let code = pkce_code(&mut x, T, &app, "tweet.read users.read", &pkce);
    let response = exchange(&mut x, T + 30, &app, &code, pkce.verifier.secret());
    assert_eq!(response.status(), 400);
    assert_eq!(json(&response)["error"], "invalid_request");
}

#[test]
fn an_access_token_lives_7200_seconds_and_a_refresh_token_outlives_it() {
    let mut x = demo();
    let app = native(&x);
    let pkce = PkceRequest::new();
    let code = pkce_code(
        &mut x,
        T,
        &app,
        "tweet.read users.read offline.access",
        &pkce,
    );
    let tokens = json(&exchange(&mut x, T, &app, &code, pkce.verifier.secret()));
    assert_eq!(tokens["expires_in"], 7200);
    let access = text(&tokens, "access_token");

    assert_eq!(users_me(&mut x, T + 7199, access).status(), 200);
    let expired = users_me(&mut x, T + 7200, access);
    assert_eq!(expired.status(), 401);
    assert_eq!(
        expired.headers()["content-type"],
        "application/problem+json"
    );

    // The refresh token gets a fresh access token, valid from the refresh on.
    let response = refresh(&mut x, T + 7200, &app, text(&tokens, "refresh_token"));
    assert_eq!(response.status(), 200, "{}", body(&response));
    let fresh = json(&response);
    let access = text(&fresh, "access_token");
    assert_eq!(users_me(&mut x, T + 7200 + 7199, access).status(), 200);
    assert_eq!(users_me(&mut x, T + 7200 + 7200, access).status(), 401);
}

#[test]
fn a_refresh_token_expires_after_its_configured_lifetime() {
    let mut x = Handler::new(MockConfig {
        refresh_token_ttl: 3600,
        ..MockConfig::default()
    });
    let app = native(&x);
    let pkce = PkceRequest::new();
    let code = pkce_code(
        &mut x,
        T,
        &app,
        "tweet.read users.read offline.access",
        &pkce,
    );
    let tokens = json(&exchange(&mut x, T, &app, &code, pkce.verifier.secret()));
    let response = refresh(&mut x, T + 3600, &app, text(&tokens, "refresh_token"));
    assert_eq!(response.status(), 400);
    assert_eq!(json(&response)["error"], "invalid_request");
}

#[test]
fn a_request_token_expires_after_its_configured_lifetime() {
    let ttl = 600;
    let mut x = Handler::new(MockConfig {
        request_token_ttl: ttl,
        ..MockConfig::default()
    });
    let app = web(&x);

    // Approved just before it expires: fine.
    let (token, secret) = request_token(&mut x, T, &app, CALLBACK);
    let path = format!("/oauth/authorize?oauth_token={token}");
    let verifier =
        query_of(&location(&call(&mut x, T + ttl - 1, get(&path, None))))["oauth_verifier"].clone();
    let response = access_token(&mut x, T + ttl - 1, &app, (&token, &secret), &verifier);
    assert_eq!(response.status(), 200, "{}", body(&response));

    // The consent page of an expired token is the stale-token page.
    let (token, _) = request_token(&mut x, T, &app, CALLBACK);
    let path = format!("/oauth/authorize?oauth_token={token}");
    let response = call(&mut x, T + ttl, get(&path, None));
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());

    // Approved in time, exchanged too late: code 89.
    let (token, secret) = request_token(&mut x, T, &app, CALLBACK);
    let path = format!("/oauth/authorize?oauth_token={token}");
    let verifier =
        query_of(&location(&call(&mut x, T + 1, get(&path, None))))["oauth_verifier"].clone();
    let response = access_token(&mut x, T + ttl, &app, (&token, &secret), &verifier);
    assert_eq!(response.status(), 401);
    assert_eq!(code(&response), 89);
}

#[test]
fn a_nonce_is_remembered_for_as_long_as_its_timestamp_is_acceptable() {
    let window = 300;
    let mut x = Handler::new(MockConfig {
        timestamp_window: window,
        ..MockConfig::default()
    });
    let app = web(&x);
    let used = nonce();
    let signed = |timestamp: u64| {
        OAuth1::app(&app).callback("oob").nonce(&used).header(
            timestamp,
            "POST",
            &url("/oauth/request_token"),
            Some(b""),
        )
    };
    let header = signed(T);
    let send = |x: &mut Handler, now: u64, header: &str| {
        call(x, now, post_form("/oauth/request_token", Some(header), ""))
    };
    assert_eq!(send(&mut x, T, &header).status(), 200);
    // Replayed while the timestamp is still acceptable: code 32.
    let replay = send(&mut x, T + window, &header);
    assert_eq!(replay.status(), 401);
    assert_eq!(code(&replay), 32);
    // Later, the timestamp itself is out of bounds: code 135.
    let late = send(&mut x, T + window + 1, &header);
    assert_eq!(code(&late), 135);
    // Once no request signed with it could be accepted any more, the nonce may return with a
    // new timestamp (RFC 5849 §3.3: unique per timestamp).
    let later = T + 2 * window + 1;
    assert_eq!(send(&mut x, later, &signed(later)).status(), 200);
    assert_eq!(x.counters().rejected_signatures, 2);
}

#[test]
fn a_forged_request_does_not_burn_a_nonce() {
    let mut x = demo();
    let app = web(&x);
    let used = nonce();
    let forged = OAuth1::keys(&app.consumer_key, "guessed-secret")
        .callback("oob")
        .nonce(&used)
        .header(T, "POST", &url("/oauth/request_token"), Some(b""));
    let response = call(
        &mut x,
        T,
        post_form("/oauth/request_token", Some(&forged), ""),
    );
    assert_eq!(code(&response), 32);
    let genuine = OAuth1::app(&app).callback("oob").nonce(&used).header(
        T,
        "POST",
        &url("/oauth/request_token"),
        Some(b""),
    );
    let response = call(
        &mut x,
        T,
        post_form("/oauth/request_token", Some(&genuine), ""),
    );
    assert_eq!(response.status(), 200, "{}", body(&response));
}

#[test]
fn nonces_are_per_consumer_key() {
    let mut x = demo();
    let used = nonce();
    for app in [web(&x), native(&x)] {
        let header = OAuth1::app(&app).callback("oob").nonce(&used).header(
            T,
            "POST",
            &url("/oauth/request_token"),
            Some(b""),
        );
        let response = call(
            &mut x,
            T,
            post_form("/oauth/request_token", Some(&header), ""),
        );
        assert_eq!(response.status(), 200, "{}", body(&response));
    }
}

#[test]
fn every_answer_is_dated_by_the_handler_clock() {
    let mut x = demo();
    for now in [T, T + 12_345] {
        let response = call(&mut x, now, get("/2/users/me", None));
        let date = response.headers()["date"].to_str().expect("ASCII");
        let at = x_date(date);
        assert_eq!(at, UNIX_EPOCH + Duration::from_secs(now));
    }
}

/// Everything a seeded handler hands out in one scripted session.
fn scripted_session(seed: u64) -> Vec<String> {
    let mut x = Handler::new(MockConfig {
        seed: Some(seed),
        ..MockConfig::default()
    });
    let (web, native) = (web(&x), native(&x));
    let mut issued = Vec::new();

    // Alice holds no token for the native app yet: a new one is issued.
    let (token, secret) = request_token(&mut x, T, &native, CALLBACK);
    let redirect = location(&call(
        &mut x,
        T,
        get(&format!("/oauth/authorize?oauth_token={token}"), None),
    ));
    let verifier = query_of(&redirect)["oauth_verifier"].clone();
    let access = access_token(&mut x, T, &native, (&token, &secret), &verifier);
    issued.extend([token, secret, redirect, body(&access).to_owned()]);

    let (pin_token, _) = request_token(&mut x, T, &web, "oob");
    let page = call(
        &mut x,
        T,
        get(&format!("/oauth/authorize?oauth_token={pin_token}"), None),
    );
    issued.push(pin_from_page(body(&page)).expect("a PIN").to_owned());

    let bearer_answer = call(
        &mut x,
        T,
        post_form(
            "/oauth2/token",
            Some(&basic(&web.consumer_key, &web.consumer_secret)),
            "grant_type=client_credentials",
        ),
    );
    issued.push(body(&bearer_answer).to_owned());

    // A fixed verifier and state: only the server's randomness varies.
    let pkce = PkceRequest {
        verifier: pkce::CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
            .expect("RFC 7636 verifier"),
        state: "fixed-state".to_owned(),
    };
    let code = pkce_code(
        &mut x,
        T,
        &native,
        "tweet.read users.read offline.access",
        &pkce,
    );
    let tokens = exchange(&mut x, T, &native, &code, pkce.verifier.secret());
    issued.extend([code, body(&tokens).to_owned()]);
    issued
}

#[test]
fn a_fixed_seed_makes_every_token_reproducible() {
    let first = scripted_session(42);
    let second = scripted_session(42);
    assert_eq!(first, second);
    let other = scripted_session(43);
    // Every credential differs under another seed.
    for (a, b) in first.iter().zip(&other) {
        assert_ne!(a, b);
    }
}

#[test]
fn unseeded_handlers_differ() {
    let mut a = demo();
    let mut b = demo();
    let app = web(&a);
    let (token_a, _) = request_token(&mut a, T, &app, "oob");
    let (token_b, _) = request_token(&mut b, T, &app, "oob");
    assert_ne!(token_a, token_b);
}

#[test]
fn faults_are_reply_values() {
    let mut x = demo();
    let app = native(&x);
    let pkce = PkceRequest::new();
    let code = pkce_code(
        &mut x,
        T,
        &app,
        "tweet.read users.read offline.access",
        &pkce,
    );
    let tokens = json(&exchange(&mut x, T, &app, &code, pkce.verifier.secret()));
    let refresh_body = form(&[
        ("refresh_token", text(&tokens, "refresh_token")),
        ("grant_type", "refresh_token"),
        ("client_id", app.client_id().expect("client id")),
    ]);

    // A dropped connection: no answer, and nothing changed.
    x.inject(Fault::new("/2/oauth2/token", 1, FaultKind::DropConnection));
    let reply = x.handle(T, post_form("/2/oauth2/token", None, &refresh_body));
    assert!(reply.response.is_none());
    assert_eq!(x.counters().refreshes, 0);

    // A delay: the answer, with the time to wait before sending it.
    let delay = Duration::from_millis(1500);
    x.inject(Fault::new("/2/users/me", 1, FaultKind::Delay(delay)));
    let reply = x.handle(
        T,
        get("/2/users/me", Some(&bearer(text(&tokens, "access_token")))),
    );
    assert_eq!(reply.delay, delay);
    assert_eq!(reply.into_response().expect("an answer").status(), 200);

    // A lost response: processed, then no answer; the refresh token was spent.
    x.inject(Fault::new("/2/oauth2/token", 1, FaultKind::LoseResponse));
    let reply = x.handle(T, post_form("/2/oauth2/token", None, &refresh_body));
    assert!(reply.into_response().is_none());
    assert_eq!(x.counters().refreshes, 1);
    let response = call(&mut x, T, post_form("/2/oauth2/token", None, &refresh_body));
    assert_eq!(response.status(), 400);
    assert_eq!(x.counters().refresh_replays, 1);
    assert_eq!(x.counters().faults, 3);
}

#[test]
fn automatic_consent_approves_as_the_signed_in_user() {
    let mut x = demo();
    assert!(!x.sign_in("no-such-user"));
    assert!(x.sign_in(BOB_ID));
    let app = web(&x);
    let (token, secret) = request_token(&mut x, T, &app, CALLBACK);
    let redirect = location(&call(
        &mut x,
        T,
        get(&format!("/oauth/authorize?oauth_token={token}"), None),
    ));
    let verifier = query_of(&redirect)["oauth_verifier"].clone();
    let response = access_token(&mut x, T, &app, (&token, &secret), &verifier);
    assert_eq!(form_of(&response)["user_id"], BOB_ID);

    assert!(x.sign_in(ALICE_ID));
    let app = native(&x);
    let pkce = PkceRequest::new();
    let code = pkce_code(&mut x, T, &app, "tweet.read users.read", &pkce);
    let tokens = json(&exchange(&mut x, T, &app, &code, pkce.verifier.secret()));
    let me = users_me(&mut x, T, text(&tokens, "access_token"));
    assert_eq!(json(&me)["data"]["id"], ALICE_ID);
}

#[test]
fn a_configured_access_token_lifetime_is_announced_and_kept() {
    let mut x = Handler::new(MockConfig {
        access_token_ttl: 60,
        ..MockConfig::default()
    });
    let app = native(&x);
    let pkce = PkceRequest::new();
    let code = pkce_code(&mut x, T, &app, "tweet.read users.read", &pkce);
    let tokens = json(&exchange(&mut x, T, &app, &code, pkce.verifier.secret()));
    // `expires_in` is the lifetime in seconds (RFC 6749 §5.1).
    assert_eq!(tokens["expires_in"], 60, "{tokens}");
    let access = text(&tokens, "access_token");
    assert_eq!(users_me(&mut x, T + 59, access).status(), 200);
    let expired = users_me(&mut x, T + 60, access);
    assert_eq!(expired.status(), 401);
    assert_eq!(
        expired.headers()["content-type"],
        "application/problem+json"
    );
}

#[test]
fn a_configured_timestamp_window_is_kept_either_side() {
    let mut x = Handler::new(MockConfig {
        timestamp_window: 30,
        ..MockConfig::default()
    });
    let app = web(&x);
    let send = |x: &mut Handler, timestamp: u64| {
        let header = OAuth1::app(&app).callback("oob").header(
            timestamp,
            "POST",
            &url("/oauth/request_token"),
            Some(b""),
        );
        call(x, T, post_form("/oauth/request_token", Some(&header), ""))
    };
    for timestamp in [T - 31, T + 31] {
        let response = send(&mut x, timestamp);
        assert_eq!(response.status(), 401, "{}", body(&response));
        assert_eq!(code(&response), 135, "{timestamp}");
        assert!(response.headers().contains_key("date"));
    }
    for timestamp in [T - 30, T + 30] {
        let response = send(&mut x, timestamp);
        assert_eq!(response.status(), 200, "{timestamp}: {}", body(&response));
    }
    assert_eq!(x.counters().request_tokens, 2);
}

#[test]
fn a_configured_code_lifetime_is_kept() {
    let mut x = Handler::new(MockConfig {
        code_ttl: 5,
        ..MockConfig::default()
    });
    let app = native(&x);
    let pkce = PkceRequest::new();
    let code = pkce_code(&mut x, T, &app, "tweet.read users.read", &pkce);
    let response = exchange(&mut x, T + 4, &app, &code, pkce.verifier.secret());
    assert_eq!(response.status(), 200, "{}", body(&response));

    let pkce = PkceRequest::new();
    let code = pkce_code(&mut x, T, &app, "tweet.read users.read", &pkce);
    let response = exchange(&mut x, T + 5, &app, &code, pkce.verifier.secret());
    assert_eq!(response.status(), 400, "{}", body(&response));
    assert_eq!(
        json(&response)["error_description"],
        "Value passed for the authorization code was invalid."
    );
}

#[test]
fn unknown_paths_and_faulty_answers_are_dated_and_carry_rate_limit_headers() {
    let mut x = demo();
    let app = web(&x);
    x.inject(Fault::new("/2/users/me", 1, FaultKind::Status(503)));
    x.inject(Fault::new("/oauth2/token", 1, FaultKind::MalformedBody));
    x.inject(Fault::new(
        "/1.1/account/verify_credentials.json",
        1,
        FaultKind::RateLimited { reset_after: 60 },
    ));
    let now = T + 777;
    let cases = [
        (
            "an unknown path",
            404,
            get("/1.1/statuses/home_timeline.json", None),
        ),
        ("an injected 503", 503, get("/2/users/me", None)),
        (
            "an injected malformed body",
            200,
            post_form(
                "/oauth2/token",
                Some(&basic(&app.consumer_key, &app.consumer_secret)),
                "grant_type=client_credentials",
            ),
        ),
        (
            "an injected rate limit",
            429,
            get("/1.1/account/verify_credentials.json", None),
        ),
    ];
    for (what, status, request) in cases {
        let response = call(&mut x, now, request);
        assert_eq!(response.status(), status, "{what}: {}", body(&response));
        let header = |name: &str| -> u64 {
            response
                .headers()
                .get(name)
                .unwrap_or_else(|| panic!("{what}: no {name}"))
                .to_str()
                .expect("ASCII")
                .parse()
                .unwrap_or_else(|_| panic!("{what}: {name} is not a number"))
        };
        // The three rate-limit headers on every response (contract §7).
        let (limit, remaining, reset) = (
            header("x-rate-limit-limit"),
            header("x-rate-limit-remaining"),
            header("x-rate-limit-reset"),
        );
        assert!(remaining <= limit, "{what}");
        assert!(reset > now, "{what}: reset {reset}");
        // `Date` is the handler's clock, to the second.
        let date = response.headers()["date"].to_str().expect("ASCII");
        let at = x_date(date);
        assert_eq!(at, UNIX_EPOCH + Duration::from_secs(now), "{what}");
    }
    assert_eq!(x.counters().faults, 3);
    assert_eq!(x.counters().bearer_tokens, 0);
}
