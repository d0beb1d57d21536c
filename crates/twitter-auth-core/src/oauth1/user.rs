//! OAuth 1.0a user context: signing any request with an app's consumer credentials and a
//! user's access token, and verifying those credentials.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use oauth1_sign::{ConsumerCredentials, OAuthParams, Request, Signer, TokenCredentials};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq as _;

use super::app::App;

use crate::exchange::build;
use crate::response::{ensure_success, json};
use crate::{Endpoints, Error, Exchange, HttpRequest, HttpResponse, Replay, UserId};

/// A user's access token for an app, as the 3-legged flow returns it: what to store.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct UserCredentials {
    /// The access token and its secret.
    pub token: TokenCredentials,
    /// The user's id, when X sent it.
    pub user_id: Option<UserId>,
    /// The user's screen name (handle), when X sent it.
    pub screen_name: Option<String>,
}

/// Signs requests in OAuth 1.0a user context (or, without a token, as the app alone).
///
/// It keeps the prepared HMAC key of [`oauth1_sign::Signer`], and an offset to X's clock:
/// when X rejects a timestamp (code 135), [`learn_clock`](Self::learn_clock) takes the offset
/// from its `Date` header, and the request is signed again, once.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use rand::SeedableRng as _;
/// use twitter_auth_core::oauth1::App;
/// use twitter_auth_core::oauth1_sign::{ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret};
///
/// let app = App::new(ConsumerKey::new("ck"), ConsumerSecret::new("cs"));
/// let user = TokenCredentials::new(Token::new("t"), TokenSecret::new("ts"));
/// let mut signer = app.signer(&user);
/// let mut rng = rand::rngs::StdRng::seed_from_u64(7); // in an app: `rand::rng()`
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
///
/// // A JSON post: only the URL's query and the protocol parameters are signed.
/// let mut request = http::Request::post("https://api.x.com/2/tweets")
///     .header("content-type", "application/json")
///     .body(br#"{"text":"hello"}"#.to_vec())?;
/// signer.sign(&mut request, now, &mut rng)?;
/// assert!(request.headers()["authorization"].to_str()?.starts_with("OAuth oauth_consumer_key=\"ck\""));
///
/// // X answers 401 with code 135 and its own Date: learn the offset, sign again, send again.
/// let rejected = http::Response::builder()
///     .status(401)
///     .header("date", "Tue, 14 Nov 2023 22:14:20 GMT")
///     .body(br#"{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}"#.to_vec())?;
/// if signer.learn_clock(&rejected, now) {
///     signer.sign(&mut request, now, &mut rng)?;
/// }
/// assert_eq!(signer.skew().seconds(), 60);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct UserSigner {
    signer: Signer,
    /// Seconds to add to the local clock to get X's.
    offset: i64,
}

impl UserSigner {
    /// A signer for `token` of the app `consumer` (users get one from
    /// [`App::signer`](super::App::signer)).
    pub(crate) fn new(consumer: &ConsumerCredentials, token: &TokenCredentials) -> Self {
        Self {
            signer: Signer::new(consumer, Some(token)),
            offset: 0,
        }
    }

    /// A signer for the app alone (no `oauth_token`; the key ends in `&`).
    pub(crate) fn app(consumer: &ConsumerCredentials) -> Self {
        Self {
            signer: Signer::new(consumer, None),
            offset: 0,
        }
    }

    /// Applies a measured [`ClockSkew`](crate::skew::ClockSkew) (X's clock minus the local one)
    /// to every later timestamp. [`learn_clock`](Self::learn_clock) sets it from X's answer.
    #[must_use]
    pub const fn with_skew(mut self, skew: crate::skew::ClockSkew) -> Self {
        self.offset = skew.seconds();
        self
    }

    /// The offset to X's clock now applied.
    #[must_use]
    pub const fn skew(&self) -> crate::skew::ClockSkew {
        crate::skew::ClockSkew::from_seconds(self.offset)
    }

    /// After X rejected a request's timestamp (v1.1 error 135), learns X's clock from the
    /// answer's `Date` header. Returns `true` when the offset changed, i.e. when the failed
    /// request should be signed again and sent once more; `false` for any other answer, or when
    /// the offset was already X's (so a client never loops re-signing).
    pub fn learn_clock(&mut self, response: &HttpResponse, now: SystemTime) -> bool {
        if !crate::skew::is_timestamp_rejection(response) {
            return false;
        }
        match crate::skew::ClockSkew::from_response(response, now) {
            Some(skew) if skew.seconds() != self.offset => {
                self.offset = skew.seconds();
                true
            }
            _ => false,
        }
    }

    /// The timestamp X expects: `now` corrected by the offset.
    pub(crate) fn timestamp(&self, now: SystemTime) -> u64 {
        let local = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        local.saturating_add_signed(self.offset)
    }

    /// Signs `request` in place: sets its `Authorization` header (marked sensitive).
    ///
    /// The URL's query is signed, and the body when its `Content-Type` is
    /// `application/x-www-form-urlencoded`; JSON and multipart bodies are not signed.
    ///
    /// `oauth_nonce` is drawn from `rng`, a cryptographically secure RNG.
    ///
    /// # Errors
    ///
    /// [`Error::Sign`] if the request cannot be signed (a URL or body it cannot parse).
    pub fn sign<R: CryptoRng + ?Sized>(
        &self,
        request: &mut HttpRequest,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<(), Error> {
        let nonce = oauth1_sign::generate_nonce(rng);
        self.sign_with(request, &OAuthParams::new(&nonce, self.timestamp(now)))
    }

    pub(crate) fn sign_with(
        &self,
        request: &mut HttpRequest,
        oauth: &OAuthParams<'_>,
    ) -> Result<(), Error> {
        let url = crate::api::uri_string(request.uri());
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let to_sign =
            Request::new(request.method().as_str(), &url).body(content_type, request.body());
        let header = self.signer.authorization(&to_sign, oauth)?;
        let mut value = http::HeaderValue::try_from(header).map_err(|_| Error::Malformed {
            what: "the signed Authorization header is not a valid header value",
        })?;
        value.set_sensitive(true);
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }
}

/// The user `GET 1.1/account/verify_credentials.json` returns (the fields every client needs).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct V1User {
    /// The user's id (`id_str`).
    pub id: UserId,
    /// The handle.
    pub screen_name: String,
    /// The display name.
    pub name: String,
}

/// `GET 1.1/account/verify_credentials.json`, signed in user context: proves the credentials
/// work and says whose they are.
#[must_use = "send the request, then call `finish` with the response"]
pub struct VerifyCredentialsExchange {
    request: HttpRequest,
}

impl VerifyCredentialsExchange {
    /// Builds the signed request (`include_entities=false&skip_status=true`, as twurl sends).
    pub(crate) fn new<R: CryptoRng + ?Sized>(
        endpoints: &Endpoints,
        signer: &UserSigner,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<Self, Error> {
        let mut url = endpoints.api_url("1.1/account/verify_credentials.json");
        url.set_query(Some("include_entities=false&skip_status=true"));
        let mut request = build(http::Method::GET, &url, &[], Vec::new())?;
        signer.sign(&mut request, now, rng)?;
        Ok(Self { request })
    }
}

impl core::fmt::Debug for VerifyCredentialsExchange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::oauth2::debug_exchange(f, "VerifyCredentialsExchange", &self.request)
    }
}

impl Exchange for VerifyCredentialsExchange {
    type Output = V1User;

    fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// Safe to repeat, signed anew (build it again).
    fn replay(&self) -> Replay {
        Replay::Resign
    }

    fn finish(self, _now: SystemTime, response: HttpResponse) -> Result<V1User, Error> {
        ensure_success(&response)?;
        #[derive(serde::Deserialize)]
        struct Body {
            id_str: String,
            screen_name: String,
            #[serde(default)]
            name: String,
        }
        let body: Body = json(
            response.body(),
            "verify_credentials is not a v1.1 user object",
        )?;
        Ok(V1User {
            id: UserId::new(body.id_str),
            screen_name: body.screen_name,
            name: body.name,
        })
    }
}

/// How long ago `created` was, for lifetimes.
pub(crate) fn age(now: SystemTime, created: crate::UnixTime) -> Duration {
    crate::UnixTime::from_system(now).since(created)
}

/// `POST 1.1/oauth/invalidate_token`: revokes a user's access token, signed with that token.
#[must_use = "send the request, then call `finish` with the response"]
pub struct InvalidateTokenExchange {
    request: HttpRequest,
    token: oauth1_sign::Token,
}

impl InvalidateTokenExchange {
    /// See [`App::invalidate_token`].
    pub(crate) fn new<R: CryptoRng + ?Sized>(
        app: &App,
        token: &TokenCredentials,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<Self, Error> {
        let url = app.endpoints().api_url("1.1/oauth/invalidate_token");
        let mut request = build(http::Method::POST, &url, &[], Vec::new())?;
        app.signer(token).sign(&mut request, now, rng)?;
        Ok(Self {
            request,
            token: token.token.clone(),
        })
    }
}

impl core::fmt::Debug for InvalidateTokenExchange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::oauth2::debug_exchange(f, "InvalidateTokenExchange", &self.request)
    }
}

impl Exchange for InvalidateTokenExchange {
    type Output = ();

    fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// Invalidating twice is harmless, signed anew (build it again).
    fn replay(&self) -> Replay {
        Replay::Resign
    }

    /// Succeeds when X answers 200 with `{"access_token":"<the token>"}`.
    fn finish(self, _now: SystemTime, response: HttpResponse) -> Result<(), Error> {
        ensure_success(&response)?;
        #[derive(serde::Deserialize)]
        struct Body {
            access_token: String,
        }
        let body: Body = json(
            response.body(),
            "invalidate_token did not echo an access_token",
        )?;
        // Constant time, as every comparison of a secret.
        if bool::from(
            body.access_token
                .as_bytes()
                .ct_eq(self.token.as_str().as_bytes()),
        ) {
            Ok(())
        } else {
            Err(Error::Malformed {
                what: "invalidate_token echoed another token",
            })
        }
    }
}
