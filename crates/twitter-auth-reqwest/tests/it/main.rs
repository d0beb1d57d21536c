//! Smoke tests of the async adapter against the fake X on loopback: app-only, OAuth 1.0a user
//! context, and one OAuth 2.0 refresh shared by 100 concurrent tasks.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use twitter_auth_core::api::Credential;
use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth1_sign::{
    ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use twitter_auth_core::oauth2::{self, Scope, Scopes};
use twitter_auth_core::{ClientId, Endpoints, HttpRequest, Replay};
use twitter_auth_mock::{
    DEMO_NATIVE_APP, DEMO_WEB_APP, Fault, FaultKind, MockConfig, MockX, RateLimits,
};
use twitter_auth_reqwest::{ApiClient, AsyncClock, Grants, Transport};
use twitter_auth_std::{MemoryStore, TokenStore};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn get(url: &str) -> HttpRequest {
    twitter_auth_core::http::Request::get(url)
        .body(Vec::new())
        .expect("a valid request")
}

fn client(_mock: &MockX) -> Transport {
    Transport::new()
}

/// The fake X's hosts.
fn endpoints(mock: &MockX) -> Endpoints {
    Endpoints::local(mock.base_url()).expect("the mock's base URL is loopback")
}

/// The fake X's clock, which tests move forward; sleeps are real.
struct MockClock(Arc<MockX>);

impl std::fmt::Debug for MockClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MockClock")
    }
}

impl AsyncClock for MockClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.now())
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[tokio::test]
async fn app_only_bearer_then_api_call() -> Result {
    let mock = MockX::start(MockConfig::default())?;
    let app = &mock.config().apps[0];
    let client = client(&mock);
    let step = twitter_auth_core::oauth1::App::new(
        ConsumerKey::new(app.consumer_key.clone()),
        ConsumerSecret::new(app.consumer_secret.clone()),
    )
    .with_endpoints(endpoints(&mock))
    .obtain_bearer()?;
    let bearer = client.execute(step).await?;

    let api = ApiClient::new(client, &endpoints(&mock), Credential::AppOnly(bearer));
    let url = api.endpoints().api_url("2/users/by/username/mock_alice");
    let answer = api.send(get(url.as_str())).await?;
    assert_eq!(answer.status(), 200);
    assert!(String::from_utf8(answer.into_body())?.contains("mock_alice"));
    assert!(api.transport().rate_limit().is_some());
    Ok(())
}

#[tokio::test]
async fn oauth1_user_context_verify_credentials() -> Result {
    let mock = MockX::start(MockConfig::default())?;
    let app = mock.config().app(DEMO_WEB_APP).expect("the demo web app");
    let owner = &app.user_tokens[0];
    let signer = twitter_auth_core::oauth1::App::new(
        ConsumerKey::new(app.consumer_key.clone()),
        ConsumerSecret::new(app.consumer_secret.clone()),
    )
    .signer(&TokenCredentials::new(
        Token::new(owner.token.clone()),
        TokenSecret::new(owner.secret.clone()),
    ));
    let api = ApiClient::new(client(&mock), &endpoints(&mock), Credential::OAuth1(signer));
    let url = api
        .endpoints()
        .api_url("1.1/account/verify_credentials.json");
    let answer = api.send(get(url.as_str())).await?;
    assert_eq!(answer.status(), 200);
    assert!(String::from_utf8(answer.into_body())?.contains("mock_alice"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_oauth2_token_is_refreshed_once_for_100_tasks() -> Result {
    const REDIRECT: &str = "http://127.0.0.1:8765/callback";
    let config = MockConfig {
        rate_limits: RateLimits::unlimited(), // X allows 75 calls of `2/users/me` per window
        ..MockConfig::default()
    };
    let mock = Arc::new(MockX::start(config)?);
    let client = client(&mock).with_clock(Arc::new(MockClock(Arc::clone(&mock))));
    let app = mock
        .config()
        .app(DEMO_NATIVE_APP)
        .expect("the demo native app");
    let oauth2_client = oauth2::App::public(ClientId::new(app.client_id().expect("OAuth 2.0")))
        .with_endpoints(endpoints(&mock));

    // PKCE login; consent is approved at once, so the authorize URL redirects to the callback.
    let scopes = Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]);
    let (url, pending) = oauth2_client
        .authorize(REDIRECT, scopes)?
        .start(client.clock().now(), &mut rand::rng());
    let consent = client.round_trip(&get(url.as_str()), Replay::Safe).await?;
    assert_eq!(consent.status(), 302);
    let callback = consent.headers()["location"].to_str()?;
    let code = pending.on_callback(callback, client.clock().now())?;
    let step = oauth2_client.exchange(code)?;
    let tokens = client.execute(step).await?;
    let first_access = tokens.access_token().secret().to_owned();
    let store = Arc::new(MemoryStore::new());
    let key = UserKey::new("mock-user")?;

    // Two hours later the access token is dead; 100 tasks need it at once. The refresh is held
    // for half a second, so every other task arrives while it is in flight: without single
    // flight they would refresh too, spending the rotated refresh token.
    mock.advance(Duration::from_secs(7200));
    mock.inject(Fault::new(
        "/2/oauth2/token",
        1,
        FaultKind::Delay(Duration::from_millis(500)),
    ));
    let grants = Grants::new(
        client,
        oauth2_client,
        Arc::clone(&store) as Arc<dyn TokenStore>,
    );
    let api = Arc::new(grants.login(&key, tokens).await?);
    let generation = api.generation().expect("a user's grant");
    let me = api.endpoints().api_url("2/users/me");
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (api, request) = (Arc::clone(&api), get(me.as_str()));
            tokio::spawn(async move { api.send(request).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await??.status(), 200);
    }
    assert_eq!(mock.counters().refreshes, 1, "one refresh for all tasks");
    assert_eq!(
        mock.counters().refresh_replays,
        0,
        "no spent refresh token sent"
    );
    let Some(Credential::OAuth2(current)) = api.credential() else {
        panic!("still an OAuth 2.0 credential");
    };
    let saved = TokenStore::load(&*store, &key)
        .await?
        .grant
        .expect("the store holds the new token set");
    assert_ne!(current.access_token().secret(), first_access);
    assert_eq!(api.generation(), Some(generation + 1));
    assert_eq!(saved.generation(), generation + 1);
    assert_eq!(
        saved.tokens().access_token().secret(),
        current.access_token().secret()
    );
    Ok(())
}

/// Issue 14: a transport failure used to display only "transport failure". It names the host
/// and the cause now, and still carries no URL query (a token may travel in one).
#[tokio::test]
async fn transport_errors_name_the_host_and_cause_but_carry_no_url() {
    // Port 1 on loopback refuses the connection: the request never left.
    let client = Transport::new();
    let request = get("http://127.0.0.1:1/2/users/me?access_token=SECRET-IN-QUERY");
    match client.round_trip(&request, Replay::Never).await {
        Err(error @ twitter_auth_reqwest::Error::Transport(_)) => {
            let twitter_auth_reqwest::Error::Transport(e) = &error else {
                unreachable!()
            };
            assert_eq!(e.host(), "127.0.0.1:1");
            assert!(
                e.get_ref().is_connect(),
                "a refused connection is a connect error"
            );
            assert!(e.get_ref().url().is_none());
            let shown = error.to_string();
            eprintln!("{shown}");
            assert!(shown.contains("127.0.0.1:1"), "{shown}");
            assert!(
                shown.to_lowercase().contains("refused"),
                "the cause: {shown}"
            );
            assert!(error.hint().is_some_and(|h| h.contains("network")));
            assert!(
                !format!("{error:?} {error}").contains("SECRET"),
                "{error:?}"
            );
        }
        other => panic!("expected a transport failure, got {other:?}"),
    }
}

/// Issue 14: a login needs no `rand` of the caller's (`start_login`, the `rand` re-export), and
/// the API client has typed calls: `me()` and `get_json`, refreshed like `send`.
#[tokio::test]
async fn start_login_and_typed_calls() -> Result {
    use twitter_auth_reqwest::rand as reexported;
    const REDIRECT: &str = "http://127.0.0.1:8765/callback";
    let mock = Arc::new(MockX::start(MockConfig::default())?);
    let client = client(&mock).with_clock(Arc::new(MockClock(Arc::clone(&mock))));
    let app = mock.config().app(DEMO_WEB_APP).expect("the demo web app");
    let oauth2_client = oauth2::App::confidential(
        ClientId::new(app.client_id().expect("OAuth 2.0")),
        twitter_auth_core::ClientSecret::new(app.client_secret().expect("confidential")),
    )
    .with_endpoints(endpoints(&mock));
    let scopes = Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]);
    let (url, pending) = client.start_login(oauth2_client.authorize(REDIRECT, scopes.clone())?);
    let (_, other) = oauth2_client.authorize(REDIRECT, scopes)?.start(
        client.clock().now(),
        &mut reexported::rng(), // no `rand` dependency needed: the adapter re-exports it
    );
    assert_ne!(pending.state().secret(), other.state().secret());
    let consent = client.round_trip(&get(url.as_str()), Replay::Safe).await?;
    let callback = consent.headers()["location"].to_str()?;
    let code = pending.verify_callback(callback, client.clock().now())?;
    let tokens = client.execute(oauth2_client.exchange(code)?).await?;
    let grants = Grants::new(client, oauth2_client, Arc::new(MemoryStore::new()));
    let api = grants.login(&UserKey::new("alice")?, tokens).await?;

    let me = api.me().await?;
    assert_eq!(
        (me.username.as_str(), me.name.as_str()),
        ("mock_alice", "Alice Mock")
    );
    #[derive(serde::Deserialize, Debug)]
    struct Data {
        data: Bob,
    }
    #[derive(serde::Deserialize, Debug)]
    struct Bob {
        username: String,
    }
    let bob: Data = api.get_json("2/users/by/username/mock_bob").await?;
    assert_eq!(bob.data.username, "mock_bob");
    // Two hours later `me()` refreshes first, once.
    mock.advance(Duration::from_secs(7200));
    assert_eq!(api.me().await?.username, "mock_alice");
    assert_eq!(mock.counters().refreshes, 1);
    // X's refusal comes back typed.
    let missing = api
        .get_json::<Data>("2/users/by/username/nobody_here")
        .await;
    assert!(
        matches!(missing, Err(twitter_auth_reqwest::Error::Core(_))),
        "{missing:?}"
    );
    Ok(())
}
