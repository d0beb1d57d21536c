//! oauth2_pkce flow tests: the Authorization Code flow with PKCE (contract §4), token sets,
//! refresh, revoke and `/2/users/me` (§5), each request checked byte for byte and each answer
//! shape X is known to send.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use twitter_auth_core::oauth2::{
    self, App, AuthorizedCode, DEFAULT_LIFETIME, Freshness, PendingLogin, RevokeToken, Scope,
    Scopes, TokenSet, User, callback_state,
};
use twitter_auth_core::pkce::{self, CodeVerifier, Method, State};
use twitter_auth_core::{
    AccessToken, ClientId, ClientSecret, Endpoints, Error, ErrorKind, Exchange, HttpRequest,
    HttpResponse, Misuse, RefreshToken, Replay, UserId,
};

// X's docs (x-wire-samples.json: oauth2/pkce-authorize-url, pkce-token-exchange,
// refresh-and-revoke; oauth2-client-auth.json).
const PUBLIC_ID: &str = "rG9n6402A3dbUJKzXTNX4oWHJ";
const CONFIDENTIAL_ID: &str = "WTNrQS14bUhpMl83aU5adTd2NWM6MTpjaQ";
const CONFIDENTIAL_SECRET: &str = "-RoKx3x58JA8Sm9JIt2fmAjq3q5GX-bqZ3vjJxSeGsdmGtXEbP";
const CONFIDENTIAL_BASIC: &str = "Basic V1ROclFTMTRiVWhwTWw4M2FVNWFkVGQyTldNNk1UcGphUTotUm9LeDN4NThKQThTbTlKSXQyZm1BanEzcTVHWC1icVozdmpKeFNlR3NkbUd0WEViUA==";
const REDIRECT: &str = "https://www.example.com";
const CODE: &str =
    "VGNibzFWSWREZm01bjN1N3dicWlNUG1oa2xRRVNNdmVHelJGY2hPWGxNd2dxOjE2MjIxNjA4MjU4MjU6MToxOmFjOjE";
const REFRESH: &str =
    "bWRWa3gzdnk3WHRGU1o0bmRRcTJ5VUxWX1lZTDdJSUtmaWcxbTVxdEFXcW5tOjE2MjIxNDc3NDM5MTQ6MToxOnJ0OjE";
const ACCESS: &str =
    "Q0Mzb0VhZ0V5dmNXSTEyNER2MFNfVW50RzdXdTN6STFxQlVkTGhTc1lCdlBiOjE2MjIxNDc3NDM5MTQ6MToxOmF0OjE";
const WITH_OFFLINE: &str = r#"{"scope":"tweet.read offline.access","expires_in":7200,"token_type":"bearer","access_token":"a...E","refresh_token":"NW...E"}"#;
const WITHOUT_OFFLINE: &str =
    r#"{"token_type":"bearer","expires_in":7200,"access_token":"XXXXX","scope":"tweet.read"}"#;
const UNAUTHORIZED_CLIENT: &str =
    r#"{"error":"unauthorized_client","error_description":"Missing valid authorization header"}"#;
const INVALID_CODE: &str = r#"{"error":"invalid_request","error_description":"Value passed for the authorization code was invalid.","errors":["..."]}"#;
const USERS_ME: &str =
    r#"{"data":{"id":"1072250532645998596","name":"Tweepy Testing","username":"TweepyDev"}}"#;

const T0: u64 = 1_700_000_000;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn now() -> SystemTime {
    at(T0)
}

fn public() -> App {
    App::public(ClientId::new(PUBLIC_ID))
}

fn confidential() -> App {
    App::confidential(
        ClientId::new(CONFIDENTIAL_ID),
        ClientSecret::new(CONFIDENTIAL_SECRET),
    )
}

fn scopes() -> Scopes {
    Scopes::parse("tweet.read users.read follows.read follows.write")
}

fn respond(status: u16, body: &str) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request.headers().get(name).map(|v| v.to_str().unwrap())
}

fn body(request: &HttpRequest) -> &str {
    std::str::from_utf8(request.body()).unwrap()
}

/// Starts a login with a seeded RNG; also returns the verifier and state that RNG yields (the
/// flow draws the verifier first, then the state).
fn start(client: &App, seed: u64) -> (url::Url, PendingLogin, CodeVerifier, State) {
    let (url, pending) = client
        .authorize(REDIRECT, scopes())
        .unwrap()
        .start(now(), &mut StdRng::seed_from_u64(seed));
    let mut rng = StdRng::seed_from_u64(seed);
    let verifier = CodeVerifier::generate_with_len(&mut rng, pkce::VerifierLength::MIN);
    let state = State::generate(&mut rng);
    (url, pending, verifier, state)
}

fn callback(state: &State) -> String {
    format!("{REDIRECT}/?state={}&code={CODE}", state.secret())
}

fn authorized(client: &App) -> (AuthorizedCode, CodeVerifier) {
    let (_, pending, verifier, state) = start(client, 1);
    (
        pending.on_callback(&callback(&state), now()).unwrap(),
        verifier,
    )
}

fn tokens(body: &str) -> TokenSet {
    let (code, _) = authorized(&public());
    public()
        .exchange(code)
        .unwrap()
        .finish(now(), respond(200, body))
        .unwrap()
}

// ---- authorize URL ----------------------------------------------------------------------------

#[test]
fn the_authorize_url_carries_every_parameter_percent_encoded() {
    let (url, pending, verifier, state) = start(&public(), 42);
    let challenge = verifier.challenge();
    let expected = format!(
        "https://x.com/i/oauth2/authorize?response_type=code&client_id={PUBLIC_ID}\
         &redirect_uri=https%3A%2F%2Fwww.example.com\
         &scope=tweet.read%20users.read%20follows.read%20follows.write\
         &state={}&code_challenge={}&code_challenge_method=S256",
        state.secret(),
        challenge.as_str(),
    );
    assert_eq!(url.as_str(), expected);
    assert_eq!(verifier.secret().len(), 43);
    assert_eq!(state.secret().len(), 43);
    // The challenge is S256 of the verifier the exchange will send.
    let sent: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let sent_challenge = &sent.iter().find(|(k, _)| k == "code_challenge").unwrap().1;
    assert!(pkce::verify(
        verifier.secret(),
        sent_challenge,
        Method::S256
    ));
    assert!(pending.state().matches(state.secret()));
    assert_eq!(pending.client_id().as_str(), PUBLIC_ID);
    assert!(!pending.is_confidential());
    assert_eq!(pending.redirect_uri(), REDIRECT);
    assert_eq!(pending.scopes(), &scopes());
    assert_eq!(pending.created_at(), crate::support::secs(T0));
    assert_eq!(pending.expires_at(), crate::support::secs(T0 + 600));
    assert_eq!(DEFAULT_LIFETIME, Duration::from_secs(600));
}

#[test]
fn logins_draw_fresh_secrets() {
    let (a, _, _, _) = start(&public(), 1);
    let (b, _, _, _) = start(&public(), 2);
    assert_ne!(a, b);
}

#[test]
fn the_authorize_url_is_the_same_for_confidential_clients() {
    let (url, pending, _, _) = start(&confidential(), 42);
    assert!(
        url.as_str()
            .contains(&format!("&client_id={CONFIDENTIAL_ID}&"))
    );
    assert!(!url.as_str().contains(CONFIDENTIAL_SECRET));
    assert!(pending.is_confidential());
    assert!(
        !serde_json::to_string(&pending)
            .unwrap()
            .contains(CONFIDENTIAL_SECRET)
    );
}

#[test]
fn authorize_options_extras_and_overridden_page() {
    let endpoints = Endpoints::x()
        .with_oauth2_authorize("https://proxy.example/authorize?tenant=a")
        .unwrap();
    let (url, pending) = public()
        .with_endpoints(endpoints)
        .authorize(
            "http://127.0.0.1:9000/cb path",
            Scopes::from([Scope::TweetRead]),
        )
        .unwrap()
        .lifetime(Duration::from_secs(30))
        .verifier_len(128)
        .unwrap()
        .param("prompt", "consent me")
        .unwrap()
        .start(now(), &mut StdRng::seed_from_u64(3));
    let text = url.as_str();
    assert!(
        text.starts_with(&format!(
            "https://proxy.example/authorize?tenant=a&response_type=code&client_id={PUBLIC_ID}\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A9000%2Fcb%20path&scope=tweet.read&state="
        )),
        "{text}"
    );
    assert!(
        text.ends_with("&code_challenge_method=S256&prompt=consent%20me"),
        "{text}"
    );
    assert_eq!(pending.expires_at(), crate::support::secs(T0 + 30));
    assert_eq!(pending.redirect_uri(), "http://127.0.0.1:9000/cb path");

    // The verifier length shows in the exchange.
    let state = callback_state(text).unwrap();
    let code = pending
        .on_callback(&format!("?state={state}&code=c"), now())
        .unwrap();
    let step = public().exchange(code).unwrap();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(step.request().body())
        .into_owned()
        .collect();
    assert_eq!(
        form.iter()
            .find(|(k, _)| k == "code_verifier")
            .unwrap()
            .1
            .len(),
        128
    );
}

#[test]
fn bad_authorize_input_is_refused() {
    for bad in ["", "/cb", "www.example.com", "https://app.example/cb#frag"] {
        assert!(
            matches!(
                public().authorize(bad, scopes()),
                Err(Error::InvalidUrl { .. })
            ),
            "{bad}"
        );
    }
    // X refuses an authorize request without a scope: a mistake in the calling code.
    let e = public().authorize(REDIRECT, Scopes::new()).unwrap_err();
    assert!(matches!(e, Error::Misuse(Misuse::NoScope)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Misuse);
    let request = public().authorize(REDIRECT, scopes()).unwrap();
    for len in [0, 42, 129] {
        assert!(
            matches!(
                request.clone().verifier_len(len),
                Err(Error::Misuse(Misuse::VerifierLength { len: l })) if l == len
            ),
            "{len}"
        );
    }
    for name in [
        "state",
        "scope",
        "code_challenge",
        "code_challenge_method",
        "client_id",
        "redirect_uri",
        "response_type",
    ] {
        assert!(
            matches!(
                request.clone().param(name, "x"),
                Err(Error::Misuse(Misuse::FlowParameter { name: n })) if n == name
            ),
            "{name}"
        );
    }
}

// ---- callback ---------------------------------------------------------------------------------

#[test]
fn every_callback_shape_is_accepted() {
    for shape in [
        "{R}/?state={S}&code={C}",
        "{R}/cb?code={C}&state={S}#_",
        "?state={S}&code={C}",
        "state={S}&code={C}",
        "/cb?state={S}&code={C}",
    ] {
        let (_, pending, verifier, state) = start(&public(), 5);
        let text = shape
            .replace("{R}", REDIRECT)
            .replace("{S}", state.secret())
            .replace("{C}", CODE);
        assert!(pending.matches(&text), "{text}");
        assert_eq!(callback_state(&text).as_deref(), Some(state.secret()));
        let code = pending
            .on_callback(&text, now())
            .unwrap_or_else(|e| panic!("{text}: {e:?}"));
        let step = public().exchange(code).unwrap();
        assert!(body(step.request()).contains(&format!("code_verifier={}", verifier.secret())));
    }
}

#[test]
fn callback_errors_are_typed_in_the_documented_order() {
    /// A short name for each outcome, so the table below reads as one line per case.
    fn outcome(e: &Error) -> String {
        match e {
            Error::Expired => "expired".into(),
            Error::Denied => "denied".into(),
            Error::StateMismatch => "state mismatch".into(),
            Error::MissingCallbackParameter { name } => format!("missing {name}"),
            Error::Malformed { .. } => "malformed".into(),
            Error::CallbackError { error } => format!("callback error {error}"),
            other => format!("{other:?}"),
        }
    }
    let (_, _, _, state) = start(&public(), 9);
    let s = state.secret();
    let run = |callback: &str, secs: u64| {
        let (_, pending, _, _) = start(&public(), 9);
        pending.on_callback(callback, at(secs)).unwrap_err()
    };
    #[rustfmt::skip]
    let cases = [
        // 1. expiry first, whatever the callback holds.
        (format!("?state={s}&code=c"), T0 + 600, "expired"),
        (format!("?state={s}&error=access_denied"), T0 + 10_000, "expired"),
        // 2. error parameters; a state that came with them must be this login's.
        (format!("?state={s}&error=access_denied"), T0, "denied"),
        ("?error=access_denied".to_owned(), T0, "denied"),
        ("?error=access_denied&state=forged".to_owned(), T0, "state mismatch"),
        (format!("?state={s}&error=server_error&error_description=try+later"), T0, "callback error server_error: try later"),
        (format!("?state={s}&error=invalid_scope&code=c"), T0, "callback error invalid_scope"),
        // 3. state.
        ("?code=c".to_owned(), T0, "missing state"),
        ("?state=forged&code=c".to_owned(), T0, "state mismatch"),
        ("?state=&code=c".to_owned(), T0, "state mismatch"),
        (format!("?state={s}x&code=c"), T0, "state mismatch"),
        (format!("?state={s}&state={s}&code=c"), T0, "state mismatch"),
        (format!("?state={s}&state=forged&code=c"), T0, "state mismatch"),
        // 4. code.
        (format!("?state={s}"), T0, "missing code"),
        (format!("?state={s}&code="), T0, "missing code"),
        (format!("?state={s}&code=a&code=b"), T0, "malformed"),
        // Not a callback at all.
        (String::new(), T0, "missing state"),
        ("https://www.example.com/".to_owned(), T0, "missing state"),
    ];
    for (callback, secs, expected) in cases {
        let e = run(&callback, secs);
        assert_eq!(outcome(&e), expected, "{callback} at +{}: {e:?}", secs - T0);
        assert!(!e.to_string().contains(s), "the state leaks into {e}");
    }
    // Kinds and hints of the user-facing ones.
    assert_eq!(run("?error=access_denied", T0).kind(), ErrorKind::User);
    assert_eq!(
        run(&format!("?state={s}&code=c"), T0 + 600).kind(),
        ErrorKind::User
    );
    assert!(
        run("?state=forged&code=c", T0)
            .hint()
            .unwrap()
            .contains("another login")
    );
}

/// Issue 14: `on_callback` consumed the login whatever the callback held, so one forged
/// callback ended the real login. `verify_callback` gives the same errors, and gives the login
/// back unless the callback carries its state (or it expired).
#[test]
fn verify_callback_keeps_the_login_unless_the_callback_is_its_own() {
    let (_, _, _, state) = start(&public(), 9);
    let s = state.secret();
    #[rustfmt::skip]
    let cases = [
        // (callback, at, kept?)
        (format!("?state={s}&code=c"), T0 + 600, false), // expired: over anyway
        (format!("?state={s}&error=access_denied"), T0, false), // this login's denial: over
        (format!("?state={s}&error=server_error"), T0, false),
        (format!("?state={s}"), T0, false), // this login's, without code: over
        (format!("?state={s}&code=a&code=b"), T0, false),
        ("?error=access_denied".to_owned(), T0, true), // no state: anyone could send it
        ("?error=access_denied&state=forged".to_owned(), T0, true),
        ("?code=c".to_owned(), T0, true),
        ("?state=forged&code=c".to_owned(), T0, true),
        ("?state=&code=c".to_owned(), T0, true),
        (format!("?state={s}x&code=c"), T0, true),
        (format!("?state={s}&state={s}&code=c"), T0, true),
        (format!("?state={s}&state=forged&code=c"), T0, true),
        (String::new(), T0, true),
    ];
    for (forged, secs, kept) in cases {
        let (_, pending, _, _) = start(&public(), 9);
        let expected = {
            let (_, twin, _, _) = start(&public(), 9);
            twin.on_callback(&forged, at(secs)).unwrap_err().to_string()
        };
        let refused = pending.verify_callback(&forged, at(secs)).unwrap_err();
        assert_eq!(
            refused.to_string(),
            expected,
            "{forged}: same error as on_callback"
        );
        assert_eq!(refused.kept(), kept, "{forged}");
        assert!(!format!("{refused:?}").contains(s), "Debug leaks the state");
        let Some(pending) = refused.into_pending() else {
            continue;
        };
        // The login given back still completes with its own callback.
        let code = pending
            .verify_callback(&callback(&state), now())
            .expect("the real callback still completes the login");
        let step = public().exchange(code).unwrap();
        assert!(body(step.request()).contains(&format!("code={CODE}")));
    }
    // The error converts into the core's (for `?`).
    let (_, pending, _, _) = start(&public(), 9);
    let e: Error = pending
        .verify_callback("?state=forged&code=c", now())
        .unwrap_err()
        .into();
    assert!(matches!(e, Error::StateMismatch));
}

#[test]
fn a_login_is_valid_until_its_expiry_second() {
    let pending = || start(&public(), 11).1;
    let (_, _, _, state) = start(&public(), 11);
    assert!(
        pending()
            .on_callback(&callback(&state), at(T0 + 599))
            .is_ok()
    );
    assert!(
        pending()
            .on_callback(&callback(&state), at(T0 + 599) + Duration::from_millis(999))
            .is_ok()
    );
    assert!(matches!(
        pending().on_callback(&callback(&state), at(T0 + 600)),
        Err(Error::Expired)
    ));
}

#[test]
fn matches_routes_only_this_logins_callbacks() {
    let (_, pending, _, state) = start(&public(), 12);
    let (_, _, _, other) = start(&public(), 13);
    assert!(pending.matches(&callback(&state)));
    assert!(pending.matches(&format!("state={}", state.secret())));
    assert!(!pending.matches(&callback(&other)));
    assert!(!pending.matches("?code=c"));
    assert!(!pending.matches(&format!("?state={0}&state={0}", state.secret())));
    assert_eq!(callback_state("?code=c"), None);
}

// ---- code exchange ----------------------------------------------------------------------------

#[test]
fn public_code_exchange_sends_client_id_in_the_body() {
    let (code, verifier) = authorized(&public());
    assert_eq!(code.requested_scopes(), &scopes());
    let step = public().exchange(code).unwrap();
    let request = step.request();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "https://api.x.com/2/oauth2/token");
    assert_eq!(
        header(request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(header(request, "authorization"), None);
    assert_eq!(request.headers().len(), 1);
    assert_eq!(
        body(request),
        format!(
            "code={CODE}&grant_type=authorization_code&redirect_uri=https%3A%2F%2Fwww.example.com\
             &code_verifier={}&client_id={PUBLIC_ID}",
            verifier.secret()
        )
    );
    assert_eq!(step.replay(), Replay::Never);
}

#[test]
fn confidential_code_exchange_uses_xs_basic_header_byte_for_byte() {
    let (code, verifier) = authorized(&confidential());
    let step = confidential().exchange(code).unwrap();
    let request = step.request();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "https://api.x.com/2/oauth2/token");
    assert_eq!(header(request, "authorization"), Some(CONFIDENTIAL_BASIC));
    assert!(request.headers()["authorization"].is_sensitive());
    assert_eq!(
        header(request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.headers().len(), 2);
    assert_eq!(
        body(request),
        format!(
            "code={CODE}&grant_type=authorization_code&redirect_uri=https%3A%2F%2Fwww.example.com&code_verifier={}",
            verifier.secret()
        )
    );
    assert_eq!(step.replay(), Replay::Never);
}

#[test]
fn the_exchange_needs_the_client_that_started_the_login() {
    let other_id = App::public(ClientId::new("someone-else"));
    let as_confidential = App::confidential(ClientId::new(PUBLIC_ID), ClientSecret::new("s"));
    let as_public = App::public(ClientId::new(CONFIDENTIAL_ID));
    for (started, finishing) in [
        (public(), other_id),
        (public(), as_confidential),
        (confidential(), as_public),
    ] {
        let (code, _) = authorized(&started);
        assert!(matches!(
            finishing.exchange(code),
            Err(Error::Misuse(Misuse::AppMismatch))
        ));
    }
}

/// A login started at one host and exchanged by the same app at another would send the code
/// and its verifier to a host that did not issue them.
#[test]
fn the_exchange_needs_the_hosts_that_started_the_login() {
    let local = Endpoints::local("http://127.0.0.1:9").unwrap();
    let (code, _) = authorized(&public().with_endpoints(local.clone()));
    assert!(matches!(
        public().exchange(code),
        Err(Error::Misuse(Misuse::AppMismatch))
    ));
    let (code, _) = authorized(&public().with_endpoints(local.clone()));
    let step = public()
        .with_endpoints(local)
        .exchange(code)
        .expect("the same app and hosts");
    assert_eq!(step.request().uri(), "http://127.0.0.1:9/2/oauth2/token");
}

#[test]
fn token_sets_follow_what_x_granted() {
    let set = tokens(WITH_OFFLINE);
    assert_eq!(set.access_token().secret(), "a...E");
    assert_eq!(set.refresh_token().unwrap().secret(), "NW...E");
    assert!(set.can_refresh());
    assert_eq!(
        set.scopes(),
        &Scopes::from([Scope::TweetRead, Scope::OfflineAccess])
    );
    assert_eq!(set.expires_at(), Some(crate::support::secs(T0 + 7200)));
    assert_eq!(set.authorization_header(), "Bearer a...E");
    assert!(set.authorization_header().is_sensitive());

    let set = tokens(WITHOUT_OFFLINE);
    assert!(set.refresh_token().is_none());
    assert!(!set.can_refresh());
    assert_eq!(set.scopes(), &Scopes::from([Scope::TweetRead]));

    // No `scope`: the scopes asked for (RFC 6749 §5.1). No `expires_in`: unknown lifetime.
    let set = tokens(r#"{"token_type":"Bearer","access_token":"x","expires_in":null}"#);
    assert_eq!(set.scopes(), &scopes());
    assert_eq!(set.expires_at(), None);
    // Digit strings are read too.
    let set = tokens(r#"{"token_type":"bearer","access_token":"x","expires_in":"60","scope":""}"#);
    assert_eq!(set.expires_at(), Some(crate::support::secs(T0 + 60)));
    assert!(set.scopes().is_empty());
}

#[test]
fn bad_token_answers_are_typed() {
    let finish = |status: u16, text: &str| {
        let (code, _) = authorized(&public());
        public()
            .exchange(code)
            .unwrap()
            .finish(now(), respond(status, text))
            .unwrap_err()
    };
    for text in [
        r#"{"token_type":"mac","access_token":"x"}"#,
        r#"{"token_type":"","access_token":"x"}"#,
    ] {
        assert!(matches!(finish(200, text), Error::NotBearer), "{text}");
    }
    for text in [
        "",
        "{",
        "access_token=x&token_type=bearer",
        r#"{"access_token":"x"}"#,
        r#"{"token_type":"bearer"}"#,
        r#"{"token_type":"bearer","access_token":""}"#,
        r#"{"token_type":"bearer","access_token":"x y"}"#,
        r#"{"token_type":"bearer","access_token":"x","expires_in":-5}"#,
        r#"{"token_type":"bearer","access_token":"x","expires_in":"soon"}"#,
        r#"{"token_type":"bearer","access_token":"x","expires_in":1e300}"#,
        r#"{"token_type":"bearer","access_token":"x","refresh_token":7}"#,
        r#"{"token_type":"bearer","access_token":"x","scope":["tweet.read"]}"#,
    ] {
        assert!(
            matches!(finish(200, text), Error::Malformed { .. }),
            "{text}"
        );
    }

    let e = finish(401, UNAUTHORIZED_CLIENT);
    assert!(
        matches!(&e, Error::OAuth2 { status: 401, error } if error.error == "unauthorized_client"),
        "{e:?}"
    );
    assert!(e.hint().unwrap().contains("public/confidential"));
    let e = finish(400, INVALID_CODE);
    assert!(
        matches!(&e, Error::OAuth2 { status: 400, error } if error.error == "invalid_request"),
        "{e:?}"
    );
    assert!(e.hint().unwrap().contains("30 s"));
    assert_eq!(
        finish(
            429,
            r#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#
        )
        .x_codes(),
        [88]
    );
    let e = finish(
        403,
        r#"{"title":"Forbidden","type":"about:blank","detail":"no"}"#,
    );
    assert!(matches!(e, Error::Problem { status: 403, .. }), "{e:?}");
    assert!(matches!(
        finish(502, "<html>bad gateway</html>"),
        Error::UnexpectedStatus { status: 502 }
    ));
    assert!(matches!(
        finish(500, WITH_OFFLINE),
        Error::UnexpectedStatus { status: 500 }
    ));
}

// ---- freshness and storage --------------------------------------------------------------------

#[test]
fn freshness_follows_the_documented_table() {
    let margin = Duration::from_secs(60);
    let set = tokens(WITH_OFFLINE); // expires at T0 + 7200
    for (secs, expected) in [
        (T0, Freshness::Fresh),
        (T0 + 7139, Freshness::Fresh),
        (T0 + 7140, Freshness::RefreshDue),
        (T0 + 7199, Freshness::RefreshDue),
        (T0 + 7200, Freshness::Expired),
        (T0 + 100_000, Freshness::Expired),
    ] {
        assert_eq!(set.freshness(at(secs), margin), expected, "+{}", secs - T0);
    }
    assert_eq!(
        set.freshness(at(T0 + 7199), Duration::ZERO),
        Freshness::Fresh
    );
    assert_eq!(oauth2::DEFAULT_REFRESH_MARGIN, Duration::from_secs(60));

    let unknown = |refresh: Option<&str>| {
        TokenSet::from_parts(
            AccessToken::new("a"),
            refresh.map(RefreshToken::new),
            Scopes::new(),
            None,
        )
        .unwrap()
    };
    assert_eq!(
        unknown(Some("r")).freshness(now(), margin),
        Freshness::RefreshDue
    );
    assert_eq!(unknown(None).freshness(now(), margin), Freshness::Fresh);
}

#[test]
fn token_sets_round_trip_through_serde() {
    let set = tokens(WITH_OFFLINE);
    let stored = serde_json::to_string(&set).unwrap();
    assert_eq!(
        stored,
        format!(
            r#"{{"access_token":"a...E","refresh_token":"NW...E","scopes":"tweet.read offline.access","expires_at":{}}}"#,
            T0 + 7200
        )
    );
    let back: TokenSet = serde_json::from_str(&stored).unwrap();
    assert_eq!(back.access_token().secret(), "a...E");
    assert_eq!(back.refresh_token().unwrap().secret(), "NW...E");
    assert_eq!(back.scopes(), set.scopes());
    assert_eq!(back.expires_at(), set.expires_at());

    let minimal: TokenSet = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
    assert!(
        minimal.refresh_token().is_none()
            && minimal.scopes().is_empty()
            && minimal.expires_at().is_none()
    );
    assert_eq!(
        serde_json::to_string(&minimal).unwrap(),
        r#"{"access_token":"a","scopes":""}"#
    );
    for bad in [
        r#"{"access_token":""}"#,
        r#"{"access_token":"a b"}"#,
        r#"{}"#,
        r#"{"access_token":1}"#,
    ] {
        assert!(serde_json::from_str::<TokenSet>(bad).is_err(), "{bad}");
    }
    assert!(matches!(
        TokenSet::from_parts(AccessToken::new("\u{7f}"), None, Scopes::new(), None),
        Err(Error::InvalidToken)
    ));
}

// ---- refresh ----------------------------------------------------------------------------------

fn refreshable(scope: &str) -> TokenSet {
    TokenSet::from_parts(
        AccessToken::new(ACCESS),
        Some(RefreshToken::new(REFRESH)),
        Scopes::parse(scope),
        Some(crate::support::secs(T0)),
    )
    .unwrap()
}

#[test]
fn refresh_requests_match_xs_docs() {
    let set = refreshable("tweet.read offline.access");
    let step = public().refresh(&set).unwrap();
    let request = step.request();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "https://api.x.com/2/oauth2/token");
    assert_eq!(
        header(request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.headers().len(), 1);
    assert_eq!(
        body(request),
        format!("refresh_token={REFRESH}&grant_type=refresh_token&client_id={PUBLIC_ID}")
    );
    assert_eq!(step.replay(), Replay::Never);

    let step = confidential().refresh(&set).unwrap();
    let request = step.request();
    assert_eq!(header(request, "authorization"), Some(CONFIDENTIAL_BASIC));
    assert_eq!(
        header(request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.headers().len(), 2);
    assert_eq!(
        body(request),
        format!("refresh_token={REFRESH}&grant_type=refresh_token")
    );
}

#[test]
fn refresh_yields_the_rotated_set() {
    let set = refreshable("tweet.read offline.access");
    let later = at(T0 + 7000);
    let finish = |text: &str| {
        public()
            .refresh(&set)
            .unwrap()
            .finish(later, respond(200, text))
    };

    let new = finish(r#"{"token_type":"bearer","expires_in":7200,"access_token":"new-at","scope":"tweet.read offline.access","refresh_token":"new-rt"}"#).unwrap();
    assert_eq!(new.access_token().secret(), "new-at");
    assert_eq!(new.refresh_token().unwrap().secret(), "new-rt");
    assert_eq!(
        new.expires_at(),
        Some(crate::support::secs(T0 + 7000 + 7200))
    );

    // No scope: unchanged. No refresh_token (or an empty one): the old one is kept (RFC 6749
    // §6), so a token is never lost.
    for text in [
        r#"{"token_type":"bearer","expires_in":7200,"access_token":"new-at"}"#,
        r#"{"token_type":"bearer","expires_in":7200,"access_token":"new-at","refresh_token":""}"#,
    ] {
        let new = finish(text).unwrap();
        assert_eq!(new.scopes(), set.scopes());
        assert_eq!(
            new.refresh_token().map(|t| t.secret().to_owned()),
            set.refresh_token().map(|t| t.secret().to_owned())
        );
    }

    let e = finish(r#"{"token_type":"mac","access_token":"x"}"#).unwrap_err();
    assert!(matches!(e, Error::NotBearer));
    let e = public().refresh(&set)
        .unwrap()
        .finish(later, respond(400, r#"{"error":"invalid_request","error_description":"Value passed for the token was invalid."}"#))
        .unwrap_err();
    assert!(matches!(&e, Error::OAuth2 { status: 400, .. }), "{e:?}");
}

#[test]
fn refresh_without_a_refresh_token_is_refused() {
    let set = tokens(WITHOUT_OFFLINE);
    assert!(matches!(public().refresh(&set), Err(Error::NoRefreshToken)));
}

// ---- revoke -----------------------------------------------------------------------------------

#[test]
fn revoke_requests_carry_the_type_hint() {
    let access = AccessToken::new(ACCESS);
    let refresh = RefreshToken::new(REFRESH);
    for (token, expected) in [
        (
            RevokeToken::Access(&access),
            format!("token={ACCESS}&token_type_hint=access_token"),
        ),
        (
            RevokeToken::Refresh(&refresh),
            format!("token={REFRESH}&token_type_hint=refresh_token"),
        ),
    ] {
        let step = public().revoke(token).unwrap();
        let request = step.request();
        assert_eq!(request.method(), http::Method::POST);
        assert_eq!(request.uri(), "https://api.x.com/2/oauth2/revoke");
        assert_eq!(
            header(request, "content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(request.headers().len(), 1);
        assert_eq!(body(request), format!("{expected}&client_id={PUBLIC_ID}"));
        assert_eq!(step.replay(), Replay::Safe);

        let step = confidential().revoke(token).unwrap();
        assert_eq!(
            header(step.request(), "authorization"),
            Some(CONFIDENTIAL_BASIC)
        );
        assert_eq!(step.request().headers().len(), 2);
        assert_eq!(body(step.request()), expected);
    }
}

#[test]
fn revoke_answers() {
    let access = AccessToken::new(ACCESS);
    let finish = |status: u16, text: &str| {
        public()
            .revoke(RevokeToken::Access(&access))
            .unwrap()
            .finish(now(), respond(status, text))
    };
    for ok in [
        r#"{"revoked":true}"#,
        "{}",
        "",
        "not json",
        r#"{"revoked":"yes"}"#,
    ] {
        finish(200, ok).unwrap_or_else(|e| panic!("{ok}: {e:?}"));
    }
    assert!(matches!(
        finish(200, r#"{"revoked":false}"#),
        Err(Error::Malformed { .. })
    ));
    let e = finish(400, r#"{"error":"invalid_request","error_description":"Missing required parameter [token_type_hint]."}"#).unwrap_err();
    assert!(matches!(&e, Error::OAuth2 { status: 400, .. }));
    assert!(e.hint().unwrap().contains("token_type_hint"));
    let e = finish(401, UNAUTHORIZED_CLIENT).unwrap_err();
    assert!(matches!(&e, Error::OAuth2 { status: 401, .. }));
    assert!(matches!(
        finish(500, ""),
        Err(Error::UnexpectedStatus { status: 500 })
    ));
}

// ---- /2/users/me ------------------------------------------------------------------------------

#[test]
fn users_me_sends_the_bearer_and_reads_data() {
    let set = tokens(WITH_OFFLINE);
    let step = public().users_me(&set).unwrap();
    let request = step.request();
    assert_eq!(request.method(), http::Method::GET);
    assert_eq!(request.uri(), "https://api.x.com/2/users/me");
    assert_eq!(header(request, "authorization"), Some("Bearer a...E"));
    assert!(request.headers()["authorization"].is_sensitive());
    assert_eq!(request.headers().len(), 1);
    assert!(request.body().is_empty());
    assert_eq!(step.replay(), Replay::Safe);

    let response = http::Response::builder()
        .status(200)
        .header("date", "Fri, 07 Jan 2022 08:05:56 UTC")
        .header("x-rate-limit-remaining", "74")
        .body(USERS_ME.as_bytes().to_vec())
        .unwrap();
    let user = step.finish(now(), response).unwrap();
    assert_eq!(
        user,
        User {
            id: UserId::new("1072250532645998596"),
            username: "TweepyDev".into(),
            name: "Tweepy Testing".into()
        }
    );
}

#[test]
fn users_me_errors_are_typed() {
    let set = tokens(WITH_OFFLINE);
    let finish = |status: u16, text: &str| {
        public()
            .users_me(&set)
            .unwrap()
            .finish(now(), respond(status, text))
    };
    assert_eq!(
        finish(
            401,
            r#"{"errors":[{"message":"Invalid or expired token","code":89}]}"#
        )
        .unwrap_err()
        .x_codes(),
        [89]
    );
    let e = finish(
        403,
        r#"{"title":"Unsupported Authentication","detail":"Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.","type":"https://api.twitter.com/2/problems/unsupported-authentication","status":403}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Problem { status: 403, problem } if problem.name() == "unsupported-authentication")
    );
    for text in [
        "",
        "{}",
        r#"{"data":{"id":"1"}}"#,
        r#"{"data":null}"#,
        r#"{"errors":[{"title":"x"}]}"#,
    ] {
        assert!(
            matches!(finish(200, text), Err(Error::Malformed { .. })),
            "{text}"
        );
    }
}

// ---- scopes -----------------------------------------------------------------------------------

#[test]
fn scopes_parse_render_and_serialize_as_the_wire_string() {
    let all = "tweet.read tweet.write tweet.moderate.write users.email users.read follows.read follows.write \
               offline.access space.read mute.read mute.write like.read like.write list.read list.write \
               block.read block.write bookmark.read bookmark.write dm.read dm.write media.write \
               broadcast.read broadcast.write timeline.read";
    let parsed = Scopes::parse(all);
    assert_eq!(parsed.len(), 25);
    assert!(parsed.iter().all(|s| !matches!(s, Scope::Other(_))));
    assert_eq!(parsed.to_string(), all);
    assert_eq!(Scope::KNOWN.len(), 25);

    let granted = Scopes::parse(" offline.access\ttweet.read tweet.read ads.read ");
    assert_eq!(granted.to_string(), "tweet.read offline.access ads.read");
    assert!(granted.contains(&Scope::Other("ads.read".into())));
    assert!(Scopes::from([Scope::TweetRead]).is_subset(&granted));
    assert_eq!(
        serde_json::to_string(&granted).unwrap(),
        r#""tweet.read offline.access ads.read""#
    );
    assert_eq!(
        serde_json::from_str::<Scopes>(r#""ads.read offline.access tweet.read""#).unwrap(),
        granted
    );
    assert_eq!(
        serde_json::to_string(&Scope::DmWrite).unwrap(),
        r#""dm.write""#
    );
    assert_eq!("like.read".parse::<Scope>().unwrap(), Scope::LikeRead);
    assert!(Scopes::parse("   ").is_empty());
}

// ---- secrets ----------------------------------------------------------------------------------

#[test]
fn no_secret_reaches_debug_output() {
    let (_, pending, verifier, state) = start(&confidential(), 21);
    let code = start(&confidential(), 21)
        .1
        .on_callback(&callback(&state), now())
        .unwrap();
    let code_text = format!("{code:?}");
    let exchange = confidential().exchange(code).unwrap();
    let set = refreshable("offline.access");
    let texts = [
        format!("{pending:?}"),
        code_text,
        format!("{exchange:?}"),
        format!("{set:?}"),
        format!("{:?}", confidential()),
        format!("{:?}", confidential().refresh(&set).unwrap()),
        format!(
            "{:?}",
            public()
                .revoke(RevokeToken::Access(set.access_token()))
                .unwrap()
        ),
        format!("{:?}", public().users_me(&set).unwrap()),
        format!("{:?}", set.authorization_header()),
    ];
    for text in texts {
        for secret in [
            verifier.secret(),
            state.secret(),
            CODE,
            CONFIDENTIAL_SECRET,
            ACCESS,
            REFRESH,
            "V1ROclFTMTRi",
        ] {
            assert!(!text.contains(secret), "{text} leaks a secret");
        }
    }
}

// ---- properties -------------------------------------------------------------------------------

fn any_response() -> impl Strategy<Value = (u16, Vec<u8>)> {
    let json_values = prop_oneof![
        Just("null".to_owned()),
        Just("7200".to_owned()),
        Just("-1".to_owned()),
        Just("1e300".to_owned()),
        Just("\"7200\"".to_owned()),
        "[ -~]{0,20}".prop_map(|s| format!("{s:?}")),
    ];
    let token_json = (json_values.clone(), json_values.clone(), json_values.clone(), json_values).prop_map(
        |(token_type, access, scope, expires)| {
            format!(r#"{{"token_type":{token_type},"access_token":{access},"scope":{scope},"expires_in":{expires},"refresh_token":"r"}}"#)
                .into_bytes()
        },
    );
    let bytes = prop_oneof![proptest::collection::vec(any::<u8>(), 0..300), token_json];
    (
        prop_oneof![Just(200u16), Just(400), Just(401), 100u16..600],
        bytes,
    )
}

proptest! {
    #[test]
    fn response_parsers_never_panic((status, bytes) in any_response()) {
        let response = || http::Response::builder().status(status).body(bytes.clone()).unwrap();
        let (code, _) = authorized(&public());
        if let Ok(set) = public().exchange(code).unwrap().finish(now(), response()) {
            prop_assert!((200..300).contains(&status));
            prop_assert!(set.authorization_header().to_str().is_ok());
        }
        let set = refreshable("tweet.read");
        let _ = public().refresh(&set).unwrap().finish(now(), response());
        let _ = public().revoke(RevokeToken::Access(set.access_token())).unwrap().finish(now(), response());
        let _ = public().users_me(&set).unwrap().finish(now(), response());
        let _ = serde_json::from_slice::<TokenSet>(&bytes);
        let _ = serde_json::from_slice::<PendingLogin>(&bytes);
    }

    #[test]
    fn callback_parsers_never_panic(callback in prop_oneof![
        ".{0,200}",
        "[?&=#/:a-z%0-9A-F+]{0,80}",
        "(state|code|error|error_description)=[^&]{0,20}(&(state|code|error)=[^&]{0,20}){0,4}",
    ], secs in T0 - 10..T0 + 1000) {
        let (_, pending, _, _) = start(&public(), 77);
        let _ = pending.matches(&callback);
        let _ = callback_state(&callback);
        // Forged callbacks never yield a code: they cannot know the state.
        let result = pending.on_callback(&callback, at(secs));
        prop_assert!(result.is_err());
    }

    #[test]
    fn a_stored_pending_login_builds_the_same_exchange(
        seed in any::<u64>(),
        confidential_client in any::<bool>(),
        lifetime in 1u64..100_000,
        scope_list in proptest::collection::vec("[a-z.]{1,12}", 1..6),
        redirect_path in "[a-zA-Z0-9/ _~%-]{0,30}",
        code in "[ -~]{1,60}",
    ) {
        let client = if confidential_client { confidential() } else { public() };
        let redirect = format!("http://127.0.0.1:8080/{redirect_path}");
        let (_, pending) = client.authorize(&redirect, Scopes::parse(&scope_list.join(" ")))
            .unwrap()
            .lifetime(Duration::from_secs(lifetime))
            .start(now(), &mut StdRng::seed_from_u64(seed));
        let stored = serde_json::to_string(&pending).unwrap();
        let restored: PendingLogin = serde_json::from_str(&stored).unwrap();
        prop_assert_eq!(serde_json::to_string(&restored).unwrap(), stored);
        prop_assert_eq!(restored.expires_at(), pending.expires_at());

        let callback = format!(
            "?state={}&code={}",
            pending.state().secret(),
            url::form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>()
        );
        let exchange = |p: PendingLogin| {
            client.exchange(p.on_callback(&callback, now()).unwrap()).unwrap()
        };
        let (a, b) = (exchange(pending), exchange(restored));
        let (a, b) = (a.request(), b.request());
        prop_assert_eq!(a.method(), b.method());
        prop_assert_eq!(a.uri(), b.uri());
        prop_assert_eq!(a.headers(), b.headers());
        prop_assert_eq!(a.body(), b.body());
        let form: Vec<(String, String)> = url::form_urlencoded::parse(a.body()).into_owned().collect();
        prop_assert_eq!(&form[0], &("code".to_owned(), code));
        prop_assert_eq!(&form[2], &("redirect_uri".to_owned(), redirect));
    }

    #[test]
    fn scopes_render_and_parse_back_to_themselves(names in proptest::collection::vec("[!-~]{1,15}", 0..10)) {
        let scopes: Scopes = names.iter().map(|n| Scope::parse(n)).collect();
        prop_assert_eq!(&Scopes::parse(&scopes.to_string()), &scopes);
        let json = serde_json::to_string(&scopes).unwrap();
        prop_assert_eq!(serde_json::from_str::<Scopes>(&json).unwrap(), scopes);
    }
}
