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
        /// `Debug` and `Display` print `<redacted>`; the memory is zeroed on drop. There is no
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
    /// Pairs a consumer key with its secret.
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: ConsumerKey::new(key),
            secret: ConsumerSecret::new(secret),
        }
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
    /// Pairs a token with its secret.
    pub fn new(token: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            token: Token::new(token),
            secret: TokenSecret::new(secret),
        }
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
pub fn generate_nonce<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(32);
    let mut pool = [0u8; 48];
    while out.len() < 32 {
        rng.fill_bytes(&mut pool);
        // 248 = 4 × 62: rejecting larger bytes keeps every character equally likely.
        for &b in pool.iter().filter(|&&b| b < 248) {
            if out.len() == 32 {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(b % 62)]));
        }
    }
    out
}
