//! Runs the signers of `benches/common` for `cargo xtask bench`.
//!
//! - `sign_probe <signer> <N> [--case C] [--allocs]` signs N times with one signer: under
//!   `valgrind --tool=callgrind` for instruction counts (two runs of different N, subtracted,
//!   cancel start-up), or natively with `--allocs` to print heap allocations per signature.
//! - `sign_probe --time [--case C] [--rounds R]` times every signer interleaved: each round runs
//!   one batch of each signer (about a millisecond each, in a rotating order) and prints one line
//!   per signer, `round <r> <signer> <ns per call>`, so the report can take the median of
//!   per-round ratios, which a busy machine disturbs far less than separate means.
//!
//! Signers: `oauth1-sign`; `oauth1-request` (given the same raw URL and body, decoding and
//! sorting inside the call); `oauth1-request-presorted` (given a list decoded and sorted
//! before the loop; on the X example its derived, compile-time sorted request); `floor`
//! (HMAC-SHA1 over the precomputed base string, keyed per call); `floor-prekeyed` (the same
//! from a keyed state, as a reused `Signer` has it). Cases: `x` (X's example, the default),
//! `params:K` (a GET with K query parameters), `body:BYTES` (a POST with a form body).

// The probe times the signers; the crate itself never reads a clock.
#![allow(clippy::disallowed_methods)]

#[path = "../benches/common/mod.rs"]
mod common;

use std::alloc::System;
use std::hint::black_box;
use std::time::Instant;

use common::{Case, Signers, body_case, check, params_case, x_base_string};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Every signer, in report order.
const SIGNERS: &[&str] = &[
    "oauth1-sign",
    "oauth1-request",
    "oauth1-request-presorted",
    "floor",
    "floor-prekeyed",
];

fn usage() -> ! {
    eprintln!(
        "usage: sign_probe <signer> <N> [--case x|params:K|body:BYTES] [--allocs]\n       \
         sign_probe --time [--case …] [--rounds R]\nsigners: {}",
        SIGNERS.join(", ")
    );
    std::process::exit(2);
}

/// Runs one signing call of `which`.
#[inline(always)]
fn run(signers: &Signers, which: &str, case: Option<&Case>, base: &str) {
    match (which, case) {
        ("oauth1-sign", None) => drop(black_box(signers.ours_x())),
        ("oauth1-sign", Some(c)) => drop(black_box(signers.ours_case(c))),
        ("oauth1-request", None) => drop(black_box(signers.theirs_x_raw())),
        ("oauth1-request", Some(c)) => drop(black_box(signers.theirs_case_raw(c))),
        ("oauth1-request-presorted", None) => drop(black_box(signers.theirs_x())),
        ("oauth1-request-presorted", Some(c)) => drop(black_box(signers.theirs_case(c))),
        ("floor", _) => drop(black_box(signers.floor(base))),
        ("floor-prekeyed", _) => drop(black_box(signers.floor_prekeyed(base))),
        _ => usage(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let signers = Signers::new();
    check(&signers);
    let case = value("--case").and_then(|c| match c.split_once(':') {
        Some(("params", k)) => Some(params_case(k.parse().expect("K is a number"))),
        Some(("body", k)) => Some(body_case(k.parse().expect("BYTES is a number"))),
        _ if c == "x" => None,
        _ => usage(),
    });
    let base = case
        .as_ref()
        .map_or_else(|| x_base_string(&signers), |c| c.base_string.clone());

    if args.iter().any(|a| a == "--time") {
        let rounds: usize = value("--rounds").map_or(31, |r| r.parse().expect("R is a number"));
        time(&signers, case.as_ref(), &base, rounds);
        return;
    }
    let (which, n) = match args.as_slice() {
        [_, which, n, ..] => (
            which.as_str(),
            n.parse::<usize>().unwrap_or_else(|_| usage()),
        ),
        _ => usage(),
    };
    let region = Region::new(GLOBAL);
    for _ in 0..n {
        run(&signers, which, case.as_ref(), &base);
    }
    let stats = region.change();
    if args.iter().any(|a| a == "--allocs") {
        println!(
            "{}",
            (stats.allocations + stats.reallocations) as f64 / n as f64
        );
    }
}

/// Interleaved timing: calibrates a batch of about a millisecond per signer, then runs
/// `rounds` rounds of one batch of each, starting each round with the next signer.
fn time(signers: &Signers, case: Option<&Case>, base: &str, rounds: usize) {
    let batches: Vec<usize> = SIGNERS
        .iter()
        .map(|which| {
            let mut n = 1;
            loop {
                let start = Instant::now();
                for _ in 0..n {
                    run(signers, which, case, base);
                }
                if start.elapsed().as_secs_f64() > 1e-3 || n >= 1 << 24 {
                    break n;
                }
                n *= 2;
            }
        })
        .collect();
    for round in 0..rounds {
        let mut times = vec![0.0; SIGNERS.len()];
        for k in 0..SIGNERS.len() {
            let i = (round + k) % SIGNERS.len();
            let start = Instant::now();
            for _ in 0..batches[i] {
                run(signers, SIGNERS[i], case, base);
            }
            times[i] = start.elapsed().as_secs_f64() * 1e9 / batches[i] as f64;
        }
        for (which, ns) in SIGNERS.iter().zip(times) {
            println!("round {round} {which} {ns:.1}");
        }
    }
}
