//! One face for both transport adapters, so an end-to-end test body runs through each: the
//! blocking `twitter-auth-ureq` directly, the async `twitter-auth-reqwest` on a runtime.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use twitter_auth_core::api::Credential;
use twitter_auth_core::grant::{GrantSettings, LoginRequired, RefreshReport, UserKey};
use twitter_auth_core::oauth2::{self, DEFAULT_REFRESH_MARGIN, TokenSet};
use twitter_auth_core::rate_limit::RateLimit;
use twitter_auth_core::retry::RetryPolicy;
use twitter_auth_core::{Endpoints, Exchange, HttpRequest, HttpResponse, Replay};
use twitter_auth_mock::MockX;
use twitter_auth_std::{BlockingTokenStore, Clock, TokenStore};

/// Why an adapter call failed, the same for both adapters.
#[derive(Debug)]
pub enum Failure {
    /// The core's typed error.
    Core(twitter_auth_core::Error),
    /// No answer (the transport's error, as text).
    Transport(String),
    /// The token store failed.
    Store(String),
    /// The user must log in again (the core's `Error::LoginRequired`, with its reason).
    LoginRequired(LoginRequired),
    /// The HTTP client followed a redirect and the adapter refused its answer (reqwest only:
    /// a caller's client that follows redirects).
    Redirected,
    /// A user's call on an API client with a fixed credential.
    NotAGrant,
}

/// The fake X's clock, for adapters: `sleep` moves it instead of waiting, so waits on rate
/// limits and backoffs cost no real time.
#[derive(Clone)]
pub struct MockClock(pub Arc<MockX>);

impl std::fmt::Debug for MockClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MockClock")
    }
}

impl Clock for MockClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.now())
    }

    fn sleep(&self, duration: Duration) {
        // Whole seconds, rounded up: the mock's clock has a one-second grain.
        let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
        self.0.advance(Duration::from_secs(secs));
    }
}

/// What a refresh job did, key by key, the same for both adapters.
pub type Report = RefreshReport<Failure>;

/// An adapter's report with its errors as [`Failure`]s.
fn report<E>(report: RefreshReport<E>, failure: impl Fn(E) -> Failure) -> Report {
    RefreshReport {
        refreshed: report.refreshed,
        current: report.current,
        unsaved: report.unsaved,
        login_required: report.login_required,
        failed: report
            .failed
            .into_iter()
            .map(|(key, e)| (key, failure(e)))
            .collect(),
    }
}

/// A transport adapter, seen from a test.
pub trait Adapter: Sized {
    /// The adapter's authenticated API client.
    type Api: Send + Sync + std::fmt::Debug;

    /// The adapter's keyed OAuth 2.0 grants (one transport, many users' grants in one store).
    type Grants: Send + Sync + std::fmt::Debug;

    /// For messages.
    const NAME: &'static str;

    /// A client for `endpoints` with `policy`, reading time from (and sleeping on) `clock`.
    fn new(endpoints: Endpoints, policy: RetryPolicy, clock: MockClock) -> Self;

    /// As [`new`](Self::new), but on a caller-supplied HTTP client built with its library's
    /// defaults, which follow redirects: ureq's `Agent::new_with_defaults()`, reqwest's
    /// `reqwest::Client::new()`.
    fn with_default_http(endpoints: Endpoints, policy: RetryPolicy, clock: MockClock) -> Self;

    /// Runs one flow step.
    fn execute<E>(&self, step: E) -> Result<E::Output, Failure>
    where
        E: Exchange + Send + 'static,
        E::Output: Send + 'static;

    /// Sends one request as it is (retried as the policy and `replay` allow) and returns the
    /// answer whatever its status.
    fn round_trip(&self, request: &HttpRequest, replay: Replay) -> Result<HttpResponse, Failure>;

    /// The latest rate-limit headers seen.
    fn rate_limit(&self) -> Option<RateLimit>;

    /// An API client with a fixed credential.
    fn api(self, credential: Credential) -> Self::Api;

    /// The grants in `store` (a store both adapters can use: it has both faces), refreshed
    /// with `client` through this transport, with `settings`.
    fn grants_with<S>(
        self,
        client: oauth2::App,
        store: Arc<S>,
        settings: GrantSettings,
    ) -> Self::Grants
    where
        S: TokenStore + BlockingTokenStore + 'static;

    /// [`grants_with`](Self::grants_with) the default settings.
    fn grants<S>(self, client: oauth2::App, store: Arc<S>) -> Self::Grants
    where
        S: TokenStore + BlockingTokenStore + 'static,
    {
        self.grants_with(client, store, GrantSettings::default())
    }

    /// Stores a new login's token set for `key`; its API client.
    fn login(grants: &Self::Grants, key: &UserKey, tokens: TokenSet) -> Result<Self::Api, Failure>;

    /// The API client of `key`'s stored grant.
    fn user_api(grants: &Self::Grants, key: &UserKey) -> Result<Self::Api, Failure>;

    /// Drops `key`'s cached grant (read from the store on next use).
    fn forget(grants: &Self::Grants, key: &UserKey);

    /// The refresh job with `workers` workers.
    fn refresh_due(grants: &Self::Grants, workers: usize) -> Result<Report, Failure>;

    /// Refreshes a user's grant now.
    fn refresh_now(api: &Self::Api) -> Result<(), Failure>;

    /// Logs a user out (revokes at X, deletes the key).
    fn logout(api: &Self::Api) -> Result<(), Failure>;

    /// The user's grant's generation as the API client holds it.
    fn generation(api: &Self::Api) -> Option<u64>;

    /// The user's key (`None` for a fixed credential).
    fn key(api: &Self::Api) -> Option<UserKey>;

    /// When the user's access token expires, as the API client holds it.
    fn expires_at(api: &Self::Api) -> Option<SystemTime>;

    /// The scopes the user granted, as the API client holds them.
    fn scopes(api: &Self::Api) -> Option<oauth2::Scopes>;

    /// The credential as it stands (`None` for a user who logged out).
    fn credential(api: &Self::Api) -> Option<Credential>;

    /// Sends one request through an API client.
    fn send(api: &Self::Api, request: HttpRequest) -> Result<HttpResponse, Failure>;
}

fn from_ureq(error: twitter_auth_ureq::Error) -> Failure {
    if let Some(reason) = error.login_required() {
        return Failure::LoginRequired(reason);
    }
    match error {
        twitter_auth_ureq::Error::Core(e) => Failure::Core(e),
        twitter_auth_ureq::Error::Store(e) => Failure::Store(e.to_string()),
        twitter_auth_ureq::Error::NotAGrant => Failure::NotAGrant,
        other => Failure::Transport(other.to_string()),
    }
}

/// The blocking adapter.
pub struct Ureq(twitter_auth_ureq::Transport, Endpoints);

impl Adapter for Ureq {
    type Api = twitter_auth_ureq::ApiClient;
    type Grants = twitter_auth_ureq::Grants;

    const NAME: &'static str = "ureq";

    fn new(endpoints: Endpoints, policy: RetryPolicy, clock: MockClock) -> Self {
        Self(
            twitter_auth_ureq::Transport::new()
                .with_policy(policy)
                .with_clock(Arc::new(clock)),
            endpoints,
        )
    }

    fn with_default_http(endpoints: Endpoints, policy: RetryPolicy, clock: MockClock) -> Self {
        Self(
            twitter_auth_ureq::Transport::with_agent(ureq::Agent::new_with_defaults())
                .with_policy(policy)
                .with_clock(Arc::new(clock)),
            endpoints,
        )
    }

    fn execute<E>(&self, step: E) -> Result<E::Output, Failure>
    where
        E: Exchange + Send + 'static,
        E::Output: Send + 'static,
    {
        self.0.execute(step).map_err(from_ureq)
    }

    fn round_trip(&self, request: &HttpRequest, replay: Replay) -> Result<HttpResponse, Failure> {
        self.0.round_trip(request, replay).map_err(from_ureq)
    }

    fn rate_limit(&self) -> Option<RateLimit> {
        self.0.rate_limit()
    }

    fn api(self, credential: Credential) -> Self::Api {
        twitter_auth_ureq::ApiClient::new(self.0, &self.1, credential)
    }

    fn grants_with<S>(
        self,
        client: oauth2::App,
        store: Arc<S>,
        settings: GrantSettings,
    ) -> Self::Grants
    where
        S: TokenStore + BlockingTokenStore + 'static,
    {
        // The harness's adapters talk to the fake X: its users' app does too.
        let client = client.with_endpoints(self.1);
        twitter_auth_ureq::Grants::new(self.0, client, store).with_settings(settings)
    }

    fn login(grants: &Self::Grants, key: &UserKey, tokens: TokenSet) -> Result<Self::Api, Failure> {
        grants.login(key, tokens).map_err(from_ureq)
    }

    fn user_api(grants: &Self::Grants, key: &UserKey) -> Result<Self::Api, Failure> {
        grants.api(key).map_err(from_ureq)
    }

    fn forget(grants: &Self::Grants, key: &UserKey) {
        grants.forget(key);
    }

    fn refresh_due(grants: &Self::Grants, workers: usize) -> Result<Report, Failure> {
        let done = grants
            .refresh_due(DEFAULT_REFRESH_MARGIN, workers)
            .map_err(from_ureq)?;
        Ok(report(done, from_ureq))
    }

    fn refresh_now(api: &Self::Api) -> Result<(), Failure> {
        api.refresh_now().map_err(from_ureq)
    }

    fn logout(api: &Self::Api) -> Result<(), Failure> {
        api.logout().map_err(from_ureq)
    }

    fn generation(api: &Self::Api) -> Option<u64> {
        api.generation()
    }

    fn key(api: &Self::Api) -> Option<UserKey> {
        api.key().cloned()
    }

    fn expires_at(api: &Self::Api) -> Option<SystemTime> {
        api.expires_at()
    }

    fn scopes(api: &Self::Api) -> Option<oauth2::Scopes> {
        api.scopes()
    }

    fn credential(api: &Self::Api) -> Option<Credential> {
        api.credential()
    }

    fn send(api: &Self::Api, request: HttpRequest) -> Result<HttpResponse, Failure> {
        api.send(request).map_err(from_ureq)
    }
}

impl twitter_auth_reqwest::AsyncClock for MockClock {
    fn now(&self) -> SystemTime {
        Clock::now(self)
    }

    fn sleep(&self, duration: Duration) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Clock::sleep(self, duration);
        Box::pin(std::future::ready(()))
    }
}

fn from_reqwest(error: twitter_auth_reqwest::Error) -> Failure {
    if let Some(reason) = error.login_required() {
        return Failure::LoginRequired(reason);
    }
    match error {
        twitter_auth_reqwest::Error::Core(e) => Failure::Core(e),
        twitter_auth_reqwest::Error::Store(e) => Failure::Store(e.to_string()),
        twitter_auth_reqwest::Error::Redirected => Failure::Redirected,
        twitter_auth_reqwest::Error::NotAGrant => Failure::NotAGrant,
        other => Failure::Transport(other.to_string()),
    }
}

/// The async adapter, driven on a runtime of its own.
pub struct Reqwest {
    runtime: Arc<tokio::runtime::Runtime>,
    client: twitter_auth_reqwest::Transport,
    endpoints: Endpoints,
}

/// The async adapter's API client with the runtime it runs on.
#[derive(Debug)]
pub struct ReqwestApi {
    /// The runtime.
    pub runtime: Arc<tokio::runtime::Runtime>,
    /// The API client.
    pub api: Arc<twitter_auth_reqwest::ApiClient>,
}

/// The async adapter's grants with the runtime they run on.
#[derive(Debug)]
pub struct ReqwestGrants {
    /// The runtime.
    pub runtime: Arc<tokio::runtime::Runtime>,
    /// The grants.
    pub grants: twitter_auth_reqwest::Grants,
}

impl ReqwestGrants {
    fn api(&self, api: twitter_auth_reqwest::ApiClient) -> ReqwestApi {
        ReqwestApi {
            runtime: Arc::clone(&self.runtime),
            api: Arc::new(api),
        }
    }
}

impl Reqwest {
    /// A runtime of its own, and the client `build` makes inside it (reqwest's client must be
    /// built inside a runtime).
    fn on_runtime(
        build: impl FnOnce() -> twitter_auth_reqwest::Transport,
        endpoints: Endpoints,
        policy: RetryPolicy,
        clock: MockClock,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let client = {
            let _guard = runtime.enter();
            build().with_policy(policy).with_clock(Arc::new(clock))
        };
        Self {
            runtime: Arc::new(runtime),
            client,
            endpoints,
        }
    }
}

impl Adapter for Reqwest {
    type Api = ReqwestApi;
    type Grants = ReqwestGrants;

    const NAME: &'static str = "reqwest";

    fn new(endpoints: Endpoints, policy: RetryPolicy, clock: MockClock) -> Self {
        Self::on_runtime(
            twitter_auth_reqwest::Transport::new,
            endpoints,
            policy,
            clock,
        )
    }

    fn with_default_http(endpoints: Endpoints, policy: RetryPolicy, clock: MockClock) -> Self {
        Self::on_runtime(
            || {
                let http = twitter_auth_reqwest::reqwest::Client::new();
                twitter_auth_reqwest::Transport::with_client(http)
            },
            endpoints,
            policy,
            clock,
        )
    }

    fn execute<E>(&self, step: E) -> Result<E::Output, Failure>
    where
        E: Exchange + Send + 'static,
        E::Output: Send + 'static,
    {
        self.runtime
            .block_on(self.client.execute(step))
            .map_err(from_reqwest)
    }

    fn round_trip(&self, request: &HttpRequest, replay: Replay) -> Result<HttpResponse, Failure> {
        self.runtime
            .block_on(self.client.round_trip(request, replay))
            .map_err(from_reqwest)
    }

    fn rate_limit(&self) -> Option<RateLimit> {
        self.client.rate_limit()
    }

    fn api(self, credential: Credential) -> Self::Api {
        ReqwestApi {
            runtime: self.runtime,
            api: Arc::new(twitter_auth_reqwest::ApiClient::new(
                self.client,
                &self.endpoints,
                credential,
            )),
        }
    }

    fn grants_with<S>(
        self,
        client: oauth2::App,
        store: Arc<S>,
        settings: GrantSettings,
    ) -> Self::Grants
    where
        S: TokenStore + BlockingTokenStore + 'static,
    {
        // The harness's adapters talk to the fake X: its users' app does too.
        let client = client.with_endpoints(self.endpoints);
        let grants =
            twitter_auth_reqwest::Grants::new(self.client, client, store).with_settings(settings);
        ReqwestGrants {
            runtime: self.runtime,
            grants,
        }
    }

    fn login(grants: &Self::Grants, key: &UserKey, tokens: TokenSet) -> Result<Self::Api, Failure> {
        let api = grants
            .runtime
            .block_on(grants.grants.login(key, tokens))
            .map_err(from_reqwest)?;
        Ok(grants.api(api))
    }

    fn user_api(grants: &Self::Grants, key: &UserKey) -> Result<Self::Api, Failure> {
        let api = grants
            .runtime
            .block_on(grants.grants.api(key))
            .map_err(from_reqwest)?;
        Ok(grants.api(api))
    }

    fn forget(grants: &Self::Grants, key: &UserKey) {
        grants.grants.forget(key);
    }

    fn refresh_due(grants: &Self::Grants, workers: usize) -> Result<Report, Failure> {
        let done = grants
            .runtime
            .block_on(grants.grants.refresh_due(DEFAULT_REFRESH_MARGIN, workers))
            .map_err(from_reqwest)?;
        Ok(report(done, from_reqwest))
    }

    fn refresh_now(api: &Self::Api) -> Result<(), Failure> {
        api.runtime
            .block_on(api.api.refresh_now())
            .map_err(from_reqwest)
    }

    fn logout(api: &Self::Api) -> Result<(), Failure> {
        api.runtime.block_on(api.api.logout()).map_err(from_reqwest)
    }

    fn generation(api: &Self::Api) -> Option<u64> {
        api.api.generation()
    }

    fn key(api: &Self::Api) -> Option<UserKey> {
        api.api.key().cloned()
    }

    fn expires_at(api: &Self::Api) -> Option<SystemTime> {
        api.api.expires_at()
    }

    fn scopes(api: &Self::Api) -> Option<oauth2::Scopes> {
        api.api.scopes()
    }

    fn credential(api: &Self::Api) -> Option<Credential> {
        api.api.credential()
    }

    fn send(api: &Self::Api, request: HttpRequest) -> Result<HttpResponse, Failure> {
        api.runtime
            .block_on(api.api.send(request))
            .map_err(from_reqwest)
    }
}
