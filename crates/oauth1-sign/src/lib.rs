//! Pure OAuth 1.0a request signing (RFC 5849), as X (Twitter) uses it.
//!
//! - the signature base string (§3.4.1): method, base string URI, and the parameters of the
//!   query, of a form body (never JSON or multipart) and of the protocol, normalized;
//! - `HMAC-SHA1` (what X uses), `HMAC-SHA256` and `PLAINTEXT` signatures;
//! - the `Authorization` header: rendered by [`Signer::authorization`], parsed and verified
//!   in constant time by [`AuthorizationHeader`] (for servers, mocks and webhook receivers);
//! - credentials whose secrets print as `<redacted>` and whose strings are zeroed on drop (the
//!   signing-key string is too; the HMAC state a [`Signer`] keeps, derived from the key, is not
//!   wiped by the `hmac` crate, so drop signers you no longer need).
//!
//! No IO, no clock, no hidden randomness: the nonce and the timestamp are arguments, and
//! [`generate_nonce`] draws from the RNG the caller passes.
//!
//! # Signing a request
//!
//! X's "Creating a signature" example, reproduced byte for byte:
//!
//! ```
//! use oauth1_sign::{
//!     ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request, Signer, Token,
//!     TokenCredentials, TokenSecret,
//! };
//!
//! let consumer = ConsumerCredentials::new(
//!     ConsumerKey::new("xvz1evFS4wEEPTGEFPHBog"),
//!     ConsumerSecret::new("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"),
//! );
//! let token = TokenCredentials::new(
//!     Token::new("370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
//!     TokenSecret::new("LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"),
//! );
//! // Keep one signer per credential pair: the HMAC key is prepared once.
//! let signer = Signer::new(&consumer, Some(&token));
//!
//! let body = b"status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21";
//! let request = Request::new("POST", "https://api.x.com/1.1/statuses/update.json?include_entities=true")
//!     .body(Some("application/x-www-form-urlencoded"), body);
//! // In real use: `generate_nonce(&mut rng)` and the current Unix time.
//! let params = OAuthParams::new("kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958);
//!
//! let header = signer.authorization(&request, &params)?;
//! assert_eq!(
//!     header,
//!     "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", \
//!      oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", \
//!      oauth_signature=\"Ls93hJiZbQ3akF3HF3x1Bz8%2FzU4%3D\", \
//!      oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", \
//!      oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", oauth_version=\"1.0\""
//! );
//! # Ok::<(), oauth1_sign::Error>(())
//! ```
//!
//! # Debugging a signature
//!
//! [`Signer::base_string`] and [`Signer::normalized_parameters`] show what was signed:
//!
//! ```
//! # use oauth1_sign::{ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Request, Signer};
//! let app = ConsumerCredentials::new(ConsumerKey::new("key"), ConsumerSecret::new("secret"));
//! let signer = Signer::new(&app, None);
//! let request = Request::new("get", "https://API.x.com:443/2/users/by?usernames=a+b&x=%7e");
//! let params = OAuthParams::new("n", 1).callback("oob");
//! assert_eq!(
//!     signer.normalized_parameters(&request, &params)?,
//!     "oauth_callback=oob&oauth_consumer_key=key&oauth_nonce=n&oauth_signature_method=HMAC-SHA1\
//!      &oauth_timestamp=1&oauth_version=1.0&usernames=a%20b&x=~"
//! );
//! assert!(signer.base_string(&request, &params)?.starts_with("GET&https%3A%2F%2Fapi.x.com%2F2%2Fusers%2Fby&"));
//! # Ok::<(), oauth1_sign::Error>(())
//! ```
//!
//! # Verifying a header
//!
//! See [`AuthorizationHeader::verify`].

pub use rand_core;

mod credentials;
mod encode;
mod error;
mod header;
mod params;
mod signer;
mod url;

pub use credentials::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
    generate_nonce,
};
pub use encode::{decode, encode};
pub use error::Error;
pub use header::AuthorizationHeader;
pub use signer::{
    OAuthParams, Request, SignatureMethod, Signer, is_form_content_type, sign_base_string,
};
