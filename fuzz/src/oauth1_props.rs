//! Properties of `oauth1-sign`: the `Authorization` header parser and renderer, verification,
//! signing arbitrary requests, and percent-encoding.
//!
//! Each function takes the fuzzer's bytes, never panics on its own, and panics (a finding) when
//! a property fails.

use ::oauth1_sign::{
    AuthorizationHeader, ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request,
    SignatureMethod, Signer, Token, TokenCredentials, TokenSecret, decode, encode,
    sign_base_string,
};

use super::input::{lines, text};

/// `AuthorizationHeader::parse` on any bytes. When it parses, rendering and parsing again
/// gives the same header (parse∘render is the identity on headers), and rendering is
/// canonical: render∘parse∘render = render.
pub fn header(data: &[u8]) {
    let Ok(parsed) = AuthorizationHeader::parse(data) else {
        return;
    };
    let rendered = parsed.render();
    let again = AuthorizationHeader::parse(&rendered)
        .unwrap_or_else(|e| panic!("a rendered header does not parse ({e}): {rendered:?}"));
    assert!(again == parsed, "parse(render(h)) != h for {rendered:?}");
    assert_eq!(again.render(), rendered, "render is not canonical");
    // The accessors agree with the parameter list.
    for (name, value) in parsed.params() {
        assert_eq!(parsed.get(name), Some(value));
    }
    let _ = (parsed.timestamp(), parsed.signature_method());
}

/// `AuthorizationHeader::verify` of any header against any request and secrets. A header
/// that verifies stops verifying under another consumer secret, and an HMAC signature for
/// another HTTP method (`PLAINTEXT` signs the key alone).
///
/// Lines: header, method, URL, content type, consumer secret, token secret (empty: none),
/// then the body.
pub fn verify(data: &[u8]) {
    let f = lines(data, 7);
    let Ok(header) = AuthorizationHeader::parse(f[0]) else {
        return;
    };
    let (method, url, content_type) = (text(f[1]), text(f[2]), text(f[3]));
    let consumer_secret = text(f[4]);
    let token_secret = (!f[5].is_empty()).then(|| TokenSecret::new(text(f[5])));
    let content_type = (!content_type.is_empty()).then_some(content_type.as_ref());
    let request = Request::new(&method, &url).body(content_type, f[6]);
    let secret = ConsumerSecret::new(consumer_secret.as_ref());
    if header
        .verify(&request, &secret, token_secret.as_ref())
        .is_err()
    {
        return;
    }
    let other = ConsumerSecret::new(format!("{consumer_secret}x"));
    assert!(
        header
            .verify(&request, &other, token_secret.as_ref())
            .is_err(),
        "a signature verified under two consumer secrets"
    );
    if header.signature_method() == Ok(SignatureMethod::Plaintext) {
        return;
    }
    let other_method = if method.eq_ignore_ascii_case("GET") {
        "DELETE"
    } else {
        "GET"
    };
    assert!(
        header
            .verify(
                &Request::new(other_method, &url).body(content_type, f[6]),
                &secret,
                token_secret.as_ref()
            )
            .is_err(),
        "a signature verified for two methods"
    );
}

/// Signs an arbitrary request. What is signed parses and verifies with the same secrets
/// (and not with another one), carries the inputs it was given, renders canonically, and its
/// signature is the one `sign_base_string` computes over `base_string`.
///
/// Lines: method, URL, content type, consumer key, consumer secret, token (empty: none),
/// token secret, nonce, timestamp, callback (empty: none), verifier (empty: none), realm
/// (empty: none), signature method, then the body.
pub fn sign(data: &[u8]) {
    let f = lines(data, 14);
    let (method, url, content_type) = (text(f[0]), text(f[1]), text(f[2]));
    let (key, secret) = (text(f[3]), text(f[4]));
    let (token, token_secret) = (text(f[5]), text(f[6]));
    let (nonce, timestamp) = (text(f[7]), text(f[8]));
    let (callback, verifier, realm) = (text(f[9]), text(f[10]), text(f[11]));
    let signature_method = text(f[12]).parse::<SignatureMethod>().ok();
    let body = f[13];

    let consumer = ConsumerCredentials::new(
        ConsumerKey::new(key.as_ref()),
        ConsumerSecret::new(secret.as_ref()),
    );
    let token = (!token.is_empty()).then(|| {
        TokenCredentials::new(
            Token::new(token.as_ref()),
            TokenSecret::new(token_secret.as_ref()),
        )
    });
    let method_used = signature_method.unwrap_or(SignatureMethod::HmacSha1);
    let signer = Signer::with_method(&consumer, token.as_ref(), method_used);
    let content_type = (!content_type.is_empty()).then_some(content_type.as_ref());
    let request = Request::new(&method, &url).body(content_type, body);
    let mut params = match timestamp.parse::<u64>() {
        Ok(seconds) => OAuthParams::new(&nonce, seconds),
        Err(_) => OAuthParams::with_timestamp_str(&nonce, &timestamp),
    };
    if !callback.is_empty() {
        params = params.callback(&callback);
    }
    if !verifier.is_empty() {
        params = params.verifier(&verifier);
    }
    if !realm.is_empty() {
        params = params.realm(&realm);
    }
    let Ok(rendered) = signer.authorization(&request, &params) else {
        return;
    };
    let header = AuthorizationHeader::parse(&rendered)
        .unwrap_or_else(|e| panic!("a signed header does not parse ({e}): {rendered:?}"));
    assert_eq!(
        header.render(),
        rendered,
        "the signer's header is not canonical"
    );
    assert_eq!(header.consumer_key(), Some(key.as_ref()));
    assert_eq!(header.nonce(), Some(nonce.as_ref()));
    assert_eq!(
        header.token(),
        token.as_ref().map(|_| text(f[5])).as_deref()
    );
    assert_eq!(header.signature_method().ok(), Some(method_used));
    // A timestamp given as a number is written as one (`0617` becomes `617`); as text, verbatim.
    let written = timestamp
        .parse::<u64>()
        .map_or_else(|_| timestamp.to_string(), |seconds| seconds.to_string());
    assert_eq!(header.get("oauth_timestamp"), Some(written.as_str()));
    assert_eq!(
        header.get("oauth_callback"),
        (!callback.is_empty()).then_some(callback.as_ref())
    );
    let token_secret = token
        .as_ref()
        .map(|_| TokenSecret::new(token_secret.as_ref()));
    let consumer_secret = ConsumerSecret::new(secret.as_ref());
    if let Err(e) = header.verify(&request, &consumer_secret, token_secret.as_ref()) {
        // A signer may accept a timestamp the verifier refuses (not digits); nothing else.
        assert!(
            timestamp.parse::<u64>().is_err(),
            "what was signed does not verify ({e}): {rendered:?}"
        );
        return;
    }
    let other = ConsumerSecret::new(format!("{secret}x"));
    assert!(
        header
            .verify(&request, &other, token_secret.as_ref())
            .is_err(),
        "verified under another consumer secret"
    );
    let base = signer
        .base_string(&request, &params)
        .expect("signed, so the base string exists");
    let signature = sign_base_string(method_used, &consumer_secret, token_secret.as_ref(), &base);
    assert_eq!(header.signature(), Some(signature.as_str()));
}

/// Percent-encoding (RFC 5849 §3.6): decoding what was encoded gives the input back, encoded
/// text holds only unreserved characters and upper-case `%XX`, and whatever decodes
/// re-encodes to something that decodes to the same text.
pub fn percent(data: &[u8]) {
    let input = text(data);
    let encoded = encode(&input);
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
        "{encoded:?}"
    );
    let bytes = encoded.as_bytes();
    for (at, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'%') {
        let hex = bytes.get(at + 1..at + 3).unwrap_or_default();
        assert!(
            hex.len() == 2
                && hex
                    .iter()
                    .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c)),
            "not upper-case %XX in {encoded:?}"
        );
    }
    assert_eq!(
        decode(&encoded).ok().as_deref(),
        Some(input.as_ref()),
        "decode(encode(s)) != s"
    );
    if let Ok(decoded) = decode(&input) {
        assert_eq!(
            decode(&encode(&decoded)).ok().as_deref(),
            Some(decoded.as_str())
        );
    }
}
