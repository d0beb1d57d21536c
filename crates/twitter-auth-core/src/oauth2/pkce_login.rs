//! The Authorization Code flow with PKCE ([X: Authorization Code with PKCE](https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code)): authorize URL, callback, code exchange.

use core::fmt;
use std::time::{Duration, SystemTime};

use pkce::{CodeVerifier, State, VerifierLength};
use rand_core::CryptoRng;

use super::client::{App, Form, debug_exchange};
use super::scope::Scopes;
use super::token::{TokenSet, parse_token_response};
use crate::{
    AuthorizationCode, ClientId, Error, Exchange, HttpRequest, HttpResponse, Misuse, OAuth2Error,
    Replay, UnixTime,
};

/// A callback [`PendingLogin::verify_callback`] refused, with the login when the callback was
/// not its own.
pub type CallbackRefused = crate::CallbackRefused<PendingLogin>;

/// How long a [`PendingLogin`] waits for its callback unless told otherwise: 10 minutes.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The parameters of the authorize URL this flow sets itself; [`AuthorizeRequest::param`]
/// refuses them.
const FLOW_PARAMS: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// What a login asks for: the client, where X sends the user back, and the scopes.
///
/// [`start`](Self::start) draws a fresh PKCE verifier and `state` from the caller's RNG and
/// returns the URL to send the user to, with the [`PendingLogin`] to keep until the callback.
#[derive(Clone, Debug)]
#[must_use = "a login starts with start()"]
pub struct AuthorizeRequest {
    authorize_url: url::Url,
    api: String,
    client_id: ClientId,
    confidential: bool,
    redirect_uri: String,
    scopes: Scopes,
    lifetime: Duration,
    verifier_len: VerifierLength,
    extra: Vec<(String, String)>,
}

impl AuthorizeRequest {
    /// See [`App::authorize`].
    pub(crate) fn new(app: &App, redirect_uri: &str, scopes: Scopes) -> Result<Self, Error> {
        let parsed = url::Url::parse(redirect_uri).map_err(|_| Error::InvalidUrl {
            reason: "the redirect URI is not an absolute URL",
        })?;
        if parsed.fragment().is_some() {
            return Err(Error::InvalidUrl {
                reason: "the redirect URI cannot have a fragment",
            });
        }
        if scopes.is_empty() {
            // X refuses an authorize request without a scope.
            return Err(Misuse::NoScope.into());
        }
        Ok(Self {
            authorize_url: app.endpoints().oauth2_authorize().clone(),
            api: app.endpoints().api().as_str().to_owned(),
            client_id: app.id().clone(),
            confidential: app.is_confidential(),
            redirect_uri: redirect_uri.to_owned(),
            scopes,
            lifetime: DEFAULT_LIFETIME,
            verifier_len: VerifierLength::MIN,
            extra: Vec::new(),
        })
    }

    /// How long the pending login accepts its callback ([`DEFAULT_LIFETIME`] unless set).
    pub const fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The PKCE verifier's length, 43 to 128 characters (43, i.e. 256 random bits, unless
    /// set).
    ///
    /// # Errors
    ///
    /// [`Misuse::VerifierLength`] if the length is outside 43..=128.
    pub fn verifier_len(mut self, len: usize) -> Result<Self, Error> {
        self.verifier_len =
            VerifierLength::new(len).map_err(|_| Error::from(Misuse::VerifierLength { len }))?;
        Ok(self)
    }

    /// An extra query parameter for the authorize URL, appended after the flow's own.
    ///
    /// # Errors
    ///
    /// [`Misuse::FlowParameter`] if `name` is one of the parameters the flow sets
    /// (`response_type`, `client_id`, `redirect_uri`, `scope`, `state`, `code_challenge`,
    /// `code_challenge_method`).
    pub fn param(mut self, name: &str, value: &str) -> Result<Self, Error> {
        if let Some(flow) = FLOW_PARAMS.iter().find(|p| **p == name) {
            return Err(Misuse::FlowParameter { name: flow }.into());
        }
        self.extra.push((name.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// Starts the login at `now`: the URL to send the user to, and the login to keep until X
    /// redirects back.
    ///
    /// The URL is the app's authorize page with `response_type=code`, `client_id`,
    /// `redirect_uri`, `scope`, `state`, `code_challenge` (S256) and
    /// `code_challenge_method=S256`, in that order, every value percent-encoded (a space in
    /// `scope` is `%20`, as in X's docs).
    ///
    /// `rng` must be a cryptographically secure RNG (a [`rand_core`] 0.9 [`CryptoRng`]): the
    /// verifier and the `state` are drawn from it. The core draws no randomness of its own, so:
    ///
    /// - with an adapter, `transport.start_login(request)` (`twitter-auth-reqwest` or
    ///   `twitter-auth-ureq`) draws from the operating system's RNG for you, and each adapter
    ///   re-exports `rand`, so `&mut twitter_auth_reqwest::rand::rng()` works without a
    ///   dependency of your own;
    /// - with the core alone, add `rand = "0.9"` (its default features include `thread_rng`,
    ///   which `rand::rng()` needs; with `default-features = false`, enable `std`, `std_rng`
    ///   and `thread_rng`), or any other `CryptoRng` (the core re-exports [`rand_core`] to
    ///   name the trait).
    ///
    /// [`rand_core`]: crate::rand_core
    #[must_use = "the URL is where the user goes, and the pending login must be kept"]
    pub fn start<R: CryptoRng + ?Sized>(
        self,
        now: SystemTime,
        rng: &mut R,
    ) -> (url::Url, PendingLogin) {
        let verifier = CodeVerifier::generate_with_len(rng, self.verifier_len);
        let state = State::generate(rng);
        let challenge = verifier.challenge();

        let mut query = Form::new()
            .with("response_type", "code")
            .with("client_id", self.client_id.as_str())
            .with("redirect_uri", &self.redirect_uri)
            .with("scope", &self.scopes.to_string())
            .with("state", state.secret())
            .with("code_challenge", challenge.as_str())
            .with("code_challenge_method", challenge.method().as_str());
        for (name, value) in &self.extra {
            query.push(name, value);
        }
        let mut url = self.authorize_url;
        let query = match url.query() {
            Some(existing) if !existing.is_empty() => format!("{existing}&{}", query.into_string()),
            _ => query.into_string(),
        };
        url.set_query(Some(&query));

        let created_at = UnixTime::from_system(now);
        let pending = PendingLogin {
            api: Some(self.api),
            client_id: self.client_id,
            confidential: self.confidential,
            redirect_uri: self.redirect_uri,
            scopes: self.scopes,
            verifier,
            state,
            created_at,
            expires_at: created_at.saturating_add(self.lifetime.as_secs()),
        };
        (url, pending)
    }
}

/// A login waiting for its callback: everything the code exchange needs except the client
/// secret, which the app supplies again at [`App::exchange`](super::App::exchange).
///
/// # Keep it in the session of the browser that started the login
///
/// Store it (it is serde) where only the browser that was sent to X can reach it, and look it
/// up by that browser's session when the callback comes, never by the callback's `state`:
///
/// - server-side, under a random session id that the browser holds in an `HttpOnly`,
///   `SameSite=Lax` cookie (`Secure` on https), or
/// - in a cookie that is encrypted and signed by the server (it holds the PKCE verifier).
///
/// A store keyed by `state` alone lets anyone finish *their* login in *your* browser: an
/// attacker starts a login, stops at X's redirect, and gets the victim's browser to open that
/// callback URL; the app finds the attacker's pending login by its state and logs the victim
/// into the attacker's account (login CSRF). Bound to the session, the victim's browser
/// brings the victim's pending login (or none), whose `state` the attacker's callback does not
/// carry, and the callback is refused.
///
/// Then hand the callback to [`verify_callback`](Self::verify_callback): it consumes the login
/// only when the callback carries this login's `state` (a login is completed at most once), and
/// gives it back when the callback is not this login's, so a forged callback cannot end the
/// real login. [`on_callback`](Self::on_callback) consumes it whatever the callback is.
///
/// ```
/// use std::collections::HashMap;
/// use std::time::{Duration, UNIX_EPOCH};
/// use rand::SeedableRng as _;
/// use twitter_auth_core::oauth2::{App, PendingLogin, Scope, Scopes};
/// use twitter_auth_core::{ClientId, Error};
///
/// let app = App::public(ClientId::new("rG9n6402A3dbUJKzXTNX4oWHJ"));
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut rng = rand::rngs::StdRng::seed_from_u64(7); // in an app: `rand::rng()`
/// let start = || app.authorize("https://app.example/cb", Scopes::from([Scope::UsersRead]));
///
/// // Pending logins by session id (the id is random, in the browser's HttpOnly cookie).
/// let mut sessions: HashMap<&str, PendingLogin> = HashMap::new();
/// let (_, victims) = start()?.start(now, &mut rng);
/// let victim_state = victims.state().secret().to_owned();
/// sessions.insert("victim-session", victims);
///
/// // The attacker's own login, stopped at X's redirect: a valid code with the attacker's state.
/// let (_, attackers) = start()?.start(now, &mut rng);
/// let forged = format!("https://app.example/cb?state={}&code=ATTACKERS", attackers.state().secret());
///
/// // The victim's browser opens it: the victim's session brings the victim's login, refused.
/// let pending = sessions.remove("victim-session").ok_or("no login in this session")?;
/// let refused = pending.verify_callback(&forged, now).unwrap_err();
/// assert!(matches!(refused.error(), Error::StateMismatch));
/// // ...and the victim's login is given back, untouched: the real callback still completes it.
/// let pending = refused.into_pending().ok_or("kept")?;
/// let real = format!("https://app.example/cb?state={victim_state}&code=VICTIMS");
/// assert!(pending.verify_callback(&real, now).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// ```compile_fail,E0382
/// # use twitter_auth_core::oauth2::PendingLogin;
/// # fn twice(pending: PendingLogin, now: std::time::SystemTime) {
/// let _ = pending.on_callback("?state=s&code=c", now);
/// let _ = pending.on_callback("?state=s&code=c", now); // error: use of moved value
/// # }
/// ```
///
/// It is deliberately not `Clone`. A stored copy can still be loaded twice, so a store must
/// remove a login when it hands it out (take, not get).
///
/// `Debug` redacts the verifier and the state.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[must_use = "a pending login must be kept until its callback"]
pub struct PendingLogin {
    client_id: ClientId,
    confidential: bool,
    redirect_uri: String,
    scopes: Scopes,
    verifier: CodeVerifier,
    state: State,
    created_at: UnixTime,
    expires_at: UnixTime,
    /// The API base of the app that started it, where the code may go (absent in logins
    /// stored by earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api: Option<String>,
}

impl PendingLogin {
    /// The client that started the login.
    pub const fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// Whether that client is confidential (its secret is needed at the exchange).
    pub const fn is_confidential(&self) -> bool {
        self.confidential
    }

    /// The redirect URI, as sent.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The scopes asked for.
    pub const fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// The `state` sent to X. Not a key to find the login by: find it by the browser's
    /// session (see [`PendingLogin`]); the callback check compares this `state`.
    pub const fn state(&self) -> &State {
        &self.state
    }

    /// When the login started.
    pub fn created_at(&self) -> SystemTime {
        self.created_at.to_system()
    }

    /// When the login stops accepting its callback.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at.to_system()
    }

    /// Whether `callback` (a full URL, or its query with or without `?`) carries exactly one
    /// `state` and it is this login's (compared in constant time). For routing a callback to
    /// its login; [`on_callback`](Self::on_callback) checks again.
    #[must_use]
    pub fn matches(&self, callback: &str) -> bool {
        match one(&crate::callback::params(callback), "state") {
            Param::One(state) => self.state.matches(state),
            Param::Absent | Param::Many => false,
        }
    }

    /// Checks X's redirect and takes the authorization code from it, consuming the login.
    ///
    /// `callback` is the full callback URL or its query (a leading `?` is optional). Checks, in
    /// this order:
    ///
    /// 1. `now` is before [`expires_at`](Self::expires_at), else [`Error::Expired`];
    /// 2. an `error` parameter: if a `state` came with it and is not this login's,
    ///    [`Error::StateMismatch`] (someone else's callback); otherwise `access_denied` is
    ///    [`Error::Denied`] and any other error [`Error::CallbackError`]. A denial without
    ///    `state` is still reported as a denial: the login is over either way, and no code is
    ///    accepted without the state;
    /// 3. `state`: missing is [`Error::MissingCallbackParameter`] `{ name: "state" }`, repeated
    ///    or different (constant-time comparison) is [`Error::StateMismatch`];
    /// 4. `code`: missing or empty is [`Error::MissingCallbackParameter`] `{ name: "code" }`,
    ///    repeated is [`Error::Malformed`].
    ///
    /// This consumes the login even when the callback is rejected, so a forged callback ends
    /// the real login: prefer [`verify_callback`](Self::verify_callback), which gives the login
    /// back when the callback is not its own.
    pub fn on_callback(self, callback: &str, now: SystemTime) -> Result<AuthorizedCode, Error> {
        let (checked, _) = self.check(callback, now);
        Ok(self.authorized(checked?))
    }

    /// Checks X's redirect as [`on_callback`](Self::on_callback) does (same checks, same
    /// errors) and takes the code from it, but consumes the login only if the callback is
    /// this login's: it carries exactly one `state` and it is this login's, or the login has
    /// expired anyway. A callback without this login's `state` (forged, another login's, a
    /// stray `?error=` without `state`) is refused with the login given back in
    /// [`CallbackRefused::into_pending`], still waiting for its own callback.
    ///
    /// ```
    /// # use std::time::{Duration, UNIX_EPOCH};
    /// # use rand::SeedableRng as _;
    /// # use twitter_auth_core::oauth2::{App, Scope, Scopes};
    /// # use twitter_auth_core::{ClientId, Error};
    /// # let app = App::public(ClientId::new("rG9n6402A3dbUJKzXTNX4oWHJ"));
    /// # let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// # let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    /// # let (_, pending) = app.authorize("https://app.example/cb", Scopes::from([Scope::UsersRead]))?
    /// #     .start(now, &mut rng);
    /// # let state = pending.state().secret().to_owned();
    /// let refused = pending.verify_callback("?state=forged&code=c", now).unwrap_err();
    /// assert!(matches!(refused.error(), Error::StateMismatch));
    /// let pending = refused.into_pending().expect("a forged callback leaves the login usable");
    /// let code = pending.verify_callback(&format!("?state={state}&code=c"), now)?;
    /// # let _ = code;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`CallbackRefused`]: the [`Error`] (as [`on_callback`](Self::on_callback) lists them),
    /// and the login if it was not consumed.
    pub fn verify_callback(
        self,
        callback: &str,
        now: SystemTime,
    ) -> Result<AuthorizedCode, CallbackRefused> {
        match self.check(callback, now) {
            (Ok(code), _) => Ok(self.authorized(code)),
            (Err(error), ours) => Err(CallbackRefused::new(error, (!ours).then_some(self))),
        }
    }

    /// The checks of a callback, without consuming the login: the code or the error, and
    /// whether the callback ends this login (it carries this login's state, or the login
    /// expired).
    fn check(&self, callback: &str, now: SystemTime) -> (Result<AuthorizationCode, Error>, bool) {
        if UnixTime::from_system(now) >= self.expires_at {
            return (Err(Error::Expired), true);
        }
        let params = crate::callback::params(callback);
        let state = one(&params, "state");
        let state_ok = matches!(state, Param::One(s) if self.state.matches(s));
        (check_params(&params, &state, state_ok), state_ok)
    }

    fn authorized(self, code: AuthorizationCode) -> AuthorizedCode {
        AuthorizedCode {
            api: self.api,
            client_id: self.client_id,
            confidential: self.confidential,
            redirect_uri: self.redirect_uri,
            scopes: self.scopes,
            verifier: self.verifier,
            code,
        }
    }
}

/// The checks of [`PendingLogin::on_callback`] after the expiry, in its order.
fn check_params(
    params: &[(String, String)],
    state: &Param<'_>,
    state_ok: bool,
) -> Result<AuthorizationCode, Error> {
    if let Some(error) = first(params, "error") {
        if !matches!(state, Param::Absent) && !state_ok {
            return Err(Error::StateMismatch);
        }
        if error == "access_denied" {
            return Err(Error::Denied);
        }
        return Err(Error::CallbackError {
            error: OAuth2Error {
                error: error.to_owned(),
                description: first(params, "error_description").map(str::to_owned),
            },
        });
    }
    match state {
        Param::Absent => return Err(Error::MissingCallbackParameter { name: "state" }),
        Param::Many => return Err(Error::StateMismatch),
        Param::One(_) if !state_ok => return Err(Error::StateMismatch),
        Param::One(_) => {}
    }
    match one(params, "code") {
        Param::One(code) if !code.is_empty() => Ok(AuthorizationCode::new(code)),
        Param::One(_) | Param::Absent => Err(Error::MissingCallbackParameter { name: "code" }),
        Param::Many => Err(Error::Malformed {
            what: "the callback repeats the code parameter",
        }),
    }
}

/// The `state` a callback carries (the first one); `None` if it has none. Total: any input is
/// accepted.
///
/// Only to choose among the pending logins of **one** browser session (a login started in
/// each of two tabs): never to find a login across sessions, which lets an attacker's
/// callback finish the attacker's login in a victim's browser (see [`PendingLogin`]).
///
/// ```
/// use twitter_auth_core::oauth2::callback_state;
///
/// assert_eq!(callback_state("https://app.example/cb?state=abc&code=x").as_deref(), Some("abc"));
/// assert_eq!(callback_state("?code=x"), None);
/// ```
#[must_use]
pub fn callback_state(callback: &str) -> Option<String> {
    first(&crate::callback::params(callback), "state").map(str::to_owned)
}

/// A callback that passed its checks: the code, with what the exchange repeats. The code
/// expires 30 seconds after X issued it, so exchange it at once.
///
/// `Debug` redacts the code and the verifier.
#[derive(Debug)]
#[must_use = "the code must be exchanged within 30 seconds"]
pub struct AuthorizedCode {
    api: Option<String>,
    client_id: ClientId,
    confidential: bool,
    redirect_uri: String,
    scopes: Scopes,
    verifier: CodeVerifier,
    code: AuthorizationCode,
}

impl AuthorizedCode {
    /// The scopes the login asked for.
    pub const fn requested_scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// See [`App::exchange`].
    pub(crate) fn into_exchange(self, app: &App) -> Result<CodeExchange, Error> {
        let other_hosts = self
            .api
            .as_deref()
            .is_some_and(|api| api != app.endpoints().api().as_str());
        if app.id() != &self.client_id || app.is_confidential() != self.confidential || other_hosts
        {
            return Err(Misuse::AppMismatch.into());
        }
        let form = Form::new()
            .with("code", self.code.secret())
            .with("grant_type", "authorization_code")
            .with("redirect_uri", &self.redirect_uri)
            .with("code_verifier", self.verifier.secret());
        Ok(CodeExchange {
            request: app.post_form(&app.endpoints().api_url("2/oauth2/token"), form)?,
            scopes: self.scopes,
        })
    }
}

/// The code exchange round trip; yields the user's [`TokenSet`]. Never replayed: a code is
/// single use.
#[must_use = "an exchange does nothing until its request is sent and finish is called"]
pub struct CodeExchange {
    request: HttpRequest,
    scopes: Scopes,
}

impl fmt::Debug for CodeExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_exchange(f, "CodeExchange", &self.request)
    }
}

impl Exchange for CodeExchange {
    type Output = TokenSet;

    fn request(&self) -> &HttpRequest {
        &self.request
    }

    fn replay(&self) -> Replay {
        Replay::Never
    }

    /// Expects 200 with X's token JSON (RFC 6749 §5.1); errors come out typed
    /// ([`Error::OAuth2`] for `invalid_request` and friends), `token_type` other than `bearer`
    /// is [`Error::NotBearer`]. An absent `scope` means the scopes asked for were granted.
    fn finish(self, now: SystemTime, response: HttpResponse) -> Result<TokenSet, Error> {
        parse_token_response(&response, now, self.scopes)
    }
}

enum Param<'a> {
    Absent,
    One(&'a str),
    Many,
}

fn one<'a>(params: &'a [(String, String)], name: &str) -> Param<'a> {
    let mut found = params.iter().filter(|(k, _)| k == name);
    match (found.next(), found.next()) {
        (None, _) => Param::Absent,
        (Some((_, v)), None) => Param::One(v),
        (Some(_), Some(_)) => Param::Many,
    }
}

fn first<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
