//! OAuth 1.0a at X: signing requests in user context, the 3-legged flow, PIN, and Sign in with X.
//!
//! ```text
//!  app.request_token(Callback) ──▶ RequestTokenExchange ──finish──▶ PendingLogin (serde)
//!                                                          │ app.authorize_url(&pending, ..)
//!                                            on_callback(url) / with_pin(pin)
//!                                                          ▼
//!  UserCredentials ◀──finish── AccessTokenExchange ◀──app.access_token── AuthorizedToken
//! ```
//!
//! Each arrow consumes the value before it, so a step cannot be taken twice. Secrets that must
//! survive the redirect (the request token's secret) live in [`PendingLogin`]; the consumer
//! secret never does: the [`App`] builds the last step. Every signed step draws its
//! `oauth_nonce` from the caller's RNG.
//!
//! # The 3-legged flow, against canned responses
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use rand::SeedableRng as _;
//! use twitter_auth_core::oauth1::{App, AuthorizeKind, Callback};
//! use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
//! use twitter_auth_core::Exchange;
//!
//! let app = App::new(ConsumerKey::new("ck"), ConsumerSecret::new("cs")); // X's hosts
//! let mut rng = rand::rngs::StdRng::seed_from_u64(7); // in an app: `rand::rng()`
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//!
//! // 1. Ask X for a request token.
//! let step = app.request_token(Callback::url("https://app.example/cb")?, now, &mut rng)?;
//! assert_eq!(step.request().uri(), "https://api.x.com/oauth/request_token");
//! # let answer = http::Response::builder().status(200)
//! #     .body(b"oauth_token=rt&oauth_token_secret=rts&oauth_callback_confirmed=true".to_vec())?;
//! let pending = step.finish(now, answer)?;
//!
//! // 2. Send the user to X (store `pending` in the session meanwhile: it is serde).
//! let url = app.authorize_url(&pending, AuthorizeKind::Authorize);
//! assert_eq!(url.as_str(), "https://api.x.com/oauth/authorize?oauth_token=rt");
//!
//! // 3. X redirects back; the callback must carry this login's request token.
//! let authorized = pending.on_callback("https://app.example/cb?oauth_token=rt&oauth_verifier=v", now)?;
//!
//! // 4. Trade the verifier for the user's access token (single use: never retried blindly).
//! let step = app.access_token(authorized, now, &mut rng)?;
//! # let answer = http::Response::builder().status(200).body(
//! #     b"oauth_token=at&oauth_token_secret=ats&user_id=6253282&screen_name=xapi".to_vec())?;
//! let user = step.finish(now, answer)?;
//! assert_eq!(user.screen_name.as_deref(), Some("xapi"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod app;
mod three_legged;
mod user;

pub use app::App;
pub use three_legged::{
    AccessTokenExchange, AccessType, AuthorizeKind, AuthorizedToken, Callback, CallbackRefused,
    DEFAULT_LIFETIME, PendingLogin, RequestToken, RequestTokenExchange,
};
pub use user::{
    InvalidateTokenExchange, UserCredentials, UserSigner, V1User, VerifyCredentialsExchange,
};
