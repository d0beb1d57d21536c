//! Cross-crate tests of the workspace: one binary, one module per concern.

mod adapters;
mod app_only;
mod oauth1;
mod pkce;
mod secrets_leak;
