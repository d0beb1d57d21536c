//! `api`: authorizing API requests with each credential, and what an answer means for it.

use std::time::{Duration, UNIX_EPOCH};

use twitter_auth_core::api::{
    AfterAnswer, Credential, authorize_user, refused_access, replay_for, replay_for_bearer,
};
use twitter_auth_core::oauth1_sign::{
    AuthorizationHeader, ConsumerCredentials, ConsumerKey, ConsumerSecret, Request, Token,
    TokenCredentials, TokenSecret,
};
use twitter_auth_core::oauth2::{AppOnlyBearer, Scopes, TokenSet};
use twitter_auth_core::{AccessToken, BearerToken, RefreshToken, Replay};

use crate::support::rng;

const NOW: u64 = 1_700_000_000;

fn now() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn get(url: &str) -> http::Request<Vec<u8>> {
    http::Request::get(url).body(Vec::new()).expect("a request")
}

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.as_bytes().to_vec()).expect("a response")
}

fn consumer() -> ConsumerCredentials {
    ConsumerCredentials::new(ConsumerKey::new("ck"), ConsumerSecret::new("cs"))
}

fn token() -> TokenCredentials {
    TokenCredentials::new(Token::new("at"), TokenSecret::new("ats"))
}

fn user_tokens(refresh: bool, expires_in: Option<u64>) -> TokenSet {
    TokenSet::from_parts(
        AccessToken::new("access-1"),
        refresh.then(|| RefreshToken::new("refresh-1")),
        Scopes::parse("tweet.read users.read offline.access"),
        expires_in.map(|secs| now() + Duration::from_secs(secs)),
    )
    .expect("a valid token set")
}

#[test]
fn oauth1_signs_with_a_signature_the_verifier_accepts() {
    let credential =
        Credential::OAuth1(twitter_auth_core::oauth1::App::from(consumer()).signer(&token()));
    let mut request = get("https://api.x.com/2/users/me?user.fields=id");
    credential
        .authorize(&mut request, now(), &mut rng())
        .expect("signs");
    let header = request.headers()["authorization"].clone();
    assert!(header.is_sensitive());
    let parsed = AuthorizationHeader::parse(header.as_bytes()).expect("parses");
    assert_eq!(parsed.timestamp().expect("a timestamp"), NOW);
    parsed
        .verify(
            &Request::new("GET", "https://api.x.com/2/users/me?user.fields=id"),
            &ConsumerSecret::new("cs"),
            Some(&TokenSecret::new("ats")),
        )
        .expect("an independent verifier accepts the signature");
}

#[test]
fn bearers_go_verbatim_into_the_header() {
    let bearer = AppOnlyBearer::new(BearerToken::new("AAAA%2FAAA%3DAAAAAAAA")).expect("bearer");
    let mut request = get("https://api.x.com/2/tweets/20");
    Credential::AppOnly(bearer)
        .authorize(&mut request, now(), &mut rng())
        .expect("authorizes");
    assert_eq!(
        request.headers()["authorization"],
        "Bearer AAAA%2FAAA%3DAAAAAAAA"
    );

    let mut request = get("https://api.x.com/2/users/me");
    Credential::OAuth2(user_tokens(true, Some(7200)))
        .authorize(&mut request, now(), &mut rng())
        .expect("authorizes");
    assert_eq!(request.headers()["authorization"], "Bearer access-1");
    assert!(request.headers()["authorization"].is_sensitive());
}

#[test]
fn a_401_to_a_refreshable_user_token_asks_for_one_refresh() {
    let unauthorized = answer(
        401,
        &[("content-type", "application/problem+json")],
        r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#,
    );
    let mut credential = Credential::OAuth2(user_tokens(true, Some(7200)));
    assert_eq!(
        credential.after_answer(&unauthorized, now(), 0),
        AfterAnswer::Refresh
    );
    assert_eq!(
        credential.after_answer(&unauthorized, now(), 1),
        AfterAnswer::Done,
        "once"
    );
    let mut no_refresh = Credential::OAuth2(user_tokens(false, Some(7200)));
    assert_eq!(
        no_refresh.after_answer(&unauthorized, now(), 0),
        AfterAnswer::Done
    );
    let ok = answer(200, &[], "{}");
    assert_eq!(credential.after_answer(&ok, now(), 0), AfterAnswer::Done);
}

#[test]
fn a_135_with_a_date_asks_for_one_resign_with_the_learnt_clock() {
    // X's clock is 10 minutes ahead; its 135 carries its Date (contract §1.2, §6.1).
    let rejected = answer(
        401,
        &[("date", "Tue, 14 Nov 2023 22:23:20 GMT")],
        r#"{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}"#,
    );
    let mut credential =
        Credential::OAuth1(twitter_auth_core::oauth1::App::from(consumer()).signer(&token()));
    assert_eq!(
        credential.after_answer(&rejected, now(), 0),
        AfterAnswer::Resign
    );
    let mut request = get("https://api.x.com/1.1/account/verify_credentials.json");
    credential
        .authorize(&mut request, now(), &mut rng())
        .expect("signs");
    let parsed =
        AuthorizationHeader::parse(request.headers()["authorization"].as_bytes()).expect("parses");
    // 2023-11-14T22:23:20Z is 1_700_000_600.
    assert_eq!(parsed.timestamp().expect("a timestamp"), NOW + 600);
    // Same answer again: the offset is already X's, so no loop.
    assert_eq!(
        credential.after_answer(&rejected, now(), 0),
        AfterAnswer::Done
    );
    let unauthorized = answer(
        401,
        &[],
        r#"{"errors":[{"code":32,"message":"Could not authenticate you."}]}"#,
    );
    assert_eq!(
        credential.after_answer(&unauthorized, now(), 0),
        AfterAnswer::Done
    );
}

#[test]
fn only_safe_methods_are_replayed() {
    let oauth1 =
        Credential::OAuth1(twitter_auth_core::oauth1::App::from(consumer()).signer(&token()));
    let bearer = Credential::OAuth2(user_tokens(true, Some(7200)));
    let read = get("https://api.x.com/2/users/me");
    let write = http::Request::post("https://api.x.com/2/tweets")
        .body(br#"{"text":"hi"}"#.to_vec())
        .expect("a request");
    assert_eq!(replay_for(&read, &oauth1), Replay::Resign);
    assert_eq!(replay_for(&read, &bearer), Replay::Safe);
    assert_eq!(replay_for(&write, &oauth1), Replay::Never);
    assert_eq!(replay_for(&write, &bearer), Replay::Never);
}

#[test]
fn credentials_never_travel_in_clear() {
    let credential = Credential::OAuth2(user_tokens(true, Some(7200)));
    for url in [
        "http://api.x.com/2/users/me",
        "ftp://api.x.com/x",
        "/2/users/me",
    ] {
        let mut request = get(url);
        assert!(
            matches!(
                credential.authorize(&mut request, now(), &mut rng()),
                Err(twitter_auth_core::Error::InvalidUrl { .. })
            ),
            "{url}"
        );
        assert!(request.headers().get("authorization").is_none());
    }
    for url in [
        "https://api.x.com/2/users/me",
        "http://127.0.0.1:8080/2/users/me",
        "http://[::1]:8080/2/users/me",
        "http://localhost/2/users/me",
    ] {
        credential
            .authorize(&mut get(url), now(), &mut rng())
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[test]
fn a_resign_request_sent_as_is_is_never_replayed() {
    assert_eq!(Replay::Resign.as_sent(), Replay::Once);
    assert_eq!(Replay::Safe.as_sent(), Replay::Safe);
    assert_eq!(Replay::Never.as_sent(), Replay::Never);
}

#[test]
fn authorize_user_sets_the_users_bearer_token_sensitive() {
    let tokens = user_tokens(true, Some(7200));
    let mut request = get("https://api.x.com/2/users/me");
    authorize_user(&mut request, &tokens).expect("authorizes");
    // RFC 6750 §2.1: `Authorization: Bearer <access token>`.
    assert_eq!(request.headers()["authorization"], "Bearer access-1");
    assert!(request.headers()["authorization"].is_sensitive());
    // A header already there (a stale token) is replaced, not doubled.
    let newer = TokenSet::from_parts(
        AccessToken::new("access-2"),
        Some(RefreshToken::new("refresh-2")),
        Scopes::parse("tweet.read"),
        None,
    )
    .expect("a valid token set");
    authorize_user(&mut request, &newer).expect("authorizes again");
    let values: Vec<_> = request.headers().get_all("authorization").iter().collect();
    assert_eq!(values, ["Bearer access-2"]);
    // A token set without a refresh token authorizes all the same.
    let mut request = get("http://127.0.0.1:9/2/users/me");
    authorize_user(&mut request, &user_tokens(false, None)).expect("loopback http is allowed");
    assert_eq!(request.headers()["authorization"], "Bearer access-1");
}

#[test]
fn authorize_user_never_sends_a_token_in_clear() {
    let tokens = user_tokens(true, Some(7200));
    for url in [
        "http://api.x.com/2/users/me",
        "ftp://api.x.com/x",
        "/2/users/me",
        "http://example.com/2/users/me",
    ] {
        let mut request = get(url);
        assert!(
            matches!(
                authorize_user(&mut request, &tokens),
                Err(twitter_auth_core::Error::InvalidUrl { .. })
            ),
            "{url}"
        );
        assert!(request.headers().get("authorization").is_none(), "{url}");
    }
}

#[test]
fn refused_access_is_a_first_401_with_a_refresh_token() {
    let unauthorized = answer(
        401,
        &[("content-type", "application/problem+json")],
        r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#,
    );
    let refreshable = user_tokens(true, Some(7200));
    let stuck = user_tokens(false, Some(7200));
    assert!(refused_access(&unauthorized, &refreshable, 0));
    // Only once: a second 401 after a refresh is the caller's answer.
    assert!(!refused_access(&unauthorized, &refreshable, 1));
    assert!(!refused_access(&unauthorized, &refreshable, 7));
    // Nothing to spend.
    assert!(!refused_access(&unauthorized, &stuck, 0));
    // Other statuses are not a refused token: 403 is a missing scope or a forbidden client,
    // 429 a rate limit, 2xx a success.
    for status in [200, 400, 403, 404, 429, 500, 503] {
        let other = answer(status, &[], "{}");
        assert!(!refused_access(&other, &refreshable, 0), "{status}");
    }
}

#[test]
fn bearer_requests_are_replayed_only_for_safe_methods() {
    // RFC 9110 §9.2.1: GET, HEAD, OPTIONS and TRACE are safe; PUT and DELETE are idempotent but
    // not safe, and X's DELETE endpoints act (unlike, unfollow): never replayed.
    for method in ["GET", "HEAD", "OPTIONS", "TRACE"] {
        let request = http::Request::builder()
            .method(method)
            .uri("https://api.x.com/2/users/me")
            .body(Vec::new())
            .expect("a request");
        assert_eq!(replay_for_bearer(&request), Replay::Safe, "{method}");
    }
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let request = http::Request::builder()
            .method(method)
            .uri("https://api.x.com/2/tweets")
            .body(Vec::new())
            .expect("a request");
        assert_eq!(replay_for_bearer(&request), Replay::Never, "{method}");
    }
}

/// Issue 14: typed API calls. `api::request` stays under the API base (the credential goes
/// with the request), `read_json` parses a 2xx and types anything else, `read_user` reads
/// `2/users/me`.
#[test]
fn typed_api_calls_stay_on_the_api_host_and_type_the_answer() {
    use twitter_auth_core::api::{json_request, read_json, read_user, request, users_me};
    use twitter_auth_core::{Endpoints, Error, http::Method};

    let x = Endpoints::x();
    let r = request(
        &x,
        Method::GET,
        "/2/users/by/username/XDevelopers?user.fields=id",
    )
    .unwrap();
    assert_eq!(
        r.uri(),
        "https://api.x.com/2/users/by/username/XDevelopers?user.fields=id"
    );
    assert!(r.headers().get("authorization").is_none() && r.body().is_empty());
    assert_eq!(users_me(&x).unwrap().uri(), "https://api.x.com/2/users/me");
    for away in [
        "https://evil.example/2/users/me",
        "http://api.x.com/2/users/me",
        "https://api.x.com:444/2",
    ] {
        assert!(
            matches!(
                request(&x, Method::GET, away),
                Err(Error::InvalidUrl { .. })
            ),
            "{away}"
        );
    }
    // Leading slashes are ignored: `//host` is a path on the API host, not another host.
    let r = request(&x, Method::GET, "//evil.example/2").unwrap();
    assert_eq!(r.uri(), "https://api.x.com/evil.example/2");
    // Under a base with a path, `..` cannot climb out of it.
    let proxied = Endpoints::local("http://127.0.0.1:9/x/").unwrap();
    assert!(request(&proxied, Method::GET, "../2/users/me").is_err());
    assert_eq!(
        request(&proxied, Method::GET, "2/users/me").unwrap().uri(),
        "http://127.0.0.1:9/x/2/users/me"
    );

    let post = json_request(
        &x,
        Method::POST,
        "2/tweets",
        &serde_json::json!({"text": "hi"}),
    )
    .unwrap();
    assert_eq!(post.method(), Method::POST);
    assert_eq!(post.headers()["content-type"], "application/json");
    assert_eq!(post.body(), br#"{"text":"hi"}"#);

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Tweet {
        id: String,
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Data<T> {
        data: T,
    }
    let ok: Data<Tweet> = read_json(&answer(201, &[], r#"{"data":{"id":"1"}}"#)).unwrap();
    assert_eq!(ok.data.id, "1");
    let none: Option<Tweet> = read_json(&answer(204, &[], "")).unwrap();
    assert_eq!(none, None);
    let e = read_json::<Tweet>(&answer(200, &[], r#"{"id":"SECRETVALUE""#)).unwrap_err();
    assert!(matches!(e, Error::Malformed { .. }) && !e.to_string().contains("SECRETVALUE"));
    let e = read_json::<Tweet>(&answer(
        403,
        &[],
        r#"{"title":"Unsupported Authentication","type":"https://api.x.com/2/problems/unsupported-authentication"}"#,
    ))
    .unwrap_err();
    assert!(matches!(e, Error::Problem { status: 403, .. }), "{e:?}");
    let e = read_json::<Tweet>(&answer(401, &[], "")).unwrap_err();
    assert!(
        matches!(e, Error::UnexpectedStatus { status: 401 }),
        "{e:?}"
    );

    let me = read_user(&answer(
        200,
        &[],
        r#"{"data":{"id":"1500000000000000001","name":"Alice","username":"mock_alice"}}"#,
    ))
    .unwrap();
    assert_eq!(
        (me.id.as_str(), me.username.as_str()),
        ("1500000000000000001", "mock_alice")
    );
    assert!(read_user(&answer(200, &[], r#"{"errors":[]}"#)).is_err());
}

/// Issue 14: a transport failure names the host and the cause, never the query or user info.
#[test]
fn transport_failures_name_the_host_and_the_cause_only() {
    use twitter_auth_core::TransportError;

    /// An HTTP client's error: its own message quotes the URL, its cause says what happened.
    #[derive(Debug)]
    struct Client(&'static str, std::io::Error);
    impl std::fmt::Display for Client {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Client {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.1)
        }
    }
    let io = |kind, text| std::io::Error::new(kind, text);
    let secret: http::Uri = "https://me:pw@api.x.com/2/oauth2/token?code=SECRET"
        .parse()
        .unwrap();
    let quoting = Client(
        "error sending request for url (https://api.x.com/?code=SECRET)",
        io(std::io::ErrorKind::ConnectionRefused, "Connection refused"),
    );
    let e = TransportError::new(&secret, quoting);
    assert_eq!(e.host(), "api.x.com");
    assert_eq!(e.to_string(), "api.x.com: Connection refused");
    assert!(std::error::Error::source(&e).is_some());
    let local: http::Uri = "http://127.0.0.1:8080/x".parse().unwrap();
    let plain = Client(
        "error sending request",
        io(std::io::ErrorKind::TimedOut, "timed out"),
    );
    assert_eq!(
        TransportError::new(&local, plain).to_string(),
        "127.0.0.1:8080: error sending request: timed out"
    );
    let bare = io(std::io::ErrorKind::Other, "connection failed");
    assert_eq!(
        TransportError::new(&local, bare).to_string(),
        "127.0.0.1:8080: connection failed"
    );
}

/// An API client sends its credential only to its app's hosts (scheme, host and port).
#[test]
fn check_host_accepts_only_the_apps_hosts() {
    use twitter_auth_core::api::check_host;
    use twitter_auth_core::{Endpoints, Error};
    let get = |url: &str| http::Request::get(url).body(Vec::new()).unwrap();
    let x = Endpoints::x();
    for ok in [
        "https://api.x.com/2/users/me",
        "https://api.x.com:443/1.1/account/verify_credentials.json",
        "https://api.x.com/oauth/request_token",
    ] {
        assert!(check_host(&x, &get(ok)).is_ok(), "{ok}");
    }
    for refused in [
        "https://evil.example/2/users/me",
        "http://api.x.com/2/users/me",
        "https://api.x.com:8443/2/users/me",
        "https://upload.twitter.com/1.1/media/upload.json",
        "https://api.x.com.evil.example/2/users/me",
    ] {
        let err = check_host(&x, &get(refused)).unwrap_err();
        assert!(matches!(err, Error::InvalidUrl { .. }), "{refused}");
        assert!(
            !err.to_string().contains("evil"),
            "the URL is not quoted: {err}"
        );
    }
    let local = Endpoints::local("http://127.0.0.1:8080").unwrap();
    assert!(check_host(&local, &get("http://127.0.0.1:8080/2/users/me")).is_ok());
    assert!(check_host(&local, &get("http://127.0.0.1:8081/2/users/me")).is_err());
}

proptest::proptest! {
    /// `uri_string` (what signing and the reqwest adapter use) writes every URI exactly as its
    /// `Display` does: absolute ones, origin forms, authorities with ports and user info,
    /// escapes, empty and odd queries.
    #[test]
    fn uri_string_is_the_uris_display(
        scheme in proptest::sample::select(vec!["", "http://", "https://"]),
        host in "[a-z0-9.-]{1,20}(:[0-9]{1,5})?",
        user in proptest::option::of("[a-z]{1,5}(:[a-z]{0,5})?@"),
        path in "(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}){0,4}",
        query in proptest::option::of("[A-Za-z0-9._~%!$&'()*+,;=:@/?-]{0,30}"),
    ) {
        let authority = if scheme.is_empty() {
            String::new()
        } else {
            format!("{}{host}", user.unwrap_or_default())
        };
        let path = if path.is_empty() && query.is_none() && scheme.is_empty() { "/".into() } else { path };
        let text = match query {
            Some(q) => format!("{scheme}{authority}{path}?{q}"),
            None => format!("{scheme}{authority}{path}"),
        };
        if let Ok(uri) = text.parse::<http::Uri>() {
            proptest::prop_assert_eq!(twitter_auth_core::api::uri_string(&uri), uri.to_string());
        }
    }
}

/// The property above skips text `http` refuses; these forms must all parse and match.
#[test]
fn uri_string_matches_display_on_every_form() {
    for text in [
        "https://api.x.com/2/users/me?user.fields=id,username",
        "http://127.0.0.1:8080/1.1/account/verify_credentials.json",
        "https://user:pw@api.x.com:443/a/b%20c?",
        "https://api.x.com",
        "/2/users/me?x=%2F",
        "*",
    ] {
        let uri: http::Uri = text.parse().expect(text);
        assert_eq!(
            twitter_auth_core::api::uri_string(&uri),
            uri.to_string(),
            "{text}"
        );
    }
}
