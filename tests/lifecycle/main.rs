//! Lifecycle tests (see Cargo.toml).
