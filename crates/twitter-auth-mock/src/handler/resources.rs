//! Protected resources that prove a credential works.

use http::StatusCode;
use serde_json::json;

use super::oauth1::{Expect, Refusal};
use super::{Ctx, Handler, Incoming, Route, has_scheme, username_of};
use crate::config::AccessLevel;
use crate::respond::{self, Answer};

/// Who is calling a protected resource.
enum Caller {
    AppOnly,
    OAuth2User { user: String, scopes: Vec<String> },
    OAuth1User { user: String, access: AccessLevel },
}

impl Caller {
    fn has_scopes(&self, needed: &[&str]) -> bool {
        match self {
            Self::OAuth2User { scopes, .. } => needed.iter().all(|n| scopes.iter().any(|s| s == n)),
            _ => true,
        }
    }
}

/// Why a caller was not identified.
enum Unknown {
    Missing,
    OAuth1(Refusal),
    Bearer,
}

impl Handler {
    /// Identifies the caller and charges its bucket; `Err` is the answer to send.
    fn caller(
        &mut self,
        now: u64,
        request: &Incoming,
        route: Route,
        ctx: &mut Ctx,
    ) -> Result<Caller, Answer> {
        let identified = self.identify(now, request);
        let (caller, who) = match identified {
            Ok(pair) => pair,
            // v2 answers every credential problem with one problem type.
            Err(_) if route.is_v2() => return Err(respond::unauthorized_v2()),
            Err(Unknown::OAuth1(refusal)) => return Err(refusal.answer()),
            Err(Unknown::Missing) => return Err(respond::bad_authentication_data()),
            Err(Unknown::Bearer) => return Err(respond::invalid_token()),
        };
        if let Caller::OAuth1User { access, .. } = caller {
            ctx.access_level = Some(access);
        }
        self.limit(now, ctx, route, &who)?;
        Ok(caller)
    }

    fn identify(&mut self, now: u64, request: &Incoming) -> Result<(Caller, String), Unknown> {
        if has_scheme(request, "oauth") {
            let signed = self
                .verify_oauth1(now, request, Expect::AccessToken)
                .map_err(Unknown::OAuth1)?;
            let (user, access) = self
                .oauth1_user(&signed)
                .ok_or(Unknown::OAuth1(Refusal::InvalidToken))?;
            let who = format!("oauth1:{}", signed.token.unwrap_or_default());
            return Ok((Caller::OAuth1User { user, access }, who));
        }
        if !has_scheme(request, "bearer") {
            return Err(Unknown::Missing);
        }
        let token = request
            .authorization()
            .and_then(|v| v.split_once(' '))
            .map_or("", |(_, token)| token.trim());
        if let Some(&app) = self.state.app_of_bearer.get(token) {
            let who = format!("app:{}", self.config.apps[app].consumer_key);
            return Ok((Caller::AppOnly, who));
        }
        let (grant, scopes) = self.oauth2_token(now, token).ok_or(Unknown::Bearer)?;
        // X's user limits are per user per app, whichever of the user's tokens is used.
        let who = format!("oauth2:{}:{}", grant.app, grant.user);
        let caller = Caller::OAuth2User {
            user: grant.user.clone(),
            scopes: scopes.to_vec(),
        };
        Ok((caller, who))
    }

    pub(super) fn users_me(&mut self, now: u64, request: &Incoming, ctx: &mut Ctx) -> Answer {
        let caller = match self.caller(now, request, Route::UsersMe, ctx) {
            Ok(caller) => caller,
            Err(answer) => return answer,
        };
        let user = match &caller {
            Caller::AppOnly => return respond::unsupported_authentication(),
            _ if !caller.has_scopes(&["tweet.read", "users.read"]) => return forbidden(),
            Caller::OAuth2User { user, .. } | Caller::OAuth1User { user, .. } => user,
        };
        match self.user_json(user) {
            Some(data) => respond::json(StatusCode::OK, &json!({ "data": data })),
            None => respond::unauthorized_v2(),
        }
    }

    pub(super) fn verify_credentials(
        &mut self,
        now: u64,
        request: &Incoming,
        ctx: &mut Ctx,
    ) -> Answer {
        let caller = match self.caller(now, request, Route::VerifyCredentials, ctx) {
            Ok(caller) => caller,
            Err(answer) => return answer,
        };
        let Caller::OAuth1User { user, .. } = caller else {
            return respond::not_permitted();
        };
        let Some(user) = self.config.user(&user) else {
            return respond::invalid_token();
        };
        // The v1.1 user object's identifying fields (ids as number and string).
        let id: u64 = user.id.parse().unwrap_or_default();
        respond::json(
            StatusCode::OK,
            &json!({
                "id": id,
                "id_str": user.id,
                "name": user.name,
                "screen_name": user.username,
                "protected": false,
                "verified": false,
            }),
        )
    }

    pub(super) fn user_by_username(
        &mut self,
        now: u64,
        request: &Incoming,
        ctx: &mut Ctx,
    ) -> Answer {
        let caller = match self.caller(now, request, Route::UserByUsername, ctx) {
            Ok(caller) => caller,
            Err(answer) => return answer,
        };
        if !caller.has_scopes(&["tweet.read", "users.read"]) {
            return forbidden();
        }
        let name = username_of(&request.path).unwrap_or_default();
        let found = self
            .config
            .users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(name))
            .map(|u| u.id.clone());
        match found.and_then(|id| self.user_json(&id)) {
            Some(data) => respond::json(StatusCode::OK, &json!({ "data": data })),
            // X answers a missing user with 200 and a partial error.
            None => respond::json(
                StatusCode::OK,
                &json!({ "errors": [{
                    "value": name,
                    "detail": format!("Could not find user with username: [{name}]."),
                    "title": "Not Found Error",
                    "resource_type": "user",
                    "parameter": "username",
                    "resource_id": name,
                    "type": "https://api.x.com/2/problems/resource-not-found",
                }] }),
            ),
        }
    }

    pub(super) fn create_tweet(&mut self, now: u64, request: &Incoming, ctx: &mut Ctx) -> Answer {
        let caller = match self.caller(now, request, Route::CreateTweet, ctx) {
            Ok(caller) => caller,
            Err(answer) => return answer,
        };
        match &caller {
            Caller::AppOnly => return respond::unsupported_authentication(),
            Caller::OAuth1User { access, .. } if *access < AccessLevel::ReadWrite => {
                return respond::problem(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "oauth1-permissions",
                    "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint.",
                );
            }
            _ if !caller.has_scopes(&["tweet.read", "tweet.write", "users.read"]) => {
                return forbidden();
            }
            _ => {}
        }
        let text = serde_json::from_slice::<serde_json::Value>(&request.body)
            .ok()
            .and_then(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned));
        let Some(text) = text else {
            return respond::problem(
                StatusCode::BAD_REQUEST,
                "Invalid Request",
                "invalid-request",
                "One or more parameters to your request was invalid.",
            );
        };
        let id = format!(
            "{}",
            1_800_000_000_000_000_000u64.saturating_add(self.counters.requests_to("/2/tweets"))
        );
        respond::json(
            StatusCode::CREATED,
            &json!({ "data": { "id": id, "text": text, "edit_history_tweet_ids": [id] } }),
        )
    }
}

fn forbidden() -> Answer {
    respond::problem(
        StatusCode::FORBIDDEN,
        "Forbidden",
        "about:blank",
        "Forbidden",
    )
}
