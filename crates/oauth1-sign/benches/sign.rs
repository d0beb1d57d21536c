//! Signing speed, side by side in one run: this crate; `oauth1-request` given the same raw URL
//! and body (splitting, decoding and sorting inside the call) and, as its own row, given a list
//! decoded and sorted beforehand; and the floors, HMAC-SHA1 alone over the precomputed base
//! string, keyed per call and prekeyed. Also counts heap allocations per signature with a
//! counting global allocator.
//!
//! `cargo xtask bench` runs this and prints one table; each group's `floor` is its baseline.
//! Its main table (instructions and interleaved ratios) comes from `examples/sign_probe.rs`.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

mod common;

use std::alloc::System;
use std::hint::black_box;

use common::{Signers, body_case, check, params_case, x_base_string};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Heap allocations (including reallocations) per call of `f`, over `n` calls.
fn allocations_per_call<T>(n: usize, mut f: impl FnMut() -> T) -> f64 {
    let region = Region::new(GLOBAL);
    for _ in 0..n {
        black_box(f());
    }
    let stats = region.change();
    (stats.allocations + stats.reallocations) as f64 / n as f64
}

fn x_example(c: &mut Criterion) {
    let signers = Signers::new();
    check(&signers);
    let base = x_base_string(&signers);
    println!(
        "allocations per signature (X example): oauth1-sign {:.2}, oauth1-request {:.2}, \
         oauth1-request-presorted {:.2}, floor {:.2}",
        allocations_per_call(1000, || signers.ours_x()),
        allocations_per_call(1000, || signers.theirs_x_raw()),
        allocations_per_call(1000, || signers.theirs_x()),
        allocations_per_call(1000, || signers.floor(&base)),
    );
    let mut g = c.benchmark_group("oauth1-sign/x-example");
    g.bench_function("oauth1-sign", |b| b.iter(|| signers.ours_x()));
    g.bench_function("oauth1-request", |b| b.iter(|| signers.theirs_x_raw()));
    g.bench_function("oauth1-request-presorted", |b| {
        b.iter(|| signers.theirs_x())
    });
    g.bench_function("floor", |b| b.iter(|| signers.floor(&base)));
    g.bench_function("floor-prekeyed", |b| {
        b.iter(|| signers.floor_prekeyed(&base))
    });
    g.finish();
}

fn scaling(c: &mut Criterion) {
    let signers = Signers::new();
    for n in [1, 10, 100, 1000] {
        let case = params_case(n);
        let mut g = c.benchmark_group(format!("oauth1-sign/params/{n}"));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::from_parameter("oauth1-sign"), |b| {
            b.iter(|| signers.ours_case(&case))
        });
        g.bench_function(BenchmarkId::from_parameter("oauth1-request"), |b| {
            b.iter(|| signers.theirs_case_raw(&case))
        });
        g.bench_function(
            BenchmarkId::from_parameter("oauth1-request-presorted"),
            |b| b.iter(|| signers.theirs_case(&case)),
        );
        g.bench_function(BenchmarkId::from_parameter("floor"), |b| {
            b.iter(|| signers.floor(&case.base_string))
        });
        g.finish();
    }
    for size in [64, 1024, 16 * 1024, 256 * 1024] {
        let case = body_case(size);
        let mut g = c.benchmark_group(format!("oauth1-sign/body/{size}"));
        g.throughput(Throughput::Bytes(case.body.len() as u64));
        g.bench_function(BenchmarkId::from_parameter("oauth1-sign"), |b| {
            b.iter(|| signers.ours_case(&case))
        });
        g.bench_function(BenchmarkId::from_parameter("oauth1-request"), |b| {
            b.iter(|| signers.theirs_case_raw(&case))
        });
        g.bench_function(
            BenchmarkId::from_parameter("oauth1-request-presorted"),
            |b| b.iter(|| signers.theirs_case(&case)),
        );
        g.bench_function(BenchmarkId::from_parameter("floor"), |b| {
            b.iter(|| signers.floor(&case.base_string))
        });
        g.finish();
    }
}

criterion_group!(benches, x_example, scaling);
criterion_main!(benches);
