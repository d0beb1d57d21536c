//! Shared test helpers.

use rand::rngs::StdRng;
use rand::{CryptoRng, RngCore, SeedableRng as _};
use twitter_auth_core::oauth1_sign::generate_nonce;

/// A seeded RNG, for the steps whose nonce a test does not look at (`rand::rng()` is
/// disallowed by clippy.toml: randomness is an input, and tests stay reproducible).
pub(crate) fn rng() -> StdRng {
    StdRng::seed_from_u64(0)
}

/// An RNG whose bytes make `oauth1_sign::generate_nonce` draw exactly `nonce` (32 characters
/// from `A-Z a-z 0-9`), so a signature can be checked against a published example whose nonce
/// is known. Only for reproducing vectors: its output is anything but random.
pub(crate) struct FixedNonce {
    bytes: Vec<u8>,
    at: usize,
}

impl FixedNonce {
    pub(crate) fn new(nonce: &str) -> Self {
        const ALPHABET: &[u8; 62] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        assert_eq!(nonce.len(), 32, "generate_nonce draws 32 characters");
        let bytes = nonce
            .bytes()
            .flat_map(|c| {
                let index = ALPHABET.iter().position(|&a| a == c).expect("alphanumeric");
                // The smallest 32-bit word that `(r × 62) >> 32` maps onto `index`.
                let r = ((index as u64) << 32).div_ceil(62);
                u32::try_from(r).unwrap().to_le_bytes()
            })
            .collect();
        Self { bytes, at: 0 }
    }
}

impl RngCore for FixedNonce {
    fn next_u32(&mut self) -> u32 {
        let mut word = [0; 4];
        self.fill_bytes(&mut word);
        u32::from_le_bytes(word)
    }

    fn next_u64(&mut self) -> u64 {
        let mut word = [0; 8];
        self.fill_bytes(&mut word);
        u64::from_le_bytes(word)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for byte in dest {
            *byte = self.bytes[self.at % self.bytes.len()];
            self.at += 1;
        }
    }
}

impl CryptoRng for FixedNonce {}

#[test]
fn fixed_nonce_draws_the_nonce_asked_for() {
    for nonce in [
        "ea9ec8429b68d6b77cd5600adbbb0456",
        "AZaz09AAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert_eq!(generate_nonce(&mut FixedNonce::new(nonce)), nonce);
    }
}

/// The instant `secs` whole seconds after the Unix epoch.
pub(crate) fn secs(secs: u64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}
