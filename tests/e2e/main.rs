//! Cross-crate tests.
mod secrets_leak;
