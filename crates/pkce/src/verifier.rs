//! [`CodeVerifier`]: the client's PKCE secret (RFC 7636 §4.1).

use core::fmt;

use rand_core::CryptoRng;
use zeroize::{Zeroize as _, Zeroizing};

use crate::text::Inline;
use crate::{CodeChallenge, Error, Field, Method, text};

/// Random bytes behind a default verifier: 32 bytes encode to 43 base64url characters.
const DEFAULT_BYTES: usize = 32;
/// Random bytes needed for the longest verifier: 96 bytes encode to 128 characters.
const MAX_BYTES: usize = 96;

/// A PKCE code verifier (RFC 7636 §4.1): 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`.
///
/// The client keeps it secret until the token request. It is a secret newtype:
/// `Debug` prints `CodeVerifier(<redacted>)`, `Display` prints `<redacted>`, there is no
/// `PartialEq` (compare with [`verify`](crate::verify), in constant time), and the contents are
/// zeroized on drop. [`secret`](Self::secret) is the one deliberate way to read it.
///
/// It lives inline (a 128-byte buffer, no heap), so generating one allocates nothing; like any
/// value it may be copied when moved, and only the place it is dropped from is wiped.
///
/// ```
/// use pkce::CodeVerifier;
///
/// let verifier = CodeVerifier::generate(&mut rand::rng());
/// assert_eq!(verifier.secret().len(), 43);
/// assert_eq!(format!("{verifier:?}"), "CodeVerifier(<redacted>)");
/// ```
#[derive(Clone)]
pub struct CodeVerifier(Inline);

impl Drop for CodeVerifier {
    fn drop(&mut self) {
        // The one wipe: the characters written; the rest of the buffer was never written.
        self.0.wipe();
    }
}

/// A verifier length RFC 7636 allows: 43 to 128 characters, checked once when it is made, so
/// [`CodeVerifier::generate_with_len`] cannot fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VerifierLength(u8);

impl VerifierLength {
    /// 43 characters (256 random bits): the length [`CodeVerifier::generate`] draws.
    pub const MIN: Self = Self(43);
    /// 128 characters.
    pub const MAX: Self = Self(128);

    /// `len` characters.
    ///
    /// # Errors
    ///
    /// [`Error::VerifierLength`] if `len` is outside `43..=128`.
    pub const fn new(len: usize) -> Result<Self, Error> {
        if len < CodeVerifier::MIN_LEN || len > CodeVerifier::MAX_LEN {
            return Err(Error::VerifierLength { len });
        }
        // In 43..=128, so it fits a byte.
        #[allow(clippy::cast_possible_truncation)]
        Ok(Self(len as u8))
    }

    /// The length in characters.
    #[must_use]
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

impl CodeVerifier {
    /// The shortest verifier RFC 7636 allows, and the length of [`generate`](Self::generate)'s.
    pub const MIN_LEN: usize = 43;
    /// The longest verifier RFC 7636 allows.
    pub const MAX_LEN: usize = 128;

    /// Draws 32 bytes from `rng` and encodes them as base64url without padding: a 43-character
    /// verifier carrying 256 bits of entropy, the construction RFC 7636 §4.1 recommends.
    ///
    /// Pass a cryptographically secure generator, e.g. `&mut rand::rng()`, or a seeded
    /// `rand::rngs::StdRng` in tests.
    #[must_use]
    #[inline]
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; DEFAULT_BYTES];
        rng.fill_bytes(&mut bytes);
        Self::from_random(&mut bytes, Self::MIN_LEN)
    }

    /// Like [`generate`](Self::generate), with a chosen length in characters.
    ///
    /// Draws `ceil(len * 3 / 4)` bytes (up to 96), encodes them as base64url and keeps the first
    /// `len` characters, each of which carries 6 random bits. The length was checked when it
    /// was made ([`VerifierLength::new`]), so this cannot fail.
    #[must_use]
    pub fn generate_with_len<R: CryptoRng + ?Sized>(rng: &mut R, len: VerifierLength) -> Self {
        let len = len.get();
        let mut bytes = [0u8; MAX_BYTES];
        let bytes = &mut bytes[..(len * 3).div_ceil(4)];
        rng.fill_bytes(bytes);
        Self::from_random(bytes, len)
    }

    /// Encodes freshly drawn bytes into the inline buffer (then wipes them) and keeps `len`
    /// characters: base64url output is ASCII, so nothing is validated again.
    #[inline]
    fn from_random(bytes: &mut [u8], len: usize) -> Self {
        let verifier = Self(Inline::base64url(bytes, len));
        bytes.zeroize();
        debug_assert!(validate(verifier.secret()).is_ok());
        verifier
    }

    /// Wraps an existing verifier, e.g. one restored from storage or received by a server.
    ///
    /// # Errors
    ///
    /// [`Error::VerifierLength`] if it is not 43 to 128 bytes long, otherwise
    /// [`Error::InvalidCharacter`] at the first character outside `A-Z a-z 0-9 - . _ ~`.
    /// The string is zeroized either way.
    pub fn new(verifier: impl Into<String>) -> Result<Self, Error> {
        Self::from_string(Zeroizing::new(verifier.into()))
    }

    pub(crate) fn from_string(verifier: Zeroizing<String>) -> Result<Self, Error> {
        validate(&verifier)?;
        Ok(Self(Inline::copy(verifier.as_bytes())))
    }

    /// The verifier itself, for the `code_verifier` parameter of the token request.
    ///
    /// # Security
    ///
    /// Whoever learns the verifier before the code is redeemed can redeem an intercepted
    /// authorization code: send it only to the token endpoint, over TLS, and do not log it.
    #[must_use]
    pub fn secret(&self) -> &str {
        self.0.as_str()
    }

    /// The `S256` challenge for this verifier: `BASE64URL(SHA256(ASCII(verifier)))`.
    #[must_use]
    #[inline]
    pub fn challenge(&self) -> CodeChallenge {
        CodeChallenge::s256(self.0.as_bytes())
    }

    /// The challenge for this verifier under `method`.
    ///
    /// Prefer [`challenge`](Self::challenge): with [`Method::Plain`] the challenge *is* the
    /// verifier, so anyone who sees the authorization request can redeem the code. RFC 7636
    /// §4.2 allows it only when `S256` is impossible.
    #[must_use]
    pub fn challenge_with(&self, method: Method) -> CodeChallenge {
        match method {
            Method::S256 => self.challenge(),
            Method::Plain => CodeChallenge::plain(self.0.as_bytes()),
        }
    }
}

/// The RFC 7636 §4.1 rules: 43 to 128 characters, all unreserved.
pub(crate) fn validate(verifier: &str) -> Result<(), Error> {
    let len = verifier.len();
    if !(CodeVerifier::MIN_LEN..=CodeVerifier::MAX_LEN).contains(&len) {
        return Err(Error::VerifierLength { len });
    }
    text::check_unreserved(verifier, Field::CodeVerifier)
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier(<redacted>)")
    }
}

impl fmt::Display for CodeVerifier {
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
    fn generate_makes_43_unreserved_characters() {
        let mut rng = StdRng::seed_from_u64(1);
        let a = CodeVerifier::generate(&mut rng);
        let b = CodeVerifier::generate(&mut rng);
        assert_eq!(a.secret().len(), 43);
        assert!(a.secret().bytes().all(text::is_unreserved));
        assert_ne!(a.secret(), b.secret());
    }

    #[test]
    fn generate_works_through_dyn_and_nested_references() {
        let mut rng = StdRng::seed_from_u64(2);
        let dynamic: &mut dyn CryptoRng = &mut rng;
        assert_eq!(CodeVerifier::generate(dynamic).secret().len(), 43);
        assert_eq!(CodeVerifier::generate(&mut &mut rng).secret().len(), 43);
    }

    #[test]
    fn generate_with_len_covers_the_whole_range() {
        let mut rng = StdRng::seed_from_u64(3);
        for len in 43..=128 {
            let checked = VerifierLength::new(len).unwrap();
            let verifier = CodeVerifier::generate_with_len(&mut rng, checked);
            assert_eq!(verifier.secret().len(), len);
            assert_eq!(validate(verifier.secret()), Ok(()));
        }
        for len in [0, 1, 42, 129, 1000, usize::MAX] {
            assert_eq!(
                VerifierLength::new(len).unwrap_err(),
                Error::VerifierLength { len }
            );
        }
        assert_eq!(VerifierLength::MIN.get(), CodeVerifier::MIN_LEN);
        assert_eq!(VerifierLength::MAX.get(), CodeVerifier::MAX_LEN);
    }

    #[test]
    fn generate_with_len_is_a_prefix_of_the_encoded_bytes() {
        // 44 characters need 33 bytes; the verifier is the full encoding of those bytes.
        let mut rng = StdRng::seed_from_u64(4);
        let verifier = CodeVerifier::generate_with_len(&mut rng, VerifierLength::new(44).unwrap());
        let mut bytes = [0u8; 33];
        rand_core::RngCore::fill_bytes(&mut StdRng::seed_from_u64(4), &mut bytes);
        assert_eq!(verifier.secret(), text::base64url(&bytes));
        // 43 characters also come from 33 bytes, truncated.
        let verifier =
            CodeVerifier::generate_with_len(&mut StdRng::seed_from_u64(4), VerifierLength::MIN);
        assert_eq!(verifier.secret(), &text::base64url(&bytes)[..43]);
    }

    #[test]
    fn new_checks_length_then_characters() {
        let ok = "a".repeat(43);
        assert!(CodeVerifier::new(ok.as_str()).is_ok());
        assert!(CodeVerifier::new("~".repeat(128)).is_ok());
        assert_eq!(
            CodeVerifier::new("a".repeat(42)).unwrap_err(),
            Error::VerifierLength { len: 42 }
        );
        assert_eq!(
            CodeVerifier::new("a".repeat(129)).unwrap_err(),
            Error::VerifierLength { len: 129 }
        );
        assert_eq!(
            CodeVerifier::new("").unwrap_err(),
            Error::VerifierLength { len: 0 }
        );
        let mut bad = ok;
        bad.replace_range(10..11, "=");
        assert_eq!(
            CodeVerifier::new(bad).unwrap_err(),
            Error::InvalidCharacter {
                field: Field::CodeVerifier,
                position: 10
            }
        );
    }

    #[test]
    fn formatting_is_redacted() {
        let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(format!("{verifier:?}"), "CodeVerifier(<redacted>)");
        assert_eq!(format!("{verifier:#?}"), "CodeVerifier(<redacted>)");
        assert_eq!(verifier.to_string(), "<redacted>");
    }

    #[test]
    fn challenge_with_plain_is_the_verifier() {
        let verifier = CodeVerifier::new("x".repeat(50)).unwrap();
        let plain = verifier.challenge_with(Method::Plain);
        assert_eq!(plain.as_str(), verifier.secret());
        assert_eq!(plain.method(), Method::Plain);
        assert_eq!(verifier.challenge_with(Method::S256).method(), Method::S256);
    }
}
