//! Every target's property over its seed corpus and deterministic mutations of it, on stable.

use std::path::Path;

#[test]
fn every_property_holds_over_the_seed_corpus() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    for &(target, property) in twitter_auth_fuzz::TARGETS {
        let runs = twitter_auth_fuzz::seeds::check(target, property, &seeds.join(target));
        eprintln!("{target}: {runs} inputs");
    }
}
