//! Generating a code verifier plus its `S256` challenge: this crate, the `oauth2` crate, and
//! the floor (32 bytes from the same thread RNG, SHA-256, two base64url encodings into stack
//! buffers), side by side
//! in one criterion group so `cargo xtask bench` can print ratios to `floor`.

// The benchmark compares against the thread RNG on purpose; the crate itself never calls it.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

fn verifier_and_s256(c: &mut Criterion) {
    let mut group = c.benchmark_group("pkce/verifier+s256");

    group.bench_function("pkce", |b| {
        let mut rng = rand::rng();
        b.iter(|| {
            let verifier = pkce::CodeVerifier::generate(&mut rng);
            let challenge = verifier.challenge();
            black_box((verifier, challenge))
        });
    });

    group.bench_function("oauth2", |b| {
        b.iter(|| black_box(oauth2::PkceCodeChallenge::new_random_sha256()));
    });

    group.bench_function("floor", |b| {
        let mut rng = rand::rng();
        b.iter(|| {
            let mut bytes = [0u8; 32];
            rng.fill_bytes(&mut bytes);
            let mut verifier = [0u8; 43];
            let _ = URL_SAFE_NO_PAD.encode_slice(bytes, &mut verifier);
            let mut challenge = [0u8; 43];
            let _ = URL_SAFE_NO_PAD.encode_slice(Sha256::digest(verifier), &mut challenge);
            black_box((verifier, challenge))
        });
    });

    group.finish();
}

criterion_group!(benches, verifier_and_s256);
criterion_main!(benches);
