//! Parameter collection (RFC 5849 §3.4.1.3.1), ordering and the encoded writers of §3.4.1.3.2.
//!
//! Parameters are never copied or decoded into new buffers: each one borrows its bytes from the
//! query, the body or the protocol values, and is decoded lazily while it is compared or written.

use core::cmp::Ordering;

use smallvec::SmallVec;

use crate::encode::{FormDecode, HEX_UPPER, UNRESERVED, hex_value};

/// Bytes of a parameter name or value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Text<'a> {
    /// Already decoded (protocol parameters, header values).
    Plain(&'a [u8]),
    /// Still `application/x-www-form-urlencoded` (query and body).
    Form(&'a [u8]),
}

impl<'a> Text<'a> {
    /// A form component; one without `%` or `+` is already decoded.
    pub(crate) fn form(raw: &'a [u8]) -> Self {
        if raw.iter().any(|&b| b == b'%' || b == b'+') {
            Text::Form(raw)
        } else {
            Text::Plain(raw)
        }
    }

    fn eq_plain(self, other: &[u8]) -> bool {
        match self {
            Text::Plain(bytes) => bytes == other,
            Text::Form(raw) => FormDecode::new(raw).eq(other.iter().copied()),
        }
    }
}

/// One name/value pair.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Param<'a> {
    pub(crate) name: Text<'a>,
    pub(crate) value: Text<'a>,
}

impl<'a> Param<'a> {
    pub(crate) const fn plain(name: &'a [u8], value: &'a [u8]) -> Self {
        Param {
            name: Text::Plain(name),
            value: Text::Plain(value),
        }
    }
}

/// Parameters of one request; sixteen fit without touching the heap.
pub(crate) type Params<'a> = SmallVec<[Param<'a>; 16]>;

/// Adds the pairs of a form-encoded string (a query or a form body), skipping `oauth_signature`.
pub(crate) fn collect_form<'a>(raw: &'a [u8], out: &mut Params<'a>) {
    for pair in raw.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let name = Text::form(name);
        if name.eq_plain(b"oauth_signature") {
            continue;
        }
        out.push(Param {
            name,
            value: Text::Form(value),
        });
    }
}

/// The sort key of one decoded byte such that comparing keys compares the encoded forms:
/// every escape (`%XX`) sorts before every unreserved character, escapes by byte value, and
/// unreserved characters by byte value.
#[inline]
fn key(b: u8) -> u16 {
    if UNRESERVED[usize::from(b)] {
        256 + u16::from(b)
    } else {
        u16::from(b)
    }
}

fn cmp_plain(a: &[u8], b: &[u8]) -> Ordering {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => key(a[i]).cmp(&key(b[i])),
        None => a.len().cmp(&b.len()),
    }
}

fn cmp_iter(a: impl Iterator<Item = u8>, b: impl Iterator<Item = u8>) -> Ordering {
    a.map(key).cmp(b.map(key))
}

/// Compares two texts by their percent-encoded forms, without encoding them.
pub(crate) fn cmp_text(a: Text<'_>, b: Text<'_>) -> Ordering {
    match (a, b) {
        (Text::Plain(a), Text::Plain(b)) => cmp_plain(a, b),
        (Text::Plain(a), Text::Form(b)) => cmp_iter(a.iter().copied(), FormDecode::new(b)),
        (Text::Form(a), Text::Plain(b)) => cmp_iter(FormDecode::new(a), b.iter().copied()),
        (Text::Form(a), Text::Form(b)) => cmp_iter(FormDecode::new(a), FormDecode::new(b)),
    }
}

/// Sorts by encoded name, then encoded value (RFC 5849 §3.4.1.3.2).
pub(crate) fn sort(params: &mut [Param<'_>]) {
    params
        .sort_unstable_by(|a, b| cmp_text(a.name, b.name).then_with(|| cmp_text(a.value, b.value)));
}

/// Where encoded output goes: a MAC, or a buffer for display.
pub(crate) trait Sink {
    fn write(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn write(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A small stack buffer in front of a MAC, so that the many short writes of the base string
/// reach the hash as a few long updates.
pub(crate) struct Buffered<M> {
    pub(crate) inner: M,
    buf: [u8; 256],
    len: usize,
}

pub(crate) trait Absorb {
    fn absorb(&mut self, bytes: &[u8]);
}

impl<M: Absorb> Buffered<M> {
    pub(crate) const fn new(inner: M) -> Self {
        Buffered {
            inner,
            buf: [0; 256],
            len: 0,
        }
    }

    pub(crate) fn finish(mut self) -> M {
        self.inner.absorb(&self.buf[..self.len]);
        self.inner
    }
}

impl<M: Absorb> Sink for Buffered<M> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() <= self.buf.len() {
            self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            self.inner.absorb(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() >= self.buf.len() {
                self.inner.absorb(bytes);
            } else {
                self.buf[..bytes.len()].copy_from_slice(bytes);
                self.len = bytes.len();
            }
        }
    }
}

/// How many times a byte is percent-encoded: once in the parameter string and the header,
/// twice where the parameter string sits inside the base string.
#[derive(Clone, Copy)]
pub(crate) enum Level {
    Once,
    Twice,
}

impl Level {
    const fn prefix(self) -> &'static [u8] {
        match self {
            Level::Once => b"%",
            Level::Twice => b"%25",
        }
    }
}

#[inline]
fn write_escape(sink: &mut impl Sink, level: Level, b: u8) {
    sink.write(level.prefix());
    sink.write(&[
        HEX_UPPER[usize::from(b >> 4)],
        HEX_UPPER[usize::from(b & 15)],
    ]);
}

/// Writes decoded bytes percent-encoded, copying runs of unreserved bytes in one go.
pub(crate) fn write_plain(sink: &mut impl Sink, level: Level, bytes: &[u8]) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !UNRESERVED[usize::from(b)] {
            sink.write(&bytes[start..i]);
            write_escape(sink, level, b);
            start = i + 1;
        }
    }
    sink.write(&bytes[start..]);
}

/// Writes a form component decoded and then percent-encoded, in one pass.
fn write_form(sink: &mut impl Sink, level: Level, raw: &[u8]) {
    let mut start = 0;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if UNRESERVED[usize::from(b)] {
            i += 1;
            continue;
        }
        sink.write(&raw[start..i]);
        let (decoded, used) = match b {
            b'+' => (b' ', 1),
            b'%' if i + 2 < raw.len()
                && raw[i + 1].is_ascii_hexdigit()
                && raw[i + 2].is_ascii_hexdigit() =>
            {
                (hex_value(raw[i + 1]) << 4 | hex_value(raw[i + 2]), 3)
            }
            _ => (b, 1),
        };
        if UNRESERVED[usize::from(decoded)] {
            sink.write(&[decoded]);
        } else {
            write_escape(sink, level, decoded);
        }
        i += used;
        start = i;
    }
    sink.write(&raw[start..]);
}

pub(crate) fn write_text(sink: &mut impl Sink, level: Level, text: Text<'_>) {
    match text {
        Text::Plain(bytes) => write_plain(sink, level, bytes),
        Text::Form(raw) => write_form(sink, level, raw),
    }
}

/// Writes the normalized parameter string (`a=1&b=2`), encoded once more when `level` is
/// [`Level::Twice`] (then `=` and `&` are `%3D` and `%26`).
pub(crate) fn write_normalized(sink: &mut impl Sink, level: Level, params: &[Param<'_>]) {
    let (eq, amp): (&[u8], &[u8]) = match level {
        Level::Once => (b"=", b"&"),
        Level::Twice => (b"%3D", b"%26"),
    };
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            sink.write(amp);
        }
        write_text(sink, level, p.name);
        sink.write(eq);
        write_text(sink, level, p.value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(t: Text<'_>) -> String {
        let mut v = Vec::new();
        write_text(&mut v, Level::Once, t);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn comparing_decoded_bytes_matches_comparing_encoded_strings() {
        let samples: [&[u8]; 12] = [
            b"a", b"A", b"}", b"~", b"%", b"a b", b"ab", b"a", b"", b"\xff", b"-", b"z\x7f",
        ];
        for a in samples {
            for b in samples {
                let ea = encoded(Text::Plain(a));
                let eb = encoded(Text::Plain(b));
                assert_eq!(
                    cmp_text(Text::Plain(a), Text::Plain(b)),
                    ea.cmp(&eb),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn form_components_decode_plus_and_escapes() {
        assert_eq!(
            encoded(Text::Form(b"a+b%2Bc%7e%zz%4")),
            "a%20b%2Bc~%25zz%254"
        );
        assert_eq!(encoded(Text::Form(b"%")), "%25");
    }
}
