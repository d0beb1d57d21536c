//! The core's one error type, with X's three error formats typed and a hint for each cause X is
//! known for.

use core::fmt;

/// One entry of X's v1.1 error list: `{"errors":[{"code":32,"message":"…"}]}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct XApiError {
    /// X's error code (32 bad signature, 89 bad token, 135 timestamp, 415 callback, 88 rate
    /// limited, …).
    pub code: u32,
    /// X's message.
    #[serde(default)]
    pub message: String,
}

impl fmt::Display for XApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {}: {}", self.code, self.message)
    }
}

/// An OAuth 2.0 error body: `{"error":"…","error_description":"…"}` (RFC 6749 §5.2).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct OAuth2Error {
    /// The error code, e.g. `invalid_request`, `unauthorized_client`.
    pub error: String,
    /// X's explanation, if any.
    #[serde(default, rename = "error_description")]
    pub description: Option<String>,
}

impl fmt::Display for OAuth2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.description {
            Some(d) => write!(f, "{}: {d}", self.error),
            None => f.write_str(&self.error),
        }
    }
}

/// An API v2 problem (RFC 7807): `{"type":"https://api.x.com/2/problems/…","title":…}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Problem {
    /// The problem type URI (`…/2/problems/unsupported-authentication`); hosts vary, so match
    /// on [`name`](Self::name).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// A short summary.
    #[serde(default)]
    pub title: String,
    /// The explanation.
    #[serde(default)]
    pub detail: Option<String>,
    /// A sub-reason, e.g. `client-not-enrolled` for `client-forbidden`.
    #[serde(default)]
    pub reason: Option<String>,
}

impl Problem {
    /// The last path segment of the type URI, e.g. `unsupported-authentication`.
    pub fn name(&self) -> &str {
        self.kind.rsplit('/').next().unwrap_or_default()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.title, self.name())?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

/// Who is at fault, in broad terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// X answered, and said no.
    Rejected,
    /// X's answer was not what the protocol says it should be.
    Protocol,
    /// The user refused, or took too long.
    User,
    /// The caller's input is wrong (a malformed URL, token or key).
    Local,
    /// The calling code used the API wrongly ([`Error::Misuse`]): a bug to fix, not a condition
    /// to handle at run time.
    Misuse,
}

/// A call the API cannot serve as made: a mistake in the calling code, not in X's answer, the
/// user's doing or the data. Kept apart from protocol errors (as rustls keeps its API misuse
/// apart) so a caller can treat it as a bug.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Misuse {
    /// An authorize request without a scope (X refuses it).
    #[error("at least one scope is needed")]
    NoScope,
    /// An extra authorize parameter that the flow sets itself.
    #[error("the authorize parameter {name} is set by the flow")]
    FlowParameter {
        /// The parameter.
        name: &'static str,
    },
    /// A PKCE verifier length outside RFC 7636's 43..=128.
    #[error("a PKCE verifier is 43 to 128 characters, not {len}")]
    VerifierLength {
        /// The length asked for.
        len: usize,
    },
    /// A code exchange with another app than the one that started the login (another id,
    /// public where it was confidential or the reverse, or other hosts: X would answer
    /// `unauthorized_client`, or the code would go elsewhere).
    #[error("the app is not the one that started this login (id, kind or hosts)")]
    AppMismatch,
    /// A request body that cannot be written as JSON (a map whose keys are not strings).
    #[error("the request body cannot be written as JSON")]
    JsonBody,
}

/// Everything that can go wrong in a flow. Messages never contain tokens or secrets: only X's
/// own messages, codes, and what was expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// X answered with its v1.1 error list.
    #[error("X rejected the request (HTTP {status}): {}", first_error(errors))]
    X {
        /// The HTTP status.
        status: u16,
        /// Every entry of the list, in order (at least one).
        errors: Vec<XApiError>,
    },
    /// X's OAuth 2.0 endpoints answered with an OAuth 2.0 error.
    #[error("OAuth 2.0 error (HTTP {status}): {error}")]
    OAuth2 {
        /// The HTTP status.
        status: u16,
        /// The error and its description.
        error: OAuth2Error,
    },
    /// The API v2 answered with a problem document.
    #[error("X API problem (HTTP {status}): {problem}")]
    Problem {
        /// The HTTP status.
        status: u16,
        /// The problem.
        problem: Problem,
    },
    /// A status the flow does not expect, with no error body X is known to send.
    #[error("unexpected HTTP status {status}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
    },
    /// A success response whose body is not what X sends.
    #[error("malformed response: {what}")]
    Malformed {
        /// What was wrong or missing (never the body itself, which may hold a token).
        what: &'static str,
    },
    /// X answered a request-token call without `oauth_callback_confirmed=true`.
    #[error("X did not confirm the callback (oauth_callback_confirmed is not true)")]
    CallbackNotConfirmed,
    /// A bearer token response whose `token_type` is not `bearer`.
    #[error("token_type is not bearer")]
    NotBearer,
    /// The callback's `state` is not the one this login sent.
    #[error("the callback's state does not match this login (possible CSRF)")]
    StateMismatch,
    /// The callback's `oauth_token` is not this login's request token.
    #[error("the callback's oauth_token is not this login's request token")]
    TokenMismatch,
    /// The user refused to authorize the app (OAuth 1.0a `denied=`, OAuth 2.0
    /// `error=access_denied`).
    #[error("the user did not authorize the app")]
    Denied,
    /// The authorization server sent another `error` to the callback.
    #[error("the authorization server returned an error to the callback: {error}")]
    CallbackError {
        /// The error and its description.
        error: OAuth2Error,
    },
    /// The callback lacks a parameter the flow needs.
    #[error("the callback has no {name}")]
    MissingCallbackParameter {
        /// The parameter.
        name: &'static str,
    },
    /// The pending authorization is older than its lifetime.
    #[error("the pending authorization expired; start the login again")]
    Expired,
    /// A URL the flow cannot use: malformed, or plain `http://` to a host that is not loopback.
    #[error("invalid URL: {reason}")]
    InvalidUrl {
        /// What is wrong.
        reason: &'static str,
    },
    /// A refresh was asked for a token set without a refresh token (`offline.access` was not
    /// granted).
    #[error("no refresh token: the login did not grant offline.access")]
    NoRefreshToken,
    /// The calling code used the API wrongly (see [`Misuse`]).
    #[error("API misuse: {0}")]
    Misuse(#[from] Misuse),
    /// A token given by the caller that cannot go in an `Authorization` header.
    #[error("the token is empty or holds characters a bearer token cannot")]
    InvalidToken,
    /// A single-use request (code exchange, refresh, access token) failed in a way that leaves
    /// its outcome unknown: the grant may have been spent, so it is not retried.
    #[error(
        "the request may have been consumed by X (the connection failed after it was sent); it is not retried because it is single-use"
    )]
    MayHaveBeenConsumed,
    /// A user key a token store cannot hold (see [`UserKey::new`](crate::grant::UserKey::new)).
    #[error("invalid user key: {reason}")]
    InvalidKey {
        /// What is wrong (never the key itself, which may identify a person).
        reason: &'static str,
    },
    /// The user's grant is gone: only a new login brings the user back.
    #[error("the user must log in again: {reason}")]
    LoginRequired {
        /// Why the grant is gone.
        reason: crate::grant::LoginRequired,
    },
    /// Another holder kept the key's lease for longer than this caller waits, or the lease
    /// left too little time to send a refresh safely; nothing was sent.
    #[error("the user's token store lease is busy or too short; nothing was sent, try again")]
    LeaseUnavailable,
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] oauth1_sign::Error),
    /// A PKCE value is invalid.
    #[error(transparent)]
    Pkce(#[from] pkce::Error),
}

fn first_error(errors: &[XApiError]) -> String {
    let mut text = errors.first().map(ToString::to_string).unwrap_or_default();
    if errors.len() > 1 {
        text.push_str(&format!(" (and {} more)", errors.len() - 1));
    }
    text
}

impl Error {
    /// Broadly, whose fault it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::X { .. } | Self::OAuth2 { .. } | Self::Problem { .. } => ErrorKind::Rejected,
            Self::UnexpectedStatus { .. }
            | Self::Malformed { .. }
            | Self::CallbackNotConfirmed
            | Self::NotBearer
            | Self::MayHaveBeenConsumed
            | Self::LeaseUnavailable => ErrorKind::Protocol,
            Self::LoginRequired { .. } => ErrorKind::User,
            Self::Denied | Self::Expired | Self::CallbackError { .. } => ErrorKind::User,
            Self::StateMismatch
            | Self::TokenMismatch
            | Self::MissingCallbackParameter { .. }
            | Self::InvalidUrl { .. }
            | Self::NoRefreshToken
            | Self::InvalidToken
            | Self::InvalidKey { .. }
            | Self::Sign(_)
            | Self::Pkce(_) => ErrorKind::Local,
            Self::Misuse(_) => ErrorKind::Misuse,
        }
    }

    /// The HTTP status of X's answer, if this error is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::X { status, .. }
            | Self::OAuth2 { status, .. }
            | Self::Problem { status, .. }
            | Self::UnexpectedStatus { status } => Some(*status),
            _ => None,
        }
    }

    /// Why the user must log in again, if that is what this error means.
    pub fn login_required(&self) -> Option<crate::grant::LoginRequired> {
        match self {
            Self::LoginRequired { reason } => Some(*reason),
            _ => None,
        }
    }

    /// X's v1.1 error codes, if X answered with them.
    pub fn x_codes(&self) -> Vec<u32> {
        match self {
            Self::X { errors, .. } => errors.iter().map(|e| e.code).collect(),
            _ => Vec::new(),
        }
    }

    /// What usually causes this error at X, and what to do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::X { errors, .. } => errors.iter().find_map(|e| x_code_hint(e.code)),
            Self::OAuth2 { error, .. } | Self::CallbackError { error } => oauth2_hint(error),
            Self::Problem { problem, .. } => problem_hint(problem),
            Self::UnexpectedStatus { status: 429 } => {
                Some("rate limited: wait until the x-rate-limit-reset instant")
            }
            Self::CallbackNotConfirmed => {
                Some("X did not accept the oauth_callback: register it exactly in the app settings")
            }
            Self::StateMismatch => Some(
                "the callback belongs to another login attempt, or was forged: start the login again",
            ),
            Self::Expired => {
                Some("logins must be completed within their lifetime (10 minutes by default)")
            }
            Self::NoRefreshToken => Some("ask for the offline.access scope to get refresh tokens"),
            Self::Misuse(Misuse::AppMismatch) => Some(
                "exchange the code with the same client id and kind (public or confidential) that started the login",
            ),
            Self::MayHaveBeenConsumed => {
                Some("check whether the token arrived (e.g. in the store) before starting over")
            }
            Self::LoginRequired { reason } => Some(reason.hint()),
            Self::LeaseUnavailable => Some(
                "another instance is refreshing this user's tokens, or the lease TTL is shorter than the HTTP timeout plus margin",
            ),
            _ => None,
        }
    }
}

fn x_code_hint(code: u32) -> Option<&'static str> {
    Some(match code {
        32 => {
            "bad signature: check the consumer and token secrets and the parameter encoding \
             (`twauth sign --explain` compares the usual mistakes)"
        }
        88 => "rate limited: wait until the x-rate-limit-reset instant",
        89 => "the token is invalid, expired or revoked: log in again",
        99 => "app-only credentials were rejected (wrong key/secret, or asked too often)",
        135 => {
            "timestamp out of bounds: the local clock is off; re-sign with the offset from X's Date header"
        }
        215 => "authentication is missing or wholly invalid",
        220 => "these credentials do not allow this resource (it may need user context)",
        261 => {
            "the app has no write permission: change it in the developer portal and re-authorize"
        }
        415 => {
            "callback URL not approved: register it exactly (trailing slash included) in the app settings"
        }
        416 => "the app is invalid or suspended",
        417 => "desktop apps only support oauth_callback=oob (PIN)",
        _ => return None,
    })
}

/// Every cause X's `unauthorized_client` ("Missing valid authorization header") has been seen
/// to stand for: X does not say which.
const CLIENT_AUTH_HINT: &str = "X did not accept the client's authentication; likely causes: \
     (1) the client secret is wrong or was regenerated in the developer portal; \
     (2) the client id is wrong or belongs to another app; \
     (3) a public/confidential mix-up: a confidential client (Web App, Automated App or Bot) \
     must send HTTP Basic auth with its secret, a public one (Native App, Single Page App) \
     only client_id in the body, so check the app type in the portal against \
     oauth2::App::public or oauth2::App::confidential";

fn oauth2_hint(error: &OAuth2Error) -> Option<&'static str> {
    let description = error.description.as_deref().unwrap_or_default();
    match error.error.as_str() {
        // X gives this one answer for every client authentication failure.
        "unauthorized_client" | "invalid_client" => Some(CLIENT_AUTH_HINT),
        "invalid_request" if description.contains("authorization code") => Some(
            "the code was already used, expired (30 s), or redirect_uri/code_verifier differ from the authorize step",
        ),
        "invalid_request" if description.contains("token_type_hint") => {
            Some("revocation needs token_type_hint")
        }
        "invalid_request" => Some(
            "X found the request invalid; on a refresh this usually means the refresh token was already used (it is single-use)",
        ),
        "invalid_grant" => Some("the code or refresh token is invalid, expired or already used"),
        "access_denied" => Some("the user did not authorize the app"),
        _ => None,
    }
}

fn problem_hint(problem: &Problem) -> Option<&'static str> {
    match (problem.name(), problem.reason.as_deref()) {
        ("unsupported-authentication", _) => Some(
            "wrong kind of credentials for this endpoint (e.g. app-only where user context is needed)",
        ),
        ("client-forbidden", Some("client-not-enrolled")) => Some(
            "the app must belong to a Project enrolled for this endpoint in the developer portal",
        ),
        ("client-forbidden", _) => Some("this client may not use this endpoint"),
        ("usage-capped", _) => Some("the product's usage cap is reached for this period"),
        ("rate-limit-exceeded", _) => {
            Some("rate limited: wait until the x-rate-limit-reset instant")
        }
        ("not-authorized-for-resource", _) => Some("the user or app may not see this resource"),
        _ => None,
    }
}

/// A request that got no answer (connection, TLS, timeout, a cut body): where it went, and the
/// HTTP client's error. The adapters' `Error::Transport` holds one.
///
/// `Display` is `host: cause`, e.g. `api.x.com: error sending request: Connection refused (os
/// error 111)`: the host (and port) only, never the URL's user info, path or query (a query may
/// carry a token); then the client's message, and its innermost cause's if that says more (an
/// HTTP client's own message is often only "error sending request"). Messages that quote a URL
/// are left out. The client's error is the [`source`](std::error::Error::source).
///
/// ```
/// use twitter_auth_core::TransportError;
///
/// let uri = "https://user:pw@api.x.com:8443/2/oauth2/token?code=SECRET".parse()?;
/// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let error = TransportError::new(&uri, refused);
/// assert_eq!(error.host(), "api.x.com:8443");
/// assert_eq!(error.to_string(), "api.x.com:8443: connection refused");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TransportError<E> {
    host: String,
    source: E,
}

impl<E> TransportError<E> {
    /// The failure of a request to `uri`.
    pub fn new(uri: &http::Uri, source: E) -> Self {
        let host = match (uri.host(), uri.port_u16()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => "an unknown host".to_owned(),
        };
        Self { host, source }
    }

    /// `host` or `host:port`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The HTTP client's error.
    pub const fn get_ref(&self) -> &E {
        &self.source
    }

    /// The HTTP client's error.
    pub fn into_inner(self) -> E {
        self.source
    }
}

impl<E: std::error::Error + 'static> fmt::Display for TransportError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quotes_url = |text: &str| text.contains("://");
        let top = self.source.to_string();
        let mut root = None;
        let mut source = self.source.source();
        while let Some(cause) = source {
            root = Some(cause.to_string());
            source = cause.source();
        }
        let mut cause = if quotes_url(&top) { String::new() } else { top };
        if let Some(root) = root.filter(|r| !quotes_url(r) && !cause.contains(r.as_str())) {
            if !cause.is_empty() {
                cause.push_str(": ");
            }
            cause.push_str(&root);
        }
        if cause.is_empty() {
            cause.push_str("no answer");
        }
        write!(f, "{}: {cause}", self.host)
    }
}

impl<E: std::error::Error + 'static> std::error::Error for TransportError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// What usually causes a transport failure: the adapters' `Error::hint` for one.
pub const TRANSPORT_HINT: &str = "X could not be reached or did not answer in time: check the \
     network, DNS, any proxy or firewall, and the endpoints' base URL";
