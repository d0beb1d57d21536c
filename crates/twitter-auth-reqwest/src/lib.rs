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
//! use twitter_auth_core::oauth2::AppOnly;
//! use twitter_auth_core::Endpoints;
//! use twitter_auth_reqwest::{ApiClient, Client};
//!
//! # let x = twitter_auth_mock::MockX::start(Default::default())?;
//! # let (key, secret) = (x.config().apps[0].consumer_key.clone(), x.config().apps[0].consumer_secret.clone());
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let endpoints = Endpoints::local(x.base_url())?; // `Endpoints::x()` for the real X
//! let client = Client::new(endpoints);
//!
//! // Any flow step of the core is one `execute`.
//! let app = AppOnly::new(ConsumerKey::new(key), ConsumerSecret::new(secret));
//! let bearer = client.execute(app.obtain(client.endpoints())?).await?;
//!
//! // An API client authorizes every request it sends.
//! let api = ApiClient::new(client, Credential::AppOnly(bearer));
//! let url = api.client().endpoints().api_url("2/users/by/username/mock_bob");
//! let request = twitter_auth_core::http::Request::get(url.as_str()).body(Vec::new())?;
//! let answer = api.send(request).await?;
//! assert_eq!(answer.status(), 200);
//! assert!(api.client().rate_limit().is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;
use twitter_auth_core::api::{self, AfterAnswer, Credential, RefreshPlan, replay_for};
use twitter_auth_core::oauth2::{self, DEFAULT_REFRESH_MARGIN};
use twitter_auth_core::rate_limit::RateLimit;
use twitter_auth_core::retry::{Decision, Outcome, RetryPolicy, TransportFailure};
use twitter_auth_core::{Endpoints, Exchange, HttpRequest, HttpResponse, Replay, http};
use twitter_auth_std::{StoreError, TokenStore};

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
    /// No answer: connection, TLS, timeout (the URL is stripped: queries may carry tokens).
    #[error("transport failure")]
    Transport(#[source] reqwest::Error),
    /// The token store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The token store holds no token set to start from.
    #[error("the token store is empty: log in first")]
    NoTokens,
    /// The HTTP client followed a redirect: give `with_client` one built with
    /// `redirect::Policy::none()`.
    #[error("the HTTP client followed a redirect; it must not (redirect::Policy::none())")]
    Redirected,
    /// The runtime shut down before a refresh or store task finished, or the task panicked
    /// (the store keeps whatever was last saved).
    #[error("a refresh or store task did not finish")]
    Interrupted,
}

fn transport(error: reqwest::Error) -> Error {
    Error::Transport(error.without_url())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
pub struct Client {
    http: reqwest::Client,
    endpoints: Endpoints,
    policy: RetryPolicy,
    clock: Arc<dyn AsyncClock>,
    rate_limit: Arc<Mutex<Option<RateLimit>>>,
}

impl Client {
    /// A client with its own reqwest client: rustls (verified against the platform's roots),
    /// no redirects, connect timeout 10 s, whole request 30 s, and no retries (see
    /// [`with_policy`](Self::with_policy)).
    ///
    /// # Panics
    ///
    /// As [`reqwest::Client::new`]: if the TLS backend cannot be initialized.
    pub fn new(endpoints: Endpoints) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .expect("the TLS backend initializes");
        Self::with_client(endpoints, http)
    }

    /// A client on the caller's reqwest client, whose settings are kept as they are (give it
    /// timeouts: reqwest has none by default). It **must** be built with
    /// `redirect(reqwest::redirect::Policy::none())`: reqwest cannot turn redirects off per
    /// request, and a followed redirect would hide the answer from the core and may carry a
    /// request elsewhere.
    pub fn with_client(endpoints: Endpoints, http: reqwest::Client) -> Self {
        Self {
            http,
            endpoints,
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

    /// Where requests go.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The clock in use.
    pub fn clock(&self) -> &dyn AsyncClock {
        &*self.clock
    }

    /// The rate-limit headers of the latest answer that had any.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        lock(&self.rate_limit).clone()
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
        self.attempts(|| Ok(request.clone()), replay.as_sent())
            .await
    }

    /// The one loop: `prepare` builds each attempt's request (signed anew when it must be).
    async fn attempts(
        &self,
        mut prepare: impl FnMut() -> Result<HttpRequest, Error>,
        replay: Replay,
    ) -> Result<HttpResponse, Error> {
        let mut attempt = 0;
        loop {
            // Method, URI, version, every header and the body; a URI reqwest refuses is not sent.
            let request = reqwest::Request::try_from(prepare()?).map_err(transport)?;
            let result = self.send(request).await;
            if let Err(Error::Redirected) = result {
                return result; // a misconfigured client: retrying cannot help
            }
            let now = self.clock.now();
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

    async fn send(&self, request: reqwest::Request) -> Result<HttpResponse, Error> {
        let sent_to = request.url().clone();
        let mut response = self.http.execute(request).await.map_err(transport)?;
        if *response.url() != sent_to {
            return Err(Error::Redirected); // a caller's client that follows redirects
        }
        let mut answer = http::Response::new(Vec::new());
        *answer.status_mut() = response.status();
        *answer.version_mut() = response.version();
        *answer.headers_mut() = std::mem::take(response.headers_mut());
        *answer.extensions_mut() = std::mem::take(response.extensions_mut());
        *answer.body_mut() = response.bytes().await.map_err(transport)?.to_vec();
        if let Some(limits) = RateLimit::from_response(&answer, self.clock.now()) {
            *lock(&self.rate_limit) = Some(limits);
        }
        Ok(answer)
    }
}

/// Whether a failed request may have reached X: only a failed connection proves it did not.
fn failure_of(error: &Error) -> TransportFailure {
    match error {
        Error::Transport(e) if e.is_connect() => TransportFailure::NotSent,
        _ => TransportFailure::Unknown,
    }
}

/// Waits for a refresh or store task (one the runtime cancelled, or that panicked, is an error).
async fn joined<T>(task: JoinHandle<T>) -> Result<T, Error> {
    task.await.map_err(|_| Error::Interrupted)
}

/// Runs blocking store calls on tokio's blocking pool ([`tokio::task::spawn_blocking`], which
/// works on any runtime): a file lock may wait for another process's refresh.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Error> {
    Ok(joined(tokio::task::spawn_blocking(call)).await??)
}

/// OAuth 2.0 refresh state of an [`ApiClient`], shared with the task a refresh runs in.
#[derive(Debug)]
struct Refresher {
    client: oauth2::Client,
    store: Arc<dyn TokenStore>,
    http: Client,
    credential: Arc<Mutex<Credential>>,
    margin: Duration,
    /// Single flight: one refresh at a time in this process; tasks wait without a thread.
    flight: tokio::sync::Mutex<()>,
    /// The set in use failed to save: save it before anything else reads the store.
    unsaved: std::sync::atomic::AtomicBool,
}

/// Calls the X API with one credential: signs (OAuth 1.0a) or authorizes (bearer) every
/// request; re-signs once after a 135; for OAuth 2.0 user tokens refreshes before expiry and
/// once after a 401, once for all tasks sharing the client (share it in an `Arc`), saving each
/// new token set to the store before using it.
///
/// A refresh runs in a task of its own: a caller that stops waiting (a timeout, a dropped
/// future) does not cut it between X rotating the refresh token and the store saving it.
#[derive(Debug)]
pub struct ApiClient {
    client: Client,
    credential: Arc<Mutex<Credential>>,
    refresher: Option<Arc<Refresher>>,
}

impl ApiClient {
    /// An API client for an OAuth 1.0a or app-only credential (an OAuth 2.0 token set given
    /// here is used until it expires, never refreshed: see [`oauth2`](Self::oauth2)).
    pub fn new(client: Client, credential: Credential) -> Self {
        Self {
            client,
            credential: Arc::new(Mutex::new(credential)),
            refresher: None,
        }
    }

    /// An API client for the OAuth 2.0 token set in `store`, refreshed through `oauth2_client`
    /// (refresh 60 s before expiry; see [`with_refresh_margin`](Self::with_refresh_margin)).
    /// Async, unlike the blocking twin's: the store is read on the blocking pool.
    pub async fn oauth2(
        client: Client,
        oauth2_client: oauth2::Client,
        store: Arc<dyn TokenStore>,
    ) -> Result<Self, Error> {
        let reader = Arc::clone(&store);
        let tokens = blocking(move || reader.load()).await?;
        let mut api = Self::new(client, Credential::OAuth2(tokens.ok_or(Error::NoTokens)?));
        api.refresher = Some(Arc::new(Refresher {
            client: oauth2_client,
            store,
            http: api.client.clone(),
            credential: Arc::clone(&api.credential),
            margin: DEFAULT_REFRESH_MARGIN,
            flight: tokio::sync::Mutex::new(()),
            unsaved: false.into(),
        }));
        Ok(api)
    }

    /// Refreshes this long before the access token expires (before the client is shared).
    #[must_use]
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        if let Some(refresher) = self.refresher.as_mut().and_then(Arc::get_mut) {
            refresher.margin = margin;
        }
        self
    }

    /// The transport.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The credential as it stands (after any refresh or learnt clock offset).
    pub fn credential(&self) -> Credential {
        lock(&self.credential).clone()
    }

    /// Sends `request` with the credential; returns X's answer whatever its status. Every
    /// attempt, retries included, is signed anew (fresh nonce and timestamp).
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let mut attempt = 0;
        loop {
            self.refresh(None).await?;
            let mut credential = self.credential();
            let clock = &self.client.clock;
            let prepare = || {
                let mut signed = request.clone();
                let nonce = twitter_auth_core::oauth1_sign::generate_nonce(&mut rand::rng());
                credential.authorize(&mut signed, clock.now(), &nonce)?;
                Ok(signed)
            };
            let replay = replay_for(&request, &credential);
            let answer = self.client.attempts(prepare, replay).await?;
            match credential.after_answer(&answer, clock.now(), attempt) {
                AfterAnswer::Resign => *lock(&self.credential) = credential,
                AfterAnswer::Refresh if self.refresher.is_some() => {
                    self.refresh(credential.access_token()).await?;
                }
                _ => return Ok(answer),
            }
            attempt += 1;
        }
    }

    /// Refreshes when the core says one is needed, in a task of its own; `refused` is the
    /// access token X refused (`None`: refresh if due).
    async fn refresh(&self, refused: Option<&str>) -> Result<(), Error> {
        let Some(refresher) = &self.refresher else {
            return Ok(()); // no refresh token source: the token is used until X refuses it
        };
        let (now, margin) = (self.client.clock.now(), refresher.margin);
        if !lock(&self.credential).needs_refresh(refused, now, margin) {
            return Ok(());
        }
        let task = Arc::clone(refresher).run(refused.map(str::to_owned));
        joined(tokio::spawn(task)).await?
    }
}

impl Refresher {
    /// Once for all tasks here and, through the store's lock, all processes sharing the store;
    /// [`api::plan_refresh`] decides between adopting another's set and refreshing. The new set
    /// is saved before anyone uses it; if saving fails it is still used (X has spent the old
    /// one) and the error is returned.
    async fn run(self: Arc<Self>, refused: Option<String>) -> Result<(), Error> {
        let _flight = self.flight.lock().await;
        let (refused, now) = (refused.as_deref(), self.http.clock.now());
        let Credential::OAuth2(current) = lock(&self.credential).clone() else {
            return Ok(());
        };
        if !api::refresh_needed(&current, refused, now, self.margin) {
            return Ok(()); // another task refreshed while this one waited
        }
        let copy = self.unsaved.load(Relaxed).then(|| current.clone());
        let store = Arc::clone(&self.store);
        let (_store_lock, stored) = blocking(move || {
            let lock = store.lock()?;
            copy.map(|set| store.save(&set)).transpose()?; // the set in use wins over the stored one
            Ok((lock, store.load()?))
        })
        .await?;
        self.unsaved.store(false, Relaxed);
        let from = match api::plan_refresh(current, stored, refused, now, self.margin) {
            RefreshPlan::Refresh(from) => from,
            RefreshPlan::Adopt(stored) => {
                *lock(&self.credential) = Credential::OAuth2(stored);
                return Ok(());
            }
            _ => return Err(Error::NoTokens),
        };
        let step = oauth2::refresh(&self.client, &self.http.endpoints, &from)?;
        let tokens = self.http.execute(step).await?;
        let (store, copy) = (Arc::clone(&self.store), tokens.clone());
        let saved = blocking(move || store.save(&copy)).await; // before any use
        self.unsaved.store(saved.is_err(), Relaxed);
        *lock(&self.credential) = Credential::OAuth2(tokens);
        saved
    }
}
