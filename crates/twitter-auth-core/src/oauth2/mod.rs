//! OAuth 2.0 at X: app-only bearer tokens (client credentials) and user tokens through the
//! Authorization Code flow with PKCE (public and confidential clients, refresh, revoke).
