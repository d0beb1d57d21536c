//! Splitting an absolute URL into the parts RFC 5849 §3.4.1.2 signs.
//!
//! Strict on purpose: a URL this module accepts is signed exactly as it is sent, so there is no
//! normalization (dot segments, case of escapes, encoding of raw characters) that a transport
//! could apply differently after signing.

use crate::Error;

/// The parts of a request URL that take part in the signature.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestUrl<'a> {
    pub(crate) https: bool,
    /// As written; lower-cased when signed.
    pub(crate) host: &'a str,
    /// `None` when absent, empty or the scheme's default port.
    pub(crate) port: Option<u16>,
    /// As written (still percent-encoded); empty means `/`.
    pub(crate) path: &'a str,
    /// The raw query, without `?`; empty when absent.
    pub(crate) query: &'a str,
}

const fn invalid(reason: &'static str) -> Error {
    Error::InvalidUrl { reason }
}

/// RFC 3986 `pchar` minus `%` (checked separately): unreserved, sub-delims, `:` and `@`.
const fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

/// Checks that `s` holds only `pchar`, the `extra` bytes, and well-formed `%XX` escapes.
fn check_chars(s: &str, extra: &[u8], reason: &'static str) -> Result<(), Error> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return Err(invalid("a `%` not followed by two hex digits")),
            }
        } else if is_pchar(b) || extra.contains(&b) {
            i += 1;
        } else {
            return Err(invalid(reason));
        }
    }
    Ok(())
}

pub(crate) fn parse(url: &str) -> Result<RequestUrl<'_>, Error> {
    let (scheme, rest) = url.split_once("://").ok_or(invalid(
        "not an absolute URL (expected http:// or https://)",
    ))?;
    let https = if scheme.eq_ignore_ascii_case("https") {
        true
    } else if scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return Err(invalid("unsupported scheme (expected http or https)"));
    };

    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err(invalid("user information in the URL is not supported"));
    }
    let (host, port) = split_host_port(authority)?;
    let default_port = if https { 443 } else { 80 };
    let port = port.filter(|&p| p != default_port);

    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    check_chars(fragment, b"/?", "invalid character in the fragment")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    check_chars(path, b"/", "invalid character in the path")?;
    check_chars(query, b"/?", "invalid character in the query")?;

    Ok(RequestUrl {
        https,
        host,
        port,
        path,
        query,
    })
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), Error> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority
            .find(']')
            .ok_or(invalid("unterminated IPv6 address"))?;
        let (host, after) = authority.split_at(end + 1);
        let inner = &host[1..end];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(invalid("invalid IPv6 address"));
        }
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(invalid("unexpected characters after the IPv6 address")),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(invalid("empty host"));
    }
    if !host.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    {
        return Err(invalid(
            "invalid character in the host (use the ASCII/punycode form)",
        ));
    }
    let port = match port {
        None | Some("") => None,
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => Some(
            digits
                .parse::<u16>()
                .map_err(|_| invalid("port out of range"))?,
        ),
        Some(_) => return Err(invalid("invalid port")),
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_drops_default_ports() {
        let u = parse("HTTP://Example.COM:80/r%20v/X?id=123#frag").unwrap();
        assert!(!u.https);
        assert_eq!(
            (u.host, u.port, u.path, u.query),
            ("Example.COM", None, "/r%20v/X", "id=123")
        );
        let u = parse("https://www.example.net:8080/?q=1").unwrap();
        assert_eq!((u.port, u.path, u.query), (Some(8080), "/", "q=1"));
        let u = parse("https://example.com:443").unwrap();
        assert_eq!((u.port, u.path, u.query), (None, "", ""));
        let u = parse("http://[::1]:8080/x").unwrap();
        assert_eq!((u.host, u.port), ("[::1]", Some(8080)));
        let u = parse("https://example.com?a=b").unwrap();
        assert_eq!((u.path, u.query), ("", "a=b"));
    }

    #[test]
    fn rejects_what_cannot_be_signed_unambiguously() {
        for bad in [
            "",
            "example.com/path",
            "ftp://example.com/",
            "https://",
            "https://user:pass@example.com/",
            "https://exa mple.com/",
            "https://example.com:99999/",
            "https://example.com:8a/",
            "https://example.com/a b",
            "https://example.com/a?b=c d",
            "https://example.com/%zz",
            "https://example.com/%4",
            "https://ex\u{e4}mple.com/",
            "https://[::1/",
            "https://[]/",
            "https://[::1]x/",
            "https://example.com/\u{e4}",
        ] {
            assert!(
                matches!(parse(bad), Err(Error::InvalidUrl { .. })),
                "{bad:?}"
            );
        }
    }
}
