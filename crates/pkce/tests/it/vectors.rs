//! Every PKCE vector in `tests/vectors/pkce.json` (a copy of the shared RFC 7636 Appendix B
//! vector, source fields kept), checked value by value.

use pkce::{CodeChallenge, CodeVerifier, Method};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::{Replay, reference_base64url};

const VECTORS: &str = include_str!("../vectors/pkce.json");

fn pkce_vectors() -> Vec<Value> {
    let file: Value = serde_json::from_str(VECTORS).expect("tests/vectors/pkce.json is JSON");
    let vectors: Vec<Value> = file["vectors"]
        .as_array()
        .expect("a `vectors` array")
        .iter()
        .filter(|v| v["kind"] == "pkce")
        .cloned()
        .collect();
    assert!(!vectors.is_empty(), "no PKCE vectors found");
    vectors
}

fn str_field<'a>(vector: &'a Value, name: &str) -> &'a str {
    vector[name]
        .as_str()
        .unwrap_or_else(|| panic!("{}: missing string `{name}`", vector["id"]))
}

fn octets(vector: &Value, name: &str) -> Vec<u8> {
    vector[name]
        .as_array()
        .unwrap_or_else(|| panic!("{}: missing array `{name}`", vector["id"]))
        .iter()
        .map(|n| u8::try_from(n.as_u64().expect("an octet")).expect("an octet"))
        .collect()
}

#[test]
fn rfc_7636_appendix_b_exactly() {
    let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    let challenge = verifier.challenge();
    assert_eq!(
        challenge.as_str(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(challenge.method(), Method::S256);
    assert!(pkce::verify(
        verifier.secret(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        Method::S256
    ));
}

#[test]
fn the_vector_file_keeps_its_source() {
    for vector in pkce_vectors() {
        let source = &vector["source"];
        assert!(source["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(
            source["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
        );
    }
}

#[test]
fn every_vector_generates_its_verifier_from_its_octets() {
    for vector in pkce_vectors() {
        let id = &vector["id"];
        let verifier_octets = octets(&vector, "verifier_octets");
        let expected = str_field(&vector, "code_verifier");
        assert_eq!(reference_base64url(&verifier_octets), expected, "{id}");
        if verifier_octets.len() == 32 {
            let generated = CodeVerifier::generate(&mut Replay(&verifier_octets));
            assert_eq!(generated.secret(), expected, "{id}");
        }
    }
}

#[test]
fn every_vector_gives_its_challenge() {
    for vector in pkce_vectors() {
        let id = &vector["id"];
        let method: Method = str_field(&vector, "method").parse().unwrap();
        let code_verifier = str_field(&vector, "code_verifier");
        let code_challenge = str_field(&vector, "code_challenge");
        let verifier = CodeVerifier::new(code_verifier).unwrap();
        let challenge = verifier.challenge_with(method);

        assert_eq!(challenge.as_str(), code_challenge, "{id}");
        assert_eq!(challenge.method(), method, "{id}");
        if method == Method::S256 {
            // The digest octets, independently of the crate.
            let digest = octets(&vector, "challenge_octets");
            assert_eq!(
                Sha256::digest(code_verifier.as_bytes())[..],
                digest[..],
                "{id}"
            );
            assert_eq!(reference_base64url(&digest), code_challenge, "{id}");
        }
        assert!(CodeChallenge::new(code_challenge, method).is_ok(), "{id}");
    }
}

#[test]
fn every_vector_verifies_and_rejects_tampering() {
    for vector in pkce_vectors() {
        let id = &vector["id"];
        let method: Method = str_field(&vector, "method").parse().unwrap();
        let code_verifier = str_field(&vector, "code_verifier");
        let code_challenge = str_field(&vector, "code_challenge");
        assert!(pkce::verify(code_verifier, code_challenge, method), "{id}");

        // Flip each character of the verifier to another unreserved character.
        for i in 0..code_verifier.len() {
            let mut tampered = code_verifier.to_owned();
            let replacement = if &tampered[i..=i] == "A" { "B" } else { "A" };
            tampered.replace_range(i..=i, replacement);
            assert!(
                !pkce::verify(&tampered, code_challenge, method),
                "{id} @{i}"
            );
        }
        // The challenge never works as its own verifier under S256.
        if method == Method::S256 {
            assert!(
                !pkce::verify(code_challenge, code_challenge, method),
                "{id}"
            );
        }
    }
}

#[test]
fn every_vector_renders_its_request_fragments() {
    for vector in pkce_vectors() {
        let id = &vector["id"];
        let verifier = CodeVerifier::new(str_field(&vector, "code_verifier")).unwrap();
        let challenge = verifier.challenge_with(str_field(&vector, "method").parse().unwrap());
        let authorize = format!(
            "code_challenge={}&code_challenge_method={}",
            challenge.as_str(),
            challenge.method()
        );
        assert_eq!(
            authorize,
            str_field(&vector, "authorization_request_fragment"),
            "{id}"
        );
        let token = format!("code_verifier={}", verifier.secret());
        assert_eq!(token, str_field(&vector, "token_request_fragment"), "{id}");
    }
}
