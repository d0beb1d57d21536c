//! The one round-trip abstraction every flow uses: a request to send, and the pure step that
//! consumes its answer.

use std::time::SystemTime;

use crate::Error;

/// An HTTP request as plain data: method, URI, headers and body bytes.
pub type HttpRequest = http::Request<Vec<u8>>;

/// An HTTP response as plain data: status, headers and body bytes.
pub type HttpResponse = http::Response<Vec<u8>>;

/// Whether a request may be sent again after a failure whose outcome is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Replay {
    /// Sending it twice does no harm (reads, token requests that return the same token).
    Safe,
    /// May be sent again, but only signed anew: an OAuth 1.0a request carries a nonce X rejects
    /// twice and a timestamp X rejects when stale, so build the step again (fresh nonce, `now`)
    /// instead of re-sending the same bytes. The retry policy decides as for [`Replay::Safe`].
    Resign,
    /// A single-use step (code exchange, refresh, OAuth 1.0a access token): after an ambiguous
    /// failure it must not be sent again, because the grant may already be spent.
    Never,
    /// Sent once, and not again whatever the answer (even a 429): a signed request that the
    /// driver cannot sign anew. What [`as_sent`](Self::as_sent) makes of [`Resign`](Self::Resign).
    Once,
}

impl Replay {
    /// The rule for a request that would be re-sent byte for byte (a driver that cannot sign it
    /// anew): a `Resign` request then is sent [`Once`](Self::Once) (its nonce would repeat and
    /// its timestamp age); the caller builds the step again to retry.
    #[must_use]
    pub const fn as_sent(self) -> Self {
        match self {
            Self::Resign => Self::Once,
            other => other,
        }
    }
}

/// One HTTP round trip of a flow.
///
/// The driving contract: send [`request`](Exchange::request) exactly as given, then hand the
/// response to [`finish`](Exchange::finish) exactly once, with the caller's `now`. Whether a
/// failed attempt may be repeated is [`replay`](Exchange::replay)'s answer, applied by the
/// retry policy.
pub trait Exchange {
    /// What the flow yields when the response is good.
    type Output;

    /// The request to send.
    fn request(&self) -> &HttpRequest;

    /// Whether this request may be replayed after an ambiguous failure.
    fn replay(&self) -> Replay;

    /// Consumes the response.
    fn finish(self, now: SystemTime, response: HttpResponse) -> Result<Self::Output, Error>;
}

/// Builds a request from parts that are valid by construction (URLs from [`url::Url`], header
/// values checked by the caller).
pub(crate) fn build(
    method: http::Method,
    url: &url::Url,
    headers: &[(http::header::HeaderName, http::HeaderValue)],
    body: Vec<u8>,
) -> Result<HttpRequest, Error> {
    let mut builder = http::Request::builder().method(method).uri(url.as_str());
    for (name, value) in headers {
        builder = builder.header(name, value.clone());
    }
    builder.body(body).map_err(|_| Error::InvalidUrl {
        reason: "not a valid request URI",
    })
}

/// `Content-Type` of the form bodies the flows send.
pub(crate) const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";
