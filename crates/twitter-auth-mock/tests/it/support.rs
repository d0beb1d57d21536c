//! The harness: a running mock, a plain HTTP client, OAuth 1.0a signing with fresh nonces on
//! the mock's clock, `Basic` headers, and the flows most tests start from.

use std::collections::HashMap;
use std::ops::Deref;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, Request};
use oauth1_sign::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, OAuthParams, Signer, Token, TokenCredentials,
    TokenSecret,
};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use serde_json::Value;
use twitter_auth_mock::{App, DEMO_NATIVE_APP, DEMO_WEB_APP, MockConfig, MockX, UserToken};
use url::Url;

/// A callback registered for both demo apps (`MockConfig::demo`).
pub(crate) const CALLBACK: &str = "http://127.0.0.1:8765/callback";
/// The other registered callbacks of the demo apps.
pub(crate) const CUSTOM_SCHEME_CALLBACK: &str = "twauth://callback";
/// The demo users (`MockConfig::demo`): alice is the first, signed into the mock's browser.
pub(crate) const ALICE_ID: &str = "1500000000000000001";
pub(crate) const ALICE: &str = "mock_alice";
pub(crate) const BOB_ID: &str = "1500000000000000002";
pub(crate) const BOB: &str = "mock_bob";
/// The form media type X's docs send to `oauth2/token` (contract §3.1).
pub(crate) const FORM_UTF8: &str = "application/x-www-form-urlencoded;charset=UTF-8";
/// The plain form media type (contract §4.4).
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// A fixture copied from the published vectors (`/work/shared/vectors`) or from a recorded X
/// answer, parsed.
pub(crate) fn fixture(name: &str) -> Value {
    let text = match name {
        "x-wire-samples" => include_str!("fixtures/x-wire-samples.json"),
        "oauth2-client-auth" => include_str!("fixtures/oauth2-client-auth.json"),
        "pkce" => include_str!("fixtures/pkce.json"),
        "x-docs-oauth1" => include_str!("fixtures/x-docs-oauth1.json"),
        "tweepy-verify-credentials" => include_str!("fixtures/tweepy-verify-credentials.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

/// An HTTP `Date` as X writes it: RFC 7231 (`… GMT`) on v1.1 and OAuth answers, `… UTC` on
/// v2 ones (contract §1.2: "Parse both"). Panics if it is neither.
pub(crate) fn x_date(date: &str) -> std::time::SystemTime {
    let rfc7231 = match date.strip_suffix(" UTC") {
        Some(stem) => format!("{stem} GMT"),
        None => date.to_owned(),
    };
    httpdate::parse_http_date(&rfc7231)
        .unwrap_or_else(|e| panic!("{date:?} is not an HTTP date in GMT or UTC ({e})"))
}

/// One vector of a fixture, by id.
pub(crate) fn vector(file: &str, id: &str) -> Value {
    fixture(file)["vectors"]
        .as_array()
        .expect("a vectors array")
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no vector {id} in {file}"))
        .clone()
}

/// An answer as a client sees it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    /// The body as JSON (panics with the body if it is not).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }

    /// A header, as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A numeric header.
    pub(crate) fn number(&self, name: &str) -> u64 {
        self.header(name)
            .unwrap_or_else(|| panic!("no {name} header in {self:?}"))
            .parse()
            .unwrap_or_else(|_| panic!("{name} is not a number"))
    }

    /// The media type, without parameters, lower-case.
    pub(crate) fn media_type(&self) -> String {
        self.header("content-type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    }

    /// The body parsed as a form (OAuth 1.0a token answers, contract §2.1, §2.3).
    pub(crate) fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }

    /// The v1.1 error code of `{"errors":[{"code":N,...}]}` (contract §6.1).
    pub(crate) fn code(&self) -> i64 {
        let body = self.json();
        body["errors"][0]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no v1.1 error code in {}", self.body))
    }

    /// The `Location` of a 302.
    pub(crate) fn location(&self) -> String {
        assert_eq!(self.status, 302, "expected a redirect: {self:?}");
        self.header("location")
            .unwrap_or_else(|| panic!("a 302 without Location: {self:?}"))
            .to_owned()
    }

    /// The query parameters of the `Location` of a 302.
    pub(crate) fn redirect_params(&self) -> HashMap<String, String> {
        query_of(&self.location())
    }

    /// Asserts an RFC 7807 problem (contract §6.3) and returns it.
    pub(crate) fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.media_type(), "application/problem+json", "{self:?}");
        let body = self.json();
        assert!(body["type"].is_string(), "problem without type: {body}");
        assert!(body["title"].is_string(), "problem without title: {body}");
        assert!(body["detail"].is_string(), "problem without detail: {body}");
        body
    }

    /// Asserts an OAuth 2.0 error `{"error","error_description"}` (contract §6.2) and returns
    /// the description.
    pub(crate) fn oauth2_error(&self, status: u16, error: &str) -> String {
        assert_eq!(self.status, status, "{self:?}");
        let body = self.json();
        assert_eq!(body["error"], error, "{body}");
        body["error_description"]
            .as_str()
            .unwrap_or_else(|| panic!("no error_description in {body}"))
            .to_owned()
    }

    /// Asserts a v1.1 coded error with this status and code (contract §6.1).
    pub(crate) fn assert_coded(&self, status: u16, code: i64) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.media_type(), "application/json", "{self:?}");
        assert_eq!(self.code(), code, "{self:?}");
        assert!(
            self.json()["errors"][0]["message"].is_string(),
            "a coded error without message: {}",
            self.body
        );
    }
}

/// The query parameters of a URL.
pub(crate) fn query_of(url: &str) -> HashMap<String, String> {
    let url = Url::parse(url).unwrap_or_else(|e| panic!("not a URL ({e}): {url}"));
    url.query_pairs().into_owned().collect()
}

/// A form body.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `Basic base64(user:password)` (RFC 7617; X encodes both halves first, a no-op for its
/// alphabet: contract §3.1, §4.4).
pub(crate) fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// `Bearer <token>`, the token verbatim (contract §3.2).
pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A fresh 32-character alphanumeric nonce.
pub(crate) fn nonce() -> String {
    oauth1_sign::generate_nonce(&mut StdRng::from_os_rng())
}

/// OAuth 1.0a credentials and per-request values for one signed request.
#[derive(Clone, Copy)]
pub(crate) struct OAuth1<'a> {
    consumer_key: &'a str,
    consumer_secret: &'a str,
    token: Option<(&'a str, &'a str)>,
    callback: Option<&'a str>,
    verifier: Option<&'a str>,
    nonce: Option<&'a str>,
    timestamp: Option<u64>,
}

impl<'a> OAuth1<'a> {
    /// Signed by an app alone (`oauth/request_token`).
    pub(crate) fn app(app: &'a App) -> Self {
        Self::keys(&app.consumer_key, &app.consumer_secret)
    }

    /// Signed with any consumer key and secret.
    pub(crate) fn keys(consumer_key: &'a str, consumer_secret: &'a str) -> Self {
        Self {
            consumer_key,
            consumer_secret,
            token: None,
            callback: None,
            verifier: None,
            nonce: None,
            timestamp: None,
        }
    }

    /// Signed by an app and the access token it holds for its owner (pre-issued).
    pub(crate) fn owner(app: &'a App) -> Self {
        let owned = owner_token(app);
        Self::app(app).token(&owned.token, &owned.secret)
    }

    /// With a token and its secret.
    pub(crate) fn token(mut self, token: &'a str, secret: &'a str) -> Self {
        self.token = Some((token, secret));
        self
    }

    /// With `oauth_callback` (in the header).
    pub(crate) fn callback(mut self, callback: &'a str) -> Self {
        self.callback = Some(callback);
        self
    }

    /// With `oauth_verifier` (in the header).
    pub(crate) fn verifier(mut self, verifier: &'a str) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// With a given nonce rather than a fresh one.
    pub(crate) fn nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// With a given timestamp rather than the mock's clock.
    pub(crate) fn timestamp(mut self, timestamp: u64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// The `Authorization` header for `method url`, signing `form_body` if there is one
    /// (JSON bodies are never signed: contract §1.1 step 3).
    pub(crate) fn header(
        &self,
        now: u64,
        method: &str,
        url: &str,
        form_body: Option<&[u8]>,
    ) -> String {
        let consumer = ConsumerCredentials::new(
            ConsumerKey::new(self.consumer_key),
            ConsumerSecret::new(self.consumer_secret),
        );
        let token = self
            .token
            .map(|(t, s)| TokenCredentials::new(Token::new(t), TokenSecret::new(s)));
        let signer = Signer::new(&consumer, token.as_ref());
        let fresh;
        let nonce = match self.nonce {
            Some(nonce) => nonce,
            None => {
                fresh = nonce();
                &fresh
            }
        };
        let mut params = OAuthParams::new(nonce, self.timestamp.unwrap_or(now));
        if let Some(callback) = self.callback {
            params = params.callback(callback);
        }
        if let Some(verifier) = self.verifier {
            params = params.verifier(verifier);
        }
        let mut request = oauth1_sign::Request::new(method, url);
        if let Some(body) = form_body {
            request = request.form_body(body);
        }
        signer
            .authorization(&request, &params)
            .expect("the request can be signed")
    }
}

/// The pre-issued OAuth 1.0a access token of an app's owner.
pub(crate) fn owner_token(app: &App) -> &UserToken {
    app.user_tokens
        .iter()
        .find(|t| t.user_id == app.owner)
        .expect("the demo apps hold a token for their owner")
}

/// Tokens from a successful OAuth 1.0a flow.
pub(crate) struct OAuth1Tokens {
    pub(crate) token: String,
    pub(crate) secret: String,
    pub(crate) user_id: String,
    pub(crate) screen_name: String,
}

/// A PKCE authorization request's client-side secrets.
pub(crate) struct PkceRequest {
    pub(crate) verifier: pkce::CodeVerifier,
    pub(crate) state: String,
}

impl PkceRequest {
    /// A fresh verifier (S256) and state.
    pub(crate) fn new() -> Self {
        let mut rng = StdRng::from_os_rng();
        Self {
            verifier: pkce::CodeVerifier::generate(&mut rng),
            state: pkce::State::generate(&mut rng).secret().to_owned(),
        }
    }
}

/// A running mock and a plain HTTP/1.1 client that reads every status and never follows
/// redirects. The mock stops when this is dropped.
pub(crate) struct Mock {
    x: MockX,
    agent: ureq::Agent,
}

impl Deref for Mock {
    type Target = MockX;

    fn deref(&self) -> &MockX {
        &self.x
    }
}

impl Mock {
    /// The demo world.
    pub(crate) fn start() -> Self {
        Self::with(MockConfig::default())
    }

    /// Any world.
    pub(crate) fn with(config: MockConfig) -> Self {
        let x = MockX::start(config).expect("the mock starts on loopback");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Self { x, agent }
    }

    /// The demo world's confidential web app (owned by alice).
    pub(crate) fn web(&self) -> &App {
        self.config().app(DEMO_WEB_APP).expect("demo web app")
    }

    /// The demo world's public native app (owned by bob).
    pub(crate) fn native(&self) -> &App {
        self.config().app(DEMO_NATIVE_APP).expect("demo native app")
    }

    /// Sends a request; `Err` is a transport error.
    pub(crate) fn try_send(&self, request: Request<Vec<u8>>) -> Result<Answer, ureq::Error> {
        let mut response = self.agent.run(request)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.body_mut().read_to_string()?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// Sends a request that must get an answer.
    pub(crate) fn send(&self, request: Request<Vec<u8>>) -> Answer {
        self.try_send(request)
            .unwrap_or_else(|e| panic!("transport error: {e}"))
    }

    /// A request builder for a path (or a path with a query) on the mock.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
    ) -> http::request::Builder {
        let mut builder = Request::builder().method(method).uri(self.url(path));
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        builder
    }

    /// `GET path`, with an optional `Authorization`.
    pub(crate) fn get(&self, path: &str, authorization: Option<&str>) -> Answer {
        self.send(
            self.request("GET", path, authorization)
                .body(Vec::new())
                .expect("a request"),
        )
    }

    /// `POST path` with a form body.
    pub(crate) fn post_form(&self, path: &str, authorization: Option<&str>, body: &str) -> Answer {
        self.send(self.form_request(path, authorization, body))
    }

    /// The request of [`post_form`](Self::post_form), unsent.
    pub(crate) fn form_request(
        &self,
        path: &str,
        authorization: Option<&str>,
        body: &str,
    ) -> Request<Vec<u8>> {
        self.request("POST", path, authorization)
            .header("content-type", FORM)
            .body(body.as_bytes().to_vec())
            .expect("a request")
    }

    /// The OAuth 1.0a header for a request to `path`, on the mock's clock.
    pub(crate) fn sign(
        &self,
        oauth: OAuth1<'_>,
        method: &str,
        path: &str,
        form_body: Option<&str>,
    ) -> String {
        oauth.header(
            self.now(),
            method,
            &self.url(path),
            form_body.map(str::as_bytes),
        )
    }

    /// A signed `GET`.
    pub(crate) fn signed_get(&self, oauth: OAuth1<'_>, path: &str) -> Answer {
        let header = self.sign(oauth, "GET", path, None);
        self.get(path, Some(&header))
    }

    /// A signed `POST` with a form body (signed too).
    pub(crate) fn signed_post_form(&self, oauth: OAuth1<'_>, path: &str, body: &str) -> Answer {
        let header = self.sign(oauth, "POST", path, Some(body));
        self.post_form(path, Some(&header), body)
    }

    /// `POST oauth/request_token`; returns the token and its secret.
    pub(crate) fn request_token(&self, app: &App, callback: &str) -> (String, String) {
        let answer = self.signed_post_form(
            OAuth1::app(app).callback(callback),
            "/oauth/request_token",
            "",
        );
        assert_eq!(answer.status, 200, "{answer:?}");
        let form = answer.form();
        assert_eq!(form["oauth_callback_confirmed"], "true", "{answer:?}");
        (
            form["oauth_token"].clone(),
            form["oauth_token_secret"].clone(),
        )
    }

    /// `GET oauth/authorize` with automatic consent; returns the verifier from the callback.
    pub(crate) fn authorize_oauth1(&self, request_token: &str) -> String {
        let answer = self.get(
            &format!(
                "/oauth/authorize?{}",
                form(&[("oauth_token", request_token)])
            ),
            None,
        );
        let params = answer.redirect_params();
        assert_eq!(params["oauth_token"], request_token);
        params["oauth_verifier"].clone()
    }

    /// `POST oauth/access_token` with the verifier in the header.
    pub(crate) fn access_token(
        &self,
        app: &App,
        request_token: (&str, &str),
        verifier: &str,
    ) -> Answer {
        let (token, secret) = request_token;
        self.signed_post_form(
            OAuth1::app(app).token(token, secret).verifier(verifier),
            "/oauth/access_token",
            "",
        )
    }

    /// The whole 3-legged OAuth 1.0a flow with automatic consent.
    pub(crate) fn oauth1_login(&self, app: &App) -> OAuth1Tokens {
        let (token, secret) = self.request_token(app, CALLBACK);
        let verifier = self.authorize_oauth1(&token);
        let answer = self.access_token(app, (&token, &secret), &verifier);
        assert_eq!(answer.status, 200, "{answer:?}");
        let form = answer.form();
        OAuth1Tokens {
            token: form["oauth_token"].clone(),
            secret: form["oauth_token_secret"].clone(),
            user_id: form["user_id"].clone(),
            screen_name: form["screen_name"].clone(),
        }
    }

    /// `POST oauth2/token` with the app's keys; returns the bearer token.
    pub(crate) fn app_bearer(&self, app: &App) -> String {
        let answer = self.send(
            self.request(
                "POST",
                "/oauth2/token",
                Some(&basic(&app.consumer_key, &app.consumer_secret)),
            )
            .header("content-type", FORM_UTF8)
            .body(b"grant_type=client_credentials".to_vec())
            .expect("a request"),
        );
        assert_eq!(answer.status, 200, "{answer:?}");
        let body = answer.json();
        assert_eq!(body["token_type"], "bearer");
        body["access_token"]
            .as_str()
            .expect("an access_token")
            .to_owned()
    }

    /// The PKCE authorize URL path and query for an app (contract §4.2).
    pub(crate) fn authorize_path(
        app: &App,
        redirect_uri: &str,
        scope: &str,
        state: &str,
        challenge: &str,
    ) -> String {
        let client_id = app.client_id().expect("an OAuth 2.0 client");
        format!(
            "/i/oauth2/authorize?{}",
            form(&[
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", redirect_uri),
                ("scope", scope),
                ("state", state),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ])
        )
    }

    /// `GET /i/oauth2/authorize` for `pkce` with the registered callback.
    pub(crate) fn authorize_oauth2(&self, app: &App, scope: &str, pkce: &PkceRequest) -> Answer {
        let challenge = pkce.verifier.challenge();
        self.get(
            &Self::authorize_path(app, CALLBACK, scope, &pkce.state, challenge.as_str()),
            None,
        )
    }

    /// Authorizes with automatic consent; checks the state and returns the code.
    pub(crate) fn pkce_code(&self, app: &App, scope: &str, pkce: &PkceRequest) -> String {
        let answer = self.authorize_oauth2(app, scope, pkce);
        let location = answer.location();
        assert!(location.starts_with(CALLBACK), "{location}");
        let params = query_of(&location);
        assert_eq!(params["state"], pkce.state, "the state comes back");
        params["code"].clone()
    }

    /// `POST /2/oauth2/token` as the app's client: `Basic` for a confidential client,
    /// `client_id` in the body for a public one (contract §4.4).
    pub(crate) fn oauth2_post(&self, app: &App, path: &str, pairs: &[(&str, &str)]) -> Answer {
        let client_id = app.client_id().expect("an OAuth 2.0 client");
        match app.client_secret() {
            Some(secret) => self.post_form(path, Some(&basic(client_id, secret)), &form(pairs)),
            None => {
                let mut pairs = pairs.to_vec();
                pairs.push(("client_id", client_id));
                self.post_form(path, None, &form(&pairs))
            }
        }
    }

    /// Exchanges a code.
    pub(crate) fn exchange(&self, app: &App, code: &str, verifier: &str) -> Answer {
        self.oauth2_post(
            app,
            "/2/oauth2/token",
            &[
                ("code", code),
                ("grant_type", "authorization_code"),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier),
            ],
        )
    }

    /// Refreshes.
    pub(crate) fn refresh(&self, app: &App, refresh_token: &str) -> Answer {
        self.oauth2_post(
            app,
            "/2/oauth2/token",
            &[
                ("refresh_token", refresh_token),
                ("grant_type", "refresh_token"),
            ],
        )
    }

    /// The whole PKCE login with automatic consent; returns the token response.
    pub(crate) fn pkce_login(&self, app: &App, scope: &str) -> Value {
        let pkce = PkceRequest::new();
        let code = self.pkce_code(app, scope, &pkce);
        let answer = self.exchange(app, &code, pkce.verifier.secret());
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.json()
    }
}

/// A string field of a JSON value.
pub(crate) fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field} in {value}"))
}
