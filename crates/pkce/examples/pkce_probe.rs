//! Runs the PKCE generators for `cargo xtask bench`: a code verifier plus its `S256` challenge
//! from this crate, from the `oauth2` crate, and the floor (32 bytes from the same thread RNG,
//! SHA-256, two base64url encodings into stack buffers).
//!
//! - `pkce_probe <pkce|oauth2|floor> <N>` generates N times (run it under callgrind, twice with
//!   different N, and subtract).
//! - `pkce_probe --time [--rounds R]` times the three interleaved: each round runs one batch of
//!   about a millisecond of each, in a rotating order, and prints `round <r> <name> <ns>` lines.

// The probe compares against the thread RNG on purpose; the crate itself never calls it.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::hint::black_box;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use rand::rngs::ThreadRng;
use sha2::{Digest as _, Sha256};

const NAMES: &[&str] = &["pkce", "oauth2", "floor"];

/// One verifier and its challenge.
#[inline(always)]
fn run(rng: &mut ThreadRng, which: &str) {
    match which {
        "pkce" => {
            let verifier = pkce::CodeVerifier::generate(rng);
            let challenge = verifier.challenge();
            black_box((verifier, challenge));
        }
        "oauth2" => {
            black_box(oauth2::PkceCodeChallenge::new_random_sha256());
        }
        "floor" => {
            let mut bytes = [0u8; 32];
            rng.fill_bytes(&mut bytes);
            let mut verifier = [0u8; 43];
            let _ = URL_SAFE_NO_PAD.encode_slice(bytes, &mut verifier);
            let mut challenge = [0u8; 43];
            let _ = URL_SAFE_NO_PAD.encode_slice(Sha256::digest(verifier), &mut challenge);
            black_box((verifier, challenge));
        }
        _ => {
            eprintln!("usage: pkce_probe <pkce|oauth2|floor> <N> | --time [--rounds R]");
            std::process::exit(2);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut rng = rand::rng();
    if args.iter().any(|a| a == "--time") {
        let rounds: usize = args
            .iter()
            .position(|a| a == "--rounds")
            .and_then(|i| args.get(i + 1))
            .map_or(31, |r| r.parse().expect("R is a number"));
        let batches: Vec<usize> = NAMES
            .iter()
            .map(|which| {
                let mut n = 1;
                loop {
                    let start = Instant::now();
                    for _ in 0..n {
                        run(&mut rng, which);
                    }
                    if start.elapsed().as_secs_f64() > 1e-3 || n >= 1 << 24 {
                        break n;
                    }
                    n *= 2;
                }
            })
            .collect();
        for round in 0..rounds {
            let mut times = [0.0; 3];
            for k in 0..NAMES.len() {
                let i = (round + k) % NAMES.len();
                let start = Instant::now();
                for _ in 0..batches[i] {
                    run(&mut rng, NAMES[i]);
                }
                times[i] = start.elapsed().as_secs_f64() * 1e9 / batches[i] as f64;
            }
            for (which, ns) in NAMES.iter().zip(times) {
                println!("round {round} {which} {ns:.1}");
            }
        }
        return;
    }
    let (which, n) = match args.as_slice() {
        [_, which, n, ..] => (which.as_str(), n.parse::<usize>().expect("N is a number")),
        _ => ("", 0),
    };
    // Warm the thread RNG so its setup is not counted per call.
    run(&mut rng, "floor");
    for _ in 0..n {
        run(&mut rng, which);
    }
}
