//! How the targets read their bytes: lines and HTTP-like messages, so that seeds stay readable
//! and a mutation of one field leaves the others in place.

use std::borrow::Cow;

/// Splits `data` into exactly `n` fields at its first `n - 1` newlines; the last field takes
/// the rest (newlines included), missing fields are empty.
pub fn lines(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut fields = Vec::with_capacity(n);
    let mut rest = data;
    while fields.len() + 1 < n {
        match rest.iter().position(|&b| b == b'\n') {
            Some(at) => {
                fields.push(&rest[..at]);
                rest = &rest[at + 1..];
            }
            None => {
                fields.push(rest);
                rest = &[];
            }
        }
    }
    fields.push(rest);
    fields
}

/// A field as text: the UTF-8 it is, or a lossy copy (the parsers take `&str`).
pub fn text(field: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(field)
}

/// An HTTP-like message: a start line, `name: value` header lines, an empty line, the body.
/// A line without `:` is a header with an empty value; `\r` before `\n` is dropped.
pub struct Message<'a> {
    /// The first line.
    pub start: &'a [u8],
    /// Header names and values, untrimmed but for one space after the colon.
    pub headers: Vec<(&'a [u8], &'a [u8])>,
    /// Everything after the empty line.
    pub body: &'a [u8],
}

/// Reads `data` as a [`Message`].
pub fn message(data: &[u8]) -> Message<'_> {
    let mut rest = data;
    let start = strip_cr(next_line(&mut rest));
    let mut headers = Vec::new();
    while !rest.is_empty() {
        let line = strip_cr(next_line(&mut rest));
        if line.is_empty() {
            break;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(at) => (&line[..at], &line[at + 1..]),
            None => (line, &[][..]),
        };
        headers.push((name, value.strip_prefix(b" ").unwrap_or(value)));
    }
    Message {
        start,
        headers,
        body: rest,
    }
}

/// The bytes up to the next newline (or the end), and `rest` moved past it.
fn next_line<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    let at = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = &rest[..at];
    *rest = rest.get(at + 1..).unwrap_or_default();
    line
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_always_gives_n_fields() {
        assert_eq!(lines(b"a\nb\nc\nd", 3), [&b"a"[..], b"b", b"c\nd"]);
        assert_eq!(lines(b"a", 3), [&b"a"[..], b"", b""]);
    }

    #[test]
    fn messages_split_head_and_body() {
        let m = message(b"200\r\nA: 1\r\nB:2\nC\n\nbody\n");
        assert_eq!(m.start, b"200");
        assert_eq!(
            m.headers,
            [(&b"A"[..], &b"1"[..]), (b"B", b"2"), (b"C", b"")]
        );
        assert_eq!(m.body, b"body\n");
    }
}
