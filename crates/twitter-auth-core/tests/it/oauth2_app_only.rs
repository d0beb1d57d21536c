//! oauth2_app_only flow tests: app-only bearer tokens (contract §3), every request checked byte
//! for byte against X's docs and every answer shape X is known to send.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use twitter_auth_core::oauth1;
use twitter_auth_core::oauth1_sign::{
    AuthorizationHeader, ConsumerKey, ConsumerSecret, Request, Token, TokenCredentials,
    TokenSecret, generate_nonce,
};
use twitter_auth_core::oauth2::AppOnlyBearer;
use twitter_auth_core::{
    BearerToken, Endpoints, Error, ErrorKind, Exchange, HttpRequest, HttpResponse, Replay,
};

// X's application-only guide (vectors/oauth2-client-auth.json, x-wire-samples.json).
const KEY: &str = "xvz1evFS4wEEPTGEFPHBog";
const SECRET: &str = "L8qq9PZyRg6ieKGEKhZolGC0vJWLw8iEJ88DRdyOg";
const BASIC: &str = "Basic eHZ6MWV2RlM0d0VFUFRHRUZQSEJvZzpMOHFxOVBaeVJnNmllS0dFS2hab2xHQzB2SldMdzhpRUo4OERSZHlPZw==";
const TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%2FAAAAAAAAAAAAAAAAAAAA%3DAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const TOKEN_RESPONSE: &str = r#"{"token_type":"bearer","access_token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%2FAAAAAAAAAAAAAAAAAAAA%3DAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#;
const ERROR_99: &str = r#"{"errors":[{"code":99,"label":"authenticity_token_error","message":"Unable to verify your credentials"}]}"#;
/// The API reference's example token, sent "already percent-encoded as it was received".
const SHORT_TOKEN: &str = "AAAA%2FAAA%3DAAAAAAAA";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn app() -> oauth1::App {
    oauth1::App::new(ConsumerKey::new(KEY), ConsumerSecret::new(SECRET))
}

fn bearer(token: &str) -> AppOnlyBearer {
    AppOnlyBearer::new(BearerToken::new(token)).unwrap()
}

fn respond(status: u16, body: &str) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request.headers().get(name).map(|v| v.to_str().unwrap())
}

// ---- obtain ---------------------------------------------------------------------------------

#[test]
fn obtain_sends_exactly_what_x_documents() {
    let step = app().obtain_bearer().unwrap();
    let request = step.request();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "https://api.x.com/oauth2/token");
    assert_eq!(header(request, "authorization"), Some(BASIC));
    assert!(request.headers()["authorization"].is_sensitive());
    assert_eq!(
        header(request, "content-type"),
        Some("application/x-www-form-urlencoded;charset=UTF-8")
    );
    assert_eq!(request.headers().len(), 2);
    assert_eq!(request.body(), b"grant_type=client_credentials");
    assert_eq!(step.replay(), Replay::Safe);
}

#[test]
fn obtain_follows_overridden_endpoints() {
    let local = Endpoints::local("http://127.0.0.1:8080").unwrap();
    assert_eq!(
        app()
            .with_endpoints(local)
            .obtain_bearer()
            .unwrap()
            .request()
            .uri(),
        "http://127.0.0.1:8080/oauth2/token"
    );
    let proxy = Endpoints::x().with_api("https://proxy.example/x/").unwrap();
    assert_eq!(
        app()
            .with_endpoints(proxy)
            .obtain_bearer()
            .unwrap()
            .request()
            .uri(),
        "https://proxy.example/x/oauth2/token"
    );
}

#[test]
fn basic_credentials_are_url_encoded_before_joining() {
    // X's keys are unchanged by RFC 1738 encoding; anything else is encoded once.
    let app = oauth1::App::new(ConsumerKey::new("k:y"), ConsumerSecret::new("s e/c"));
    let step = app.obtain_bearer().unwrap();
    let value = header(step.request(), "authorization").unwrap();
    let decoded = base64_decode(value.strip_prefix("Basic ").unwrap());
    assert_eq!(decoded, "k%3Ay:s%20e%2Fc");
}

fn base64_decode(text: &str) -> String {
    use base64::Engine as _;
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn the_token_is_used_verbatim() {
    let bearer = app()
        .obtain_bearer()
        .unwrap()
        .finish(now(), respond(200, TOKEN_RESPONSE))
        .unwrap();
    assert_eq!(bearer.token().secret(), TOKEN);
    let value = bearer.authorization_header();
    assert_eq!(value, format!("Bearer {TOKEN}").as_str());
    assert!(value.is_sensitive());
}

#[test]
fn token_type_is_matched_case_insensitively() {
    for token_type in ["bearer", "Bearer", "BEARER"] {
        let body = format!(r#"{{"token_type":"{token_type}","access_token":"abc"}}"#);
        let bearer = app()
            .obtain_bearer()
            .unwrap()
            .finish(now(), respond(200, &body))
            .unwrap();
        assert_eq!(bearer.token().secret(), "abc");
    }
    for token_type in ["mac", "", "bearer ", "bearerx"] {
        let body = format!(r#"{{"token_type":"{token_type}","access_token":"abc"}}"#);
        let e = app()
            .obtain_bearer()
            .unwrap()
            .finish(now(), respond(200, &body))
            .unwrap_err();
        assert!(matches!(e, Error::NotBearer), "{token_type:?}: {e:?}");
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }
}

#[test]
fn malformed_token_answers_are_typed() {
    for body in [
        "",
        "not json",
        "oauth_token=a&oauth_token_secret=b",
        "[]",
        r#"{"access_token":"abc"}"#,
        r#"{"token_type":"bearer"}"#,
        r#"{"token_type":"bearer","access_token":""}"#,
        r#"{"token_type":"bearer","access_token":"a b"}"#,
        r#"{"token_type":"bearer","access_token":"a\nb"}"#,
        r#"{"token_type":"bearer","access_token":12}"#,
        r#"{"token_type":1,"access_token":"abc"}"#,
    ] {
        let e = app()
            .obtain_bearer()
            .unwrap()
            .finish(now(), respond(200, body))
            .unwrap_err();
        assert!(matches!(e, Error::Malformed { .. }), "{body}: {e:?}");
    }
}

#[test]
fn error_statuses_carry_each_x_error_shape() {
    let finish = |status, body| {
        app()
            .obtain_bearer()
            .unwrap()
            .finish(now(), respond(status, body))
            .unwrap_err()
    };

    let e = finish(403, ERROR_99);
    assert!(matches!(&e, Error::X { status: 403, .. }), "{e:?}");
    assert_eq!(e.x_codes(), [99]);
    assert!(e.hint().unwrap().contains("app-only credentials"));

    let e = finish(
        401,
        r#"{"error":"invalid_client","error_description":"bad"}"#,
    );
    assert!(
        matches!(&e, Error::OAuth2 { status: 401, error } if error.error == "invalid_client"),
        "{e:?}"
    );

    let e = finish(
        403,
        r#"{"title":"Client Forbidden","type":"https://api.x.com/2/problems/client-forbidden","reason":"client-not-enrolled"}"#,
    );
    assert!(
        matches!(&e, Error::Problem { status: 403, problem } if problem.name() == "client-forbidden"),
        "{e:?}"
    );

    let e = finish(
        429,
        r#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#,
    );
    assert_eq!(e.x_codes(), [88]);

    // A success body with an error status is still an error, and nothing else is guessed.
    assert!(matches!(
        finish(500, TOKEN_RESPONSE),
        Error::UnexpectedStatus { status: 500 }
    ));
    assert!(matches!(
        finish(503, "<html>"),
        Error::UnexpectedStatus { status: 503 }
    ));
}

// ---- the bearer value -------------------------------------------------------------------------

#[test]
fn ready_made_bearers_are_checked() {
    assert_eq!(
        bearer(SHORT_TOKEN).authorization_header(),
        "Bearer AAAA%2FAAA%3DAAAAAAAA"
    );
    for bad in ["", "a b", "tab\there", "naïve", "new\nline"] {
        assert!(
            matches!(
                AppOnlyBearer::new(BearerToken::new(bad)),
                Err(Error::InvalidToken)
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn bearers_round_trip_through_serde_and_are_checked_on_the_way_back() {
    let stored = serde_json::to_string(&bearer(SHORT_TOKEN)).unwrap();
    assert_eq!(stored, format!("\"{SHORT_TOKEN}\""));
    let back: AppOnlyBearer = serde_json::from_str(&stored).unwrap();
    assert_eq!(back.token().secret(), SHORT_TOKEN);
    assert!(serde_json::from_str::<AppOnlyBearer>("\"a b\"").is_err());
    assert!(serde_json::from_str::<AppOnlyBearer>("\"\"").is_err());
}

// ---- invalidate, Basic variant (application-only guide) ---------------------------------------

#[test]
fn invalidate_basic_sends_the_guides_request() {
    let step = app().invalidate_bearer_basic(&bearer(TOKEN)).unwrap();
    let request = step.request();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "https://api.x.com/oauth2/invalidate_token");
    assert_eq!(header(request, "authorization"), Some(BASIC));
    assert!(request.headers()["authorization"].is_sensitive());
    assert_eq!(
        header(request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.headers().len(), 2);
    // Sent as issued, form-encoded once more: the literal `%2F` goes out as `%252F`.
    let expected = format!("access_token={}", TOKEN.replace('%', "%25"));
    assert_eq!(request.body(), expected.as_bytes());
    assert_eq!(step.replay(), Replay::Safe);
}

#[test]
fn invalidate_accepts_the_echo_of_the_token_sent() {
    let finish = |body: &str| {
        app()
            .invalidate_bearer_basic(&bearer(SHORT_TOKEN))
            .unwrap()
            .finish(now(), respond(200, body))
    };
    // As X's docs show it, and percent-decoded once.
    finish(r#"{"access_token":"AAAA%2FAAA%3DAAAAAAAA"}"#).unwrap();
    finish(r#"{"access_token":"AAAA/AAA=AAAAAAAA"}"#).unwrap();
    for body in [
        r#"{"access_token":"BBBB%2FAAA%3DAAAAAAAA"}"#,
        r#"{"access_token":"AAAA%2FAAA%3DAAAAAAA"}"#,
        r#"{"access_token":""}"#,
        r#"{}"#,
        r#"{"access_token":null}"#,
        "",
        "access_token=AAAA%2FAAA%3DAAAAAAAA",
    ] {
        assert!(
            matches!(finish(body), Err(Error::Malformed { .. })),
            "{body}"
        );
    }
    // An error list under a 200 is not an echo.
    assert!(matches!(finish(ERROR_99), Err(Error::Malformed { .. })));
    let e = app()
        .invalidate_bearer_basic(&bearer(SHORT_TOKEN))
        .unwrap()
        .finish(now(), respond(403, ERROR_99))
        .unwrap_err();
    assert_eq!(e.x_codes(), [99]);
    let e = app()
        .invalidate_bearer_basic(&bearer(SHORT_TOKEN))
        .unwrap()
        .finish(
            now(),
            respond(
                401,
                r#"{"errors":[{"code":89,"message":"Invalid or expired token."}]}"#,
            ),
        )
        .unwrap_err();
    assert_eq!(e.x_codes(), [89]);
}

// ---- invalidate, OAuth 1.0a variant (API reference) -------------------------------------------

#[test]
fn invalidate_signed_is_signed_by_the_app_owner() {
    let owner = TokenCredentials::new(
        Token::new("6253282-owner"),
        TokenSecret::new("owner-secret"),
    );
    let step = app()
        .invalidate_bearer_signed(
            &bearer(SHORT_TOKEN),
            &owner,
            now(),
            &mut StdRng::seed_from_u64(123),
        )
        .unwrap();
    // Signed: a retry must carry a new nonce and timestamp; the Basic variant may repeat.
    assert_eq!(step.replay(), Replay::Resign);
    let basic = app().invalidate_bearer_basic(&bearer(SHORT_TOKEN)).unwrap();
    assert_eq!(basic.replay(), Replay::Safe);
    let request = step.request();
    assert_eq!(request.method(), http::Method::POST);
    let url = "https://api.x.com/oauth2/invalidate_token?access_token=AAAA%252FAAA%253DAAAAAAAA";
    assert_eq!(request.uri(), url);
    assert!(request.body().is_empty());
    assert_eq!(request.headers().len(), 1);
    assert!(request.headers()["authorization"].is_sensitive());

    let value = header(request, "authorization").unwrap();
    let parsed = AuthorizationHeader::parse(value).unwrap();
    assert_eq!(parsed.consumer_key(), Some(KEY));
    assert_eq!(parsed.token(), Some("6253282-owner"));
    // The nonce is the one drawn from the caller's RNG.
    let nonce = generate_nonce(&mut StdRng::seed_from_u64(123));
    assert!(!nonce.is_empty());
    assert_eq!(parsed.nonce(), Some(nonce.as_str()));
    assert_eq!(parsed.timestamp().unwrap(), 1_700_000_000);
    assert_eq!(parsed.get("oauth_signature_method"), Some("HMAC-SHA1"));
    assert_eq!(parsed.get("oauth_version"), Some("1.0"));
    // The signature covers the query as sent, with the owner's token secret.
    let signed = Request::new("POST", url);
    parsed
        .verify(
            &signed,
            &ConsumerSecret::new(SECRET),
            Some(&TokenSecret::new("owner-secret")),
        )
        .unwrap();
    assert!(
        parsed
            .verify(
                &signed,
                &ConsumerSecret::new(SECRET),
                Some(&TokenSecret::new("other"))
            )
            .is_err()
    );

    step.finish(
        now(),
        respond(200, r#"{"access_token":"AAAA%2FAAA%3DAAAAAAAA"}"#),
    )
    .unwrap();
}

// ---- secrets ----------------------------------------------------------------------------------

#[test]
fn no_secret_reaches_debug_output() {
    let owner = TokenCredentials::new(Token::new("owner"), TokenSecret::new("owner-secret"));
    let app = app();
    let b = bearer(TOKEN);
    let texts = [
        format!("{app:?}"),
        format!("{b:?}"),
        format!("{:?}", app.obtain_bearer().unwrap()),
        format!("{:?}", app.invalidate_bearer_basic(&b).unwrap()),
        format!(
            "{:?}",
            app.invalidate_bearer_signed(&b, &owner, now(), &mut StdRng::seed_from_u64(9))
                .unwrap()
        ),
        format!("{:?}", b.authorization_header()),
    ];
    for text in texts {
        for secret in [SECRET, TOKEN, "AAAA%252F", "owner-secret", "eHZ6MWV2"] {
            assert!(!text.contains(secret), "{text} leaks {secret}");
        }
    }
}

// ---- totality ---------------------------------------------------------------------------------

fn any_status() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), Just(401), Just(403), 100u16..600]
}

fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        "[ -~]{0,80}".prop_map(
            |s| format!(r#"{{"token_type":"bearer","access_token":"{s}"}}"#).into_bytes()
        ),
        "[ -~]{0,80}".prop_map(|s| format!(r#"{{"access_token":"{s}"}}"#).into_bytes()),
        "[ -~]{0,80}"
            .prop_map(|s| format!(r#"{{"errors":[{{"code":99,"message":"{s}"}}]}}"#).into_bytes()),
    ]
}

proptest! {
    #[test]
    fn answers_never_panic(status in any_status(), body in any_body()) {
        let response = || http::Response::builder().status(status).body(body.clone()).unwrap();
        let ok = app().obtain_bearer().unwrap().finish(now(), response());
        if let Ok(bearer) = &ok {
            prop_assert!((200..300).contains(&status));
            prop_assert!(bearer.authorization_header().to_str().is_ok());
        }
        let _ = app().invalidate_bearer_basic(&bearer(SHORT_TOKEN)).unwrap().finish(now(), response());
    }

    #[test]
    fn any_header_safe_token_makes_a_bearer(token in "[!-~]{1,200}") {
        let b = AppOnlyBearer::new(BearerToken::new(token.clone())).unwrap();
        let expected = format!("Bearer {token}");
        prop_assert_eq!(b.authorization_header(), expected.as_str());
        let step = app().invalidate_bearer_basic(&b).unwrap();
        let body = String::from_utf8(step.request().body().clone()).unwrap();
        let sent: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        prop_assert_eq!(sent, vec![("access_token".to_owned(), token)]);
    }
}
