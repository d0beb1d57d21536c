//! OAuth 1.0a at X: signing requests in user context, the 3-legged flow, PIN, and Sign in with X.
//!
//! ```text
//!  RequestToken ──exchange──▶ RequestTokenExchange ──finish──▶ PendingAuthorization (serde)
//!                                                                 │ authorize_url(..)
//!                                            on_callback(url) / with_pin(pin)
//!                                                                 ▼
//!  UserCredentials ◀──finish── AccessTokenExchange ◀──access_token── VerifiedAuthorization
//! ```
//!
//! Each arrow consumes the value before it, so a step cannot be taken twice. Secrets that must
//! survive the redirect (the request token's secret) live in [`PendingAuthorization`]; the
//! consumer secret never does: the app passes it again at the last step.
//!
//! # The 3-legged flow, against canned responses
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use twitter_auth_core::oauth1::{AuthorizeKind, Callback, RequestToken};
//! use twitter_auth_core::oauth1_sign::{ConsumerCredentials, ConsumerKey, ConsumerSecret};
//! use twitter_auth_core::{Endpoints, Exchange};
//!
//! let app = ConsumerCredentials::new(ConsumerKey::new("ck"), ConsumerSecret::new("cs"));
//! let endpoints = Endpoints::x();
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//!
//! // 1. Ask X for a request token.
//! let step = RequestToken::new(Callback::url("https://app.example/cb")?)
//!     .exchange(&app, &endpoints, now, "nonce1")?;
//! assert_eq!(step.request().uri(), "https://api.x.com/oauth/request_token");
//! # let answer = http::Response::builder().status(200)
//! #     .body(b"oauth_token=rt&oauth_token_secret=rts&oauth_callback_confirmed=true".to_vec())?;
//! let pending = step.finish(now, answer)?;
//!
//! // 2. Send the user to X (store `pending` in the session meanwhile: it is serde).
//! let url = pending.authorize_url(&endpoints, AuthorizeKind::Authorize);
//! assert_eq!(url.as_str(), "https://api.x.com/oauth/authorize?oauth_token=rt");
//!
//! // 3. X redirects back; the callback must carry this login's request token.
//! let verified = pending.on_callback("https://app.example/cb?oauth_token=rt&oauth_verifier=v", now)?;
//!
//! // 4. Trade the verifier for the user's access token (single use: never retried blindly).
//! let step = verified.access_token(&app, &endpoints, now, "nonce2")?;
//! # let answer = http::Response::builder().status(200).body(
//! #     b"oauth_token=at&oauth_token_secret=ats&user_id=6253282&screen_name=xapi".to_vec())?;
//! let user = step.finish(now, answer)?;
//! assert_eq!(user.screen_name.as_deref(), Some("xapi"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod three_legged;
mod user;

pub use three_legged::{
    AccessTokenExchange, AccessType, AuthorizeKind, Callback, DEFAULT_LIFETIME,
    PendingAuthorization, RequestToken, RequestTokenExchange, VerifiedAuthorization,
};
pub use user::{InvalidateToken, UserCredentials, UserSigner, V1User, VerifyCredentials};
