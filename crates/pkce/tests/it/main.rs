//! Integration tests for `pkce`: published vectors and properties.

mod prop;
mod vectors;

use rand::{CryptoRng, RngCore};

/// A "random" source that replays fixed bytes, so a known verifier can be generated.
/// Panics if asked for more bytes than it holds (a test bug, reported loudly).
pub(crate) struct Replay<'a>(pub(crate) &'a [u8]);

impl RngCore for Replay<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        let (head, rest) = self.0.split_at(dst.len());
        dst.copy_from_slice(head);
        self.0 = rest;
    }
}

impl CryptoRng for Replay<'_> {}

/// Base64url without padding, written out by hand from RFC 4648 §5 so the tests do not
/// check the crate's encoder against itself.
pub(crate) fn reference_base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = String::new();
    for &b in bytes {
        bits = (bits << 8) | u32::from(b);
        nbits += 8;
        while nbits >= 6 {
            nbits -= 6;
            out.push(char::from(ALPHABET[((bits >> nbits) & 63) as usize]));
        }
    }
    if nbits > 0 {
        out.push(char::from(ALPHABET[((bits << (6 - nbits)) & 63) as usize]));
    }
    out
}

/// RFC 3986 unreserved characters, spelled out.
pub(crate) const UNRESERVED: &str =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

#[test]
fn reference_base64url_matches_rfc_4648_examples() {
    // RFC 4648 §10 test vectors, padding removed.
    for (input, expected) in [
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(reference_base64url(input.as_bytes()), expected);
    }
    assert_eq!(reference_base64url(&[0xfb, 0xff, 0xfe]), "-__-");
}
