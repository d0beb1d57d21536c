//! The OAuth `Authorization` header: render, parse (RFC 5849 §3.5.1) and verify.

use core::fmt;

use crate::encode::{RESERVED, decode_bytes, is_tchar};
use crate::params::Param;
use crate::signer::{Prepared, push_quoted, verify_with};
use crate::{ConsumerSecret, Error, Request, SignatureMethod, TokenSecret};

/// An `Authorization: OAuth …` header as a list of decoded parameters, in order.
///
/// Servers (and webhook receivers) parse an incoming header, look up the secrets for its
/// `oauth_consumer_key` and `oauth_token`, and [`verify`](Self::verify) it. Checking the
/// timestamp window and the nonce is the caller's policy.
///
/// ```
/// use oauth1_sign::{AuthorizationHeader, ConsumerSecret, Request, TokenSecret};
///
/// let header = AuthorizationHeader::parse(
///     r#"OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_nonce="chapoH", oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D""#,
/// )?;
/// assert_eq!(header.consumer_key(), Some("dpf43f3p2l4k3l03"));
/// let request = Request::new("GET", "http://photos.example.net/photos?file=vacation.jpg&size=original");
/// header.verify(&request, &ConsumerSecret::new("kd94hf93k423kf44"), Some(&TokenSecret::new("pfkkdhi9sl3r4s00")))?;
/// # Ok::<(), oauth1_sign::Error>(())
/// ```
///
/// `Debug` redacts `oauth_signature` (with `PLAINTEXT` it is the signing key) and
/// `oauth_verifier`; render the header with [`render`](Self::render) when it is to be sent.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AuthorizationHeader {
    realm: Option<String>,
    params: Vec<(String, String)>,
}

impl AuthorizationHeader {
    /// An empty header; add parameters with [`push`](Self::push).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a parameter (decoded name and value). Names must be non-empty and unique, and
    /// `realm` is set with [`set_realm`](Self::set_realm).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) -> Result<(), Error> {
        let name = name.into();
        if name.is_empty() {
            return Err(Error::MalformedHeader {
                reason: "empty parameter name",
            });
        }
        if name == "realm" {
            return Err(Error::MalformedHeader {
                reason: "`realm` is not a parameter: use set_realm",
            });
        }
        if self.get(&name).is_some() {
            return Err(Error::DuplicateParameter { name });
        }
        self.params.push((name, value.into()));
        Ok(())
    }

    /// Sets the realm, which cannot hold control characters.
    pub fn set_realm(&mut self, realm: impl Into<String>) -> Result<(), Error> {
        let realm = realm.into();
        if realm.chars().any(char::is_control) {
            return Err(Error::InvalidRealm);
        }
        self.realm = Some(realm);
        Ok(())
    }

    /// The realm, if any.
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// The parameters other than `realm`, decoded, in header order.
    pub fn params(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.params.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The decoded value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `oauth_consumer_key`.
    pub fn consumer_key(&self) -> Option<&str> {
        self.get("oauth_consumer_key")
    }

    /// `oauth_token`.
    pub fn token(&self) -> Option<&str> {
        self.get("oauth_token")
    }

    /// `oauth_nonce`.
    pub fn nonce(&self) -> Option<&str> {
        self.get("oauth_nonce")
    }

    /// `oauth_signature` (decoded: base64 for the HMAC methods).
    pub fn signature(&self) -> Option<&str> {
        self.get("oauth_signature")
    }

    /// `oauth_timestamp` as seconds since the Unix epoch.
    pub fn timestamp(&self) -> Result<u64, Error> {
        let value = self.get("oauth_timestamp").ok_or(Error::MissingParameter {
            name: "oauth_timestamp",
        })?;
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidTimestamp);
        }
        value.parse().map_err(|_| Error::InvalidTimestamp)
    }

    /// `oauth_signature_method`, parsed.
    pub fn signature_method(&self) -> Result<SignatureMethod, Error> {
        self.get("oauth_signature_method")
            .ok_or(Error::MissingParameter {
                name: "oauth_signature_method",
            })?
            .parse()
    }

    /// Parses a header value such as `OAuth oauth_consumer_key="…", …`.
    ///
    /// The scheme is matched case-insensitively; parameters are `name="value"` (a bare token
    /// value is accepted too) separated by commas; names and values other than `realm` are
    /// percent-decoded strictly; a repeated parameter is an error. Never panics, whatever the
    /// bytes.
    pub fn parse(value: impl AsRef<[u8]>) -> Result<Self, Error> {
        let value = core::str::from_utf8(value.as_ref()).map_err(|_| Error::NonUtf8 {
            what: "Authorization header",
        })?;
        let mut p = Cursor {
            s: value.as_bytes(),
            i: 0,
        };
        p.skip_ws();
        let scheme = p.token();
        if !scheme.eq_ignore_ascii_case(b"OAuth") {
            return Err(malformed("the scheme is not OAuth"));
        }
        let mut header = Self::new();
        if p.at_end() {
            return Ok(header);
        }
        if !p.skip_ws() {
            return Err(malformed("expected a space after OAuth"));
        }
        loop {
            // Empty list elements (`a="1", , b="2"`) are allowed by RFC 9110 §5.6.1.
            while p.eat(b',') || p.skip_ws() {}
            if p.at_end() {
                break;
            }
            let name = p.token();
            if name.is_empty() {
                return Err(malformed("expected a parameter name"));
            }
            p.skip_ws();
            if !p.eat(b'=') {
                return Err(malformed("expected `=` after a parameter name"));
            }
            p.skip_ws();
            let raw = if p.peek() == Some(b'"') {
                p.quoted_string()?
            } else {
                let token = p.token();
                if token.is_empty() {
                    return Err(malformed("expected a parameter value"));
                }
                // A token is ASCII.
                String::from_utf8_lossy(token).into_owned()
            };
            if name == b"realm" {
                if header.realm.is_some() {
                    return Err(Error::DuplicateParameter {
                        name: "realm".to_owned(),
                    });
                }
                header.set_realm(raw)?;
            } else {
                let name = decode_bytes(name, "Authorization header parameter name")?;
                let value = decode_bytes(raw.as_bytes(), "Authorization header parameter value")?;
                header.push(name, value)?;
            }
            p.skip_ws();
            if p.at_end() {
                break;
            }
            if !p.eat(b',') {
                return Err(malformed("expected `,` between parameters"));
            }
        }
        Ok(header)
    }

    /// Renders the header value: `OAuth `, the realm if any, then `name="value"` pairs in order,
    /// percent-encoded, separated by `, `.
    ///
    /// There is no `Display`: the rendering holds the signature, which for `PLAINTEXT` is the
    /// signing key, so it is produced only when asked for by name.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = self.write_to(&mut out);
        out
    }

    /// Recomputes the signature of `request` from this header's parameters and the secrets, and
    /// compares it with `oauth_signature` in constant time.
    ///
    /// Every parameter of the header except `realm` and `oauth_signature` takes part, with the
    /// request's query and form body, exactly as the client signed them.
    ///
    /// The header must be complete: `oauth_consumer_key`, `oauth_signature_method` and
    /// `oauth_signature`, plus `oauth_nonce` and a numeric `oauth_timestamp` for the HMAC methods
    /// (RFC 5849 §3.1), and `oauth_version`, if sent, must be `1.0`. Whether the timestamp is
    /// recent and the nonce unseen is the caller's policy.
    pub fn verify(
        &self,
        request: &Request<'_>,
        consumer_secret: &ConsumerSecret,
        token_secret: Option<&TokenSecret>,
    ) -> Result<(), Error> {
        let method = self.signature_method()?;
        if self.consumer_key().is_none() {
            return Err(Error::MissingParameter {
                name: "oauth_consumer_key",
            });
        }
        if method != SignatureMethod::Plaintext {
            if self.nonce().is_none() {
                return Err(Error::MissingParameter {
                    name: "oauth_nonce",
                });
            }
            self.timestamp()?;
        }
        if self.get("oauth_version").is_some_and(|v| v != "1.0") {
            return Err(Error::UnsupportedVersion);
        }
        let signature = self.signature().ok_or(Error::MissingParameter {
            name: "oauth_signature",
        })?;
        let protocol: Vec<Param<'_>> = self
            .params
            .iter()
            .filter(|(n, _)| n != "oauth_signature")
            .map(|(n, v)| Param::plain(n.as_bytes(), v.as_bytes()))
            .collect();
        let prepared = Prepared::new(request, &protocol)?;
        verify_with(&prepared, method, consumer_secret, token_secret, signature)
    }
}

/// Parameters whose values `Debug` never shows.
const REDACTED: [&str; 2] = ["oauth_signature", "oauth_verifier"];

impl fmt::Debug for AuthorizationHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Params<'a>(&'a [(String, String)]);
        impl fmt::Debug for Params<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(n, v)| {
                        let v = if REDACTED.contains(&n.as_str()) {
                            "<redacted>"
                        } else {
                            v
                        };
                        (n, v)
                    }))
                    .finish()
            }
        }
        f.debug_struct("AuthorizationHeader")
            .field("realm", &self.realm)
            .field("params", &Params(&self.params))
            .finish()
    }
}

impl AuthorizationHeader {
    fn write_to(&self, f: &mut impl fmt::Write) -> fmt::Result {
        f.write_str("OAuth ")?;
        let mut first = true;
        if let Some(realm) = &self.realm {
            let mut quoted = String::with_capacity(realm.len() + 2);
            push_quoted(&mut quoted, realm);
            write!(f, "realm=\"{quoted}\"")?;
            first = false;
        }
        for (name, value) in &self.params {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(
                f,
                "{}=\"{}\"",
                percent_encoding::utf8_percent_encode(name, RESERVED),
                percent_encoding::utf8_percent_encode(value, RESERVED)
            )?;
        }
        Ok(())
    }
}

const fn malformed(reason: &'static str) -> Error {
    Error::MalformedHeader { reason }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Skips spaces and tabs; true if any.
    fn skip_ws(&mut self) -> bool {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i > start
    }

    fn token(&mut self) -> &'a [u8] {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    /// An RFC 9110 quoted-string, unescaped; the cursor is on the opening quote.
    fn quoted_string(&mut self) -> Result<String, Error> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(malformed("unterminated quoted string")),
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b) if b == b'\t' || !b.is_ascii_control() => {
                            out.push(b);
                            self.i += 1;
                        }
                        _ => return Err(malformed("invalid escape in a quoted string")),
                    }
                }
                Some(b) if b == b'\t' || !b.is_ascii_control() => {
                    out.push(b);
                    self.i += 1;
                }
                Some(_) => return Err(malformed("control character in a quoted string")),
            }
        }
        // The input was UTF-8 and only ASCII backslashes were removed.
        String::from_utf8(out).map_err(|_| Error::NonUtf8 {
            what: "Authorization header",
        })
    }
}
