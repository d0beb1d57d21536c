//! Criterion benchmarks of the mock (filled in below).

fn main() {}
