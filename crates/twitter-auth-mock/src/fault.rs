//! Faults a test injects: the next N requests to a path misbehave.

use std::time::Duration;

/// A fault for the next `times` requests whose path is `path` (query ignored).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fault {
    /// The request path, e.g. `/2/oauth2/token`.
    pub path: String,
    /// How many requests it hits.
    pub times: u32,
    /// What they get.
    pub kind: FaultKind,
}

/// What a faulty request gets.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// This status with X's error body for it; the request is not processed.
    Status(u16),
    /// 429 with `x-rate-limit-remaining: 0` and `x-rate-limit-reset` this many seconds ahead
    /// of the mock's clock; the request is not processed.
    RateLimited {
        /// Seconds from now until the reset instant.
        reset_after: u64,
    },
    /// The answer comes this much later (the request is processed normally).
    Delay(Duration),
    /// The connection closes before the request is processed: nothing changed at the server.
    DropConnection,
    /// The request is processed, then the connection closes before the answer: the client
    /// cannot know the outcome (a rotated refresh token the client never saw, say).
    LoseResponse,
    /// 200 with a truncated JSON body; the request is not processed.
    MalformedBody,
}

impl Fault {
    /// A fault for the next `times` requests to `path`.
    pub fn new(path: impl Into<String>, times: u32, kind: FaultKind) -> Self {
        Self {
            path: path.into(),
            times,
            kind,
        }
    }
}
