//! Splitting an absolute URL into the parts RFC 5849 §3.4.1.2 signs.
//!
//! Strict on purpose: a URL this module accepts is signed exactly as it is sent, so there is no
//! normalization (dot segments, case of escapes, encoding of raw characters) that a transport
//! could apply differently after signing.

use crate::Error;
use crate::params::{self, Params};

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
}

const fn invalid(reason: &'static str) -> Error {
    Error::InvalidUrl { reason }
}

const PATH: u8 = 1;
const QUERY: u8 = 2;
const HOST: u8 = 4;

/// Character classes: `PATH` is `pchar` and `/`, `QUERY` adds `?`, `HOST` is a reg-name
/// character this crate accepts (ASCII: use the punycode form of a name). `%` is checked apart.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let unreserved = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        let sub_delim = matches!(
            c,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
        );
        let pchar = unreserved || sub_delim || c == b':' || c == b'@';
        if pchar || c == b'/' {
            t[b] |= PATH | QUERY;
        }
        if c == b'?' {
            t[b] |= QUERY;
        }
        if unreserved {
            t[b] |= HOST;
        }
        b += 1;
    }
    t
};

/// Scans `s` from `start` while its bytes are of `class` or well-formed `%XX` escapes; returns
/// where it stopped: at the end, or at a byte of `stops`. Any other byte is an error.
///
/// One table look-up a byte (path segments are short: a word test would not pay); each escape
/// is checked where it is met.
fn scan(
    s: &[u8],
    start: usize,
    class: u8,
    stops: &[u8],
    reason: &'static str,
) -> Result<usize, Error> {
    let mut i = start;
    while let Some(&b) = s.get(i) {
        if CLASS[usize::from(b)] & class != 0 {
            i += 1;
        } else if b == b'%' {
            if !(s.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return Err(invalid("a `%` not followed by two hex digits"));
            }
            i += 3;
        } else if stops.contains(&b) {
            return Ok(i);
        } else {
            return Err(invalid(reason));
        }
    }
    Ok(i)
}

/// Splits and validates `url`, adding its query parameters to `params` in the same pass that
/// validates the query.
pub(crate) fn parse<'a>(url: &'a str, params: &mut Params<'a>) -> Result<RequestUrl<'a>, Error> {
    let bytes = url.as_bytes();
    let (https, start) = if bytes.len() >= 8 && bytes[..8].eq_ignore_ascii_case(b"https://") {
        (true, 8)
    } else if bytes.len() >= 7 && bytes[..7].eq_ignore_ascii_case(b"http://") {
        (false, 7)
    } else if url.contains("://") {
        return Err(invalid("unsupported scheme (expected http or https)"));
    } else {
        return Err(invalid(
            "not an absolute URL (expected http:// or https://)",
        ));
    };

    let authority_end = bytes[start..]
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .map_or(bytes.len(), |i| start + i);
    let (host, port) = split_host_port(&url[start..authority_end])?;
    let default_port = if https { 443 } else { 80 };
    let port = port.filter(|&p| p != default_port);

    let path_end = scan(
        bytes,
        authority_end,
        PATH,
        b"?#",
        "invalid character in the path",
    )?;
    let fragment_start = if bytes.get(path_end) == Some(&b'?') {
        path_end + 1 + params::collect_query(&bytes[path_end + 1..], params)?
    } else {
        path_end
    };
    if fragment_start < bytes.len() {
        let end = scan(
            bytes,
            fragment_start + 1,
            QUERY,
            b"",
            "invalid character in the fragment",
        )?;
        debug_assert_eq!(end, bytes.len());
    }

    Ok(RequestUrl {
        https,
        host,
        port,
        path: &url[authority_end..path_end],
    })
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), Error> {
    // The common case in one pass: a registered name, then nothing or `:` and digits.
    let bytes = authority.as_bytes();
    let name = bytes
        .iter()
        .position(|&b| CLASS[usize::from(b)] & HOST == 0)
        .unwrap_or(bytes.len());
    if name > 0
        && (name == bytes.len() || bytes[name] == b':')
        && bytes
            .get(name + 1..)
            .is_none_or(|p| p.len() <= 5 && p.iter().all(u8::is_ascii_digit))
    {
        let port = match authority.get(name + 1..) {
            None | Some("") => None,
            Some(digits) => Some(
                digits
                    .parse::<u16>()
                    .map_err(|_| invalid("port out of range"))?,
            ),
        };
        return Ok((&authority[..name], port));
    }
    split_host_port_general(authority)
}

/// Everything else, with the precise error.
fn split_host_port_general(authority: &str) -> Result<(&str, Option<u16>), Error> {
    if authority.contains('@') {
        return Err(invalid("user information in the URL is not supported"));
    }
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
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if !host.bytes().all(|b| CLASS[usize::from(b)] & HOST != 0) {
            return Err(invalid(
                "invalid character in the host (use the ASCII/punycode form)",
            ));
        }
        (host, port)
    };
    if host.is_empty() {
        return Err(invalid("empty host"));
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
    use crate::params::Text;

    #[test]
    fn splits_and_drops_default_ports() {
        /// Name and value bytes.
        type Pairs = Vec<(Vec<u8>, Vec<u8>)>;
        // The query's pairs, as (name, value) texts.
        fn query(url: &str) -> (RequestUrl<'_>, Pairs) {
            let mut params = Params::new();
            let u = parse(url, &mut params).unwrap();
            let bytes = |t: Text<'_>| match t {
                Text::Verbatim(b) | Text::Plain(b) | Text::Form(b) | Text::Encoded(b) => b.to_vec(),
            };
            let pairs = params
                .iter()
                .map(|p| (bytes(p.name), bytes(p.value)))
                .collect();
            (u, pairs)
        }
        let pair = |n: &str, v: &str| vec![(n.as_bytes().to_vec(), v.as_bytes().to_vec())];
        let (u, q) = query("HTTP://Example.COM:80/r%20v/X?id=123#frag");
        assert!(!u.https);
        assert_eq!(
            (u.host, u.port, u.path, q),
            ("Example.COM", None, "/r%20v/X", pair("id", "123"))
        );
        let (u, q) = query("https://www.example.net:8080/?q=1");
        assert_eq!((u.port, u.path, q), (Some(8080), "/", pair("q", "1")));
        let (u, q) = query("https://example.com:443");
        assert_eq!((u.port, u.path, q), (None, "", vec![]));
        let (u, _) = query("http://[::1]:8080/x");
        assert_eq!((u.host, u.port), ("[::1]", Some(8080)));
        let (u, q) = query("https://example.com?a=b");
        assert_eq!((u.path, q), ("", pair("a", "b")));
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
                matches!(
                    parse(bad, &mut Params::new()),
                    Err(Error::InvalidUrl { .. })
                ),
                "{bad:?}"
            );
        }
    }

    proptest::proptest! {
        /// The one-pass host and port split equals the general one on random authorities.
        #[test]
        fn one_pass_authority_split_matches_the_general(
            authority in "[a-zA-Z0-9.:@\\[\\]_~%-]{0,12}|[a-z.]{1,8}:[0-9]{0,7}",
        ) {
            proptest::prop_assert_eq!(split_host_port(&authority), split_host_port_general(&authority));
        }
    }
}
