//! RFC 7636 PKCE (placeholder until the crate lands).
