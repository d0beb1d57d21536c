//! Integration tests of `twitter-auth-core`: every flow driven with canned X responses.

mod api;
mod errors;
mod grant;
mod oauth1;
mod oauth2_app_only;
mod oauth2_pkce;
mod rate_limit;
mod retry;
mod secrets;
mod support;
