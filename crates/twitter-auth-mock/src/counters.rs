//! What a test can count: requests per path, tokens issued, refreshes, revocations.

use std::collections::BTreeMap;

/// A snapshot of the mock's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// Requests received per path (query excluded), faulty ones included.
    pub requests: BTreeMap<String, u64>,
    /// OAuth 1.0a request tokens issued.
    pub request_tokens: u64,
    /// OAuth 1.0a access tokens issued by `oauth/access_token` (an existing token handed out
    /// again is not counted).
    pub oauth1_access_tokens: u64,
    /// App-only bearer tokens issued (the same token handed out again is not counted).
    pub bearer_tokens: u64,
    /// OAuth 2.0 authorization codes issued.
    pub authorization_codes: u64,
    /// OAuth 2.0 access tokens issued (code exchanges and refreshes).
    pub oauth2_access_tokens: u64,
    /// Refresh-token grants that succeeded.
    pub refreshes: u64,
    /// Refresh-token grants refused because the token was already used (rotation replays).
    pub refresh_replays: u64,
    /// Tokens revoked through `2/oauth2/revoke`.
    pub revocations: u64,
    /// Tokens invalidated through `1.1/oauth/invalidate_token` or `oauth2/invalidate_token`.
    pub invalidations: u64,
    /// OAuth 1.0a requests refused for their signature, timestamp or nonce.
    pub rejected_signatures: u64,
    /// Requests answered 429 by the rate limiter.
    pub rate_limited: u64,
    /// Requests that met an injected fault.
    pub faults: u64,
}

impl Counters {
    /// Requests received for one path.
    pub fn requests_to(&self, path: &str) -> u64 {
        self.requests.get(path).copied().unwrap_or(0)
    }

    /// Every token issued, of any kind (codes excluded).
    pub fn tokens_issued(&self) -> u64 {
        self.request_tokens
            + self.oauth1_access_tokens
            + self.bearer_tokens
            + self.oauth2_access_tokens
    }
}
