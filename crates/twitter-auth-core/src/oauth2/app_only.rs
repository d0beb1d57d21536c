//! App-only bearer tokens (OAuth 2.0 client credentials, [X: App only authentication](https://docs.x.com/fundamentals/authentication/oauth-2-0/application-only)): obtain, use, invalidate.

use core::fmt;
use std::time::SystemTime;

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq as _;

use super::client::{
    Form, basic_authorization, bearer_authorization, debug_exchange, is_bearer_token,
    percent_encode,
};
use super::token::check_bearer;
use crate::exchange::{FORM_CONTENT_TYPE, build};
use crate::oauth1;
use crate::oauth1_sign::{OAuthParams, Request, Signer, TokenCredentials};
use crate::response::{ensure_success, json};
use crate::{BearerToken, Error, Exchange, HttpRequest, HttpResponse, Replay, UnixTime};

/// The `Content-Type` X's app-only guide sends to `oauth2/token`, byte for byte.
const TOKEN_CONTENT_TYPE: &str = "application/x-www-form-urlencoded;charset=UTF-8";

/// The app-only bearer steps of an app's API key and secret (its [`oauth1::App`]: X issues the
/// bearer to the same consumer keys that sign OAuth 1.0a requests).
///
/// ```
/// use twitter_auth_core::oauth1;
/// use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret};
/// use twitter_auth_core::Exchange;
///
/// let app = oauth1::App::new(
///     ConsumerKey::new("xvz1evFS4wEEPTGEFPHBog"),
///     ConsumerSecret::new("L8qq9PZyRg6ieKGEKhZolGC0vJWLw8iEJ88DRdyOg"),
/// );
/// let step = app.obtain_bearer()?;
/// assert_eq!(step.request().uri(), "https://api.x.com/oauth2/token");
/// assert_eq!(step.request().body(), b"grant_type=client_credentials");
/// # Ok::<(), twitter_auth_core::Error>(())
/// ```
impl oauth1::App {
    /// `Authorization: Basic base64(enc(key):enc(secret))`, enc being URL-encoding as X's guide
    /// asks (RFC 1738, applied as RFC 3986 percent-encoding; X's keys are unchanged by it).
    fn basic(&self) -> Result<HeaderValue, Error> {
        let consumer = self.consumer();
        let key = percent_encode(consumer.key.as_str());
        let secret = zeroize::Zeroizing::new(percent_encode(consumer.secret.secret()));
        basic_authorization(&key, &secret)
    }

    /// Asks X for the app's bearer token ([X: POST oauth2/token](https://docs.x.com/fundamentals/authentication/api-reference#post-oauth2-token)): `POST {api}/oauth2/token`, Basic
    /// auth, `Content-Type: application/x-www-form-urlencoded;charset=UTF-8`, body
    /// `grant_type=client_credentials`.
    ///
    /// X keeps one bearer token per app and returns the same one until it is invalidated; cache
    /// it, since asking too often is answered with 403 code 99.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] if the request cannot be built.
    pub fn obtain_bearer(&self) -> Result<BearerExchange, Error> {
        let headers = [
            (AUTHORIZATION, self.basic()?),
            (CONTENT_TYPE, HeaderValue::from_static(TOKEN_CONTENT_TYPE)),
        ];
        let request = build(
            Method::POST,
            &self.endpoints().api_url("oauth2/token"),
            &headers,
            b"grant_type=client_credentials".to_vec(),
        )?;
        Ok(BearerExchange { request })
    }

    /// Invalidates `bearer` the way X's application-only guide does ([X: App only authentication](https://docs.x.com/fundamentals/authentication/oauth-2-0/application-only)): `POST
    /// {api}/oauth2/invalidate_token`, Basic auth with the app's key and secret, form body
    /// `access_token=<token>`.
    ///
    /// X's two pages disagree on the authentication this endpoint wants; the API reference's
    /// is [`invalidate_bearer_signed`](Self::invalidate_bearer_signed), which this crate recommends trying
    /// first. The token is sent as issued, percent-encoded once more (its `%2F` goes out as
    /// `%252F`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] if the request cannot be built.
    pub fn invalidate_bearer_basic(
        &self,
        bearer: &AppOnlyBearer,
    ) -> Result<InvalidateBearerExchange, Error> {
        let headers = [
            (AUTHORIZATION, self.basic()?),
            (CONTENT_TYPE, HeaderValue::from_static(FORM_CONTENT_TYPE)),
        ];
        let body = Form::new()
            .with("access_token", bearer.token.secret())
            .into_body();
        let request = build(
            Method::POST,
            &self.endpoints().api_url("oauth2/invalidate_token"),
            &headers,
            body,
        )?;
        Ok(InvalidateBearerExchange {
            request,
            token: bearer.token.clone(),
            replay: Replay::Safe,
        })
    }

    /// Invalidates `bearer` the way X's API reference does ([X: POST
    /// oauth2/invalidate_token](https://docs.x.com/fundamentals/authentication/api-reference#post-oauth2-invalidate-token)): `POST
    /// {api}/oauth2/invalidate_token?access_token=<token>`, no body, signed with OAuth 1.0a by
    /// the app's consumer credentials and the **app owner's** access token (`owner`).
    ///
    /// `now` is the signature's timestamp; its `oauth_nonce` is drawn from `rng`, a
    /// cryptographically secure RNG (`rand::rng()`, re-exported by the adapters).
    ///
    /// # Errors
    ///
    /// [`Error::Sign`] if signing fails; [`Error::InvalidUrl`] if the request cannot be built.
    pub fn invalidate_bearer_signed<R: CryptoRng + ?Sized>(
        &self,
        bearer: &AppOnlyBearer,
        owner: &TokenCredentials,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<InvalidateBearerExchange, Error> {
        let mut url = self.endpoints().api_url("oauth2/invalidate_token");
        let query = Form::new()
            .with("access_token", bearer.token.secret())
            .into_string();
        url.set_query(Some(&query));
        let signer = Signer::new(self.consumer(), Some(owner));
        let nonce = oauth1_sign::generate_nonce(rng);
        let params = OAuthParams::new(&nonce, UnixTime::from_system(now).as_secs());
        let header = signer.authorization(&Request::new("POST", url.as_str()), &params)?;
        let mut header = HeaderValue::from_str(&header).map_err(|_| Error::Malformed {
            what: "the signed Authorization header is not a valid header value",
        })?;
        header.set_sensitive(true);
        let request = build(Method::POST, &url, &[(AUTHORIZATION, header)], Vec::new())?;
        Ok(InvalidateBearerExchange {
            request,
            token: bearer.token.clone(),
            // Signed: a nonce must not repeat, so a retry needs a new signature.
            replay: Replay::Resign,
        })
    }
}

/// An app-only bearer token: `Authorization: Bearer <token>`, no signing.
///
/// The token is used verbatim: X's tokens hold literal `%2F` and `%3D`, which are never
/// decoded. It does not expire; it dies when invalidated. Serde stores it as its plain string
/// (checked again when read back). `Debug` redacts it.
#[derive(Clone, Debug)]
pub struct AppOnlyBearer {
    token: BearerToken,
}

impl AppOnlyBearer {
    /// A bearer token obtained elsewhere (e.g. pasted from the developer portal).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`] if it cannot go in an `Authorization` header (empty, or not
    /// visible ASCII).
    pub fn new(token: BearerToken) -> Result<Self, Error> {
        if !is_bearer_token(token.secret()) {
            return Err(Error::InvalidToken);
        }
        // Built per request, not kept (a `HeaderValue` cannot be wiped); built once to check.
        drop(bearer_authorization(token.secret())?);
        Ok(Self { token })
    }

    /// The token.
    #[must_use]
    pub const fn token(&self) -> &BearerToken {
        &self.token
    }

    /// `Bearer <token>`, marked sensitive.
    #[must_use]
    pub fn authorization_header(&self) -> HeaderValue {
        bearer_authorization(self.token.secret())
            .expect("the token was checked when the bearer was made")
    }
}

impl serde::Serialize for AppOnlyBearer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.token.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for AppOnlyBearer {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::new(BearerToken::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// The round trip of [`oauth1::App::obtain_bearer`]; yields the app's bearer token. Safe to replay: X
/// answers with the same token.
#[must_use = "an exchange does nothing until its request is sent and finish is called"]
pub struct BearerExchange {
    request: HttpRequest,
}

impl fmt::Debug for BearerExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_exchange(f, "BearerExchange", &self.request)
    }
}

#[derive(serde::Deserialize)]
struct BearerResponse {
    token_type: Option<String>,
    access_token: Option<BearerToken>,
}

impl Exchange for BearerExchange {
    type Output = AppOnlyBearer;

    fn request(&self) -> &HttpRequest {
        &self.request
    }

    fn replay(&self) -> Replay {
        Replay::Safe
    }

    /// Expects 200 `{"token_type":"bearer","access_token":"…"}`; `token_type` is compared
    /// case-insensitively ([`Error::NotBearer`] otherwise). X's 403 code 99 comes out as
    /// [`Error::X`].
    fn finish(self, _now: SystemTime, response: HttpResponse) -> Result<AppOnlyBearer, Error> {
        ensure_success(&response)?;
        let body: BearerResponse = json(
            response.body(),
            "the bearer token response is not the JSON X sends",
        )?;
        check_bearer(body.token_type.as_deref())?;
        let token = body.access_token.ok_or(Error::Malformed {
            what: "the bearer token response has no access_token",
        })?;
        AppOnlyBearer::new(token).map_err(|_| Error::Malformed {
            what: "X's bearer token is empty or not a valid bearer token",
        })
    }
}

/// The round trip of [`oauth1::App::invalidate_bearer_basic`] and [`oauth1::App::invalidate_bearer_signed`]. Safe
/// to replay (invalidating twice leaves the token invalid).
#[must_use = "an exchange does nothing until its request is sent and finish is called"]
pub struct InvalidateBearerExchange {
    request: HttpRequest,
    token: BearerToken,
    replay: Replay,
}

impl fmt::Debug for InvalidateBearerExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_exchange(f, "InvalidateBearerExchange", &self.request)
    }
}

#[derive(serde::Deserialize)]
struct InvalidateResponse {
    access_token: Option<BearerToken>,
}

impl Exchange for InvalidateBearerExchange {
    type Output = ();

    fn request(&self) -> &HttpRequest {
        &self.request
    }

    fn replay(&self) -> Replay {
        self.replay
    }

    /// Expects 200 `{"access_token":"<the invalidated token>"}` and checks that X names the
    /// token that was sent (verbatim, or percent-decoded once); any other token is
    /// [`Error::Malformed`].
    fn finish(self, _now: SystemTime, response: HttpResponse) -> Result<(), Error> {
        ensure_success(&response)?;
        let body: InvalidateResponse = json(
            response.body(),
            "the invalidate_token response is not the JSON X sends",
        )?;
        let echoed = body.access_token.ok_or(Error::Malformed {
            what: "the invalidate_token response has no access_token",
        })?;
        let sent = self.token.secret().as_bytes();
        let echoed = echoed.secret().as_bytes();
        let decoded =
            zeroize::Zeroizing::new(percent_encoding::percent_decode(sent).collect::<Vec<u8>>());
        if bool::from(sent.ct_eq(echoed)) || bool::from(decoded.as_slice().ct_eq(echoed)) {
            Ok(())
        } else {
            Err(Error::Malformed {
                what: "X invalidated another token than the one sent",
            })
        }
    }
}
