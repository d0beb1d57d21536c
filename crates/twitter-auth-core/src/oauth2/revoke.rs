//! Revoking a user's access or refresh token (RFC 7009 §2.1; [X: OAuth 2.0 user access token](https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token)).

use core::fmt;
use std::time::SystemTime;

use super::client::{App, Form, debug_exchange};
use crate::response::ensure_success;
use crate::{AccessToken, Error, Exchange, HttpRequest, HttpResponse, RefreshToken, Replay};

/// Which token to revoke; it decides `token_type_hint`, which X requires although its docs
/// leave it out.
#[derive(Clone, Copy, Debug)]
pub enum RevokeToken<'a> {
    /// An access token (`token_type_hint=access_token`).
    Access(&'a AccessToken),
    /// A refresh token (`token_type_hint=refresh_token`).
    Refresh(&'a RefreshToken),
}

impl RevokeToken<'_> {
    fn parts(&self) -> (&str, &'static str) {
        match self {
            Self::Access(t) => (t.secret(), "access_token"),
            Self::Refresh(t) => (t.secret(), "refresh_token"),
        }
    }
}

/// See [`App::revoke`](super::App::revoke).
pub(crate) fn revoke(app: &App, token: RevokeToken<'_>) -> Result<RevokeExchange, Error> {
    let (token, hint) = token.parts();
    let form = Form::new()
        .with("token", token)
        .with("token_type_hint", hint);
    Ok(RevokeExchange {
        request: app.post_form(&app.endpoints().api_url("2/oauth2/revoke"), form)?,
    })
}

/// The revoke round trip. Safe to replay: revoking twice leaves the token revoked.
#[must_use = "an exchange does nothing until its request is sent and finish is called"]
pub struct RevokeExchange {
    request: HttpRequest,
}

impl fmt::Debug for RevokeExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_exchange(f, "RevokeExchange", &self.request)
    }
}

#[derive(serde::Deserialize)]
struct RevokeResponse {
    revoked: Option<serde_json::Value>,
}

impl Exchange for RevokeExchange {
    type Output = ();

    fn request(&self) -> &HttpRequest {
        &self.request
    }

    fn replay(&self) -> Replay {
        Replay::Safe
    }

    /// Any 2xx is success: X's answer is `{"revoked":true}` (per X's TS SDK; unverified), and
    /// RFC 7009 allows any body. The one exception is an explicit `"revoked":false`, which is
    /// [`Error::Malformed`]. Error statuses come out typed ([`Error::OAuth2`] for
    /// `invalid_request` "Missing required parameter \[token_type_hint\].").
    fn finish(self, _now: SystemTime, response: HttpResponse) -> Result<(), Error> {
        ensure_success(&response)?;
        match serde_json::from_slice::<RevokeResponse>(response.body()) {
            Ok(RevokeResponse {
                revoked: Some(serde_json::Value::Bool(false)),
            }) => Err(Error::Malformed {
                what: "X answered revoked: false",
            }),
            _ => Ok(()),
        }
    }
}
