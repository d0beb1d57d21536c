//! Consumer and token credentials, with secrets that cannot be printed by accident.

use core::fmt;

use zeroize::Zeroizing;

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(transparent))]
        pub struct $name(String);

        impl $name {
            /// Wraps the value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value, as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

macro_rules! secret {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// `Debug` and `Display` print `<redacted>`; the string is zeroed on drop. There is no
        /// `PartialEq`: compare secrets in constant time, if at all.
        #[derive(Clone)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(transparent))]
        pub struct $name(Zeroizing<String>);

        impl $name {
            /// Wraps the secret.
            pub fn new(secret: impl Into<String>) -> Self {
                Self(Zeroizing::new(secret.into()))
            }

            /// The secret itself.
            ///
            /// # Security
            /// Whoever holds this value can sign requests as its owner: do not log it or put it
            /// in an error message.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("<redacted>")
            }
        }
    };
}

identifier!(
    /// The consumer key (X: "API Key"), sent as `oauth_consumer_key`.
    ConsumerKey
);
secret!(
    /// The consumer secret (X: "API Key Secret"), half of the signing key.
    ConsumerSecret
);
identifier!(
    /// A request or access token, sent as `oauth_token`.
    Token
);
secret!(
    /// The secret that belongs to a request or access token, the other half of the signing key.
    TokenSecret
);

/// The application's credentials (RFC 5849 "client credentials").
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConsumerCredentials {
    /// `oauth_consumer_key`.
    pub key: ConsumerKey,
    /// The consumer secret.
    pub secret: ConsumerSecret,
}

impl ConsumerCredentials {
    /// Pairs a consumer key with its secret. Both are typed, so they cannot be swapped.
    #[must_use]
    pub const fn new(key: ConsumerKey, secret: ConsumerSecret) -> Self {
        Self { key, secret }
    }
}

/// A request token or an access token with its secret (RFC 5849 "temporary" or "token
/// credentials").
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TokenCredentials {
    /// `oauth_token`.
    pub token: Token,
    /// The token secret.
    pub secret: TokenSecret,
}

impl TokenCredentials {
    /// Pairs a token with its secret. Both are typed, so they cannot be swapped.
    #[must_use]
    pub const fn new(token: Token, secret: TokenSecret) -> Self {
        Self { token, secret }
    }
}

/// Draws a nonce from the caller's CSPRNG: 32 characters from `A-Z a-z 0-9` (about 190 bits).
///
/// X accepts only ASCII nonces; alphanumerics are safe with every server.
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
/// let nonce = oauth1_sign::generate_nonce(&mut rng);
/// assert_eq!(nonce.len(), 32);
/// assert!(nonce.bytes().all(|b| b.is_ascii_alphanumeric()));
/// ```
#[must_use]
pub fn generate_nonce<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut words = [0u8; 128];
    rng.fill_bytes(&mut words);
    // Each character takes 32 random bits scaled onto the alphabet (`(r × 62) >> 32`): a bias
    // below 2⁻²⁶ per character, no rejection loop, and so no way for a bad RNG to hang it.
    words
        .chunks_exact(4)
        .map(|w| {
            let r = u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
            char::from(ALPHABET[((r * 62) >> 32) as usize])
        })
        .collect()
}
