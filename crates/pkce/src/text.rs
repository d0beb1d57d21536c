//! Character rules and base64url helpers shared by the public types.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use zeroize::Zeroize as _;

use crate::{Error, Field};

/// Is `b` in the RFC 3986 unreserved set `A-Z a-z 0-9 - . _ ~` (RFC 7636 §4.1)?
pub(crate) const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Checks that every character of `s` is unreserved, naming the first one that is not.
pub(crate) fn check_unreserved(s: &str, field: Field) -> Result<(), Error> {
    match s.bytes().position(|b| !is_unreserved(b)) {
        None => Ok(()),
        Some(position) => Err(Error::InvalidCharacter { field, position }),
    }
}

/// Base64url without padding (RFC 4648 §5), into a `String` of exactly the encoded length.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Up to 128 ASCII characters kept inline: a verifier or a challenge without a heap `String`.
///
/// Filled only from base64url output or from validated text, so it is always ASCII.
#[derive(Clone)]
pub(crate) struct Inline {
    buf: [u8; 128],
    len: u8,
}

impl Inline {
    /// The base64url encoding of `bytes` (without padding), cut to `len` characters.
    #[inline(always)]
    pub(crate) fn base64url(bytes: &[u8], len: usize) -> Self {
        let mut buf = [0u8; 128];
        // At most 96 bytes are drawn (`MAX_BYTES`), and 96 bytes encode into exactly 128
        // characters: the buffer always fits, so a failure is a broken invariant, never input.
        let written = URL_SAFE_NO_PAD
            .encode_slice(bytes, &mut buf)
            .expect("at most 96 bytes encode into 128 characters");
        debug_assert!(written >= len);
        // Characters past `len` (from a truncated encoding) would be secret: clear them.
        if written > len {
            buf[len..written].zeroize();
        }
        Self {
            buf,
            len: len as u8,
        }
    }

    /// A copy of validated ASCII text of at most 128 bytes.
    pub(crate) fn copy(text: &[u8]) -> Self {
        let mut buf = [0u8; 128];
        let len = text.len().min(128);
        buf[..len].copy_from_slice(&text[..len]);
        Self {
            buf,
            len: len as u8,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// The text. Safe Rust has no way to view bytes as `str` without checking them, so this
    /// checks (at most 128 ASCII bytes) when the text is read; building one never does.
    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// Zeroes the characters (the rest of the buffer is never written, or already cleared).
    pub(crate) fn wipe(&mut self) {
        let len = usize::from(self.len);
        self.buf[..len].zeroize();
    }
}

/// Is `b` in the base64url alphabet `A-Z a-z 0-9 - _`?
pub(crate) const fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')
}

/// The value of a base64url character (only meaningful when [`is_base64url`] holds).
pub(crate) const fn base64url_value(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'-' => 62,
        _ => 63,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_is_exactly_the_rfc_3986_set() {
        let expected = "-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~";
        let actual: String = (0..=255u8)
            .filter(|&b| is_unreserved(b))
            .map(char::from)
            .collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn base64url_alphabet_values() {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (value, b) in alphabet.bytes().enumerate() {
            assert!(is_base64url(b));
            assert_eq!(usize::from(base64url_value(b)), value);
        }
        assert_eq!((0..=255u8).filter(|&b| is_base64url(b)).count(), 64);
    }

    #[test]
    fn base64url_has_no_padding_and_url_safe_alphabet() {
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url(&[0u8; 32]).len(), 43);
        assert_eq!(base64url(b""), "");
    }

    #[test]
    fn check_unreserved_reports_the_first_bad_position() {
        assert_eq!(check_unreserved("abc~._-XYZ09", Field::State), Ok(()));
        assert_eq!(
            check_unreserved("ab+c/", Field::CodeVerifier),
            Err(Error::InvalidCharacter {
                field: Field::CodeVerifier,
                position: 2
            })
        );
        assert_eq!(
            check_unreserved("aé", Field::State),
            Err(Error::InvalidCharacter {
                field: Field::State,
                position: 1
            })
        );
    }
}
