//! `serde` support (feature `serde`): secrets serialize as plain strings, and every
//! `Deserialize` goes through the validating constructor.

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};
use zeroize::Zeroizing;

use crate::{CodeChallenge, CodeVerifier, Method, State};

/// Serializes as the bare verifier string, so a pending login can be stored.
impl Serialize for CodeVerifier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.secret())
    }
}

/// Deserializes a string and validates it as [`CodeVerifier::new`] does.
impl<'de> Deserialize<'de> for CodeVerifier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = Zeroizing::new(String::deserialize(deserializer)?);
        Self::from_string(s).map_err(de::Error::custom)
    }
}

/// Serializes as the bare state string.
impl Serialize for State {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.secret())
    }
}

/// Deserializes a string and validates it as [`State::new`] does.
impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = Zeroizing::new(String::deserialize(deserializer)?);
        Self::from_string(s).map_err(de::Error::custom)
    }
}

/// Serializes as `"S256"` or `"plain"`.
impl Serialize for Method {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Deserializes `"S256"` or `"plain"` (case-sensitive).
impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Method;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("\"S256\" or \"plain\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Method, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[derive(serde::Serialize)]
struct ChallengeRef<'a> {
    code_challenge: &'a str,
    code_challenge_method: Method,
}

#[derive(serde::Deserialize)]
struct ChallengeOwned {
    code_challenge: String,
    code_challenge_method: Method,
}

/// Serializes as `{"code_challenge": "...", "code_challenge_method": "S256"}`.
impl Serialize for CodeChallenge {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ChallengeRef {
            code_challenge: self.as_str(),
            code_challenge_method: self.method(),
        }
        .serialize(serializer)
    }
}

/// Deserializes the serialized form and validates it as [`CodeChallenge::new`] does.
impl<'de> Deserialize<'de> for CodeChallenge {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = ChallengeOwned::deserialize(deserializer)?;
        Self::new(raw.code_challenge, raw.code_challenge_method).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    #[test]
    fn secrets_round_trip_as_bare_strings() {
        let verifier = CodeVerifier::new(VERIFIER).unwrap();
        let json = serde_json::to_string(&verifier).unwrap();
        assert_eq!(json, format!("\"{VERIFIER}\""));
        let back: CodeVerifier = serde_json::from_str(&json).unwrap();
        assert_eq!(back.secret(), VERIFIER);

        let state: State = serde_json::from_str("\"abc-._~\"").unwrap();
        assert!(state.matches("abc-._~"));
        assert_eq!(serde_json::to_string(&state).unwrap(), "\"abc-._~\"");
    }

    #[test]
    fn deserializing_validates_without_echoing_the_value() {
        let err = serde_json::from_str::<CodeVerifier>("\"too-short-secret\"").unwrap_err();
        assert!(err.to_string().contains("43 to 128"), "{err}");
        assert!(!err.to_string().contains("too-short-secret"), "{err}");

        let bad = format!("\"{}+\"", &VERIFIER[..42]);
        let err = serde_json::from_str::<CodeVerifier>(&bad).unwrap_err();
        assert!(err.to_string().contains("position 42"), "{err}");
        assert!(!err.to_string().contains(&VERIFIER[..42]), "{err}");

        assert!(serde_json::from_str::<State>("\"\"").is_err());
        assert!(serde_json::from_str::<State>("\"a b\"").is_err());
        assert!(serde_json::from_str::<State>("17").is_err());
    }

    #[test]
    fn method_and_challenge_round_trip() {
        assert_eq!(serde_json::to_string(&Method::S256).unwrap(), "\"S256\"");
        assert_eq!(
            serde_json::from_str::<Method>("\"plain\"").unwrap(),
            Method::Plain
        );
        assert!(serde_json::from_str::<Method>("\"s256\"").is_err());

        let challenge = CodeVerifier::new(VERIFIER).unwrap().challenge();
        let json = serde_json::to_string(&challenge).unwrap();
        assert_eq!(
            json,
            r#"{"code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","code_challenge_method":"S256"}"#
        );
        let back: CodeChallenge = serde_json::from_str(&json).unwrap();
        assert_eq!(back.as_str(), challenge.as_str());
        assert_eq!(back.method(), Method::S256);
        assert!(back.verify(VERIFIER));

        let forged = r#"{"code_challenge":"short","code_challenge_method":"S256"}"#;
        assert!(serde_json::from_str::<CodeChallenge>(forged).is_err());
    }
}
