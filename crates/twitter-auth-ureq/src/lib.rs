//! Blocking transport for [`twitter_auth_core`] over [`ureq`]: every X authentication flow, and
//! an API client that signs or authorizes each request and refreshes OAuth 2.0 tokens once for
//! all threads.
//!
//! All protocol decisions are the core's; this crate sends, receives, waits and holds shared
//! state. Its async twin, `twitter-auth-reqwest`, has the same shape.
//!
//! # Example: an app-only bearer token, then an API call with it
//!
//! ```
//! use twitter_auth_core::api::Credential;
//! use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
//! use twitter_auth_core::oauth2::AppOnly;
//! use twitter_auth_core::Endpoints;
//! use twitter_auth_ureq::{ApiClient, Client};
//!
//! # let x = twitter_auth_mock::MockX::start(Default::default())?;
//! # let (key, secret) = (x.config().apps[0].consumer_key.clone(), x.config().apps[0].consumer_secret.clone());
//! let endpoints = Endpoints::local(x.base_url())?; // `Endpoints::x()` for the real X
//! let client = Client::new(endpoints);
//!
//! // Any flow step of the core is one `execute`.
//! let app = AppOnly::new(ConsumerKey::new(key), ConsumerSecret::new(secret));
//! let bearer = client.execute(app.obtain(client.endpoints())?)?;
//!
//! // An API client authorizes every request it sends.
//! let api = ApiClient::new(client, Credential::AppOnly(bearer));
//! let url = api.client().endpoints().api_url("2/users/by/username/mock_bob");
//! let answer = api.send(twitter_auth_core::http::Request::get(url.as_str()).body(Vec::new())?)?;
//! assert_eq!(answer.status(), 200);
//! assert!(api.client().rate_limit().is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use twitter_auth_core::api::{self, AfterAnswer, Credential, RefreshPlan, replay_for};
use twitter_auth_core::oauth2::{self, DEFAULT_REFRESH_MARGIN};
use twitter_auth_core::rate_limit::RateLimit;
use twitter_auth_core::retry::{Decision, Outcome, RetryPolicy, TransportFailure};
use twitter_auth_core::{Endpoints, Exchange, HttpRequest, HttpResponse, Replay, http};
use twitter_auth_std::{Clock, StoreError, SystemClock, TokenStore};

pub use twitter_auth_core;
pub use twitter_auth_std;
pub use ureq;

/// Everything that can go wrong, without secrets in any message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// X or the protocol said no (typed, with hints).
    #[error(transparent)]
    Core(#[from] twitter_auth_core::Error),
    /// No answer: connection, TLS, timeout.
    #[error("transport failure")]
    Transport(#[source] ureq::Error),
    /// The token store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The token store holds no token set (never logged in, or logged out elsewhere).
    #[error("the token store is empty: log in first")]
    NoTokens,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sends the core's requests: no redirects, every status to the core, timeouts, retries by the
/// core's [`RetryPolicy`], and the latest [`RateLimit`] kept.
pub struct Client {
    agent: ureq::Agent,
    endpoints: Endpoints,
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
    rate_limit: Mutex<Option<RateLimit>>,
}

impl Client {
    /// A client with its own agent: rustls (verified), connect timeout 10 s, whole request
    /// 30 s, and no retries (see [`with_policy`](Self::with_policy)).
    pub fn new(endpoints: Endpoints) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Self::with_agent(endpoints, agent)
    }

    /// A client on the caller's agent (its timeouts and TLS settings are kept; redirects and
    /// status-as-error are turned off per request).
    pub fn with_agent(endpoints: Endpoints, agent: ureq::Agent) -> Self {
        Self {
            agent,
            endpoints,
            policy: RetryPolicy::new(),
            clock: Arc::new(SystemClock),
            rate_limit: Mutex::new(None),
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
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where requests go.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The clock in use.
    pub fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// The rate-limit headers of the latest answer that had any.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        lock(&self.rate_limit).clone()
    }

    /// Runs one flow step: sends its request (retrying as the policy and the step allow) and
    /// finishes it with the answer.
    pub fn execute<E: Exchange>(&self, step: E) -> Result<E::Output, Error> {
        let answer = self.round_trip(step.request(), step.replay())?;
        Ok(step.finish(self.clock.now(), answer)?)
    }

    /// Sends `request` until the policy accepts an answer; the answer is returned whatever its
    /// status, for the caller (a flow step, or the API client) to judge. The same bytes are
    /// re-sent, so a [`Replay::Resign`] request is not re-sent at all.
    pub fn round_trip(&self, request: &HttpRequest, replay: Replay) -> Result<HttpResponse, Error> {
        self.attempts(|| Ok(request.clone()), replay.as_sent())
    }

    /// The one loop: `prepare` builds each attempt's request (signed anew when it must be).
    fn attempts(
        &self,
        mut prepare: impl FnMut() -> Result<HttpRequest, Error>,
        replay: Replay,
    ) -> Result<HttpResponse, Error> {
        let mut attempt = 0;
        loop {
            let result = self.send(prepare()?);
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
                Decision::RetryAfter(wait) => self.clock.sleep(wait),
                Decision::GiveUp(Some(e)) => return Err(e.into()),
                Decision::GiveUp(None) => return result,
            }
            attempt += 1;
        }
    }

    fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let request = self
            .agent
            .configure_request(request)
            .http_status_as_error(false)
            .max_redirects(0)
            .build();
        let answer = self.agent.run(request).map_err(Error::Transport)?;
        let (parts, mut body) = answer.into_parts();
        let body = body.read_to_vec().map_err(Error::Transport)?;
        let answer = http::Response::from_parts(parts, body);
        if let Some(limits) = RateLimit::from_response(&answer, self.clock.now()) {
            *lock(&self.rate_limit) = Some(limits);
        }
        Ok(answer)
    }
}

/// Whether a failed request may have reached X: only a failed connection proves it did not.
fn failure_of(error: &Error) -> TransportFailure {
    use std::io::ErrorKind::{
        AddrNotAvailable, ConnectionRefused, HostUnreachable, NetworkUnreachable,
    };
    use ureq::Timeout::{Connect, Resolve};
    match error {
        Error::Transport(
            ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Timeout(Resolve | Connect),
        ) => TransportFailure::NotSent,
        Error::Transport(ureq::Error::Io(e))
            if matches!(
                e.kind(),
                ConnectionRefused | HostUnreachable | NetworkUnreachable | AddrNotAvailable
            ) =>
        {
            TransportFailure::NotSent
        }
        _ => TransportFailure::Unknown,
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoints", &self.endpoints)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// OAuth 2.0 refresh settings of an [`ApiClient`].
#[derive(Debug)]
struct Refresher {
    client: oauth2::Client,
    store: Arc<dyn TokenStore>,
    margin: Duration,
    /// Single flight: one refresh at a time in this process.
    flight: Mutex<()>,
    /// The set in use failed to save: save it before anything else reads the store.
    unsaved: AtomicBool,
}

/// Calls the X API with one credential: signs (OAuth 1.0a) or authorizes (bearer) every
/// request; re-signs once after a 135; for OAuth 2.0 user tokens refreshes before expiry and
/// once after a 401, once for all threads sharing the client, saving each new token set to the
/// store before using it.
#[derive(Debug)]
pub struct ApiClient {
    client: Client,
    credential: Mutex<Credential>,
    refresher: Option<Refresher>,
}

impl ApiClient {
    /// An API client for an OAuth 1.0a or app-only credential (an OAuth 2.0 token set given
    /// here is used until it expires, never refreshed: see [`oauth2`](Self::oauth2)).
    pub fn new(client: Client, credential: Credential) -> Self {
        Self {
            client,
            credential: Mutex::new(credential),
            refresher: None,
        }
    }

    /// An API client for the OAuth 2.0 token set in `store`, refreshed through `oauth2_client`
    /// (refresh 60 s before expiry; see [`with_refresh_margin`](Self::with_refresh_margin)).
    pub fn oauth2(
        client: Client,
        oauth2_client: oauth2::Client,
        store: Arc<dyn TokenStore>,
    ) -> Result<Self, Error> {
        let tokens = store.load()?.ok_or(Error::NoTokens)?;
        Ok(Self {
            client,
            credential: Mutex::new(Credential::OAuth2(tokens)),
            refresher: Some(Refresher {
                client: oauth2_client,
                store,
                margin: DEFAULT_REFRESH_MARGIN,
                flight: Mutex::new(()),
                unsaved: AtomicBool::new(false),
            }),
        })
    }

    /// Refreshes this long before the access token expires.
    #[must_use]
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        if let Some(refresher) = &mut self.refresher {
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
    pub fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let mut attempt = 0;
        loop {
            if let Some(refresher) = &self.refresher {
                self.refresh(refresher, None)?;
            }
            let mut credential = self.credential();
            let clock = &self.client.clock;
            let prepare = || {
                let mut signed = request.clone();
                let nonce = twitter_auth_core::oauth1_sign::generate_nonce(&mut rand::rng());
                credential.authorize(&mut signed, clock.now(), &nonce)?;
                Ok(signed)
            };
            let answer = self
                .client
                .attempts(prepare, replay_for(&request, &credential))?;
            match credential.after_answer(&answer, clock.now(), attempt) {
                AfterAnswer::Resign => *lock(&self.credential) = credential,
                AfterAnswer::Refresh => match (&self.refresher, credential.access_token()) {
                    (Some(refresher), Some(used)) => self.refresh(refresher, Some(used))?,
                    _ => return Ok(answer),
                },
                _ => return Ok(answer),
            }
            attempt += 1;
        }
    }

    /// Refreshes when [`api::refresh_needed`] says so, once for all threads here and, through
    /// the store's lock, all processes sharing the store; [`api::plan_refresh`] decides between
    /// adopting another's set and refreshing. The new set is saved before anyone uses it; if
    /// saving fails it is still used (X has spent the old one) and the error is returned.
    fn refresh(&self, refresher: &Refresher, refused: Option<&str>) -> Result<(), Error> {
        let (now, margin) = (self.client.clock.now(), refresher.margin);
        if !lock(&self.credential).needs_refresh(refused, now, margin) {
            return Ok(());
        }
        let _flight = lock(&refresher.flight);
        let Credential::OAuth2(current) = self.credential() else {
            return Ok(());
        };
        if !api::refresh_needed(&current, refused, self.client.clock.now(), margin) {
            return Ok(()); // another thread refreshed while this one waited
        }
        let _store_lock = refresher.store.lock()?;
        if refresher.unsaved.load(Relaxed) {
            refresher.store.save(&current)?; // the set in use wins over the stored one
            refresher.unsaved.store(false, Relaxed);
        }
        let stored = refresher.store.load()?;
        let now = self.client.clock.now();
        let from = match api::plan_refresh(current, stored, refused, now, refresher.margin) {
            RefreshPlan::Refresh(from) => from,
            RefreshPlan::Adopt(stored) => {
                *lock(&self.credential) = Credential::OAuth2(stored);
                return Ok(());
            }
            _ => return Err(Error::NoTokens),
        };
        let step = oauth2::refresh(&refresher.client, &self.client.endpoints, &from)?;
        let tokens = self.client.execute(step)?;
        let saved = refresher.store.save(&tokens); // before any use: a crash must not lose it
        refresher.unsaved.store(saved.is_err(), Relaxed);
        *lock(&self.credential) = Credential::OAuth2(tokens);
        Ok(saved?)
    }
}
