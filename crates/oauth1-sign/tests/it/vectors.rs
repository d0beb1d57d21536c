//! Every published OAuth 1.0a vector copied from `shared/vectors/` (see `tests/vectors/SOURCE.md`),
//! reproduced byte for byte: base string URI, normalized parameters, base string, signing key,
//! signature, and the `Authorization` header where the source printed one.

use oauth1_sign::{
    AuthorizationHeader, ConsumerCredentials, ConsumerKey, ConsumerSecret, Error, OAuthParams,
    Request, SignatureMethod, Signer, Token, TokenCredentials, TokenSecret, decode, encode,
    sign_base_string,
};
use serde_json::Value;

const FILES: [(&str, &str); 5] = [
    (
        "x-docs-oauth1.json",
        include_str!("../vectors/x-docs-oauth1.json"),
    ),
    ("rfc5849.json", include_str!("../vectors/rfc5849.json")),
    (
        "oauth1-other-published.json",
        include_str!("../vectors/oauth1-other-published.json"),
    ),
    (
        "percent-encoding.json",
        include_str!("../vectors/percent-encoding.json"),
    ),
    (
        "oauth1-header-parse.json",
        include_str!("../vectors/oauth1-header-parse.json"),
    ),
];

fn vectors(kind: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (file, text) in FILES {
        let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for v in doc["vectors"].as_array().expect("vectors array") {
            if v["kind"] == kind {
                out.push(v.clone());
            }
        }
    }
    assert!(!out.is_empty(), "no vectors of kind {kind}");
    out
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn opt(v: &Value) -> Option<&str> {
    v.as_str()
}

fn method(v: &Value) -> SignatureMethod {
    s(&v["signature_method"]).parse().expect("known method")
}

/// The protocol parameters of a vector, by name.
fn param<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v["oauth"]["params"]
        .as_array()
        .expect("params")
        .iter()
        .find(|p| p[0] == name)
        .map(|p| s(&p[1]))
}

struct Case<'a> {
    id: &'a str,
    signer: Signer,
    request: Request<'a>,
    params: OAuthParams<'a>,
}

fn case(v: &Value) -> Case<'_> {
    let consumer = ConsumerCredentials::new(
        ConsumerKey::new(param(v, "oauth_consumer_key").expect("consumer key")),
        ConsumerSecret::new(s(&v["secrets"]["consumer_secret"])),
    );
    let token = param(v, "oauth_token").map(|t| {
        TokenCredentials::new(
            Token::new(t),
            TokenSecret::new(s(&v["secrets"]["token_secret"])),
        )
    });
    assert_eq!(
        param(v, "oauth_signature_method"),
        Some(method(v).as_str()),
        "{}",
        v["id"]
    );
    let signer = Signer::with_method(&consumer, token.as_ref(), method(v));
    let req = &v["request"];
    let mut request = Request::new(s(&req["method"]), s(&req["url"]));
    if let Some(body) = opt(&req["body"]) {
        request = request.body(opt(&req["content_type"]), body.as_bytes());
    }
    let nonce = param(v, "oauth_nonce").expect("nonce");
    let timestamp = param(v, "oauth_timestamp").expect("timestamp");
    // oauthlib's unicode vectors sign the timestamp "abc".
    let mut params = match timestamp.parse() {
        Ok(seconds) => OAuthParams::new(nonce, seconds),
        Err(_) => OAuthParams::with_timestamp_str(nonce, timestamp),
    };
    if let Some(c) = param(v, "oauth_callback") {
        params = params.callback(c);
    }
    if let Some(ver) = param(v, "oauth_verifier") {
        params = params.verifier(ver);
    }
    if let Some(realm) = opt(&v["oauth"]["realm"]) {
        params = params.realm(realm);
    }
    match param(v, "oauth_version") {
        Some("1.0") => {}
        None => params = params.without_version(),
        Some(other) => panic!("unexpected oauth_version {other}"),
    }
    Case {
        id: s(&v["id"]),
        signer,
        request,
        params,
    }
}

fn token_secret(v: &Value) -> Option<TokenSecret> {
    let ts = s(&v["secrets"]["token_secret"]);
    (!ts.is_empty()).then(|| TokenSecret::new(ts))
}

fn unordered(h: &AuthorizationHeader) -> (Option<&str>, Vec<(&str, &str)>) {
    let mut params: Vec<_> = h.params().collect();
    params.sort_unstable();
    (h.realm(), params)
}

#[test]
fn signature_vectors_reproduce_byte_for_byte() {
    let all = vectors("oauth1-signature");
    assert_eq!(all.len(), 27, "every signature vector of the five files");
    let mut headers_checked = 0;
    for v in &all {
        let c = case(v);
        let id = c.id;
        let exp = &v["expected"];
        let base = c.signer.base_string(&c.request, &c.params).unwrap();
        assert_eq!(base, s(&exp["signature_base_string"]), "{id}: base string");
        let uri = base.split('&').nth(1).expect("three parts");
        assert_eq!(
            decode(uri).unwrap(),
            s(&exp["base_string_uri"]),
            "{id}: base string URI"
        );
        assert_eq!(
            c.signer
                .normalized_parameters(&c.request, &c.params)
                .unwrap(),
            s(&exp["normalized_parameters"]),
            "{id}: normalized parameters"
        );
        let consumer_secret = ConsumerSecret::new(s(&v["secrets"]["consumer_secret"]));
        let ts = token_secret(v);
        assert_eq!(
            sign_base_string(
                SignatureMethod::Plaintext,
                &consumer_secret,
                ts.as_ref(),
                ""
            ),
            s(&exp["signing_key"]),
            "{id}: signing key"
        );
        let signature = s(&exp["oauth_signature"]);
        if param(v, "oauth_token").is_some() || ts.is_none() {
            assert_eq!(
                c.signer.signature(&c.request, &c.params).unwrap(),
                signature,
                "{id}: signature"
            );
        }
        assert_eq!(
            sign_base_string(method(v), &consumer_secret, ts.as_ref(), &base),
            signature,
            "{id}: signature over the base string"
        );

        if let Some(expected) = opt(&exp["authorization_header"]) {
            headers_checked += 1;
            let published = AuthorizationHeader::parse(expected).unwrap();
            // The verifier accepts every published header.
            published
                .verify(&c.request, &consumer_secret, ts.as_ref())
                .unwrap_or_else(|e| panic!("{id}: published header rejected: {e}"));
            // Rendering keeps the published order; X and oauthlib separate with ", ".
            if expected.contains("\", ") {
                assert_eq!(published.render(), expected, "{id}: re-rendered header");
            }
            if param(v, "oauth_token").is_some() || ts.is_none() {
                let ours = c.signer.authorization(&c.request, &c.params).unwrap();
                if id.starts_with("x-docs/") {
                    assert_eq!(ours, expected, "{id}: header byte for byte");
                }
                let ours = AuthorizationHeader::parse(&ours).unwrap();
                assert_eq!(
                    unordered(&ours),
                    unordered(&published),
                    "{id}: header parameters"
                );
            }
        }
    }
    assert!(headers_checked >= 11, "{headers_checked}");
}

#[test]
fn the_two_x_docs_signatures_the_issue_names() {
    let all = vectors("oauth1-signature");
    for (id, sig) in [
        ("x-docs/api.x.com-1.1", "Ls93hJiZbQ3akF3HF3x1Bz8/zU4="),
        ("x-docs/api.twitter.com-1.1", "hCtSmYh+iHYCEqBWrE7C7hYmtUk="),
        ("x-docs/api.twitter.com-1", "tnnArxj06cWHq44gCs1OSKk/jLY="),
        ("rfc5849/3.4.1.1", "r6/TJjbCOr97/+UU0NsvSne7s5g="),
    ] {
        let v = all.iter().find(|v| v["id"] == id).expect(id);
        let c = case(v);
        assert_eq!(
            c.signer.signature(&c.request, &c.params).unwrap(),
            sig,
            "{id}"
        );
    }
}

#[test]
fn rfc5849_printed_signature_is_rejected_as_the_errata_says() {
    let all = vectors("oauth1-signature");
    let v = all.iter().find(|v| v["id"] == "rfc5849/3.4.1.1").unwrap();
    let c = case(v);
    let rejected = v["rejected_published_values"].to_string();
    assert!(
        rejected.contains("bYT5CMsGcbgUdFHObYMEfcx6bsw="),
        "{rejected}"
    );
    assert_ne!(
        c.signer.signature(&c.request, &c.params).unwrap(),
        "bYT5CMsGcbgUdFHObYMEfcx6bsw="
    );
}

#[test]
fn tampered_published_headers_fail_verification() {
    for v in vectors("oauth1-signature") {
        let Some(expected) = opt(&v["expected"]["authorization_header"]) else {
            continue;
        };
        let c = case(&v);
        let consumer_secret = ConsumerSecret::new(s(&v["secrets"]["consumer_secret"]));
        let ts = token_secret(&v);
        let header = AuthorizationHeader::parse(expected).unwrap();
        // Another request URL (PLAINTEXT does not sign the request, only the key).
        if method(&v) != SignatureMethod::Plaintext {
            let other = Request::new(c.request.method(), "https://api.x.com/other");
            assert_eq!(
                header.verify(&other, &consumer_secret, ts.as_ref()),
                Err(Error::SignatureMismatch),
                "{}",
                c.id
            );
        }
        // Another consumer secret.
        let wrong = ConsumerSecret::new(format!("{}x", consumer_secret.secret()));
        assert_eq!(
            header.verify(&c.request, &wrong, ts.as_ref()),
            Err(Error::SignatureMismatch),
            "{}",
            c.id
        );
    }
}

#[test]
fn parameter_collection_table() {
    for v in vectors("parameter-collection") {
        let req = &v["request"];
        let request = Request::new(s(&req["method"]), s(&req["url"]))
            .body(opt(&req["content_type"]), s(&req["body"]).as_bytes());
        // The vector lists the protocol parameters without version; pass them as the signer would.
        let p = |n: &str| {
            v["oauth_params"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p[0] == n)
                .map(|p| s(&p[1]))
                .unwrap()
        };
        let consumer = ConsumerCredentials::new(
            ConsumerKey::new(p("oauth_consumer_key")),
            ConsumerSecret::new(""),
        );
        let token = TokenCredentials::new(Token::new(p("oauth_token")), TokenSecret::new(""));
        let signer = Signer::new(&consumer, Some(&token));
        let params = OAuthParams::new(p("oauth_nonce"), p("oauth_timestamp").parse().unwrap())
            .without_version();
        let normalized = signer.normalized_parameters(&request, &params).unwrap();
        assert_eq!(normalized, s(&v["expected"]["normalized_parameters"]));
        // Decoding the normalized pairs gives the published decoded table (as a multiset).
        let mut ours: Vec<(String, String)> = normalized
            .split('&')
            .map(|pair| {
                let (n, val) = pair.split_once('=').unwrap();
                (decode(n).unwrap(), decode(val).unwrap())
            })
            .collect();
        let mut published: Vec<(String, String)> = v["expected"]["decoded_parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (s(&p[0]).to_owned(), s(&p[1]).to_owned()))
            .collect();
        ours.sort();
        published.sort();
        assert_eq!(ours, published);
    }
}

#[test]
fn base_string_uri_table() {
    let signer = Signer::new(
        &ConsumerCredentials::new(ConsumerKey::new("k"), ConsumerSecret::new("s")),
        None,
    );
    for v in vectors("base-string-uri") {
        for case in v["cases"].as_array().unwrap() {
            let base = signer
                .base_string(
                    &Request::new("GET", s(&case["url"])),
                    &OAuthParams::new("n", 1),
                )
                .unwrap();
            let uri = base.split('&').nth(1).unwrap();
            assert_eq!(
                decode(uri).unwrap(),
                s(&case["base_string_uri"]),
                "{}",
                case["url"]
            );
        }
    }
}

#[test]
fn percent_encoding_tables() {
    let mut n = 0;
    for v in vectors("percent-encoding") {
        for case in v["cases"].as_array().unwrap() {
            let (input, encoded) = (s(&case["input"]), s(&case["encoded"]));
            assert_eq!(encode(input), encoded, "{input:?}");
            assert_eq!(decode(encoded).unwrap(), input, "{encoded:?}");
            n += 1;
        }
    }
    assert!(n > 95, "{n}");
}

#[test]
fn signing_published_base_strings() {
    let mut unsupported = Vec::new();
    for v in vectors("oauth1-sign-base-string") {
        let Ok(method) = s(&v["signature_method"]).parse::<SignatureMethod>() else {
            unsupported.push(s(&v["signature_method"]).to_owned());
            continue;
        };
        let cs = ConsumerSecret::new(s(&v["secrets"]["consumer_secret"]));
        let ts = token_secret(&v);
        let base = s(&v["signature_base_string"]);
        assert_eq!(
            sign_base_string(SignatureMethod::Plaintext, &cs, ts.as_ref(), base),
            s(&v["expected"]["signing_key"])
        );
        assert_eq!(
            sign_base_string(method, &cs, ts.as_ref(), base),
            s(&v["expected"]["oauth_signature"]),
            "{}",
            v["id"]
        );
    }
    // RFC 5849 defines no HMAC-SHA512; oauthlib's extra vector is the only one left out.
    assert_eq!(unsupported, ["HMAC-SHA512"]);
}

#[test]
fn published_headers_parse_to_their_decoded_parameters() {
    for v in vectors("oauth1-header-parse") {
        for case in v["cases"].as_array().unwrap() {
            let h = AuthorizationHeader::parse(s(&case["header"])).unwrap();
            let expected: Vec<(&str, &str)> = case["params_decoded"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (s(&p[0]), s(&p[1])))
                .collect();
            assert_eq!(h.params().collect::<Vec<_>>(), expected);
            assert_eq!(h.render(), s(&case["header"]));
        }
    }
}
