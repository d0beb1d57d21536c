//! A faithful fake X (Twitter) authorization server, for tests, demos and benchmarks.
//!
//! Two layers:
//!
//! - [`Handler`], sans-IO: `now` + an `http::Request` in, a [`Reply`] out. No sockets, no
//!   clock: a test drives whole flows in memory with a fake clock.
//! - [`MockX`], the same handler served by axum on its own tokio runtime, on an ephemeral
//!   loopback port, stopped when dropped. Its clock is the system clock plus an offset a test
//!   can [`advance`](MockX::advance).
//!
//! It answers like X as [X's docs](https://docs.x.com/fundamentals/authentication/overview),
//! recorded X answers and user reports describe it: the same paths, parameters, status
//! codes, headers and body shapes (v1.1 coded errors, v2 problems, OAuth 2.0 errors), so a client
//! that works against the mock works against X. It verifies OAuth 1.0a signatures with
//! [`oauth1_sign`] and PKCE with [`pkce`], never with `twitter-auth-core`: it is an independent
//! check of the core, not the core agreeing with itself.
//!
//! # Example: an app-only bearer token over real HTTP
//!
//! ```
//! use twitter_auth_mock::{MockConfig, MockX};
//!
//! let x = MockX::start(MockConfig::default())?;
//! let app = &x.config().apps[0];
//! let credentials = format!("{}:{}", app.consumer_key, app.consumer_secret);
//! # use base64::Engine as _;
//! let basic = base64::engine::general_purpose::STANDARD.encode(credentials);
//!
//! let mut response = ureq::post(x.url("/oauth2/token"))
//!     .header("authorization", format!("Basic {basic}"))
//!     .content_type("application/x-www-form-urlencoded;charset=UTF-8")
//!     .send("grant_type=client_credentials")?;
//! let body: serde_json::Value = serde_json::from_str(&response.body_mut().read_to_string()?)?;
//! assert_eq!(body["token_type"], "bearer");
//! assert_eq!(x.counters().bearer_tokens, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it serves
//!
//! | Path | What |
//! |---|---|
//! | `POST /oauth/request_token` | OAuth 1.0a request token (callback registered or `oob`) |
//! | `GET /oauth/authorize`, `GET /oauth/authenticate` | consent page or automatic consent; PIN page for `oob` |
//! | `POST /oauth/access_token` | access token for an approved request token and its verifier |
//! | `POST /1.1/oauth/invalidate_token` | kills the signing access token |
//! | `POST /oauth2/token`, `POST /oauth2/invalidate_token` | app-only bearer (Basic; invalidate also OAuth 1.0a as the app owner) |
//! | `GET /i/oauth2/authorize` | PKCE consent; redirects with `code` or `error=access_denied` |
//! | `POST /2/oauth2/token` | `authorization_code` and `refresh_token` grants, rotating refresh tokens |
//! | `POST /2/oauth2/revoke` | revokes an access or refresh token (`token_type_hint` required) |
//! | `GET /2/users/me` | the user behind an OAuth 2.0 user token or OAuth 1.0a token; `user.fields` |
//! | `GET /1.1/account/verify_credentials.json` | the v1.1 user object; `include_entities`, `skip_status`, `include_email` |
//! | `GET /2/users/by/username/:username` | any credential, app-only included; `user.fields` |
//! | `POST /2/tweets` | JSON body; needs write access; 24-hour caps per app and per user |
//!
//! Every OAuth 1.0a request is checked for its signature (HMAC-SHA1 only; code 32), a timestamp
//! within [`MockConfig::timestamp_window`] (code 135, with a `Date` header) and an unseen
//! nonce; `oauth/request_token` also for a registered callback (415) and, for a
//! [desktop](App::desktop) app, `oob` (417).
//! Every API answer carries `x-rate-limit-limit/-remaining/-reset` ([`RateLimits`]); past the
//! limit it is a 429 (failed and unauthenticated requests draw on buckets of their own). A
//! parameter repeated in an API request is refused, as X refuses it; a v2 endpoint refuses
//! query parameters and `user.fields` it does not know; v2 answers are dated in `UTC`, the
//! others in `GMT`. A test can [`inject`](MockX::inject) faults (a status, a delay, a dropped
//! connection, a lost answer, a malformed body) and read [`Counters`]. [`MockX`] closes
//! connections that stall (header-read and idle timeouts) and serves a bounded number at once
//! ([`ServerLimits`]).
//!
//! # Where X is silent, the mock chooses
//!
//! X's docs leave some behaviour unspecified; the mock picks one reading and says so:
//!
//! - v2 endpoints answer every credential problem (bad signature, stale timestamp, expired
//!   token) with the `Unauthorized` problem; v1.1 and OAuth endpoints with coded errors.
//! - A wrong `oauth_verifier` at `oauth/access_token` is X's historic plain-text 401 and leaves
//!   the request token usable (a mistyped PIN can be retried until the token expires).
//! - Any attempt to exchange a code spends it; a rotated refresh token is dead, but replaying it
//!   does not end the grant; access tokens live until they expire or are revoked, refreshes do
//!   not end them; revoking a refresh token ends its grant, access tokens included; revoking an
//!   unknown token answers `{"revoked":true}` (RFC 7009).
//! - A refresh may narrow the scope (RFC 6749 §6); the token and revoke endpoints read their
//!   parameters from a form body, or from the query when there is no body (as X's TypeScript SDK
//!   sends them).
//! - The app-only bearer is accepted at `oauth2/invalidate_token` as issued (`%2F` kept) or
//!   decoded once (as X's API reference example sends it).
//! - `oauth/access_token` needs the request-token secret unless
//!   [`AccessTokenSignature::Lenient`] is chosen (X reportedly checks less).
//!
//! The crate's `README.md` lists every known difference from X that remains.
//!
//! The binary `twitter-auth-mock [--port N] [--consent page|approve|deny]` serves the demo world
//! in the foreground and prints its credentials.

mod config;
mod counters;
mod fault;
mod handler;
mod limits;
mod pages;
mod respond;
mod server;

pub use config::{
    AccessLevel, AccessTokenSignature, App, Consent, DEMO_NATIVE_APP, DEMO_WEB_APP, MockConfig,
    OAuth2Client, Profile, RateLimits, ServerLimits, User, UserToken,
};
pub use counters::Counters;
pub use fault::{Fault, FaultKind};
pub use handler::{Handler, Reply};
pub use pages::pin_from_page;
pub use server::MockX;
