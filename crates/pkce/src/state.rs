//! [`State`]: the CSRF token carried through the authorization redirect (RFC 6749 §10.12).

use core::fmt;

use rand_core::CryptoRng;
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize as _, Zeroizing};

use crate::{Error, Field, text};

/// Random bytes behind a generated state: 256 bits, 43 base64url characters.
const STATE_BYTES: usize = 32;

/// An unguessable `state` value binding a callback to the login that started it.
///
/// Generated states are 43 base64url characters (256 bits from the caller's RNG), so they need
/// no escaping in a URL. [`State::new`] accepts 1 to 500 characters of `A-Z a-z 0-9 - . _ ~`
/// (500 is X's limit). Like [`CodeVerifier`](crate::CodeVerifier) it is a secret newtype:
/// redacted `Debug`/`Display`, no `PartialEq`, zeroized on drop; compare with
/// [`matches`](Self::matches).
///
/// ```
/// use pkce::State;
///
/// let state = State::generate(&mut rand::rng());
/// // ... redirect with `state=<state.secret()>`, then on the callback:
/// let returned = state.secret().to_owned();
/// assert!(state.matches(&returned));
/// assert!(!state.matches("forged"));
/// ```
#[derive(Clone)]
pub struct State(Zeroizing<String>);

impl State {
    /// The longest state accepted (X documents "up to 500 characters").
    pub const MAX_LEN: usize = 500;

    /// Draws 32 bytes from `rng` and encodes them as base64url without padding (43 characters).
    #[must_use]
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; STATE_BYTES];
        rng.fill_bytes(&mut bytes);
        let state = Zeroizing::new(text::base64url(&bytes));
        bytes.zeroize();
        Self(state)
    }

    /// Wraps an existing state, e.g. one restored from storage.
    ///
    /// # Errors
    ///
    /// [`Error::StateLength`] if it is empty or longer than 500 bytes, otherwise
    /// [`Error::InvalidCharacter`] at the first character outside `A-Z a-z 0-9 - . _ ~`.
    /// The string is zeroized either way.
    pub fn new(state: impl Into<String>) -> Result<Self, Error> {
        Self::from_string(Zeroizing::new(state.into()))
    }

    pub(crate) fn from_string(state: Zeroizing<String>) -> Result<Self, Error> {
        let len = state.len();
        if !(1..=Self::MAX_LEN).contains(&len) {
            return Err(Error::StateLength { len });
        }
        text::check_unreserved(&state, Field::State)?;
        Ok(Self(state))
    }

    /// The state itself, for the `state` parameter of the authorization request.
    ///
    /// # Security
    ///
    /// An attacker who learns a pending login's state can forge its callback (login CSRF).
    /// Do not log it.
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// Is `returned` (the callback's decoded `state` parameter) this state?
    ///
    /// Runs in constant time for inputs of this state's length; a different length is `false`
    /// at once. Never panics, whatever `returned` holds.
    #[must_use]
    pub fn matches(&self, returned: &str) -> bool {
        self.0.as_bytes().ct_eq(returned.as_bytes()).into()
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("State(<redacted>)")
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn generate_makes_distinct_url_safe_states() {
        let mut rng = StdRng::seed_from_u64(7);
        let a = State::generate(&mut rng);
        let b = State::generate(&mut rng);
        assert_eq!(a.secret().len(), 43);
        assert!(a.secret().bytes().all(text::is_base64url));
        assert!(!a.matches(b.secret()));
        assert!(a.matches(a.secret()));
    }

    #[test]
    fn new_enforces_length_and_characters() {
        assert!(State::new("a").is_ok());
        assert!(State::new("~".repeat(500)).is_ok());
        assert_eq!(State::new("").unwrap_err(), Error::StateLength { len: 0 });
        assert_eq!(
            State::new("a".repeat(501)).unwrap_err(),
            Error::StateLength { len: 501 }
        );
        assert_eq!(
            State::new("abc def").unwrap_err(),
            Error::InvalidCharacter {
                field: Field::State,
                position: 3
            }
        );
    }

    #[test]
    fn matches_needs_the_exact_value() {
        let state = State::new("xyz-123").unwrap();
        assert!(state.matches("xyz-123"));
        for other in ["", "xyz-12", "xyz-1234", "XYZ-123", "xyz-124", "xyz%2D123"] {
            assert!(!state.matches(other), "{other}");
        }
    }

    #[test]
    fn formatting_is_redacted() {
        let state = State::new("sentinel-state-value").unwrap();
        assert_eq!(format!("{state:?}"), "State(<redacted>)");
        assert_eq!(state.to_string(), "<redacted>");
    }
}
