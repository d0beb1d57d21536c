//! The world the mock serves: apps, users, lifetimes and limits, set once by a value.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Everything the mock knows before its first request.
///
/// [`MockConfig::default`] is a ready demo world: two users, a confidential web app and a public
/// native app, each with OAuth 1.0a keys and a pre-issued access token for its owner (see
/// [`MockConfig::demo`]). Tests adjust it field by field.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// Registered developer apps.
    pub apps: Vec<App>,
    /// X accounts that can log in and consent.
    pub users: Vec<User>,
    /// How the consent pages answer.
    pub consent: Consent,
    /// OAuth 1.0a `oauth_timestamp` tolerance either side of the mock's clock, in seconds
    /// (outside it: 401 with code 135 and a `Date` header).
    pub timestamp_window: u64,
    /// Lifetime of an OAuth 1.0a request token, in seconds (X does not document one).
    pub request_token_ttl: u64,
    /// Lifetime of an OAuth 2.0 authorization code, in seconds (X: 30).
    pub code_ttl: u64,
    /// Lifetime of an OAuth 2.0 access token, in seconds (X: 7200).
    pub access_token_ttl: u64,
    /// Lifetime of an OAuth 2.0 refresh token, in seconds (users report six months).
    pub refresh_token_ttl: u64,
    /// Per-token, per-endpoint request limits.
    pub rate_limits: RateLimits,
    /// Seed of the token generator; `None` draws one from the operating system. A fixed seed
    /// makes every token, code and PIN reproducible.
    pub seed: Option<u64>,
    /// How `oauth/access_token` checks its signature (X reportedly checks less than RFC 5849
    /// asks; user report:
    /// [twittered#328](https://github.com/redouane59/twittered/issues/328), unverified).
    /// [`AccessTokenSignature::Strict`] by default.
    pub access_token_signature: AccessTokenSignature,
    /// Timeouts, the connection cap and the body limit of the HTTP shell ([`MockX`](crate::MockX));
    /// the sans-IO [`Handler`](crate::Handler) ignores them.
    pub server: ServerLimits,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self::demo()
    }
}

impl MockConfig {
    /// An empty world with X's lifetimes and limits: add apps and users.
    pub fn empty() -> Self {
        Self {
            apps: Vec::new(),
            users: Vec::new(),
            consent: Consent::Approve,
            timestamp_window: 300,
            request_token_ttl: 900,
            code_ttl: 30,
            access_token_ttl: 7200,
            refresh_token_ttl: 180 * 24 * 3600,
            rate_limits: RateLimits::default(),
            seed: None,
            access_token_signature: AccessTokenSignature::Strict,
            server: ServerLimits::default(),
        }
    }

    /// The demo world (public, made-up credentials; never valid at X):
    ///
    /// - users `mock_alice` (id `1500000000000000001`) and `mock_bob` (id `1500000000000000002`);
    /// - [`DEMO_WEB_APP`]: a confidential OAuth 2.0 client (Web App) owned by alice;
    /// - [`DEMO_NATIVE_APP`]: a public OAuth 2.0 client (Native App) owned by bob;
    /// - both with OAuth 1.0a consumer keys, a pre-issued OAuth 1.0a access token for their owner,
    ///   and the callbacks `http://127.0.0.1:8765/callback` and `twauth://callback` (OAuth 1.0a
    ///   `oob` needs no registration; X asks for `127.0.0.1` rather than `localhost`);
    /// - alice has a filled-in profile and an email address, which the web app may read
    ///   (`include_email`, `confirmed_email`); bob has an empty profile and no address.
    pub fn demo() -> Self {
        let mut alice = User::new("1500000000000000001", "mock_alice", "Alice Mock");
        alice.profile = Profile {
            description: "A made-up account of the fake X.".to_owned(),
            location: "Loopback".to_owned(),
            url: Some("https://example.com/alice".to_owned()),
            // 2022-01-07T08:05:56Z, the date of tweepy's recorded `2/users/me` answer.
            created_at: 1_641_542_756,
            followers: 10,
            following: 11,
            tweets: 540,
            listed: 0,
            likes: 1,
            email: Some("mock_alice@example.com".to_owned()),
            ..Profile::default()
        };
        let mut bob = User::new("1500000000000000002", "mock_bob", "Bob Mock");
        bob.profile.created_at = 1_641_542_756;
        let callbacks = vec![
            "http://127.0.0.1:8765/callback".to_owned(),
            "twauth://callback".to_owned(),
        ];
        let web = App {
            name: DEMO_WEB_APP.to_owned(),
            consumer_key: "mockWebConsumerKey0000001".to_owned(),
            consumer_secret: "mockWebConsumerSecret0000000000000000000000000001".to_owned(),
            oauth2: Some(OAuth2Client {
                client_id: "bW9ja1dlYkNsaWVudDAwMDAwMDE6MTpjaQ".to_owned(),
                client_secret: Some("mockWebClientSecret00000000000000000000000000001".to_owned()),
            }),
            callbacks: callbacks.clone(),
            owner: alice.id.clone(),
            access: AccessLevel::ReadWriteDirectMessages,
            user_tokens: vec![UserToken {
                user_id: alice.id.clone(),
                token: format!("{}-mockWebAliceAccessToken000000000000001", alice.id),
                secret: "mockWebAliceAccessTokenSecret0000000000000001".to_owned(),
            }],
            suspended: false,
            desktop: false,
            request_email: true,
        };
        let native = App {
            name: DEMO_NATIVE_APP.to_owned(),
            consumer_key: "mockNativeConsumerKey0001".to_owned(),
            consumer_secret: "mockNativeConsumerSecret000000000000000000000001".to_owned(),
            oauth2: Some(OAuth2Client {
                client_id: "bW9ja05hdGl2ZUNsaWVudDAwMDE6MTpjaQ".to_owned(),
                client_secret: None,
            }),
            callbacks,
            owner: bob.id.clone(),
            access: AccessLevel::ReadWrite,
            user_tokens: vec![UserToken {
                user_id: bob.id.clone(),
                token: format!("{}-mockNativeBobAccessToken0000000000000001", bob.id),
                secret: "mockNativeBobAccessTokenSecret000000000000001".to_owned(),
            }],
            suspended: false,
            desktop: false,
            request_email: false,
        };
        Self {
            apps: vec![web, native],
            users: vec![alice, bob],
            ..Self::empty()
        }
    }

    /// Checks that the world is consistent: consumer keys and client ids unique, app owners
    /// and token holders known users, callbacks free of schemes X forbids.
    ///
    /// ```
    /// use twitter_auth_mock::MockConfig;
    ///
    /// assert!(MockConfig::default().validate().is_ok());
    /// let mut broken = MockConfig::default();
    /// broken.apps[1].consumer_key = broken.apps[0].consumer_key.clone();
    /// assert!(broken.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), String> {
        if self.server.max_connections == 0 {
            return Err("server.max_connections is 0: no connection could be served".to_owned());
        }
        for (i, app) in self.apps.iter().enumerate() {
            let earlier = &self.apps[..i];
            if earlier.iter().any(|a| a.consumer_key == app.consumer_key) {
                return Err(format!("two apps share the consumer key of {:?}", app.name));
            }
            if app.client_id().is_some() && earlier.iter().any(|a| a.client_id() == app.client_id())
            {
                return Err(format!("two apps share the client id of {:?}", app.name));
            }
            if self.user(&app.owner).is_none() {
                return Err(format!("the owner of {:?} is not a user", app.name));
            }
            if let Some(token) = app
                .user_tokens
                .iter()
                .find(|t| self.user(&t.user_id).is_none())
            {
                return Err(format!(
                    "{:?} holds a token for unknown user {}",
                    app.name, token.user_id
                ));
            }
            let forbidden = ["javascript:", "data:", "file:"];
            if let Some(callback) = app.callbacks.iter().find(|c| {
                let lower = c.to_ascii_lowercase();
                c.as_str() == "oob" || forbidden.iter().any(|f| lower.starts_with(f))
            }) {
                return Err(format!(
                    "{:?} registers a callback X forbids: {callback}",
                    app.name
                ));
            }
        }
        Ok(())
    }

    /// The app with this name.
    pub fn app(&self, name: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.name == name)
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }
}

/// Name of the demo world's confidential web app.
pub const DEMO_WEB_APP: &str = "Mock Web App";
/// Name of the demo world's public native app.
pub const DEMO_NATIVE_APP: &str = "Mock Native App";

/// A developer app registered with X.
#[derive(Clone)]
pub struct App {
    /// Shown on the consent pages.
    pub name: String,
    /// OAuth 1.0a API key.
    pub consumer_key: String,
    /// OAuth 1.0a API key secret (also the app-only Basic password).
    pub consumer_secret: String,
    /// OAuth 2.0 client, if the app has user authentication set up for OAuth 2.0.
    pub oauth2: Option<OAuth2Client>,
    /// Callback URLs / redirect URIs, matched exactly (X keeps one list for both protocols).
    pub callbacks: Vec<String>,
    /// Id of the user who owns the app (the only user the OAuth 1.0a variant of
    /// `oauth2/invalidate_token` accepts).
    pub owner: String,
    /// The app's permission level: caps what OAuth 1.0a tokens may do.
    pub access: AccessLevel,
    /// OAuth 1.0a access tokens issued before the mock starts (the developer portal's
    /// "Access Token and Secret").
    pub user_tokens: Vec<UserToken>,
    /// A suspended app is refused everywhere (code 416 on OAuth 1.0a).
    pub suspended: bool,
    /// A desktop app accepts only the `oob` callback (code 417 otherwise).
    pub desktop: bool,
    /// The app has X's "Request email from users" permission: `include_email=true` on
    /// `verify_credentials` and `user.fields=confirmed_email` return the user's address.
    pub request_email: bool,
}

impl App {
    /// Whether the app is a confidential OAuth 2.0 client (it has a client secret).
    pub fn is_confidential(&self) -> bool {
        self.oauth2
            .as_ref()
            .is_some_and(|c| c.client_secret.is_some())
    }

    /// The OAuth 2.0 client id, if any.
    pub fn client_id(&self) -> Option<&str> {
        self.oauth2.as_ref().map(|c| c.client_id.as_str())
    }

    /// The OAuth 2.0 client secret, if the client is confidential.
    pub fn client_secret(&self) -> Option<&str> {
        self.oauth2
            .as_ref()
            .and_then(|c| c.client_secret.as_deref())
    }
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("name", &self.name)
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &"[redacted]")
            .field("oauth2", &self.oauth2)
            .field("callbacks", &self.callbacks)
            .field("owner", &self.owner)
            .field("access", &self.access)
            .field("user_tokens", &self.user_tokens)
            .field("suspended", &self.suspended)
            .field("desktop", &self.desktop)
            .field("request_email", &self.request_email)
            .finish()
    }
}

/// An app's OAuth 2.0 client registration.
#[derive(Clone)]
pub struct OAuth2Client {
    /// The client id.
    pub client_id: String,
    /// `Some` for confidential clients (Web App, Automated App or Bot), `None` for public ones
    /// (Native App, Single Page App).
    pub client_secret: Option<String>,
}

impl fmt::Debug for OAuth2Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Client")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// A pre-issued OAuth 1.0a access token.
#[derive(Clone)]
pub struct UserToken {
    /// Whose token it is.
    pub user_id: String,
    /// `oauth_token`.
    pub token: String,
    /// `oauth_token_secret`.
    pub secret: String,
}

impl fmt::Debug for UserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserToken")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// An X account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Numeric id, as a string (X's ids exceed 2^53).
    pub id: String,
    /// `@username` without the `@`.
    pub username: String,
    /// Display name.
    pub name: String,
    /// What the v1.1 user object and the v2 `user.fields` show beyond the three above.
    pub profile: Profile,
}

impl User {
    /// A user with an empty [`Profile`].
    pub fn new(
        id: impl Into<String>,
        username: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            username: username.into(),
            name: name.into(),
            profile: Profile::default(),
        }
    }
}

/// The parts of an account the resources show on request: the v1.1 user object of
/// `verify_credentials.json` and the v2 `user.fields`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// Bio (`description`).
    pub description: String,
    /// Free-text location.
    pub location: String,
    /// The profile's link, if any.
    pub url: Option<String>,
    /// When the account was created, Unix seconds.
    pub created_at: u64,
    /// Protected (private) account.
    pub protected: bool,
    /// Verified account.
    pub verified: bool,
    /// Followers.
    pub followers: u64,
    /// Accounts followed.
    pub following: u64,
    /// Posts.
    pub tweets: u64,
    /// Lists the account is on.
    pub listed: u64,
    /// Posts liked.
    pub likes: u64,
    /// The account's confirmed email address, shown only to apps with
    /// [`App::request_email`] (and, on v2, a token with `users.email`).
    pub email: Option<String>,
}

/// An app's permission level, sent back in `x-access-level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccessLevel {
    /// Read only.
    Read,
    /// Read and write.
    ReadWrite,
    /// Read, write and direct messages.
    ReadWriteDirectMessages,
}

impl AccessLevel {
    /// The `x-access-level` header value.
    pub fn as_header(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::ReadWrite => "read-write",
            Self::ReadWriteDirectMessages => "read-write-directmessages",
        }
    }
}

/// How consent pages answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consent {
    /// The signed-in user approves at once: the authorize URL redirects straight to the
    /// callback (or shows the PIN page for `oob`). For tests and the demo.
    Approve,
    /// The user refuses at once: OAuth 1.0a redirects with `denied=`, OAuth 2.0 with
    /// `error=access_denied`.
    Deny,
    /// A real HTML page with Authorize and Cancel buttons, for a person or a headless browser.
    Page,
}

/// Request limits per token (user context) or per app (app-only), per endpoint, in fixed
/// windows.
#[derive(Clone, Debug)]
pub struct RateLimits {
    /// Window length in seconds (X: 15 minutes).
    pub window: u64,
    /// Requests per window for endpoints not listed in `per_endpoint`.
    pub default: u32,
    /// Requests per window by endpoint, keyed `"METHOD /path"` with `:name` for path
    /// parameters, e.g. `"GET /2/users/by/username/:username"`.
    pub per_endpoint: BTreeMap<String, u32>,
    /// 24-hour caps per app, by endpoint (same keys): answered in `x-app-limit-24hour-*`
    /// headers, and a 429 once spent even while the 15-minute window has room (unverified; user
    /// reports: [node-twitter-api-v2#495](https://github.com/PLhery/node-twitter-api-v2/issues/495),
    /// [agent-twitter-client#68](https://github.com/elizaOS/agent-twitter-client/issues/68)).
    pub per_app_24h: BTreeMap<String, u32>,
    /// 24-hour caps per user of an app, by endpoint: `x-user-limit-24hour-*` (header names from
    /// user reports, e.g.
    /// [node-twitter-api-v2#495](https://github.com/PLhery/node-twitter-api-v2/issues/495);
    /// X's docs don't name them).
    pub per_user_24h: BTreeMap<String, u32>,
}

impl Default for RateLimits {
    /// X's published limits for the endpoints the mock serves; `POST /2/tweets` also has a
    /// 24-hour cap of 10,000 per app
    /// ([X: Rate limits](https://docs.x.com/x-api/fundamentals/rate-limits)) and one of 100 per
    /// user, which is the mock's own choice: X's table gives `POST /2/tweets` 100 per 15 minutes
    /// per user, not a 24-hour cap.
    fn default() -> Self {
        let map = |pairs: &[(&str, u32)]| {
            pairs
                .iter()
                .map(|&(k, v)| (k.to_owned(), v))
                .collect::<BTreeMap<_, _>>()
        };
        Self {
            window: 900,
            default: 300,
            per_endpoint: map(&[
                ("GET /2/users/me", 75),
                ("GET /1.1/account/verify_credentials.json", 75),
                ("GET /2/users/by/username/:username", 300),
                ("POST /2/tweets", 200),
            ]),
            per_app_24h: map(&[("POST /2/tweets", 10_000)]),
            per_user_24h: map(&[("POST /2/tweets", 100)]),
        }
    }
}

impl RateLimits {
    /// No practical limit anywhere, and no 24-hour caps (benchmarks).
    pub fn unlimited() -> Self {
        Self {
            window: 900,
            default: u32::MAX,
            per_endpoint: BTreeMap::new(),
            per_app_24h: BTreeMap::new(),
            per_user_24h: BTreeMap::new(),
        }
    }

    /// Sets one endpoint's limit, e.g. `limits.with("GET /2/users/me", 3)`.
    #[must_use]
    pub fn with(mut self, endpoint: &str, limit: u32) -> Self {
        self.per_endpoint.insert(endpoint.to_owned(), limit);
        self
    }

    /// The limit for an endpoint key.
    pub fn limit_for(&self, endpoint: &str) -> u32 {
        self.per_endpoint
            .get(endpoint)
            .copied()
            .unwrap_or(self.default)
    }
}

/// How strictly `POST oauth/access_token` checks its OAuth 1.0a signature
/// ([X: POST oauth/access_token](https://docs.x.com/fundamentals/authentication/api-reference#post-oauth-access-token),
/// [RFC 5849 §2.3](https://www.rfc-editor.org/rfc/rfc5849#section-2.3)).
///
/// RFC 5849 and X's docs sign this step with the consumer secret and the request-token secret.
/// A user report says X does not check that signature
/// ([twittered#328](https://github.com/redouane59/twittered/issues/328), unverified), and
/// [python-twitter-v2](https://github.com/sns-sdks/python-twitter/blob/d6125880979105f570713652743797046d04017f/pytwitter/api.py#L225-L239)
/// signs it without the request-token secret, so it works at X only if that report holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AccessTokenSignature {
    /// The default: the signature must be made with the request-token secret, as the docs say.
    /// A client that passes here passes at X whichever way X checks, and a client that forgets
    /// the secret is caught rather than passed.
    #[default]
    Strict,
    /// Also accepts a signature made with an empty token secret (the key `consumer_secret&`),
    /// as python-twitter-v2 sends it. Everything else is checked as before: consumer key,
    /// HMAC-SHA1, timestamp window, request token, verifier and nonce.
    Lenient,
}

/// What the HTTP shell ([`MockX`](crate::MockX)) allows a connection, so that clients that
/// stall or flood cannot hold it (statuses as in
/// [X: Response codes & errors](https://docs.x.com/x-api/fundamentals/response-codes-and-errors)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// A request head must be complete this long after the mock starts waiting for it: from
    /// the connection's accept for its first request, from its first byte for the next ones.
    /// Past it the connection is closed without an answer (slowloris).
    pub header_read_timeout: Duration,
    /// A kept-alive connection with no request in progress for this long is closed, and so is
    /// one whose request body stops arriving for this long (after a `408 Request Timeout`).
    pub idle_timeout: Duration,
    /// Connections served at once. Past it the mock stops accepting: new connections wait in
    /// the listen queue until one closes.
    pub max_connections: usize,
    /// Largest request body read, in bytes; a longer one is answered `413`, a body shorter
    /// than its `Content-Length` (the client closed early) `400`.
    pub max_body: usize,
}

impl Default for ServerLimits {
    /// 10 s to send a head, 60 s idle, 1024 connections, 1 MiB bodies.
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_body: 1 << 20,
        }
    }
}
