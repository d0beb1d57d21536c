//! Newtypes for the secrets the flows carry, and for the identifiers that must not be swapped
//! with them.
//!
//! A secret prints as `<redacted>` in `Debug` and `Display`, is zeroed on drop, has no
//! `PartialEq`, and serializes as its plain string so that it can be stored.

use core::fmt;

use zeroize::Zeroizing;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// `Debug` and `Display` print `<redacted>`; zeroed on drop; serializes as the plain
        /// string (store it as carefully as a password).
        #[derive(Clone, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Zeroizing<String>);

        impl $name {
            /// Wraps the secret.
            pub fn new(secret: impl Into<String>) -> Self {
                Self(Zeroizing::new(secret.into()))
            }

            /// The secret itself.
            ///
            /// # Security
            /// Whoever holds this value can act as its owner: do not log it or put it in an
            /// error message.
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

macro_rules! identifier_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
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

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

secret_type!(
    /// An OAuth 2.0 user access token (`Authorization: Bearer …`).
    AccessToken
);
secret_type!(
    /// An OAuth 2.0 refresh token: single use at X, replaced by every refresh.
    RefreshToken
);
secret_type!(
    /// An app-only bearer token (OAuth 2.0 client credentials).
    BearerToken
);
secret_type!(
    /// A confidential client's OAuth 2.0 client secret.
    ClientSecret
);
secret_type!(
    /// An OAuth 2.0 authorization code: single use, valid for 30 seconds at X.
    AuthorizationCode
);
secret_type!(
    /// An OAuth 1.0a `oauth_verifier` (from the callback, or the PIN the user typed).
    Verifier
);

identifier_type!(
    /// An OAuth 2.0 client id (X: "Client ID").
    ClientId
);
identifier_type!(
    /// An X user id (numeric, as a string: ids exceed 2⁵³).
    UserId
);
