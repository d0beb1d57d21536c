//! The OAuth 1.0a flows driven with canned X answers, checking every request they build against
//! X's published examples (`shared/vectors/x-docs-oauth1.json`, Log in with X).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use proptest::prelude::*;
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use twitter_auth_core::oauth1::{
    AccessType, App, AuthorizeKind, Callback, PendingLogin, RequestToken, VerifyCredentialsExchange,
};
use twitter_auth_core::oauth1_sign::{
    AuthorizationHeader, ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request,
    Signer, Token, TokenCredentials, TokenSecret, encode, generate_nonce,
};
use twitter_auth_core::skew::ClockSkew;
use twitter_auth_core::{Endpoints, Error, Exchange, HttpResponse, Replay};

use crate::support::{FixedNonce, rng};

/// The consumer credentials and the instants of X's "Log in with X" example.
fn consumer() -> ConsumerCredentials {
    ConsumerCredentials::new(
        ConsumerKey::new("cChZNFj6T5R0TigYB9yd1w"),
        ConsumerSecret::new("L8qq9PZyRg6ieKGEKhZolGC0vJWLw8iEJ88DRdyOg"),
    )
}

/// The example's app, at X's hosts.
fn app() -> App {
    App::from(consumer())
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

const EXAMPLE_TIME: u64 = 1318467427;

/// A test of which error came out.
type Check = fn(&Error) -> bool;

/// The example signed for api.twitter.com (see the vector's notes).
fn twitter_com() -> Endpoints {
    Endpoints::x()
        .with_oauth1("https://api.twitter.com")
        .unwrap()
}

fn answer(status: u16, body: &str) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/html; charset=utf-8")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn header_of(request: &twitter_auth_core::HttpRequest) -> AuthorizationHeader {
    let value = request.headers().get(AUTHORIZATION).expect("signed");
    assert!(
        value.is_sensitive(),
        "the Authorization header is marked sensitive"
    );
    AuthorizationHeader::parse(value.as_bytes()).unwrap()
}

fn pending(now: u64) -> PendingLogin {
    app()
        .request_token(
            Callback::url("https://app.example/cb").unwrap(),
            at(now),
            &mut rng(),
        )
        .unwrap()
        .finish(
            at(now),
            answer(200, "oauth_token=NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0&oauth_token_secret=veNRnAWe6inFuo8o2u8SLLZLjolYDmDP7SzL0YfYI&oauth_callback_confirmed=true"),
        )
        .unwrap()
}

#[test]
fn request_token_request_reproduces_x_docs_signature() {
    let step = app()
        .with_endpoints(twitter_com())
        .request_token(
            Callback::url("http://localhost/sign-in-with-twitter/").unwrap(),
            at(EXAMPLE_TIME),
            // The example's nonce, drawn from an RNG that yields it.
            &mut FixedNonce::new("ea9ec8429b68d6b77cd5600adbbb0456"),
        )
        .unwrap();
    let req = step.request();
    assert_eq!(req.method(), "POST");
    assert_eq!(req.uri(), "https://api.twitter.com/oauth/request_token");
    assert!(req.body().is_empty());
    let h = header_of(req);
    // Published: F1Li3tvehgcraF8DMJ7OyxO4w9Y= (X docs, Log in with X).
    assert_eq!(h.signature(), Some("F1Li3tvehgcraF8DMJ7OyxO4w9Y="));
    assert_eq!(
        h.get("oauth_callback"),
        Some("http://localhost/sign-in-with-twitter/")
    );
    assert_eq!(h.token(), None, "no oauth_token on request_token");
    // Exactly one header: the signature (no body, so no Content-Type).
    assert_eq!(req.headers().len(), 1);
    assert_eq!(step.replay(), Replay::Resign);
}

#[test]
fn access_type_goes_in_the_signed_query() {
    let step = app()
        .request_token(
            RequestToken::new(Callback::oob()).access_type(AccessType::Read),
            at(1),
            &mut rng(),
        )
        .unwrap();
    let req = step.request();
    assert_eq!(
        req.uri(),
        "https://api.x.com/oauth/request_token?x_auth_access_type=read"
    );
    let h = header_of(req);
    assert_eq!(h.get("oauth_callback"), Some("oob"));
    let url = req.uri().to_string();
    h.verify(&Request::new("POST", &url), &consumer().secret, None)
        .unwrap();
    // Without the query the signature would not hold.
    assert!(
        h.verify(
            &Request::new("POST", "https://api.x.com/oauth/request_token"),
            &consumer().secret,
            None
        )
        .is_err()
    );
}

#[test]
fn request_token_answers() {
    let step = || {
        app()
            .request_token(Callback::oob(), at(1), &mut rng())
            .unwrap()
    };
    let p = step()
        .finish(at(5), answer(200, "oauth_token=Z6eEdO8MOmk394WozF5oKyuAv855l4Mlqo7hhlSLik&oauth_token_secret=Kd75W4OQfb2oJTV0vzGzeXftVAwgMnEK9MumzYcM&oauth_callback_confirmed=true"))
        .unwrap();
    assert_eq!(
        p.request_token().as_str(),
        "Z6eEdO8MOmk394WozF5oKyuAv855l4Mlqo7hhlSLik"
    );
    assert!(p.is_pin());
    assert_eq!(p.created_at(), crate::support::secs(5));
    assert_eq!(p.expires_at(), crate::support::secs(5 + 600));

    let cases: [(u16, &[u8], Check); 5] = [
        (200, b"oauth_token=a&oauth_token_secret=b&oauth_callback_confirmed=false", |e| matches!(e, Error::CallbackNotConfirmed)),
        (200, b"oauth_token=a&oauth_callback_confirmed=true", |e| matches!(e, Error::Malformed { .. })),
        (200, b"\xff\xfe", |e| matches!(e, Error::Malformed { .. })),
        (403, br#"{"errors":[{"code":415,"message":"Callback URL not approved for this client application."}]}"#, |e| e.x_codes() == [415] && e.hint().is_some()),
        (401, b"<?xml version=\"1.0\"?><hash><error>Invalid / expired Token</error></hash>", |e| matches!(e, Error::UnexpectedStatus { status: 401 })),
    ];
    for (status, body, expected) in cases {
        let response = http::Response::builder()
            .status(status)
            .body(body.to_vec())
            .unwrap();
        let e = step().finish(at(5), response).unwrap_err();
        assert!(
            expected(&e),
            "{status} {:?}: {e:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn authorize_urls() {
    let p = pending(1);
    let app = app();
    assert_eq!(
        app.authorize_url(&p, AuthorizeKind::Authorize).as_str(),
        "https://api.x.com/oauth/authorize?oauth_token=NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0"
    );
    assert_eq!(
        app.authorize_url_with(&p, AuthorizeKind::Authenticate, true, Some("x api"))
            .as_str(),
        "https://api.x.com/oauth/authenticate?oauth_token=NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0&force_login=true&screen_name=x+api"
    );
}

#[test]
fn callbacks_are_checked() {
    let good = "https://app.example/cb?oauth_token=NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0&oauth_verifier=uw7NjWHT6OJ1MpJOXsHfNxoAhPKpgI8BlYDhxEjIBY";
    let p = pending(1);
    assert!(p.matches(good));
    assert!(!p.matches("oauth_token=other&oauth_verifier=v"));
    assert!(p.matches("?denied=NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0"));
    // The full URL, `?query` and a bare query all work.
    for form in [
        good.to_owned(),
        format!("?{}", good.split_once('?').unwrap().1),
        good.split_once('?').unwrap().1.to_owned(),
    ] {
        assert!(pending(1).on_callback(&form, at(2)).is_ok(), "{form}");
    }
    let cases: [(&str, u64, Check); 6] = [
        (
            "?denied=NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0",
            2,
            |e| matches!(e, Error::Denied),
        ),
        ("?oauth_token=other&oauth_verifier=v", 2, |e| {
            matches!(e, Error::TokenMismatch)
        }),
        ("?oauth_verifier=v", 2, |e| {
            matches!(
                e,
                Error::MissingCallbackParameter {
                    name: "oauth_token"
                }
            )
        }),
        (
            "?oauth_token=NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0",
            2,
            |e| {
                matches!(
                    e,
                    Error::MissingCallbackParameter {
                        name: "oauth_verifier"
                    }
                )
            },
        ),
        (
            "?oauth_token=NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0&oauth_verifier=",
            2,
            |e| {
                matches!(
                    e,
                    Error::MissingCallbackParameter {
                        name: "oauth_verifier"
                    }
                )
            },
        ),
        (good, 1 + 601, |e| matches!(e, Error::Expired)),
    ];
    for (callback, now, expected) in cases {
        let e = pending(1).on_callback(callback, at(now)).unwrap_err();
        assert!(expected(&e), "{callback}: {e:?}");
    }
}

#[test]
fn pin_flow() {
    let p = pending(1);
    let e = pending(1).with_pin("   ", at(2)).unwrap_err();
    assert!(matches!(e, Error::MissingCallbackParameter { name: "PIN" }));
    assert!(matches!(
        pending(1).with_pin("1234567", at(1000)).unwrap_err(),
        Error::Expired
    ));
    let step = app()
        .access_token(p.with_pin(" 1234567\n", at(2)).unwrap(), at(3), &mut rng())
        .unwrap();
    assert_eq!(
        header_of(step.request()).get("oauth_verifier"),
        Some("1234567")
    );
}

#[test]
fn access_token_request_reproduces_x_docs_signature() {
    let verified = pending(1)
        .on_callback("?oauth_token=NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0&oauth_verifier=uw7NjWHT6OJ1MpJOXsHfNxoAhPKpgI8BlYDhxEjIBY", at(2))
        .unwrap();
    let step = app()
        .with_endpoints(twitter_com())
        .access_token(
            verified,
            at(EXAMPLE_TIME),
            &mut FixedNonce::new("a9900fe68e2573b27a37f10fbad6a755"),
        )
        .unwrap();
    let req = step.request();
    assert_eq!(req.method(), "POST");
    assert_eq!(req.uri(), "https://api.twitter.com/oauth/access_token");
    let h = header_of(req);
    // Published: 39cipBtIOHEEnybAR4sATQTpl2I= (the docs send the verifier in the body; every
    // location is signed alike).
    assert_eq!(h.signature(), Some("39cipBtIOHEEnybAR4sATQTpl2I="));
    assert_eq!(
        h.token(),
        Some("NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0")
    );
    assert_eq!(step.replay(), Replay::Never);

    let user = step
        .finish(at(EXAMPLE_TIME), answer(200, "oauth_token=6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY&oauth_token_secret=2EEfA6BG5ly3sR3XjE0IBSnlQu4ZrUzPiYTmrkVU&user_id=6253282&screen_name=xapi"))
        .unwrap();
    assert_eq!(
        user.token.token.as_str(),
        "6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY"
    );
    assert_eq!(
        user.token.secret.secret(),
        "2EEfA6BG5ly3sR3XjE0IBSnlQu4ZrUzPiYTmrkVU"
    );
    assert_eq!(user.user_id.as_ref().map(|u| u.as_str()), Some("6253282"));
    assert_eq!(user.screen_name.as_deref(), Some("xapi"));
}

#[test]
fn access_token_answers() {
    let step = || {
        app()
            .access_token(pending(1).with_pin("1", at(2)).unwrap(), at(3), &mut rng())
            .unwrap()
    };
    // Older answers carry only the two tokens.
    let user = step()
        .finish(at(3), answer(200, "oauth_token=a&oauth_token_secret=b"))
        .unwrap();
    assert!(user.user_id.is_none() && user.screen_name.is_none());
    let e = step()
        .finish(at(3), answer(200, "oauth_token=a"))
        .unwrap_err();
    assert!(matches!(e, Error::Malformed { .. }), "{e:?}");
    let e = step()
        .finish(
            at(3),
            answer(
                401,
                r#"{"errors":[{"code":89,"message":"Invalid or expired token."}]}"#,
            ),
        )
        .unwrap_err();
    assert_eq!(e.x_codes(), [89]);
}

#[test]
fn a_pending_authorization_survives_serde_and_resumes_to_the_same_request() {
    let p = pending(1);
    let json = serde_json::to_string(&p).unwrap();
    let back: PendingLogin = serde_json::from_str(&json).unwrap();
    // The same nonce for both: RNGs with the same seed.
    let request = |p: PendingLogin| {
        app()
            .access_token(
                p.with_pin("42", at(2)).unwrap(),
                at(3),
                &mut StdRng::seed_from_u64(42),
            )
            .unwrap()
            .request()
            .clone()
    };
    let (a, b) = (request(p), request(back));
    assert_eq!(a.uri(), b.uri());
    assert_eq!(a.headers(), b.headers());
    assert_eq!(a.body(), b.body());
}

#[test]
fn user_signer_signs_x_docs_example_request() {
    let consumer = ConsumerCredentials::new(
        ConsumerKey::new("xvz1evFS4wEEPTGEFPHBog"),
        ConsumerSecret::new("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"),
    );
    let token = TokenCredentials::new(
        Token::new("370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
        TokenSecret::new("LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"),
    );
    let request = || {
        http::Request::post("https://api.x.com/1.1/statuses/update.json?include_entities=true")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(
                b"status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21"
                    .to_vec(),
            )
            .unwrap()
    };
    let url = "https://api.x.com/1.1/statuses/update.json?include_entities=true";
    let form = b"status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21";
    // X's published signature for the example's nonce (42 characters, which an RNG-drawn
    // nonce never is): what the signer must compute for this request, for any nonce.
    let published = Signer::new(&consumer, Some(&token))
        .signature(
            &Request::new("POST", url).form_body(form),
            &OAuthParams::new("kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958),
        )
        .unwrap();
    assert_eq!(published, "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");

    let signer = App::from(consumer.clone()).signer(&token);
    let mut r = request();
    signer
        .sign(&mut r, at(1318622958), &mut StdRng::seed_from_u64(1))
        .unwrap();
    let h = header_of(&r);
    let nonce = generate_nonce(&mut StdRng::seed_from_u64(1));
    assert_eq!(h.nonce(), Some(nonce.as_str()));
    assert_eq!(h.timestamp(), Ok(1318622958));
    assert_eq!(h.consumer_key(), Some("xvz1evFS4wEEPTGEFPHBog"));
    assert_eq!(
        h.token(),
        Some("370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb")
    );
    // The signature covers the query and the form body, as in the example.
    let expected = Signer::new(&consumer, Some(&token))
        .signature(
            &Request::new("POST", url).form_body(form),
            &OAuthParams::new(&nonce, 1318622958),
        )
        .unwrap();
    assert_eq!(h.signature(), Some(expected.as_str()));
    h.verify(
        &Request::new("POST", url).form_body(form),
        &consumer.secret,
        Some(&token.secret),
    )
    .unwrap();
    let signature = h.signature().unwrap().to_owned();

    // A local clock 100 s behind X, corrected by the skew, gives the same signature (same
    // nonce: an RNG with the same seed).
    let mut r = request();
    signer
        .clone()
        .with_skew(ClockSkew::from_seconds(100))
        .sign(&mut r, at(1318622958 - 100), &mut StdRng::seed_from_u64(1))
        .unwrap();
    assert_eq!(header_of(&r).signature(), Some(signature.as_str()));

    // A JSON body is not signed: the same request with a JSON body signs like no body at all.
    let mut json = http::Request::post("https://api.x.com/2/tweets")
        .header(CONTENT_TYPE, "application/json")
        .body(br#"{"text":"hi"}"#.to_vec())
        .unwrap();
    let mut empty = http::Request::post("https://api.x.com/2/tweets")
        .body(Vec::new())
        .unwrap();
    signer
        .sign(&mut json, at(5), &mut StdRng::seed_from_u64(5))
        .unwrap();
    signer
        .sign(&mut empty, at(5), &mut StdRng::seed_from_u64(5))
        .unwrap();
    assert_eq!(header_of(&json).signature(), header_of(&empty).signature());
}

#[test]
fn verify_credentials_round_trip() {
    let signer = App::from(consumer()).signer(&TokenCredentials::new(
        Token::new("t"),
        TokenSecret::new("ts"),
    ));
    let step: VerifyCredentialsExchange = app()
        .verify_credentials(&signer, at(9), &mut rng())
        .unwrap();
    let req = step.request();
    assert_eq!(req.method(), "GET");
    assert_eq!(
        req.uri(),
        "https://api.x.com/1.1/account/verify_credentials.json?include_entities=false&skip_status=true"
    );
    let url = req.uri().to_string();
    header_of(req)
        .verify(
            &Request::new("GET", &url),
            &consumer().secret,
            Some(&TokenSecret::new("ts")),
        )
        .unwrap();
    assert_eq!(req.headers().len(), 1);
    assert_eq!(step.replay(), Replay::Resign);
    let user = step
        .finish(at(9), answer(200, r#"{"id":1072250532645998596,"id_str":"1072250532645998596","name":"Tweepy Testing","screen_name":"TweepyDev","location":""}"#))
        .unwrap();
    assert_eq!(user.id.as_str(), "1072250532645998596");
    assert_eq!(
        (user.screen_name.as_str(), user.name.as_str()),
        ("TweepyDev", "Tweepy Testing")
    );

    let step = app()
        .verify_credentials(&signer, at(9), &mut rng())
        .unwrap();
    let e = step
        .finish(
            at(9),
            answer(
                401,
                r#"{"errors":[{"code":32,"message":"Could not authenticate you."}]}"#,
            ),
        )
        .unwrap_err();
    assert_eq!(e.x_codes(), [32]);
    let step = app()
        .verify_credentials(&signer, at(9), &mut rng())
        .unwrap();
    assert!(matches!(
        step.finish(at(9), answer(200, "{\"id\":1}")).unwrap_err(),
        Error::Malformed { .. }
    ));
}

proptest! {
    #[test]
    fn callback_and_answer_parsers_are_total(text in "\\PC{0,120}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let p = pending(1);
        let _ = p.matches(&text);
        let _ = pending(1).on_callback(&text, at(2));
        let _ = p.with_pin(&text, at(2));
        let step = app().request_token(Callback::oob(), at(1), &mut rng()).unwrap();
        let _ = step.finish(at(1), http::Response::builder().status(200).body(bytes.clone()).unwrap());
        let step = app().access_token(pending(1).with_pin("1", at(2)).unwrap(), at(3), &mut rng()).unwrap();
        let _ = step.finish(at(1), http::Response::builder().status(200).body(bytes.clone()).unwrap());
        let signer = App::from(consumer()).signer(&TokenCredentials::new(Token::new("t"), TokenSecret::new("s")));
        let step = app().verify_credentials(&signer, at(9), &mut rng()).unwrap();
        let _ = step.finish(at(1), http::Response::builder().status(200).body(bytes).unwrap());
    }
}

#[test]
fn invalidate_token_is_signed_with_the_token_and_checks_the_echo() {
    use twitter_auth_core::oauth1::InvalidateTokenExchange;
    let token = TokenCredentials::new(Token::new("6253282-abc"), TokenSecret::new("ts"));
    let step = || -> InvalidateTokenExchange {
        app().invalidate_token(&token, at(9), &mut rng()).unwrap()
    };
    let s = step();
    assert_eq!(s.request().method(), "POST");
    assert_eq!(
        s.request().uri(),
        "https://api.x.com/1.1/oauth/invalidate_token"
    );
    let h = header_of(s.request());
    assert_eq!(h.token(), Some("6253282-abc"));
    h.verify(
        &Request::new("POST", "https://api.x.com/1.1/oauth/invalidate_token"),
        &consumer().secret,
        Some(&TokenSecret::new("ts")),
    )
    .unwrap();
    s.finish(at(9), answer(200, r#"{"access_token":"6253282-abc"}"#))
        .unwrap();
    assert!(matches!(
        step().finish(at(9), answer(200, r#"{"access_token":"other"}"#)),
        Err(Error::Malformed { .. })
    ));
    let e = step()
        .finish(
            at(9),
            answer(
                401,
                r#"{"errors":[{"code":89,"message":"Invalid or expired token."}]}"#,
            ),
        )
        .unwrap_err();
    assert_eq!(e.x_codes(), [89]);
}

#[test]
fn a_timestamp_rejection_teaches_the_signer_x_clock_once() {
    let mut signer = App::from(consumer()).signer(&TokenCredentials::new(
        Token::new("t"),
        TokenSecret::new("s"),
    ));
    // The local clock is an hour slow: X's Date says 1700003600 when we think it is 1700000000.
    let rejected = http::Response::builder()
        .status(401)
        .header("date", "Tue, 14 Nov 2023 23:13:20 GMT")
        .body(br#"{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}"#.to_vec())
        .unwrap();
    let local = at(1_700_000_000);
    // Another error teaches nothing.
    assert!(!signer.learn_clock(
        &answer(401, r#"{"errors":[{"code":32,"message":"x"}]}"#),
        local
    ));
    assert!(signer.learn_clock(&rejected, local));
    assert_eq!(signer.skew().seconds(), 3600);
    let mut r = http::Request::get("https://api.x.com/2/users/me")
        .body(Vec::new())
        .unwrap();
    signer.sign(&mut r, local, &mut rng()).unwrap();
    assert_eq!(header_of(&r).timestamp(), Ok(1_700_003_600));
    // The same answer again changes nothing: re-sign once, never loop.
    assert!(!signer.learn_clock(&rejected, local));
}

#[test]
fn users_me_in_oauth1_user_context() {
    use twitter_auth_core::oauth2::UsersMeExchange;
    let signer = App::from(consumer()).signer(&TokenCredentials::new(
        Token::new("t"),
        TokenSecret::new("ts"),
    ));
    let step: UsersMeExchange = app().users_me(&signer, at(9), &mut rng()).unwrap();
    assert_eq!(step.request().uri(), "https://api.x.com/2/users/me");
    header_of(step.request())
        .verify(
            &Request::new("GET", "https://api.x.com/2/users/me"),
            &consumer().secret,
            Some(&TokenSecret::new("ts")),
        )
        .unwrap();
    let user = step
        .finish(at(9), answer(200, r#"{"data":{"id":"1072250532645998596","name":"Tweepy Testing","username":"TweepyDev"}}"#))
        .unwrap();
    assert_eq!(user.username, "TweepyDev");
}

#[test]
fn the_callback_is_sent_exactly_as_given() {
    // X matches callbacks byte for byte: no trailing slash added, no case folded.
    for cb in [
        "https://App.Example",
        "https://app.example/cb/",
        "myapp://Callback",
    ] {
        let step = app()
            .request_token(Callback::url(cb).unwrap(), at(1), &mut rng())
            .unwrap();
        assert_eq!(header_of(step.request()).get("oauth_callback"), Some(cb));
    }
    assert!(Callback::url("javascript:alert(1)").is_err());
}

#[test]
fn another_logins_refusal_or_empty_tokens_are_errors() {
    let e = pending(1)
        .on_callback("?denied=someone-elses-token", at(2))
        .unwrap_err();
    assert!(matches!(e, Error::TokenMismatch), "{e:?}");
    for body in [
        "oauth_token=&oauth_token_secret=s&oauth_callback_confirmed=true",
        "oauth_token=t&oauth_token_secret=&oauth_callback_confirmed=true",
    ] {
        let step = app()
            .request_token(Callback::oob(), at(1), &mut rng())
            .unwrap();
        assert!(
            matches!(
                step.finish(at(1), answer(200, body)),
                Err(Error::Malformed { .. })
            ),
            "{body}"
        );
    }
    // The lifetime is a half-open interval: at exactly +600 s the login has expired.
    assert!(matches!(
        pending(1).with_pin("1", at(601)),
        Err(Error::Expired)
    ));
    assert!(pending(1).with_pin("1", at(600)).is_ok());
}

#[test]
fn an_access_token_rejected_for_its_timestamp_is_signed_again_without_a_new_login() {
    let step = app()
        .access_token(
            pending(1).with_pin("7654321", at(2)).unwrap(),
            at(3),
            &mut StdRng::seed_from_u64(1),
        )
        .unwrap();
    let first_nonce = header_of(step.request()).nonce().unwrap().to_owned();
    assert_eq!(first_nonce, generate_nonce(&mut StdRng::seed_from_u64(1)));
    let rejected = http::Response::builder()
        .status(401)
        .header("date", "Thu, 01 Jan 1970 01:00:03 GMT")
        .body(br#"{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}"#.to_vec())
        .unwrap();
    let skew = ClockSkew::from_response(&rejected, at(3)).unwrap();
    assert_eq!(skew.seconds(), 3600);
    let again = step
        .resign(&app(), skew, at(3), &mut StdRng::seed_from_u64(2))
        .unwrap();
    let h = header_of(again.request());
    assert_eq!(h.timestamp(), Ok(3603));
    // A fresh nonce, drawn from the RNG given to `resign`.
    let nonce = generate_nonce(&mut StdRng::seed_from_u64(2));
    assert_eq!(h.nonce(), Some(nonce.as_str()));
    assert_ne!(nonce, first_nonce);
    assert_eq!(h.get("oauth_verifier"), Some("7654321"));
    assert_eq!(again.replay(), Replay::Never);
}

proptest! {
    /// A pending authorization stored as JSON and loaded again (another process, say) resumes
    /// to the same access-token request, for any request token, secret, callback and instant.
    #[test]
    fn pending_authorizations_resume_identically_after_serde(
        token in "[A-Za-z0-9_-]{1,40}",
        secret in "\\PC{1,40}",
        oob in any::<bool>(),
        created in 0u64..4_000_000_000,
        verifier in "[A-Za-z0-9]{1,20}",
    ) {
        let callback = if oob { Callback::oob() } else { Callback::url("https://app.example/cb").unwrap() };
        let body = format!(
            "oauth_token={token}&oauth_token_secret={}&oauth_callback_confirmed=true",
            encode(&secret)
        );
        let make = || {
            app()
                .request_token(callback.clone(), at(created), &mut rng())
                .unwrap()
                .finish(at(created), answer(200, &body))
                .unwrap()
        };
        let resume = |p: PendingLogin| {
            let authorized = p
                .on_callback(&format!("?oauth_token={token}&oauth_verifier={verifier}"), at(created + 1))
                .unwrap();
            // The same nonce for both: RNGs with the same seed.
            app()
                .access_token(authorized, at(created + 2), &mut StdRng::seed_from_u64(2))
                .unwrap()
                .request()
                .clone()
        };
        let stored = serde_json::to_string(&make()).unwrap();
        let loaded: PendingLogin = serde_json::from_str(&stored).unwrap();
        let (a, b) = (resume(make()), resume(loaded));
        prop_assert_eq!(a.uri(), b.uri());
        prop_assert_eq!(a.headers(), b.headers());
        prop_assert_eq!(a.body(), b.body());
    }
}

/// Issue 14's fix, now in OAuth 1.0a too: a callback that is not this login's (forged, another
/// login's token or refusal, nothing at all) gives the login back, so it cannot end the real one.
#[test]
fn verify_callback_gives_the_login_back_unless_the_callback_is_its_own() {
    let p = pending(1);
    let token = p.request_token().as_str().to_owned();
    let mut p = p;
    for forged in [
        "?oauth_token=someone-elses&oauth_verifier=v",
        "?denied=someone-elses",
        "https://app.example/cb",
        "",
    ] {
        let refused = p.verify_callback(forged, at(2)).unwrap_err();
        assert!(refused.kept(), "{forged}: {}", refused.error());
        p = refused.into_pending().unwrap();
    }
    // Its own callback without a verifier ends it; with one, it is authorized.
    let refused = pending(1)
        .verify_callback(&format!("?oauth_token={token}"), at(2))
        .unwrap_err();
    assert!(!refused.kept());
    assert!(matches!(
        refused.error(),
        Error::MissingCallbackParameter {
            name: "oauth_verifier"
        }
    ));
    let refused = pending(1)
        .verify_callback(&format!("?denied={token}"), at(2))
        .unwrap_err();
    assert!(matches!(refused.into_parts(), (Error::Denied, None)));
    assert!(
        p.verify_callback(&format!("?oauth_token={token}&oauth_verifier=v"), at(2))
            .is_ok()
    );
    // An expired login is consumed whatever comes.
    let refused = pending(1)
        .verify_callback("?denied=x", at(1 + 601))
        .unwrap_err();
    assert!(matches!(refused.into_parts(), (Error::Expired, None)));
}
