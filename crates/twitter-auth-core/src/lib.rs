//! Sans-IO state machines for every Twitter/X authentication flow.
//!
//! The core builds each HTTP request as plain data ([`HttpRequest`]) and consumes each answer as
//! plain data ([`HttpResponse`]). It never does IO, never reads a clock and never draws
//! randomness by itself: the caller passes `now` and an RNG. Drive it from `reqwest`, `ureq`,
//! `hyper`, a WASM fetch, or a test: every flow is the same code.
//!
//! # Contents
//!
//! | flow | module | walk-through |
//! |---|---|---|
//! | OAuth 1.0a user context (sign any request) | [`oauth1::UserSigner`] | [`oauth1`] |
//! | OAuth 1.0a 3-legged, PIN (`oob`), Sign in with X | [`oauth1::RequestToken`] → [`oauth1::PendingLogin`] | [`oauth1`] |
//! | Verify credentials (`1.1/account/verify_credentials.json`), invalidate | [`oauth1::VerifyCredentialsExchange`], [`oauth1::InvalidateTokenExchange`] | [`oauth1`] |
//! | OAuth 2.0 app-only bearer; Authorization Code with PKCE, refresh, revoke; `2/users/me` | [`oauth2`] | [`oauth2`] |
//! | Calling the API with any credential (authorize, re-sign after 135, refresh after 401) | [`api`] | [`api`] |
//! | Rate limits, retry decisions, clock skew | [`rate_limit`], [`retry`], [`skew`] | in each module |
//! | X's error formats | [`Error`], [`error_from_response`] | [`Error::hint`] |
//! | Where requests go | [`Endpoints`] | [`Endpoints`] |
//!
//! # Driving the core
//!
//! 1. Build the step of a flow; it is an [`Exchange`] holding the request to send.
//! 2. Send [`Exchange::request`] exactly as given (do not follow redirects on token endpoints).
//! 3. On an answer, or a transport failure, ask the retry policy what to do.
//! 4. Hand the answer to [`Exchange::finish`] exactly once, with `now`.
//! 5. Persist any new token set before using it.
//!
//! A complete driver is a few lines; here the "transport" is a closure that plays X:
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use twitter_auth_core::oauth1;
//! use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
//! use twitter_auth_core::retry::{Decision, Outcome, RetryPolicy};
//! use twitter_auth_core::{Exchange, HttpRequest, HttpResponse};
//!
//! /// Sends one request (a real adapter uses reqwest or ureq here).
//! fn send(request: &HttpRequest) -> HttpResponse {
//!     assert_eq!(request.uri(), "https://api.x.com/oauth2/token");
//!     http::Response::builder()
//!         .status(200)
//!         .body(br#"{"token_type":"bearer","access_token":"AAAA%2FAAA%3DAAAAAAAA"}"#.to_vec())
//!         .unwrap()
//! }
//!
//! /// The one loop every adapter runs, for any flow step.
//! fn execute<E: Exchange>(step: E, policy: &RetryPolicy) -> Result<E::Output, Box<dyn std::error::Error>> {
//!     let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000); // an adapter reads its clock
//!     let mut attempt = 0;
//!     loop {
//!         let response = send(step.request());
//!         match policy.decide(step.replay(), attempt, Outcome::Response(&response), now, 0) {
//!             Decision::Accept => return Ok(step.finish(now, response)?),
//!             Decision::RetryAfter(_wait) => attempt += 1, // an adapter sleeps `_wait` here
//!             Decision::GiveUp(e) => return Err(e.map_or("gave up".into(), Into::into)),
//!         }
//!     }
//! }
//!
//! let app = oauth1::App::new(ConsumerKey::new("key"), ConsumerSecret::new("secret"));
//! let bearer = execute(app.obtain_bearer()?, &RetryPolicy::recommended())?;
//! assert_eq!(bearer.authorization_header(), "Bearer AAAA%2FAAA%3DAAAAAAAA");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Errors from X are typed ([`Error::X`], [`Error::OAuth2`], [`Error::Problem`]) and
//! [`Error::hint`] says what usually causes them.

pub mod api;
mod callback;
pub use callback::CallbackRefused;
mod endpoints;
mod error;
mod exchange;
pub mod grant;
pub mod oauth1;
pub mod oauth2;
pub mod rate_limit;
mod response;
pub mod retry;
mod secret;
pub mod skew;
mod time;

pub use endpoints::Endpoints;
pub use error::{
    Error, ErrorKind, Misuse, OAuth2Error, Problem, TRANSPORT_HINT, TransportError, XApiError,
};
pub use exchange::{Exchange, HttpRequest, HttpResponse, Replay};
pub use response::error_from_response;
pub use secret::{
    AccessToken, AuthorizationCode, BearerToken, ClientId, ClientSecret, RefreshToken, UserId,
    Verifier,
};
pub(crate) use time::UnixTime;

pub use http;
pub use oauth1_sign;
pub use pkce;
/// The RNG traits [`oauth2::AuthorizeRequest::start`] takes (rand 0.9's `rand::rng()` is one).
pub use rand_core;
pub use url;
