//! The 3-legged flow (`oauth/request_token` → `oauth/authorize` or `oauth/authenticate` →
//! `oauth/access_token`), the PIN variant (`oauth_callback=oob`) and Sign in with X.

use std::time::{Duration, SystemTime};

use oauth1_sign::{OAuthParams, Token, TokenCredentials, TokenSecret};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use url::Url;

use super::app::App;
use super::user::{UserCredentials, age};
use crate::exchange::build;
use crate::response::{ensure_success, field, form};
use crate::{
    Endpoints, Error, Exchange, HttpRequest, HttpResponse, Replay, UnixTime, UserId, Verifier,
};

/// A callback [`PendingLogin::verify_callback`] refused, with the login when the callback was
/// not its own.
pub type CallbackRefused = crate::CallbackRefused<PendingLogin>;

/// How long a pending authorization stays usable by default.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// Where X sends the user back: a registered callback URL, or `oob` for the PIN flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callback {
    /// A callback URL registered (exactly) in the app's settings, kept exactly as given: X
    /// matches it byte for byte, trailing slash and case included.
    Url(String),
    /// `oob`: X shows the user a PIN to type into the app.
    Oob,
}

impl Callback {
    /// A callback URL. Custom schemes (`myapp://cb`) are allowed, as X allows them; `javascript:`,
    /// `data:` and `file:` are refused, as X refuses them.
    pub fn url(url: &str) -> Result<Self, Error> {
        let parsed = Url::parse(url).map_err(|_| Error::InvalidUrl {
            reason: "the callback is not an absolute URL",
        })?;
        if matches!(parsed.scheme(), "javascript" | "data" | "file") {
            return Err(Error::InvalidUrl {
                reason: "javascript:, data: and file: callbacks are not allowed",
            });
        }
        Ok(Self::Url(url.to_owned()))
    }

    /// The PIN flow.
    pub const fn oob() -> Self {
        Self::Oob
    }

    /// The value sent as `oauth_callback`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Url(url) => url,
            Self::Oob => "oob",
        }
    }
}

/// `x_auth_access_type`: ask for less than the app's permission level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessType {
    /// `read`.
    Read,
    /// `write` (read and write).
    Write,
}

impl AccessType {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// Which page the user authorizes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthorizeKind {
    /// `oauth/authorize`: always shows the consent screen (desktop apps must use it).
    Authorize,
    /// `oauth/authenticate`: Sign in with X, skipping consent when the user already approved.
    Authenticate,
}

/// Step 1's options: where X sends the user back, the access asked for, and how long the
/// pending login lives. [`App::request_token`] takes it (or a bare [`Callback`]).
#[derive(Clone, Debug)]
pub struct RequestToken {
    callback: Callback,
    access_type: Option<AccessType>,
    lifetime: Duration,
}

impl RequestToken {
    /// A request for a token that will send the user back to `callback`.
    pub const fn new(callback: Callback) -> Self {
        Self {
            callback,
            access_type: None,
            lifetime: DEFAULT_LIFETIME,
        }
    }

    /// Asks for `read` or `write` access only (sent in the query, so it is signed).
    #[must_use]
    pub const fn access_type(mut self, access_type: AccessType) -> Self {
        self.access_type = Some(access_type);
        self
    }

    /// How long the pending authorization stays usable (default 10 minutes).
    #[must_use]
    pub const fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// See [`App::request_token`].
    pub(crate) fn exchange<R: CryptoRng + ?Sized>(
        self,
        app: &App,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<RequestTokenExchange, Error> {
        let mut url = app.endpoints().oauth1_url("oauth/request_token");
        if let Some(access) = self.access_type {
            url.query_pairs_mut()
                .append_pair("x_auth_access_type", access.as_str());
        }
        let mut request = build(http::Method::POST, &url, &[], Vec::new())?;
        let signer = super::UserSigner::app(app.consumer());
        let nonce = oauth1_sign::generate_nonce(rng);
        let oauth =
            OAuthParams::new(&nonce, signer.timestamp(now)).callback(self.callback.as_str());
        signer.sign_with(&mut request, &oauth)?;
        Ok(RequestTokenExchange {
            request,
            callback: self.callback,
            lifetime: self.lifetime,
        })
    }
}

impl From<Callback> for RequestToken {
    fn from(callback: Callback) -> Self {
        Self::new(callback)
    }
}

/// The `oauth/request_token` round trip.
#[must_use = "send the request, then call `finish` with the response"]
pub struct RequestTokenExchange {
    request: HttpRequest,
    callback: Callback,
    lifetime: Duration,
}

impl core::fmt::Debug for RequestTokenExchange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::oauth2::debug_exchange(f, "RequestTokenExchange", &self.request)
    }
}

impl Exchange for RequestTokenExchange {
    type Output = PendingLogin;

    fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// A new request token can always be asked for, signed anew.
    fn replay(&self) -> Replay {
        Replay::Resign
    }

    fn finish(self, now: SystemTime, response: HttpResponse) -> Result<PendingLogin, Error> {
        ensure_success(&response)?;
        // Form-encoded whatever the Content-Type says: X's API reference and its "Log in with
        // X" guide disagree on the Content-Type, but both show a form body.
        let pairs = form(
            response.body(),
            "the request-token answer is not form-encoded text",
        )?;
        if field(&pairs, "oauth_callback_confirmed") != Some("true") {
            return Err(Error::CallbackNotConfirmed);
        }
        let token = non_empty(&pairs, "oauth_token").ok_or(Error::Malformed {
            what: "the request-token answer has no oauth_token",
        })?;
        let secret = non_empty(&pairs, "oauth_token_secret").ok_or(Error::Malformed {
            what: "the request-token answer has no oauth_token_secret",
        })?;
        Ok(PendingLogin {
            request_token: TokenCredentials::new(Token::new(token), TokenSecret::new(secret)),
            callback: self.callback.as_str().to_owned(),
            created_at: UnixTime::from_system(now),
            lifetime_secs: self.lifetime.as_secs(),
        })
    }
}

/// Step 2: the request token between the redirect to X and the callback.
///
/// Serializable (serde), so that a web server can keep it in a session and resume in another
/// process; it holds the request token's secret, so store it server-side or encrypted. It
/// expires (10 minutes by default) and is consumed by its callback.
///
/// It is not `Clone`: its callback consumes it, so it cannot be completed twice in one
/// process. A store that keeps it must hand it out once (remove it when loading it).
///
/// ```compile_fail,E0382
/// # fn f(p: twitter_auth_core::oauth1::PendingLogin, now: std::time::SystemTime) {
/// let first = p.with_pin("1234567", now);
/// let second = p.with_pin("1234567", now); // `p` was moved by the first callback
/// # }
/// ```
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[must_use = "send the user to `App::authorize_url`, then pass the callback to `on_callback`"]
pub struct PendingLogin {
    request_token: TokenCredentials,
    callback: String,
    created_at: UnixTime,
    lifetime_secs: u64,
}

impl PendingLogin {
    /// The request token (public: it is in the authorize URL).
    pub fn request_token(&self) -> &Token {
        &self.request_token.token
    }

    /// When X issued it.
    pub fn created_at(&self) -> SystemTime {
        self.created_at.to_system()
    }

    /// When it stops being usable.
    pub fn expires_at(&self) -> SystemTime {
        self.created_at
            .saturating_add(self.lifetime_secs)
            .to_system()
    }

    /// Whether this is the PIN flow (`oauth_callback=oob`).
    pub fn is_pin(&self) -> bool {
        self.callback == "oob"
    }

    /// See [`App::authorize_url_with`].
    pub(crate) fn authorize_url_at(
        &self,
        endpoints: &Endpoints,
        kind: AuthorizeKind,
        force_login: bool,
        screen_name: Option<&str>,
    ) -> Url {
        let path = match kind {
            AuthorizeKind::Authorize => "oauth/authorize",
            AuthorizeKind::Authenticate => "oauth/authenticate",
        };
        let mut url = endpoints.oauth1_url(path);
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("oauth_token", self.request_token.token.as_str());
            if force_login {
                query.append_pair("force_login", "true");
            }
            if let Some(name) = screen_name {
                query.append_pair("screen_name", name);
            }
        }
        url
    }

    /// Whether a callback (full URL or query) belongs to this login: its `oauth_token` or
    /// `denied` is this login's request token. For servers with many logins in flight.
    pub fn matches(&self, callback: &str) -> bool {
        let pairs = crate::callback::params(callback);
        ["oauth_token", "denied"]
            .iter()
            .filter_map(|name| field(&pairs, name))
            .any(|t| self.is_request_token(t))
    }

    fn is_request_token(&self, token: &str) -> bool {
        bool::from(
            token
                .as_bytes()
                .ct_eq(self.request_token.token.as_str().as_bytes()),
        )
    }

    fn check_expiry(&self, now: SystemTime) -> Result<(), Error> {
        if age(now, self.created_at) >= Duration::from_secs(self.lifetime_secs) {
            Err(Error::Expired)
        } else {
            Ok(())
        }
    }

    /// Step 3 (callback flow): checks X's redirect (a full URL or its query) and takes its
    /// verifier, consuming the login whatever the callback says. `denied=` is
    /// [`Error::Denied`]; an `oauth_token` other than this login's is [`Error::TokenMismatch`].
    /// A server that keeps the login in a browser's session should use
    /// [`verify_callback`](Self::verify_callback), which gives the login back when the callback
    /// is not its own.
    ///
    /// # Errors
    ///
    /// As listed; [`Error::Expired`] past the login's lifetime;
    /// [`Error::MissingCallbackParameter`] without `oauth_token` or `oauth_verifier`.
    pub fn on_callback(self, callback: &str, now: SystemTime) -> Result<AuthorizedToken, Error> {
        let verifier = self.check(callback, now)?;
        Ok(self.authorized(verifier))
    }

    /// Step 3 for a server: [`on_callback`](Self::on_callback), except that a callback that is
    /// not this login's (another login's `oauth_token` or `denied`, none at all: forged, or
    /// another browser's) gives the login back in the [`CallbackRefused`], so a forged callback
    /// cannot end the real login. The login is consumed when the callback carries its request
    /// token, or when it expired.
    ///
    /// # Errors
    ///
    /// [`CallbackRefused`]: the [`Error`] (as [`on_callback`](Self::on_callback) lists them),
    /// and the login if it was not consumed.
    pub fn verify_callback(
        self,
        callback: &str,
        now: SystemTime,
    ) -> Result<AuthorizedToken, CallbackRefused> {
        match self.check(callback, now) {
            Ok(verifier) => Ok(self.authorized(verifier)),
            Err(error) => {
                let ours = matches!(error, Error::Expired) || self.matches(callback);
                Err(CallbackRefused::new(error, (!ours).then_some(self)))
            }
        }
    }

    /// The checks of a callback, without consuming the login: its verifier or the error.
    fn check(&self, callback: &str, now: SystemTime) -> Result<Verifier, Error> {
        self.check_expiry(now)?;
        let pairs = crate::callback::params(callback);
        if let Some(denied) = field(&pairs, "denied") {
            // Another login's refusal must not end this one.
            return Err(if self.is_request_token(denied) {
                Error::Denied
            } else {
                Error::TokenMismatch
            });
        }
        let token = field(&pairs, "oauth_token").ok_or(Error::MissingCallbackParameter {
            name: "oauth_token",
        })?;
        if !self.is_request_token(token) {
            return Err(Error::TokenMismatch);
        }
        let verifier = field(&pairs, "oauth_verifier")
            .filter(|v| !v.is_empty())
            .ok_or(Error::MissingCallbackParameter {
                name: "oauth_verifier",
            })?;
        Ok(Verifier::new(verifier))
    }

    fn authorized(self, verifier: Verifier) -> AuthorizedToken {
        AuthorizedToken {
            request_token: self.request_token,
            verifier,
        }
    }

    /// Step 3 (PIN flow): takes the PIN the user typed (surrounding spaces ignored).
    pub fn with_pin(self, pin: &str, now: SystemTime) -> Result<AuthorizedToken, Error> {
        self.check_expiry(now)?;
        let pin = pin.trim();
        if pin.is_empty() {
            return Err(Error::MissingCallbackParameter { name: "PIN" });
        }
        Ok(AuthorizedToken {
            request_token: self.request_token,
            verifier: Verifier::new(pin),
        })
    }
}

/// The value of `name`, if present and not empty.
fn non_empty<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    field(pairs, name).filter(|v| !v.is_empty())
}

/// The verifier, ready to be traded for the user's access token.
#[derive(Debug)]
#[must_use = "pass it to `App::access_token` to get the user's credentials"]
pub struct AuthorizedToken {
    request_token: TokenCredentials,
    verifier: Verifier,
}

impl AuthorizedToken {
    /// See [`App::access_token`].
    pub(crate) fn exchange<R: CryptoRng + ?Sized>(
        self,
        app: &App,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<AccessTokenExchange, Error> {
        let url = app.endpoints().oauth1_url("oauth/access_token");
        let mut request = build(http::Method::POST, &url, &[], Vec::new())?;
        let signer = app.signer(&self.request_token);
        let nonce = oauth1_sign::generate_nonce(rng);
        let oauth =
            OAuthParams::new(&nonce, signer.timestamp(now)).verifier(self.verifier.secret());
        signer.sign_with(&mut request, &oauth)?;
        Ok(AccessTokenExchange {
            request,
            verified: self,
        })
    }
}

/// The `oauth/access_token` round trip: single use.
///
/// If X rejects its timestamp (v1.1 error 135), X did not spend the verifier: learn X's clock
/// from the answer ([`ClockSkew`](crate::skew::ClockSkew)) and [`resign`](Self::resign) it, so
/// the user need not log in again.
#[must_use = "send the request, then call `finish` with the response"]
pub struct AccessTokenExchange {
    request: HttpRequest,
    verified: AuthorizedToken,
}

impl core::fmt::Debug for AccessTokenExchange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::oauth2::debug_exchange(f, "AccessTokenExchange", &self.request)
    }
}

impl AccessTokenExchange {
    /// Signs the same step again with a fresh nonce and X's clock (`skew` from the rejected
    /// answer): only after X rejected the timestamp, when the verifier is provably unspent.
    ///
    /// # Errors
    ///
    /// [`Error::Sign`] if signing fails.
    pub fn resign<R: CryptoRng + ?Sized>(
        self,
        app: &App,
        skew: crate::skew::ClockSkew,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<Self, Error> {
        self.verified.exchange(app, skew.apply(now), rng)
    }
}

impl Exchange for AccessTokenExchange {
    type Output = UserCredentials;

    fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// The verifier is single-use: never replayed after an ambiguous failure.
    fn replay(&self) -> Replay {
        Replay::Never
    }

    fn finish(self, _now: SystemTime, response: HttpResponse) -> Result<UserCredentials, Error> {
        ensure_success(&response)?;
        let pairs = form(
            response.body(),
            "the access-token answer is not form-encoded text",
        )?;
        let token = non_empty(&pairs, "oauth_token").ok_or(Error::Malformed {
            what: "the access-token answer has no oauth_token",
        })?;
        let secret = non_empty(&pairs, "oauth_token_secret").ok_or(Error::Malformed {
            what: "the access-token answer has no oauth_token_secret",
        })?;
        Ok(UserCredentials {
            token: TokenCredentials::new(Token::new(token), TokenSecret::new(secret)),
            user_id: field(&pairs, "user_id").map(UserId::new),
            screen_name: field(&pairs, "screen_name").map(str::to_owned),
        })
    }
}
