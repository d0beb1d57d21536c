//! The fuzz targets' properties (`fuzz/src/`) for `oauth1-sign`, `pkce` and the mock's
//! handler, run on stable over the seed corpus (`fuzz/seeds/<target>/`) and deterministic
//! mutations of it, so CI exercises them whether or not a nightly toolchain can fuzz.
//! (`tests/e2e/fuzz_seeds.rs` does the same for the core's targets.)

use std::path::{Path, PathBuf};

#[allow(unreachable_pub, dead_code)]
#[path = "../../../../fuzz/src/input.rs"]
mod input;
#[allow(unreachable_pub, dead_code)]
#[path = "../../../../fuzz/src/mock_props.rs"]
mod mock_props;
#[allow(unreachable_pub, dead_code)]
#[path = "../../../../fuzz/src/oauth1_props.rs"]
mod oauth1_props;
#[allow(unreachable_pub, dead_code)]
#[path = "../../../../fuzz/src/pkce_props.rs"]
mod pkce_props;
#[allow(unreachable_pub, dead_code)]
#[path = "../../../../fuzz/src/seeds.rs"]
mod seeds;

fn seed_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
}

/// Runs one target's property over its seeds; at least one input per seed file ran.
fn check(target: &str, property: fn(&[u8])) {
    let runs = seeds::check(target, property, &seed_dir(target));
    assert!(runs > 0, "{target}: nothing ran");
}

#[test]
fn oauth1_header_parse_and_render() {
    check("oauth1_header", oauth1_props::header);
}

#[test]
fn oauth1_verify() {
    check("oauth1_verify", oauth1_props::verify);
}

#[test]
fn oauth1_what_is_signed_parses_and_verifies() {
    check("oauth1_sign", oauth1_props::sign);
}

#[test]
fn percent_encoding_round_trips() {
    check("percent_encoding", oauth1_props::percent);
}

#[test]
fn pkce_constructors_and_verify() {
    check("pkce", pkce_props::pkce);
}

#[test]
fn mock_handler_answers_every_request_like_x() {
    check("mock_handler", mock_props::handler);
}
