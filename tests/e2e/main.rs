//! Cross-crate tests of the workspace: one binary, one module per concern.

mod secrets_leak;
