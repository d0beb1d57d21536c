//! Cross-crate tests of the workspace: one binary, one module per concern.

// First: its helpers and `for_each_adapter!` serve the modules after it.
#[macro_use]
mod adapters;
mod app_only;
mod fuzz_seeds;
mod grants;
mod oauth1;
mod pkce;
mod secrets_leak;
