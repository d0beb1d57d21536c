//! Who is asking: an OAuth 2.0 client's identity, how it authenticates at X's token and revoke
//! endpoints (contract §4.4), and the encoders those requests share.

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName};
use http::{HeaderValue, Method};
use zeroize::Zeroizing;

use crate::exchange::{FORM_CONTENT_TYPE, build};
use crate::{ClientId, ClientSecret, Error, HttpRequest};

/// An OAuth 2.0 client as X's developer portal registers it.
///
/// - **Public** (Native App, Single Page App): no secret; `client_id` travels in the body of
///   every token and revoke request.
/// - **Confidential** (Web App, Automated App or Bot): `Authorization: Basic
///   base64(client_id:client_secret)` on those requests and no `client_id` in the body. Each
///   half is form-encoded first (RFC 6749 §2.3.1), which leaves X's ids and secrets (`A-Z a-z
///   0-9 - _`) unchanged.
///
/// Choosing the wrong kind is the classic X failure: 401 `unauthorized_client` "Missing valid
/// authorization header".
///
/// `Debug` redacts the secret.
#[derive(Clone, Debug)]
pub struct Client {
    id: ClientId,
    secret: Option<ClientSecret>,
}

impl Client {
    /// A public client: PKCE only, no secret.
    #[must_use]
    pub const fn public(id: ClientId) -> Self {
        Self { id, secret: None }
    }

    /// A confidential client, which authenticates with its secret.
    #[must_use]
    pub const fn confidential(id: ClientId, secret: ClientSecret) -> Self {
        Self {
            id,
            secret: Some(secret),
        }
    }

    /// The client id.
    #[must_use]
    pub const fn id(&self) -> &ClientId {
        &self.id
    }

    /// Whether the client authenticates with a secret.
    #[must_use]
    pub const fn is_confidential(&self) -> bool {
        self.secret.is_some()
    }

    /// A POST of `form` to `url`, authenticated as this client: Basic auth, or `client_id`
    /// appended to the body.
    pub(crate) fn post_form(&self, url: &url::Url, mut form: Form) -> Result<HttpRequest, Error> {
        let mut headers: Vec<(HeaderName, HeaderValue)> =
            vec![(CONTENT_TYPE, HeaderValue::from_static(FORM_CONTENT_TYPE))];
        match &self.secret {
            Some(secret) => {
                let user = Zeroizing::new(form_encode(self.id.as_str()));
                let password = Zeroizing::new(form_encode(secret.secret()));
                headers.push((AUTHORIZATION, basic_authorization(&user, &password)?));
            }
            None => form.push("client_id", self.id.as_str()),
        }
        build(Method::POST, url, &headers, form.into_body())
    }
}

/// `Basic base64(user:password)` (RFC 7617), marked sensitive. The caller encodes each half
/// as its protocol requires.
pub(crate) fn basic_authorization(user: &str, password: &str) -> Result<HeaderValue, Error> {
    let joined = Zeroizing::new(format!("{user}:{password}"));
    let encoded = Zeroizing::new(STANDARD.encode(joined.as_bytes()));
    let value = Zeroizing::new(format!("Basic {}", encoded.as_str()));
    sensitive(&value)
}

/// `Bearer <token>`, marked sensitive. `token` must be a valid bearer token
/// ([`is_bearer_token`]).
pub(crate) fn bearer_authorization(token: &str) -> Result<HeaderValue, Error> {
    let value = Zeroizing::new(format!("Bearer {token}"));
    sensitive(&value)
}

fn sensitive(value: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(value).map_err(|_| Error::InvalidUrl {
        reason: "an Authorization header value is not valid HTTP",
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Whether `token` can go in `Authorization: Bearer …` as is: one or more visible ASCII
/// characters, no spaces (RFC 6750 `b64token`, widened to the `%` X's app-only tokens hold).
pub(crate) fn is_bearer_token(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())
}

/// `application/x-www-form-urlencoded` serialization (RFC 6749 Appendix B: space is `+`), the
/// encoding RFC 6749 §2.3.1 applies to a client id and secret before Basic auth.
pub(crate) fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// RFC 3986 percent-encoding: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX` (so a space is
/// `%20`). Used for the authorize query, the form bodies and app-only Basic credentials.
pub(crate) fn percent_encode(value: &str) -> String {
    oauth1_sign::encode(value)
}

/// A form body under construction, `name=value` pairs joined by `&`, each side
/// percent-encoded (RFC 3986 unreserved characters kept, space as `%20`).
pub(crate) struct Form(String);

impl Form {
    pub(crate) const fn new() -> Self {
        Self(String::new())
    }

    pub(crate) fn push(&mut self, name: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0.push_str(&percent_encode(name));
        self.0.push('=');
        self.0.push_str(&percent_encode(value));
    }

    pub(crate) fn with(mut self, name: &str, value: &str) -> Self {
        self.push(name, value);
        self
    }

    pub(crate) fn into_body(self) -> Vec<u8> {
        self.0.into_bytes()
    }

    /// The pairs as a query string (same encoding).
    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Form(<redacted>)")
    }
}

/// `Debug` for an exchange: the method and the URL's path only (queries and bodies can hold
/// tokens).
pub(crate) fn debug_exchange(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    request: &HttpRequest,
) -> fmt::Result {
    f.debug_struct(name)
        .field("method", request.method())
        .field("path", &request.uri().path())
        .finish_non_exhaustive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_reproduces_rfc_7617_aladdin_when_nothing_is_encoded() {
        let v = basic_authorization("Aladdin", "open sesame").unwrap();
        assert_eq!(v, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(v.is_sensitive());
    }

    #[test]
    fn encoders_differ_only_where_the_rfcs_do() {
        assert_eq!(form_encode("a b~*"), "a+b%7E*");
        assert_eq!(percent_encode("a b~*"), "a%20b~%2A");
        assert_eq!(
            form_encode("xvz1evFS4wEEPTGEFPHBog-_"),
            "xvz1evFS4wEEPTGEFPHBog-_"
        );
    }

    #[test]
    fn bearer_tokens_are_visible_ascii() {
        assert!(is_bearer_token("AAAA%2FAAA%3D"));
        for bad in ["", "a b", "a\nb", "é"] {
            assert!(!is_bearer_token(bad), "{bad:?}");
        }
    }
}
