//! The blocking adapter's issue-14 surface against the fake X on loopback: `start_login`
//! (no `rand` of the caller's), `verify_callback`, the typed calls `me()` and `get_json`, and
//! transport errors that name the host and the cause without the URL's query.

use std::sync::Arc;
use std::time::Duration;

use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2::{self, Scope, Scopes};
use twitter_auth_core::{ClientId, ClientSecret, Endpoints, Replay, http};
use twitter_auth_mock::{DEMO_WEB_APP, MockConfig, MockX};
use twitter_auth_std::{Clock, MemoryStore};
use twitter_auth_ureq::rand as reexported;
use twitter_auth_ureq::{Error, Grants, Transport};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The fake X's clock (tests move it forward); sleeps are real.
struct MockClock(Arc<MockX>);

impl std::fmt::Debug for MockClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MockClock")
    }
}

impl Clock for MockClock {
    fn now(&self) -> std::time::SystemTime {
        std::time::UNIX_EPOCH + Duration::from_secs(self.0.now())
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

#[test]
fn start_login_verify_callback_and_typed_calls() -> Result {
    const REDIRECT: &str = "http://127.0.0.1:8765/callback";
    let mock = Arc::new(MockX::start(MockConfig::default())?);
    let client = Transport::new().with_clock(Arc::new(MockClock(Arc::clone(&mock))));
    let app = mock.config().app(DEMO_WEB_APP).ok_or("the demo web app")?;
    let web = oauth2::App::confidential(
        ClientId::new(app.client_id().ok_or("OAuth 2.0")?),
        ClientSecret::new(app.client_secret().ok_or("confidential")?),
    )
    .with_endpoints(Endpoints::local(mock.base_url())?);
    let scopes = Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]);
    let (url, pending) = client.start_login(web.authorize(REDIRECT, scopes.clone())?);
    let (_, other) = web
        .authorize(REDIRECT, scopes)?
        .start(client.clock().now(), &mut reexported::rng());
    assert_ne!(pending.state().secret(), other.state().secret());
    let consent = http::Request::get(url.as_str()).body(Vec::new())?;
    let consent = client.round_trip(&consent, Replay::Safe)?;
    let callback = consent.headers()["location"].to_str()?;
    // A forged callback first: refused, and the login is given back.
    let refused = pending
        .verify_callback("?state=forged&code=x", client.clock().now())
        .expect_err("a forged state is refused");
    let pending = refused.into_pending().ok_or("the login is kept")?;
    let code = pending.verify_callback(callback, client.clock().now())?;
    let tokens = client.execute(web.exchange(code)?)?;
    let grants = Grants::new(client, web, Arc::new(MemoryStore::new()));
    let api = grants.login(&UserKey::new("alice")?, tokens)?;

    assert_eq!(api.me()?.username, "mock_alice");
    #[derive(serde::Deserialize, Debug)]
    struct Data {
        data: Named,
    }
    #[derive(serde::Deserialize, Debug)]
    struct Named {
        username: String,
    }
    let bob: Data = api.get_json("/2/users/by/username/mock_bob")?;
    assert_eq!(bob.data.username, "mock_bob");
    mock.advance(Duration::from_secs(7200));
    assert_eq!(api.me()?.username, "mock_alice");
    assert_eq!(
        mock.counters().refreshes,
        1,
        "refreshed once, before the call"
    );
    Ok(())
}

/// Issue 14: "transport failure" and nothing else used to be all a failed request said.
#[test]
fn transport_errors_name_the_host_and_cause_but_not_the_query() -> Result {
    let client = Transport::new();
    let request = http::Request::get("http://127.0.0.1:1/2/users/me?access_token=SECRET-IN-QUERY")
        .body(Vec::new())?;
    let error = client
        .round_trip(&request, Replay::Never)
        .expect_err("port 1 refuses");
    let Error::Transport(e) = &error else {
        panic!("expected a transport failure, got {error:?}");
    };
    assert_eq!(e.host(), "127.0.0.1:1");
    let shown = error.to_string();
    eprintln!("{shown}");
    assert!(shown.contains("127.0.0.1:1"), "{shown}");
    assert!(
        shown.to_lowercase().contains("refused") || shown.contains("connection failed"),
        "the cause: {shown}"
    );
    assert!(error.hint().is_some());
    assert!(
        !format!("{error:?} {error}").contains("SECRET"),
        "{error:?}"
    );
    Ok(())
}

/// An API client refuses, unsent, a request for another host than its app's: the credential
/// would go with it.
#[test]
fn an_api_client_sends_nothing_to_another_host() -> Result {
    use twitter_auth_core::api::Credential;
    use twitter_auth_core::oauth2::AppOnlyBearer;
    let mock = MockX::start(MockConfig::default())?;
    let endpoints = Endpoints::local(mock.base_url())?;
    let bearer = AppOnlyBearer::new(twitter_auth_core::BearerToken::new("AAAA%2FBEARER"))?;
    let api = twitter_auth_ureq::ApiClient::new(
        Transport::new(),
        &endpoints,
        Credential::AppOnly(bearer),
    );
    let elsewhere = http::Request::get("http://127.0.0.1:1/2/users/me").body(Vec::new())?;
    let error = api.send(elsewhere).expect_err("another host");
    assert!(matches!(
        error.core(),
        Some(twitter_auth_core::Error::InvalidUrl { .. })
    ));
    let at_x =
        api.send(http::Request::get(endpoints.api_url("2/users/me").as_str()).body(Vec::new())?)?;
    assert_eq!(
        at_x.status(),
        401,
        "sent to the app's host (the fake X refuses the bearer)"
    );
    Ok(())
}
