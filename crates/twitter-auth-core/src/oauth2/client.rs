//! Who is asking: an OAuth 2.0 app's identity and X's hosts, how it authenticates at X's token
//! and revoke endpoints ([X: OAuth 2.0 user access token](https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token); RFC 6749 §2.3.1), the steps it builds, and the encoders those requests
//! share.

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName};
use http::{HeaderValue, Method};
use zeroize::Zeroizing;

use super::pkce_login::{AuthorizeRequest, AuthorizedCode, CodeExchange};
use super::revoke::{RevokeExchange, RevokeToken};
use super::scope::Scopes;
use super::token::{RefreshExchange, TokenSet};
use super::users_me::UsersMeExchange;
use crate::exchange::{FORM_CONTENT_TYPE, build};
use crate::{ClientId, ClientSecret, Endpoints, Error, HttpRequest};

/// An OAuth 2.0 app as X's developer portal registers it (its client id, and its secret if it
/// is confidential), with the hosts it talks to: every step of the flow is one of its methods
/// ([`authorize`](Self::authorize), [`exchange`](Self::exchange), [`refresh`](Self::refresh),
/// [`revoke`](Self::revoke), [`users_me`](Self::users_me)).
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
/// It talks to X's own hosts ([`Endpoints::x`]) unless [`with_endpoints`](Self::with_endpoints)
/// names others (a fake X on a loopback port, for instance).
///
/// `Debug` redacts the secret.
///
/// ```
/// use twitter_auth_core::oauth2::{App, Scope, Scopes};
/// use twitter_auth_core::ClientId;
/// use rand::SeedableRng as _;
///
/// let app = App::public(ClientId::new("rG9n6402A3dbUJKzXTNX4oWHJ"));
/// let login = app.authorize("https://app.example/cb", Scopes::from([Scope::UsersRead]))?;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(7); // in an app: `rand::rng()`
/// let (url, _pending) = login.start(std::time::SystemTime::now(), &mut rng);
/// assert!(url.as_str().starts_with("https://x.com/i/oauth2/authorize?"));
/// # Ok::<(), twitter_auth_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct App {
    id: ClientId,
    secret: Option<ClientSecret>,
    endpoints: Endpoints,
}

impl App {
    /// A public client (Native App, Single Page App): PKCE only, no secret.
    #[must_use]
    pub fn public(id: ClientId) -> Self {
        Self {
            id,
            secret: None,
            endpoints: Endpoints::x(),
        }
    }

    /// A confidential client (Web App, Automated App or Bot), which authenticates with its
    /// secret.
    #[must_use]
    pub fn confidential(id: ClientId, secret: ClientSecret) -> Self {
        Self {
            id,
            secret: Some(secret),
            endpoints: Endpoints::x(),
        }
    }

    /// The same app at other hosts (default: [`Endpoints::x`]).
    #[must_use]
    pub fn with_endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = endpoints;
        self
    }

    /// The hosts this app talks to.
    #[must_use]
    pub const fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Step 1 of a login: what the authorize URL asks for, returning to `redirect_uri` with
    /// `scopes`; [`AuthorizeRequest::start`] draws the PKCE verifier and `state` and gives the
    /// URL with the [`PendingLogin`](super::PendingLogin) to keep.
    ///
    /// `redirect_uri` is sent exactly as given: X compares it with the registered callback
    /// character for character (trailing slash included), and the code exchange repeats it.
    /// X requires at least one scope; `/2/users/me` needs `tweet.read` and `users.read`, and a
    /// refresh token needs `offline.access`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] if `redirect_uri` is not an absolute URL, or has a fragment (RFC
    /// 6749 §3.1.2); [`Error::Misuse`] if `scopes` is empty.
    pub fn authorize(&self, redirect_uri: &str, scopes: Scopes) -> Result<AuthorizeRequest, Error> {
        AuthorizeRequest::new(self, redirect_uri, scopes)
    }

    /// Trades the code of a callback for the user's tokens (RFC 6749 §4.1.3 with RFC 7636
    /// §4.5): `POST {api}/2/oauth2/token`, `code`, `grant_type=authorization_code`,
    /// `redirect_uri`, `code_verifier`, authenticated as this app.
    ///
    /// # Errors
    ///
    /// [`Misuse::AppMismatch`](crate::Misuse::AppMismatch) if this is not the app that started the login (another id, or
    /// public where it was confidential or the reverse: X would answer `unauthorized_client`).
    pub fn exchange(&self, code: AuthorizedCode) -> Result<CodeExchange, Error> {
        code.into_exchange(self)
    }

    /// Refreshes `tokens` (RFC 6749 §6): `POST {api}/2/oauth2/token`,
    /// `grant_type=refresh_token`. X rotates the refresh token: the old one stops working once
    /// X has answered.
    ///
    /// # Errors
    ///
    /// [`Error::NoRefreshToken`] when `tokens` has none (the login did not ask for
    /// `offline.access`).
    pub fn refresh(&self, tokens: &TokenSet) -> Result<RefreshExchange, Error> {
        super::token::refresh(self, tokens)
    }

    /// Revokes a token (RFC 7009): `POST {api}/2/oauth2/revoke`, `token`, `token_type_hint`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] if the request cannot be built.
    pub fn revoke(&self, token: RevokeToken<'_>) -> Result<RevokeExchange, Error> {
        super::revoke::revoke(self, token)
    }

    /// `GET {api}/2/users/me` with the user's access token: whose the tokens are.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] if the request cannot be built.
    pub fn users_me(&self, tokens: &TokenSet) -> Result<UsersMeExchange, Error> {
        UsersMeExchange::bearer(&self.endpoints, tokens)
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
    // Callers pass visible ASCII (checked tokens, base64); anything else is a token that
    // should have been refused when it was made.
    let mut value = HeaderValue::from_str(value).map_err(|_| Error::InvalidToken)?;
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
