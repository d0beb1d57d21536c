//! OAuth 1.0a: request token, consent, access token, invalidate, and the signature check.

use http::{Method, StatusCode};
use oauth1_sign::{AuthorizationHeader, ConsumerSecret, SignatureMethod, TokenSecret};
use serde_json::json;

use super::{Ctx, Handler, Incoming, OAuth1TokenRecord, RequestTokenRecord, Route, with_query};
use crate::config::{AccessLevel, AccessTokenSignature, Consent};
use crate::pages;
use crate::respond::{self, Answer};

/// Which token an OAuth 1.0a request must carry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    /// None (`oauth/request_token`).
    Consumer,
    /// An unexpired, approved request token (`oauth/access_token`).
    RequestToken,
    /// A live access token.
    AccessToken,
}

/// Why an OAuth 1.0a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// No `OAuth` Authorization header, or one that does not parse.
    BadAuthenticationData,
    /// Unknown consumer key, wrong signature, unsupported method or a replayed nonce.
    CouldNotAuthenticate,
    /// The app is suspended.
    Suspended,
    /// `oauth_timestamp` outside the window.
    Timestamp,
    /// Unknown, used, expired or invalidated token.
    InvalidToken,
}

impl Refusal {
    /// The v1.1 answer.
    pub(super) fn answer(self) -> Answer {
        match self {
            Self::BadAuthenticationData => respond::bad_authentication_data(),
            Self::CouldNotAuthenticate => respond::could_not_authenticate(),
            Self::Suspended => {
                respond::coded(StatusCode::UNAUTHORIZED, 416, "Invalid / suspended App.")
            }
            Self::Timestamp => {
                respond::coded(StatusCode::UNAUTHORIZED, 135, "Timestamp out of bounds.")
            }
            Self::InvalidToken => respond::invalid_token(),
        }
    }
}

/// A request whose OAuth 1.0a signature checked out.
pub(super) struct Signed {
    pub(super) app: usize,
    pub(super) token: Option<String>,
}

impl Handler {
    /// Checks an OAuth 1.0a request: header, app, timestamp window, token, signature, nonce.
    pub(super) fn verify_oauth1(
        &mut self,
        now: u64,
        request: &Incoming,
        expect: Expect,
    ) -> Result<Signed, Refusal> {
        let result = self.check_oauth1(now, request, expect);
        if matches!(
            result,
            Err(Refusal::CouldNotAuthenticate | Refusal::Timestamp)
        ) {
            self.counters.rejected_signatures += 1;
        }
        result
    }

    fn check_oauth1(
        &mut self,
        now: u64,
        request: &Incoming,
        expect: Expect,
    ) -> Result<Signed, Refusal> {
        let value = request
            .authorization()
            .filter(|v| v.len() > 6 && v.as_bytes()[..6].eq_ignore_ascii_case(b"oauth "))
            .ok_or(Refusal::BadAuthenticationData)?;
        let header =
            AuthorizationHeader::parse(value).map_err(|_| Refusal::BadAuthenticationData)?;
        let consumer_key = header
            .consumer_key()
            .ok_or(Refusal::BadAuthenticationData)?;
        let app = self
            .app_index_by_key(consumer_key)
            .ok_or(Refusal::CouldNotAuthenticate)?;
        if self.config.apps[app].suspended {
            return Err(Refusal::Suspended);
        }
        // X signs with HMAC-SHA1 only.
        if !matches!(header.signature_method(), Ok(SignatureMethod::HmacSha1)) {
            return Err(Refusal::CouldNotAuthenticate);
        }
        // "Only ASCII values are accepted for the oauth_nonce" (X's API reference:
        // https://docs.x.com/fundamentals/authentication/api-reference#post-oauth-request-token);
        // X's answer is unverified, the mock's is code 32.
        if header.nonce().is_some_and(|nonce| !nonce.is_ascii()) {
            return Err(Refusal::CouldNotAuthenticate);
        }
        let timestamp = header
            .timestamp()
            .map_err(|_| Refusal::CouldNotAuthenticate)?;
        if timestamp.abs_diff(now) > self.config.timestamp_window {
            return Err(Refusal::Timestamp);
        }
        let token = header.token().map(str::to_owned);
        let token_secret = match expect {
            Expect::Consumer => None,
            Expect::RequestToken => {
                let record = token
                    .as_deref()
                    .and_then(|t| self.state.request_tokens.get(t))
                    .filter(|r| r.app == app && !r.dead && r.expires > now)
                    .ok_or(Refusal::InvalidToken)?;
                Some(record.secret.clone())
            }
            Expect::AccessToken => {
                let record = token
                    .as_deref()
                    .and_then(|t| self.state.oauth1_tokens.get(t))
                    .filter(|r| r.app == app && r.live)
                    .ok_or(Refusal::InvalidToken)?;
                Some(record.secret.clone())
            }
        };
        let signed = oauth1_sign::Request::new(request.method.as_str(), &request.signing_url)
            .body(request.content_type(), &request.body);
        let consumer_secret = ConsumerSecret::new(self.config.apps[app].consumer_secret.clone());
        let token_secret = token_secret.map(TokenSecret::new);
        let verified = header.verify(&signed, &consumer_secret, token_secret.as_ref());
        // Lenient access tokens: a signature made without the request-token secret passes too,
        // as python-twitter-v2 (`pytwitter`) signs it: its `generate_access_token` never sees
        // that secret (https://github.com/sns-sdks/python-twitter/blob/d6125880979105f570713652743797046d04017f/pytwitter/api.py#L225-L239).
        // That X lets it through is unverified; reported in
        // https://github.com/redouane59/twittered/issues/328.
        let lenient = expect == Expect::RequestToken
            && self.config.access_token_signature == AccessTokenSignature::Lenient;
        if verified.is_err() && !(lenient && header.verify(&signed, &consumer_secret, None).is_ok())
        {
            return Err(Refusal::CouldNotAuthenticate);
        }
        // Only a correctly signed request spends its nonce (a forger cannot burn one).
        let nonce = header.nonce().unwrap_or_default();
        if nonce.is_empty() {
            return Err(Refusal::CouldNotAuthenticate);
        }
        let window = self.config.timestamp_window.saturating_mul(2);
        if !self.nonces.insert(now, window, consumer_key, nonce) {
            return Err(Refusal::CouldNotAuthenticate);
        }
        Ok(Signed { app, token })
    }

    /// An `oauth_*` protocol parameter from the header, else the form body or query.
    fn oauth_param(request: &Incoming, name: &str) -> Option<String> {
        request
            .authorization()
            .and_then(|v| AuthorizationHeader::parse(v).ok())
            .and_then(|h| h.get(name).map(str::to_owned))
            .or_else(|| request.param(name).map(str::to_owned))
    }

    pub(super) fn request_token(&mut self, now: u64, request: &Incoming, ctx: &mut Ctx) -> Answer {
        let signed = match self.verify_oauth1(now, request, Expect::Consumer) {
            Ok(signed) => signed,
            Err(refusal) => return refusal.answer(),
        };
        let who = format!("app:{}", self.config.apps[signed.app].consumer_key);
        if let Err(answer) = self.limit(now, ctx, Route::RequestToken, &who) {
            return answer;
        }
        let Some(callback) = Self::oauth_param(request, "oauth_callback") else {
            return respond::bad_authentication_data();
        };
        let app = &self.config.apps[signed.app];
        if app.desktop && callback != "oob" {
            return respond::coded(
                StatusCode::UNAUTHORIZED,
                417,
                "Desktop applications only support the oauth_callback value 'oob'",
            );
        }
        if callback != "oob" && !app.callbacks.contains(&callback) {
            return respond::coded(
                StatusCode::FORBIDDEN,
                415,
                "Callback URL not approved for this client application. Approved callback URLs can be adjusted in your application settings",
            );
        }
        let write = match Self::oauth_param(request, "x_auth_access_type").as_deref() {
            None | Some("write") => app.access >= AccessLevel::ReadWrite,
            Some("read") => false,
            Some(_) => return respond::bad_authentication_data(),
        };
        let token = self.alnum(27);
        let secret = self.alnum(32);
        self.state.request_tokens.insert(
            token.clone(),
            RequestTokenRecord {
                app: signed.app,
                secret: secret.clone(),
                callback,
                write,
                expires: now.saturating_add(self.config.request_token_ttl),
                approved: None,
                dead: false,
            },
        );
        self.counters.request_tokens += 1;
        respond::form(&[
            ("oauth_token", &token),
            ("oauth_token_secret", &secret),
            ("oauth_callback_confirmed", "true"),
        ])
    }

    /// `GET /oauth/authorize|authenticate` shows consent (or answers it automatically);
    /// `POST` is the consent form's submission.
    pub(super) fn authorize(&mut self, now: u64, request: &Incoming, authenticate: bool) -> Answer {
        let Some(token) = request.param("oauth_token").map(str::to_owned) else {
            return respond::html(StatusCode::BAD_REQUEST, pages::oauth1_invalid());
        };
        let Some(record) = self
            .state
            .request_tokens
            .get(&token)
            .filter(|r| !r.dead && r.approved.is_none() && r.expires > now)
        else {
            return respond::html(StatusCode::BAD_REQUEST, pages::oauth1_invalid());
        };
        let app = record.app;
        let write = record.write;
        if request.method == Method::POST {
            let user = request
                .form_param("user_id")
                .filter(|u| self.config.user(u).is_some())
                .map(str::to_owned);
            return match (request.form_param("decision"), user) {
                (Some("allow"), Some(user)) => self.approve_oauth1(&token, &user),
                (Some("deny"), _) => self.deny_oauth1(&token, false),
                _ => respond::html(StatusCode::BAD_REQUEST, pages::oauth1_invalid()),
            };
        }
        let force_login = request.query_param("force_login") == Some("true");
        let screen_name = request.query_param("screen_name");
        let preselected = screen_name
            .and_then(|name| {
                self.config
                    .users
                    .iter()
                    .find(|u| u.username.eq_ignore_ascii_case(name))
            })
            .map(|u| u.id.clone())
            .or_else(|| self.session_user.clone());
        // Sign in with X: a user who approved the app before goes straight back.
        let remembered = authenticate
            && !force_login
            && self
                .session_user
                .as_ref()
                .is_some_and(|u| self.state.approvals.contains(&(app, u.clone())));
        if self.consent == Consent::Deny {
            return self.deny_oauth1(&token, true);
        }
        let automatic = if remembered {
            self.session_user.clone()
        } else if self.consent == Consent::Approve {
            preselected.clone()
        } else {
            None
        };
        if let Some(user) = automatic {
            return self.approve_oauth1(&token, &user);
        }
        let action = if authenticate {
            "/oauth/authenticate"
        } else {
            "/oauth/authorize"
        };
        respond::html(
            StatusCode::OK,
            pages::oauth1_consent(
                action,
                &self.config.apps[app].name,
                &token,
                &self.config.users,
                preselected.as_deref(),
                write,
            ),
        )
    }

    fn approve_oauth1(&mut self, token: &str, user: &str) -> Answer {
        let verifier_is_pin = self
            .state
            .request_tokens
            .get(token)
            .is_some_and(|r| r.callback == "oob");
        let verifier = if verifier_is_pin {
            self.digits(7)
        } else {
            self.alnum(32)
        };
        let Some(record) = self.state.request_tokens.get_mut(token) else {
            return respond::html(StatusCode::BAD_REQUEST, pages::oauth1_invalid());
        };
        record.approved = Some((user.to_owned(), verifier.clone()));
        let (app, callback) = (record.app, record.callback.clone());
        self.session_user = Some(user.to_owned());
        if !self.state.approvals.contains(&(app, user.to_owned())) {
            self.state.approvals.push((app, user.to_owned()));
        }
        if callback == "oob" {
            return respond::html(
                StatusCode::OK,
                pages::pin(&self.config.apps[app].name, &verifier),
            );
        }
        respond::redirect(&with_query(
            &callback,
            &[("oauth_token", token), ("oauth_verifier", &verifier)],
        ))
    }

    /// The user refused: the request token dies. X shows a "Return to app" link carrying
    /// `denied=<token>`; automatic refusal follows it at once.
    fn deny_oauth1(&mut self, token: &str, follow_link: bool) -> Answer {
        let Some(record) = self.state.request_tokens.get_mut(token) else {
            return respond::html(StatusCode::BAD_REQUEST, pages::oauth1_invalid());
        };
        record.dead = true;
        let app = &self.config.apps[record.app].name;
        let link =
            (record.callback != "oob").then(|| with_query(&record.callback, &[("denied", token)]));
        match link {
            Some(link) if follow_link => respond::redirect(&link),
            link => respond::html(StatusCode::OK, pages::oauth1_denied(app, link.as_deref())),
        }
    }

    pub(super) fn access_token(&mut self, now: u64, request: &Incoming, ctx: &mut Ctx) -> Answer {
        let signed = match self.verify_oauth1(now, request, Expect::RequestToken) {
            Ok(signed) => signed,
            Err(refusal) => return refusal.answer(),
        };
        let who = format!("app:{}", self.config.apps[signed.app].consumer_key);
        if let Err(answer) = self.limit(now, ctx, Route::AccessToken, &who) {
            return answer;
        }
        let token = signed.token.unwrap_or_default();
        let verifier = Self::oauth_param(request, "oauth_verifier");
        let Some(record) = self.state.request_tokens.get_mut(&token) else {
            return respond::invalid_token();
        };
        let user = match (&record.approved, verifier) {
            (Some((user, expected)), Some(given)) if *expected == given => user.clone(),
            // X's historic plain-text answer: clients must not assume JSON here.
            _ => {
                return respond::text(
                    StatusCode::UNAUTHORIZED,
                    "Error processing your OAuth request: Invalid oauth_verifier parameter",
                );
            }
        };
        // Single use: the request token is spent.
        record.dead = true;
        let (app, write) = (record.app, record.write);
        let access = if write {
            self.config.apps[app].access
        } else {
            AccessLevel::Read
        };
        // X hands the same access token to a user who authorizes the same app again.
        let existing = self
            .state
            .oauth1_tokens
            .iter_mut()
            .find(|(_, r)| r.app == app && r.user == user && r.live);
        let (access_token, secret) = if let Some((token, record)) = existing {
            record.access = access;
            (token.clone(), record.secret.clone())
        } else {
            let access_token = format!("{user}-{}", self.alnum(40));
            let secret = self.alnum(45);
            self.state.oauth1_tokens.insert(
                access_token.clone(),
                OAuth1TokenRecord {
                    app,
                    user: user.clone(),
                    secret: secret.clone(),
                    access,
                    live: true,
                },
            );
            self.counters.oauth1_access_tokens += 1;
            (access_token, secret)
        };
        let screen_name = self
            .config
            .user(&user)
            .map(|u| u.username.clone())
            .unwrap_or_default();
        respond::form(&[
            ("oauth_token", &access_token),
            ("oauth_token_secret", &secret),
            ("user_id", &user),
            ("screen_name", &screen_name),
        ])
    }

    pub(super) fn invalidate_oauth1(
        &mut self,
        now: u64,
        request: &Incoming,
        ctx: &mut Ctx,
    ) -> Answer {
        let signed = match self.verify_oauth1(now, request, Expect::AccessToken) {
            Ok(signed) => signed,
            Err(refusal) => return refusal.answer(),
        };
        let token = signed.token.unwrap_or_default();
        if let Err(answer) = self.limit(
            now,
            ctx,
            Route::InvalidateOAuth1,
            &format!("oauth1:{token}"),
        ) {
            return answer;
        }
        if let Some(record) = self.state.oauth1_tokens.get_mut(&token) {
            record.live = false;
        }
        self.counters.invalidations += 1;
        respond::json(StatusCode::OK, &json!({ "access_token": token }))
    }

    /// The OAuth 1.0a user behind a signed request to a protected resource.
    pub(super) fn oauth1_user(&self, signed: &Signed) -> Option<(String, AccessLevel)> {
        let record = self.state.oauth1_tokens.get(signed.token.as_deref()?)?;
        Some((record.user.clone(), record.access))
    }
}
