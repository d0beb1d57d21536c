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
//! credential.authorize(&mut request, now, "unused-nonce")?;
//! assert_eq!(request.headers()["authorization"], "Bearer AAAA%2FAAA%3DAAAAAAAA");
//!
//! let answer = http::Response::builder().status(200).body(Vec::new())?;
//! assert_eq!(credential.after_answer(&answer, now, 0), AfterAnswer::Done);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::SystemTime;

use http::header::AUTHORIZATION;

use crate::oauth1::UserSigner;
use crate::oauth2::{AppOnlyBearer, TokenSet};
use crate::{Error, HttpRequest, HttpResponse, Replay};

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
    /// Sets the request's `Authorization` header: a signature (with `nonce` and `now`) or the
    /// bearer token. The header is marked sensitive.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] unless the URL is `https`, or `http` to a loopback host: a
    /// credential never travels in clear.
    pub fn authorize(
        &self,
        request: &mut HttpRequest,
        now: SystemTime,
        nonce: &str,
    ) -> Result<(), Error> {
        crate::endpoints::may_carry_credentials(request.uri())?;
        let header = match self {
            Self::OAuth1(signer) => return signer.sign(request, now, nonce),
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
