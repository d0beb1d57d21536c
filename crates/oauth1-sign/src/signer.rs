//! Signing requests: the signature base string (RFC 5849 §3.4.1), the signature (§3.4.2–3.4.4)
//! and the `Authorization` header (§3.5.1).

use core::fmt;
use core::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::encode::{RESERVED, is_tchar};
use crate::params::{self, Absorb, Buffered, Level, Param, Params, Text};
use crate::url::{self, RequestUrl};
use crate::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, Error, Token, TokenCredentials, TokenSecret,
};

/// How a request is signed (RFC 5849 §3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SignatureMethod {
    /// `HMAC-SHA1`: what X requires.
    #[default]
    HmacSha1,
    /// `HMAC-SHA256` (not accepted by X, as far as anyone has shown).
    HmacSha256,
    /// `PLAINTEXT`: the signing key itself, for use over TLS only.
    Plaintext,
}

impl SignatureMethod {
    /// The name sent as `oauth_signature_method`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC-SHA1",
            Self::HmacSha256 => "HMAC-SHA256",
            Self::Plaintext => "PLAINTEXT",
        }
    }
}

impl fmt::Display for SignatureMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignatureMethod {
    type Err = Error;

    /// Parses the exact names of RFC 5849 (they are case-sensitive).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "HMAC-SHA1" => Ok(Self::HmacSha1),
            "HMAC-SHA256" => Ok(Self::HmacSha256),
            "PLAINTEXT" => Ok(Self::Plaintext),
            _ => Err(Error::UnsupportedSignatureMethod),
        }
    }
}

/// The parts of an HTTP request that are signed: method, URL (with its query) and a form body.
///
/// A body is signed only when it is `application/x-www-form-urlencoded`; JSON and multipart
/// bodies are not part of an OAuth 1.0a signature.
///
/// `Debug` shows the body's length, not its bytes (a form body can carry a verifier or a
/// password).
#[derive(Clone, Copy)]
pub struct Request<'a> {
    method: &'a str,
    url: &'a str,
    form_body: Option<&'a [u8]>,
}

impl<'a> Request<'a> {
    /// A request without a signed body. The method is accepted in any case; the URL must be an
    /// absolute `http` or `https` URL, and its query parameters are signed.
    pub const fn new(method: &'a str, url: &'a str) -> Self {
        Self {
            method,
            url,
            form_body: None,
        }
    }

    /// Adds an `application/x-www-form-urlencoded` body, whose parameters are signed.
    ///
    /// The body is decoded as a form (`+` is a space, `%XX` a byte) and each parameter is signed
    /// as the bytes it decodes to, UTF-8 or not: `%FF` is signed as `%FF`, as RFC 5849 reads
    /// (oauthlib would substitute U+FFFD and sign something else).
    #[must_use]
    pub const fn form_body(mut self, body: &'a [u8]) -> Self {
        self.form_body = Some(body);
        self
    }

    /// Adds a body with its `Content-Type`: signed only if the media type is
    /// `application/x-www-form-urlencoded` (compared case-insensitively, parameters such as
    /// `charset` ignored).
    #[must_use]
    pub fn body(self, content_type: Option<&str>, body: &'a [u8]) -> Self {
        match content_type {
            Some(ct) if is_form_content_type(ct) => self.form_body(body),
            _ => self,
        }
    }

    /// The method as given.
    pub const fn method(&self) -> &'a str {
        self.method
    }

    /// The URL as given.
    pub const fn url(&self) -> &'a str {
        self.url
    }
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("form_body_len", &self.form_body.map(<[u8]>::len))
            .finish()
    }
}

/// Whether a `Content-Type` value names a form body, whose parameters are signed.
///
/// ```
/// use oauth1_sign::is_form_content_type;
/// assert!(is_form_content_type("application/x-www-form-urlencoded; charset=UTF-8"));
/// assert!(!is_form_content_type("application/json"));
/// ```
#[must_use]
pub fn is_form_content_type(content_type: &str) -> bool {
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// The per-request protocol values: nonce and timestamp always, the others on the requests that
/// need them.
///
/// `Debug` redacts the verifier, which can be exchanged for an access token.
#[derive(Clone, Copy)]
pub struct OAuthParams<'a> {
    nonce: &'a str,
    timestamp: Timestamp<'a>,
    callback: Option<&'a str>,
    verifier: Option<&'a str>,
    realm: Option<&'a str>,
    version: bool,
}

impl<'a> OAuthParams<'a> {
    /// `oauth_nonce` and `oauth_timestamp` (seconds since the Unix epoch). `oauth_version="1.0"`
    /// is sent too, as X asks.
    pub const fn new(nonce: &'a str, timestamp: u64) -> Self {
        Self::with_timestamp(nonce, Timestamp::Seconds(timestamp))
    }

    /// Like [`new`](Self::new), with the timestamp as the exact text to sign: for reproducing
    /// another implementation's signature. X requires whole seconds.
    pub const fn with_timestamp_str(nonce: &'a str, timestamp: &'a str) -> Self {
        Self::with_timestamp(nonce, Timestamp::Text(timestamp))
    }

    const fn with_timestamp(nonce: &'a str, timestamp: Timestamp<'a>) -> Self {
        Self {
            nonce,
            timestamp,
            callback: None,
            verifier: None,
            realm: None,
            version: true,
        }
    }

    /// `oauth_callback`, for a request-token call (a URL, or `oob` for the PIN flow).
    #[must_use]
    pub const fn callback(mut self, callback: &'a str) -> Self {
        self.callback = Some(callback);
        self
    }

    /// `oauth_verifier`, for an access-token call.
    #[must_use]
    pub const fn verifier(mut self, verifier: &'a str) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// A `realm` for the header (never signed; X does not use it).
    #[must_use]
    pub const fn realm(mut self, realm: &'a str) -> Self {
        self.realm = Some(realm);
        self
    }

    /// Leaves `oauth_version` out (RFC 5849 makes it optional; X's docs send it).
    #[must_use]
    pub const fn without_version(mut self) -> Self {
        self.version = false;
        self
    }
}

#[derive(Clone, Copy, Debug)]
enum Timestamp<'a> {
    Seconds(u64),
    Text(&'a str),
}

impl<'a> Timestamp<'a> {
    /// The text to sign; `buf` holds the digits of a number.
    fn text<'b>(self, buf: &'b mut itoa::Buffer) -> &'b str
    where
        'a: 'b,
    {
        match self {
            Timestamp::Seconds(n) => buf.format(n),
            Timestamp::Text(s) => s,
        }
    }
}

impl fmt::Debug for OAuthParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthParams")
            .field("nonce", &self.nonce)
            .field("timestamp", &self.timestamp)
            .field("callback", &self.callback)
            .field("verifier", &self.verifier.map(|_| "<redacted>"))
            .field("realm", &self.realm)
            .field("version", &self.version)
            .finish()
    }
}

/// The keyed state that makes signatures.
#[derive(Clone)]
pub(crate) enum Key {
    HmacSha1(Hmac<Sha1>),
    HmacSha256(Hmac<Sha256>),
    Plaintext(Zeroizing<String>),
}

impl Absorb for Hmac<Sha1> {
    fn absorb(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Absorb for Hmac<Sha256> {
    fn absorb(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// `encode(consumer_secret) & encode(token_secret)` (RFC 5849 §3.4.2).
fn signing_key(
    consumer_secret: &ConsumerSecret,
    token_secret: Option<&TokenSecret>,
) -> Zeroizing<String> {
    let consumer = consumer_secret.secret();
    let token = token_secret.map_or("", TokenSecret::secret);
    let mut key = Zeroizing::new(String::with_capacity(
        3 * (consumer.len() + token.len()) + 1,
    ));
    key.extend(percent_encoding::utf8_percent_encode(consumer, RESERVED));
    key.push('&');
    key.extend(percent_encoding::utf8_percent_encode(token, RESERVED));
    key
}

impl Key {
    fn new(
        method: SignatureMethod,
        consumer_secret: &ConsumerSecret,
        token_secret: Option<&TokenSecret>,
    ) -> Self {
        let key = signing_key(consumer_secret, token_secret);
        match method {
            SignatureMethod::HmacSha1 => Self::HmacSha1(
                Mac::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length"),
            ),
            SignatureMethod::HmacSha256 => Self::HmacSha256(
                Mac::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length"),
            ),
            SignatureMethod::Plaintext => Self::Plaintext(key),
        }
    }
}

/// A signature: the HMAC digest (at most 32 bytes, kept on the stack), or the PLAINTEXT key.
pub(crate) enum RawSignature<'k> {
    Digest { bytes: [u8; 32], len: usize },
    Plaintext(&'k str),
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Each base64 character (index 64: the padding `=`) as written, and its length in the last
/// byte: as is, or percent-encoded (`+`, `/` and `=` become `%2B`, `%2F` and `%3D`).
const fn base64_table(encoded: bool) -> [[u8; 4]; 65] {
    let mut t = [[0u8; 4]; 65];
    let mut i = 0;
    while i < 65 {
        let c = if i < 64 { BASE64_ALPHABET[i] } else { b'=' };
        let escape: &[u8; 3] = match c {
            b'+' => b"%2B",
            b'/' => b"%2F",
            _ => b"%3D",
        };
        if encoded && !c.is_ascii_alphanumeric() {
            t[i] = [escape[0], escape[1], escape[2], 3];
        } else {
            t[i] = [c, 0, 0, 1];
        }
        i += 1;
    }
    t
}

static BASE64_PLAIN: [[u8; 4]; 65] = base64_table(false);
static BASE64_ENCODED: [[u8; 4]; 65] = base64_table(true);

impl RawSignature<'_> {
    /// Appends the signature as `oauth_signature` holds it (base64 for the HMAC methods),
    /// percent-encoded if `encoded`.
    ///
    /// Base64 is written into a stack buffer, each character (or its escape, for `+`, `/` and
    /// `=`) with one 4-byte store from a table, and appended with one `push_str`; the buffer is
    /// ASCII, so checking it as UTF-8 is one short pass.
    pub(crate) fn push_to(&self, out: &mut String, encoded: bool) {
        let bytes = match self {
            Self::Digest { bytes, len } => &bytes[..*len],
            Self::Plaintext(key) if encoded => return push_encoded(out, key),
            Self::Plaintext(key) => return out.push_str(key),
        };
        let table = if encoded {
            &BASE64_ENCODED
        } else {
            &BASE64_PLAIN
        };
        // At most 32 bytes: 44 characters, three bytes each when escaped, and 4 bytes of room
        // for the last store.
        let mut buf = [0u8; 136];
        let mut len = 0;
        let mut put = |index: u32| {
            let entry = &table[index as usize];
            buf[len..len + 4].copy_from_slice(entry);
            len += usize::from(entry[3]);
        };
        let mut groups = bytes.chunks_exact(3);
        for g in &mut groups {
            let n = u32::from(g[0]) << 16 | u32::from(g[1]) << 8 | u32::from(g[2]);
            for shift in [18, 12, 6, 0] {
                put(n >> shift & 63);
            }
        }
        if let [first, rest @ ..] = groups.remainder() {
            let second = rest.first().copied();
            let n = u32::from(*first) << 16 | u32::from(second.unwrap_or(0)) << 8;
            put(n >> 18 & 63);
            put(n >> 12 & 63);
            // Past the input, the padding character (index 64).
            put(if second.is_some() { n >> 6 & 63 } else { 64 });
            put(64);
        }
        out.push_str(core::str::from_utf8(&buf[..len]).unwrap_or_default());
    }

    /// The signature as `oauth_signature` holds it, before percent-encoding.
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::with_capacity(44);
        self.push_to(&mut out, false);
        out
    }

    /// An upper bound of the encoded length.
    const fn encoded_len(&self) -> usize {
        match self {
            Self::Digest { len, .. } => 3 * 4 * len.div_ceil(3),
            Self::Plaintext(key) => 3 * key.len(),
        }
    }
}

fn digest_signature(digest: &[u8]) -> RawSignature<'static> {
    let mut bytes = [0u8; 32];
    bytes[..digest.len()].copy_from_slice(digest);
    RawSignature::Digest {
        bytes,
        len: digest.len(),
    }
}

/// The method, URL and parameters of one request, ready to be written as a base string.
pub(crate) struct Prepared<'a> {
    method: &'a str,
    url: RequestUrl<'a>,
    params: Params<'a>,
    /// The order of `params` ([`params::order`]).
    order: Option<Vec<u128>>,
    /// The signer's precomputed protocol parameters, written before the `at`-th parameter in
    /// order; `None` when
    /// the protocol parameters are among `params`.
    block: Option<(usize, Block<'a>)>,
}

/// The protocol parameters of the common request (no callback, no verifier, `oauth_version`
/// sent) as the signer precomputed them, with this request's nonce and timestamp.
struct Block<'a> {
    fragments: &'a Fragments,
    nonce: &'a str,
    timestamp: &'a str,
}

/// A signer's constant text: the protocol parameters of the base string and of the header, cut
/// where the nonce, the signature and the timestamp go. Made once per signer, so that a request
/// writes a handful of slices instead of encoding and sorting every parameter.
#[derive(Clone)]
struct Fragments {
    /// `oauth_consumer_key%3D…%26oauth_nonce%3D`
    base_head: Box<[u8]>,
    /// `%26oauth_signature_method%3D…%26oauth_timestamp%3D`
    base_mid: Box<[u8]>,
    /// `%26oauth_token%3D…%26oauth_version%3D1.0`
    base_tail: Box<[u8]>,
    /// `OAuth oauth_consumer_key="…", oauth_nonce="`
    header_head: Box<str>,
    /// `", oauth_signature_method="…", oauth_timestamp="`
    header_mid: Box<str>,
    /// `"[, oauth_token="…"], oauth_version="1.0"`
    header_tail: Box<str>,
}

impl Fragments {
    fn new(consumer_key: &str, token: Option<&str>, method: SignatureMethod) -> Self {
        let twice = |s: &str| {
            let mut out = Buffered::new(Vec::new());
            out.write_encoded(Level::Twice, s.as_bytes());
            out.finish()
        };
        let once = |s: &str| crate::encode(s);
        let mut base_tail = Vec::new();
        let mut header_tail = String::from("\"");
        if let Some(token) = token {
            base_tail.extend_from_slice(b"%26oauth_token%3D");
            base_tail.extend_from_slice(&twice(token));
            header_tail.push_str(", oauth_token=\"");
            header_tail.push_str(&once(token));
            header_tail.push('"');
        }
        base_tail.extend_from_slice(b"%26oauth_version%3D1.0");
        header_tail.push_str(", oauth_version=\"1.0\"");
        Self {
            base_head: [
                b"oauth_consumer_key%3D",
                &twice(consumer_key)[..],
                b"%26oauth_nonce%3D",
            ]
            .concat()
            .into(),
            base_mid: [
                b"%26oauth_signature_method%3D",
                method.as_str().as_bytes(),
                b"%26oauth_timestamp%3D",
            ]
            .concat()
            .into(),
            base_tail: base_tail.into(),
            header_head: format!(
                "OAuth oauth_consumer_key=\"{}\", oauth_nonce=\"",
                once(consumer_key)
            )
            .into(),
            header_mid: format!("\", oauth_signature_method=\"{method}\", oauth_timestamp=\"")
                .into(),
            header_tail: header_tail.into(),
        }
    }
}

/// Checks the method and the URL, and collects the query and form-body parameters (unsorted).
#[inline(always)]
fn collect<'a>(request: &Request<'a>) -> Result<(&'a str, RequestUrl<'a>, Params<'a>), Error> {
    let method = request.method;
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(Error::InvalidMethod);
    }
    let mut params = Params::new();
    let url = url::parse(request.url, &mut params)?;
    if let Some(body) = request.form_body {
        params::collect_form(body, &mut params);
    }
    Ok((method, url, params))
}

impl<'a> Prepared<'a> {
    /// Collects the query, the form body and the given protocol parameters, and sorts them.
    #[inline(always)]
    pub(crate) fn new(request: &Request<'a>, protocol: &[Param<'a>]) -> Result<Self, Error> {
        let (method, url, mut params) = collect(request)?;
        params.extend_from_slice(protocol);
        let order = params::order(&mut params);
        Ok(Self {
            method,
            url,
            params,
            order,
            block: None,
        })
    }

    /// Like [`new`](Self::new) with the protocol parameters precomputed in `block`; `None` when
    /// a query or body parameter would sort among them (then the general path must be used).
    #[inline(always)]
    fn with_block(request: &Request<'a>, block: Block<'a>) -> Result<Option<Self>, Error> {
        let (method, url, mut params) = collect(request)?;
        let order = params::order(&mut params);
        let sorted = params::Sorted::new(&params, order.as_deref());
        let at = sorted.partition_point(|p| params::before_protocol(p.name));
        if sorted
            .get(at)
            .is_some_and(|p| !params::after_protocol(p.name))
        {
            return Ok(None);
        }
        Ok(Some(Self {
            method,
            url,
            params,
            order,
            block: Some((at, block)),
        }))
    }

    /// The parameters in order.
    fn sorted(&self) -> params::Sorted<'_, 'a> {
        params::Sorted::new(&self.params, self.order.as_deref())
    }

    /// Writes the signature base string (§3.4.1.1).
    pub(crate) fn write_base_string<M: Absorb>(&self, out: &mut Buffered<M>) {
        let method = self.method.as_bytes();
        let mut upper = [0u8; 16];
        if method.len() <= upper.len() && method.iter().all(u8::is_ascii_uppercase) {
            out.write_encoded(Level::Once, method);
        } else if method.len() <= upper.len() {
            let upper = &mut upper[..method.len()];
            upper.copy_from_slice(method);
            upper.make_ascii_uppercase();
            out.write_encoded(Level::Once, upper);
        } else {
            out.write_encoded(Level::Once, self.method.to_ascii_uppercase().as_bytes());
        }
        out.write(if self.url.https {
            b"&https%3A%2F%2F"
        } else {
            b"&http%3A%2F%2F"
        });
        let host = self.url.host.as_bytes();
        let mut lower = [0u8; 64];
        if !host.iter().any(u8::is_ascii_uppercase) {
            out.write_encoded(Level::Once, host);
        } else if host.len() <= lower.len() {
            let lower = &mut lower[..host.len()];
            lower.copy_from_slice(host);
            lower.make_ascii_lowercase();
            out.write_encoded(Level::Once, lower);
        } else {
            out.write_encoded(Level::Once, self.url.host.to_ascii_lowercase().as_bytes());
        }
        if let Some(port) = self.url.port {
            out.write(b"%3A");
            out.write(itoa::Buffer::new().format(port).as_bytes());
        }
        let path = if self.url.path.is_empty() {
            "/"
        } else {
            self.url.path
        };
        out.write_encoded(Level::Once, path.as_bytes());
        out.write(b"&");
        match &self.block {
            None => self
                .sorted()
                .write_normalized(out, Level::Twice, 0..self.params.len()),
            Some((at, block)) => {
                let (at, n) = (*at, self.params.len());
                self.sorted().write_normalized(out, Level::Twice, 0..at);
                if at > 0 {
                    out.write(b"%26");
                }
                let f = block.fragments;
                out.write(&f.base_head);
                out.write_text(Level::Twice, Text::plain(block.nonce.as_bytes()));
                out.write(&f.base_mid);
                out.write_text(Level::Twice, Text::plain(block.timestamp.as_bytes()));
                out.write(&f.base_tail);
                if at < n {
                    out.write(b"%26");
                }
                self.sorted().write_normalized(out, Level::Twice, at..n);
            }
        }
    }

    pub(crate) fn base_string(&self) -> String {
        let mut out = Buffered::new(Vec::with_capacity(256));
        self.write_base_string(&mut out);
        // Every byte written is ASCII: escapes and unreserved characters.
        String::from_utf8(out.finish()).unwrap_or_default()
    }

    pub(crate) fn normalized_parameters(&self) -> String {
        let mut out = Buffered::new(Vec::with_capacity(128));
        self.sorted()
            .write_normalized(&mut out, Level::Once, 0..self.params.len());
        String::from_utf8(out.finish()).unwrap_or_default()
    }

    fn sign<'k>(&self, key: &'k Key) -> RawSignature<'k> {
        match key {
            Key::HmacSha1(mac) => {
                let mut mac = mac.clone();
                let mut sink = Buffered::new(&mut mac);
                self.write_base_string(&mut sink);
                sink.finish();
                digest_signature(&mac.finalize().into_bytes())
            }
            Key::HmacSha256(mac) => {
                let mut mac = mac.clone();
                let mut sink = Buffered::new(&mut mac);
                self.write_base_string(&mut sink);
                sink.finish();
                digest_signature(&mac.finalize().into_bytes())
            }
            Key::Plaintext(key) => RawSignature::Plaintext(key),
        }
    }

    /// Checks `signature` (base64, or the key for PLAINTEXT) in constant time.
    pub(crate) fn verify(&self, key: &Key, signature: &str) -> Result<(), Error> {
        use subtle::ConstantTimeEq as _;
        let ok = match key {
            Key::HmacSha1(mac) => {
                let mut sink = Buffered::new(mac.clone());
                self.write_base_string(&mut sink);
                let given = BASE64
                    .decode(signature)
                    .map_err(|_| Error::SignatureMismatch)?;
                sink.finish().verify_slice(&given).is_ok()
            }
            Key::HmacSha256(mac) => {
                let mut sink = Buffered::new(mac.clone());
                self.write_base_string(&mut sink);
                let given = BASE64
                    .decode(signature)
                    .map_err(|_| Error::SignatureMismatch)?;
                sink.finish().verify_slice(&given).is_ok()
            }
            Key::Plaintext(key) => bool::from(key.as_bytes().ct_eq(signature.as_bytes())),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::SignatureMismatch)
        }
    }
}

/// Signs requests for one consumer and, optionally, one token.
///
/// The signing key is derived once, when the signer is made, and the keyed HMAC state is
/// reused for every request: keep one `Signer` per credential pair.
///
/// ```
/// use oauth1_sign::{
///     ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request, Signer, Token,
///     TokenCredentials, TokenSecret,
/// };
///
/// // X's "Creating a signature" example.
/// let consumer = ConsumerCredentials::new(
///     ConsumerKey::new("xvz1evFS4wEEPTGEFPHBog"),
///     ConsumerSecret::new("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"),
/// );
/// let token = TokenCredentials::new(
///     Token::new("370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
///     TokenSecret::new("LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"),
/// );
/// let signer = Signer::new(&consumer, Some(&token));
/// let request = Request::new("POST", "https://api.x.com/1.1/statuses/update.json?include_entities=true")
///     .form_body(b"status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21");
/// let params = OAuthParams::new("kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958);
/// assert_eq!(signer.signature(&request, &params)?, "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");
/// let header = signer.authorization(&request, &params)?;
/// assert!(header.starts_with(r#"OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce="#));
/// # Ok::<(), oauth1_sign::Error>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    consumer_key: ConsumerKey,
    token: Option<Token>,
    method: SignatureMethod,
    key: Key,
    /// Whether the key and the token encode to themselves, found once rather than per request.
    key_verbatim: bool,
    token_verbatim: bool,
    fragments: Fragments,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("consumer_key", &self.consumer_key)
            .field("token", &self.token)
            .field("method", &self.method)
            .field("key", &format_args!("<redacted>"))
            .finish()
    }
}

impl Signer {
    /// An `HMAC-SHA1` signer. Pass no token for a request-token call (the key then ends in `&`).
    #[must_use]
    pub fn new(consumer: &ConsumerCredentials, token: Option<&TokenCredentials>) -> Self {
        Self::with_method(consumer, token, SignatureMethod::HmacSha1)
    }

    /// A signer using another signature method.
    #[must_use]
    pub fn with_method(
        consumer: &ConsumerCredentials,
        token: Option<&TokenCredentials>,
        method: SignatureMethod,
    ) -> Self {
        Self {
            consumer_key: consumer.key.clone(),
            token: token.map(|t| t.token.clone()),
            key_verbatim: is_verbatim(consumer.key.as_str()),
            token_verbatim: token.is_none_or(|t| is_verbatim(t.token.as_str())),
            method,
            key: Key::new(method, &consumer.secret, token.map(|t| &t.secret)),
            fragments: Fragments::new(
                consumer.key.as_str(),
                token.map(|t| t.token.as_str()),
                method,
            ),
        }
    }

    /// The precomputed protocol block, when this request's protocol parameters are the common
    /// ones.
    fn block<'a>(&'a self, oauth: &OAuthParams<'a>, timestamp: &'a str) -> Option<Block<'a>> {
        (oauth.callback.is_none() && oauth.verifier.is_none() && oauth.version).then_some(Block {
            fragments: &self.fragments,
            nonce: oauth.nonce,
            timestamp,
        })
    }

    /// The signature method.
    pub const fn method(&self) -> SignatureMethod {
        self.method
    }

    /// The protocol parameters of one request, sorted by name, with the header text that
    /// introduces each one.
    #[inline(always)]
    fn protocol<'a>(&'a self, oauth: &OAuthParams<'a>, timestamp: &'a str) -> Protocol<'a> {
        let empty = Param::new(Text::Verbatim(b""), Text::Verbatim(b""));
        let mut p = Protocol {
            params: [empty; 8],
            pieces: [""; 8],
            texts: [""; 8],
            len: 0,
            signature_at: 0,
        };
        let known = |verbatim: bool, value: &'a [u8]| {
            if verbatim {
                Text::Verbatim(value)
            } else {
                Text::Plain(value)
            }
        };
        if let Some(callback) = oauth.callback {
            p.push(
                ", oauth_callback=\"",
                callback,
                Text::plain(callback.as_bytes()),
            );
        }
        let key = self.consumer_key.as_str();
        p.push(
            ", oauth_consumer_key=\"",
            key,
            known(self.key_verbatim, key.as_bytes()),
        );
        p.push(
            ", oauth_nonce=\"",
            oauth.nonce,
            Text::plain(oauth.nonce.as_bytes()),
        );
        // `oauth_signature` sorts right after `oauth_nonce`.
        p.signature_at = p.len;
        let method = self.method.as_str();
        p.push(
            ", oauth_signature_method=\"",
            method,
            Text::Verbatim(method.as_bytes()),
        );
        p.push(
            ", oauth_timestamp=\"",
            timestamp,
            Text::plain(timestamp.as_bytes()),
        );
        if let Some(token) = &self.token {
            let token = token.as_str();
            p.push(
                ", oauth_token=\"",
                token,
                known(self.token_verbatim, token.as_bytes()),
            );
        }
        if let Some(verifier) = oauth.verifier {
            p.push(
                ", oauth_verifier=\"",
                verifier,
                Text::plain(verifier.as_bytes()),
            );
        }
        if oauth.version {
            p.push(", oauth_version=\"", "1.0", Text::Verbatim(b"1.0"));
        }
        p
    }

    fn prepare<'a>(
        &'a self,
        request: &Request<'a>,
        oauth: &OAuthParams<'a>,
        timestamp: &'a str,
    ) -> Result<Prepared<'a>, Error> {
        Prepared::new(request, self.protocol(oauth, timestamp).params())
    }

    /// The signature base string (RFC 5849 §3.4.1.1), for debugging a signature.
    pub fn base_string(
        &self,
        request: &Request<'_>,
        oauth: &OAuthParams<'_>,
    ) -> Result<String, Error> {
        let mut digits = itoa::Buffer::new();
        let timestamp = oauth.timestamp.text(&mut digits);
        Ok(self.prepare(request, oauth, timestamp)?.base_string())
    }

    /// The normalized request parameters (RFC 5849 §3.4.1.3.2), for debugging a signature.
    pub fn normalized_parameters(
        &self,
        request: &Request<'_>,
        oauth: &OAuthParams<'_>,
    ) -> Result<String, Error> {
        let mut digits = itoa::Buffer::new();
        let timestamp = oauth.timestamp.text(&mut digits);
        Ok(self
            .prepare(request, oauth, timestamp)?
            .normalized_parameters())
    }

    /// The `oauth_signature` value, before percent-encoding (base64 for the HMAC methods).
    pub fn signature(
        &self,
        request: &Request<'_>,
        oauth: &OAuthParams<'_>,
    ) -> Result<String, Error> {
        let mut digits = itoa::Buffer::new();
        let timestamp = oauth.timestamp.text(&mut digits);
        if let Some(block) = self.block(oauth, timestamp)
            && let Some(prepared) = Prepared::with_block(request, block)?
        {
            return Ok(prepared.sign(&self.key).to_text());
        }
        Ok(self
            .prepare(request, oauth, timestamp)?
            .sign(&self.key)
            .to_text())
    }

    /// The `Authorization` header value: `OAuth ` and the protocol parameters, signature
    /// included, sorted by name, percent-encoded and quoted.
    pub fn authorization(
        &self,
        request: &Request<'_>,
        oauth: &OAuthParams<'_>,
    ) -> Result<String, Error> {
        if oauth.realm.is_some_and(|r| r.chars().any(char::is_control)) {
            return Err(Error::InvalidRealm);
        }
        let mut digits = itoa::Buffer::new();
        let timestamp = oauth.timestamp.text(&mut digits);
        if oauth.realm.is_none()
            && let Some(block) = self.block(oauth, timestamp)
            && let Some(prepared) = Prepared::with_block(request, block)?
        {
            let signature = prepared.sign(&self.key);
            let f = &self.fragments;
            let nonce = oauth.nonce;
            let mut out = String::with_capacity(
                f.header_head.len()
                    + f.header_mid.len()
                    + f.header_tail.len()
                    + 3 * (nonce.len() + timestamp.len())
                    + signature.encoded_len()
                    + 20,
            );
            out.push_str(&f.header_head);
            push_encoded(&mut out, nonce);
            out.push_str("\", oauth_signature=\"");
            signature.push_to(&mut out, true);
            out.push_str(&f.header_mid);
            push_encoded(&mut out, timestamp);
            out.push_str(&f.header_tail);
            return Ok(out);
        }
        let protocol = self.protocol(oauth, timestamp);
        let prepared = Prepared::new(request, protocol.params())?;
        let signature = prepared.sign(&self.key);

        // One allocation: the names and punctuation of the nine parameters take under 200
        // bytes, and every value at most triples when encoded.
        let values: usize = protocol.params().iter().map(|p| p.value.len()).sum();
        let capacity = 200
            + 3 * values
            + signature.encoded_len()
            + oauth.realm.map_or(0, |r| 10 + 2 * r.len());
        let mut out = String::with_capacity(capacity);
        out.push_str("OAuth ");
        // Skips the ", " before the first parameter.
        let mut skip = 2;
        if let Some(realm) = oauth.realm {
            out.push_str("realm=\"");
            push_quoted(&mut out, realm);
            out.push('"');
            skip = 0;
        }
        for i in 0..protocol.len {
            if i == protocol.signature_at {
                out.push_str(", oauth_signature=\"");
                signature.push_to(&mut out, true);
                out.push('"');
            }
            out.push_str(&protocol.pieces[i][skip..]);
            skip = 0;
            match protocol.params[i].value {
                Text::Verbatim(_) => out.push_str(protocol.texts[i]),
                _ => push_encoded(&mut out, protocol.texts[i]),
            }
            out.push('"');
        }
        Ok(out)
    }
}

/// The protocol parameters of a request being signed (at most eight, on the stack).
struct Protocol<'a> {
    params: [Param<'a>; 8],
    /// `, name="` for each parameter, as the header writes it.
    pieces: [&'static str; 8],
    /// Each value as text, for the header.
    texts: [&'a str; 8],
    len: usize,
    /// Where the signature goes among the parameters, in the header.
    signature_at: usize,
}

impl<'a> Protocol<'a> {
    fn push(&mut self, piece: &'static str, text: &'a str, value: Text<'a>) {
        // The name sits between `, ` and `="`.
        let name = &piece.as_bytes()[2..piece.len() - 2];
        self.params[self.len] = Param::new(Text::Verbatim(name), value);
        self.pieces[self.len] = piece;
        self.texts[self.len] = text;
        self.len += 1;
    }

    fn params(&self) -> &[Param<'a>] {
        &self.params[..self.len]
    }
}

fn is_verbatim(s: &str) -> bool {
    params::all_unreserved(s.as_bytes())
}

/// Appends `value` percent-encoded (RFC 5849 §3.6).
fn push_encoded(out: &mut String, value: &str) {
    let bytes = value.as_bytes();
    if params::all_unreserved(bytes) {
        out.push_str(value);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !crate::encode::UNRESERVED[usize::from(b)] {
            // A non-empty run of unreserved (ASCII) bytes starts and ends on char boundaries.
            if start < i {
                out.push_str(&value[start..i]);
            }
            out.push('%');
            out.push(char::from(crate::encode::HEX_UPPER[usize::from(b >> 4)]));
            out.push(char::from(crate::encode::HEX_UPPER[usize::from(b & 15)]));
            start = i + 1;
        }
    }
    if start < bytes.len() {
        out.push_str(&value[start..]);
    }
}

/// Writes `value` as the inside of an RFC 9110 quoted-string.
pub(crate) fn push_quoted(out: &mut String, value: &str) {
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Signs a ready-made signature base string: for checking another implementation's base string,
/// or for trying what a server might have signed. `PLAINTEXT` returns the signing key.
///
/// ```
/// use oauth1_sign::{sign_base_string, ConsumerSecret, SignatureMethod, TokenSecret};
/// let key = sign_base_string(SignatureMethod::Plaintext, &ConsumerSecret::new("foo"), Some(&TokenSecret::new("bar")), "");
/// assert_eq!(key, "foo&bar");
/// ```
#[must_use]
pub fn sign_base_string(
    method: SignatureMethod,
    consumer_secret: &ConsumerSecret,
    token_secret: Option<&TokenSecret>,
    base_string: &str,
) -> String {
    match Key::new(method, consumer_secret, token_secret) {
        Key::HmacSha1(mut mac) => {
            mac.update(base_string.as_bytes());
            digest_signature(&mac.finalize().into_bytes()).to_text()
        }
        Key::HmacSha256(mut mac) => {
            mac.update(base_string.as_bytes());
            digest_signature(&mac.finalize().into_bytes()).to_text()
        }
        Key::Plaintext(key) => key.as_str().to_owned(),
    }
}

/// Verifies `signature` over a prepared request with a key made from the given secrets.
pub(crate) fn verify_with(
    prepared: &Prepared<'_>,
    method: SignatureMethod,
    consumer_secret: &ConsumerSecret,
    token_secret: Option<&TokenSecret>,
    signature: &str,
) -> Result<(), Error> {
    let key = Key::new(method, consumer_secret, token_secret);
    prepared.verify(&key, signature)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("oauth_consumer_key".to_owned()),
            Just("oauth_version".to_owned()),
            Just("oauth_nonce".to_owned()),
            Just("oauth_w".to_owned()),
            Just("oauth_a".to_owned()),
            Just("oauth_".to_owned()),
            Just("oauth_versionz".to_owned()),
            "[a-zA-Z_%+ ]{0,6}",
        ]
    }

    proptest! {
        /// The table-driven base64 of a digest is the `base64` crate's, and its encoded form
        /// is that percent-encoded, at every length a digest can have (padding included).
        #[test]
        fn signature_text_matches_base64_and_encode(digest in proptest::collection::vec(any::<u8>(), 0..=32)) {
            let signature = digest_signature(&digest);
            let want = BASE64.encode(&digest);
            let (mut plain, mut encoded) = (String::new(), String::from("x"));
            signature.push_to(&mut plain, false);
            signature.push_to(&mut encoded, true);
            prop_assert_eq!(&plain, &want);
            prop_assert_eq!(encoded, format!("x{}", crate::encode(&want)));
        }

        /// The precomputed fragments give the same base string as sorting every parameter,
        /// whenever they apply.
        #[test]
        fn precomputed_fragments_match_the_general_path(
            pairs in proptest::collection::vec((name(), "[a-z0-9 %+&=]{0,5}"), 0..6),
            with_token in any::<bool>(),
            nonce in "[a-zA-Z0-9 ~+]{1,10}",
            timestamp in any::<u64>(),
        ) {
            let consumer = ConsumerCredentials::new(ConsumerKey::new("c k"), ConsumerSecret::new("cs"));
            let token = TokenCredentials::new(Token::new("t/k"), TokenSecret::new("ts"));
            let signer = Signer::new(&consumer, with_token.then_some(&token));
            let query: Vec<String> = pairs
                .iter()
                .map(|(n, v)| format!("{}={}", crate::encode(n), crate::encode(v)))
                .collect();
            let url = format!("https://api.x.com/a?{}", query.join("&"));
            let request = Request::new("POST", &url);
            let oauth = OAuthParams::new(&nonce, timestamp);
            let mut digits = itoa::Buffer::new();
            let ts = oauth.timestamp.text(&mut digits);
            let general = signer.prepare(&request, &oauth, ts).unwrap().base_string();
            let block = signer.block(&oauth, ts).unwrap();
            if let Some(fast) = Prepared::with_block(&request, block).unwrap() {
                prop_assert_eq!(fast.base_string(), general);
            } else {
                // Only a parameter that sorts among the protocol ones sends it the long way.
                prop_assert!(pairs.iter().any(|(n, _)| n.starts_with("oauth_")));
            }
            // A realm sends the header the general way; apart from the realm it is the same.
            let fast = signer.authorization(&request, &oauth).unwrap();
            let general = signer.authorization(&request, &oauth.realm("r")).unwrap();
            prop_assert_eq!(general, format!("OAuth realm=\"r\", {}", &fast["OAuth ".len()..]));
        }
    }
}
