//! The requests the benchmarks sign, and the signers compared: this crate; `oauth1-request`
//! given the same raw URL and body (parsing, decoding and sorting inside the call) and, as a
//! separate labelled variant, given a list decoded and sorted beforehand; and the floors,
//! HMAC-SHA1 alone over the precomputed base string, keyed per call or from a prekeyed state (a
//! reused `Signer` keeps its keyed state, so that is its floor). Shared by `benches/sign.rs`
//! and `examples/sign_probe.rs`.

#![allow(dead_code, unreachable_pub)]

use std::hint::black_box;
use std::num::NonZeroU64;

use hmac::{Hmac, Mac};
use oauth1_request as oauth;
use oauth1_sign::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request, Signer, Token,
    TokenCredentials, TokenSecret,
};
use sha1::Sha1;

pub const CONSUMER_KEY: &str = "xvz1evFS4wEEPTGEFPHBog";
pub const CONSUMER_SECRET: &str = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
pub const TOKEN: &str = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
pub const TOKEN_SECRET: &str = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
pub const NONCE: &str = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
pub const TIMESTAMP: u64 = 1318622958;
pub const X_URL: &str = "https://api.x.com/1.1/statuses/update.json?include_entities=true";
pub const X_BODY: &[u8] =
    b"status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21";
/// X's published signature for the example.
pub const X_SIGNATURE: &str = "Ls93hJiZbQ3akF3HF3x1Bz8%2FzU4%3D";

/// The X example as `oauth1-request` wants it: a typed request, sorted at compile time.
#[derive(oauth::Request)]
pub struct Update<'a> {
    include_entities: bool,
    status: &'a str,
}

/// One request in the three forms the signers take, with its precomputed base string.
pub struct Case {
    /// The URL with its query, as sent.
    pub url: String,
    /// The URL without query, for `oauth1-request`.
    pub bare_url: String,
    /// The form body, as sent.
    pub body: Vec<u8>,
    /// The decoded query and body parameters, sorted, for `oauth1-request`.
    pub params: oauth::ParameterList<String, String>,
    /// The base string, for the floor.
    pub base_string: String,
    pub method: &'static str,
}

pub struct Signers {
    pub ours: Signer,
    pub theirs: oauth::Builder<'static, oauth::HmacSha1>,
    pub floor_key: String,
    /// The HMAC keyed once, as a `Signer` keeps it.
    pub prekeyed: Hmac<Sha1>,
}

impl Signers {
    pub fn new() -> Self {
        let ours = Signer::new(
            &ConsumerCredentials::new(
                ConsumerKey::new(CONSUMER_KEY),
                ConsumerSecret::new(CONSUMER_SECRET),
            ),
            Some(&TokenCredentials::new(
                Token::new(TOKEN),
                TokenSecret::new(TOKEN_SECRET),
            )),
        );
        let mut theirs = oauth::Builder::new(
            oauth::Credentials::new(CONSUMER_KEY.to_owned(), CONSUMER_SECRET.to_owned()),
            oauth::HmacSha1::new(),
        );
        theirs
            .token(oauth::Credentials::new(
                TOKEN.to_owned(),
                TOKEN_SECRET.to_owned(),
            ))
            .nonce(NONCE)
            .timestamp(NonZeroU64::new(TIMESTAMP))
            .version(true);
        let floor_key = format!("{CONSUMER_SECRET}&{TOKEN_SECRET}");
        let prekeyed = Hmac::<Sha1>::new_from_slice(floor_key.as_bytes()).unwrap();
        Self {
            ours,
            theirs,
            floor_key,
            prekeyed,
        }
    }

    /// This crate: URL and body as sent in, header out.
    #[inline(never)]
    pub fn ours_x(&self) -> String {
        let request = Request::new("POST", black_box(X_URL)).form_body(black_box(X_BODY));
        self.ours
            .authorization(&request, &OAuthParams::new(NONCE, TIMESTAMP))
            .unwrap()
    }

    /// `oauth1-request` with its fastest path (derived, pre-sorted request), header out.
    #[inline(never)]
    pub fn theirs_x(&self) -> String {
        let request = Update {
            include_entities: true,
            status: black_box("Hello Ladies + Gentlemen, a signed OAuth request!"),
        };
        self.theirs.post(
            black_box("https://api.x.com/1.1/statuses/update.json"),
            &request,
        )
    }

    /// HMAC-SHA1 alone over a precomputed base string, keyed per call.
    #[inline(never)]
    pub fn floor(&self, base_string: &str) -> [u8; 20] {
        let mut mac = Hmac::<Sha1>::new_from_slice(black_box(self.floor_key.as_bytes())).unwrap();
        mac.update(black_box(base_string.as_bytes()));
        mac.finalize().into_bytes().into()
    }

    /// HMAC-SHA1 alone over a precomputed base string, from a prekeyed state.
    #[inline(never)]
    pub fn floor_prekeyed(&self, base_string: &str) -> [u8; 20] {
        let mut mac = black_box(&self.prekeyed).clone();
        mac.update(black_box(base_string.as_bytes()));
        mac.finalize().into_bytes().into()
    }

    /// `oauth1-request` given the raw URL and body that this crate gets: it splits the URL,
    /// decodes the query and the body, sorts them (`ParameterList::new`) and signs, all inside
    /// the call.
    #[inline(never)]
    pub fn theirs_raw(&self, method: &str, url: &str, body: &[u8]) -> String {
        let (bare, query) = url.split_once('?').unwrap_or((url, ""));
        let mut pairs = Vec::new();
        decode_form(query.as_bytes(), &mut pairs);
        decode_form(body, &mut pairs);
        let params = oauth::ParameterList::new(pairs);
        self.theirs.authorize(method, bare, &params)
    }

    /// [`theirs_raw`](Self::theirs_raw) on the X example.
    #[inline(never)]
    pub fn theirs_x_raw(&self) -> String {
        self.theirs_raw("POST", black_box(X_URL), black_box(X_BODY))
    }

    /// [`theirs_raw`](Self::theirs_raw) on a case.
    #[inline(never)]
    pub fn theirs_case_raw(&self, case: &Case) -> String {
        self.theirs_raw(case.method, black_box(&case.url), black_box(&case.body))
    }

    #[inline(never)]
    pub fn ours_case(&self, case: &Case) -> String {
        let request =
            Request::new(case.method, black_box(&case.url)).form_body(black_box(&case.body));
        self.ours
            .authorization(&request, &OAuthParams::new(NONCE, TIMESTAMP))
            .unwrap()
    }

    #[inline(never)]
    pub fn theirs_case(&self, case: &Case) -> String {
        self.theirs.authorize(
            case.method,
            black_box(&case.bare_url),
            black_box(&case.params),
        )
    }
}

impl Default for Signers {
    fn default() -> Self {
        Self::new()
    }
}

/// The X example's base string.
pub fn x_base_string(signers: &Signers) -> String {
    let request = Request::new("POST", X_URL).form_body(X_BODY);
    signers
        .ours
        .base_string(&request, &OAuthParams::new(NONCE, TIMESTAMP))
        .unwrap()
}

/// Decodes an `application/x-www-form-urlencoded` string into pairs, as a caller of
/// `oauth1-request` would before building its `ParameterList` (`+` is a space, `%XX` a byte,
/// invalid UTF-8 replaced).
pub fn decode_form(raw: &[u8], out: &mut Vec<(String, String)>) {
    let decode = |s: &[u8]| -> String {
        if s.contains(&b'+') {
            let plus: Vec<u8> = s
                .iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect();
            percent_encoding::percent_decode(&plus)
                .decode_utf8_lossy()
                .into_owned()
        } else {
            percent_encoding::percent_decode(s)
                .decode_utf8_lossy()
                .into_owned()
        }
    };
    for pair in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        out.push((decode(name), decode(value)));
    }
}

fn case(method: &'static str, query: &[(String, String)], body: &[(String, String)]) -> Case {
    let form = |pairs: &[(String, String)]| {
        pairs
            .iter()
            .map(|(n, v)| format!("{}={}", oauth1_sign::encode(n), oauth1_sign::encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    };
    let bare_url = "https://api.x.com/1.1/statuses/update.json".to_owned();
    let url = if query.is_empty() {
        bare_url.clone()
    } else {
        format!("{bare_url}?{}", form(query))
    };
    let body = form(body).into_bytes();
    let all: Vec<(String, String)> = query
        .iter()
        .chain(body_pairs(body.as_slice()).iter())
        .cloned()
        .collect();
    let signers = Signers::new();
    let request = Request::new(method, &url).form_body(&body);
    let base_string = signers
        .ours
        .base_string(&request, &OAuthParams::new(NONCE, TIMESTAMP))
        .unwrap();
    Case {
        url,
        bare_url,
        body,
        params: oauth::ParameterList::new(all),
        base_string,
        method,
    }
}

fn body_pairs(body: &[u8]) -> Vec<(String, String)> {
    if body.is_empty() {
        return Vec::new();
    }
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .map(|pair| {
            let (n, v) = pair.split_once('=').unwrap();
            (
                oauth1_sign::decode(n).unwrap(),
                oauth1_sign::decode(v).unwrap(),
            )
        })
        .collect()
}

/// A GET with `n` query parameters, like a v1.1 lookup with many options.
pub fn params_case(n: usize) -> Case {
    let query: Vec<(String, String)> = (0..n)
        .map(|i| {
            (
                format!("param{i}"),
                format!("value {i}, with: reserved*chars"),
            )
        })
        .collect();
    case("GET", &query, &[])
}

/// A POST whose form body is `size` bytes of text (spaces, punctuation, some non-ASCII).
pub fn body_case(size: usize) -> Case {
    let words = "Hello Ladies + Gentlemen, a signed OAuth request! Ça va? ";
    let mut text = String::new();
    while text.len() < size {
        text.push_str(words);
    }
    // Cut to roughly `size` encoded bytes on a char boundary.
    let mut value = String::new();
    let mut encoded_len = "status=".len();
    for c in text.chars() {
        let add = oauth1_sign::encode(c.encode_utf8(&mut [0; 4])).len();
        if encoded_len + add > size {
            break;
        }
        encoded_len += add;
        value.push(c);
    }
    case("POST", &[], &[("status".to_owned(), value)])
}

/// Panics unless all three agree with each other (and the X example with X's docs).
pub fn check(signers: &Signers) {
    let ours = signers.ours_x();
    let theirs = signers.theirs_x();
    assert!(ours.contains(X_SIGNATURE), "{ours}");
    assert!(theirs.contains(X_SIGNATURE), "{theirs}");
    assert_eq!(signers.theirs_x_raw(), theirs);
    let base = x_base_string(signers);
    assert_eq!(signers.floor(&base), signers.floor_prekeyed(&base));
    for case in [params_case(10), body_case(1024)] {
        let ours = signers.ours_case(&case);
        let theirs = signers.theirs_case(&case);
        assert_eq!(signers.theirs_case_raw(&case), theirs);
        let sig = |h: &str| {
            h.split("oauth_signature=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(sig(&ours), sig(&theirs), "the signers disagree");
    }
}
