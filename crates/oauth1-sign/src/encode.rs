//! Percent-encoding per RFC 5849 §3.6, and `application/x-www-form-urlencoded` decoding.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};

use crate::Error;

/// Every byte except the RFC 3986 unreserved set `A-Z a-z 0-9 - . _ ~` (RFC 5849 §3.6).
pub(crate) const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `UNRESERVED[b]` is true when byte `b` is written as itself.
pub(crate) static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

pub(crate) const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The value of a hex digit, or `0xFF` for any other byte.
pub(crate) static HEX_VALUE: [u8; 256] = {
    let mut t = [0xFF; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_hexdigit() {
            t[b] = hex_value(c);
        }
        b += 1;
    }
    t
};

/// Percent-encodes `input` per RFC 5849 §3.6: UTF-8 bytes, unreserved characters kept, every other
/// byte as `%XX` with upper-case hex.
///
/// ```
/// assert_eq!(oauth1_sign::encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
/// assert_eq!(oauth1_sign::encode("☃"), "%E2%98%83");
/// ```
#[must_use]
pub fn encode(input: &str) -> String {
    percent_encode(input.as_bytes(), RESERVED).to_string()
}

/// Decodes an RFC 5849 §3.6 percent-encoded string, strictly: only unreserved characters and
/// `%XX` escapes are allowed, and the bytes must form UTF-8. `+` is not a space here.
///
/// ```
/// assert_eq!(oauth1_sign::decode("Ladies%20%2B%20Gentlemen").unwrap(), "Ladies + Gentlemen");
/// assert!(oauth1_sign::decode("100%").is_err());
/// ```
pub fn decode(input: &str) -> Result<String, Error> {
    decode_bytes(input.as_bytes(), "percent-encoded value")
}

pub(crate) fn decode_bytes(input: &[u8], what: &'static str) -> Result<String, Error> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'%' {
            match (input.get(i + 1), input.get(i + 2)) {
                (Some(&h), Some(&l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    out.push(hex_value(h) << 4 | hex_value(l));
                    i += 3;
                }
                _ => return Err(Error::InvalidPercentEncoding { what }),
            }
        } else if UNRESERVED[usize::from(b)] {
            out.push(b);
            i += 1;
        } else {
            return Err(Error::InvalidPercentEncoding { what });
        }
    }
    String::from_utf8(out).map_err(|_| Error::NonUtf8 { what })
}

/// The value of an ASCII hex digit; callers check `is_ascii_hexdigit` first.
pub(crate) const fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// Decodes `raw` as one `application/x-www-form-urlencoded` component, lazily: `+` is a space,
/// `%XX` is a byte, and a `%` without two hex digits stands for itself (as WHATWG URL parsers do).
#[derive(Clone)]
pub(crate) struct FormDecode<'a> {
    raw: &'a [u8],
}

impl<'a> FormDecode<'a> {
    pub(crate) const fn new(raw: &'a [u8]) -> Self {
        Self { raw }
    }
}

impl Iterator for FormDecode<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.raw.split_first()?;
        match b {
            b'+' => {
                self.raw = rest;
                Some(b' ')
            }
            b'%' => match rest {
                [h, l, tail @ ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    self.raw = tail;
                    Some(hex_value(*h) << 4 | hex_value(*l))
                }
                _ => {
                    self.raw = rest;
                    Some(b'%')
                }
            },
            _ => {
                self.raw = rest;
                Some(b)
            }
        }
    }
}

/// RFC 9110 `tchar`: the characters of a method name or a header token.
pub(crate) const fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}
