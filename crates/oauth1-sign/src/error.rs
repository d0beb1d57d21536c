//! The crate's one error type.

/// Everything that can go wrong while signing, parsing or verifying.
///
/// Messages never contain secrets, signatures or parameter values: only which part of the input
/// was wrong and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request URL is not an absolute `http` or `https` URL this crate can sign.
    #[error("malformed URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The HTTP method is empty or is not an RFC 9110 token.
    #[error("invalid HTTP method: it must be a non-empty token such as GET or POST")]
    InvalidMethod,
    /// Input that must be UTF-8 is not.
    #[error("{what} is not valid UTF-8")]
    NonUtf8 {
        /// Which input.
        what: &'static str,
    },
    /// A percent-encoded value holds a `%` not followed by two hex digits, or a character that
    /// RFC 5849 §3.6 requires to be encoded.
    #[error("invalid percent-encoding in {what}")]
    InvalidPercentEncoding {
        /// Which input.
        what: &'static str,
    },
    /// An `Authorization` header that does not follow RFC 5849 §3.5.1.
    #[error("malformed Authorization header: {reason}")]
    MalformedHeader {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A parameter appears twice in an `Authorization` header (RFC 5849 §3.5.1 forbids it).
    #[error("parameter `{name}` appears more than once in the Authorization header")]
    DuplicateParameter {
        /// The parameter's name.
        name: String,
    },
    /// A parameter the operation needs is absent.
    #[error("the Authorization header has no `{name}` parameter")]
    MissingParameter {
        /// The parameter's name.
        name: &'static str,
    },
    /// `oauth_timestamp` is not a decimal number of seconds.
    #[error("oauth_timestamp is not a whole number of seconds")]
    InvalidTimestamp,
    /// A signature method other than `HMAC-SHA1`, `HMAC-SHA256` or `PLAINTEXT`.
    #[error("unsupported signature method (expected HMAC-SHA1, HMAC-SHA256 or PLAINTEXT)")]
    UnsupportedSignatureMethod,
    /// An `oauth_version` other than `1.0`.
    #[error("unsupported oauth_version (only 1.0 exists)")]
    UnsupportedVersion,
    /// A realm holding control characters, which cannot be sent in a header.
    #[error("invalid realm: control characters cannot be sent in a header")]
    InvalidRealm,
    /// The signature in a header is not the one the request and secrets produce.
    #[error("signature does not match the request")]
    SignatureMismatch,
}
