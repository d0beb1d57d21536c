//! Blocking transport for [`twitter_auth_core`] over [`ureq`]: every X authentication flow, an
//! API client that signs or authorizes each request, and [`Grants`]: many users' OAuth 2.0
//! grants in one keyed store, each refreshed once for all threads and processes.
//!
//! All protocol decisions are the core's; this crate sends, receives, waits and holds shared
//! state. Its async twin, `twitter-auth-reqwest`, has the same shape.
//!
//! # Example: an app-only bearer token, then an API call with it
//!
//! ```
//! use twitter_auth_core::api::Credential;
//! use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
//! use twitter_auth_core::oauth1;
//! use twitter_auth_core::Endpoints;
//! use twitter_auth_ureq::{ApiClient, Transport};
//!
//! # let x = twitter_auth_mock::MockX::start(Default::default())?;
//! # let (key, secret) = (x.config().apps[0].consumer_key.clone(), x.config().apps[0].consumer_secret.clone());
//! let transport = Transport::new(); // HTTP only: cheap to clone, one for every app and user
//! let app = oauth1::App::new(ConsumerKey::new(key), ConsumerSecret::new(secret))
//!     .with_endpoints(Endpoints::local(x.base_url())?); // without it: X's own hosts
//!
//! // Any flow step of the core is one `execute`.
//! let bearer = transport.execute(app.obtain_bearer()?)?;
//!
//! // An API client authorizes every request it sends.
//! let api = ApiClient::new(transport, app.endpoints(), Credential::AppOnly(bearer));
//! let url = api.endpoints().api_url("2/users/by/username/mock_bob");
//! let answer = api.send(twitter_auth_core::http::Request::get(url.as_str()).body(Vec::new())?)?;
//! assert_eq!(answer.status(), 200);
//! assert!(api.transport().rate_limit().is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Many users: one transport and one store for all of them
//!
//! ```
//! use std::sync::Arc;
//! use std::time::SystemTime;
//! use twitter_auth_core::grant::UserKey;
//! use twitter_auth_core::oauth2::{self, Scope, Scopes};
//! use twitter_auth_core::{ClientId, Endpoints, http};
//! use twitter_auth_std::MemoryStore; // `FileStore::new(dir)` keeps grants between runs
//! use twitter_auth_ureq::{Grants, Transport};
//!
//! # let x = twitter_auth_mock::MockX::start(Default::default())?;
//! # let id = x.config().app(twitter_auth_mock::DEMO_NATIVE_APP).unwrap().client_id().unwrap();
//! let transport = Transport::new();
//! let app = oauth2::App::public(ClientId::new(id))
//!     .with_endpoints(Endpoints::local(x.base_url())?); // without it: X's own hosts
//! let grants = Grants::new(transport.clone(), app.clone(), Arc::new(MemoryStore::new()));
//!
//! // A user logs in (keep `pending` in the browser's session); the fake X approves at once and
//! // redirects to the callback.
//! let scopes = Scopes::from([Scope::UsersRead, Scope::TweetRead, Scope::OfflineAccess]);
//! let login = app.authorize("http://127.0.0.1:8765/callback", scopes)?;
//! let (url, pending) = transport.start_login(login); // verifier and state from the OS RNG
//! # let consent = http::Request::get(url.as_str()).body(Vec::new())?;
//! # let consent = transport.round_trip(&consent, twitter_auth_core::Replay::Safe)?;
//! # let callback = consent.headers()["location"].to_str()?;
//! let code = pending.verify_callback(callback, SystemTime::now())?;
//! let tokens = transport.execute(app.exchange(code)?)?;
//! let key = UserKey::new("1072250532645998596")?; // the X user id, or the app's own key
//! grants.login(&key, tokens)?;
//!
//! // In any request handler: a cheap API client for the user, refreshed when due.
//! let api = grants.api(&key)?;
//! assert_eq!(api.me()?.username, "mock_alice"); // GET 2/users/me, typed
//! api.refresh_now()?;
//! assert_eq!(api.generation(), Some(2));
//! api.logout()?; // both tokens revoked at X, then the key deleted
//! assert!(grants.api(&key).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

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
use twitter_auth_std::{Clock, StoreError, SystemClock, lock, read, write};

mod grants;

pub use grants::{Grants, RefreshReport};

/// The RNG [`Transport::start_login`] draws from (`rand::rng()`), for callers of
/// [`AuthorizeRequest::start`] who want no `rand` dependency of their own.
pub use rand;
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
    /// No answer: connection, TLS, timeout. Says where the request went and why (never the
    /// URL's path or query: a query may carry a token).
    #[error("transport failure talking to {0}")]
    Transport(#[source] TransportError<ureq::Error>),
    /// The token store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A user's call (`refresh_now`, `logout`) on an API client with a fixed credential.
    #[error("this API client holds a fixed credential, not a user's grant (see Grants::api)")]
    NotAGrant,
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

/// Wraps ureq's errors for a request to `uri`.
fn transport(uri: &http::Uri) -> impl FnOnce(ureq::Error) -> Error + '_ {
    |e| Error::Transport(TransportError::new(uri, e))
}

/// Sends the core's requests: no redirects, every status to the core, timeouts, retries by the
/// core's [`RetryPolicy`], and the latest [`RateLimit`] kept.
///
/// Clones are cheap and share the connection pool and the rate-limit record: one `Transport`
/// serves every user of an app.
#[derive(Clone)]
pub struct Transport {
    agent: ureq::Agent,
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
    rate_limit: Arc<Mutex<Option<RateLimit>>>,
}

impl Default for Transport {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport {
    /// A client with its own agent: rustls (verified), and each phase of a request bounded:
    /// connect 10 s, send 5 s + 5 s, answer 10 s + body 5 s (35 s at most in all), and no
    /// retries (see [`with_policy`](Self::with_policy)).
    ///
    /// Not ureq's `timeout_global`: with it, ureq resolves the host in a new thread on every
    /// request (about 150 µs each, even on a pooled connection). Name resolution is left to
    /// the system resolver's own timeouts.
    pub fn new() -> Self {
        let secs = |s| Some(Duration::from_secs(s));
        let agent = ureq::Agent::config_builder()
            .timeout_connect(secs(10))
            .timeout_send_request(secs(5))
            .timeout_send_body(secs(5))
            .timeout_recv_response(secs(10))
            .timeout_recv_body(secs(5))
            .build()
            .into();
        Self::with_agent(agent)
    }

    /// A client on the caller's agent (its timeouts and TLS settings are kept; redirects and
    /// status-as-error are turned off per request).
    pub fn with_agent(agent: ureq::Agent) -> Self {
        Self {
            agent,
            policy: RetryPolicy::new(),
            clock: Arc::new(SystemClock),
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
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The clock in use.
    pub fn clock(&self) -> &dyn Clock {
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
    pub fn execute<E: Exchange>(&self, step: E) -> Result<E::Output, Error> {
        let answer = self.round_trip(step.request(), step.replay())?;
        Ok(step.finish(self.clock.now(), answer)?)
    }

    /// Sends `request` until the policy accepts an answer; the answer is returned whatever its
    /// status, for the caller (a flow step, or the API client) to judge. The same bytes are
    /// re-sent, so a [`Replay::Resign`] request is not re-sent at all.
    pub fn round_trip(&self, request: &HttpRequest, replay: Replay) -> Result<HttpResponse, Error> {
        self.attempts(&mut request.clone(), |_| Ok(()), replay.as_sent())
    }

    /// The one loop: `authorize` sets each attempt's credential on `request` (signed anew when
    /// it must be), then the attempt is sent.
    pub(crate) fn attempts(
        &self,
        request: &mut HttpRequest,
        mut authorize: impl FnMut(&mut HttpRequest) -> Result<(), Error>,
        replay: Replay,
    ) -> Result<HttpResponse, Error> {
        let mut attempt = 0;
        loop {
            authorize(request)?;
            let result = self.send(request);
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
                Decision::RetryAfter(wait) => self.clock.sleep(wait),
                Decision::GiveUp(Some(e)) => return Err(e.into()),
                Decision::GiveUp(None) => return result,
            }
            attempt += 1;
        }
    }

    /// Sends one attempt: ureq takes the request, so it gets a copy of the head (a retry
    /// sends it again) and borrows the body.
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, Error> {
        let to = request.uri();
        let mut outgoing = http::Request::new(request.body());
        *outgoing.method_mut() = request.method().clone();
        *outgoing.uri_mut() = to.clone();
        *outgoing.version_mut() = request.version();
        *outgoing.headers_mut() = request.headers().clone();
        *outgoing.extensions_mut() = request.extensions().clone();
        let outgoing = self
            .agent
            .configure_request(outgoing)
            .http_status_as_error(false)
            .max_redirects(0)
            .build();
        let answer = self.agent.run(outgoing).map_err(transport(to))?;
        let (parts, mut body) = answer.into_parts();
        let body = body.read_to_vec().map_err(transport(to))?;
        Ok(http::Response::from_parts(parts, body))
    }
}

/// Whether a failed request may have reached X: only a failed connection proves it did not.
pub(crate) fn failure_of(error: &Error) -> TransportFailure {
    use std::io::ErrorKind::{
        AddrNotAvailable, ConnectionRefused, HostUnreachable, NetworkUnreachable,
    };
    use ureq::Timeout::{Connect, Resolve};
    match error {
        Error::Transport(e) => match e.get_ref() {
            ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Timeout(Resolve | Connect) => TransportFailure::NotSent,
            ureq::Error::Io(e)
                if matches!(
                    e.kind(),
                    ConnectionRefused | HostUnreachable | NetworkUnreachable | AddrNotAvailable
                ) =>
            {
                TransportFailure::NotSent
            }
            _ => TransportFailure::Unknown,
        },
        _ => TransportFailure::Unknown,
    }
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
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
            Kind::User(user) => Some(Credential::OAuth2(user.current().ok()?.tokens().clone())),
        }
    }

    /// Sends `request` with the credential; returns X's answer whatever its status. Every
    /// attempt, retries included, is signed anew (fresh nonce and timestamp). A request for
    /// another host than the credential's app's ([`ApiClient::endpoints`]) is refused unsent.
    pub fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, Error> {
        api::check_host(&self.endpoints, &request)?; // the credential goes nowhere else
        let credential = match &self.kind {
            Kind::Fixed(credential) => credential,
            Kind::User(user) => return user.send(&self.transport, request),
        };
        let clock = &self.transport.clock;
        let mut attempt = 0;
        loop {
            let authorize = |request: &mut HttpRequest| {
                Ok(read(credential).authorize(request, clock.now(), &mut rand::rng())?)
            };
            let replay = replay_for(&request, &read(credential));
            let answer = self.transport.attempts(&mut request, authorize, replay)?;
            let after = write(credential).after_answer(&answer, clock.now(), attempt);
            if after != AfterAnswer::Resign {
                return Ok(answer); // a fixed token set has nothing to refresh with
            }
            attempt += 1;
        }
    }

    /// Sends `request` (built with `twitter_auth_core::api::request` or `json_request`) and
    /// reads X's JSON answer as `T`; any other status is X's error, typed.
    pub fn json<T: DeserializeOwned>(&self, request: HttpRequest) -> Result<T, Error> {
        Ok(api::read_json(&self.send(request)?)?)
    }

    /// `GET {api}/{path}` (e.g. `2/users/by/username/XDevelopers`), X's JSON answer as `T`.
    pub fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let request = api::request(&self.endpoints, http::Method::GET, path)?;
        self.json(request)
    }

    /// Who the user is: `GET 2/users/me` (needs `tweet.read` and `users.read`).
    pub fn me(&self) -> Result<User, Error> {
        let answer = self.send(api::users_me(&self.endpoints)?)?;
        Ok(api::read_user(&answer)?)
    }
}
