//! OAuth 2.0 at X: app-only bearer tokens (client credentials) and user tokens through the
//! Authorization Code flow with PKCE (public and confidential clients, refresh, revoke).
//!
//! # Contents
//!
//! - The app's API key and secret ([`oauth1::App`](crate::oauth1::App)):
//!   [`obtain_bearer`](crate::oauth1::App::obtain_bearer) → [`BearerExchange`] →
//!   [`AppOnlyBearer`]; [`invalidate_bearer_signed`](crate::oauth1::App::invalidate_bearer_signed)
//!   / [`invalidate_bearer_basic`](crate::oauth1::App::invalidate_bearer_basic) →
//!   [`InvalidateBearerExchange`] ([X: App only authentication](https://docs.x.com/fundamentals/authentication/oauth-2-0/application-only)).
//! - [`App`] (public or confidential, with its [`Endpoints`](crate::Endpoints)), [`Scope`] and
//!   [`Scopes`] ([X: Authorization Code with PKCE](https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code)).
//! - [`App::authorize`] → [`AuthorizeRequest`] → [`PendingLogin`] → [`AuthorizedCode`] →
//!   [`App::exchange`] → [`CodeExchange`] → [`TokenSet`] ([X: OAuth 2.0 user access token](https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token), RFC 7636), then [`App::refresh`] →
//!   [`RefreshExchange`] (RFC 6749 §6), [`App::revoke`] → [`RevokeExchange`] (RFC 7009), and
//!   [`App::users_me`] → [`UsersMeExchange`] → [`User`] ([X: GET /2/users/me](https://docs.x.com/x-api/users/get-my-user)).
//!
//! ```text
//!  app.authorize(..) ──start(now, rng)──▶ (authorize URL, PendingLogin)   serde: keep it in
//!                                                          │                the browser's session
//!                                                          │ verify_callback(url, now)
//!                                                          ▼
//!  TokenSet ◀──finish── CodeExchange ◀──app.exchange(code)── AuthorizedCode   (30 s to use)
//!     │ freshness(now, margin): Fresh | RefreshDue | Expired
//!     ├──app.refresh(&tokens)──▶ RefreshExchange ──finish──▶ new TokenSet (persist before use)
//!     └──app.revoke(token)─────▶ RevokeExchange ──finish──▶ ()
//! ```
//!
//! Each arrow consumes the value before it, so a login cannot be completed twice. The client
//! secret is never stored in a [`PendingLogin`]: the [`App`] builds the exchange.
//!
//! # The PKCE login, against canned responses
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use rand::SeedableRng as _;
//! use twitter_auth_core::oauth2::{
//!     self, App, Freshness, PendingLogin, RevokeToken, Scope, Scopes,
//! };
//! use twitter_auth_core::{ClientId, Exchange, Replay};
//!
//! let app = App::public(ClientId::new("rG9n6402A3dbUJKzXTNX4oWHJ")); // X's hosts
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let mut rng = rand::rngs::StdRng::seed_from_u64(7); // in an app: `rand::rng()`
//!
//! // 1. Send the user to X's consent page; keep the pending login in the browser's session
//! //    (server-side under a random session id in an HttpOnly cookie; never keyed by state).
//! let scopes = Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]);
//! let (url, pending) = app.authorize("https://app.example/cb", scopes)?
//!     .start(now, &mut rng);
//! assert!(url.as_str().starts_with(
//!     "https://x.com/i/oauth2/authorize?response_type=code&client_id=rG9n6402A3dbUJKzXTNX4oWHJ\
//!      &redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=tweet.read%20users.read%20offline.access&state="
//! ));
//! assert!(url.as_str().ends_with("&code_challenge_method=S256"));
//! let stored = serde_json::to_string(&pending)?;
//!
//! // 2. X redirects the user back: check the callback against the login of this session (a
//! //    callback that is not its own gives the login back, see `CallbackRefused`).
//! let pending: PendingLogin = serde_json::from_str(&stored)?;
//! # let callback = format!("https://app.example/cb?state={}&code=Y29kZQ", pending.state().secret());
//! assert!(pending.matches(&callback));
//! let code = pending.verify_callback(&callback, now + Duration::from_secs(20))?;
//!
//! // 3. Exchange the code at once (it lives 30 s; the request is never replayed).
//! let step = app.exchange(code)?;
//! assert_eq!(step.request().uri(), "https://api.x.com/2/oauth2/token");
//! assert_eq!(step.replay(), Replay::Never);
//! # let answer = http::Response::builder().status(200).body(
//! #     br#"{"token_type":"bearer","expires_in":7200,"access_token":"YXQ","scope":"tweet.read users.read offline.access","refresh_token":"cnQ"}"#.to_vec())?;
//! let tokens = step.finish(now, answer)?;
//! assert_eq!(tokens.freshness(now, oauth2::DEFAULT_REFRESH_MARGIN), Freshness::Fresh);
//! assert_eq!(tokens.authorization_header(), "Bearer YXQ");
//!
//! // 4. Whose token is it?
//! let step = app.users_me(&tokens)?;
//! assert_eq!(step.request().uri(), "https://api.x.com/2/users/me");
//! # let answer = http::Response::builder().status(200).body(
//! #     br#"{"data":{"id":"1072250532645998596","name":"Tweepy Testing","username":"TweepyDev"}}"#.to_vec())?;
//! let me = step.finish(now, answer)?;
//! assert_eq!(me.username, "TweepyDev");
//!
//! // 5. Two hours later: refresh. The answer replaces the set (persist it before use).
//! let later = now + Duration::from_secs(7200);
//! assert_eq!(tokens.freshness(later, oauth2::DEFAULT_REFRESH_MARGIN), Freshness::Expired);
//! let step = app.refresh(&tokens)?;
//! assert_eq!(step.request().body(), b"refresh_token=cnQ&grant_type=refresh_token&client_id=rG9n6402A3dbUJKzXTNX4oWHJ");
//! # let answer = http::Response::builder().status(200).body(
//! #     br#"{"token_type":"bearer","expires_in":7200,"access_token":"YXQy","scope":"tweet.read users.read offline.access","refresh_token":"cnQy"}"#.to_vec())?;
//! let tokens = step.finish(later, answer)?;
//!
//! // 6. Log out: revoke the refresh token.
//! let refresh_token = tokens.refresh_token().ok_or("no refresh token")?;
//! let step = app.revoke(RevokeToken::Refresh(refresh_token))?;
//! assert_eq!(step.request().uri(), "https://api.x.com/2/oauth2/revoke");
//! # let answer = http::Response::builder().status(200).body(br#"{"revoked":true}"#.to_vec())?;
//! step.finish(later, answer)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # App-only bearer, against canned responses
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use twitter_auth_core::oauth1;
//! use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
//! use twitter_auth_core::Exchange;
//!
//! let app = oauth1::App::new(
//!     ConsumerKey::new("xvz1evFS4wEEPTGEFPHBog"),
//!     ConsumerSecret::new("L8qq9PZyRg6ieKGEKhZolGC0vJWLw8iEJ88DRdyOg"),
//! ); // at X's hosts (`.with_endpoints(..)` names others)
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//!
//! // 1. Ask for the app's bearer token (X returns the same one until it is invalidated).
//! let step = app.obtain_bearer()?;
//! assert_eq!(step.request().uri(), "https://api.x.com/oauth2/token");
//! assert_eq!(
//!     step.request().headers()["authorization"],
//!     "Basic eHZ6MWV2RlM0d0VFUFRHRUZQSEJvZzpMOHFxOVBaeVJnNmllS0dFS2hab2xHQzB2SldMdzhpRUo4OERSZHlPZw=="
//! );
//! # let answer = http::Response::builder().status(200).body(
//! #     br#"{"token_type":"bearer","access_token":"AAAA%2FAAA%3DAAAAAAAA"}"#.to_vec())?;
//! let bearer = step.finish(now, answer)?;
//!
//! // 2. Use it verbatim (its `%2F` is never decoded).
//! assert_eq!(bearer.authorization_header(), "Bearer AAAA%2FAAA%3DAAAAAAAA");
//! assert!(bearer.authorization_header().is_sensitive());
//!
//! // 3. Invalidate it (X's application-only guide variant; see `invalidate_signed` for the
//! //    API reference's OAuth 1.0a one).
//! let step = app.invalidate_bearer_basic(&bearer)?;
//! assert_eq!(step.request().body(), b"access_token=AAAA%252FAAA%253DAAAAAAAA");
//! # let answer = http::Response::builder().status(200).body(
//! #     br#"{"access_token":"AAAA%2FAAA%3DAAAAAAAA"}"#.to_vec())?;
//! step.finish(now, answer)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! - Do not let the HTTP client follow redirects on the token endpoints.
//! - `state` is compared in constant time; a callback whose `state` is not the login's is
//!   rejected ([`Error::StateMismatch`](crate::Error::StateMismatch)).
//! - Token sets and pending logins serialize their secrets in clear (they must be storable):
//!   store them like passwords. Every secret prints as `<redacted>`; exchanges print only their
//!   method and path; `Authorization` values are marked sensitive.

mod app_only;
mod client;
mod pkce_login;
mod revoke;
mod scope;
mod token;
pub(crate) mod users_me;

pub use app_only::{AppOnlyBearer, BearerExchange, InvalidateBearerExchange};
pub use client::App;
pub(crate) use client::debug_exchange;
pub use pkce_login::{
    AuthorizeRequest, AuthorizedCode, CallbackRefused, CodeExchange, DEFAULT_LIFETIME,
    PendingLogin, callback_state,
};
pub use revoke::{RevokeExchange, RevokeToken};
pub use scope::{Scope, Scopes};
pub use token::{DEFAULT_REFRESH_MARGIN, Freshness, RefreshExchange, TokenSet};
pub use users_me::{User, UsersMeExchange};
