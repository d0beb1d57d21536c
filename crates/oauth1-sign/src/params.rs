//! Parameter collection (RFC 5849 §3.4.1.3.1), ordering and the encoded writers of §3.4.1.3.2.
//!
//! Parameters are never copied or decoded into new buffers: each one borrows its bytes from the
//! query, the body or the protocol values, and is decoded lazily while it is compared or written.

use core::cmp::Ordering;

use smallvec::SmallVec;

use crate::encode::{FormDecode, HEX_UPPER, HEX_VALUE, UNRESERVED};

/// Bytes of a parameter name or value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Text<'a> {
    /// Decoded, and made of unreserved characters only: it encodes to itself.
    Verbatim(&'a [u8]),
    /// Already decoded (protocol parameters, header values).
    Plain(&'a [u8]),
    /// Still `application/x-www-form-urlencoded` (query and body).
    Form(&'a [u8]),
}

impl<'a> Text<'a> {
    /// Decoded bytes.
    pub(crate) fn plain(bytes: &'a [u8]) -> Self {
        if bytes.iter().all(|&b| UNRESERVED[usize::from(b)]) {
            Text::Verbatim(bytes)
        } else {
            Text::Plain(bytes)
        }
    }

    /// The length of the bytes as given.
    pub(crate) const fn len(self) -> usize {
        match self {
            Text::Verbatim(b) | Text::Plain(b) | Text::Form(b) => b.len(),
        }
    }

    fn eq_plain(self, other: &[u8]) -> bool {
        match self {
            Text::Verbatim(bytes) | Text::Plain(bytes) => bytes == other,
            Text::Form(raw) => FormDecode::new(raw).eq(other.iter().copied()),
        }
    }
}

/// One name/value pair.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Param<'a> {
    pub(crate) name: Text<'a>,
    pub(crate) value: Text<'a>,
    /// The first eight bytes of the name, as ranks in encoded order: sorting by it first makes
    /// most comparisons one integer comparison.
    key: u64,
}

impl<'a> Param<'a> {
    pub(crate) fn new(name: Text<'a>, value: Text<'a>) -> Self {
        Self {
            key: prefix_key(name),
            name,
            value,
        }
    }

    pub(crate) fn plain(name: &'a [u8], value: &'a [u8]) -> Self {
        Self::new(Text::plain(name), Text::plain(value))
    }
}

/// Parameters of one request; eight fit without touching the heap.
pub(crate) type Params<'a> = SmallVec<[Param<'a>; 8]>;

const SPECIAL: u8 = 1; // `%` or `+`: the component needs decoding
const RESERVED_BYTE: u8 = 2; // encodes to an escape

/// What each byte means inside a form-encoded string.
static FORM_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        if !UNRESERVED[b] {
            t[b] = RESERVED_BYTE;
        }
        b += 1;
    }
    t[b'%' as usize] |= SPECIAL;
    t[b'+' as usize] |= SPECIAL;
    t
};

/// Classifies a component from the flags seen in it.
fn component(raw: &[u8], flags: u8) -> Text<'_> {
    if flags & SPECIAL != 0 {
        Text::Form(raw)
    } else if flags & RESERVED_BYTE != 0 {
        Text::Plain(raw)
    } else {
        Text::Verbatim(raw)
    }
}

/// The classes of the bytes of a component, stopping as soon as both flags are known.
fn classify(bytes: &[u8]) -> u8 {
    let mut flags = 0;
    for &b in bytes {
        flags |= FORM_CLASS[usize::from(b)] & (SPECIAL | RESERVED_BYTE);
        if flags == SPECIAL | RESERVED_BYTE {
            break;
        }
    }
    flags
}

/// Adds the pairs of a form-encoded string (a query or a form body), skipping `oauth_signature`.
pub(crate) fn collect_form<'a>(raw: &'a [u8], out: &mut Params<'a>) {
    for pair in memchr::memchr_iter(b'&', raw)
        .chain(core::iter::once(raw.len()))
        .scan(0, |start, end| {
            let pair = &raw[*start..end];
            *start = end + 1;
            Some(pair)
        })
    {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match memchr::memchr(b'=', pair) {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let name = component(name, classify(name));
        if !name.eq_plain(b"oauth_signature") {
            out.push(Param::new(name, component(value, classify(value))));
        }
    }
}

/// `RANK[b]` orders bytes as their encodings sort: every escaped byte (by value) before every
/// unreserved one (by value). A bijection on bytes, so ranks can be packed into a sort key.
static RANK: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut next = 0usize;
    let mut pass = 0;
    while pass < 2 {
        let mut b = 0;
        while b < 256 {
            if UNRESERVED[b] == (pass == 1) {
                t[b] = next as u8;
                next += 1;
            }
            b += 1;
        }
        pass += 1;
    }
    t
};

/// The first eight decoded bytes of `name` as ranks, big-endian, zero-padded. If two keys
/// differ, the names compare the same way; equal keys say nothing.
fn prefix_key(name: Text<'_>) -> u64 {
    let mut key = [0u8; 8];
    match name {
        Text::Verbatim(b) | Text::Plain(b) => {
            for (k, &byte) in key.iter_mut().zip(b) {
                *k = RANK[usize::from(byte)];
            }
        }
        Text::Form(raw) => {
            for (k, byte) in key.iter_mut().zip(FormDecode::new(raw)) {
                *k = RANK[usize::from(byte)];
            }
        }
    }
    u64::from_be_bytes(key)
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
    let n = a.len().min(b.len());
    let mut i = 0;
    // Skip the common prefix eight bytes at a time (names share `oauth_`).
    while i + 8 <= n {
        let (Ok(x), Ok(y)) = (
            <[u8; 8]>::try_from(&a[i..i + 8]),
            <[u8; 8]>::try_from(&b[i..i + 8]),
        ) else {
            break;
        };
        if x != y {
            break;
        }
        i += 8;
    }
    while i < n {
        if a[i] != b[i] {
            return key(a[i]).cmp(&key(b[i]));
        }
        i += 1;
    }
    a.len().cmp(&b.len())
}

fn cmp_iter(a: impl Iterator<Item = u8>, b: impl Iterator<Item = u8>) -> Ordering {
    a.map(key).cmp(b.map(key))
}

/// Compares two texts by their percent-encoded forms, without encoding them.
pub(crate) fn cmp_text(a: Text<'_>, b: Text<'_>) -> Ordering {
    match (a, b) {
        (Text::Verbatim(a) | Text::Plain(a), Text::Verbatim(b) | Text::Plain(b)) => cmp_plain(a, b),
        (Text::Verbatim(a) | Text::Plain(a), Text::Form(b)) => {
            cmp_iter(a.iter().copied(), FormDecode::new(b))
        }
        (Text::Form(a), Text::Verbatim(b) | Text::Plain(b)) => {
            cmp_iter(FormDecode::new(a), b.iter().copied())
        }
        (Text::Form(a), Text::Form(b)) => cmp_iter(FormDecode::new(a), FormDecode::new(b)),
    }
}

/// Sorts by encoded name, then encoded value (RFC 5849 §3.4.1.3.2).
pub(crate) fn sort(params: &mut [Param<'_>]) {
    params.sort_unstable_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then_with(|| cmp_text(a.name, b.name))
            .then_with(|| cmp_text(a.value, b.value))
    });
}

/// The encoding of every byte, once (`%XX`) or twice (`%25XX`, as inside the base string):
/// `table[b][..table[b][7]]`. Eight bytes per entry let the writer copy a whole entry with one
/// store and then advance by its length.
pub(crate) type Table = [[u8; 8]; 256];

const fn table(prefix: &[u8]) -> Table {
    let mut t = [[0u8; 8]; 256];
    let mut b = 0;
    while b < 256 {
        if UNRESERVED[b] {
            t[b][0] = b as u8;
            t[b][7] = 1;
        } else {
            let mut k = 0;
            while k < prefix.len() {
                t[b][k] = prefix[k];
                k += 1;
            }
            t[b][k] = HEX_UPPER[b >> 4];
            t[b][k + 1] = HEX_UPPER[b & 15];
            t[b][7] = (k + 2) as u8;
        }
        b += 1;
    }
    t
}

static ONCE: Table = table(b"%");
static TWICE: Table = table(b"%25");

/// How many times a byte is percent-encoded: once in the parameter string and the header,
/// twice where the parameter string sits inside the base string.
#[derive(Clone, Copy)]
pub(crate) enum Level {
    Once,
    Twice,
}

impl Level {
    pub(crate) fn table(self) -> &'static Table {
        match self {
            Self::Once => &ONCE,
            Self::Twice => &TWICE,
        }
    }

    /// `=` and `&` at this level.
    const fn separators(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Self::Once => (b"=", b"&"),
            Self::Twice => (b"%3D", b"%26"),
        }
    }
}

/// Where encoded output goes: a MAC (or a `Vec`, for display).
pub(crate) trait Absorb {
    fn absorb(&mut self, bytes: &[u8]);
}

impl Absorb for Vec<u8> {
    fn absorb(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

const CAP: usize = 512;

/// A stack buffer in front of a MAC, so that the many short writes of the base string reach
/// the hash as a few long updates.
pub(crate) struct Buffered<M> {
    pub(crate) inner: M,
    buf: [u8; CAP + 8],
    len: usize,
}

impl<M: Absorb> Buffered<M> {
    #[inline(always)]
    pub(crate) const fn new(inner: M) -> Self {
        Self {
            inner,
            buf: [0; CAP + 8],
            len: 0,
        }
    }

    pub(crate) fn finish(mut self) -> M {
        self.flush();
        self.inner
    }

    #[cold]
    fn flush(&mut self) {
        self.inner.absorb(&self.buf[..self.len]);
        self.len = 0;
    }

    /// Writes bytes as they are.
    #[inline(always)]
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        let (len, n) = (self.len, bytes.len());
        if len + n > CAP {
            self.write_long(bytes);
            return;
        }
        // Short runs (names, separators, keys) are copied as two overlapping fixed-size moves
        // instead of a call to `memcpy`.
        match n {
            8..=16 => {
                self.buf[len..len + 8].copy_from_slice(&bytes[..8]);
                self.buf[len + n - 8..len + n].copy_from_slice(&bytes[n - 8..]);
            }
            4..=7 => {
                self.buf[len..len + 4].copy_from_slice(&bytes[..4]);
                self.buf[len + n - 4..len + n].copy_from_slice(&bytes[n - 4..]);
            }
            0..=3 => {
                for (i, &b) in bytes.iter().enumerate() {
                    self.buf[len + i] = b;
                }
            }
            _ => self.buf[len..len + n].copy_from_slice(bytes),
        }
        self.len = len + n;
    }

    #[cold]
    fn write_long(&mut self, bytes: &[u8]) {
        self.flush();
        if bytes.len() > CAP {
            self.inner.absorb(bytes);
        } else {
            self.buf[..bytes.len()].copy_from_slice(bytes);
            self.len = bytes.len();
        }
    }

    /// Writes decoded bytes percent-encoded.
    pub(crate) fn write_encoded(&mut self, level: Level, bytes: &[u8]) {
        let table = level.table();
        // `len` lives in a register: stores into `buf` could otherwise alias it.
        let mut len = self.len;
        for &b in bytes {
            if len > CAP {
                self.len = len;
                self.flush();
                len = 0;
            }
            let entry = &table[usize::from(b)];
            self.buf[len..len + 8].copy_from_slice(entry);
            len += usize::from(entry[7]);
        }
        self.len = len;
    }

    /// Writes a form component decoded (`+` is a space, `%XX` a byte), then encoded.
    fn write_form(&mut self, level: Level, raw: &[u8]) {
        let table = level.table();
        let mut len = self.len;
        let mut i = 0;
        while i < raw.len() {
            if len > CAP {
                self.len = len;
                self.flush();
                len = 0;
            }
            let b = raw[i];
            let decoded = if UNRESERVED[usize::from(b)] {
                // The common case: the byte stands for itself.
                self.buf[len] = b;
                len += 1;
                i += 1;
                continue;
            } else if b == b'+' {
                i += 1;
                b' '
            } else if b == b'%' {
                let hi = raw.get(i + 1).map_or(0xFF, |&h| HEX_VALUE[usize::from(h)]);
                let lo = raw.get(i + 2).map_or(0xFF, |&l| HEX_VALUE[usize::from(l)]);
                if (hi | lo) < 16 {
                    i += 3;
                    hi << 4 | lo
                } else {
                    i += 1;
                    b
                }
            } else {
                i += 1;
                b
            };
            let entry = &table[usize::from(decoded)];
            self.buf[len..len + 8].copy_from_slice(entry);
            len += usize::from(entry[7]);
        }
        self.len = len;
    }

    #[inline(always)]
    pub(crate) fn write_text(&mut self, level: Level, text: Text<'_>) {
        match text {
            Text::Verbatim(bytes) => self.write(bytes),
            Text::Plain(bytes) => self.write_encoded(level, bytes),
            Text::Form(raw) => self.write_form(level, raw),
        }
    }

    /// Writes the normalized parameter string (`a=1&b=2`), or, at [`Level::Twice`], that
    /// string encoded once more as the base string holds it.
    pub(crate) fn write_normalized(&mut self, level: Level, params: &[Param<'_>]) {
        let (eq, amp) = level.separators();
        for (i, p) in params.iter().enumerate() {
            if i > 0 {
                self.write(amp);
            }
            self.write_text(level, p.name);
            self.write(eq);
            self.write_text(level, p.value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(t: Text<'_>) -> String {
        let mut w = Buffered::new(Vec::new());
        w.write_text(Level::Once, t);
        String::from_utf8(w.finish()).unwrap()
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
    fn prefix_keys_never_contradict_the_encoded_order() {
        let samples: [&[u8]; 14] = [
            b"oauth_consumer_key",
            b"oauth_consumer",
            b"oauth_",
            b"include_entities",
            b"a",
            b"a\x00",
            b"A",
            b"}",
            b"~",
            b"",
            b"\xff\xfe",
            b"z\x7f",
            b"abcdefgh",
            b"abcdefghi",
        ];
        // A bijection: every byte has its own rank.
        let mut ranks = RANK.to_vec();
        ranks.sort_unstable();
        ranks.dedup();
        assert_eq!(ranks.len(), 256);
        for a in samples {
            for b in samples {
                let (ka, kb) = (prefix_key(Text::Plain(a)), prefix_key(Text::Plain(b)));
                if ka != kb {
                    let (ea, eb) = (encoded(Text::Plain(a)), encoded(Text::Plain(b)));
                    assert_eq!(ka.cmp(&kb), ea.cmp(&eb), "{a:?} {b:?}");
                }
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
