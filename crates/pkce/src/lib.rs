//! Proof Key for Code Exchange ([RFC 7636]) for OAuth 2.0 clients and servers: code verifiers,
//! `S256` challenges, server-side verification, and CSRF `state` tokens.
//!
//! Pure: no IO, no clock, and no hidden randomness. Everything random is drawn from the
//! [`CryptoRng`](rand_core::CryptoRng) you pass in (`&mut rand::rng()` in an application, a
//! seeded `rand::rngs::StdRng` in tests).
//!
//! # Contents
//!
//! - [`CodeVerifier`]: the client's secret, generated (32 random bytes → 43 characters, or any
//!   length in 43..=128) or validated from a string.
//! - [`CodeChallenge`] and [`Method`]: `S256` by default; `plain` only when asked for by name.
//! - [`verify`]: the server's constant-time check at the token endpoint.
//! - [`State`]: an unguessable CSRF token with a constant-time [`State::matches`].
//! - [`Error`]: the one error type; messages never contain the rejected value.
//! - Feature `serde`: `Serialize`/`Deserialize` for every type above, so a pending login can be
//!   stored between the redirect and the callback. Deserializing validates.
//!
//! # Example: the whole exchange
//!
//! ```
//! use pkce::{CodeVerifier, Method, State};
//!
//! // Client, before redirecting the user: a fresh verifier and state from a CSPRNG.
//! let mut rng = rand::rng();
//! let verifier = CodeVerifier::generate(&mut rng);
//! let state = State::generate(&mut rng);
//! let challenge = verifier.challenge(); // S256
//!
//! // The PKCE parameters of the authorization request (percent-encoding is not needed:
//! // every value here is made of unreserved characters).
//! let authorize_query = format!(
//!     "response_type=code&client_id=my-client&state={}&code_challenge={}&code_challenge_method={}",
//!     state.secret(),
//!     challenge.as_str(),
//!     challenge.method(),
//! );
//! assert!(authorize_query.ends_with("&code_challenge_method=S256"));
//! assert_eq!(challenge.as_str().len(), 43);
//!
//! // Keep `verifier` and `state` until the callback (see "Storing a pending login").
//! // The authorization server stores the challenge it received with the code it issues:
//! let stored_challenge = challenge.as_str().to_owned();
//!
//! // Client, on the callback `?code=...&state=...`: check the state first.
//! let returned_state = state.secret().to_owned(); // as parsed from the callback URL
//! assert!(state.matches(&returned_state));
//!
//! // Client, token request: send `code_verifier=<verifier>` with the code.
//! let code_verifier = verifier.secret();
//!
//! // Server, at the token endpoint: does the verifier answer the stored challenge?
//! assert!(pkce::verify(code_verifier, &stored_challenge, Method::S256));
//!
//! // Anyone without the verifier fails, including someone who saw the challenge.
//! let other = CodeVerifier::generate(&mut rng);
//! assert!(!pkce::verify(other.secret(), &stored_challenge, Method::S256));
//! assert!(!pkce::verify(&stored_challenge, &stored_challenge, Method::S256));
//! ```
//!
//! # Known values
//!
//! [RFC 7636 Appendix B][appendix-b], reproduced exactly:
//!
//! ```
//! use pkce::{CodeVerifier, Method};
//!
//! let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")?;
//! assert_eq!(verifier.challenge().as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
//! assert!(pkce::verify(
//!     verifier.secret(),
//!     "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
//!     Method::S256,
//! ));
//! # Ok::<(), pkce::Error>(())
//! ```
//!
//! Strings that break the rules are rejected with an error naming the problem, not the value:
//!
//! ```
//! use pkce::{CodeVerifier, Error, Field};
//!
//! assert_eq!(CodeVerifier::new("too-short").unwrap_err(), Error::VerifierLength { len: 9 });
//! let err = CodeVerifier::new(format!("{}+", "a".repeat(42))).unwrap_err();
//! assert_eq!(err, Error::InvalidCharacter { field: Field::CodeVerifier, position: 42 });
//! assert_eq!(
//!     err.to_string(),
//!     "invalid character in code verifier at position 42: only A-Z a-z 0-9 - . _ ~ are allowed",
//! );
//! ```
//!
//! # Storing a pending login
//!
//! With the `serde` feature, a verifier and a state serialize as their bare strings and
//! deserialize through [`CodeVerifier::new`] and [`State::new`]:
//!
//! ```
//! # #[cfg(feature = "serde")]
//! # {
//! use pkce::{CodeVerifier, State};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct PendingLogin {
//!     verifier: CodeVerifier,
//!     state: State,
//! }
//!
//! let mut rng = rand::rng();
//! let pending = PendingLogin {
//!     verifier: CodeVerifier::generate(&mut rng),
//!     state: State::generate(&mut rng),
//! };
//! let stored = serde_json::to_string(&pending)?;
//! let restored: PendingLogin = serde_json::from_str(&stored)?;
//! assert_eq!(restored.verifier.secret(), pending.verifier.secret());
//! assert!(restored.state.matches(pending.state.secret()));
//! # }
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! # Security
//!
//! - Generate verifiers and states with a cryptographically secure RNG: the `CryptoRng` bound
//!   is the only thing standing between a weak generator and a guessable verifier.
//! - Prefer [`Method::S256`]. A `plain` challenge is the verifier itself, so it protects nothing
//!   once the authorization request is seen (RFC 7636 §7.2).
//! - [`CodeVerifier`] and [`State`] print as `<redacted>`, are zeroized on drop, and have no
//!   `PartialEq`; [`verify`] and [`State::matches`] compare in constant time.
//!
//! [RFC 7636]: https://www.rfc-editor.org/rfc/rfc7636
//! [appendix-b]: https://www.rfc-editor.org/rfc/rfc7636#appendix-B

mod challenge;
mod error;
#[cfg(feature = "serde")]
mod serde_impls;
mod state;
mod text;
mod verifier;

pub use challenge::{CodeChallenge, Method, verify};
pub use error::{Error, Field};
/// The RNG traits this crate's generators take (`rand_core` 0.9, as used by `rand` 0.9).
pub use rand_core;
pub use state::State;
pub use verifier::{CodeVerifier, VerifierLength};
