//! The leak scan: every public value that holds a secret, built from sentinel strings, is
//! formatted every way a program might print it (`{}`, `{:?}`, `{:#?}`, and every error it can
//! produce), and no sentinel may appear; nor may a token the fake X hands out. Grows with each
//! crate that holds secrets.

use oauth1_sign::{
    AuthorizationHeader, ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request,
    SignatureMethod, Signer, Token, TokenCredentials, TokenSecret,
};
use rand::SeedableRng;
use twitter_auth_core::oauth1;
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
    let step = oauth1::App::new(
        ConsumerKey::new(app.consumer_key.clone()),
        ConsumerSecret::new(app.consumer_secret.clone()),
    )
    .with_endpoints(endpoints)
    .obtain_bearer()
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
    use std::time::Duration;
    use twitter_auth_core::grant::{Saved, StoredGrant, UserKey};
    use twitter_auth_std::{
        BlockingTokenStore, FileStore, LoopbackError, LoopbackReceiver, MemoryStore,
        read_pasted_redirect,
    };

    // A grant made of sentinels, in a memory store, with its lease and its salvage place.
    let tokens = sentinel_tokens(1_800_000_000);
    all_formats("TokenSet", &tokens);
    let key = UserKey::new("leak-scan").expect("a key");
    let grant = StoredGrant::new(key.clone(), tokens.clone(), 1);
    all_formats("StoredGrant", &grant);
    let successor = StoredGrant::new(key.clone(), tokens, 2);
    let store = MemoryStore::new();
    let lease = store
        .try_lease(&key, Duration::from_secs(60))
        .expect("leases")
        .expect("free");
    all_formats("Lease of a MemoryStore", &lease);
    assert_eq!(
        store.save(&lease, None, &grant).expect("saves"),
        Saved::Written
    );
    store.salvage(&successor).expect("salvages");
    all_formats("MemoryStore while leased", &store);
    store.release(lease).expect("released");
    all_formats("MemoryStore", &store);
    let loaded = BlockingTokenStore::load(&store, &key).expect("loads");
    all_formats("Loaded", &loaded);
    all_formats("usable grant", &loaded.usable().expect("a grant"));

    // A file store that saved the grant, its lease, and files that do not hold a grant.
    let dir = twitter_auth_tests::TempDir::new("leak-std");
    let file_store = FileStore::new(dir.path().join("grants"));
    let lease = file_store
        .try_lease(&key, Duration::from_secs(60))
        .expect("leases")
        .expect("free");
    all_formats("Lease of a FileStore", &lease);
    assert_eq!(
        file_store.save(&lease, None, &grant).expect("saves"),
        Saved::Written
    );
    all_formats("FileStore", &file_store);
    file_store.release(lease).expect("released");
    all_formats(
        "Loaded from a FileStore",
        &BlockingTokenStore::load(&file_store, &key).expect("loads"),
    );
    let grant_file = file_store
        .dir()
        .join(format!("{}.grant", FileStore::file_stem(&key)));
    assert!(grant_file.is_file(), "the grant is where the docs say");
    let mut store_errors = Vec::new();
    std::fs::write(
        &grant_file,
        format!(
            "{{\"key\":\"leak-scan\",\"tokens\":{{\"access_token\": \"{}\", ",
            SENTINELS[0]
        ),
    )
    .expect("writes");
    store_errors.push(BlockingTokenStore::load(&file_store, &key).expect_err("corrupt"));
    std::fs::write(&grant_file, SENTINELS[1]).expect("writes");
    store_errors.push(BlockingTokenStore::load(&file_store, &key).expect_err("not JSON"));
    store_errors.push(
        BlockingTokenStore::expiring_before(&file_store, SystemTime::now())
            .expect_err("a corrupt grant file"),
    );
    // A store whose directory cannot be created (a file is in the way).
    let blocked = dir.path().join("not-a-directory");
    std::fs::write(&blocked, b"").expect("writes");
    let unusable = FileStore::new(blocked.join("grants"));
    store_errors.push(
        unusable
            .try_lease(&key, Duration::from_secs(60))
            .expect_err("no such directory"),
    );
    store_errors.push(unusable.salvage(&grant).expect_err("no such directory"));
    // A lease used on a store it was not taken from.
    let lease = store
        .try_lease(&key, Duration::from_secs(60))
        .expect("leases")
        .expect("free");
    store_errors.push(
        file_store
            .save(&lease, None, &grant)
            .expect_err("another store's lease"),
    );
    store.release(lease).expect("released");
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
            .with_timeout(Duration::from_millis(10))
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

use std::time::{Instant, SystemTime};
use twitter_auth_core::grant::{GrantTask, Loaded, Next, Saved, StoredGrant};

/// A token set made of sentinels whose access token expires at `expires_at` (Unix seconds).
fn sentinel_tokens(expires_at: u64) -> twitter_auth_core::oauth2::TokenSet {
    use twitter_auth_core::oauth2::{Scopes, TokenSet};
    use twitter_auth_core::{AccessToken, RefreshToken};
    TokenSet::from_parts(
        AccessToken::new(SENTINELS[0]),
        Some(RefreshToken::new(SENTINELS[1])),
        Scopes::parse("tweet.read users.read offline.access"),
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(expires_at)),
    )
    .expect("a valid token set")
}

/// A confidential OAuth 2.0 client whose secret is a sentinel, at a loopback host where
/// nothing listens (`http://127.0.0.1:1/`): whatever it sends never leaves the machine.
fn sentinel_client() -> twitter_auth_core::oauth2::App {
    sentinel_client_at(Endpoints::local("http://127.0.0.1:1/").expect("a loopback base"))
}

/// [`sentinel_client`] at `endpoints`.
fn sentinel_client_at(endpoints: Endpoints) -> twitter_auth_core::oauth2::App {
    twitter_auth_core::oauth2::App::confidential(
        twitter_auth_core::ClientId::new("leakScanClientId"),
        twitter_auth_core::ClientSecret::new("SENTINELclientSECRET"),
    )
    .with_endpoints(endpoints)
}

/// `{:?}` and `{:#?}` of `value` show none of `secrets` nor any sentinel, neither as text nor
/// as the list of bytes a derived `Debug` prints for a `Vec<u8>` (a request body, say).
fn deep_formats(what: &str, value: &(impl std::fmt::Debug + ?Sized), secrets: &[&str]) {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
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

/// A loopback base URL where nothing listens (a request to it is refused at connect).
fn dead_endpoints() -> Endpoints {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("an address").port()
    };
    Endpoints::local(&format!("http://127.0.0.1:{port}")).expect("a loopback base")
}

/// Drives `task` against an in-memory `stored` grant until it asks to send; scans the task
/// and every request for IO on the way but the request to send (see
/// `grant_task_requests_never_print_secrets`).
fn drive_to_send(
    name: &str,
    task: &mut GrantTask,
    stored: &mut Option<StoredGrant>,
    now: SystemTime,
    at: Instant,
) {
    for _ in 0..16 {
        deep_formats(name, &*task, &[]);
        let next = task.poll(at);
        if !matches!(next, Next::Send { .. }) {
            deep_formats(&format!("{name}: Next"), &next, &[]);
        }
        match next {
            Next::Lease { .. } => task.leased(7, None, at),
            Next::Load => task.loaded(
                Ok(Loaded {
                    grant: stored.clone(),
                    salvage: None,
                }),
                now,
            ),
            Next::Save { grant, .. } => {
                *stored = Some(grant.clone());
                task.saved(Ok(Saved::Written), now);
            }
            Next::Send { .. } => return deep_formats(name, &*task, &[]),
            other => panic!("{name}: unexpected {other:?}"),
        }
    }
    panic!("{name}: never asked to send");
}

/// The grant machine's values (tasks in every state, what they ask for, outcomes, errors) made
/// of sentinel tokens and a sentinel client secret.
#[test]
fn grant_values_never_print_secrets() {
    use std::time::{Duration, Instant, UNIX_EPOCH};
    use twitter_auth_core::grant::{
        GrantError, GrantOutcome, GrantTask, Loaded, Next, Saved, StoredGrant, UserKey,
    };

    let key = UserKey::new("leak-scan").expect("a key");
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let at = Instant::now();
    let expired = StoredGrant::new(key.clone(), sentinel_tokens(1_700_000_000), 1);

    // A login: stores the set, no network.
    let mut login = GrantTask::login(
        key.clone(),
        sentinel_tokens(1_800_000_000),
        sentinel_client(),
        Default::default(),
    );
    loop {
        deep_formats("GrantTask (login)", &login, &[]);
        let next = login.poll(at);
        deep_formats("GrantTask (login): Next", &next, &[]);
        match next {
            Next::Lease { .. } => login.leased(1, None, at),
            Next::Load => login.loaded(Ok(Loaded::default()), now),
            Next::Save { .. } => login.saved(Ok(Saved::Written), now),
            Next::Release => login.released(),
            Next::Done => break,
            other => panic!("login: unexpected {other:?}"),
        }
    }
    let outcome = login.finish().expect("stored");
    assert!(matches!(outcome, GrantOutcome::Refreshed(_)));
    deep_formats("GrantOutcome", &outcome, &[]);

    // A refresh, up to the request (its body holds the refresh token), then X's answer with a
    // new set made of other sentinels, then the save of that set.
    let mut stored = Some(expired.clone());
    let mut refresh = GrantTask::refresh_if_due(key.clone(), sentinel_client(), Default::default());
    drive_to_send("GrantTask (refresh)", &mut refresh, &mut stored, now, at);
    let answer = http::Response::builder()
        .status(200)
        .body(
            br#"{"token_type":"bearer","expires_in":7200,"access_token":"SENTINELnewACCESS","refresh_token":"SENTINELnewREFRESH"}"#
                .to_vec(),
        )
        .expect("a response");
    refresh.answered(answer, now);
    deep_formats("GrantTask (refresh answered)", &refresh, &[]);
    deep_formats("Next (save the new set)", &refresh.poll(at), &[]);
    deep_formats("unsaved set", &refresh.unsaved(), &[]);

    // A refresh X refuses: the error says the user must log in again, and no more.
    let mut stored = Some(expired.clone());
    let mut refused = GrantTask::refresh_if_due(key.clone(), sentinel_client(), Default::default());
    drive_to_send("GrantTask (refused)", &mut refused, &mut stored, now, at);
    let answer = http::Response::builder()
        .status(400)
        .header("content-type", "application/json")
        .body(
            br#"{"error":"invalid_request","error_description":"Value passed for the token was invalid. SENTINELtokenSECRET"}"#
                .to_vec(),
        )
        .expect("a response");
    refused.answered(answer, now);
    loop {
        deep_formats("GrantTask (refused)", &refused, &[]);
        match refused.poll(at) {
            Next::Load => refused.loaded(
                Ok(Loaded {
                    grant: stored.clone(),
                    salvage: None,
                }),
                now,
            ),
            Next::Save { grant, .. } => {
                stored = Some(grant.clone());
                refused.saved(Ok(Saved::Written), now);
            }
            Next::Release => refused.released(),
            Next::Done => break,
            other => panic!("refused: unexpected {other:?}"),
        }
    }
    deep_formats("lost StoredGrant", &stored, &[]);
    let error: GrantError = refused.finish().expect_err("the grant is gone");
    deep_formats("GrantError", &error, &[]);
    assert_clean("GrantError Display", &error.to_string());

    // A logout, up to the revocation request (its body holds the refresh token).
    let mut stored = Some(expired);
    let mut logout = GrantTask::logout(key, sentinel_client(), Default::default());
    drive_to_send("GrantTask (logout)", &mut logout, &mut stored, now, at);
}

/// Both adapters' grants, API clients, refresh reports and errors, holding a grant made of
/// sentinels (logged in without a network; its refresh cannot reach anything).
#[test]
fn adapter_grants_never_print_secrets() {
    use std::sync::Arc;
    use twitter_auth_core::grant::UserKey;
    use twitter_auth_std::MemoryStore;

    let key = UserKey::new("leak-scan").expect("a key");
    // Expired: any use needs a refresh, which finds nobody listening.
    let tokens = sentinel_tokens(1_000_000_000);
    let request = || {
        http::Request::get("http://127.0.0.1:1/2/users/me")
            .body(Vec::new())
            .expect("a request")
    };

    // The app is at a dead loopback port: the refresh is refused at connect, never sent to X.
    let transport = twitter_auth_ureq::Transport::new();
    deep_formats("ureq Transport", &transport, &[]);
    let grants = twitter_auth_ureq::Grants::new(
        transport,
        sentinel_client_at(dead_endpoints()),
        Arc::new(MemoryStore::new()),
    );
    let api = grants.login(&key, tokens.clone()).expect("stored");
    deep_formats("ureq Grants", &grants, &[]);
    deep_formats("ureq ApiClient (user)", &api, &[]);
    deep_formats("ureq credential", &api.credential(), &[]);
    let error = api.send(request()).expect_err("nobody listens");
    deep_formats("ureq Error", &error, &[]);
    assert_clean("ureq Error Display", &error.to_string());
    let report = grants
        .refresh_due(twitter_auth_core::oauth2::DEFAULT_REFRESH_MARGIN, 2)
        .expect("the job runs");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    deep_formats("ureq RefreshReport", &report, &[]);
    for (_, e) in &report.failed {
        assert_clean("ureq RefreshReport error Display", &e.to_string());
    }

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let transport = twitter_auth_reqwest::Transport::new();
        deep_formats("reqwest Transport", &transport, &[]);
        let grants = twitter_auth_reqwest::Grants::new(
            transport,
            sentinel_client_at(dead_endpoints()),
            Arc::new(MemoryStore::new()),
        );
        let api = grants.login(&key, tokens).await.expect("stored");
        deep_formats("reqwest Grants", &grants, &[]);
        deep_formats("reqwest ApiClient (user)", &api, &[]);
        deep_formats("reqwest credential", &api.credential(), &[]);
        let error = api.send(request()).await.expect_err("nobody listens");
        deep_formats("reqwest Error", &error, &[]);
        assert_clean("reqwest Error Display", &error.to_string());
        let report = grants
            .refresh_due(twitter_auth_core::oauth2::DEFAULT_REFRESH_MARGIN, 2)
            .await
            .expect("the job runs");
        assert_eq!(report.failed.len(), 1, "{report:?}");
        deep_formats("reqwest RefreshReport", &report, &[]);
        for (_, e) in &report.failed {
            assert_clean("reqwest RefreshReport error Display", &e.to_string());
        }
    });
}

/// Tokens the fake X issues, held by each adapter's grants through logins, refreshes, a
/// refresh job and a logout, never show in what those values print.
fn issued_tokens_never_print<A: twitter_auth_tests::adapters::Adapter>() {
    use std::sync::Arc;
    use std::time::Duration;
    use twitter_auth_core::grant::{StoredGrant, UserKey};
    use twitter_auth_core::retry::RetryPolicy;
    use twitter_auth_std::{BlockingTokenStore, MemoryStore};

    use crate::adapters::{first_user_key, get, log_in_to, start, stored};

    let x = start();
    let user = log_in_to::<A, _>(
        &x,
        RetryPolicy::new(),
        Arc::new(MemoryStore::new()),
        first_user_key(&x),
        51,
    );
    let second = UserKey::new("second device").expect("a key");
    let tokens = crate::adapters::pkce_login(
        &x,
        &crate::adapters::adapter::<A>(&x, RetryPolicy::new()),
        &crate::adapters::public_client(&x),
        52,
    );
    let other = A::login(&user.grants, &second, tokens).expect("stored");
    let mut seen: Vec<StoredGrant> = vec![stored(&*user.store, &user.key)];
    A::refresh_now(&user.api).expect("refreshed");
    seen.push(stored(&*user.store, &user.key));
    x.mock().advance(Duration::from_secs(7200));
    let report = A::refresh_due(&user.grants, 2).expect("the job runs");
    assert_eq!(report.refreshed.len(), 2, "{report:?}");
    seen.push(stored(&*user.store, &user.key));
    seen.push(stored(&*user.store, &second));
    let answer = A::send(&other, get(&x, "2/users/me")).expect("an answer");
    assert_eq!(answer.status(), 200);
    let secrets: Vec<String> = seen
        .iter()
        .flat_map(|g| {
            let tokens = g.tokens();
            [
                tokens.access_token().secret().to_owned(),
                tokens
                    .refresh_token()
                    .expect("refreshable")
                    .secret()
                    .to_owned(),
            ]
        })
        .collect();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    deep_formats("Grants", &user.grants, &secrets);
    deep_formats("ApiClient", &user.api, &secrets);
    deep_formats("credential", &A::credential(&user.api), &secrets);
    deep_formats("store", &*user.store, &secrets);
    deep_formats(
        "Loaded",
        &BlockingTokenStore::load(&*user.store, &user.key).expect("loads"),
        &secrets,
    );
    deep_formats("StoredGrant", &seen, &secrets);
    deep_formats("RefreshReport", &report, &secrets);
    A::logout(&other).expect("logged out");
    deep_formats("Grants after a logout", &user.grants, &secrets);
    deep_formats(
        "the logged-out client's error",
        &A::send(&other, get(&x, "2/users/me")).expect_err("logged out"),
        &secrets,
    );
}

for_each_adapter! {
    issued_tokens_never_print_in_grants => issued_tokens_never_print::<A>();
}

/// What a refresh or a logout task asks to send (`Next::Send`) holds the request, whose form
/// body carries the refresh token: its `Debug` must not print it, not even as a list of bytes.
///
/// Library bug: `twitter_auth_core::grant::Next` derives `Debug`, and `Next::Send { request }`
/// prints the borrowed `http::Request<Vec<u8>>`, body bytes included (`refresh_token=…` for a
/// refresh, `token=…` for a revocation), where the exchanges themselves print redacted.
#[test]
fn grant_task_requests_never_print_secrets() {
    use std::time::{Duration, UNIX_EPOCH};
    use twitter_auth_core::grant::UserKey;

    let key = UserKey::new("leak-scan").expect("a key");
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let at = Instant::now();
    let expired = StoredGrant::new(key.clone(), sentinel_tokens(1_700_000_000), 1);
    let mut refresh = GrantTask::refresh_if_due(key.clone(), sentinel_client(), Default::default());
    drive_to_send("refresh", &mut refresh, &mut Some(expired.clone()), now, at);
    deep_formats("Next::Send (refresh)", &refresh.poll(at), &[]);
    let mut logout = GrantTask::logout(key, sentinel_client(), Default::default());
    drive_to_send("logout", &mut logout, &mut Some(expired), now, at);
    deep_formats("Next::Send (revoke)", &logout.poll(at), &[]);
}

/// The apps and every step they build (issue 12's API): `oauth2::App`, `oauth1::App` and
/// `oauth1::App` holding sentinel secrets (the app-only steps included), the `*Exchange` steps (whose requests carry secrets in
/// headers and bodies), the OAuth 2.0 and OAuth 1.0a pending logins, `AuthorizedCode`,
/// `AuthorizedToken`, the app-only bearer, and both adapters' `Transport`. Nothing is sent: the
/// apps are at a loopback host where nothing listens.
#[test]
fn apps_and_their_steps_never_print_secrets() {
    use std::time::{Duration, UNIX_EPOCH};
    use twitter_auth_core::oauth1::{self, AuthorizeKind, Callback, RequestToken};
    use twitter_auth_core::oauth2::{AppOnlyBearer, RevokeToken, Scope, Scopes};
    use twitter_auth_core::{BearerToken, Exchange};

    const REQUEST_TOKEN: &str = "leakScanRequestToken";
    const CODE: &str = "SENTINELcodeSENTINELcode";
    const BEARER: &str = "SENTINELbearerTOKEN";

    let endpoints = Endpoints::local("http://127.0.0.1:1/").expect("a loopback base");
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let tokens = sentinel_tokens(1_800_000_000);
    let user_token = TokenCredentials::new(
        Token::new("leakScanUserToken"),
        TokenSecret::new(SENTINELS[1]),
    );

    // OAuth 2.0: the app, a login from its authorize request to the code exchange, and every
    // step on a token set.
    let app = sentinel_client();
    deep_formats("oauth2::App", &app, &[]);
    let request = app
        .authorize(
            "http://127.0.0.1:8765/callback",
            Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]),
        )
        .expect("an authorize request");
    deep_formats("AuthorizeRequest", &request, &[]);
    let (url, pending) = request.start(now, &mut rng);
    let state = url
        .query_pairs()
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
        .expect("a state in the authorize URL");
    deep_formats("oauth2::PendingLogin", &pending, &[state.as_str()]);
    let code = pending
        .on_callback(
            &format!("http://127.0.0.1:8765/callback?state={state}&code={CODE}"),
            now,
        )
        .expect("a code");
    deep_formats("AuthorizedCode", &code, &[state.as_str()]);
    let mut steps: Vec<(&str, Box<dyn std::fmt::Debug>)> = Vec::new();
    let exchange = app.exchange(code).expect("a step");
    assert!(
        !exchange.request().body().is_empty(),
        "the code exchange's body carries the code and the verifier"
    );
    steps.push(("CodeExchange", Box::new(exchange)));
    steps.push((
        "RefreshExchange",
        Box::new(app.refresh(&tokens).expect("a step")),
    ));
    steps.push((
        "RevokeExchange (refresh)",
        Box::new(
            app.revoke(RevokeToken::Refresh(
                tokens.refresh_token().expect("refreshable"),
            ))
            .expect("a step"),
        ),
    ));
    steps.push((
        "RevokeExchange (access)",
        Box::new(
            app.revoke(RevokeToken::Access(tokens.access_token()))
                .expect("a step"),
        ),
    ));
    steps.push((
        "UsersMeExchange (OAuth 2.0)",
        Box::new(app.users_me(&tokens).expect("a step")),
    ));

    // App-only: the app, its bearer, and its three steps.
    let app_only = oauth1::App::new(
        ConsumerKey::new("leakScanKey"),
        ConsumerSecret::new(SENTINELS[0]),
    )
    .with_endpoints(endpoints.clone());
    deep_formats("oauth1::App (app-only)", &app_only, &[]);
    let bearer = AppOnlyBearer::new(BearerToken::new(BEARER)).expect("a bearer");
    deep_formats("AppOnlyBearer", &bearer, &[BEARER]);
    steps.push((
        "BearerExchange",
        Box::new(app_only.obtain_bearer().expect("a step")),
    ));
    steps.push((
        "InvalidateBearerExchange (basic)",
        Box::new(app_only.invalidate_bearer_basic(&bearer).expect("a step")),
    ));
    steps.push((
        "InvalidateBearerExchange (signed)",
        Box::new(
            app_only
                .invalidate_bearer_signed(&bearer, &user_token, now, &mut rng)
                .expect("a step"),
        ),
    ));

    // OAuth 1.0a: the app, a login from the request token to the access-token step, and the
    // signed steps on a user's token.
    let app1 = oauth1::App::new(
        ConsumerKey::new("leakScanKey"),
        ConsumerSecret::new(SENTINELS[0]),
    )
    .with_endpoints(endpoints.clone());
    deep_formats("oauth1::App", &app1, &[]);
    deep_formats(
        "oauth1::App from ConsumerCredentials",
        &oauth1::App::from(ConsumerCredentials::new(
            ConsumerKey::new("leakScanKey"),
            ConsumerSecret::new(SENTINELS[0]),
        ))
        .with_endpoints(endpoints),
        &[],
    );
    let signer = app1.signer(&user_token);
    deep_formats("UserSigner", &signer, &[]);
    let step = app1
        .request_token(
            RequestToken::new(Callback::url("http://127.0.0.1:8765/callback").expect("a callback")),
            now,
            &mut rng,
        )
        .expect("a step");
    deep_formats("RequestTokenExchange", &step, &[]);
    let answer = http::Response::builder()
        .status(200)
        .body(
            format!(
                "oauth_token={REQUEST_TOKEN}&oauth_token_secret={}&oauth_callback_confirmed=true",
                SENTINELS[1]
            )
            .into_bytes(),
        )
        .expect("a response");
    let pending = step.finish(now, answer).expect("a pending login");
    deep_formats("oauth1::PendingLogin", &pending, &[]);
    assert!(
        app1.authorize_url(&pending, AuthorizeKind::Authorize)
            .as_str()
            .starts_with("http://127.0.0.1:1/"),
        "the authorize page is the app's host's"
    );
    let authorized = pending
        .on_callback(
            &format!(
                "http://127.0.0.1:8765/callback?oauth_token={REQUEST_TOKEN}&oauth_verifier={}",
                SENTINELS[2]
            ),
            now,
        )
        .expect("a verifier");
    deep_formats("AuthorizedToken", &authorized, &[]);
    steps.push((
        "AccessTokenExchange",
        Box::new(
            app1.access_token(authorized, now, &mut rng)
                .expect("a step"),
        ),
    ));
    steps.push((
        "VerifyCredentialsExchange",
        Box::new(
            app1.verify_credentials(&signer, now, &mut rng)
                .expect("a step"),
        ),
    ));
    steps.push((
        "UsersMeExchange (OAuth 1.0a)",
        Box::new(app1.users_me(&signer, now, &mut rng).expect("a step")),
    ));
    steps.push((
        "InvalidateTokenExchange",
        Box::new(
            app1.invalidate_token(&user_token, now, &mut rng)
                .expect("a step"),
        ),
    ));
    for (name, step) in &steps {
        deep_formats(name, step, &[CODE, BEARER]);
    }
    assert_eq!(steps.len(), 12);

    // The adapters' transports (no endpoints of their own any more).
    deep_formats("ureq Transport", &twitter_auth_ureq::Transport::new(), &[]);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        deep_formats(
            "reqwest Transport",
            &twitter_auth_reqwest::Transport::new(),
            &[],
        );
    });
}
