//! Properties of the signer, the encoder and the header parser, on generated inputs.

use oauth1_sign::{
    AuthorizationHeader, ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request,
    SignatureMethod, Signer, Token, TokenCredentials, TokenSecret, decode, encode,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// Characters that exercise every encoding rule: unreserved, reserved, space, `+`, `%`, `~`,
/// `*`, multi-byte UTF-8 and emoji.
fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 ~*!'()+%&=._\\-/?:@,;\\[\\]{}é€😀]{0,12}").unwrap()
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((text(), text()), 0..8)
}

/// A form-urlencoded string of the pairs (RFC 5849 encoding, which is valid form encoding).
fn form(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A literal, slow RFC 5849 §3.4.1 reference: encode every pair to a `String`, sort the
/// strings, join. Independent of the crate's streaming implementation.
fn reference_base_string(
    method: &str,
    base_uri: &str,
    mut params: Vec<(String, String)>,
) -> String {
    params.retain(|(n, _)| n != "oauth_signature");
    let mut encoded: Vec<(String, String)> =
        params.iter().map(|(n, v)| (encode(n), encode(v))).collect();
    encoded.sort();
    let normalized = encoded
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_uppercase(),
        encode(base_uri),
        encode(&normalized)
    )
}

fn protocol(consumer: &str, token: &str, nonce: &str, ts: u64) -> Vec<(String, String)> {
    [
        ("oauth_consumer_key", consumer.to_owned()),
        ("oauth_nonce", nonce.to_owned()),
        ("oauth_signature_method", "HMAC-SHA1".to_owned()),
        ("oauth_timestamp", ts.to_string()),
        ("oauth_token", token.to_owned()),
        ("oauth_version", "1.0".to_owned()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v))
    .collect()
}

#[derive(Debug, Clone)]
struct Input {
    consumer_key: String,
    consumer_secret: String,
    token: String,
    token_secret: String,
    nonce: String,
    timestamp: u64,
    path: String,
    query: Vec<(String, String)>,
    body: Vec<(String, String)>,
}

fn input() -> impl Strategy<Value = Input> {
    (
        (text(), text(), text(), text(), text()),
        any::<u64>(),
        "(/[a-zA-Z0-9._~-]{0,6}){1,3}",
        pairs(),
        pairs(),
    )
        .prop_map(
            |((ck, cs, t, ts, nonce), timestamp, path, query, body)| Input {
                consumer_key: ck,
                consumer_secret: cs,
                token: t,
                token_secret: ts,
                nonce,
                timestamp,
                path,
                query,
                body,
            },
        )
}

/// The parts of a request the first property leaves fixed.
#[derive(Debug, Clone)]
struct Extra {
    method: &'static str,
    https: bool,
    host: String,
    port: Option<u16>,
    callback: Option<String>,
    verifier: Option<String>,
    sha256: bool,
}

fn extra() -> impl Strategy<Value = Extra> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]),
        any::<bool>(),
        "[a-z0-9]{1,8}(\\.[a-z0-9]{1,8}){0,2}",
        proptest::option::of(1024u16..),
        proptest::option::of(text()),
        proptest::option::of(text()),
        any::<bool>(),
    )
        .prop_map(
            |(method, https, host, port, callback, verifier, sha256)| Extra {
                method,
                https,
                host,
                port,
                callback,
                verifier,
                sha256,
            },
        )
}

fn signature(i: &Input, e: &Extra) -> String {
    let method = if e.sha256 {
        SignatureMethod::HmacSha256
    } else {
        SignatureMethod::HmacSha1
    };
    let signer = Signer::with_method(
        &ConsumerCredentials::new(
            ConsumerKey::new(&i.consumer_key),
            ConsumerSecret::new(&i.consumer_secret),
        ),
        Some(&TokenCredentials::new(
            Token::new(&i.token),
            TokenSecret::new(&i.token_secret),
        )),
        method,
    );
    let scheme = if e.https { "https" } else { "http" };
    let port = e.port.map(|p| format!(":{p}")).unwrap_or_default();
    let url = format!("{scheme}://{}{port}{}?{}", e.host, i.path, form(&i.query));
    let body = form(&i.body);
    let request = Request::new(e.method, &url).form_body(body.as_bytes());
    let mut oauth = OAuthParams::new(&i.nonce, i.timestamp);
    if let Some(c) = &e.callback {
        oauth = oauth.callback(c);
    }
    if let Some(v) = &e.verifier {
        oauth = oauth.verifier(v);
    }
    signer.signature(&request, &oauth).unwrap()
}

/// Adds a character, or changes one, of an optional value.
fn mutate_opt(s: &mut Option<String>, at: Index, alphabet: &[char]) {
    match s {
        None => *s = Some(String::new()),
        Some(v) => mutate(v, at, alphabet),
    }
}

/// Replaces the character at `at` of `s` with another one (always a real change).
fn mutate(s: &mut String, at: Index, alphabet: &[char]) {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        s.push('x');
        return;
    }
    let i = at.index(chars.len());
    let new = alphabet.iter().copied().find(|&c| c != chars[i]).unwrap();
    *s = chars
        .iter()
        .enumerate()
        .map(|(j, &c)| if j == i { new } else { c })
        .collect();
}

/// Raw form-body text as clients send it: runs of unreserved characters (short and long),
/// canonical escapes (upper-case, of reserved bytes), lower-case escapes, escapes of unreserved
/// bytes, malformed `%`, `+`, raw reserved, control and non-ASCII bytes, `&` and `=`.
fn raw_form_body() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        6 => proptest::collection::vec(proptest::sample::select(b"aZ09-._~qwXY".to_vec()), 0..24),
        6 => any::<u8>().prop_map(|b| format!("%{b:02X}").into_bytes()),
        1 => any::<u8>().prop_map(|b| format!("%{b:02x}").into_bytes()),
        1 => proptest::sample::select(vec!["%", "%4", "%G1", "%%41", "%e9", "%7E", "%41", "%2"])
            .prop_map(|s| s.as_bytes().to_vec()),
        2 => Just(b"+".to_vec()),
        1 => proptest::sample::select(b"&=&=#?/:@!$'()*,; \"<>\x00\x7f\xc3\xa9\xff".to_vec())
            .prop_map(|b| vec![b]),
    ];
    (proptest::collection::vec(piece, 0..60), 1usize..40).prop_map(|(pieces, repeat)| {
        let one = pieces.concat();
        // Long enough, at times, to cross the writer's buffer.
        let mut body = b"status=".to_vec();
        for _ in 0..repeat {
            body.extend_from_slice(&one);
        }
        body
    })
}

/// Decodes one `application/x-www-form-urlencoded` component byte by byte: `+` is a space,
/// `%` and two hex digits a byte, any other `%` itself.
fn reference_form_decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// RFC 5849 §3.6 of bytes: unreserved characters as they are, every other byte `%XX`.
fn reference_encode_bytes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_decode_round_trips_any_utf8(s in any::<String>()) {
        let e = encode(&s);
        prop_assert!(e.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        prop_assert!(!e.contains("%a") && !e.contains("%f"), "upper-case hex only");
        prop_assert_eq!(decode(&e).unwrap(), s);
    }

    #[test]
    fn header_parse_inverts_render(
        realm in proptest::option::of("[^\\p{Cc}]{0,10}"),
        params in proptest::collection::btree_map("\\PC{1,10}", any::<String>(), 0..8),
    ) {
        let mut h = AuthorizationHeader::new();
        if let Some(realm) = &realm {
            h.set_realm(realm.clone()).unwrap();
        }
        for (n, v) in &params {
            if n != "realm" {
                h.push(n.clone(), v.clone()).unwrap();
            }
        }
        prop_assert_eq!(AuthorizationHeader::parse(h.render()).unwrap(), h);
    }

    #[test]
    fn base_string_matches_a_literal_rfc5849_reference(i in input()) {
        let signer = Signer::new(
            &ConsumerCredentials::new(ConsumerKey::new(&i.consumer_key), ConsumerSecret::new(&i.consumer_secret)),
            Some(&TokenCredentials::new(Token::new(&i.token), TokenSecret::new(&i.token_secret))),
        );
        let url = format!("https://API.X.com:443{}?{}", i.path, form(&i.query));
        let body = form(&i.body);
        let request = Request::new("post", &url).form_body(body.as_bytes());
        let ours = signer.base_string(&request, &OAuthParams::new(&i.nonce, i.timestamp)).unwrap();
        let mut all = i.query.clone();
        all.extend(i.body.clone());
        all.extend(protocol(&i.consumer_key, &i.token, &i.nonce, i.timestamp));
        prop_assert_eq!(ours, reference_base_string("POST", &format!("https://api.x.com{}", i.path), all));
    }

    #[test]
    fn base_string_ignores_parameter_order_and_source(
        params in pairs(),
        seed in any::<u64>(),
        split in any::<Index>(),
    ) {
        let signer = Signer::new(&ConsumerCredentials::new(ConsumerKey::new("ck"), ConsumerSecret::new("cs")), None);
        let oauth = OAuthParams::new("nonce", 1);
        let url = format!("https://api.x.com/a?{}", form(&params));
        let base = signer.base_string(&Request::new("GET", &url), &oauth).unwrap();

        // The same pairs shuffled, some in the query and the rest in the body.
        let mut shuffled = params;
        let n = shuffled.len();
        let mut state = seed;
        for k in (1..n).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(k, (state >> 33) as usize % (k + 1));
        }
        let cut = if n == 0 { 0 } else { split.index(n + 1) };
        let url = format!("https://api.x.com/a?{}", form(&shuffled[..cut]));
        let body = form(&shuffled[cut..]);
        let request = Request::new("GET", &url).form_body(body.as_bytes());
        prop_assert_eq!(signer.base_string(&request, &oauth).unwrap(), base);
    }

    #[test]
    fn changing_any_byte_of_any_input_changes_the_signature(
        i in input(),
        e in extra(),
        field in 0usize..16,
        at in any::<Index>(),
        pair in any::<Index>(),
    ) {
        let before = signature(&i, &e);
        let (mut j, mut f) = (i, e);
        let alphabet = ['a', 'b', ' ', '+', '%', '~', 'é'];
        match field {
            0 => mutate(&mut j.consumer_key, at, &alphabet),
            1 => mutate(&mut j.consumer_secret, at, &alphabet),
            2 => mutate(&mut j.token, at, &alphabet),
            3 => mutate(&mut j.token_secret, at, &alphabet),
            4 => mutate(&mut j.nonce, at, &alphabet),
            5 => j.timestamp = j.timestamp.wrapping_add(1 + at.index(1000) as u64),
            // Keep the path a path: a `/` gets a character after it instead.
            6 => {
                let k = at.index(j.path.len());
                if j.path.as_bytes()[k] == b'/' {
                    j.path.insert(k + 1, 'a');
                } else {
                    let new = if j.path.as_bytes()[k] == b'a' { "b" } else { "a" };
                    j.path.replace_range(k..=k, new);
                }
            }
            7 | 8 => {
                let list = if field == 7 { &mut j.query } else { &mut j.body };
                if list.is_empty() {
                    list.push(("x".into(), String::new()));
                } else {
                    let k = pair.index(list.len());
                    if at.index(2) == 0 {
                        mutate(&mut list[k].0, at, &alphabet);
                    } else {
                        mutate(&mut list[k].1, at, &alphabet);
                    }
                }
            }
            9 => f.method = if f.method == "GET" { "POST" } else { "GET" },
            10 => f.https = !f.https,
            // Host characters are compared lower-cased: change one to another lower-case one.
            11 => mutate(&mut f.host, at, &['q', 'z']),
            12 => f.port = match f.port {
                None => Some(8080),
                Some(p) if p == u16::MAX => None,
                Some(p) => Some(p + 1),
            },
            13 => mutate_opt(&mut f.callback, at, &alphabet),
            14 => mutate_opt(&mut f.verifier, at, &alphabet),
            15 => f.sha256 = !f.sha256,
            _ => unreachable!(),
        }
        prop_assert_ne!(signature(&j, &f), before);
    }

    #[test]
    fn header_parser_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = AuthorizationHeader::parse(&bytes);
        let mut with_scheme = b"OAuth ".to_vec();
        with_scheme.extend_from_slice(&bytes);
        if let Ok(h) = AuthorizationHeader::parse(&with_scheme) {
            let _ = h.timestamp();
            let _ = h.signature_method();
            prop_assert_eq!(AuthorizationHeader::parse(h.render()).unwrap(), h);
        }
    }

    #[test]
    fn header_parser_is_total_on_header_like_text(s in "OAuth [a-z_=\", \\\\%A-F0-9]{0,60}") {
        let _ = AuthorizationHeader::parse(&s);
    }

    #[test]
    fn signer_and_verifier_are_total(
        method in "\\PC{0,8}",
        url in "\\PC{0,40}",
        url_tail in "[ -~]{0,40}",
        body in proptest::collection::vec(any::<u8>(), 0..100),
        header in "\\PC{0,80}",
    ) {
        let signer = Signer::new(&ConsumerCredentials::new(ConsumerKey::new("k"), ConsumerSecret::new("s")), None);
        let oauth = OAuthParams::new("n", 1).realm("r");
        for url in [url.clone(), format!("https://x.com/{url_tail}"), format!("http://[{url_tail}")] {
            let request = Request::new(&method, &url).form_body(&body);
            let _ = signer.authorization(&request, &oauth);
            let _ = signer.base_string(&request, &oauth);
            if let Ok(h) = AuthorizationHeader::parse(format!("OAuth {header}")) {
                let _ = h.verify(&request, &ConsumerSecret::new("s"), None);
            }
        }
        let _ = decode(&url);
        let _ = method.parse::<SignatureMethod>();
    }

    #[test]
    fn signed_headers_verify_and_tampered_ones_do_not(i in input(), method in prop_oneof![
        Just(SignatureMethod::HmacSha1), Just(SignatureMethod::HmacSha256), Just(SignatureMethod::Plaintext)
    ]) {
        let signer = Signer::with_method(
            &ConsumerCredentials::new(ConsumerKey::new(&i.consumer_key), ConsumerSecret::new(&i.consumer_secret)),
            Some(&TokenCredentials::new(Token::new(&i.token), TokenSecret::new(&i.token_secret))),
            method,
        );
        let url = format!("https://api.x.com{}?{}", i.path, form(&i.query));
        let body = form(&i.body);
        let request = Request::new("POST", &url).form_body(body.as_bytes());
        let header = signer.authorization(&request, &OAuthParams::new(&i.nonce, i.timestamp)).unwrap();
        let parsed = AuthorizationHeader::parse(&header).unwrap();
        let cs = ConsumerSecret::new(&i.consumer_secret);
        let ts = TokenSecret::new(&i.token_secret);
        prop_assert_eq!(parsed.verify(&request, &cs, Some(&ts)), Ok(()));
        let wrong = TokenSecret::new(format!("{}!", i.token_secret));
        prop_assert_eq!(parsed.verify(&request, &cs, Some(&wrong)), Err(oauth1_sign::Error::SignatureMismatch));
    }
    /// A raw form body of any make (canonical escapes, `+`, lower-case, needless and malformed
    /// escapes, raw bytes, long enough to cross the writer's buffer) is signed as a byte-level
    /// reference decodes, encodes and sorts it.
    #[test]
    fn raw_form_bodies_sign_as_a_byte_level_reference(body in raw_form_body()) {
        let signer = Signer::new(
            &ConsumerCredentials::new(ConsumerKey::new("ck"), ConsumerSecret::new("cs")),
            Some(&TokenCredentials::new(Token::new("tk"), TokenSecret::new("ts"))),
        );
        let request = Request::new("POST", "https://api.x.com/1.1/x.json").form_body(&body);
        let ours = signer.base_string(&request, &OAuthParams::new("n", 7)).unwrap();
        let mut pairs: Vec<(String, String)> = body
            .split(|&b| b == b'&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (n, v) = match pair.iter().position(|&b| b == b'=') {
                    Some(i) => (&pair[..i], &pair[i + 1..]),
                    None => (pair, &pair[pair.len()..]),
                };
                (
                    reference_encode_bytes(&reference_form_decode(n)),
                    reference_encode_bytes(&reference_form_decode(v)),
                )
            })
            .filter(|(n, _)| n != "oauth_signature")
            .collect();
        for (n, v) in protocol("ck", "tk", "n", 7) {
            pairs.push((reference_encode_bytes(n.as_bytes()), reference_encode_bytes(v.as_bytes())));
        }
        pairs.sort();
        let normalized = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&");
        let want = format!(
            "POST&{}&{}",
            reference_encode_bytes(b"https://api.x.com/1.1/x.json"),
            reference_encode_bytes(normalized.as_bytes())
        );
        prop_assert_eq!(ours, want);
    }
}
