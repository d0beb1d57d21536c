//! OAuth 2.0: app-only bearer tokens, and Authorization Code with PKCE (authorize, token,
//! refresh, revoke).

use http::{Method, StatusCode};
use serde_json::json;

use super::{
    AccessRecord, CodeRecord, Ctx, Grant, Handler, Incoming, PendingConsent, RefreshRecord, Route,
    basic_credentials, has_scheme, with_query,
};
use crate::config::Consent;
use crate::handler::oauth1::Expect;
use crate::pages;
use crate::respond::{self, Answer};

/// The scopes X documents (its docs' table, its OpenAPI, and the Ads API's).
const KNOWN_SCOPES: &[&str] = &[
    "tweet.read",
    "tweet.write",
    "tweet.moderate.write",
    "users.email",
    "users.read",
    "follows.read",
    "follows.write",
    "offline.access",
    "space.read",
    "mute.read",
    "mute.write",
    "like.read",
    "like.write",
    "list.read",
    "list.write",
    "block.read",
    "block.write",
    "bookmark.read",
    "bookmark.write",
    "dm.read",
    "dm.write",
    "media.write",
    "broadcast.read",
    "broadcast.write",
    "timeline.read",
    "ads.read",
    "ads.write",
];

/// The longest `state` X accepts.
const MAX_STATE: usize = 500;

const INVALID_CODE: &str = "Value passed for the authorization code was invalid.";
const INVALID_REFRESH: &str = "Value passed for the refresh token was invalid.";

impl Handler {
    pub(super) fn app_token(&mut self, now: u64, request: &Incoming, ctx: &mut Ctx) -> Answer {
        let Some(app) = self.app_by_basic(request) else {
            return respond::code_99();
        };
        let who = format!("app:{}", self.config.apps[app].consumer_key);
        if let Err(answer) = self.limit(now, ctx, Route::AppToken, &who) {
            return answer;
        }
        if !request.is_form() || request.oauth2_param("grant_type") != Some("client_credentials") {
            return respond::code_99();
        }
        let token = if let Some(token) = self.state.bearer_of_app.get(&app) {
            token.clone()
        } else {
            // Shaped like X's: literal `%2F` and `%3D` that a client must send back verbatim.
            let token = format!(
                "AAAAAAAAAAAAAAAAAAAAA{}%2F{}%3D{}",
                self.alnum(12),
                self.alnum(10),
                self.alnum(40)
            );
            self.state.bearer_of_app.insert(app, token.clone());
            self.state.app_of_bearer.insert(token.clone(), app);
            self.counters.bearer_tokens += 1;
            token
        };
        respond::json(
            StatusCode::OK,
            &json!({ "token_type": "bearer", "access_token": token }),
        )
    }

    /// Accepts both variants X's pages describe: Basic with the app's keys, or OAuth 1.0a
    /// signed by the app owner's access token.
    pub(super) fn app_invalidate(&mut self, now: u64, request: &Incoming, ctx: &mut Ctx) -> Answer {
        let app = if has_scheme(request, "oauth") {
            let signed = match self.verify_oauth1(now, request, Expect::AccessToken) {
                Ok(signed) => signed,
                Err(refusal) => return refusal.answer(),
            };
            let owner = &self.config.apps[signed.app].owner;
            if self
                .oauth1_user(&signed)
                .is_none_or(|(user, _)| user != *owner)
            {
                return respond::not_permitted();
            }
            signed.app
        } else {
            match self.app_by_basic(request) {
                Some(app) => app,
                None => return respond::code_99(),
            }
        };
        let who = format!("app:{}", self.config.apps[app].consumer_key);
        if let Err(answer) = self.limit(now, ctx, Route::AppInvalidate, &who) {
            return answer;
        }
        let (Some(given), Some(token)) = (
            request.param("access_token"),
            self.state.bearer_of_app.get(&app).cloned(),
        ) else {
            return respond::code_99();
        };
        // The token as issued (`%2F` kept, then encoded once more: the core's way) or as X's
        // API reference example sends it (`%2F` left raw in the query, so decoded to `/`).
        let decoded = percent_encoding::percent_decode_str(&token).decode_utf8_lossy();
        if given != token && given != decoded {
            return respond::code_99();
        }
        self.state.app_of_bearer.remove(&token);
        self.state.bearer_of_app.remove(&app);
        self.counters.invalidations += 1;
        respond::json(StatusCode::OK, &json!({ "access_token": token }))
    }

    fn app_by_basic(&self, request: &Incoming) -> Option<usize> {
        let (key, secret) = basic_credentials(request)?;
        let app = self.app_index_by_key(&key)?;
        let app_config = &self.config.apps[app];
        (app_config.consumer_secret == secret && !app_config.suspended).then_some(app)
    }

    /// `GET` validates the authorization request and shows consent (or answers it);
    /// `POST` is the consent form's submission.
    pub(super) fn authorize_oauth2(&mut self, now: u64, request: &Incoming) -> Answer {
        if request.method == Method::POST {
            return self.consent_submitted(now, request);
        }
        let Some(app) = request
            .query_param("client_id")
            .and_then(|id| self.app_index_by_client(id))
        else {
            return respond::html(
                StatusCode::BAD_REQUEST,
                pages::oauth2_invalid("unknown client_id"),
            );
        };
        let Some(redirect_uri) = request
            .query_param("redirect_uri")
            .filter(|uri| self.config.apps[app].callbacks.iter().any(|c| c == uri))
            .map(str::to_owned)
        else {
            // Never redirect to an unregistered URI (RFC 6749 §4.1.2.1).
            return respond::html(
                StatusCode::BAD_REQUEST,
                pages::oauth2_invalid("redirect_uri does not match a registered callback URL"),
            );
        };
        let state = request.query_param("state").unwrap_or_default().to_owned();
        let refuse = |error: &str, description: &str| {
            let mut pairs = vec![("error", error), ("error_description", description)];
            if !state.is_empty() {
                pairs.push(("state", &state));
            }
            respond::redirect(&with_query(&redirect_uri, &pairs))
        };
        if request.query_param("response_type") != Some("code") {
            return refuse("unsupported_response_type", "response_type must be code");
        }
        if state.is_empty() {
            return refuse("invalid_request", "Missing required parameter [state].");
        }
        if state.chars().count() > MAX_STATE {
            return refuse("invalid_request", "state is longer than 500 characters");
        }
        let scopes: Vec<String> = request
            .query_param("scope")
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if scopes.is_empty() || scopes.iter().any(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
            return refuse("invalid_scope", "scope is empty or names an unknown scope");
        }
        let Some(challenge) = request.query_param("code_challenge").map(str::to_owned) else {
            return refuse(
                "invalid_request",
                "Missing required parameter [code_challenge].",
            );
        };
        // X's own SDK sends `s256` and it works: the method name is matched case-insensitively.
        let method = match request.query_param("code_challenge_method") {
            None => pkce::Method::Plain,
            Some(m) if m.eq_ignore_ascii_case("s256") => pkce::Method::S256,
            Some(m) if m.eq_ignore_ascii_case("plain") => pkce::Method::Plain,
            Some(_) => {
                return refuse(
                    "invalid_request",
                    "code_challenge_method must be S256 or plain",
                );
            }
        };
        if pkce::CodeChallenge::new(challenge.clone(), method).is_err() {
            return refuse("invalid_request", "code_challenge is malformed");
        }
        let pending = PendingConsent {
            app,
            redirect_uri,
            state,
            challenge,
            method,
            scopes,
        };
        match (self.consent, self.session_user.clone()) {
            (Consent::Deny, _) => deny_oauth2(&pending),
            (Consent::Approve, Some(user)) => self.approve_oauth2(now, pending, &user),
            _ => {
                let id = self.alnum(32);
                let page = pages::oauth2_consent(
                    &self.config.apps[app].name,
                    &id,
                    &pending.scopes,
                    &self.config.users,
                    self.session_user.as_deref(),
                );
                self.state.consents.insert(id, pending);
                respond::html(StatusCode::OK, page)
            }
        }
    }

    fn consent_submitted(&mut self, now: u64, request: &Incoming) -> Answer {
        let Some(pending) = request
            .form_param("consent")
            .and_then(|id| self.state.consents.remove(id))
        else {
            return respond::html(
                StatusCode::BAD_REQUEST,
                pages::oauth2_invalid("this consent page has expired or was already answered"),
            );
        };
        let user = request
            .form_param("user_id")
            .filter(|u| self.config.user(u).is_some())
            .map(str::to_owned);
        match (request.oauth2_param("decision"), user) {
            (Some("allow"), Some(user)) => self.approve_oauth2(now, pending, &user),
            _ => deny_oauth2(&pending),
        }
    }

    fn approve_oauth2(&mut self, now: u64, pending: PendingConsent, user: &str) -> Answer {
        self.session_user = Some(user.to_owned());
        if !self
            .state
            .approvals
            .contains(&(pending.app, user.to_owned()))
        {
            self.state.approvals.push((pending.app, user.to_owned()));
        }
        let grant = self.state.grants.len();
        self.state.grants.push(Grant {
            app: pending.app,
            user: user.to_owned(),
            scopes: pending.scopes,
            live: true,
        });
        let code = self.x_token(now, "ac");
        self.state.codes.insert(
            code.clone(),
            CodeRecord {
                grant,
                redirect_uri: pending.redirect_uri.clone(),
                challenge: pending.challenge,
                method: pending.method,
                expires: now.saturating_add(self.config.code_ttl),
                used: false,
            },
        );
        self.counters.authorization_codes += 1;
        respond::redirect(&with_query(
            &pending.redirect_uri,
            &[("state", &pending.state), ("code", &code)],
        ))
    }

    /// Client authentication at the token and revoke endpoints, then the client's rate limit.
    fn oauth2_client(
        &mut self,
        now: u64,
        request: &Incoming,
        ctx: &mut Ctx,
        route: Route,
    ) -> Result<usize, Answer> {
        // Parameters come as a form body, or in the query with no body at all.
        if !request.is_form() && !request.body.is_empty() {
            return Err(respond::oauth2_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Content-Type must be application/x-www-form-urlencoded",
            ));
        }
        let app = self.authenticate_client(request)?;
        let who = format!(
            "client:{}",
            self.config.apps[app].client_id().unwrap_or_default()
        );
        self.limit(now, ctx, route, &who)?;
        Ok(app)
    }

    /// Confidential clients by Basic, public ones by `client_id` in the body.
    fn authenticate_client(&self, request: &Incoming) -> Result<usize, Answer> {
        if has_scheme(request, "basic") {
            let app = basic_credentials(request).and_then(|(id, secret)| {
                let app = self.app_index_by_client(&id)?;
                (self.config.apps[app].client_secret() == Some(secret.as_str())).then_some(app)
            });
            return app.ok_or_else(respond::missing_authorization_header);
        }
        let Some(client_id) = request.oauth2_param("client_id") else {
            return Err(respond::missing_authorization_header());
        };
        match self.app_index_by_client(client_id) {
            Some(app) if !self.config.apps[app].is_confidential() => Ok(app),
            // A confidential client must authenticate: the classic public/confidential mix-up.
            _ => Err(respond::missing_authorization_header()),
        }
    }

    pub(super) fn token_oauth2(&mut self, now: u64, request: &Incoming, ctx: &mut Ctx) -> Answer {
        let app = match self.oauth2_client(now, request, ctx, Route::TokenOAuth2) {
            Ok(app) => app,
            Err(answer) => return answer,
        };
        match request.oauth2_param("grant_type") {
            Some("authorization_code") => self.exchange_code(now, request, app),
            Some("refresh_token") => self.refresh(now, request, app),
            Some(_) => respond::oauth2_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            ),
            None => respond::missing_parameter("grant_type"),
        }
    }

    fn exchange_code(&mut self, now: u64, request: &Incoming, app: usize) -> Answer {
        let (Some(code), Some(redirect_uri), Some(verifier)) = (
            request.oauth2_param("code"),
            request.oauth2_param("redirect_uri"),
            request.oauth2_param("code_verifier"),
        ) else {
            let missing = ["code", "redirect_uri", "code_verifier"]
                .into_iter()
                .find(|n| request.oauth2_param(n).is_none())
                .unwrap_or("code");
            return respond::missing_parameter(missing);
        };
        let invalid = || {
            respond::oauth2_error_listed(StatusCode::BAD_REQUEST, "invalid_request", INVALID_CODE)
        };
        let Some(record) = self.state.codes.get_mut(code) else {
            return invalid();
        };
        let grant = record.grant;
        if self.state.grants[grant].app != app {
            return invalid();
        }
        // Any attempt spends the code: a wrong verifier cannot be retried into a right one.
        let first_use = !record.used;
        record.used = true;
        let valid = first_use
            && record.expires > now
            && record.redirect_uri == redirect_uri
            && pkce::verify(verifier, &record.challenge, record.method)
            && self.state.grants[grant].live;
        if !valid {
            return invalid();
        }
        let scopes = self.state.grants[grant].scopes.clone();
        self.issue_tokens(now, grant, scopes)
    }

    fn refresh(&mut self, now: u64, request: &Incoming, app: usize) -> Answer {
        let Some(token) = request.oauth2_param("refresh_token") else {
            return respond::missing_parameter("refresh_token");
        };
        let invalid = || {
            respond::oauth2_error_listed(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                INVALID_REFRESH,
            )
        };
        let Some(record) = self.state.refresh_tokens.get_mut(token) else {
            return invalid();
        };
        let grant = record.grant;
        if self.state.grants[grant].app != app {
            return invalid();
        }
        if record.used {
            self.counters.refresh_replays += 1;
            return invalid();
        }
        if !record.live || record.expires <= now || !self.state.grants[grant].live {
            return invalid();
        }
        // RFC 6749 §6: a refresh may narrow the scope, never widen it.
        let granted = &self.state.grants[grant].scopes;
        let scopes: Vec<String> = match request.oauth2_param("scope") {
            Some(scope) => scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None => granted.clone(),
        };
        if scopes.is_empty() || scopes.iter().any(|s| !granted.contains(s)) {
            return respond::oauth2_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "scope exceeds the scope originally granted",
            );
        }
        record.used = true;
        self.counters.refreshes += 1;
        self.issue_tokens(now, grant, scopes)
    }

    /// A new access token for `scopes`, and a new refresh token if they hold `offline.access`.
    fn issue_tokens(&mut self, now: u64, grant: usize, scopes: Vec<String>) -> Answer {
        let access_token = self.x_token(now, "at");
        let ttl = self.config.access_token_ttl;
        let offline = scopes.iter().any(|s| s == "offline.access");
        let mut body = json!({
            "token_type": "bearer",
            "expires_in": ttl,
            "access_token": access_token,
            "scope": scopes.join(" "),
        });
        self.state.access_tokens.insert(
            access_token,
            AccessRecord {
                grant,
                scopes,
                expires: now.saturating_add(ttl),
                live: true,
            },
        );
        self.counters.oauth2_access_tokens += 1;
        if offline {
            let refresh_token = self.x_token(now, "rt");
            self.state.refresh_tokens.insert(
                refresh_token.clone(),
                RefreshRecord {
                    grant,
                    expires: now.saturating_add(self.config.refresh_token_ttl),
                    used: false,
                    live: true,
                },
            );
            body["refresh_token"] = json!(refresh_token);
        }
        respond::json(StatusCode::OK, &body)
    }

    pub(super) fn revoke_oauth2(&mut self, now: u64, request: &Incoming, ctx: &mut Ctx) -> Answer {
        let app = match self.oauth2_client(now, request, ctx, Route::RevokeOAuth2) {
            Ok(app) => app,
            Err(answer) => return answer,
        };
        let Some(token) = request.oauth2_param("token") else {
            return respond::missing_parameter("token");
        };
        match request.oauth2_param("token_type_hint") {
            Some("access_token" | "refresh_token") => {}
            Some(_) => {
                return respond::oauth2_error(
                    StatusCode::BAD_REQUEST,
                    "unsupported_token_type",
                    "token_type_hint must be access_token or refresh_token",
                );
            }
            None => return respond::missing_parameter("token_type_hint"),
        }
        // RFC 7009: whatever the hint says, look the token up everywhere; unknown tokens and
        // other clients' tokens are answered the same and left alone.
        let grants = &mut self.state.grants;
        let mut revoked = false;
        if let Some(record) = self.state.access_tokens.get_mut(token) {
            if grants[record.grant].app == app && record.live {
                record.live = false;
                revoked = true;
            }
        } else if let Some(record) = self.state.refresh_tokens.get_mut(token) {
            let grant = &mut grants[record.grant];
            if grant.app == app && record.live && !record.used && grant.live {
                // Revoking a refresh token ends its grant, access tokens included.
                record.live = false;
                grant.live = false;
                revoked = true;
            }
        }
        if revoked {
            self.counters.revocations += 1;
        }
        respond::json(StatusCode::OK, &json!({ "revoked": true }))
    }

    /// The grant and scopes behind a live, unexpired OAuth 2.0 user access token.
    pub(super) fn oauth2_token(&self, now: u64, token: &str) -> Option<(&Grant, &[String])> {
        let record = self.state.access_tokens.get(token)?;
        let grant = &self.state.grants[record.grant];
        (record.live && record.expires > now && grant.live).then_some((grant, &record.scopes))
    }
}

fn deny_oauth2(pending: &PendingConsent) -> Answer {
    respond::redirect(&with_query(
        &pending.redirect_uri,
        &[
            ("error", "access_denied"),
            ("error_description", "The user denied the request."),
            ("state", &pending.state),
        ],
    ))
}
