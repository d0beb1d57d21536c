//! Async transport for [`twitter_auth_core`] over [`reqwest`]: every X authentication flow, and
//! an API client that signs or authorizes each request and refreshes OAuth 2.0 tokens once for
//! all tasks.
//!
//! All protocol decisions are the core's; this crate sends, receives, waits and holds shared
//! state. Its blocking twin, `twitter-auth-ureq`, has the same shape: switching is one import
//! (and `.await`). It needs a tokio runtime with time enabled (`#[tokio::main]` or
//! `Runtime::new()`).
//!
//! # Example: an app-only bearer token, then an API call with it
//!
//! ```
//! use twitter_auth_core::api::Credential;
//! use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
//! use twitter_auth_core::oauth1;
//! use twitter_auth_core::Endpoints;
//! use twitter_auth_reqwest::{ApiClient, Transport};
//!
//! # let x = twitter_auth_mock::MockX::start(Default::default())?;
//! # let (key, secret) = (x.config().apps[0].consumer_key.clone(), x.config().apps[0].consumer_secret.clone());
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let transport = Transport::new(); // HTTP only: cheap to clone, one for every app and user
//! let app = oauth1::App::new(ConsumerKey::new(key), ConsumerSecret::new(secret))
//!     .with_endpoints(Endpoints::local(x.base_url())?); // without it: X's own hosts
//!
//! // Any flow step of the core is one `execute`.
//! let bearer = transport.execute(app.obtain_bearer()?).await?;
//!
//! // An API client authorizes every request it sends.
//! let api = ApiClient::new(transport, app.endpoints(), Credential::AppOnly(bearer));
//! let url = api.endpoints().api_url("2/users/by/username/mock_bob");
//! let request = twitter_auth_core::http::Request::get(url.as_str()).body(Vec::new())?;
//! let answer = api.send(request).await?;
//! assert_eq!(answer.status(), 200);
//! assert!(api.transport().rate_limit().is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use twitter_auth_core::api::{self, AfterAnswer, Credential, replay_for};
use twitter_auth_core::grant::LoginRequired;
use twitter_auth_core::oauth2::{AuthorizeRequest, PendingLogin, User};
use twitter_auth_core::rate_limit::RateLimit;
use twitter_auth_core::retry::{Decision, Outcome, RetryPolicy, TransportFailure};
use twitter_auth_core::url::Url;
use twitter_auth_core::{
    Endpoints, Exchange, HttpRequest, HttpResponse, Replay, TransportError, http,
};
use twitter_auth_std::{StoreError, lock, read, write};

mod grants;

pub use grants::{Grants, RefreshReport};

/// The RNG [`Transport::start_login`] draws from (`rand::rng()`), for callers of
/// [`AuthorizeRequest::start`] who want no `rand` dependency of their own.
pub use rand;
pub use reqwest;
pub use twitter_auth_core;
pub use twitter_auth_std;

/// Everything that can go wrong, without secrets in any message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// X or the protocol said no (typed, with hints).
    #[error(transparent)]
    Core(#[from] twitter_auth_core::Error),
    /// No answer: connection, TLS, timeout. Says where the request went and why; the URL is
    /// stripped from reqwest's error (a query may carry a token).
    #[error("transport failure talking to {0}")]
    Transport(#[source] TransportError<reqwest::Error>),
    /// The token store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A user's call (`refresh_now`, `logout`) on an API client with a fixed credential.
    #[error("this API client holds a fixed credential, not a user's grant (see Grants::api)")]
    NotAGrant,
    /// The HTTP client followed a redirect: give `with_client` one built with
    /// `redirect::Policy::none()`.
    #[error("the HTTP transport followed a redirect; it must not (redirect::Policy::none())")]
    Redirected,
    /// The runtime shut down before a refresh task finished, or the task panicked (the store
    /// keeps whatever was last saved).
    #[error("a refresh task did not finish")]
    Interrupted,
}

impl Error {
    /// The core's error, if this is one.
    pub fn core(&self) -> Option<&twitter_auth_core::Error> {
        match self {
            Self::Core(e) => Some(e),
            _ => None,
        }
    }

    /// Why the user must log in again, if that is what this error means.
    pub fn login_required(&self) -> Option<LoginRequired> {
        self.core()?.login_required()
    }

    /// What usually causes this error, and what to do about it (the core's
    /// [`hint`](twitter_auth_core::Error::hint), or [`twitter_auth_core::TRANSPORT_HINT`]).
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Transport { .. } => Some(twitter_auth_core::TRANSPORT_HINT),
            _ => self.core()?.hint(),
        }
    }
}

/// Wraps reqwest's errors (their URL removed) for a request to `uri`.
fn transport(uri: &http::Uri) -> impl FnOnce(reqwest::Error) -> Error + '_ {
    |e| Error::Transport(TransportError::new(uri, e.without_url()))
}

/// Where an async adapter reads the time and waits: the async twin of
/// [`twitter_auth_std::Clock`] (tests pass a fake one).
pub trait AsyncClock: Send + Sync + std::fmt::Debug {
    /// The current wall-clock time (OAuth timestamps and token expiry need wall time).
    fn now(&self) -> SystemTime;

    /// Waits for `duration` without blocking the thread.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The operating system's clock, sleeping with [`tokio::time::sleep`].
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioClock;

impl AsyncClock for TokioClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Sends the core's requests: no redirects, every status to the core, timeouts, retries by the
/// core's [`RetryPolicy`], and the latest [`RateLimit`] kept.
///
/// Clones are cheap and share the connection pool and the rate-limit record.
#[derive(Clone, Debug)]
pub struct Transport {
    http: reqwest::Client,
    policy: RetryPolicy,
    clock: Arc<dyn AsyncClock>,
    rate_limit: Arc<Mutex<Option<RateLimit>>>,
}

impl Default for Transport {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport {
    /// A client with its own reqwest client: rustls (verified against the platform's roots),
    /// no redirects, connect timeout 10 s, whole request 30 s, and no retries (see
    /// [`with_policy`](Self::with_policy)).
    ///
    /// # Panics
    ///
    /// As [`reqwest::Client::new`]: if the TLS backend cannot be initialized.
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .expect("the TLS backend initializes");
        Self::with_client(http)
    }

    /// A client on the caller's reqwest client, whose settings are kept as they are (give it
    /// timeouts: reqwest has none by default). It **must** be built with
    /// `redirect(reqwest::redirect::Policy::none())`: reqwest cannot turn redirects off per
    /// request, and a followed redirect would hide the answer from the core and may carry a
    /// request elsewhere.
    pub fn with_client(http: reqwest::Client) -> Self {
        Self {
            http,
            policy: RetryPolicy::new(),
            clock: Arc::new(TokioClock),
            rate_limit: Arc::new(Mutex::new(None)),
        }
    }

    /// Retries, backoff and waiting on rate limits (`RetryPolicy::recommended()` retries
    /// 5xx and connection failures; add `with_wait_on_rate_limit(true)` to wait on 429).
    #[must_use]
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Reads time and sleeps through `clock` (tests pass a fake one).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn AsyncClock>) -> Self {
        self.clock = clock;
        self
    }

    /// The clock in use.
    pub fn clock(&self) -> &dyn AsyncClock {
        &*self.clock
    }

    /// The rate-limit headers of the latest answer that had any.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        lock(&self.rate_limit).clone()
    }

    /// Starts a login on this transport's clock, with a verifier and `state` from
    /// the operating system's RNG (`rand::rng()`): the URL to send the user to, and the
    /// pending login to keep in that browser's session (see [`PendingLogin`]).
    pub fn start_login(&self, request: AuthorizeRequest) -> (Url, PendingLogin) {
        request.start(self.clock.now(), &mut rand::rng())
    }

    /// Runs one flow step: sends its request (retrying as the policy and the step allow) and
    /// finishes it with the answer.
    pub async fn execute<E: Exchange>(&self, step: E) -> Result<E::Output, Error> {
        let answer = self.round_trip(step.request(), step.replay()).await?;
        Ok(step.finish(self.clock.now(), answer)?)
    }

    /// Sends `request` until the policy accepts an answer; the answer is returned whatever its
    /// status, for the caller (a flow step, or the API client) to judge. The same bytes are
    /// re-sent, so a [`Replay::Resign`] request is not re-sent at all.
    pub async fn round_trip(
        &self,
        request: &HttpRequest,
        replay: Replay,
    ) -> Result<HttpResponse, Error> {
        self.attempts(&mut request.clone(), |_| Ok(()), replay.as_sent())
            .await
    }

    /// The one loop: `authorize` sets each attempt's credential on `request` (signed anew when
    /// it must be), then the attempt is sent.
    pub(crate) async fn attempts(
        &self,
        request: &mut HttpRequest,
        mut authorize: impl FnMut(&mut HttpRequest) -> Result<(), Error>,
        replay: Replay,
    ) -> Result<HttpResponse, Error> {
        let mut attempt = 0;
        loop {
            authorize(request)?;
            // The body goes to reqwest without a copy and comes back for a retry (copied only
            // if reqwest still holds it).
            let body = Bytes::from(std::mem::take(request.body_mut()));
            let result = self.send(request, body.clone()).await;
            *request.body_mut() = Vec::from(body);
            if let Err(Error::Redirected) = result {
                return result; // a misconfigured transport: retrying cannot help
            }
            let now = self.clock.now();
            if let Ok(answer) = &result
                && let Some(limits) = RateLimit::from_response(answer, now)
            {
                *lock(&self.rate_limit) = Some(limits);
            }
            let outcome = match &result {
                Ok(answer) => Outcome::Response(answer),
                Err(e) => Outcome::Transport(failure_of(e)),
            };
            match self
                .policy
                .decide(replay, attempt, outcome, now, rand::random())
            {
                Decision::Accept => return result,
                Decision::RetryAfter(wait) => self.clock.sleep(wait).await,
                Decision::GiveUp(Some(e)) => return Err(e.into()),
                Decision::GiveUp(None) => return result,
            }
            attempt += 1;
        }
    }

    /// Sends one attempt: method, URI, version, the headers (copied: a retry sends them
    /// again) and `body`. The URL is parsed as `reqwest::Client::get(url)` parses it; one
    /// reqwest refuses is not sent.
    async fn send(&self, request: &HttpRequest, body: Bytes) -> Result<HttpResponse, Error> {
        let to = request.uri();
        let mut sent_to = api::uri_string(to);
        let mut outgoing = self
            .http
            .request(request.method().clone(), sent_to.as_str())
            .version(request.version())
            .build()
            .map_err(transport(to))?;
        *outgoing.headers_mut() = request.headers().clone();
        *outgoing.body_mut() = Some(body.into());
        // The URL as reqwest normalized it, in the same buffer (no copy of the `Url`).
        sent_to.replace_range(.., outgoing.url().as_str());
        let mut response = self.http.execute(outgoing).await.map_err(transport(to))?;
        if response.url().as_str() != sent_to {
            return Err(Error::Redirected); // a caller's client that follows redirects
        }
        let mut answer = http::Response::new(Vec::new());
        *answer.status_mut() = response.status();
        *answer.version_mut() = response.version();
        *answer.headers_mut() = std::mem::take(response.headers_mut());
        *answer.extensions_mut() = std::mem::take(response.extensions_mut());
        // Taken over without a copy when the buffer is the body's alone.
        *answer.body_mut() = Vec::from(response.bytes().await.map_err(transport(to))?);
        Ok(answer)
    }
}

/// Whether a failed request may have reached X: only a failed connection proves it did not.
pub(crate) fn failure_of(error: &Error) -> TransportFailure {
    match error {
        Error::Transport(e) if e.get_ref().is_connect() => TransportFailure::NotSent,
        _ => TransportFailure::Unknown,
    }
}

/// Calls the X API with one credential: signs (OAuth 1.0a) or authorizes (bearer) every
/// request, and re-signs once after a 135. For a user's OAuth 2.0 grant, refreshed before
/// expiry and once after a 401, get one from [`Grants::api`].
#[derive(Debug)]
pub struct ApiClient {
    transport: Transport,
    /// Where `get_json` and `me` resolve paths.
    endpoints: Arc<Endpoints>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// OAuth 1.0a, app-only, or a token set used until it expires: shared, never copied per
    /// request (the signer's keyed state stays in one place; boxed, it is large).
    Fixed(Box<RwLock<Credential>>),
    /// A user's grant in a keyed store.
    User(grants::UserHandle),
}

impl ApiClient {
    /// An API client for an OAuth 1.0a or app-only credential of the app at `endpoints` (an
    /// OAuth 2.0 token set given here is used until it expires, never refreshed: see
    /// [`Grants`]).
    pub fn new(transport: Transport, endpoints: &Endpoints, credential: Credential) -> Self {
        Self {
            transport,
            endpoints: Arc::new(endpoints.clone()),
            kind: Kind::Fixed(Box::new(RwLock::new(credential))),
        }
    }

    /// The transport.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The hosts the credential belongs to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The credential as it stands (after any refresh or learnt clock offset); `None` for a
    /// user who logged out.
    pub fn credential(&self) -> Option<Credential> {
        match &self.kind {
            Kind::Fixed(credential) => Some(read(credential).clone()),
            Kind::User(user) => Some(Credential::OAuth2(user.cached()?.tokens().clone())),
        }
    }

    /// Sends `request` with the credential; returns X's answer whatever its status. Every
    /// attempt, retries included, is signed anew (fresh nonce and timestamp). A request for
    /// another host than the credential's app's ([`ApiClient::endpoints`]) is refused unsent.
    pub async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, Error> {
        api::check_host(&self.endpoints, &request)?; // the credential goes nowhere else
        let credential = match &self.kind {
            Kind::Fixed(credential) => credential,
            Kind::User(user) => return user.send(&self.transport, request).await,
        };
        let clock = &self.transport.clock;
        let mut attempt = 0;
        loop {
            let authorize = |request: &mut HttpRequest| {
                Ok(read(credential).authorize(request, clock.now(), &mut rand::rng())?)
            };
            let replay = replay_for(&request, &read(credential));
            let sent = self.transport.attempts(&mut request, authorize, replay);
            let answer = sent.await?;
            let after = write(credential).after_answer(&answer, clock.now(), attempt);
            if after != AfterAnswer::Resign {
                return Ok(answer); // a fixed token set has nothing to refresh with
            }
            attempt += 1;
        }
    }

    /// Sends `request` (built with `twitter_auth_core::api::request` or `json_request`) and
    /// reads X's JSON answer as `T`; any other status is X's error, typed.
    pub async fn json<T: DeserializeOwned>(&self, request: HttpRequest) -> Result<T, Error> {
        Ok(api::read_json(&self.send(request).await?)?)
    }

    /// `GET {api}/{path}` (e.g. `2/users/by/username/XDevelopers`), X's JSON answer as `T`.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let request = api::request(&self.endpoints, http::Method::GET, path)?;
        self.json(request).await
    }

    /// Who the user is: `GET 2/users/me` (needs `tweet.read` and `users.read`).
    pub async fn me(&self) -> Result<User, Error> {
        let answer = self.send(api::users_me(&self.endpoints)?).await?;
        Ok(api::read_user(&answer)?)
    }
}
