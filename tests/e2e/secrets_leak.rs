//! The leak scan: every public value that holds a secret, built from sentinel strings, is
//! formatted every way a program might print it (`{}`, `{:?}`, `{:#?}`, and every error it can
//! produce), and no sentinel may appear; nor may a token the fake X hands out. Grows with each
//! crate that holds secrets.

use oauth1_sign::{
    AuthorizationHeader, ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request,
    SignatureMethod, Signer, Token, TokenCredentials, TokenSecret,
};
use rand::SeedableRng;
use twitter_auth_core::oauth2::AppOnly;
use twitter_auth_core::{Endpoints, Exchange as _};
use twitter_auth_mock::{Handler, MockConfig, OAuth2Client, Reply, UserToken};

const SENTINELS: [&str; 4] = [
    "SENTINELconsumerSECRET",
    "SENTINELtokenSECRET",
    "SENTINELverifierSENTINELverifierSENTINELverifier",
    "SENTINELstateSENTINELstate",
];

fn assert_clean(what: &str, text: &str) {
    for s in SENTINELS {
        assert!(!text.contains(s), "{what} leaks a secret: {text}");
    }
    assert!(
        !text.contains("SENTINEL"),
        "{what} leaks part of a secret: {text}"
    );
}

fn all_formats(what: &str, value: &(impl std::fmt::Debug + ?Sized)) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

#[test]
fn oauth1_sign_values_never_print_secrets() {
    let consumer =
        ConsumerCredentials::new(ConsumerKey::new("ck"), ConsumerSecret::new(SENTINELS[0]));
    let token = TokenCredentials::new(Token::new("tk"), TokenSecret::new(SENTINELS[1]));
    let signer = Signer::new(&consumer, Some(&token));
    all_formats("ConsumerCredentials", &consumer);
    all_formats("TokenCredentials", &token);
    all_formats("Signer", &signer);
    all_formats("ConsumerSecret", &consumer.secret);
    all_formats("TokenSecret", &token.secret);
    assert_clean("ConsumerSecret Display", &consumer.secret.to_string());
    assert_clean("TokenSecret Display", &token.secret.to_string());

    // A signed header carries the signature, never the secrets (PLAINTEXT aside: it *is* the
    // key, which is why X does not accept it).
    let request = Request::new("POST", "https://api.x.com/1.1/x.json").form_body(b"a=1");
    let header = signer
        .authorization(&request, &OAuthParams::new("n", 1))
        .unwrap();
    assert_clean("Authorization header", &header);

    // A PLAINTEXT header carries the key itself: its Debug must not show it, nor a verifier.
    let plaintext = Signer::with_method(&consumer, Some(&token), SignatureMethod::Plaintext);
    let verifier = "SENTINELverifierSENTINELverifierSENTINELverifier";
    let oauth = OAuthParams::new("n", 1).verifier(verifier);
    let plain_header = plaintext.authorization(&request, &oauth).unwrap();
    all_formats(
        "AuthorizationHeader (PLAINTEXT)",
        &AuthorizationHeader::parse(&plain_header).unwrap(),
    );
    all_formats("OAuthParams with a verifier", &oauth);
    let secret_body = format!("password={}", SENTINELS[0]);
    all_formats(
        "Request with a form body",
        &Request::new("POST", "https://x.com/").form_body(secret_body.as_bytes()),
    );

    // Every error the signer and the verifier produce, on bad input built around the secrets.
    let mut errors = Vec::new();
    for url in [SENTINELS[0], "https://x.com/ SENTINELtokenSECRET"] {
        errors.push(
            signer
                .authorization(&Request::new("GET", url), &OAuthParams::new("n", 1))
                .unwrap_err(),
        );
    }
    errors.push(
        signer
            .authorization(
                &Request::new("GET", "https://x.com/"),
                &OAuthParams::new("n", 1).realm("\nSENTINELconsumerSECRET"),
            )
            .unwrap_err(),
    );
    let parsed = AuthorizationHeader::parse(&header).unwrap();
    errors.push(
        parsed
            .verify(
                &request,
                &ConsumerSecret::new(SENTINELS[1]),
                Some(&TokenSecret::new(SENTINELS[0])),
            )
            .unwrap_err(),
    );
    for bad in [
        "OAuth a=\"SENTINELtokenSECRET",
        "OAuth SENTINELconsumerSECRET",
        "OAuth a=\"%zzSENTINELtokenSECRET\"",
    ] {
        errors.push(AuthorizationHeader::parse(bad).unwrap_err());
    }
    assert_eq!(errors.len(), 7);
    for e in &errors {
        all_formats("oauth1_sign::Error", e);
        assert_clean("oauth1_sign::Error Display", &e.to_string());
    }
}

#[test]
fn pkce_values_never_print_secrets() {
    let verifier = pkce::CodeVerifier::new(SENTINELS[2]).unwrap();
    let state = pkce::State::new(SENTINELS[3]).unwrap();
    all_formats("CodeVerifier", &verifier);
    all_formats("State", &state);
    assert_clean("CodeVerifier Display", &verifier.to_string());
    assert_clean("State Display", &state.to_string());
    // A plain challenge is the verifier itself: it must not print either.
    all_formats(
        "plain CodeChallenge",
        &verifier.challenge_with(pkce::Method::Plain),
    );

    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let generated = pkce::CodeVerifier::generate(&mut rng);
    assert!(!format!("{generated:?}{generated}").contains(generated.secret()));

    let mut errors = Vec::new();
    errors.push(pkce::CodeVerifier::new(format!("{} with spaces", SENTINELS[2])).unwrap_err());
    errors.push(pkce::CodeVerifier::new("SENTINELshort").unwrap_err());
    errors.push(pkce::State::new(format!("{}!", SENTINELS[3])).unwrap_err());
    for e in &errors {
        all_formats("pkce::Error", e);
        assert_clean("pkce::Error Display", &e.to_string());
    }
}

/// Secrets of the fake X's world, each caught by the `SENTINEL` check of [`assert_clean`].
const MOCK_CONSUMER_SECRET: &str = "SENTINELmockConsumerSECRET";
const MOCK_CLIENT_SECRET: &str = "SENTINELmockClientSECRET";
const MOCK_USER_TOKEN: &str = "1500000000000000001-SENTINELmockUserTOKEN";
const MOCK_USER_TOKEN_SECRET: &str = "SENTINELmockUserTokenSECRET";

/// The demo world with the web app's secrets replaced by sentinels.
fn sentinel_world() -> MockConfig {
    let mut config = MockConfig::default();
    let app = &mut config.apps[0];
    app.consumer_secret = MOCK_CONSUMER_SECRET.to_owned();
    let client_id = app
        .client_id()
        .expect("the web app has a client")
        .to_owned();
    app.oauth2 = Some(OAuth2Client {
        client_id,
        client_secret: Some(MOCK_CLIENT_SECRET.to_owned()),
    });
    let owner = app.owner.clone();
    app.user_tokens = vec![UserToken {
        user_id: owner,
        token: MOCK_USER_TOKEN.to_owned(),
        secret: MOCK_USER_TOKEN_SECRET.to_owned(),
    }];
    config
}

/// `{:?}` and `{:#?}` of a reply show none of `secrets`, nor any sentinel: neither as text nor
/// as the list of bytes a derived `Debug` prints for a `Vec<u8>` body.
fn assert_reply_clean(what: &str, reply: &Reply, secrets: &[&str]) {
    for text in [format!("{reply:?}"), format!("{reply:#?}")] {
        assert_clean(what, &text);
        let squeezed: String = text.split_whitespace().collect();
        for secret in secrets.iter().chain(&["SENTINEL"]) {
            assert!(!secret.is_empty());
            assert!(!text.contains(secret), "{what} leaks {secret}: {text}");
            let bytes: Vec<String> = secret.bytes().map(|b| b.to_string()).collect();
            assert!(
                !squeezed.contains(&bytes.join(",")),
                "{what} leaks the bytes of {secret}: {text}"
            );
        }
    }
}

#[test]
fn mock_values_never_print_secrets() {
    let config = sentinel_world();
    let app = &config.apps[0];
    all_formats("MockConfig", &config);
    all_formats("App", app);
    all_formats("OAuth2Client", app.oauth2.as_ref().expect("a client"));
    all_formats("UserToken", &app.user_tokens[0]);

    let mut x = Handler::new(config.clone());
    let now = 1_790_000_000;

    // An app-only token request, as the core sends it (Basic with the sentinel secret).
    let endpoints = Endpoints::local("http://127.0.0.1:1/").expect("a loopback base");
    let step = AppOnly::new(
        ConsumerKey::new(app.consumer_key.clone()),
        ConsumerSecret::new(app.consumer_secret.clone()),
    )
    .obtain(&endpoints)
    .expect("a step");
    let reply = x.handle(now, step.request().clone());
    let body: serde_json::Value = {
        let response = reply.response.as_ref().expect("an answer");
        assert_eq!(response.status(), 200);
        serde_json::from_slice(response.body()).expect("JSON")
    };
    assert_eq!(body["token_type"], "bearer");
    let bearer = body["access_token"].as_str().expect("a bearer token");
    assert_reply_clean("Reply of oauth2/token", &reply, &[bearer]);

    // An OAuth 1.0a request token answer: a form with the token and its secret.
    let consumer = ConsumerCredentials::new(
        ConsumerKey::new(app.consumer_key.clone()),
        ConsumerSecret::new(app.consumer_secret.clone()),
    );
    let url = "http://127.0.0.1:1/oauth/request_token";
    let authorization = Signer::new(&consumer, None)
        .authorization(
            &Request::new("POST", url).form_body(b""),
            &OAuthParams::new("leakScanNonce0001", now).callback("oob"),
        )
        .expect("signed");
    let request = http::Request::post(url)
        .header("authorization", authorization)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Vec::new())
        .expect("a request");
    let reply = x.handle(now, request);
    let form: Vec<(String, String)> = {
        let response = reply.response.as_ref().expect("an answer");
        assert_eq!(response.status(), 200);
        url_pairs(response.body())
    };
    let field = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} in {form:?}"))
    };
    let (token, secret) = (field("oauth_token"), field("oauth_token_secret"));
    assert_reply_clean(
        "Reply of oauth/request_token",
        &reply,
        &[token.as_str(), secret.as_str()],
    );

    // The `oob` consent answers with the PIN page: the PIN is the verifier.
    let request = http::Request::get(format!(
        "http://127.0.0.1:1/oauth/authorize?oauth_token={token}"
    ))
    .body(Vec::new())
    .expect("a request");
    let reply = x.handle(now, request);
    let pin = {
        let response = reply.response.as_ref().expect("an answer");
        let page = std::str::from_utf8(response.body()).expect("UTF-8");
        twitter_auth_mock::pin_from_page(page)
            .expect("a PIN")
            .to_owned()
    };
    assert_reply_clean("Reply with the PIN page", &reply, &[pin.as_str()]);

    // A PKCE consent redirects with the code and the state in `Location`.
    let verifier = pkce::CodeVerifier::generate(&mut rand::rngs::StdRng::seed_from_u64(7));
    let challenge = verifier.challenge();
    let request = http::Request::get(format!(
        "http://127.0.0.1:1/i/oauth2/authorize?response_type=code&client_id={}\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&scope=tweet.read%20users.read\
         &state={}&code_challenge={}&code_challenge_method=S256",
        app.client_id().expect("a client"),
        SENTINELS[3],
        challenge.as_str(),
    ))
    .body(Vec::new())
    .expect("a request");
    let reply = x.handle(now, request);
    let location = {
        let response = reply.response.as_ref().expect("an answer");
        assert_eq!(response.status(), 302);
        response.headers()["location"]
            .to_str()
            .expect("ASCII")
            .to_owned()
    };
    let code = location
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("code="))
        .expect("a code in Location")
        .to_owned();
    assert!(location.contains(SENTINELS[3]), "the state comes back");
    assert_reply_clean(
        "Reply with a code in Location",
        &reply,
        &[code.as_str(), location.as_str()],
    );
}

/// The pairs of a form body whose values are alphanumeric (as the mock's tokens are).
fn url_pairs(body: &[u8]) -> Vec<(String, String)> {
    std::str::from_utf8(body)
        .expect("UTF-8")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn std_values_never_print_secrets() {
    use twitter_auth_core::oauth2::{Scopes, TokenSet};
    use twitter_auth_core::{AccessToken, RefreshToken, UnixTime};
    use twitter_auth_std::{
        FileStore, LoopbackError, LoopbackReceiver, MemoryStore, TokenStore, read_pasted_redirect,
    };

    // A memory store holding a set made of sentinels, and its lock.
    let tokens = TokenSet::from_parts(
        AccessToken::new(SENTINELS[0]),
        Some(RefreshToken::new(SENTINELS[1])),
        Scopes::parse("tweet.read users.read offline.access"),
        Some(UnixTime::from_secs(1_800_000_000)),
    )
    .expect("a valid token set");
    all_formats("TokenSet", &tokens);
    let store = MemoryStore::with(tokens.clone());
    all_formats("MemoryStore", &store);
    let lock = store.lock().expect("locks");
    all_formats("StoreLock of a MemoryStore", &lock);
    all_formats("MemoryStore while locked", &store);
    drop(lock);
    all_formats(
        "loaded TokenSet",
        &store.load().expect("loads").expect("a set"),
    );

    // A file store that saved the set, and a corrupt file holding a sentinel.
    let dir = twitter_auth_tests::TempDir::new("leak-std");
    let file_store = FileStore::new(dir.path().join("tokens.json"));
    file_store.save(&tokens).expect("saves");
    all_formats("FileStore", &file_store);
    all_formats(
        "StoreLock of a FileStore",
        &file_store.lock().expect("locks"),
    );
    let corrupt = dir.path().join("corrupt.json");
    std::fs::write(
        &corrupt,
        format!("{{\"access_token\": \"{}\", ", SENTINELS[0]),
    )
    .expect("writes");
    let mut store_errors = vec![FileStore::new(&corrupt).load().expect_err("corrupt")];
    std::fs::write(&corrupt, SENTINELS[1]).expect("writes");
    store_errors.push(FileStore::new(&corrupt).load().expect_err("not JSON"));
    store_errors.push(
        FileStore::new(dir.path().join("missing").join("tokens.json"))
            .save(&tokens)
            .expect_err("no such directory"),
    );
    for e in &store_errors {
        all_formats("StoreError", e);
        assert_clean("StoreError Display", &e.to_string());
    }

    // A callback pasted with a sentinel code and state.
    let pasted = format!(
        "http://127.0.0.1:8765/callback?state={}&code={}\n",
        SENTINELS[3], SENTINELS[2]
    );
    let callback = read_pasted_redirect(&mut pasted.as_bytes()).expect("a callback");
    assert!(
        callback.url().contains(SENTINELS[2]),
        "the URL is the caller's"
    );
    all_formats("ReceivedCallback", &callback);
    let refusal = format!(
        "http://127.0.0.1:8765/callback?error=access_denied&state={}\n",
        SENTINELS[3]
    );
    all_formats(
        "ReceivedCallback of a refusal",
        &read_pasted_redirect(&mut refusal.as_bytes()).expect("a refusal"),
    );

    // A receiver, and every error it and the paste reader produce, around the sentinels.
    let receiver = LoopbackReceiver::bind("http://127.0.0.1:0/callback").expect("binds");
    all_formats("LoopbackReceiver", &receiver);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("an address").port();
    let mut errors = vec![
        LoopbackReceiver::bind(&format!("https://127.0.0.1:{port}/{}", SENTINELS[0]))
            .expect_err("not http"),
        LoopbackReceiver::bind(&format!("http://{}.example/callback", SENTINELS[1]))
            .expect_err("not loopback"),
        LoopbackReceiver::bind(SENTINELS[2]).expect_err("not a URL"),
        LoopbackReceiver::bind(&format!("http://127.0.0.1:{port}/callback"))
            .expect_err("the port is taken"),
        receiver
            .with_timeout(std::time::Duration::from_millis(10))
            .receive_matching(|_| true)
            .expect_err("nobody calls"),
    ];
    for paste in [
        format!("{}\n", SENTINELS[2]),
        format!("code={}&state={}\n", SENTINELS[2], SENTINELS[3]),
        format!("http://127.0.0.1:8765/callback?code={}\n", SENTINELS[2]),
        "http://127.0.0.1:8765/callback\n".to_owned(),
        "\n".to_owned(),
    ] {
        errors.push(read_pasted_redirect(&mut paste.as_bytes()).expect_err("no redirect"));
    }
    let mut not_utf8 = format!("http://127.0.0.1:8765/callback?code={}", SENTINELS[2]).into_bytes();
    not_utf8.extend_from_slice(b"\xff\n");
    errors.push(read_pasted_redirect(&mut not_utf8.as_slice()).expect_err("not UTF-8"));
    for (kind, present) in [
        (
            "NotLoopback",
            matches!(errors[0], LoopbackError::NotLoopback { .. }),
        ),
        ("Bind", matches!(errors[3], LoopbackError::Bind { .. })),
        (
            "Timeout",
            matches!(errors[4], LoopbackError::Timeout { .. }),
        ),
        (
            "InvalidPaste",
            matches!(errors[5], LoopbackError::InvalidPaste { .. }),
        ),
        ("Io", matches!(errors[10], LoopbackError::Io(_))),
    ] {
        assert!(present, "a LoopbackError::{kind} is scanned: {errors:?}");
    }
    for e in &errors {
        all_formats("LoopbackError", e);
        assert_clean("LoopbackError Display", &e.to_string());
    }
}
