//! [`CodeChallenge`], its [`Method`], and the server's [`verify`] (RFC 7636 §4.2, §4.6).

use core::fmt;
use core::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::text::Inline;
use crate::{Error, text, verifier};

/// Length of an `S256` challenge: 32 digest bytes in base64url without padding.
const S256_LEN: usize = 43;

/// A `code_challenge_method` (RFC 7636 §4.3).
///
/// [`S256`](Self::S256) is the default and the only method this crate picks on its own;
/// [`Plain`](Self::Plain) must be asked for by name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `S256`: the challenge is `BASE64URL(SHA256(ASCII(code_verifier)))`.
    #[default]
    S256,
    /// `plain`: the challenge is the verifier itself. Offers no protection against anyone who
    /// can read the authorization request; use only when `S256` is impossible.
    Plain,
}

impl Method {
    /// The wire name: `"S256"` or `"plain"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::S256 => "S256",
            Self::Plain => "plain",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = Error;

    /// Parses `"S256"` or `"plain"`, case-sensitively as RFC 7636 spells them.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "S256" => Ok(Self::S256),
            "plain" => Ok(Self::Plain),
            _ => Err(Error::UnknownMethod),
        }
    }
}

/// A PKCE code challenge and its method: the `code_challenge` and `code_challenge_method`
/// parameters of the authorization request.
///
/// An `S256` challenge is not secret, so `Debug` shows it. A `plain` challenge is the verifier
/// itself, so its `Debug` is redacted.
///
/// ```
/// use pkce::{CodeVerifier, Method};
///
/// let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")?;
/// let challenge = verifier.challenge();
/// assert_eq!(challenge.as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// assert_eq!(challenge.method(), Method::S256);
/// # Ok::<(), pkce::Error>(())
/// ```
#[derive(Clone)]
pub struct CodeChallenge {
    /// Inline: an `S256` challenge is 43 characters, a `plain` one a verifier (at most 128).
    value: Inline,
    method: Method,
}

impl CodeChallenge {
    /// Computes the `S256` challenge of a verifier, on the stack.
    #[inline(always)]
    pub(crate) fn s256(verifier: &[u8]) -> Self {
        Self {
            value: Inline::base64url(&Sha256::digest(verifier), S256_LEN),
            method: Method::S256,
        }
    }

    /// The `plain` challenge of a verifier: the verifier itself.
    pub(crate) fn plain(verifier: &[u8]) -> Self {
        Self {
            value: Inline::copy(verifier),
            method: Method::Plain,
        }
    }

    /// Wraps a challenge received in an authorization request (server side), checking its form.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidChallenge`] unless an `S256` challenge is 43 base64url characters that
    /// decode to 32 bytes (the last character's two unused bits are zero), or a `plain`
    /// challenge is a valid code verifier.
    pub fn new(value: impl Into<String>, method: Method) -> Result<Self, Error> {
        let value = value.into();
        let well_formed = match method {
            Method::S256 => is_s256_challenge(value.as_bytes()),
            Method::Plain => verifier::validate(&value).is_ok(),
        };
        if well_formed {
            Ok(Self {
                value: Inline::copy(value.as_bytes()),
                method,
            })
        } else {
            Err(Error::InvalidChallenge { method })
        }
    }

    /// The `code_challenge` parameter.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.value.as_str()
    }

    /// The `code_challenge_method`.
    #[must_use]
    pub fn method(&self) -> Method {
        self.method
    }

    /// Does `verifier` (the token request's `code_verifier`) answer this challenge?
    /// The same as [`verify`]`(verifier, self.as_str(), self.method())`.
    #[must_use]
    pub fn verify(&self, verifier: &str) -> bool {
        verify(verifier, self.as_str(), self.method)
    }
}

impl fmt::Debug for CodeChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("CodeChallenge");
        match self.method {
            Method::S256 => s.field("value", &self.as_str()),
            Method::Plain => s.field("value", &format_args!("<redacted>")),
        };
        s.field("method", &self.method).finish()
    }
}

/// 43 base64url characters whose last one has its two unused low bits clear.
fn is_s256_challenge(value: &[u8]) -> bool {
    value.len() == S256_LEN
        && value.iter().all(|&b| text::is_base64url(b))
        && value
            .last()
            .is_some_and(|&b| text::base64url_value(b) & 0b11 == 0)
}

/// The server's check at the token endpoint (RFC 7636 §4.6): does `verifier` answer the
/// `challenge` stored with the authorization code?
///
/// Returns `false` if the verifier breaks the RFC 7636 §4.1 rules (43 to 128 unreserved
/// characters), even when it would otherwise match. The comparison with `challenge` runs in
/// constant time for a given length (`subtle`); only lengths may leak.
///
/// ```
/// use pkce::{Method, verify};
///
/// let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// assert!(verify(verifier, challenge, Method::S256));
/// assert!(!verify(verifier, challenge, Method::Plain));
/// assert!(!verify(challenge, challenge, Method::S256));
/// ```
#[must_use]
pub fn verify(verifier: &str, challenge: &str, method: Method) -> bool {
    if verifier::validate(verifier).is_err() {
        return false;
    }
    let challenge = challenge.as_bytes();
    match method {
        Method::S256 => {
            let digest = Sha256::digest(verifier.as_bytes());
            let mut expected = [0u8; S256_LEN];
            match URL_SAFE_NO_PAD.encode_slice(digest, &mut expected) {
                Ok(S256_LEN) => expected[..].ct_eq(challenge).into(),
                _ => false,
            }
        }
        Method::Plain => verifier.as_bytes().ct_eq(challenge).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn method_names_round_trip_and_are_case_sensitive() {
        for method in [Method::S256, Method::Plain] {
            assert_eq!(method.as_str().parse::<Method>(), Ok(method));
            assert_eq!(method.to_string(), method.as_str());
        }
        assert_eq!(Method::default(), Method::S256);
        for unknown in ["s256", "PLAIN", "", "S384", "S256 "] {
            assert_eq!(unknown.parse::<Method>(), Err(Error::UnknownMethod));
        }
    }

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        let challenge = CodeChallenge::s256(RFC_VERIFIER.as_bytes());
        assert_eq!(challenge.as_str(), RFC_CHALLENGE);
        assert!(challenge.verify(RFC_VERIFIER));
    }

    #[test]
    fn new_accepts_well_formed_challenges_only() {
        assert!(CodeChallenge::new(RFC_CHALLENGE, Method::S256).is_ok());
        assert!(CodeChallenge::new(RFC_VERIFIER, Method::Plain).is_ok());
        let s256 = Error::InvalidChallenge {
            method: Method::S256,
        };
        // Wrong length, padding, a character outside base64url, non-zero trailing bits.
        for bad in [
            &RFC_CHALLENGE[..42],
            &format!("{RFC_CHALLENGE}=") as &str,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw.cM",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN",
            "challenge",
        ] {
            assert_eq!(
                CodeChallenge::new(bad, Method::S256).unwrap_err(),
                s256,
                "{bad}"
            );
        }
        // X's docs example `code_challenge=challenge&code_challenge_method=plain` is too short.
        assert_eq!(
            CodeChallenge::new("challenge", Method::Plain).unwrap_err(),
            Error::InvalidChallenge {
                method: Method::Plain
            }
        );
    }

    #[test]
    fn every_last_character_with_clear_low_bits_is_accepted() {
        let allowed: String = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            .chars()
            .step_by(4)
            .collect();
        assert_eq!(allowed, "AEIMQUYcgkosw048");
        for last in (0..=255u8).map(char::from) {
            let candidate = format!("{}{last}", &RFC_CHALLENGE[..42]);
            assert_eq!(
                CodeChallenge::new(candidate, Method::S256).is_ok(),
                allowed.contains(last),
                "{last:?}"
            );
        }
    }

    #[test]
    fn verify_rejects_mismatches_and_invalid_verifiers() {
        assert!(verify(RFC_VERIFIER, RFC_CHALLENGE, Method::S256));
        assert!(!verify(RFC_VERIFIER, RFC_CHALLENGE, Method::Plain));
        assert!(verify(RFC_VERIFIER, RFC_VERIFIER, Method::Plain));
        assert!(!verify(RFC_VERIFIER, "", Method::S256));
        assert!(!verify(RFC_VERIFIER, &RFC_CHALLENGE[..42], Method::S256));
        assert!(!verify(&RFC_VERIFIER[..42], RFC_CHALLENGE, Method::S256));
        // Too short to be a verifier, even though plain would match.
        assert!(!verify("short", "short", Method::Plain));
    }

    #[test]
    fn debug_shows_s256_and_hides_plain() {
        let s256 = CodeChallenge::s256(RFC_VERIFIER.as_bytes());
        assert_eq!(
            format!("{s256:?}"),
            format!("CodeChallenge {{ value: {RFC_CHALLENGE:?}, method: S256 }}")
        );
        let plain = CodeChallenge::plain(RFC_VERIFIER.as_bytes());
        let debug = format!("{plain:?}");
        assert_eq!(debug, "CodeChallenge { value: <redacted>, method: Plain }");
    }
}
