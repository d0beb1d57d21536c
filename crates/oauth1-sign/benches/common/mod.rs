//! The requests the benchmarks sign, and the three signers compared: this crate,
//! `oauth1-request`, and the floor (HMAC-SHA1 alone over the precomputed base string, keyed per
//! call). Shared by `benches/sign.rs` and `examples/sign_probe.rs`.

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
        Self {
            ours,
            theirs,
            floor_key: format!("{CONSUMER_SECRET}&{TOKEN_SECRET}"),
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
    for case in [params_case(10), body_case(1024)] {
        let ours = signers.ours_case(&case);
        let theirs = signers.theirs_case(&case);
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
