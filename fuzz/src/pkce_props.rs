//! Properties of `pkce`: the verifier, challenge and state constructors, and verification.

use ::pkce::{CodeChallenge, CodeVerifier, Method, State, verify};

use super::input::{lines, text};

/// Lines: a verifier, a challenge, a method (`S256`, `plain`, anything else: both), a state.
///
/// Constructors never panic. A verifier that constructs is 43 to 128 unreserved characters
/// (RFC 7636 §4.1) and verifies against its own challenge under both methods, and a different
/// verifier does not; `verify` agrees with `CodeChallenge::verify`; a challenge that
/// constructs keeps its text; a state that constructs matches itself and nothing longer.
pub fn pkce(data: &[u8]) {
    let f = lines(data, 4);
    let (verifier, challenge, method, state) = (text(f[0]), text(f[1]), text(f[2]), text(f[3]));
    let methods: &[Method] = match method.as_ref() {
        "S256" => &[Method::S256],
        "plain" => &[Method::Plain],
        _ => &[Method::S256, Method::Plain],
    };

    if let Ok(v) = CodeVerifier::new(verifier.as_ref()) {
        let len = v.secret().len();
        assert!((43..=128).contains(&len), "a verifier of {len} characters");
        assert!(
            v.secret()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
            "a verifier with reserved characters"
        );
        for &m in methods {
            let c = v.challenge_with(m);
            assert!(
                c.verify(v.secret()),
                "a verifier fails its own {m:?} challenge"
            );
            assert!(verify(v.secret(), c.as_str(), m));
            let mut other = v.secret().to_owned();
            let last = other.pop().unwrap_or('a');
            other.push(if last == 'a' { 'b' } else { 'a' });
            assert!(!c.verify(&other), "two verifiers pass one {m:?} challenge");
        }
        assert_eq!(v.challenge().method(), Method::S256, "S256 is the default");
    }
    for &m in methods {
        if let Ok(c) = CodeChallenge::new(challenge.as_ref(), m) {
            assert_eq!(c.as_str(), challenge.as_ref());
            assert_eq!(c.method(), m);
            assert_eq!(c.verify(&verifier), verify(&verifier, &challenge, m));
        }
        let _ = verify(&verifier, &challenge, m);
    }
    if let Ok(s) = State::new(state.as_ref()) {
        assert!(s.matches(&state));
        assert!(!s.matches(&format!("{state}x")));
    }
}
