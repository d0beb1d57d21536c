//! Runs one signer on the X example N times, for `cargo xtask bench`: under
//! `valgrind --tool=callgrind` for instruction counts (two runs of different N, subtracted, cancel
//! start-up), and natively with `--allocs` to count heap allocations per signature.
//!
//! Usage: `sign_probe <oauth1-sign|oauth1-request|floor> <N> [--allocs] [--case params:K|body:BYTES]`
//! (default: the X example).

#[path = "../benches/common/mod.rs"]
mod common;

use std::alloc::System;
use std::hint::black_box;

use common::{Signers, body_case, check, params_case, x_base_string};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (which, n) = match args.as_slice() {
        [_, which, n, ..] => (which.as_str(), n.parse::<usize>().expect("N is a number")),
        _ => {
            eprintln!("usage: sign_probe <oauth1-sign|oauth1-request|floor> <N> [--allocs]");
            std::process::exit(2);
        }
    };
    let signers = Signers::new();
    check(&signers);
    let case = args
        .iter()
        .position(|a| a == "--case")
        .and_then(|i| args.get(i + 1))
        .map(|c| match c.split_once(':') {
            Some(("params", k)) => params_case(k.parse().expect("K is a number")),
            Some(("body", k)) => body_case(k.parse().expect("BYTES is a number")),
            _ => {
                eprintln!("unknown case {c}");
                std::process::exit(2);
            }
        });
    let base = case
        .as_ref()
        .map_or_else(|| x_base_string(&signers), |c| c.base_string.clone());
    let region = Region::new(GLOBAL);
    for _ in 0..n {
        match (which, &case) {
            ("oauth1-sign", None) => drop(black_box(signers.ours_x())),
            ("oauth1-request", None) => drop(black_box(signers.theirs_x())),
            ("oauth1-sign", Some(c)) => drop(black_box(signers.ours_case(c))),
            ("oauth1-request", Some(c)) => drop(black_box(signers.theirs_case(c))),
            ("floor", _) => drop(black_box(signers.floor(&base))),
            (other, _) => {
                eprintln!("unknown signer {other}");
                std::process::exit(2);
            }
        }
    }
    let stats = region.change();
    if args.iter().any(|a| a == "--allocs") {
        println!(
            "{}",
            (stats.allocations + stats.reallocations) as f64 / n as f64
        );
    }
}
