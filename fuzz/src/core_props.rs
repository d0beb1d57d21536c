//! Properties of `twitter-auth-core`: every `Exchange::finish` on arbitrary answers, the
//! answer parsers beside them (errors, dates, rate limits, the retry decision), and the two
//! callback parsers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::twitter_auth_core::oauth1::{self, Callback, RequestToken, UserCredentials};
use ::twitter_auth_core::oauth1_sign::rand_core::{CryptoRng, RngCore};
use ::twitter_auth_core::oauth1_sign::{
    ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use ::twitter_auth_core::oauth2::{
    self, AppOnlyBearer, PendingLogin, RevokeToken, Scopes, TokenSet,
};
use ::twitter_auth_core::rate_limit::RateLimit;
use ::twitter_auth_core::retry::{Decision, Outcome, RetryPolicy};
use ::twitter_auth_core::skew::{ClockSkew, response_date};
use ::twitter_auth_core::{
    AccessToken, BearerToken, ClientId, Endpoints, Error, Exchange, HttpResponse, RefreshToken,
    Replay, error_from_response, http, url,
};

use super::input::{lines, message, text};

/// The instant every exchange is built and finished at.
const NOW_SECS: u64 = 1_700_000_000;
/// The request token the canned `oauth/request_token` answer hands out.
pub const REQUEST_TOKEN: &str = "fuzzRequestToken0000000001";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_SECS)
}

fn endpoints() -> Endpoints {
    Endpoints::local("http://127.0.0.1:1").expect("a loopback base")
}

fn app() -> oauth1::App {
    oauth1::App::new(
        ConsumerKey::new("fuzzConsumerKey"),
        ConsumerSecret::new("fuzzConsumerSecret"),
    )
    .with_endpoints(endpoints())
}

fn user_token() -> TokenCredentials {
    TokenCredentials::new(
        Token::new("1-fuzzAccessToken"),
        TokenSecret::new("fuzzAccessTokenSecret"),
    )
}

fn client() -> oauth2::App {
    oauth2::App::public(ClientId::new("ZnV6ekNsaWVudDoxOmNp")).with_endpoints(endpoints())
}

fn tokens() -> TokenSet {
    TokenSet::from_parts(
        AccessToken::new("ZnV6ekFjY2Vzczox"),
        Some(RefreshToken::new("ZnV6elJlZnJlc2g6MQ")),
        Scopes::parse("tweet.read users.read offline.access"),
        None,
    )
    .expect("a valid token set")
}

fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.to_vec()).expect("a valid response")
}

/// A pending OAuth 1.0a login, from the canned answer X gives `oauth/request_token`.
fn pending_oauth1() -> oauth1::PendingLogin {
    let exchange = app()
        .request_token(
            Callback::url("http://127.0.0.1:8765/callback").expect("a URL"),
            now(),
            &mut Counter(1),
        )
        .expect("a request");
    let body = format!(
        "oauth_token={REQUEST_TOKEN}&oauth_token_secret=fuzzRequestSecret&oauth_callback_confirmed=true"
    );
    exchange
        .finish(now(), response(200, &[], body.as_bytes()))
        .expect("the canned answer is accepted")
}

/// A deterministic RNG, so a pending PKCE login (and every nonce) is the same on every run.
struct Counter(u64);

impl RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        u32::try_from(self.next_u64() >> 32).unwrap_or_default()
    }

    fn next_u64(&mut self) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

impl CryptoRng for Counter {}

fn pending_pkce() -> PendingLogin {
    let scopes = Scopes::parse("tweet.read users.read offline.access");
    let request = client()
        .authorize("http://127.0.0.1:8765/callback", scopes)
        .expect("a valid authorize request");
    request.start(now(), &mut Counter(16)).1
}

/// The body as JSON, if it is JSON. Read lossily: serde skips the fields a type ignores
/// without checking their UTF-8, so the core may read a body whose other fields are not UTF-8.
fn json(body: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_str(&String::from_utf8_lossy(body)).ok()
}

/// An HTTP-like answer: `STATUS` on the first line, header lines, an empty line, the body.
///
/// Every exchange of the core finishes it without panicking. A status outside 2xx is never
/// a success. A success means what X's answer says: the token set holds the body's
/// `access_token`, a bearer is a `bearer`, a request token was confirmed, a user is the
/// body's. Beside them: the error classification, the date parser (its output formats and
/// parses back), the rate-limit reading and the retry decision (a 2xx is accepted) never panic.
pub fn finish(data: &[u8]) {
    let m = message(data);
    let status = text(m.start).trim().parse::<u16>().unwrap_or(200);
    let Ok(probe) = http::StatusCode::from_u16(status) else {
        return;
    };
    let headers: Vec<(String, String)> = m
        .headers
        .iter()
        .map(|(n, v)| (text(n).into_owned(), text(v).into_owned()))
        .filter(|(n, v)| {
            http::HeaderName::try_from(n.as_str()).is_ok()
                && http::HeaderValue::try_from(v.as_str()).is_ok()
        })
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let answer = || response(status, &headers, m.body);
    let success = probe.is_success();
    let body = json(m.body);
    let field = |name: &str| {
        body.as_ref()
            .and_then(|b| b.get(name))
            .and_then(|v| v.as_str())
    };
    let refused = |what: &str, ok: bool| {
        assert!(success || !ok, "{what}: a {status} was taken for a success");
    };

    // OAuth 1.0a.
    let app = app();
    let exchange = app
        .request_token(RequestToken::new(Callback::oob()), now(), &mut Counter(2))
        .expect("a request");
    let result = exchange.finish(now(), answer());
    refused("request token", result.is_ok());
    if let Ok(pending) = result {
        let form: Vec<(String, String)> =
            url::form_urlencoded::parse(m.body).into_owned().collect();
        let confirmed = form
            .iter()
            .any(|(k, v)| k == "oauth_callback_confirmed" && v == "true");
        assert!(confirmed, "a request token X did not confirm");
        let token = form
            .iter()
            .find(|(k, _)| k == "oauth_token")
            .map(|(_, v)| v.as_str());
        assert_eq!(Some(pending.request_token().as_str()), token);
    }
    if let Ok(verified) = pending_oauth1().with_pin("1234567", now()) {
        let exchange = app
            .access_token(verified, now(), &mut Counter(3))
            .expect("a request");
        let result: Result<UserCredentials, Error> = exchange.finish(now(), answer());
        refused("access token", result.is_ok());
    }
    let signer = app.signer(&user_token());
    let exchange = app
        .verify_credentials(&signer, now(), &mut Counter(4))
        .expect("a request");
    let result = exchange.finish(now(), answer());
    refused("verify credentials", result.is_ok());
    if let Ok(user) = result {
        let id = field("id_str");
        assert_eq!(Some(user.id.as_str()), id, "a user that is not the body's");
    }
    let exchange = app
        .invalidate_token(&user_token(), now(), &mut Counter(5))
        .expect("a request");
    refused("invalidate token", exchange.finish(now(), answer()).is_ok());

    // OAuth 2.0 app-only.
    let app_only = oauth1::App::new(
        ConsumerKey::new("fuzzConsumerKey"),
        ConsumerSecret::new("s"),
    )
    .with_endpoints(endpoints());
    let exchange = app_only.obtain_bearer().expect("a request");
    let result = exchange.finish(now(), answer());
    refused("bearer", result.is_ok());
    if result.is_ok() {
        let kind = field("token_type").unwrap_or_default();
        assert!(
            kind.eq_ignore_ascii_case("bearer"),
            "a {kind:?} token taken for a bearer"
        );
    }
    let bearer = AppOnlyBearer::new(BearerToken::new("AAAA%2Ffuzz%3D")).expect("a bearer");
    let exchange = app_only
        .invalidate_bearer_basic(&bearer)
        .expect("a request");
    refused(
        "invalidate bearer",
        exchange.finish(now(), answer()).is_ok(),
    );
    let exchange = app_only
        .invalidate_bearer_signed(&bearer, &user_token(), now(), &mut Counter(6))
        .expect("a request");
    refused(
        "invalidate bearer (signed)",
        exchange.finish(now(), answer()).is_ok(),
    );

    // OAuth 2.0 user context.
    let state = pending_pkce().state().secret().to_owned();
    let callback = format!("http://127.0.0.1:8765/callback?state={state}&code=fuzzCode");
    let client = client();
    if let Ok(code) = pending_pkce().on_callback(&callback, now()) {
        let exchange = client.exchange(code).expect("a request");
        let result = exchange.finish(now(), answer());
        refused("code exchange", result.is_ok());
        if let Ok(tokens) = result {
            assert_eq!(Some(tokens.access_token().secret()), field("access_token"));
        }
    } else {
        panic!("a pending login refuses its own callback");
    }
    let exchange = client.refresh(&tokens()).expect("a request");
    let result = exchange.finish(now(), answer());
    refused("refresh", result.is_ok());
    if let Ok(tokens) = result {
        assert_eq!(Some(tokens.access_token().secret()), field("access_token"));
    }
    let set = tokens();
    for token in [
        RevokeToken::Access(set.access_token()),
        RevokeToken::Refresh(set.refresh_token().expect("a refresh token")),
    ] {
        let exchange = client.revoke(token).expect("a request");
        refused("revoke", exchange.finish(now(), answer()).is_ok());
    }
    let exchange = client.users_me(&tokens()).expect("a request");
    let result = exchange.finish(now(), answer());
    refused("users/me", result.is_ok());
    if let Ok(user) = result {
        let id = body
            .as_ref()
            .and_then(|b| b.pointer("/data/id"))
            .and_then(|v| v.as_str());
        assert_eq!(Some(user.id.as_str()), id, "a user that is not the body's");
    }

    // The parsers beside the flows.
    let answer = answer();
    let _ = error_from_response(&answer);
    // A date the core reads is an HTTP date (year 9999 at most), and the skew is measured from it.
    let date = response_date(&answer);
    if let Some(at) = date {
        let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        assert!(secs <= 253_402_300_799, "{at:?} is past year 9999");
    }
    assert_eq!(
        ClockSkew::from_response(&answer, now()),
        date.map(|at| ClockSkew::between(at, now()))
    );
    if let Some(limit) = RateLimit::from_response(&answer, now()) {
        let _ = (limit.wait(now()), limit.exhausted(), limit.skew());
    }
    let policy = RetryPolicy::recommended();
    for replay in [Replay::Safe, Replay::Resign, Replay::Never, Replay::Once] {
        for attempt in [0, 1, 5] {
            let decision = policy.decide(replay, attempt, Outcome::Response(&answer), now(), 7);
            if success {
                assert!(
                    matches!(decision, Decision::Accept),
                    "a {status} retried: {decision:?}"
                );
            }
        }
    }
}

/// Lines: which login (`oauth1`, `pin`, anything else: PKCE), then the callback URL or PIN,
/// in which `{state}` stands for the pending PKCE login's state.
///
/// The parsers never panic; a callback is accepted only if it carries what the pending login
/// is waiting for: the request token and a verifier (OAuth 1.0a), the state and a code (PKCE).
pub fn callback(data: &[u8]) {
    let f = lines(data, 2);
    let (kind, input) = (text(f[0]), text(f[1]));
    match kind.as_ref() {
        "oauth1" => {
            if pending_oauth1().on_callback(&input, now()).is_ok() {
                let pairs = query_pairs(&input);
                assert!(
                    pairs
                        .iter()
                        .any(|(k, v)| k == "oauth_token" && v == REQUEST_TOKEN),
                    "accepted a callback for another request token: {input:?}"
                );
                assert!(
                    pairs
                        .iter()
                        .any(|(k, v)| k == "oauth_verifier" && !v.is_empty()),
                    "accepted a callback without a verifier: {input:?}"
                );
            }
        }
        "pin" => {
            if pending_oauth1().with_pin(&input, now()).is_ok() {
                assert!(!input.trim().is_empty(), "an empty PIN was accepted");
            }
        }
        _ => {
            let pending = pending_pkce();
            let state = pending.state().secret().to_owned();
            let input = input.replace("{state}", &state);
            let _ = ::twitter_auth_core::oauth2::callback_state(&input);
            let matches = pending.matches(&input);
            if pending.on_callback(&input, now()).is_ok() {
                assert!(matches, "accepted a callback `matches` refuses: {input:?}");
                let pairs = query_pairs(&input);
                assert!(
                    pairs.iter().any(|(k, v)| k == "state" && *v == state),
                    "accepted another login's state: {input:?}"
                );
                assert!(
                    pairs.iter().any(|(k, v)| k == "code" && !v.is_empty()),
                    "accepted a callback without a code: {input:?}"
                );
            }
        }
    }
}

/// Every pair the callback could be read to carry: as a URL's query, as what follows its first
/// `?`, or as a bare query string (the core accepts all three shapes), fragments left out. A
/// callback accepted without the right pairs under every reading is a finding; one read
/// another way than ours is not.
fn query_pairs(input: &str) -> Vec<(String, String)> {
    let input = input.trim();
    let without_fragment = |s: &str| s.split('#').next().unwrap_or_default().to_owned();
    let mut readings = vec![
        without_fragment(input.strip_prefix('?').unwrap_or(input)),
        without_fragment(input.split_once('?').map_or("", |(_, q)| q)),
    ];
    if let Ok(url) = url::Url::parse(input) {
        readings.push(url.query().unwrap_or_default().to_owned());
    }
    readings
        .iter()
        .flat_map(|query| url::form_urlencoded::parse(query.as_bytes()).into_owned())
        .collect()
}
