//! Who is asking: an app's API key and secret (its consumer credentials) and X's hosts; every
//! OAuth 1.0a step is one of its methods.

use std::time::SystemTime;

use oauth1_sign::{ConsumerCredentials, ConsumerKey, ConsumerSecret, TokenCredentials};
use rand_core::CryptoRng;
use url::Url;

use super::three_legged::{
    AccessTokenExchange, AuthorizeKind, AuthorizedToken, PendingLogin, RequestToken,
    RequestTokenExchange,
};
use super::user::{InvalidateTokenExchange, UserSigner, VerifyCredentialsExchange};
use crate::oauth2::UsersMeExchange;
use crate::{Endpoints, Error};

/// An app as X's developer portal registers it for OAuth 1.0a: its API key ("consumer key")
/// and API key secret, with the hosts it talks to ([`Endpoints::x`] unless
/// [`with_endpoints`](Self::with_endpoints) names others).
///
/// Every step of the 3-legged flow and every app-level call is a method:
/// [`request_token`](Self::request_token), [`authorize_url`](Self::authorize_url),
/// [`access_token`](Self::access_token), [`verify_credentials`](Self::verify_credentials),
/// [`users_me`](Self::users_me), [`invalidate_token`](Self::invalidate_token). Each signed
/// step draws its `oauth_nonce` from the caller's cryptographically secure RNG (`rand::rng()`;
/// the adapters re-export `rand`), as PKCE draws its verifier.
///
/// `Debug` redacts the secret.
#[derive(Clone, Debug)]
pub struct App {
    consumer: ConsumerCredentials,
    endpoints: Endpoints,
}

impl From<ConsumerCredentials> for App {
    fn from(consumer: ConsumerCredentials) -> Self {
        Self {
            consumer,
            endpoints: Endpoints::x(),
        }
    }
}

impl App {
    /// The app's API key and API key secret, at X's hosts.
    #[must_use]
    pub fn new(key: ConsumerKey, secret: ConsumerSecret) -> Self {
        ConsumerCredentials::new(key, secret).into()
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

    /// The app's consumer credentials.
    #[must_use]
    pub const fn consumer(&self) -> &ConsumerCredentials {
        &self.consumer
    }

    /// A signer for a user's access token (or any token) of this app.
    #[must_use]
    pub fn signer(&self, token: &TokenCredentials) -> UserSigner {
        UserSigner::new(&self.consumer, token)
    }

    /// Step 1: `POST oauth/request_token`, signed by the app alone with `oauth_callback`
    /// (RFC 5849 §2.1). `request` is a [`Callback`](super::Callback), or a [`RequestToken`]
    /// with options.
    ///
    /// `now` is the timestamp X will check: pass a clock corrected by the offset from X's
    /// `Date` header (see [`skew`](crate::skew)) if X rejected an earlier one (code 135).
    ///
    /// # Errors
    ///
    /// [`Error::Sign`] if signing fails.
    pub fn request_token<R: CryptoRng + ?Sized>(
        &self,
        request: impl Into<RequestToken>,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<RequestTokenExchange, Error> {
        request.into().exchange(self, now, rng)
    }

    /// Step 2: the page to send the user to (`oauth/authorize`, or `oauth/authenticate` for
    /// Sign in with X).
    #[must_use]
    pub fn authorize_url(&self, pending: &PendingLogin, kind: AuthorizeKind) -> Url {
        pending.authorize_url_at(&self.endpoints, kind, false, None)
    }

    /// The page to send the user to, with `force_login=true` (ask for credentials even when
    /// signed in) and a `screen_name` to prefill.
    #[must_use]
    pub fn authorize_url_with(
        &self,
        pending: &PendingLogin,
        kind: AuthorizeKind,
        force_login: bool,
        screen_name: Option<&str>,
    ) -> Url {
        pending.authorize_url_at(&self.endpoints, kind, force_login, screen_name)
    }

    /// Step 4: `POST oauth/access_token`, signed with the request token and its secret and
    /// carrying `oauth_verifier` (RFC 5849 §2.3). Single use.
    ///
    /// # Errors
    ///
    /// [`Error::Sign`] if signing fails.
    pub fn access_token<R: CryptoRng + ?Sized>(
        &self,
        authorized: AuthorizedToken,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<AccessTokenExchange, Error> {
        authorized.exchange(self, now, rng)
    }

    /// `GET 1.1/account/verify_credentials.json` signed by `signer`: whether a user's
    /// credentials work, and whose they are.
    ///
    /// # Errors
    ///
    /// [`Error::Sign`] if signing fails.
    pub fn verify_credentials<R: CryptoRng + ?Sized>(
        &self,
        signer: &UserSigner,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<VerifyCredentialsExchange, Error> {
        VerifyCredentialsExchange::new(&self.endpoints, signer, now, rng)
    }

    /// `GET 2/users/me` signed by `signer` (X accepts OAuth 1.0a user context there).
    ///
    /// # Errors
    ///
    /// [`Error::Sign`] if signing fails.
    pub fn users_me<R: CryptoRng + ?Sized>(
        &self,
        signer: &UserSigner,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<UsersMeExchange, Error> {
        UsersMeExchange::oauth1(&self.endpoints, signer, now, rng)
    }

    /// `POST 1.1/oauth/invalidate_token`: revokes a user's access token, signed with that
    /// token. Pass a `now` corrected by [`ClockSkew::apply`](crate::skew::ClockSkew::apply)
    /// once X has rejected a timestamp.
    ///
    /// # Errors
    ///
    /// [`Error::Sign`] if signing fails.
    pub fn invalidate_token<R: CryptoRng + ?Sized>(
        &self,
        token: &TokenCredentials,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<InvalidateTokenExchange, Error> {
        InvalidateTokenExchange::new(self, token, now, rng)
    }
}
