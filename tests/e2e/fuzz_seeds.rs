//! The fuzz targets' properties for `twitter-auth-core` (`fuzz/src/core_props.rs`: every
//! `Exchange::finish` on arbitrary answers, the callback parsers), run on stable over the
//! seed corpus (`fuzz/seeds/<target>/`) and deterministic mutations of it, so CI exercises
//! them whether or not a nightly toolchain can fuzz.

use std::path::{Path, PathBuf};

#[allow(unreachable_pub, dead_code)]
#[path = "../../fuzz/src/core_props.rs"]
mod core_props;
#[allow(unreachable_pub, dead_code)]
#[path = "../../fuzz/src/input.rs"]
mod input;
#[allow(unreachable_pub, dead_code)]
#[path = "../../fuzz/src/seeds.rs"]
mod seeds;

fn seed_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target)
}

#[test]
fn every_exchange_finishes_any_answer() {
    let runs = seeds::check("core_finish", core_props::finish, &seed_dir("core_finish"));
    assert!(runs > 0);
}

#[test]
fn callbacks_are_accepted_only_for_their_login() {
    let runs = seeds::check(
        "core_callback",
        core_props::callback,
        &seed_dir("core_callback"),
    );
    assert!(runs > 0);
}
