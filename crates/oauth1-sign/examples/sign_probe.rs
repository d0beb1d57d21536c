//! Runs one signer on the X example N times, for `cargo xtask bench`: under
//! `valgrind --tool=callgrind` for instruction counts (two runs of different N, subtracted, cancel
//! start-up), and natively with `--allocs` to count heap allocations per signature.
//!
//! Usage: `sign_probe <oauth1-sign|oauth1-request|floor> <N> [--allocs]`

#[path = "../benches/common/mod.rs"]
mod common;

use std::alloc::System;
use std::hint::black_box;

use common::{Signers, check, x_base_string};
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
    let base = x_base_string(&signers);
    let region = Region::new(GLOBAL);
    for _ in 0..n {
        match which {
            "oauth1-sign" => drop(black_box(signers.ours_x())),
            "oauth1-request" => drop(black_box(signers.theirs_x())),
            "floor" => drop(black_box(signers.floor(&base))),
            other => {
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
