//! User token sets (RFC 6749 §5.1; [X: Authorization Code with PKCE](https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code)), how fresh they are, and refreshing them (RFC
//! 6749 §6).

use core::fmt;
use std::time::{Duration, SystemTime};

use http::HeaderValue;

use super::client::{App, Form, bearer_authorization, debug_exchange, is_bearer_token};
use super::scope::Scopes;
use crate::response::{ensure_success, json};
use crate::{
    AccessToken, Error, Exchange, HttpRequest, HttpResponse, RefreshToken, Replay, UnixTime,
};

/// How long before `expires_at` a token set counts as [`Freshness::RefreshDue`] when the
/// caller has no better margin: one minute (xurl uses 30 s; the margin also absorbs clock skew
/// and the time a request spends in flight).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A user's OAuth 2.0 tokens, as the token endpoint issued them.
///
/// - the access token (2 hours at X), sent as `Authorization: Bearer …`
///   ([`authorization_header`](Self::authorization_header));
/// - a refresh token, only when `offline.access` was granted; single use: every refresh
///   returns a new set that replaces this one;
/// - the granted scopes (X's `scope`, or, when X leaves it out, the scopes asked for, as RFC
///   6749 §5.1 reads an absent `scope`);
/// - when the access token expires: the caller's `now` at [`finish`](Exchange::finish) plus
///   `expires_in`, or `None` when X sent no `expires_in`.
///
/// Serde stores the set as `{"access_token","refresh_token"?,"scopes","expires_at"?}`
/// (`expires_at` in Unix seconds); deserializing checks the access token as parsing does.
/// `Debug` redacts both tokens. Store it like a password.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "StoredTokenSet")]
pub struct TokenSet {
    access_token: AccessToken,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<RefreshToken>,
    scopes: Scopes,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<UnixTime>,
}

/// What a token set is good for at a given instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Freshness {
    /// Use the access token.
    Fresh,
    /// The access token is within the margin of its expiry, or its lifetime is unknown and a
    /// refresh token exists: refresh before use (or use it and refresh on a 401).
    RefreshDue,
    /// The access token has expired: refresh if there is a refresh token, else log in again.
    Expired,
}

#[derive(serde::Deserialize)]
struct StoredTokenSet {
    access_token: AccessToken,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
    #[serde(default)]
    scopes: Scopes,
    #[serde(default)]
    expires_at: Option<UnixTime>,
}

impl TryFrom<StoredTokenSet> for TokenSet {
    type Error = Error;

    fn try_from(s: StoredTokenSet) -> Result<Self, Error> {
        Self::build(s.access_token, s.refresh_token, s.scopes, s.expires_at)
    }
}

impl TokenSet {
    /// A token set from its parts, e.g. migrated from another store.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`] if the access token cannot go in an `Authorization` header
    /// (empty, or not visible ASCII).
    pub fn from_parts(
        access_token: AccessToken,
        refresh_token: Option<RefreshToken>,
        scopes: Scopes,
        expires_at: Option<SystemTime>,
    ) -> Result<Self, Error> {
        let expires_at = expires_at.map(UnixTime::from_system);
        Self::build(access_token, refresh_token, scopes, expires_at)
    }

    fn build(
        access_token: AccessToken,
        refresh_token: Option<RefreshToken>,
        scopes: Scopes,
        expires_at: Option<UnixTime>,
    ) -> Result<Self, Error> {
        if !is_bearer_token(access_token.secret()) {
            return Err(Error::InvalidToken);
        }
        // The header is built per request, not kept: a `HeaderValue` cannot be wiped, and the
        // token inside it would outlive the zeroized `AccessToken`. Built once here to check.
        drop(bearer_authorization(access_token.secret())?);
        Ok(Self {
            access_token,
            refresh_token,
            scopes,
            expires_at,
        })
    }

    /// The access token.
    #[must_use]
    pub const fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The refresh token, if `offline.access` was granted.
    #[must_use]
    pub const fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// Whether the set can be refreshed (it holds a refresh token).
    #[must_use]
    pub const fn can_refresh(&self) -> bool {
        self.refresh_token.is_some()
    }

    /// The granted scopes.
    #[must_use]
    pub const fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// When the access token expires; `None` if X did not say.
    #[must_use]
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at.map(UnixTime::to_system)
    }

    /// What the set is good for at `now`, refreshing `margin` ahead of the expiry.
    ///
    /// | `expires_at` | result |
    /// |---|---|
    /// | `≤ now` | [`Expired`](Freshness::Expired) |
    /// | within `margin` of `now` | [`RefreshDue`](Freshness::RefreshDue) |
    /// | later | [`Fresh`](Freshness::Fresh) |
    /// | unknown, refresh token held | [`RefreshDue`](Freshness::RefreshDue) (like xurl: refresh on next use) |
    /// | unknown, no refresh token | [`Fresh`](Freshness::Fresh) (nothing better to do than use it until X says 401) |
    #[must_use]
    pub fn freshness(&self, now: SystemTime, margin: Duration) -> Freshness {
        let now = UnixTime::from_system(now);
        match self.expires_at {
            None if self.refresh_token.is_some() => Freshness::RefreshDue,
            None => Freshness::Fresh,
            Some(at) if at <= now => Freshness::Expired,
            Some(at) if at.since(now) <= margin => Freshness::RefreshDue,
            Some(_) => Freshness::Fresh,
        }
    }

    /// `Bearer <access token>`, marked sensitive (adapters and loggers that honour
    /// [`HeaderValue::is_sensitive`] will not print it).
    #[must_use]
    pub fn authorization_header(&self) -> HeaderValue {
        bearer_authorization(self.access_token.secret())
            .expect("the token was checked when the set was made")
    }
}

/// A token endpoint's answer, as X sends it:
/// `{"token_type":"bearer","expires_in":7200,"access_token":…,"scope":…,"refresh_token":…}`.
#[derive(serde::Deserialize)]
struct TokenResponse {
    token_type: Option<String>,
    access_token: Option<AccessToken>,
    refresh_token: Option<RefreshToken>,
    scope: Option<String>,
    expires_in: Option<serde_json::Value>,
}

/// Parses a token endpoint's response into a token set (any status: errors come out typed).
/// `requested` stands in for an absent `scope`.
pub(crate) fn parse_token_response(
    response: &HttpResponse,
    now: SystemTime,
    requested: Scopes,
) -> Result<TokenSet, Error> {
    ensure_success(response)?;
    let body: TokenResponse = json(
        response.body(),
        "the token response is not the JSON X sends",
    )?;
    check_bearer(body.token_type.as_deref())?;
    let access_token = body.access_token.ok_or(Error::Malformed {
        what: "the token response has no access_token",
    })?;
    let expires_at = match body.expires_in {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => Some(UnixTime::from_system(now).saturating_add(expires_in_secs(&value)?)),
    };
    let scopes = body.scope.map_or(requested, |s| Scopes::parse(&s));
    // An empty refresh token is no refresh token.
    let refresh_token = body.refresh_token.filter(|t| !t.secret().is_empty());
    TokenSet::build(access_token, refresh_token, scopes, expires_at).map_err(|_| Error::Malformed {
        what: "X's access token is empty or not a valid bearer token",
    })
}

/// `token_type` must be present and `bearer`, in any case.
pub(crate) fn check_bearer(token_type: Option<&str>) -> Result<(), Error> {
    match token_type {
        None => Err(Error::Malformed {
            what: "the token response has no token_type",
        }),
        Some(t) if t.eq_ignore_ascii_case("bearer") => Ok(()),
        Some(_) => Err(Error::NotBearer),
    }
}

/// The longest `expires_in` accepted: 2³² − 1 seconds (136 years; X says 7200). Anything
/// longer is not a lifetime, and would put `expires_at` where `SystemTime` cannot follow.
const MAX_EXPIRES_IN: u64 = u32::MAX as u64;

/// `expires_in` as whole seconds: a non-negative number (fractions dropped) or a string of
/// digits, which some servers send; at most [`MAX_EXPIRES_IN`].
fn expires_in_secs(value: &serde_json::Value) -> Result<u64, Error> {
    let secs = parse_expires_in(value)?;
    if secs > MAX_EXPIRES_IN {
        return Err(Error::Malformed {
            what: "expires_in is implausibly large",
        });
    }
    Ok(secs)
}

fn parse_expires_in(value: &serde_json::Value) -> Result<u64, Error> {
    let malformed = Error::Malformed {
        what: "expires_in is not a non-negative number of seconds",
    };
    match value {
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(secs), _) => Ok(secs),
            // Truncation is the intent; `as` saturates for values beyond u64.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            (None, Some(f)) if f.is_finite() && f >= 0.0 => Ok(f as u64),
            _ => Err(malformed),
        },
        serde_json::Value::String(s) => s.trim().parse().map_err(|_| malformed),
        _ => Err(malformed),
    }
}

/// See [`App::refresh`](super::App::refresh).
pub(crate) fn refresh(app: &App, tokens: &TokenSet) -> Result<RefreshExchange, Error> {
    let refresh_token = tokens.refresh_token.as_ref().ok_or(Error::NoRefreshToken)?;
    let form = Form::new()
        .with("refresh_token", refresh_token.secret())
        .with("grant_type", "refresh_token");
    Ok(RefreshExchange {
        request: app.post_form(&app.endpoints().api_url("2/oauth2/token"), form)?,
        scopes: tokens.scopes.clone(),
        previous: refresh_token.clone(),
    })
}

/// The refresh round trip; yields the **new** token set, which replaces the old one.
///
/// If X's answer has no `refresh_token` (X rotates on every refresh, so it should), the new set
/// keeps the one it was refreshed with (RFC 6749 §6: the client keeps its refresh token unless
/// a new one is issued), so a token is never lost. An absent `scope` means the scopes are
/// unchanged.
#[must_use = "an exchange does nothing until its request is sent and finish is called"]
pub struct RefreshExchange {
    request: HttpRequest,
    scopes: Scopes,
    previous: RefreshToken,
}

impl fmt::Debug for RefreshExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_exchange(f, "RefreshExchange", &self.request)
    }
}

impl Exchange for RefreshExchange {
    type Output = TokenSet;

    fn request(&self) -> &HttpRequest {
        &self.request
    }

    fn replay(&self) -> Replay {
        Replay::Never
    }

    fn finish(self, now: SystemTime, response: HttpResponse) -> Result<TokenSet, Error> {
        let mut tokens = parse_token_response(&response, now, self.scopes)?;
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(self.previous);
        }
        Ok(tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_accepts_numbers_and_digit_strings() {
        for (v, secs) in [
            ("7200", 7200),
            ("7200.9", 7200),
            ("\"7200\"", 7200),
            ("0", 0),
        ] {
            let v: serde_json::Value = serde_json::from_str(v).unwrap();
            assert_eq!(expires_in_secs(&v).unwrap(), secs);
        }
        for v in [
            "-1",
            "-0.5",
            "\"x\"",
            "true",
            "[]",
            "{}",
            "1e300",
            "4294967296",
        ] {
            let v: serde_json::Value = serde_json::from_str(v).unwrap();
            assert!(
                matches!(expires_in_secs(&v), Err(Error::Malformed { .. })),
                "{v}"
            );
        }
    }
}
