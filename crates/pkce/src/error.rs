//! The crate's one error type.

use core::fmt;

use crate::Method;

/// Everything that can go wrong in this crate.
///
/// Messages are lowercase and never contain the rejected value: a string handed to
/// [`CodeVerifier::new`](crate::CodeVerifier::new) or [`State::new`](crate::State::new) may be a
/// secret, so errors carry only lengths and positions.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A code verifier, or a requested verifier length, was outside 43..=128 characters
    /// (RFC 7636 §4.1).
    #[error("code verifier must be 43 to 128 characters long, got {len}")]
    VerifierLength {
        /// The rejected length, in bytes.
        len: usize,
    },

    /// A state was empty or longer than 500 characters (X's limit).
    #[error("state must be 1 to 500 characters long, got {len}")]
    StateLength {
        /// The rejected length, in bytes.
        len: usize,
    },

    /// A code verifier or a state contained a character outside the RFC 3986 unreserved set
    /// `A-Z a-z 0-9 - . _ ~`.
    #[error(
        "invalid character in {field} at position {position}: only A-Z a-z 0-9 - . _ ~ are allowed"
    )]
    InvalidCharacter {
        /// Which value was rejected.
        field: Field,
        /// Zero-based index of the first offending character. Every character before it is
        /// ASCII, so this is both a byte offset and a character index.
        position: usize,
    },

    /// A code challenge was malformed for its method: an `S256` challenge must be the
    /// 43-character base64url (no padding) encoding of a SHA-256 digest, and a `plain` one obeys
    /// the code verifier rules.
    #[error("{}", challenge_rule(*method))]
    InvalidChallenge {
        /// The method the challenge was checked against.
        method: Method,
    },

    /// A `code_challenge_method` other than `S256` or `plain` (case-sensitive, RFC 7636 §4.3).
    #[error("unknown code challenge method: expected \"S256\" or \"plain\"")]
    UnknownMethod,
}

const fn challenge_rule(method: Method) -> &'static str {
    match method {
        Method::S256 => {
            "S256 code challenge must be the 43-character base64url encoding of a SHA-256 digest"
        }
        Method::Plain => "plain code challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
    }
}

/// Which value an [`Error::InvalidCharacter`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// A [`CodeVerifier`](crate::CodeVerifier).
    CodeVerifier,
    /// A [`State`](crate::State).
    State,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CodeVerifier => "code verifier",
            Self::State => "state",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_problem_without_the_value() {
        let cases = [
            (
                Error::VerifierLength { len: 42 },
                "code verifier must be 43 to 128 characters long, got 42",
            ),
            (
                Error::StateLength { len: 501 },
                "state must be 1 to 500 characters long, got 501",
            ),
            (
                Error::InvalidCharacter {
                    field: Field::State,
                    position: 7,
                },
                "invalid character in state at position 7: only A-Z a-z 0-9 - . _ ~ are allowed",
            ),
            (
                Error::InvalidChallenge {
                    method: Method::S256,
                },
                "S256 code challenge must be the 43-character base64url encoding of a SHA-256 digest",
            ),
            (
                Error::InvalidChallenge {
                    method: Method::Plain,
                },
                "plain code challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
            ),
            (
                Error::UnknownMethod,
                "unknown code challenge method: expected \"S256\" or \"plain\"",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
            assert!(!message.ends_with('.'));
        }
    }
}
