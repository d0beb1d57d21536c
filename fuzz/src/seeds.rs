//! Runs a property over a target's seed corpus and over a few hundred deterministic mutations
//! of it, on stable: what keeps the properties exercised in CI when no nightly toolchain (and
//! so no libFuzzer) is around.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// Bytes the mutations write: delimiters of the inputs' formats, and edge values.
const INTERESTING: &[u8] = b"\x00\x7f\xff%\n=&\",; A\xc3:?#/";

/// Runs `property` over every file in `dir` and over mutations of each; returns how many
/// inputs it ran. Panics, naming the seed and the mutation, on the first input that fails,
/// and if `dir` holds no seed.
pub fn check(target: &str, property: fn(&[u8]), dir: &Path) -> usize {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{target}: no seed directory {} ({e})", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{target}: no seed in {}", dir.display());
    let mut runs = 0;
    for file in &files {
        let seed = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (what, input) in mutations(&seed) {
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| property(&input))) {
                let message = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)");
                panic!(
                    "{target}: property failed on {} ({what}): {message}\ninput: {:?}",
                    file.display(),
                    String::from_utf8_lossy(&input)
                );
            }
            runs += 1;
        }
    }
    runs
}

/// The seed, its prefixes, and byte edits at pseudo-random places (a fixed SplitMix64
/// stream, so every run tries the same inputs).
fn mutations(seed: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![("the seed".to_owned(), seed.to_vec())];
    for eighth in 0..8 {
        let len = seed.len() * eighth / 8;
        out.push((format!("its first {len} bytes"), seed[..len].to_vec()));
    }
    if seed.is_empty() {
        return out;
    }
    let mut state = 0x5EED_u64 ^ seed.len() as u64;
    let mut next = move |bound: usize| -> usize {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        usize::try_from((z ^ (z >> 31)) % bound as u64).unwrap_or_default()
    };
    for _ in 0..16 {
        let (at, byte) = (next(seed.len()), INTERESTING[next(INTERESTING.len())]);
        let mut input = seed.to_vec();
        input[at] = byte;
        out.push((format!("byte {at} set to {byte:#04x}"), input));
    }
    for _ in 0..4 {
        let at = next(seed.len());
        let mut input = seed.to_vec();
        input.remove(at);
        out.push((format!("byte {at} removed"), input));
    }
    for _ in 0..4 {
        let (from, len) = (next(seed.len()), 1 + next(16));
        let to = (from + len).min(seed.len());
        let mut input = seed.to_vec();
        let chunk = seed[from..to].to_vec();
        input.splice(to..to, chunk);
        out.push((format!("bytes {from}..{to} repeated"), input));
    }
    out
}
