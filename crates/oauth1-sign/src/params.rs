//! Parameter collection (RFC 5849 §3.4.1.3.1), ordering and the encoded writers of §3.4.1.3.2.
//!
//! Parameters are never copied or decoded into new buffers: each one borrows its bytes from the
//! query, the body or the protocol values, and is decoded lazily while it is compared or written.

use core::cmp::Ordering;

use smallvec::SmallVec;

use crate::Error;
use crate::encode::{FormDecode, HEX_UPPER, HEX_VALUE, UNRESERVED, hex_value};

/// Bytes of a parameter name or value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Text<'a> {
    /// Decoded, and made of unreserved characters only: it encodes to itself.
    Verbatim(&'a [u8]),
    /// Already decoded (protocol parameters, header values).
    Plain(&'a [u8]),
    /// Still `application/x-www-form-urlencoded` (query and body).
    Form(&'a [u8]),
    /// Already percent-encoded exactly as RFC 5849 §3.6 encodes its decoded bytes (query and
    /// body): unreserved characters and upper-case escapes of reserved bytes only, so its
    /// encoded form is itself.
    Encoded(&'a [u8]),
}

impl<'a> Text<'a> {
    /// Decoded bytes.
    pub(crate) fn plain(bytes: &'a [u8]) -> Self {
        if all_unreserved(bytes) {
            Text::Verbatim(bytes)
        } else {
            Text::Plain(bytes)
        }
    }

    /// The length of the bytes as given.
    pub(crate) const fn len(self) -> usize {
        match self {
            Text::Verbatim(b) | Text::Plain(b) | Text::Form(b) | Text::Encoded(b) => b.len(),
        }
    }

    fn eq_plain(self, other: &[u8]) -> bool {
        match self {
            Text::Verbatim(bytes) | Text::Plain(bytes) => bytes == other,
            Text::Form(raw) | Text::Encoded(raw) => FormDecode::new(raw).eq(other.iter().copied()),
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
    pub(crate) const fn new(name: Text<'a>, value: Text<'a>) -> Self {
        Self { name, value }
    }

    pub(crate) fn plain(name: &'a [u8], value: &'a [u8]) -> Self {
        Self::new(Text::plain(name), Text::plain(value))
    }
}

/// Parameters of one request; eight fit without touching the heap.
pub(crate) type Params<'a> = SmallVec<[Param<'a>; 8]>;

const SPECIAL: u8 = 1; // `+` or an escape that is not canonical: the component needs decoding
const RESERVED_BYTE: u8 = 2; // encodes to an escape
const ESCAPE: u8 = 4; // a canonical escape: upper-case hex digits of a byte that is not unreserved

/// Classifies a component from the flags seen in it.
fn component(raw: &[u8], flags: u8) -> Text<'_> {
    if flags & SPECIAL != 0 || flags == RESERVED_BYTE | ESCAPE {
        Text::Form(raw)
    } else if flags == ESCAPE {
        Text::Encoded(raw)
    } else if flags & RESERVED_BYTE != 0 {
        Text::Plain(raw)
    } else {
        Text::Verbatim(raw)
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Eight bytes from `at` as a little-endian word: the first byte in the lowest lane.
#[inline(always)]
pub(crate) fn word(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(w)
}

/// The high bit of every lane of `w` whose byte is not RFC 3986 unreserved
/// (`A-Z a-z 0-9 - . _ ~`), computed for all eight lanes at once.
#[inline(always)]
pub(crate) fn not_unreserved(w: u64) -> u64 {
    let ascii = !w & HIGH;
    let x = w & !HIGH;
    // Every lane of `x` is below 0x80, so adding at most 0x7F never carries into the next lane:
    // `x + (0x80 - lo)` has its high bit set exactly when `x >= lo`.
    let lower = x | (ONES * 0x20);
    let alpha = (lower + ONES * (0x80 - b'a' as u64)) & !(lower + ONES * (0x7F - b'z' as u64));
    let digits = (x + ONES * (0x80 - b'-' as u64)) & !(x + ONES * (0x7F - b'9' as u64));
    let slash = x ^ (ONES * b'/' as u64);
    let underscore = x ^ (ONES * b'_' as u64);
    let tilde = x ^ (ONES * b'~' as u64);
    // A lane of `y` is zero exactly when `y + 0x7F` leaves its high bit clear.
    let zero = |y: u64| !(y + ONES * 0x7F);
    let unreserved =
        (alpha | (digits & !zero(slash)) | zero(underscore) | zero(tilde)) & ascii & HIGH;
    !unreserved & HIGH
}

/// The high bit of every lane of `w` whose byte is not an ASCII letter or digit: a superset of
/// [`not_unreserved`] (it adds `-`, `.`, `_` and `~`) at about half the operations, for scans
/// that look every flagged byte up in a table anyway.
#[inline(always)]
pub(crate) fn not_alphanumeric(w: u64) -> u64 {
    let x = w & !HIGH;
    let lower = x | (ONES * 0x20);
    let alpha = (lower + ONES * (0x80 - b'a' as u64)) & !(lower + ONES * (0x7F - b'z' as u64));
    let digits = (x + ONES * (0x80 - b'0' as u64)) & !(x + ONES * (0x7F - b'9' as u64));
    !((alpha | digits) & !w) & HIGH
}

/// The high bit of every lane of `w` that is zero (exactly: no lane borrows from another).
#[inline(always)]
fn zero_lanes(w: u64) -> u64 {
    !(((w & !HIGH) + !HIGH) | w) & HIGH
}

/// Whether every byte is unreserved (encodes to itself), eight bytes at a time.
#[inline]
pub(crate) fn all_unreserved(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let w = word(bytes, i);
        // Letters and digits first (half the operations); the exact test only for a word
        // with other bytes.
        if not_alphanumeric(w) != 0 && not_unreserved(w) != 0 {
            return false;
        }
        i += 8;
    }
    bytes[i..].iter().all(|&b| UNRESERVED[usize::from(b)])
}

/// What the fused scan does with a byte (0: unreserved, nothing to do).
const RES: u8 = 1; // allowed, encodes to an escape
const AMP: u8 = 2; // ends a pair
const EQ: u8 = 3; // the first one ends a name
const PCT: u8 = 4; // an escape (checked in a query)
const PLUS: u8 = 5; // a space
const HASH: u8 = 6; // ends a query
const BAD: u8 = 7; // not allowed in a query

/// The byte classes of a form body: anything goes.
static FORM_SCAN: [u8; 256] = scan_table(false);
/// The byte classes of a URL query: RFC 3986 `query` characters only.
static QUERY_SCAN: [u8; 256] = scan_table(true);

const fn scan_table(query: bool) -> [u8; 256] {
    let mut t = [0; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let sub_delim_etc = matches!(
            c,
            b'!' | b'$' | b'\'' | b'(' | b')' | b'*' | b',' | b';' | b':' | b'@' | b'/' | b'?'
        );
        if !UNRESERVED[b] {
            t[b] = if query && !sub_delim_etc { BAD } else { RES };
        }
        b += 1;
    }
    t[b'&' as usize] = AMP;
    t[b'=' as usize] = EQ;
    t[b'%' as usize] = PCT;
    t[b'+' as usize] = PLUS;
    if query {
        t[b'#' as usize] = HASH;
    }
    t
}

/// The flag of the escape whose digits are `digits`: [`ESCAPE`] when canonical (upper-case hex
/// digits of a byte that is not unreserved, so it is its own encoding), [`SPECIAL`] when
/// another well-formed escape, 0 when not two hex digits.
#[inline(always)]
fn escape_class(digits: Option<&[u8]>) -> u8 {
    match digits {
        Some(&[h, l]) => {
            ESCAPE_CLASS
                [usize::from(DIGIT[usize::from(h)]) << 6 | usize::from(DIGIT[usize::from(l)])]
        }
        _ => 0,
    }
}

/// A hex digit's value, plus 16 when it is lower-case; 32 for any other byte.
static DIGIT: [u8; 256] = {
    let mut t = [32u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_hexdigit() {
            t[b] = hex_value(c) + if c.is_ascii_lowercase() { 16 } else { 0 };
        }
        b += 1;
    }
    t
};

/// [`escape_class`] of two digits by their [`DIGIT`]s, `high << 6 | low`.
static ESCAPE_CLASS: [u8; 4096] = {
    let mut t = [0u8; 4096];
    let mut i = 0;
    while i < 4096 {
        let (h, l) = (i >> 6, i & 63);
        if h < 32 && l < 32 {
            let byte = (h & 15) << 4 | (l & 15);
            t[i] = if h < 16 && l < 16 && !UNRESERVED[byte] {
                ESCAPE
            } else {
                SPECIAL
            };
        }
        i += 1;
    }
    t
};

/// Bit `u16::from_le_bytes([h, l])` is set when `%hl` is a canonical escape ([`ESCAPE`] in
/// [`ESCAPE_CLASS`]): its own encoding. 8 KiB, of which a writer touches a few words.
static CANONICAL: [u64; 1024] = {
    let mut t = [0u64; 1024];
    let mut h = 0;
    while h < 16 {
        let mut l = 0;
        while l < 16 {
            if !UNRESERVED[h << 4 | l] {
                let index = (HEX_UPPER[h] as usize) | (HEX_UPPER[l] as usize) << 8;
                t[index >> 6] |= 1 << (index & 63);
            }
            l += 1;
        }
        h += 1;
    }
    t
};

/// Whether `%` followed by the two digits `u16::from_le_bytes([h, l])` is a canonical escape,
/// with one look-up.
#[inline(always)]
fn is_canonical(digits: u16) -> bool {
    let index = usize::from(digits);
    CANONICAL[index >> 6] >> (index & 63) & 1 == 1
}

/// Adds one pair, unless it is empty or named `oauth_signature`.
#[inline(always)]
fn push_pair<'a>(raw: &'a [u8], split: &Split, end: usize, out: &mut Params<'a>) {
    if split.start == end {
        return;
    }
    let (name, value) = if split.eq < end {
        (
            component(&raw[split.start..split.eq], split.name_flags),
            component(&raw[split.eq + 1..end], split.flags),
        )
    } else {
        (
            component(&raw[split.start..end], split.flags),
            Text::Verbatim(b""),
        )
    };
    if !(name.len() >= 15 && name.eq_plain(b"oauth_signature")) {
        out.push(Param::new(name, value));
    }
}

/// The pair being scanned.
struct Split {
    start: usize,
    /// Where its first `=` is, or `usize::MAX`.
    eq: usize,
    /// The name's flags, once its `=` is seen.
    name_flags: u8,
    /// The flags of the component being scanned.
    flags: u8,
}

/// The lane mask of [`not_unreserved`] gathered into eight bits, lane `k` as bit `k`.
#[inline(always)]
fn gather(lanes: u64) -> u8 {
    // Lane `k`'s high bit, times the `7 - k`-th term of the multiplier, lands on bit `56 + k`;
    // no two products overlap below bit 64 (the usual movemask-by-multiply).
    ((lanes & HIGH).wrapping_mul(0x0002_0408_1020_4081) >> 56) as u8
}

/// Bit `k` is set when `raw[at + k]` is not an ASCII letter or digit (so every byte that is not
/// unreserved, and `-._~` too), for `k < width` (`width <= 64`, and `at + width <= raw.len()`).
///
/// A whole block of 64 bytes at once: each byte is tested with comparisons on its own lane (a
/// loop the compiler turns into a few vector operations per sixteen bytes), and the 64 results
/// are gathered eight at a time. A shorter block is tested padded with letters.
#[inline(always)]
pub(crate) fn special_bits(raw: &[u8], at: usize, width: usize) -> u64 {
    if let Some(block) = raw[at..].first_chunk::<64>()
        && width == 64
    {
        return block_bits(block);
    }
    let mut block = [b'a'; 64];
    block[..width].copy_from_slice(&raw[at..at + width]);
    block_bits(&block)
}

/// [`special_bits`] of a whole block.
#[inline(always)]
fn block_bits(block: &[u8; 64]) -> u64 {
    let mut lanes = [0u8; 64];
    for (lane, &b) in lanes.iter_mut().zip(block) {
        let alphanumeric = b.wrapping_sub(b'0') < 10 || (b | 0x20).wrapping_sub(b'a') < 26;
        *lane = if alphanumeric { 0 } else { 0x80 };
    }
    let mut bits = 0u64;
    for (j, lanes) in lanes.chunks_exact(8).enumerate() {
        bits |= u64::from(gather(word(lanes, 0))) << (8 * j);
    }
    bits
}

/// What the scan does after a byte that is not a letter or a digit.
enum Step {
    /// Goes on with the next byte.
    Next,
    /// Goes on at this index (a body component skipped to its end).
    Jump(usize),
    /// Stops: the query ends here (`#`).
    End(usize),
}

/// Handles `raw[i]`, a byte that is not a letter or a digit, for [`scan_form`].
#[inline(always)]
fn scan_step<'a, const QUERY: bool>(
    raw: &'a [u8],
    i: usize,
    split: &mut Split,
    out: &mut Params<'a>,
) -> Result<Step, Error> {
    let b = raw[i];
    // The common case of a query first: an escape. Most are canonical: one bit look-up (a
    // 16-bit load of the digits); the others are classified, or rejected, by the full table.
    if QUERY && b == b'%' {
        if let Some(&[h, l]) = raw.get(i + 1..i + 3)
            && is_canonical(u16::from_le_bytes([h, l]))
        {
            split.flags |= ESCAPE;
            return Ok(Step::Next);
        }
        let escape = escape_class(raw.get(i + 1..i + 3));
        if escape == 0 {
            return Err(Error::InvalidUrl {
                reason: "a `%` not followed by two hex digits",
            });
        }
        split.flags |= escape;
        return Ok(Step::Next);
    }
    let table = if QUERY { &QUERY_SCAN } else { &FORM_SCAN };
    match table[usize::from(b)] {
        // `-._~`, flagged by the word test.
        0 => {}
        RES => split.flags |= RESERVED_BYTE,
        PLUS | PCT => {
            split.flags |= SPECIAL;
            if !QUERY {
                // A body component to decode is written by the general decoder, which needs
                // no other flag: skip to its end.
                let rest = &raw[i + 1..];
                let end = if split.eq == usize::MAX {
                    memchr::memchr2(b'=', b'&', rest)
                } else {
                    memchr::memchr(b'&', rest)
                };
                return Ok(Step::Jump(end.map_or(raw.len(), |e| i + 1 + e)));
            }
        }
        EQ => {
            if split.eq == usize::MAX {
                split.eq = i;
                split.name_flags = split.flags;
                split.flags = 0;
            } else {
                split.flags |= RESERVED_BYTE;
            }
        }
        AMP => {
            push_pair(raw, split, i, out);
            *split = Split {
                start: i + 1,
                eq: usize::MAX,
                name_flags: 0,
                flags: 0,
            };
        }
        HASH if QUERY => {
            push_pair(raw, split, i, out);
            return Ok(Step::End(i));
        }
        _ => {
            return Err(Error::InvalidUrl {
                reason: "invalid character in the query",
            });
        }
    }
    Ok(Step::Next)
}

/// A query at least this long is scanned a block at a time; shorter ones, and bodies (whose
/// first escape usually ends the scan of a component), a byte at a time.
const BLOCK_SCAN_MIN: usize = 48;

/// One pass over a form-encoded string (a query or a form body) that splits it into pairs,
/// classifies each name and value (verbatim, its own encoding, to encode, or to decode), and,
/// for a query, validates every byte and every `%XX` escape together. Skips
/// `oauth_signature`. Returns where the string ended: its length, or the `#` that ends a
/// query.
///
/// A long query goes a block of up to 64 bytes at a time: the block becomes a bit mask of
/// its bytes that are not letters or digits (eight at a time), and only those bytes are looked
/// at. Other strings go one table look-up a byte; in a body, a component known to need
/// decoding is skipped to its end with `memchr`.
fn scan_form<'a, const QUERY: bool>(raw: &'a [u8], out: &mut Params<'a>) -> Result<usize, Error> {
    let mut split = Split {
        start: 0,
        eq: usize::MAX,
        name_flags: 0,
        flags: 0,
    };
    let n = raw.len();
    if QUERY && n >= BLOCK_SCAN_MIN {
        let mut base = 0;
        while base < n {
            let width = (n - base).min(64);
            let mut bits = special_bits(raw, base, width);
            while bits != 0 {
                let i = base + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                // A query never jumps.
                if let Step::End(end) = scan_step::<QUERY>(raw, i, &mut split, out)? {
                    return Ok(end);
                }
            }
            base += width;
        }
    } else {
        let table = if QUERY { &QUERY_SCAN } else { &FORM_SCAN };
        let mut i = 0;
        while i < n {
            if table[usize::from(raw[i])] == 0 {
                i += 1;
                continue;
            }
            match scan_step::<QUERY>(raw, i, &mut split, out)? {
                Step::Next => i += 1,
                Step::Jump(to) => i = to,
                Step::End(end) => return Ok(end),
            }
        }
    }
    push_pair(raw, &split, n, out);
    Ok(n)
}

/// Adds the pairs of a form body, skipping `oauth_signature`. A body is not validated: a `%`
/// without two hex digits stands for itself, any other byte for itself.
pub(crate) fn collect_form<'a>(raw: &'a [u8], out: &mut Params<'a>) {
    // Only a query can fail.
    let _ = scan_form::<false>(raw, out);
}

/// A query at least this long reserves room for its pairs up front.
const RESERVE_MIN: usize = 1024;
/// Bytes of a query per pair reserved for.
const RESERVE_SPAN: usize = 32;
/// At most this many pairs reserved for (96 KiB).
const RESERVE_MAX: usize = 2048;

/// Validates a URL query (RFC 3986 `query` characters, well-formed escapes) while adding its
/// pairs; returns where it ended (its length, or a `#`).
pub(crate) fn collect_query<'a>(raw: &'a [u8], out: &mut Params<'a>) -> Result<usize, Error> {
    if raw.len() >= RESERVE_MIN {
        // Room for a pair every `RESERVE_SPAN` bytes (capped), so that a long query does not
        // grow the list (48 bytes a pair) by doubling, copying it each time. A guess, not a
        // count: counting the `&` costs a pass over the query.
        out.reserve((raw.len() / RESERVE_SPAN).min(RESERVE_MAX));
    }
    scan_form::<true>(raw, out)
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

/// Bytes of a name in a sort key.
const KEY_BYTES: usize = 12;

/// The first twelve decoded bytes of `name` as ranks, big-endian, zero-padded, in the high 96
/// bits. If two keys differ, the names compare the same way; equal keys say nothing.
fn prefix_key(name: Text<'_>) -> u128 {
    let mut key = [0u8; 16];
    match name {
        Text::Verbatim(b) | Text::Plain(b) => {
            for (k, &byte) in key[..KEY_BYTES].iter_mut().zip(b) {
                *k = RANK[usize::from(byte)];
            }
        }
        Text::Form(raw) | Text::Encoded(raw) => {
            for (k, byte) in key[..KEY_BYTES].iter_mut().zip(FormDecode::new(raw)) {
                *k = RANK[usize::from(byte)];
            }
        }
    }
    u128::from_be_bytes(key)
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
        // Both are their own encoded forms.
        (Text::Encoded(a), Text::Verbatim(b) | Text::Encoded(b))
        | (Text::Verbatim(a), Text::Encoded(b)) => a.cmp(b),
        (Text::Verbatim(a) | Text::Plain(a), Text::Form(b) | Text::Encoded(b)) => {
            cmp_iter(a.iter().copied(), FormDecode::new(b))
        }
        (Text::Form(a) | Text::Encoded(a), Text::Verbatim(b) | Text::Plain(b)) => {
            cmp_iter(FormDecode::new(a), b.iter().copied())
        }
        (Text::Form(a) | Text::Encoded(a), Text::Form(b) | Text::Encoded(b)) => {
            cmp_iter(FormDecode::new(a), FormDecode::new(b))
        }
    }
}

/// Compares two parameters by encoded name, then encoded value (RFC 5849 §3.4.1.3.2).
pub(crate) fn cmp_param(a: &Param<'_>, b: &Param<'_>) -> Ordering {
    cmp_text(a.name, b.name).then_with(|| cmp_text(a.value, b.value))
}

/// The first twelve bytes of an encoded name (one that is its own encoding: verbatim or
/// encoded), big-endian, zero-padded, in the high 96 bits. Encoded bytes are never zero, so
/// comparing two such keys compares the names' encoded strings as far as the keys reach; equal
/// keys say nothing.
///
/// Built from fixed-size loads (two overlapping ones for a short name) rather than a copy of
/// the name's length, which is a call to `memcpy`.
#[inline(always)]
fn encoded_key(name: &[u8]) -> u128 {
    let n = name.len();
    let be32 = |at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&name[at..at + 4]);
        u64::from(u32::from_be_bytes(w))
    };
    if let Some(head) = name.first_chunk::<KEY_BYTES>() {
        let mut key = [0u8; 16];
        key[..KEY_BYTES].copy_from_slice(head);
        return u128::from_be_bytes(key);
    }
    let (high, low) = if n >= 8 {
        // Bytes 8.. are the last `n - 8` of the last four, moved to the top of 32 bits.
        let mut head = [0u8; 8];
        head.copy_from_slice(&name[..8]);
        let tail = (be32(n - 4) << (8 * (KEY_BYTES - n))) as u32;
        (u64::from_be_bytes(head), tail)
    } else if n >= 4 {
        // The first four and the last four bytes, each at its place (they overlap alike).
        (be32(0) << 32 | be32(n - 4) << (8 * (8 - n)), 0)
    } else {
        let mut high = 0u64;
        for (k, &b) in name.iter().enumerate() {
            high |= u64::from(b) << (56 - 8 * k);
        }
        (high, 0)
    };
    u128::from(high) << 64 | u128::from(low) << 32
}

/// At least this many keys are sorted by [`radix_sort`]; fewer, by comparisons.
const RADIX_MIN: usize = 48;

/// Sorts (prefix key, index) pairs by their prefix (the high 96 bits), stably: an LSD radix
/// sort, a counting pass per byte of the prefix, that skips the bytes every key shares (names
/// with a common stem and few lengths vary in a few bytes only). No comparison branches on the
/// data, so none mispredicts.
#[cfg(test)]
fn radix_sort(keys: &mut [u128]) {
    let mut scratch = vec![0; keys.len()];
    if radix_sort_with(keys, &mut scratch) {
        keys.copy_from_slice(&scratch);
    }
}

/// [`radix_sort`] with a scratch buffer of the same length; returns whether the sorted keys
/// ended in `scratch` (an odd number of passes) rather than in `keys`.
///
/// One pass finds the bytes that vary, one more counts every one of them, and then one pass a
/// byte moves the keys.
fn radix_sort_with(keys: &mut [u128], scratch: &mut [u128]) -> bool {
    let Some(&first) = keys.first() else {
        return false;
    };
    let mut varies = 0u128;
    for &k in keys.iter() {
        varies |= k ^ first;
    }
    // The shifts of the bytes that vary, from the least significant (bits 32..40) up.
    let mut shifts = [0u32; KEY_BYTES];
    let mut m = 0;
    for shift in (32..128).step_by(8) {
        if (varies >> shift) as u8 != 0 {
            shifts[m] = shift;
            m += 1;
        }
    }
    let shifts = &shifts[..m];
    let mut counts = [[0u32; 256]; KEY_BYTES];
    let counts = &mut counts[..m];
    for &k in keys.iter() {
        for (count, &shift) in counts.iter_mut().zip(shifts) {
            count[usize::from((k >> shift) as u8)] += 1;
        }
    }
    let (mut from, mut to): (&mut [u128], &mut [u128]) = (keys, scratch);
    for (count, &shift) in counts.iter_mut().zip(shifts) {
        let digit = |k: u128| usize::from((k >> shift) as u8);
        let mut at = 0;
        for c in count.iter_mut() {
            let n = *c;
            *c = at;
            at += n;
        }
        for &k in from.iter() {
            let d = digit(k);
            to[count[d] as usize] = k;
            count[d] += 1;
        }
        core::mem::swap(&mut from, &mut to);
    }
    m % 2 == 1
}

/// Parameters in their sorted order (by encoded name, then encoded value: RFC 5849
/// §3.4.1.3.2), left where they were collected.
///
/// Sorts (prefix key, index) pairs, 16 bytes each, rather than whole parameters: most
/// comparisons are one integer comparison, and only runs of equal prefixes (a repeated name, or
/// names sharing their first twelve bytes) are compared in full. The parameters are then read
/// through the sorted pairs' indices rather than moved into a new list (48 bytes each). When
/// every name is its own encoding (the usual case: protocol names, canonical queries), a key is
/// the name's first bytes as they are; otherwise their ranks. Many keys are radix-sorted, a few
/// compared.
///
/// A view: the parameters, and the [`order`] found for them.
#[derive(Clone, Copy)]
pub(crate) struct Sorted<'p, 'a> {
    params: &'p [Param<'a>],
    /// The sorted pairs, each index in its low 32 bits; `None` when `params` is in order.
    order: Option<&'p [u128]>,
}

/// The index of a (prefix key, index) pair.
#[inline(always)]
const fn key_index(k: u128) -> usize {
    (k as u32) as usize
}

impl<'p, 'a> Sorted<'p, 'a> {
    /// `params` as [`order`] left them, and the order it returned.
    #[inline(always)]
    pub(crate) const fn new(params: &'p [Param<'a>], order: Option<&'p [u128]>) -> Self {
        Self { params, order }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.params.len()
    }

    /// The `i`-th parameter in order.
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> Option<&'p Param<'a>> {
        match self.order {
            None => self.params.get(i),
            Some(keys) => keys.get(i).map(|&k| &self.params[key_index(k)]),
        }
    }

    /// The number of parameters, from the first in order, for which `pred` holds (it must hold
    /// for a prefix of the order).
    pub(crate) fn partition_point(&self, mut pred: impl FnMut(&Param<'a>) -> bool) -> usize {
        match self.order {
            None => self.params.partition_point(pred),
            Some(keys) => keys.partition_point(|&k| pred(&self.params[key_index(k)])),
        }
    }

    /// Writes the parameters `range` of the order as [`Buffered::write_normalized`] does.
    #[inline(always)]
    pub(crate) fn write_normalized<M: Absorb>(
        &self,
        out: &mut Buffered<M>,
        level: Level,
        range: core::ops::Range<usize>,
    ) {
        match self.order {
            None => out.write_normalized(level, &self.params[range]),
            Some(keys) => out.write_normalized(
                level,
                keys[range].iter().map(|&k| &self.params[key_index(k)]),
            ),
        }
    }

    /// The parameters copied in their order.
    #[cfg(test)]
    fn to_params(self) -> Params<'a> {
        (0..self.len())
            .filter_map(|i| self.get(i).copied())
            .collect()
    }
}

/// Sorts a few parameters in place, or returns the order of more (`None` when they are in
/// order already), on the heap, so that a request with a few parameters carries no room for
/// it: see [`Sorted`].
pub(crate) fn order(params: &mut Params<'_>) -> Option<Vec<u128>> {
    let n = params.len();
    if n < 2 {
        return None;
    }
    if n <= 4 {
        // Insertion sort: fewer steps than building keys for a handful.
        params.sort_by(cmp_param);
        return None;
    }
    let index_bits = u32::BITS as usize;
    let encoded = params
        .iter()
        .all(|p| matches!(p.name, Text::Verbatim(_) | Text::Encoded(_)));
    let key = |(i, p): (usize, &Param<'_>)| match p.name {
        Text::Verbatim(b) | Text::Encoded(b) if encoded => encoded_key(b) | i as u128,
        _ => prefix_key(p.name) | i as u128,
    };
    let keys = params.iter().enumerate().map(key);
    // Many keys are collected into a `Vec` (a tighter loop than a `SmallVec`'s), kept on
    // the heap by the `SmallVec`.
    let mut keys: SmallVec<[u128; 16]> = if n > 16 {
        SmallVec::from_vec(keys.collect())
    } else {
        keys.collect()
    };
    // Radix-sorted keys are wherever the last pass left them: no copy back.
    let mut scratch = Vec::new();
    let in_scratch = if n >= RADIX_MIN {
        scratch = vec![0; n];
        radix_sort_with(&mut keys, &mut scratch)
    } else {
        keys.sort_unstable();
        false
    };
    let sorted: &mut [u128] = if in_scratch { &mut scratch } else { &mut keys };
    let mut i = 0;
    while i < n {
        let prefix = sorted[i] >> index_bits;
        let mut j = i + 1;
        while j < n && sorted[j] >> index_bits == prefix {
            j += 1;
        }
        if j - i > 1 {
            sorted[i..j]
                .sort_unstable_by(|&a, &b| cmp_param(&params[key_index(a)], &params[key_index(b)]));
        }
        i = j;
    }
    let in_order = sorted.iter().enumerate().all(|(i, &k)| key_index(k) == i);
    if in_order {
        None
    } else if in_scratch {
        Some(scratch)
    } else {
        // Free when the keys are on the heap already (more than sixteen).
        Some(keys.into_vec())
    }
}

/// Whether `name` sorts before `oauth_consumer_key`, the first protocol parameter.
pub(crate) fn before_protocol(name: Text<'_>) -> bool {
    match first_byte(name) {
        // Every protocol name starts with `o`: any other first byte decides.
        Some(b) if b != b'o' => key(b) < key(b'o'),
        None => true,
        Some(_) => cmp_text(name, Text::Verbatim(b"oauth_consumer_key")).is_lt(),
    }
}

/// The first decoded byte of a name.
fn first_byte(name: Text<'_>) -> Option<u8> {
    match name {
        Text::Verbatim(b) | Text::Plain(b) => b.first().copied(),
        Text::Form(raw) | Text::Encoded(raw) => FormDecode::new(raw).next(),
    }
}

/// Whether `name` sorts after `oauth_version`, the last protocol parameter.
pub(crate) fn after_protocol(name: Text<'_>) -> bool {
    match first_byte(name) {
        Some(b) if b != b'o' => key(b) > key(b'o'),
        None => false,
        Some(_) => cmp_text(name, Text::Verbatim(b"oauth_version")).is_gt(),
    }
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

    /// What an escape's `%` becomes at this level (`%` or `%25`), as the low bytes of a
    /// little-endian word, and its length.
    const fn escape_prefix(self) -> (u64, usize) {
        match self {
            Self::Once => (b'%' as u64, 1),
            Self::Twice => (u64::from_le_bytes(*b"%25\0\0\0\0\0"), 3),
        }
    }

    /// `=` and `&` at this level, padded to eight bytes, and their length.
    const fn separators(self) -> ([u8; 8], [u8; 8], usize) {
        match self {
            Self::Once => (*b"=\0\0\0\0\0\0\0", *b"&\0\0\0\0\0\0\0", 1),
            Self::Twice => (*b"%3D\0\0\0\0\0", *b"%26\0\0\0\0\0", 3),
        }
    }
}

/// Where encoded output goes: a MAC (or a `Vec`, for display).
pub(crate) trait Absorb {
    fn absorb(&mut self, bytes: &[u8]);
}

/// A sink borrowed in place, so a large MAC state is never moved in and out of the buffer.
impl<M: Absorb> Absorb for &mut M {
    fn absorb(&mut self, bytes: &[u8]) {
        (**self).absorb(bytes);
    }
}

impl Absorb for Vec<u8> {
    fn absorb(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

const CAP: usize = 1024;

/// How many of the (at most eight) bytes, from the first, are unreserved. One table look-up a
/// byte: runs between escapes are short in encoded text (`Hello%20Ladies%20%2B%20`), and for
/// them this costs less than a word operation; the copy is one 8-byte store either way.
#[inline(always)]
fn unreserved_run(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| !UNRESERVED[usize::from(b)])
        .unwrap_or(bytes.len())
}

/// Room past `CAP`: one step of a writer stores at most 32 bytes beyond a length at most `CAP`
/// (a run of seven bytes and two escapes of five, the last with an 8-byte store: 24; a word of
/// eight `%` written twice, the lanes after the last `25` with an 8-byte store: 32).
const SLACK: usize = 40;

/// A stack buffer in front of a MAC, so that the many short writes of the base string reach
/// the hash as a few long updates.
pub(crate) struct Buffered<M> {
    pub(crate) inner: M,
    buf: [u8; CAP + SLACK],
    len: usize,
}

impl<M: Absorb> Buffered<M> {
    #[inline(always)]
    pub(crate) const fn new(inner: M) -> Self {
        Self {
            inner,
            buf: [0; CAP + SLACK],
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
        // Runs up to 64 bytes (names, separators, keys, the signer's fragments) are copied as
        // two overlapping fixed-size moves instead of a call to `memcpy`.
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
            17..=32 => {
                self.buf[len..len + 16].copy_from_slice(&bytes[..16]);
                self.buf[len + n - 16..len + n].copy_from_slice(&bytes[n - 16..]);
            }
            33..=64 => {
                self.buf[len..len + 32].copy_from_slice(&bytes[..32]);
                self.buf[len + n - 32..len + n].copy_from_slice(&bytes[n - 32..]);
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
    ///
    /// Eight bytes at a time: each step stores the next eight bytes as they are, keeps the run
    /// of unreserved ones at their front, and writes the byte that ended the run from the
    /// encoding table.
    pub(crate) fn write_encoded(&mut self, level: Level, bytes: &[u8]) {
        let table = level.table();
        // `len` lives in a register: stores into `buf` could otherwise alias it.
        let mut len = self.len;
        let mut i = 0;
        while i < bytes.len() {
            if len > CAP {
                self.len = len;
                self.flush();
                len = 0;
            }
            let b = bytes[i];
            if UNRESERVED[usize::from(b)] {
                if i + 8 > bytes.len() {
                    self.buf[len] = b;
                    len += 1;
                    i += 1;
                    continue;
                }
                self.buf[len..len + 8].copy_from_slice(&bytes[i..i + 8]);
                let run = unreserved_run(&bytes[i..i + 8]);
                i += run;
                len += run;
                continue;
            }
            let entry = &table[usize::from(b)];
            self.buf[len..len + 8].copy_from_slice(entry);
            len += usize::from(entry[7]);
            i += 1;
        }
        self.len = len;
    }

    /// Writes a form component decoded (`+` is a space, `%XX` a byte), then encoded; eight
    /// bytes at a time, like [`write_encoded`](Self::write_encoded).
    ///
    /// An escape that is already canonical (upper-case digits of a byte that is not
    /// unreserved: what [`encode`](crate::encode) writes, so most escapes of a real body) is
    /// its own encoding: it is written as the level's prefix (`%` or `%25`) and its two digits
    /// with one store, after one bit look-up, without decoding and re-encoding it. Anything
    /// else (`+`, a lower-case or needless escape, a `%` without two hex digits, a reserved
    /// byte) is decoded and encoded through the table, as before.
    fn write_form(&mut self, level: Level, raw: &[u8]) {
        match level {
            Level::Once => self.write_form_at::<false>(raw),
            Level::Twice => self.write_form_at::<true>(raw),
        }
    }

    /// [`write_form`](Self::write_form) at [`Level::Twice`] if `TWICE`, else at [`Level::Once`].
    fn write_form_at<const TWICE: bool>(&mut self, raw: &[u8]) {
        let level = if TWICE { Level::Twice } else { Level::Once };
        let (prefix, prefix_len) = level.escape_prefix();
        let mut len = self.len;
        let mut rest = raw;
        // While ten bytes are left (a word, and the digits of an escape in its last lane), each
        // step writes a run of letters and digits and the item after it.
        while let Some(chunk) = rest.first_chunk::<10>() {
            if len > CAP {
                self.len = len;
                self.flush();
                len = 0;
            }
            let mut at = 0;
            if chunk[0] != b'%' {
                // A run: eight bytes copied as they are, and the letters and digits at their
                // front kept (a `-._~` that ends it is written as an item, and so is a `+` or
                // another byte that starts the step: an empty run).
                let w = word(chunk, 0);
                self.buf[len..len + 8].copy_from_slice(&w.to_le_bytes());
                let special = not_alphanumeric(w);
                if special == 0 {
                    rest = &rest[8..];
                    len += 8;
                    continue;
                }
                // At most 7: a lane is flagged.
                at = (special.trailing_zeros() / 8) as usize & 7;
                len += at;
            }
            // `chunk[at]` is not a letter or a digit, and at most seven bytes were added since
            // the check of `len`.
            let digits = u16::from_le_bytes([chunk[at + 1], chunk[at + 2]]);
            if chunk[at] == b'%' && is_canonical(digits) {
                let escape = prefix | u64::from(digits) << (8 * prefix_len);
                self.buf[len..len + 8].copy_from_slice(&escape.to_le_bytes());
                len += prefix_len + 2;
                // Escapes come in runs (`%20%2B%20`): a second one right after, if it is in
                // the chunk, without another step.
                if let Some(&[b'%', h, l]) = chunk.get(at + 3..at + 6) {
                    let digits = u16::from_le_bytes([h, l]);
                    if is_canonical(digits) {
                        let escape = prefix | u64::from(digits) << (8 * prefix_len);
                        self.buf[len..len + 8].copy_from_slice(&escape.to_le_bytes());
                        len += prefix_len + 2;
                        rest = &rest[at + 6..];
                        continue;
                    }
                }
                rest = &rest[at + 3..];
                continue;
            }
            self.len = len;
            let next = self.write_form_item(level, rest, at);
            rest = &rest[next..];
            len = self.len;
        }
        self.len = len;
        let mut i = 0;
        while i < rest.len() {
            if self.len > CAP {
                self.flush();
            }
            i = self.write_form_item(level, rest, i);
        }
    }

    /// Writes the item of a form component at `raw[i]` (a byte, `+`, or a `%XX` escape)
    /// decoded, then encoded; returns where the next item starts.
    #[inline(always)]
    fn write_form_item(&mut self, level: Level, raw: &[u8], mut i: usize) -> usize {
        let b = raw[i];
        let decoded = match (b, raw.get(i + 1..i + 3)) {
            (b'%', Some(&[h, l]))
                if (HEX_VALUE[usize::from(h)] | HEX_VALUE[usize::from(l)]) < 16 =>
            {
                i += 3;
                HEX_VALUE[usize::from(h)] << 4 | HEX_VALUE[usize::from(l)]
            }
            (b'+', _) => {
                i += 1;
                b' '
            }
            _ => {
                i += 1;
                b
            }
        };
        let entry = &level.table()[usize::from(decoded)];
        let len = self.len;
        self.buf[len..len + 8].copy_from_slice(entry);
        self.len = len + usize::from(entry[7]);
        i
    }

    /// Writes an [`Encoded`](Text::Encoded) text encoded once more: `25` after every `%`.
    ///
    /// A word at a time: each step stores the word as it is, and for each `%` in it, `25` and
    /// the rest of the word after the `%`. A text under eight bytes goes a byte at a time.
    fn write_escapes_twice(&mut self, raw: &[u8]) {
        let mut len = self.len;
        let mut i = 0;
        if raw.len() >= 8 {
            loop {
                // The next word, or the last few bytes as the low lanes of the last word
                // shifted down (the lanes above are zero, never `%`).
                let (w, width) = if i + 8 <= raw.len() {
                    (word(raw, i), 8)
                } else if i < raw.len() {
                    let left = raw.len() - i;
                    (word(raw, raw.len() - 8) >> (8 * (8 - left)), left)
                } else {
                    break;
                };
                if len > CAP {
                    self.len = len;
                    self.flush();
                    len = 0;
                }
                // The word stored as it is, then after each `%` (at its lane `k`, moved two
                // bytes on by each `%` before it) `25`, and the lanes after it with one 8-byte
                // store (zeros past them, overwritten later). The loop runs once a `%`, not once
                // a byte.
                self.buf[len..len + 8].copy_from_slice(&w.to_le_bytes());
                let mut pct = zero_lanes(w ^ (ONES * u64::from(b'%')));
                while pct != 0 {
                    let k = (pct.trailing_zeros() / 8) as usize;
                    pct &= pct - 1;
                    self.buf[len + k + 1..len + k + 3].copy_from_slice(b"25");
                    let rest = w >> (8 * k) >> 8;
                    self.buf[len + k + 3..len + k + 11].copy_from_slice(&rest.to_le_bytes());
                    len += 2;
                }
                len += width;
                i += width;
            }
            self.len = len;
            return;
        }
        for &b in &raw[i..] {
            if len > CAP {
                self.len = len;
                self.flush();
                len = 0;
            }
            self.buf[len..len + 4].copy_from_slice(&[b, b'2', b'5', 0]);
            len += if b == b'%' { 3 } else { 1 };
        }
        self.len = len;
    }

    #[inline(always)]
    pub(crate) fn write_text(&mut self, level: Level, text: Text<'_>) {
        match text {
            Text::Verbatim(bytes) => self.write(bytes),
            Text::Plain(bytes) => self.write_encoded(level, bytes),
            Text::Form(raw) => self.write_form(level, raw),
            Text::Encoded(raw) => match level {
                Level::Once => self.write(raw),
                Level::Twice => self.write_escapes_twice(raw),
            },
        }
    }

    /// Writes the normalized parameter string (`a=1&b=2`), or, at [`Level::Twice`], that
    /// string encoded once more as the base string holds it.
    pub(crate) fn write_normalized<'p, 'a: 'p>(
        &mut self,
        level: Level,
        params: impl IntoIterator<Item = &'p Param<'a>>,
    ) {
        let (eq, amp, n) = level.separators();
        for (i, p) in params.into_iter().enumerate() {
            if i > 0 {
                self.write_short(amp, n);
            }
            self.write_text(level, p.name);
            self.write_short(eq, n);
            self.write_text(level, p.value);
        }
    }

    /// Writes the first `n` (at most eight) bytes of `bytes` with one 8-byte store.
    #[inline(always)]
    fn write_short(&mut self, bytes: [u8; 8], n: usize) {
        if self.len > CAP {
            self.flush();
        }
        let len = self.len;
        self.buf[len..len + 8].copy_from_slice(&bytes);
        self.len = len + n;
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

    /// The escape table, exhaustively against the definition: two hex digits make an escape;
    /// it is its own encoding when its digits are upper-case and its byte is not unreserved.
    #[test]
    fn escape_classes_match_the_definition() {
        for h in 0..=255u8 {
            for l in 0..=255u8 {
                let want = if !(h.is_ascii_hexdigit() && l.is_ascii_hexdigit()) {
                    0
                } else {
                    let byte = hex_value(h) << 4 | hex_value(l);
                    let encoded = [b'%', h, l];
                    let canonical = reference_write(Level::Once, Text::Plain(&[byte])) == encoded;
                    if canonical { ESCAPE } else { SPECIAL }
                };
                assert_eq!(escape_class(Some(&[h, l])), want, "{h} {l}");
            }
        }
        assert_eq!(escape_class(None), 0);
    }

    #[test]
    fn form_components_decode_plus_and_escapes() {
        assert_eq!(
            encoded(Text::Form(b"a+b%2Bc%7e%zz%4")),
            "a%20b%2Bc~%25zz%254"
        );
        assert_eq!(encoded(Text::Form(b"%")), "%25");
    }

    use proptest::prelude::*;

    /// Bytes that exercise every path: unreserved runs, escapes (valid, malformed, lower-case),
    /// `+`, `&`, `=`, `#`, reserved ASCII, control bytes and non-ASCII (UTF-8 and not).
    fn tricky_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                4 => proptest::sample::select(b"aZ09-._~xyzAB".to_vec()),
                3 => Just(b'%'),
                2 => proptest::sample::select(b"0123456789abcdefABCDEFg".to_vec()),
                1 => proptest::sample::select(b"&=+#?/:@!$'()*,; \"<>\\^`{|}".to_vec()),
                1 => any::<u8>(),
                1 => proptest::sample::select(vec![0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xFF, 0x00, 0x7F]),
            ],
            0..max,
        )
    }

    /// The byte-at-a-time splitter and classifier the fused scan replaced: split on `&`, then on
    /// the first `=`, classify each component by every byte. `query`: whether components that
    /// are their own encoding are told apart (a query's escapes are all checked anyway; a
    /// body's are not looked at).
    fn reference_collect(raw: &[u8], query: bool) -> Vec<Param<'_>> {
        // What each class means, not how the scan finds it: `Encoded` is a component with an
        // escape that is its own encoding (decoding it and encoding the result gives it back).
        fn classify(bytes: &[u8], query: bool) -> Text<'_> {
            let has = |c: u8| bytes.contains(&c);
            if has(b'+')
                || (has(b'%')
                    && (!query || reference_write(Level::Once, Text::Form(bytes)) != bytes))
            {
                Text::Form(bytes)
            } else if has(b'%') {
                Text::Encoded(bytes)
            } else {
                Text::plain(bytes)
            }
        }
        let mut out = Vec::new();
        for pair in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &pair[pair.len()..]),
            };
            let name = classify(name, query);
            if !name.eq_plain(b"oauth_signature") {
                out.push(Param::new(name, classify(value, query)));
            }
        }
        out
    }

    /// RFC 3986 `query` validity, byte by byte: where the query ends (`#` or its end), or
    /// `None` if a byte or an escape is invalid.
    fn reference_query_end(raw: &[u8]) -> Option<usize> {
        let end = raw.iter().position(|&b| b == b'#').unwrap_or(raw.len());
        let q = &raw[..end];
        let ok = q.iter().enumerate().all(|(i, &b)| {
            if b == b'%' {
                q.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && q.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
            } else {
                UNRESERVED[usize::from(b)] || b"!$&'()*+,;=:@/?".contains(&b)
            }
        });
        ok.then_some(end)
    }

    /// Byte-at-a-time encoding through the tables, the writers' general path.
    fn reference_write(level: Level, text: Text<'_>) -> Vec<u8> {
        let table = level.table();
        let mut out = Vec::new();
        let mut put = |b: u8| {
            out.extend_from_slice(&table[usize::from(b)][..usize::from(table[usize::from(b)][7])])
        };
        match text {
            Text::Verbatim(bytes) | Text::Plain(bytes) => bytes.iter().for_each(|&b| put(b)),
            Text::Form(raw) | Text::Encoded(raw) => FormDecode::new(raw).for_each(put),
        }
        out
    }

    fn written(level: Level, text: Text<'_>) -> Vec<u8> {
        let mut w = Buffered::new(Vec::new());
        w.write_text(level, text);
        w.finish()
    }

    fn normalized(params: &[Param<'_>]) -> Vec<u8> {
        let mut w = Buffered::new(Vec::new());
        w.write_normalized(Level::Twice, params);
        w.finish()
    }

    /// [`Sorted`] (whatever path it takes) orders `params` exactly as the full comparator: read
    /// through its order, a part at a time, and moved into it.
    fn sorts_as_the_comparator(params: &Params<'_>) -> Result<(), TestCaseError> {
        let mut fast = params.clone();
        let order = order(&mut fast);
        let sorted = Sorted::new(&fast, order.as_deref());
        let mut slow = params.to_vec();
        slow.sort_by(cmp_param);
        let n = sorted.len();
        prop_assert_eq!(n, slow.len());
        for (i, p) in slow.iter().enumerate() {
            let got = sorted.get(i).expect("in range");
            prop_assert_eq!((got.name, got.value), (p.name, p.value));
        }
        prop_assert!(sorted.get(n).is_none());
        let mut w = Buffered::new(Vec::new());
        let mid = n / 3;
        sorted.write_normalized(&mut w, Level::Twice, 0..mid);
        sorted.write_normalized(&mut w, Level::Twice, mid..n);
        let mut whole = normalized(&slow[..mid]);
        whole.extend_from_slice(&normalized(&slow[mid..]));
        prop_assert_eq!(w.finish(), whole);
        // The first `k` in order, found by bisection.
        let k = n / 2;
        let cut = slow.get(k).map(|p| p.name);
        let before = |p: &Param<'_>| cut.is_some_and(|c| cmp_text(p.name, c).is_lt());
        prop_assert_eq!(
            sorted.partition_point(before),
            slow.iter().filter(|p| before(p)).count()
        );
        prop_assert_eq!(normalized(&sorted.to_params()), normalized(&slow));
        Ok(())
    }

    /// Form text made of the pieces a body holds: runs of unreserved characters (short and
    /// long), canonical escapes (what `encode` writes), escapes of unreserved bytes, lower-case
    /// escapes, malformed `%`, `+`, raw reserved and non-ASCII bytes, in any mix.
    fn form_pieces(max: usize) -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            6 => proptest::collection::vec(proptest::sample::select(b"aZ09-._~xyzAB".to_vec()), 0..20),
            6 => any::<u8>().prop_map(|b| format!("%{b:02X}").into_bytes()),
            1 => any::<u8>().prop_map(|b| format!("%{b:02x}").into_bytes()),
            1 => proptest::sample::select(vec!["%", "%4", "%G1", "%%41", "%2", "%e9", "%7E", "%41"])
                .prop_map(|s| s.as_bytes().to_vec()),
            1 => Just(b"+".to_vec()),
            1 => proptest::sample::select(b"&=#?/:@!$'()*,; \"<>^`{|}\x00\x7f\xc3\xa9\xff".to_vec())
                .prop_map(|b| vec![b]),
        ];
        proptest::collection::vec(piece, 0..max).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The word test of unreserved bytes is the table, lane by lane.
        #[test]
        fn word_test_matches_the_table(w in any::<u64>(), bytes in tricky_bytes(8)) {
            let mut padded = [b'~'; 8];
            padded[..bytes.len()].copy_from_slice(&bytes);
            for w in [w, u64::from_le_bytes(padded)] {
                let m = not_unreserved(w);
                for (lane, b) in w.to_le_bytes().into_iter().enumerate() {
                    prop_assert_eq!(m >> (8 * lane + 7) & 1 == 1, !UNRESERVED[usize::from(b)]);
                }
            }
            prop_assert_eq!(all_unreserved(&bytes), bytes.iter().all(|&b| UNRESERVED[usize::from(b)]));
        }

        /// The cheaper word test flags exactly the bytes that are not ASCII letters or digits
        /// (every byte that is not unreserved among them), and the block mask gathers it bit
        /// for bit, at every width and offset.
        #[test]
        fn block_masks_match_the_table(w in any::<u64>(), bytes in tricky_bytes(80), at in 0usize..80) {
            let m = not_alphanumeric(w);
            for (lane, b) in w.to_le_bytes().into_iter().enumerate() {
                prop_assert_eq!(m >> (8 * lane + 7) & 1 == 1, !b.is_ascii_alphanumeric());
                prop_assert_eq!(gather(m) >> lane & 1 == 1, !b.is_ascii_alphanumeric());
            }
            prop_assert_eq!(not_unreserved(w) & !m, 0);
            prop_assert_eq!(all_unreserved(&bytes), bytes.iter().all(|&b| UNRESERVED[usize::from(b)]));
            let at = at.min(bytes.len());
            let width = (bytes.len() - at).min(64);
            let bits = special_bits(&bytes, at, width);
            for k in 0..64 {
                let want = k < width && !bytes[at + k].is_ascii_alphanumeric();
                prop_assert_eq!(bits >> k & 1 == 1, want);
            }
        }

        /// The fused scan of a body splits and classifies as the byte-at-a-time reference does,
        /// malformed escapes, non-ASCII and all.
        #[test]
        fn fused_body_scan_matches_the_reference(raw in tricky_bytes(200)) {
            let mut fast = Params::new();
            collect_form(&raw, &mut fast);
            prop_assert_eq!(fast.as_slice().iter().map(|p| (p.name, p.value)).collect::<Vec<_>>(),
                reference_collect(&raw, false).iter().map(|p| (p.name, p.value)).collect::<Vec<_>>());
        }

        /// The fused scan of a query accepts exactly the valid queries, stops at the same `#`,
        /// and splits and classifies them as the reference does.
        #[test]
        fn fused_query_scan_validates_and_matches_the_reference(raw in tricky_bytes(200)) {
            let mut fast = Params::new();
            let got = collect_query(&raw, &mut fast).ok();
            let want = reference_query_end(&raw);
            prop_assert_eq!(got, want);
            if let Some(end) = want {
                prop_assert_eq!(fast.as_slice().iter().map(|p| (p.name, p.value)).collect::<Vec<_>>(),
                    reference_collect(&raw[..end], true).iter().map(|p| (p.name, p.value)).collect::<Vec<_>>());
            }
        }

        /// The 8-byte-store writers give the bytes of the byte-at-a-time encoder, at both levels,
        /// across buffer flushes.
        #[test]
        fn wide_writers_match_the_reference(raw in tricky_bytes(300), repeat in 1usize..12) {
            let long: Vec<u8> = raw.iter().copied().cycle().take(raw.len() * repeat).collect();
            for level in [Level::Once, Level::Twice] {
                for text in [Text::Plain(&long), Text::Form(&long), Text::plain(&long)] {
                    prop_assert_eq!(written(level, text), reference_write(level, text));
                }
                // An encoded text is written as its decoded bytes would be.
                let canonical = reference_write(Level::Once, Text::Plain(&long));
                prop_assert_eq!(
                    written(level, Text::Encoded(&canonical)),
                    reference_write(level, Text::Plain(&long))
                );
            }
        }

        /// An encoded text written twice is its bytes with `25` after every `%`, whatever they
        /// are (runs of `%`, non-ASCII), at every length and offset and across buffer flushes.
        #[test]
        fn escapes_twice_match_the_reference(
            raw in proptest::collection::vec(
                prop_oneof![3 => Just(b'%'), 2 => any::<u8>(), 2 => Just(b'a')],
                0..64,
            ),
            repeat in 1usize..60,
            skip in 0usize..9,
        ) {
            let long: Vec<u8> = raw.iter().copied().cycle().take(raw.len() * repeat).collect();
            for text in [&raw[..], &long[..]] {
                let mut want = Vec::new();
                for &b in text {
                    want.extend_from_slice(if b == b'%' { b"%25" } else { core::slice::from_ref(&b) });
                }
                let mut w = Buffered::new(Vec::new());
                w.write(&b"xxxxxxxx"[..skip]);
                w.write_escapes_twice(text);
                prop_assert_eq!(&w.finish()[skip..], &want[..]);
            }
        }

        /// A form component is written as its decoded bytes encoded, whatever it holds: the
        /// canonical escapes written as they are, everything else decoded and encoded, at both
        /// levels, at every alignment and across buffer flushes.
        #[test]
        fn form_writer_matches_the_reference(raw in form_pieces(40), repeat in 1usize..40, skip in 0usize..10) {
            let long: Vec<u8> = raw.iter().copied().cycle().take(raw.len() * repeat).collect();
            for text in [&raw[..], &raw[skip.min(raw.len())..], &long[..]] {
                for level in [Level::Once, Level::Twice] {
                    let want = reference_write(level, Text::Form(text));
                    prop_assert_eq!(written(level, Text::Form(text)), want.clone());
                    // After other output, so the buffer is at another offset.
                    let mut w = Buffered::new(Vec::new());
                    w.write(&b"x"[..skip.min(1)]);
                    w.write_text(level, Text::Form(text));
                    prop_assert_eq!(&w.finish()[skip.min(1)..], &want[..]);
                }
            }
        }

        /// Comparing texts in any of their forms (decoded, form-encoded, their own encoding)
        /// compares their encoded strings, `%`-heavy, non-ASCII and malformed ones included.
        #[test]
        fn every_form_compares_as_its_encoding(a in tricky_bytes(24), b in tricky_bytes(24)) {
            let (ea, eb) = (
                reference_write(Level::Once, Text::Form(&a)),
                reference_write(Level::Once, Text::Form(&b)),
            );
            // The decoded bytes of each, and the forms that stand for them.
            let (da, db): (Vec<u8>, Vec<u8>) = (FormDecode::new(&a).collect(), FormDecode::new(&b).collect());
            fn forms<'a>(raw: &'a [u8], decoded: &'a [u8], encoded: &'a [u8]) -> Vec<Text<'a>> {
                let mut forms = vec![Text::Form(raw), Text::plain(decoded), Text::Plain(decoded), Text::Encoded(encoded)];
                if !decoded.contains(&b'%') && !decoded.contains(&b'+') {
                    forms.push(Text::Form(decoded));
                }
                forms
            }
            let fa: Vec<Text<'_>> = forms(&a, &da, &ea);
            let fb: Vec<Text<'_>> = forms(&b, &db, &eb);
            for &x in &fa {
                prop_assert_eq!(reference_write(Level::Once, x), ea.clone());
                for &y in &fb {
                    prop_assert_eq!(cmp_text(x, y), ea.cmp(&eb), "{:?} {:?}", x, y);
                }
                prop_assert_eq!(x.eq_plain(&db), ea == eb);
                prop_assert_eq!(first_byte(x), da.first().copied());
                let key = prefix_key(x);
                for &y in &fb {
                    let other = prefix_key(y);
                    if key != other {
                        prop_assert_eq!(key.cmp(&other), ea.cmp(&eb));
                    }
                }
            }
        }

        /// The first-byte shortcut of the protocol block's bounds agrees with the comparator.
        #[test]
        fn protocol_bounds_match_the_comparator(name in tricky_bytes(20), kind in 0..4u8) {
            let canonical = reference_write(Level::Once, Text::Plain(&name));
            let text = match kind {
                0 => Text::Form(&name),
                1 => Text::Plain(&name),
                2 => Text::Encoded(&canonical),
                _ => Text::plain(&name),
            };
            prop_assert_eq!(before_protocol(text), cmp_text(text, Text::Verbatim(b"oauth_consumer_key")).is_lt());
            prop_assert_eq!(after_protocol(text), cmp_text(text, Text::Verbatim(b"oauth_version")).is_gt());
        }

        /// The key of an encoded name, from its fixed-size loads, is its first twelve bytes
        /// zero-padded, at every length.
        #[test]
        fn encoded_keys_are_the_padded_prefix(name in proptest::collection::vec(any::<u8>(), 0..20)) {
            let mut key = [0u8; 16];
            let n = name.len().min(KEY_BYTES);
            key[..n].copy_from_slice(&name[..n]);
            prop_assert_eq!(encoded_key(&name), u128::from_be_bytes(key));
        }

        /// The radix sort orders keys by their prefixes as a stable comparison sort does:
        /// prefixes that vary in few bytes or in all, repeated ones, any order.
        #[test]
        fn radix_sort_matches_a_stable_sort(
            prefixes in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(vec![0u8, 1, b'0', b'9', 0xFF]), 12),
                0..300,
            ),
            base in any::<u128>(),
            fixed in any::<u16>(),
            order in 0..3u8,
        ) {
            // Bytes from a few values, some the same in every key (from `base`): many keys
            // tie on their high bytes, so every byte that varies must be sorted on.
            let mut keys: Vec<u128> = prefixes
                .iter()
                .enumerate()
                .map(|(i, bytes)| {
                    let mut key = base.to_be_bytes();
                    for (k, &b) in bytes.iter().enumerate() {
                        if fixed >> k & 1 == 0 {
                            key[k] = b;
                        }
                    }
                    (u128::from_be_bytes(key) >> 32 << 32) | i as u128
                })
                .collect();
            match order {
                1 => keys.sort_unstable(),
                2 => keys.sort_unstable_by(|a, b| b.cmp(a)),
                _ => {}
            }
            let mut want = keys.clone();
            want.sort_by_key(|&k| k >> 32);
            radix_sort(&mut keys);
            prop_assert_eq!(keys, want);
        }

        /// Many parameters (radix-sorted keys) sort as the full comparator orders them: names
        /// sharing a stem, in index order (not lexicographic), reversed, repeated, of every
        /// kind, with values that tell repeated names apart.
        #[test]
        fn many_params_sort_as_the_comparator(
            names in proptest::collection::vec((0usize..400, 0..6u8), 40..200),
            values in proptest::collection::vec(tricky_bytes(6), 1..8),
            order in 0..3u8,
            all_encoded in any::<bool>(),
        ) {
            // `%7E` is not canonical (`~` is unreserved): such names are form text.
            let odd: &[u8] = if all_encoded { b"param%7F" } else { b"param%7E" };
            let stems: [&[u8]; 6] = [
                b"param", b"param%20", b"param_long_stem_", b"p", odd, b"oauth_x",
            ];
            let mut raw: Vec<(Vec<u8>, Vec<u8>, u8)> = names
                .iter()
                .enumerate()
                .map(|(i, &(n, kind))| {
                    let stem = stems[usize::from(kind) % stems.len()];
                    let name = [stem, n.to_string().as_bytes()].concat();
                    (name, values[i % values.len()].clone(), kind)
                })
                .collect();
            match order {
                1 => raw.sort(),
                2 => raw.sort_by(|a, b| b.cmp(a)),
                _ => {}
            }
            // Names as a query holds them: verbatim, encoded when canonical, form text otherwise
            // (none when `all_encoded`, so both kinds of key are used).
            let params: Params<'_> = raw
                .iter()
                .map(|(n, v, kind)| {
                    let name = match kind {
                        0 | 2 | 3 | 5 => Text::Verbatim(n),
                        4 if !all_encoded => Text::Form(n),
                        1 if !all_encoded && n.len() % 7 == 0 => Text::Form(n),
                        _ => Text::Encoded(n),
                    };
                    Param::new(name, Text::Form(v))
                })
                .collect();
            sorts_as_the_comparator(&params)?;
        }

        /// Sorting (prefix key, index) pairs orders parameters exactly as the full comparator,
        /// with repeated names, long shared prefixes and escaped names.
        #[test]
        fn key_index_sort_matches_the_comparator(
            pairs in proptest::collection::vec((
                prop_oneof![
                    Just(b"oauth_consumer_key".to_vec()),
                    Just(b"oauth_consumer_kez".to_vec()),
                    Just(b"abcdefghijklmnop".to_vec()),
                    Just(b"abcdefghijklmnoq".to_vec()),
                    Just(b"abcdefghijkl%7E".to_vec()),
                    tricky_bytes(16),
                ],
                tricky_bytes(6),
                0..4u8,
            ), 0..40),
        ) {
            fn text(bytes: &[u8], kind: u8) -> Text<'_> {
                match kind {
                    0 => Text::Form(bytes),
                    1 => Text::Plain(bytes),
                    3 => Text::Encoded(bytes),
                    _ => Text::plain(bytes),
                }
            }
            // An encoded text holds its own encoding.
            let pairs: Vec<(Vec<u8>, Vec<u8>, u8)> = pairs
                .into_iter()
                .map(|(n, v, k)| match k {
                    3 => (
                        reference_write(Level::Once, Text::Plain(&n)),
                        reference_write(Level::Once, Text::Plain(&v)),
                        k,
                    ),
                    _ => (n, v, k),
                })
                .collect();
            let params: Params<'_> = pairs
                .iter()
                .map(|(n, v, k)| Param::new(text(n, *k), text(v, *k)))
                .collect();
            sorts_as_the_comparator(&params)?;
        }
    }
}
