//! The properties the fuzz targets check, one function per target, over the fuzzer's bytes.
//!
//! Each module is self-contained (it names its crates with absolute paths and reads its input
//! through the sibling `input` module), so the workspace's test suites include the same files
//! with `#[path]` and run every property over the seed corpus (`seeds/<target>/`) on stable:
//! `crates/twitter-auth-mock/tests/it/fuzz_seeds.rs` (oauth1-sign, pkce, the mock) and
//! `tests/e2e/fuzz_seeds.rs` (the core). `cargo xtask fuzz` runs the targets themselves.

pub mod core_props;
pub mod input;
pub mod mock_props;
pub mod oauth1_props;
pub mod pkce_props;
pub mod seeds;

/// A target's property: panics when it fails on the input.
pub type Property = fn(&[u8]);

/// Every target: its name (the `fuzz_targets/<name>.rs` file and the `seeds/<name>/`
/// directory) and its property.
pub const TARGETS: &[(&str, Property)] = &[
    ("oauth1_header", oauth1_props::header),
    ("oauth1_verify", oauth1_props::verify),
    ("oauth1_sign", oauth1_props::sign),
    ("percent_encoding", oauth1_props::percent),
    ("pkce", pkce_props::pkce),
    ("core_finish", core_props::finish),
    ("core_callback", core_props::callback),
    ("mock_handler", mock_props::handler),
];
