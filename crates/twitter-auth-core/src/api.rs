//! Calling the X API with a credential: authorize each request, and decide what an answer
//! means for the credential (sign again, refresh, or done). The adapters' authenticated clients
//! are loops around these decisions; keeping them here keeps the adapters free of protocol.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use twitter_auth_core::api::{AfterAnswer, Credential};
//! use twitter_auth_core::oauth2::AppOnlyBearer;
//! use twitter_auth_core::BearerToken;
//!
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let bearer = AppOnlyBearer::new(BearerToken::new("AAAA%2FAAA%3DAAAAAAAA"))?;
//! let mut credential = Credential::AppOnly(bearer);
//! let mut request = http::Request::get("https://api.x.com/2/users/by/username/xdevelopers")
//!     .body(Vec::new())?;
//! credential.authorize(&mut request, now, &mut rand::rng())?; // a bearer draws nothing
//! assert_eq!(request.headers()["authorization"], "Bearer AAAA%2FAAA%3DAAAAAAAA");
//!
//! let answer = http::Response::builder().status(200).body(Vec::new())?;
//! assert_eq!(credential.after_answer(&answer, now, 0), AfterAnswer::Done);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::SystemTime;

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::oauth1::UserSigner;
use crate::oauth2::{AppOnlyBearer, TokenSet, User};
use crate::{Endpoints, Error, HttpRequest, HttpResponse, Replay};

/// One of the three ways to call the X API.
#[derive(Clone, Debug)]
#[non_exhaustive]
// A few long-lived values per program: boxing the signer would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Credential {
    /// OAuth 1.0a user context: every request signed.
    OAuth1(UserSigner),
    /// OAuth 2.0 app-only: `Authorization: Bearer`.
    AppOnly(AppOnlyBearer),
    /// OAuth 2.0 user context: `Authorization: Bearer`, refreshed when due.
    OAuth2(TokenSet),
}

/// What an answer means for the credential that authorized the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AfterAnswer {
    /// Hand the answer to the caller.
    Done,
    /// X rejected the timestamp and the signer has learnt X's clock: sign again and send once
    /// more.
    Resign,
    /// X refused the OAuth 2.0 access token (401) and a refresh token exists: refresh once
    /// (unless someone else already did) and send once more.
    Refresh,
}

impl Credential {
    /// Sets the request's `Authorization` header: a signature (at `now`, its nonce drawn from
    /// `rng`, a cryptographically secure RNG) or the bearer token. The header is marked
    /// sensitive.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] unless the URL is `https`, or `http` to a loopback host: a
    /// credential never travels in clear.
    pub fn authorize<R: rand_core::CryptoRng + ?Sized>(
        &self,
        request: &mut HttpRequest,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<(), Error> {
        crate::endpoints::may_carry_credentials(request.uri())?;
        let header = match self {
            Self::OAuth1(signer) => return signer.sign(request, now, rng),
            Self::AppOnly(bearer) => bearer.authorization_header(),
            Self::OAuth2(tokens) => tokens.authorization_header(),
        };
        request.headers_mut().insert(AUTHORIZATION, header);
        Ok(())
    }

    /// What to do with `answer` to a request this credential authorized on attempt number
    /// `attempt` (0 first): one re-sign after a 135 whose `Date` taught the signer X's
    /// clock, or one refresh after a 401 to an OAuth 2.0 user token; never a second time.
    pub fn after_answer(
        &mut self,
        answer: &HttpResponse,
        now: SystemTime,
        attempt: u32,
    ) -> AfterAnswer {
        if attempt > 0 {
            return AfterAnswer::Done;
        }
        match self {
            Self::OAuth1(signer) => {
                if signer.learn_clock(answer, now) {
                    AfterAnswer::Resign
                } else {
                    AfterAnswer::Done
                }
            }
            Self::OAuth2(tokens) if answer.status() == 401 && tokens.can_refresh() => {
                AfterAnswer::Refresh
            }
            _ => AfterAnswer::Done,
        }
    }
}

/// Sets `request`'s `Authorization` to a user's OAuth 2.0 access token (marked sensitive):
/// [`Credential::authorize`] for a token set held elsewhere (a keyed store's grant), without
/// copying it.
///
/// # Errors
///
/// [`Error::InvalidUrl`] unless the URL is `https`, or `http` to a loopback host.
pub fn authorize_user(request: &mut HttpRequest, tokens: &TokenSet) -> Result<(), Error> {
    crate::endpoints::may_carry_credentials(request.uri())?;
    request
        .headers_mut()
        .insert(AUTHORIZATION, tokens.authorization_header());
    Ok(())
}

/// Whether `request` goes to one of `endpoints`' hosts (the API's or OAuth 1.0a's, same scheme,
/// host and port): an API client sends its credential nowhere else.
///
/// # Errors
///
/// [`Error::InvalidUrl`] naming the rule (never the URL, whose query may hold a secret).
pub fn check_host(endpoints: &Endpoints, request: &HttpRequest) -> Result<(), Error> {
    let uri = request.uri();
    let same = |base: &url::Url| {
        uri.scheme_str() == Some(base.scheme())
            && uri.host() == base.host_str()
            && uri.port_u16().or_else(|| default_port(uri.scheme_str()))
                == base.port_or_known_default()
    };
    if same(endpoints.api()) || same(endpoints.oauth1()) {
        Ok(())
    } else {
        Err(Error::InvalidUrl {
            reason: "the request is not for the credential's hosts (its app's endpoints)",
        })
    }
}

/// `uri`'s text, exactly as its `Display` writes it (`scheme://authority/path?query`), built
/// in one allocation without the formatting machinery: signing and sending need it on every
/// request, and `to_string` costs several times more.
///
/// ```
/// let uri: twitter_auth_core::http::Uri = "https://api.x.com/2/users/me?user.fields=id".parse()?;
/// assert_eq!(twitter_auth_core::api::uri_string(&uri), uri.to_string());
/// # Ok::<(), twitter_auth_core::http::uri::InvalidUri>(())
/// ```
#[must_use]
pub fn uri_string(uri: &http::Uri) -> String {
    let scheme = uri.scheme_str();
    let authority = uri.authority().map(http::uri::Authority::as_str);
    let query = uri.query();
    let len = scheme.map_or(0, |s| s.len() + 3)
        + authority.map_or(0, str::len)
        + uri.path().len()
        + query.map_or(0, |q| q.len() + 1);
    let mut text = String::with_capacity(len);
    if let Some(scheme) = scheme {
        text.push_str(scheme);
        text.push_str("://");
    }
    if let Some(authority) = authority {
        text.push_str(authority);
    }
    text.push_str(uri.path());
    if let Some(query) = query {
        text.push('?');
        text.push_str(query);
    }
    text
}

fn default_port(scheme: Option<&str>) -> Option<u16> {
    match scheme {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    }
}

/// Whether X refused a user's access token in `answer` to attempt number `attempt` (0 first)
/// so that one refresh and one more attempt are worth it: a 401, the first time, with a
/// refresh token to spend.
#[must_use]
pub fn refused_access(answer: &HttpResponse, tokens: &TokenSet, attempt: u32) -> bool {
    attempt == 0 && answer.status() == 401 && tokens.can_refresh()
}

/// [`replay_for`] a user's OAuth 2.0 bearer request: safe methods may be sent again.
#[must_use]
pub fn replay_for_bearer(request: &HttpRequest) -> Replay {
    if request.method().is_safe() {
        Replay::Safe
    } else {
        Replay::Never
    }
}

/// Whether an API request may be sent again after an ambiguous failure: requests with safe
/// methods may (signed anew for OAuth 1.0a); anything else might act twice (a post twice).
#[must_use]
pub fn replay_for(request: &HttpRequest, credential: &Credential) -> Replay {
    let safe = request.method().is_safe();
    match credential {
        _ if !safe => Replay::Never,
        Credential::OAuth1(_) => Replay::Resign,
        _ => Replay::Safe,
    }
}

/// `method {api}/{path}` without a body, for an API client to authorize and send: `path` is
/// relative to the API base (`2/users/me`, `2/users/by/username/XDevelopers?user.fields=id`;
/// a leading `/` is ignored).
///
/// ```
/// use twitter_auth_core::{Endpoints, api, http::Method};
///
/// let request = api::request(&Endpoints::x(), Method::GET, "2/users/me?user.fields=id")?;
/// assert_eq!(request.uri(), "https://api.x.com/2/users/me?user.fields=id");
/// // A path that would leave the API's host is refused: the credential would go with it.
/// assert!(api::request(&Endpoints::x(), Method::GET, "https://evil.example/2/users/me").is_err());
/// # Ok::<(), twitter_auth_core::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidUrl`] if `path` is not a path under the API base (an absolute URL, or `..`
/// out of it; leading slashes are ignored, so `//host/x` is the path `host/x`).
pub fn request(endpoints: &Endpoints, method: Method, path: &str) -> Result<HttpRequest, Error> {
    let base = endpoints.api();
    let url = base
        .join(path.trim_start_matches('/'))
        .map_err(|_| Error::InvalidUrl {
            reason: "not a path under the API base",
        })?;
    if url.origin() != base.origin() || !url.path().starts_with(base.path()) {
        return Err(Error::InvalidUrl {
            reason: "the path leaves the API base",
        });
    }
    crate::exchange::build(method, &url, &[], Vec::new())
}

/// [`request`] with `body` as JSON (`Content-Type: application/json`), e.g. `POST 2/tweets`.
///
/// # Errors
///
/// As [`request`]; [`Misuse::JsonBody`](crate::Misuse::JsonBody) if `body` cannot be written
/// as JSON (a map whose keys are not strings).
pub fn json_request<B: Serialize + ?Sized>(
    endpoints: &Endpoints,
    method: Method,
    path: &str,
    body: &B,
) -> Result<HttpRequest, Error> {
    let mut request = request(endpoints, method, path)?;
    *request.body_mut() =
        serde_json::to_vec(body).map_err(|_| Error::from(crate::Misuse::JsonBody))?;
    request
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(request)
}

/// X's answer as `T`: a 2xx body parsed as JSON (an empty body reads as `null`), anything else
/// X's error, typed ([`Error::X`], [`Error::OAuth2`], [`Error::Problem`] or
/// [`Error::UnexpectedStatus`]).
///
/// # Errors
///
/// X's error; [`Error::Malformed`] if the body is not `T` (the body itself is never quoted: it
/// may hold a token).
pub fn read_json<T: DeserializeOwned>(answer: &HttpResponse) -> Result<T, Error> {
    crate::response::ensure_success(answer)?;
    let body: &[u8] = if answer.body().is_empty() {
        b"null"
    } else {
        answer.body()
    };
    crate::response::json(body, "X's answer is not the JSON the caller expects")
}

/// `GET {api}/2/users/me`: who the credential's user is (needs `tweet.read` and `users.read`).
///
/// # Errors
///
/// [`Error::InvalidUrl`] if the request cannot be built.
pub fn users_me(endpoints: &Endpoints) -> Result<HttpRequest, Error> {
    request(endpoints, Method::GET, "2/users/me")
}

/// The user in X's answer to [`users_me`] (`{"data":{"id","name","username"}}`).
///
/// # Errors
///
/// X's error, typed; [`Error::Malformed`] if the answer is not X's shape.
pub fn read_user(answer: &HttpResponse) -> Result<User, Error> {
    crate::oauth2::users_me::read_user(answer)
}
