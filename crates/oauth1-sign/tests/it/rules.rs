//! The RFC 5849 rules one at a time, each checked against a base string written out by hand
//! from the RFC text, and every error path with its typed variant.

use oauth1_sign::{
    AuthorizationHeader, ConsumerCredentials, ConsumerKey, ConsumerSecret, Error, OAuthParams,
    Request, SignatureMethod, Signer, Token, TokenCredentials, TokenSecret,
};

fn signer() -> Signer {
    Signer::new(
        &ConsumerCredentials::new(ConsumerKey::new("ck"), ConsumerSecret::new("cs")),
        None,
    )
}

/// Only the parameter part of the base string, decoded once (so it reads as `a=1&b=2`).
fn normalized(request: &Request<'_>) -> String {
    signer()
        .normalized_parameters(request, &OAuthParams::new("n", 1).without_version())
        .unwrap()
}

const OAUTH: &str =
    "oauth_consumer_key=ck&oauth_nonce=n&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1";

fn base_uri(url: &str) -> String {
    let base = signer()
        .base_string(&Request::new("GET", url), &OAuthParams::new("n", 1))
        .unwrap();
    oauth1_sign::decode(base.split('&').nth(1).unwrap()).unwrap()
}

#[test]
fn base_string_uri_rules() {
    assert_eq!(
        base_uri("HTTPS://API.X.COM/1.1/x.json"),
        "https://api.x.com/1.1/x.json"
    );
    assert_eq!(base_uri("https://api.x.com:443/a"), "https://api.x.com/a");
    assert_eq!(base_uri("http://api.x.com:80/a"), "http://api.x.com/a");
    assert_eq!(base_uri("http://api.x.com:443/a"), "http://api.x.com:443/a");
    assert_eq!(
        base_uri("https://api.x.com:8443/a"),
        "https://api.x.com:8443/a"
    );
    assert_eq!(base_uri("https://api.x.com"), "https://api.x.com/");
    assert_eq!(
        base_uri("https://api.x.com/a?b=c#frag"),
        "https://api.x.com/a"
    );
    // The path keeps its case and escapes as sent.
    assert_eq!(
        base_uri("https://api.x.com/A%2fb"),
        "https://api.x.com/A%2fb"
    );
    assert_eq!(
        base_uri("http://127.0.0.1:8080/cb"),
        "http://127.0.0.1:8080/cb"
    );
    assert_eq!(base_uri("http://[::1]:8080/cb"), "http://[::1]:8080/cb");
}

#[test]
fn method_is_upper_cased() {
    let s = signer();
    let p = OAuthParams::new("n", 1);
    let lower = s
        .base_string(&Request::new("post", "https://x.com/"), &p)
        .unwrap();
    assert!(lower.starts_with("POST&"), "{lower}");
    assert_eq!(
        lower,
        s.base_string(&Request::new("POST", "https://x.com/"), &p)
            .unwrap()
    );
}

#[test]
fn query_and_form_decoding() {
    // `+` is a space, `%2B` a plus, a name without `=` has an empty value, repeats are kept,
    // sorted by encoded value.
    let r = Request::new("GET", "https://x.com/?q=a+b&p=%2B&e&e=&z=2&z=1&Z=3");
    assert_eq!(
        normalized(&r),
        format!("Z=3&e=&e=&{OAUTH}&p=%2B&q=a%20b&z=1&z=2")
    );
}

#[test]
fn sorting_uses_encoded_bytes_not_raw_bytes() {
    // Raw `}` (0x7D) sorts after `z`; encoded `%7D` sorts before `A`.
    let r = Request::new("GET", "https://x.com/?a=z&a=%7D&a=A");
    assert_eq!(normalized(&r), format!("a=%7D&a=A&a=z&{OAUTH}"));
}

#[test]
fn body_is_signed_only_when_form_encoded() {
    let url = "https://x.com/";
    let form = Request::new("POST", url).body(Some("application/x-www-form-urlencoded"), b"a=1");
    let charset = Request::new("POST", url).body(
        Some("Application/X-WWW-Form-URLEncoded ; charset=UTF-8"),
        b"a=1",
    );
    let json = Request::new("POST", url).body(Some("application/json"), b"a=1");
    let multipart = Request::new("POST", url).body(Some("multipart/form-data; boundary=x"), b"a=1");
    let untyped = Request::new("POST", url).body(None, b"a=1");
    assert_eq!(normalized(&form), format!("a=1&{OAUTH}"));
    assert_eq!(normalized(&charset), format!("a=1&{OAUTH}"));
    for r in [json, multipart, untyped] {
        assert_eq!(normalized(&r), OAUTH);
    }
}

#[test]
fn oauth_signature_is_never_signed_but_realm_in_the_query_is() {
    let r = Request::new("GET", "https://x.com/?oauth_signature=zzz&realm=r")
        .form_body(b"oauth_signature=yyy");
    assert_eq!(normalized(&r), format!("{OAUTH}&realm=r"));
    // A realm given for the header is never signed.
    let s = signer();
    let plain = OAuthParams::new("n", 1);
    let with_realm = OAuthParams::new("n", 1).realm("Photos");
    let r = Request::new("GET", "https://x.com/");
    assert_eq!(
        s.signature(&r, &plain).unwrap(),
        s.signature(&r, &with_realm).unwrap()
    );
    assert!(
        s.authorization(&r, &with_realm)
            .unwrap()
            .starts_with("OAuth realm=\"Photos\", ")
    );
}

#[test]
fn request_token_key_ends_with_ampersand_and_callback_is_signed() {
    // PLAINTEXT reveals the key: consumer secret, `&`, empty token secret.
    let s = Signer::with_method(
        &ConsumerCredentials::new(ConsumerKey::new("ck"), ConsumerSecret::new("c s")),
        None,
        SignatureMethod::Plaintext,
    );
    let r = Request::new("POST", "https://api.x.com/oauth/request_token");
    assert_eq!(
        s.signature(&r, &OAuthParams::new("n", 1)).unwrap(),
        "c%20s&"
    );
    let header = s
        .authorization(&r, &OAuthParams::new("n", 1).callback("oob"))
        .unwrap();
    assert!(header.contains("oauth_callback=\"oob\""), "{header}");
    assert!(
        header.contains("oauth_signature=\"c%2520s%26\""),
        "{header}"
    );
    assert!(!header.contains("oauth_token="), "{header}");
}

#[test]
fn header_has_every_protocol_parameter_once_and_sorted() {
    let s = Signer::new(
        &ConsumerCredentials::new(ConsumerKey::new("ck"), ConsumerSecret::new("cs")),
        Some(&TokenCredentials::new(
            Token::new("tk"),
            TokenSecret::new("ts"),
        )),
    );
    let r = Request::new("POST", "https://api.x.com/oauth/access_token");
    let h = s
        .authorization(
            &r,
            &OAuthParams::new("n n", 7)
                .verifier("v/1")
                .callback("http://cb/"),
        )
        .unwrap();
    let parsed = AuthorizationHeader::parse(&h).unwrap();
    let names: Vec<&str> = parsed.params().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "oauth_callback",
            "oauth_consumer_key",
            "oauth_nonce",
            "oauth_signature",
            "oauth_signature_method",
            "oauth_timestamp",
            "oauth_token",
            "oauth_verifier",
            "oauth_version"
        ]
    );
    assert!(h.contains("oauth_nonce=\"n%20n\""), "{h}");
    assert!(h.contains("oauth_verifier=\"v%2F1\""), "{h}");
    assert!(h.contains("oauth_callback=\"http%3A%2F%2Fcb%2F\""), "{h}");
    assert_eq!(parsed.timestamp(), Ok(7));
    parsed
        .verify(
            &r,
            &ConsumerSecret::new("cs"),
            Some(&TokenSecret::new("ts")),
        )
        .unwrap();
}

#[test]
fn malformed_urls_and_methods_are_typed_errors() {
    let s = signer();
    let p = OAuthParams::new("n", 1);
    for url in [
        "",
        "api.x.com/a",
        "ftp://x.com/",
        "https://x.com/a b",
        "https://u:p@x.com/",
        "https://x.com:99999/",
    ] {
        assert!(
            matches!(
                s.authorization(&Request::new("GET", url), &p),
                Err(Error::InvalidUrl { .. })
            ),
            "{url:?}"
        );
    }
    for method in ["", "GE T", "GET\r\n", "PÖST"] {
        assert_eq!(
            s.authorization(&Request::new(method, "https://x.com/"), &p),
            Err(Error::InvalidMethod),
            "{method:?}"
        );
    }
    assert_eq!(
        s.authorization(
            &Request::new("GET", "https://x.com/"),
            &p.realm("a\r\nX-Evil: 1")
        ),
        Err(Error::InvalidRealm)
    );
}

#[test]
fn header_parse_errors_are_typed() {
    use Error::*;
    let cases: [(&[u8], Error); 9] = [
        (
            b"OAuth a=\"\xff\"",
            NonUtf8 {
                what: "Authorization header",
            },
        ),
        (
            b"Bearer abc",
            MalformedHeader {
                reason: "the scheme is not OAuth",
            },
        ),
        (
            b"OAuth a=\"1\" b=\"2\"",
            MalformedHeader {
                reason: "expected `,` between parameters",
            },
        ),
        (
            b"OAuth a=\"1",
            MalformedHeader {
                reason: "unterminated quoted string",
            },
        ),
        (
            b"OAuth a",
            MalformedHeader {
                reason: "expected `=` after a parameter name",
            },
        ),
        (
            b"OAuth a=\"1\", a=\"2\"",
            DuplicateParameter { name: "a".into() },
        ),
        (
            b"OAuth a=\"%zz\"",
            InvalidPercentEncoding {
                what: "Authorization header parameter value",
            },
        ),
        (
            b"OAuth a=\"%FF\"",
            NonUtf8 {
                what: "Authorization header parameter value",
            },
        ),
        (
            b"OAuth a=\"b c\"",
            InvalidPercentEncoding {
                what: "Authorization header parameter value",
            },
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(
            AuthorizationHeader::parse(bytes),
            Err(expected),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    // Lenient where RFC 9110 is: case of the scheme, spaces, empty list elements, token values.
    let h = AuthorizationHeader::parse("oauth  a = \"1\" ,, b=2,").unwrap();
    assert_eq!(h.params().collect::<Vec<_>>(), [("a", "1"), ("b", "2")]);
}

#[test]
fn verify_errors_are_typed() {
    let r = Request::new("GET", "https://x.com/");
    let cs = ConsumerSecret::new("cs");
    let good = AuthorizationHeader::parse(
        signer()
            .authorization(&r, &OAuthParams::new("n", 1))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(good.verify(&r, &cs, None), Ok(()));
    // The same header with one parameter left out or changed.
    let edit = |name: &str, value: Option<&str>| {
        let mut h = AuthorizationHeader::new();
        for (n, v) in good.params() {
            if n != name {
                h.push(n, v).unwrap();
            } else if let Some(value) = value {
                h.push(n, value).unwrap();
            }
        }
        h.verify(&r, &cs, None)
    };
    for name in [
        "oauth_consumer_key",
        "oauth_signature_method",
        "oauth_signature",
        "oauth_nonce",
        "oauth_timestamp",
    ] {
        assert_eq!(
            edit(name, None),
            Err(Error::MissingParameter { name }),
            "{name}"
        );
    }
    assert_eq!(
        edit("oauth_signature_method", Some("RSA-SHA1")),
        Err(Error::UnsupportedSignatureMethod)
    );
    assert_eq!(
        edit("oauth_signature_method", Some("hmac-sha1")),
        Err(Error::UnsupportedSignatureMethod)
    );
    assert_eq!(
        edit("oauth_version", Some("2.0")),
        Err(Error::UnsupportedVersion)
    );
    assert_eq!(
        edit("oauth_timestamp", Some("12a")),
        Err(Error::InvalidTimestamp)
    );
    assert_eq!(
        edit("oauth_timestamp", Some("2")),
        Err(Error::SignatureMismatch)
    );
    assert_eq!(
        edit("oauth_signature", Some("bm90!!")),
        Err(Error::SignatureMismatch)
    );
    assert_eq!(edit("oauth_version", None), Err(Error::SignatureMismatch));
    // PLAINTEXT needs no nonce or timestamp (RFC 5849 §3.1).
    let plain = AuthorizationHeader::parse(
        "OAuth oauth_consumer_key=\"ck\", oauth_signature_method=\"PLAINTEXT\", oauth_signature=\"cs%26\"",
    )
    .unwrap();
    assert_eq!(plain.verify(&r, &cs, None), Ok(()));
    assert_eq!(
        AuthorizationHeader::new().timestamp(),
        Err(Error::MissingParameter {
            name: "oauth_timestamp"
        })
    );
}

#[test]
fn secrets_stay_out_of_debug_and_display() {
    let consumer = ConsumerCredentials::new(
        ConsumerKey::new("ck-public"),
        ConsumerSecret::new("cs-SECRET-1"),
    );
    let token = TokenCredentials::new(Token::new("tk-public"), TokenSecret::new("ts-SECRET-2"));
    let signer = Signer::new(&consumer, Some(&token));
    for text in [
        format!("{consumer:?}"),
        format!("{token:?}"),
        format!("{signer:?}"),
        format!("{}{}", consumer.secret, token.secret),
        format!("{:?}{:?}", consumer.secret, token.secret),
        format!("{:#?}", signer),
    ] {
        assert!(!text.contains("SECRET"), "{text}");
    }
    assert!(format!("{signer:?}").contains("ck-public"));
    assert_eq!(format!("{}", consumer.secret), "<redacted>");
}

use oauth1_sign::rand_core;

/// An RNG that always returns the same byte: a nonce must still come out, of the right shape.
struct ConstRng(u8);

impl rand_core::RngCore for ConstRng {
    fn next_u32(&mut self) -> u32 {
        u32::from_le_bytes([self.0; 4])
    }
    fn next_u64(&mut self) -> u64 {
        u64::from_le_bytes([self.0; 8])
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(self.0);
    }
}

impl rand_core::CryptoRng for ConstRng {}

#[test]
fn nonces_are_32_alphanumerics_and_never_hang() {
    use rand::SeedableRng;
    for byte in [0x00, 0x7F, 0xF8, 0xFF] {
        let nonce = oauth1_sign::generate_nonce(&mut ConstRng(byte));
        assert_eq!(nonce.len(), 32);
        assert!(nonce.bytes().all(|b| b.is_ascii_alphanumeric()), "{nonce}");
    }
    assert_eq!(
        oauth1_sign::generate_nonce(&mut ConstRng(0)),
        "A".repeat(32)
    );
    assert_eq!(
        oauth1_sign::generate_nonce(&mut ConstRng(0xFF)),
        "9".repeat(32)
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let nonces: std::collections::HashSet<String> = (0..1000)
        .map(|_| oauth1_sign::generate_nonce(&mut rng))
        .collect();
    assert_eq!(nonces.len(), 1000);
    // Every character of the alphabet shows up across 32,000 draws.
    let chars: std::collections::HashSet<char> = nonces.iter().flat_map(|n| n.chars()).collect();
    assert_eq!(chars.len(), 62);
}
