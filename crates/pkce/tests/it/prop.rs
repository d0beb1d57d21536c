//! Properties: generated values validate, `verify` accepts exactly the right verifier,
//! constructors are total and reject exactly what RFC 7636 forbids, and secrets never print.

use base64::Engine as _;
use pkce::{CodeChallenge, CodeVerifier, Error, Field, Method, State, VerifierLength};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngCore as _, SeedableRng as _};
use sha2::{Digest as _, Sha256};

use crate::{UNRESERVED, reference_base64url};

/// Valid verifiers, straight from the RFC 7636 §4.1 ABNF.
fn valid_verifier() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~-]{43,128}"
}

/// Any character outside the unreserved set (ASCII or not).
fn reserved_char() -> impl Strategy<Value = char> {
    any::<char>().prop_filter("outside the unreserved set", |c| !UNRESERVED.contains(*c))
}

/// The rule, written independently of the crate.
fn is_valid_verifier(s: &str) -> bool {
    (43..=128).contains(&s.len()) && s.chars().all(|c| UNRESERVED.contains(c))
}

fn is_valid_state(s: &str) -> bool {
    (1..=500).contains(&s.len()) && s.chars().all(|c| UNRESERVED.contains(c))
}

fn s256_reference(verifier: &str) -> String {
    reference_base64url(&Sha256::digest(verifier.as_bytes()))
}

proptest! {
    #[test]
    fn generated_verifiers_validate(seed: u64, len in 43usize..=128) {
        let verifier = CodeVerifier::generate_with_len(&mut StdRng::seed_from_u64(seed), VerifierLength::new(len).unwrap());
        prop_assert_eq!(verifier.secret().len(), len);
        prop_assert!(is_valid_verifier(verifier.secret()));
        prop_assert!(CodeVerifier::new(verifier.secret()).is_ok());

        // The default verifier is exactly the base64url of the first 32 bytes drawn.
        let verifier = CodeVerifier::generate(&mut StdRng::seed_from_u64(seed));
        let mut bytes = [0u8; 32];
        StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
        prop_assert_eq!(verifier.secret(), reference_base64url(&bytes));
        prop_assert!(CodeVerifier::new(verifier.secret()).is_ok());
    }

    /// The inline fast path equals the general one: a verifier of any length is the reference
    /// base64url of the bytes drawn, cut to its length, and its challenges (S256 and plain,
    /// through clones and `new`) are the reference ones.
    #[test]
    fn inline_verifiers_and_challenges_equal_the_reference(seed: u64, len in 43usize..=128) {
        let verifier = CodeVerifier::generate_with_len(&mut StdRng::seed_from_u64(seed), VerifierLength::new(len).unwrap());
        let mut bytes = vec![0u8; (len * 3).div_ceil(4)];
        StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
        let reference = reference_base64url(&bytes);
        prop_assert_eq!(verifier.secret(), &reference[..len]);
        let copy = verifier.clone();
        drop(verifier);
        prop_assert_eq!(copy.secret(), &reference[..len]);
        let (s256, plain) = (copy.challenge(), copy.challenge_with(Method::Plain));
        prop_assert_eq!(s256.as_str(), s256_reference(&reference[..len]));
        prop_assert_eq!(plain.as_str(), &reference[..len]);
        let restored = CodeVerifier::new(copy.secret()).unwrap().challenge();
        prop_assert_eq!(restored.as_str(), s256.as_str());
    }

    #[test]
    fn verify_accepts_the_challenge_of_any_valid_verifier(v in valid_verifier()) {
        let verifier = CodeVerifier::new(v.as_str()).unwrap();
        let challenge = verifier.challenge();
        prop_assert_eq!(challenge.as_str(), s256_reference(&v));
        prop_assert_eq!(challenge.method(), Method::S256);
        prop_assert!(pkce::verify(&v, challenge.as_str(), Method::S256));
        prop_assert!(challenge.verify(&v));
        prop_assert!(CodeChallenge::new(challenge.as_str(), Method::S256).is_ok());

        let plain = verifier.challenge_with(Method::Plain);
        prop_assert_eq!(plain.as_str(), v.as_str());
        prop_assert!(pkce::verify(&v, plain.as_str(), Method::Plain));
        // A challenge only works under its own method.
        prop_assert!(!pkce::verify(&v, challenge.as_str(), Method::Plain));
        prop_assert!(!pkce::verify(&v, plain.as_str(), Method::S256));
    }

    #[test]
    fn verify_rejects_any_other_verifier(a in valid_verifier(), b in valid_verifier()) {
        prop_assume!(a != b);
        let challenge = CodeVerifier::new(a.as_str()).unwrap().challenge();
        prop_assert!(!pkce::verify(&b, challenge.as_str(), Method::S256));
        prop_assert!(!challenge.verify(&b));
        prop_assert!(!pkce::verify(&b, &a, Method::Plain));
    }

    #[test]
    fn verify_rejects_a_one_character_change(
        v in valid_verifier(),
        index: prop::sample::Index,
        replacement in prop::sample::select(UNRESERVED.chars().collect::<Vec<_>>()),
    ) {
        let i = index.index(v.len());
        let mut other = v.clone();
        other.replace_range(i..=i, replacement.encode_utf8(&mut [0; 4]));
        prop_assume!(other != v);
        let challenge = s256_reference(&v);
        prop_assert!(pkce::verify(&v, &challenge, Method::S256));
        prop_assert!(!pkce::verify(&other, &challenge, Method::S256));
    }

    #[test]
    fn verify_never_panics_and_rejects_invalid_verifiers(v: String, c: String) {
        // Even when the strings are equal, an invalid verifier never verifies.
        for method in [Method::S256, Method::Plain] {
            let accepted = pkce::verify(&v, &c, method);
            prop_assert!(!accepted || is_valid_verifier(&v));
            prop_assert!(!pkce::verify(&c, &c, method) || is_valid_verifier(&c));
        }
    }

    #[test]
    fn new_rejects_every_reserved_character(
        v in valid_verifier(),
        index: prop::sample::Index,
        bad in reserved_char(),
    ) {
        let i = index.index(v.len());
        let mut s = v;
        s.replace_range(i..=i, bad.encode_utf8(&mut [0; 4]));
        let err = CodeVerifier::new(s.as_str()).unwrap_err();
        if (43..=128).contains(&s.len()) {
            prop_assert_eq!(err, Error::InvalidCharacter { field: Field::CodeVerifier, position: i });
        } else {
            prop_assert_eq!(err, Error::VerifierLength { len: s.len() });
        }
    }

    #[test]
    fn new_rejects_every_length_outside_43_to_128(
        s in prop_oneof!["[A-Za-z0-9._~-]{0,42}", "[A-Za-z0-9._~-]{129,400}"],
    ) {
        prop_assert_eq!(
            CodeVerifier::new(s.as_str()).unwrap_err(),
            Error::VerifierLength { len: s.len() }
        );
    }

    #[test]
    fn new_is_total_and_exact_on_arbitrary_input(
        s in prop_oneof![any::<String>(), "[A-Za-z0-9._~+/= -]{38,134}", "\\PC{40,130}"],
    ) {
        let result = CodeVerifier::new(s.as_str());
        prop_assert_eq!(result.is_ok(), is_valid_verifier(&s));
        if let Ok(verifier) = result {
            prop_assert_eq!(verifier.secret(), s.as_str());
        }
    }

    #[test]
    fn generated_states_are_url_safe_and_match_only_themselves(seed: u64, other: String) {
        let mut rng = StdRng::seed_from_u64(seed);
        let state = State::generate(&mut rng);
        prop_assert!(state.secret().len() * 6 >= 128 + 6);
        prop_assert!(state.secret().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        prop_assert!(State::new(state.secret()).is_ok());
        prop_assert!(state.matches(state.secret()));
        prop_assert_eq!(state.matches(&other), other == state.secret());
        prop_assert!(!state.matches(State::generate(&mut rng).secret()));
    }

    #[test]
    fn state_new_is_total_and_exact(
        s in prop_oneof![any::<String>(), "[A-Za-z0-9._~ %+-]{0,12}", "[A-Za-z0-9._~-]{495,505}"],
    ) {
        let result = State::new(s.as_str());
        prop_assert_eq!(result.is_ok(), is_valid_state(&s));
        if let Ok(state) = result {
            prop_assert!(state.matches(&s));
        }
    }

    #[test]
    fn method_parsing_is_total_and_exact(s: String) {
        let parsed = s.parse::<Method>();
        match s.as_str() {
            "S256" => prop_assert_eq!(parsed, Ok(Method::S256)),
            "plain" => prop_assert_eq!(parsed, Ok(Method::Plain)),
            _ => prop_assert_eq!(parsed, Err(Error::UnknownMethod)),
        }
    }

    #[test]
    fn s256_challenges_are_exactly_canonical_digest_encodings(digest: [u8; 32], s: String) {
        prop_assert!(CodeChallenge::new(reference_base64url(&digest), Method::S256).is_ok());
        // Anything accepted decodes (strictly, trailing bits included) to 32 bytes.
        if CodeChallenge::new(s.as_str(), Method::S256).is_ok() {
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&s);
            prop_assert_eq!(decoded.map(|d| d.len()), Ok(32));
        }
        prop_assert_eq!(CodeChallenge::new(s.as_str(), Method::Plain).is_ok(), is_valid_verifier(&s));
    }

    #[test]
    fn secrets_never_appear_in_formatting(v in valid_verifier(), st in "[A-Za-z0-9._~-]{18,500}") {
        let verifier = CodeVerifier::new(v.as_str()).unwrap();
        for shown in [format!("{verifier:?}"), format!("{verifier:#?}"), format!("{verifier}")] {
            prop_assert!(!shown.contains(&v), "{}", shown);
        }
        let plain = verifier.challenge_with(Method::Plain);
        let shown = format!("{plain:?}");
        prop_assert!(!shown.contains(&v), "{}", shown);

        let state = State::new(st.as_str()).unwrap();
        for shown in [format!("{state:?}"), format!("{state:#?}"), format!("{state}")] {
            prop_assert!(!shown.contains(&st), "{}", shown);
        }
    }

    #[test]
    fn errors_never_echo_the_rejected_value(s in "[A-Za-z0-9._~+/= ]{20,200}") {
        for err in [CodeVerifier::new(s.as_str()).err(), State::new(s.as_str()).err()].into_iter().flatten() {
            let (display, debug) = (err.to_string(), format!("{err:?}"));
            prop_assert!(!display.contains(&s), "{}", display);
            prop_assert!(!debug.contains(&s), "{}", debug);
        }
    }
}

#[test]
fn sentinel_secrets_never_appear_in_formatting() {
    const VERIFIER: &str = "SENTINEL-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    const STATE: &str = "SENTINEL-state-0123456789";
    let verifier = CodeVerifier::new(VERIFIER).unwrap();
    let state = State::new(STATE).unwrap();
    let shown = [
        format!("{verifier:?}"),
        format!("{verifier}"),
        format!("{state:?}"),
        format!("{state}"),
        format!("{:?}", verifier.challenge_with(Method::Plain)),
        format!("{:?}", (&verifier, &state)),
    ];
    for text in &shown {
        assert!(!text.contains("SENTINEL"), "{text}");
    }
    assert_eq!(shown[0], "CodeVerifier(<redacted>)");
    assert_eq!(shown[1], "<redacted>");
    assert_eq!(shown[2], "State(<redacted>)");
    assert_eq!(shown[3], "<redacted>");
}

#[cfg(feature = "serde")]
proptest! {
    #[test]
    fn serde_round_trips_and_validates(v in valid_verifier(), s: String) {
        let verifier = CodeVerifier::new(v.as_str()).unwrap();
        let json = serde_json::to_string(&verifier).unwrap();
        let back: CodeVerifier = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.secret(), v.as_str());

        let challenge = verifier.challenge();
        let back: CodeChallenge = serde_json::from_str(&serde_json::to_string(&challenge).unwrap()).unwrap();
        prop_assert!(back.verify(&v));

        let json = serde_json::to_string(&s).unwrap();
        prop_assert_eq!(serde_json::from_str::<CodeVerifier>(&json).is_ok(), is_valid_verifier(&s));
        prop_assert_eq!(serde_json::from_str::<State>(&json).is_ok(), is_valid_state(&s));
    }
}
