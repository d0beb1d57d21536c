//! Who the token belongs to: `GET /2/users/me` ([X: GET /2/users/me](https://docs.x.com/x-api/users/get-my-user)).

use core::fmt;
use std::time::SystemTime;

use http::Method;
use http::header::AUTHORIZATION;

use super::client::debug_exchange;
use super::token::TokenSet;
use crate::exchange::build;
use crate::response::{ensure_success, json};
use crate::{Endpoints, Error, Exchange, HttpRequest, HttpResponse, Replay, UserId};

/// The user `/2/users/me` names: the three fields X always returns.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct User {
    /// The numeric user id, as a string.
    pub id: UserId,
    /// The handle, without `@`.
    pub username: String,
    /// The display name.
    pub name: String,
}

/// `GET {api}/2/users/me`: verifies a user token and says whose it is. Needs the `tweet.read`
/// and `users.read` scopes. Safe to replay.
#[must_use = "an exchange does nothing until its request is sent and finish is called"]
pub struct UsersMeExchange {
    request: HttpRequest,
}

impl UsersMeExchange {
    /// With an OAuth 2.0 user token (see [`App::users_me`](super::App::users_me)).
    pub(crate) fn bearer(endpoints: &Endpoints, tokens: &TokenSet) -> Result<Self, Error> {
        Self::with_authorization(endpoints, tokens.authorization_header())
    }

    /// With any `Authorization` value X accepts here (an OAuth 1.0a user signature made for
    /// `GET {api}/2/users/me`, for instance).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] if the request cannot be built.
    pub(crate) fn with_authorization(
        endpoints: &Endpoints,
        authorization: http::HeaderValue,
    ) -> Result<Self, Error> {
        let request = build(
            Method::GET,
            &endpoints.api_url("2/users/me"),
            &[(AUTHORIZATION, authorization)],
            Vec::new(),
        )?;
        Ok(Self { request })
    }
}

impl UsersMeExchange {
    /// With OAuth 1.0a user context (see [`oauth1::App::users_me`](crate::oauth1::App::users_me)).
    pub(crate) fn oauth1<R: rand_core::CryptoRng + ?Sized>(
        endpoints: &Endpoints,
        signer: &crate::oauth1::UserSigner,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<Self, Error> {
        let mut request = build(
            Method::GET,
            &endpoints.api_url("2/users/me"),
            &[],
            Vec::new(),
        )?;
        signer.sign(&mut request, now, rng)?;
        Ok(Self { request })
    }
}

impl fmt::Debug for UsersMeExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_exchange(f, "UsersMeExchange", &self.request)
    }
}

#[derive(serde::Deserialize)]
struct Envelope {
    data: Option<User>,
}

impl Exchange for UsersMeExchange {
    type Output = User;

    fn request(&self) -> &HttpRequest {
        &self.request
    }

    fn replay(&self) -> Replay {
        Replay::Safe
    }

    /// Expects 200 `{"data":{"id","name","username"}}` (other fields are ignored); errors come
    /// out typed (v1.1 list or v2 problem).
    fn finish(self, _now: SystemTime, response: HttpResponse) -> Result<User, Error> {
        read_user(&response)
    }
}

/// The user in X's answer to `GET /2/users/me`, or the error it carries.
pub(crate) fn read_user(response: &HttpResponse) -> Result<User, Error> {
    ensure_success(response)?;
    let body: Envelope = json(
        response.body(),
        "the /2/users/me response is not the JSON X sends",
    )?;
    body.data.ok_or(Error::Malformed {
        what: "the /2/users/me response has no data",
    })
}
