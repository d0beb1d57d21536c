//! `twauth demo [--adapter ureq|reqwest|both] [--quiet]`: every flow, end to end, through the
//! transport adapters against the embedded fake X on loopback. No credentials, no network.

use std::fmt::Display;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use twitter_auth_core::api::Credential;
use twitter_auth_core::grant::{LoginRequired, UserKey};
use twitter_auth_core::http;
use twitter_auth_core::oauth1::{self, AuthorizeKind, Callback, UserCredentials};
use twitter_auth_core::oauth1_sign::{
    ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use twitter_auth_core::oauth2::{self, Scope, Scopes, TokenSet};
use twitter_auth_core::{ClientId, ClientSecret, Endpoints, Exchange, HttpRequest, HttpResponse};
use twitter_auth_mock::{DEMO_NATIVE_APP, DEMO_WEB_APP, MockConfig, MockX, pin_from_page};
use twitter_auth_std::MemoryStore;
use twitter_auth_ureq::ureq;

use crate::ui::{self, errln, outln};

/// Where the demo's "browser" is sent after consent (a callback registered by both demo apps).
const REDIRECT: &str = "http://127.0.0.1:8765/callback";

/// Options.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Which transport adapter(s) to run the flows through.
    #[arg(long, value_enum, default_value_t = AdapterArg::Both)]
    adapter: AdapterArg,
    /// Print only the summary table.
    #[arg(long, short)]
    quiet: bool,
}

/// `--adapter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum AdapterArg {
    /// The blocking adapter (twitter-auth-ureq).
    Ureq,
    /// The async adapter (twitter-auth-reqwest, on a tokio runtime).
    Reqwest,
    /// Both, one after the other.
    Both,
}

/// One transport adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ureq,
    Reqwest,
}

impl Kind {
    const fn name(self) -> &'static str {
        match self {
            Self::Ureq => "ureq",
            Self::Reqwest => "reqwest",
        }
    }
}

/// Every flow the demo runs, in order, with its title.
const FLOWS: [(Flow, &str); 7] = [
    (Flow::ThreeLegged, "OAuth 1.0a 3-legged"),
    (Flow::Pin, "OAuth 1.0a PIN (oob)"),
    (Flow::SignIn, "Sign in with X"),
    (Flow::AppOnly, "OAuth 2.0 app-only"),
    (Flow::PkcePublic, "PKCE public client"),
    (Flow::PkceConfidential, "PKCE confidential client"),
    (Flow::Signed, "ApiClient signed request"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    ThreeLegged,
    Pin,
    SignIn,
    AppOnly,
    PkcePublic,
    PkceConfidential,
    Signed,
}

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// A transport adapter's client, the same face for both.
enum Driver {
    Ureq(twitter_auth_ureq::Transport),
    Reqwest(
        Arc<tokio::runtime::Runtime>,
        twitter_auth_reqwest::Transport,
    ),
}

/// A transport adapter's users' OAuth 2.0 grants.
enum Grants {
    Ureq(twitter_auth_ureq::Grants),
    Reqwest(Arc<tokio::runtime::Runtime>, twitter_auth_reqwest::Grants),
}

/// A transport adapter's API client.
enum Api {
    Ureq(Box<twitter_auth_ureq::ApiClient>),
    Reqwest(
        Arc<tokio::runtime::Runtime>,
        Box<twitter_auth_reqwest::ApiClient>,
    ),
}

impl Driver {
    fn execute<E: Exchange>(&self, step: E) -> Result<E::Output, Box<dyn std::error::Error>> {
        match self {
            Self::Ureq(client) => Ok(client.execute(step)?),
            Self::Reqwest(runtime, client) => Ok(runtime.block_on(client.execute(step))?),
        }
    }

    fn api(self, endpoints: &Endpoints, credential: Credential) -> Api {
        match self {
            Self::Ureq(client) => Api::Ureq(Box::new(twitter_auth_ureq::ApiClient::new(
                client, endpoints, credential,
            ))),
            Self::Reqwest(runtime, client) => Api::Reqwest(
                runtime,
                Box::new(twitter_auth_reqwest::ApiClient::new(
                    client, endpoints, credential,
                )),
            ),
        }
    }

    /// Grants in `store`, refreshed with `oauth2`.
    fn grants(&self, oauth2: &oauth2::App, store: &Arc<MemoryStore>) -> Grants {
        match self {
            Self::Ureq(client) => Grants::Ureq(twitter_auth_ureq::Grants::new(
                client.clone(),
                oauth2.clone(),
                store.clone(),
            )),
            Self::Reqwest(runtime, client) => Grants::Reqwest(
                Arc::clone(runtime),
                twitter_auth_reqwest::Grants::new(client.clone(), oauth2.clone(), store.clone()),
            ),
        }
    }
}

impl Grants {
    /// Stores a login's token set under `key`; its API client.
    fn login(&self, key: &UserKey, tokens: TokenSet) -> Result<Api, Box<dyn std::error::Error>> {
        Ok(match self {
            Self::Ureq(grants) => Api::Ureq(Box::new(grants.login(key, tokens)?)),
            Self::Reqwest(runtime, grants) => Api::Reqwest(
                Arc::clone(runtime),
                Box::new(runtime.block_on(grants.login(key, tokens))?),
            ),
        })
    }

    /// Why `key` must log in (again), if it must.
    fn login_required(&self, key: &UserKey) -> Option<LoginRequired> {
        match self {
            Self::Ureq(grants) => grants.api(key).err()?.login_required(),
            Self::Reqwest(runtime, grants) => {
                runtime.block_on(grants.api(key)).err()?.login_required()
            }
        }
    }
}

impl Api {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, Box<dyn std::error::Error>> {
        match self {
            Self::Ureq(api) => Ok(api.send(request)?),
            Self::Reqwest(runtime, api) => Ok(runtime.block_on(api.send(request))?),
        }
    }

    fn refresh_now(&self) -> Outcome {
        match self {
            Self::Ureq(api) => Ok(api.refresh_now()?),
            Self::Reqwest(runtime, api) => Ok(runtime.block_on(api.refresh_now())?),
        }
    }

    fn logout(&self) -> Outcome {
        match self {
            Self::Ureq(api) => Ok(api.logout()?),
            Self::Reqwest(runtime, api) => Ok(runtime.block_on(api.logout())?),
        }
    }

    /// The token set of a user's grant, and its generation.
    fn tokens(&self) -> Result<(TokenSet, u64), Box<dyn std::error::Error>> {
        let (credential, generation) = match self {
            Self::Ureq(api) => (api.credential(), api.generation()),
            Self::Reqwest(_, api) => (api.credential(), api.generation()),
        };
        match (credential, generation) {
            (Some(Credential::OAuth2(tokens)), Some(generation)) => Ok((tokens, generation)),
            _ => Err("the API client holds no user grant".into()),
        }
    }

    /// `GET 2/users/me`: `@username (id …)`.
    fn me(&self, endpoints: &Endpoints) -> Result<String, Box<dyn std::error::Error>> {
        let answer = self.send(get(endpoints, "2/users/me")?)?;
        check_status(&answer, 200, "2/users/me")?;
        let body: serde_json::Value = serde_json::from_slice(answer.body())?;
        let field = |name: &str| body["data"][name].as_str().unwrap_or("?").to_owned();
        Ok(format!("@{} (id {})", field("username"), field("id")))
    }
}

/// The demo's state: the fake X, the runtime for the async adapter, and how loud to be.
struct Demo {
    mock: MockX,
    endpoints: Endpoints,
    runtime: Option<Arc<tokio::runtime::Runtime>>,
    browser: ureq::Agent,
    rng: StdRng,
    quiet: bool,
}

/// The first characters of a secret, enough to tell two apart, and no more.
fn redact(secret: &str) -> String {
    format!("{}…", secret.chars().take(4).collect::<String>())
}

/// A URL with the values of its query redacted (authorization codes, verifiers).
fn redact_query(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => format!("{name}={}", redact(value)),
            None => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

fn get(endpoints: &Endpoints, path: &str) -> Result<HttpRequest, http::Error> {
    http::Request::get(endpoints.api_url(path).as_str()).body(Vec::new())
}

fn check_status(answer: &HttpResponse, want: u16, what: &str) -> Outcome {
    if answer.status() == want {
        Ok(())
    } else {
        Err(format!("{what}: expected HTTP {want}, got {}", answer.status()).into())
    }
}

impl Demo {
    fn say(&self, label: &str, text: impl Display) {
        if !self.quiet {
            outln!("    {label:<16}{text}");
        }
    }

    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.mock.now())
    }

    fn driver(&self, kind: Kind) -> Result<Driver, Box<dyn std::error::Error>> {
        Ok(match kind {
            Kind::Ureq => Driver::Ureq(twitter_auth_ureq::Transport::new()),
            Kind::Reqwest => {
                let runtime = self
                    .runtime
                    .clone()
                    .ok_or("no tokio runtime for the async adapter")?;
                // reqwest's client is built inside a runtime.
                let client = {
                    let _guard = runtime.enter();
                    twitter_auth_reqwest::Transport::new()
                };
                Driver::Reqwest(runtime, client)
            }
        })
    }

    /// The browser's part: a GET of the authorize URL, answered without following redirects.
    fn browse(&self, url: &str) -> Result<HttpResponse, Box<dyn std::error::Error>> {
        let request = http::Request::get(url).body(Vec::new())?;
        let response = self.browser.run(request)?;
        let (parts, mut body) = response.into_parts();
        let bytes = body.read_to_vec()?;
        Ok(http::Response::from_parts(parts, bytes))
    }

    /// Consent: the authorize page answers with a redirect to the callback; returns `Location`.
    fn consent(&self, url: &str) -> Result<String, Box<dyn std::error::Error>> {
        let answer = self.browse(url)?;
        if answer.status() != 302 {
            return Err(
                format!("consent answered HTTP {}, not a redirect", answer.status()).into(),
            );
        }
        let location = answer
            .headers()
            .get("location")
            .ok_or("the consent redirect has no Location")?
            .to_str()?;
        Ok(location.to_owned())
    }

    /// The web app's API key and secret, at the fake X.
    fn consumer(&self) -> Result<oauth1::App, Box<dyn std::error::Error>> {
        let app = self.mock.config().app(DEMO_WEB_APP).ok_or("no web app")?;
        Ok(oauth1::App::new(
            ConsumerKey::new(app.consumer_key.clone()),
            ConsumerSecret::new(app.consumer_secret.clone()),
        )
        .with_endpoints(self.endpoints.clone()))
    }

    fn run_flow(&mut self, flow: Flow, kind: Kind) -> Outcome {
        match flow {
            Flow::ThreeLegged => self.oauth1(kind, AuthorizeKind::Authorize, false),
            Flow::Pin => self.oauth1(kind, AuthorizeKind::Authorize, true),
            Flow::SignIn => self.oauth1(kind, AuthorizeKind::Authenticate, false),
            Flow::AppOnly => self.app_only(kind),
            Flow::PkcePublic => {
                let app = self
                    .mock
                    .config()
                    .app(DEMO_NATIVE_APP)
                    .ok_or("no native app")?;
                let id = app.client_id().ok_or("the native app has no client id")?;
                let client =
                    oauth2::App::public(ClientId::new(id)).with_endpoints(self.endpoints.clone());
                self.pkce(kind, &client)
            }
            Flow::PkceConfidential => {
                let app = self.mock.config().app(DEMO_WEB_APP).ok_or("no web app")?;
                let id = app.client_id().ok_or("the web app has no client id")?;
                let secret = app
                    .client_secret()
                    .ok_or("the web app has no client secret")?;
                let client =
                    oauth2::App::confidential(ClientId::new(id), ClientSecret::new(secret))
                        .with_endpoints(self.endpoints.clone());
                self.pkce(kind, &client)
            }
            Flow::Signed => self.signed(kind),
        }
    }

    fn oauth1(&mut self, kind: Kind, authorize: AuthorizeKind, pin: bool) -> Outcome {
        let driver = self.driver(kind)?;
        let consumer = self.consumer()?;
        let callback = if pin {
            Callback::oob()
        } else {
            Callback::url(REDIRECT)?
        };
        let now = self.now();
        let pending = driver.execute(consumer.request_token(callback, now, &mut self.rng)?)?;
        self.say("request token", redact(pending.request_token().as_str()));
        let url = consumer.authorize_url(&pending, authorize);
        self.say("authorize URL", &url);
        let verified = if pin {
            let page = self.browse(url.as_str())?;
            check_status(&page, 200, "the PIN page")?;
            let html = String::from_utf8(page.into_body())?;
            let pin = pin_from_page(&html).ok_or("no PIN on the page")?.to_owned();
            self.say(
                "consent given",
                "the PIN page shows a PIN; the user types it in",
            );
            self.say("PIN", redact(&pin));
            pending.with_pin(&pin, self.now())?
        } else {
            let location = self.consent(url.as_str())?;
            self.say(
                "consent given",
                format!("redirected to {}", redact_query(&location)),
            );
            pending.on_callback(&location, self.now())?
        };
        let now = self.now();
        let user: UserCredentials =
            driver.execute(consumer.access_token(verified, now, &mut self.rng)?)?;
        self.say(
            "token obtained",
            format!(
                "access token {}, token secret {}",
                redact(user.token.token.as_str()),
                redact(user.token.secret.secret())
            ),
        );
        self.say(
            "belongs to",
            format!(
                "@{} (id {})",
                user.screen_name.as_deref().unwrap_or("?"),
                user.user_id.as_ref().map_or("?", |id| id.as_str())
            ),
        );
        let signer = consumer.signer(&user.token);
        let now = self.now();
        let me = driver.execute(consumer.verify_credentials(&signer, now, &mut self.rng)?)?;
        self.say(
            "signed request",
            format!(
                "GET 1.1/account/verify_credentials.json → @{}",
                me.screen_name
            ),
        );
        Ok(())
    }

    fn app_only(&self, kind: Kind) -> Outcome {
        let driver = self.driver(kind)?;
        let app = self.consumer()?; // the API key and secret also obtain the app-only bearer
        let endpoints = self.endpoints.clone();
        let bearer = driver.execute(app.obtain_bearer()?)?;
        self.say(
            "token obtained",
            format!("bearer {}", redact(bearer.token().secret())),
        );
        let api = self
            .driver(kind)?
            .api(&endpoints, Credential::AppOnly(bearer.clone()));
        let answer = api.send(get(&endpoints, "2/users/by/username/mock_bob")?)?;
        check_status(&answer, 200, "2/users/by/username/mock_bob")?;
        let body: serde_json::Value = serde_json::from_slice(answer.body())?;
        self.say(
            "used",
            format!(
                "GET 2/users/by/username/mock_bob → @{} (id {})",
                body["data"]["username"].as_str().unwrap_or("?"),
                body["data"]["id"].as_str().unwrap_or("?")
            ),
        );
        driver.execute(app.invalidate_bearer_basic(&bearer)?)?;
        let answer = api.send(get(&endpoints, "2/users/by/username/mock_bob")?)?;
        check_status(&answer, 401, "an invalidated bearer")?;
        self.say("invalidated", "the bearer is refused now (HTTP 401)");
        Ok(())
    }

    /// The login, then everything after it through `Grants` (a keyed store, here in memory):
    /// the grant is stored before use, refreshed, and logged out.
    fn pkce(&mut self, kind: Kind, client: &oauth2::App) -> Outcome {
        let driver = self.driver(kind)?;
        let scopes = Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]);
        let now = self.now();
        let (url, pending) = client
            .authorize(REDIRECT, scopes)?
            .start(now, &mut self.rng);
        self.say("authorize URL", &url);
        let location = self.consent(url.as_str())?;
        self.say(
            "consent given",
            format!("redirected to {}", redact_query(&location)),
        );
        let code = pending.on_callback(&location, self.now())?;
        let tokens = driver.execute(client.exchange(code)?)?;
        self.say(
            "token obtained",
            format!(
                "access {}, refresh {}, scopes {}",
                redact(tokens.access_token().secret()),
                tokens
                    .refresh_token()
                    .map_or_else(|| "none".to_owned(), |r| redact(r.secret())),
                tokens
                    .scopes()
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        );
        let store = Arc::new(MemoryStore::new());
        let grants = driver.grants(client, &store);
        let key = UserKey::new("demo-user")?;
        let api = grants.login(&key, tokens)?;
        let (_, generation) = api.tokens()?;
        self.say(
            "stored",
            format!("in a MemoryStore under key {key}, generation {generation}"),
        );
        let endpoints = client.endpoints();
        let me = api.me(endpoints)?;
        self.say("belongs to", format!("{me}, by GET 2/users/me"));
        api.refresh_now()?;
        let (tokens, generation) = api.tokens()?;
        self.say(
            "refreshed",
            format!(
                "generation {generation}: new access {}, rotated refresh token",
                redact(tokens.access_token().secret())
            ),
        );
        let me = api.me(endpoints)?;
        self.say("still works", format!("GET 2/users/me → {me}"));
        api.logout()?;
        if !store.is_empty() {
            return Err("the grant is still stored after the logout".into());
        }
        let reason = grants.login_required(&key);
        if reason != Some(LoginRequired::NoGrant) {
            return Err(format!("after the logout: {reason:?}, not NoGrant").into());
        }
        let answer = driver
            .api(endpoints, Credential::OAuth2(tokens))
            .send(get(endpoints, "2/users/me")?)?;
        check_status(&answer, 401, "a revoked grant")?;
        self.say(
            "revoked",
            "logged out: the tokens are refused (HTTP 401), the store is empty (log in first)",
        );
        Ok(())
    }

    fn signed(&self, kind: Kind) -> Outcome {
        let consumer = self.consumer()?;
        let app = self.mock.config().app(DEMO_WEB_APP).ok_or("no web app")?;
        let token = app.user_tokens.first().ok_or("no pre-issued token")?;
        let owner = TokenCredentials::new(
            Token::new(token.token.clone()),
            TokenSecret::new(token.secret.clone()),
        );
        self.say(
            "credential",
            format!(
                "pre-issued access token {}, token secret {} (user {})",
                redact(&token.token),
                redact(&token.secret),
                token.user_id
            ),
        );
        let api = self
            .driver(kind)?
            .api(&self.endpoints, Credential::OAuth1(consumer.signer(&owner)));
        let answer = api.send(get(&self.endpoints, "1.1/account/verify_credentials.json")?)?;
        check_status(&answer, 200, "1.1/account/verify_credentials.json")?;
        let body: serde_json::Value = serde_json::from_slice(answer.body())?;
        self.say(
            "signed request",
            format!(
                "GET 1.1/account/verify_credentials.json → HTTP 200, @{}",
                body["screen_name"].as_str().unwrap_or("?")
            ),
        );
        Ok(())
    }
}

/// Runs the command.
pub(crate) fn run(args: &Args) -> ExitCode {
    let kinds: &[Kind] = match args.adapter {
        AdapterArg::Ureq => &[Kind::Ureq],
        AdapterArg::Reqwest => &[Kind::Reqwest],
        AdapterArg::Both => &[Kind::Ureq, Kind::Reqwest],
    };
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let mock = match crate::mock_server::start(loopback, MockConfig::default()) {
        Ok(mock) => mock,
        Err(e) => {
            errln!("twauth: cannot start the fake X on loopback: {e}");
            return ExitCode::FAILURE;
        }
    };
    let endpoints = match Endpoints::local(mock.base_url()) {
        Ok(endpoints) => endpoints,
        Err(e) => {
            errln!("twauth: the fake X's address is unusable: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = if kinds.contains(&Kind::Reqwest) {
        match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(runtime) => Some(Arc::new(runtime)),
            Err(e) => {
                errln!("twauth: cannot start a tokio runtime: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let browser: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut demo = Demo {
        mock,
        endpoints,
        runtime,
        browser,
        rng: StdRng::from_os_rng(),
        quiet: args.quiet || ui::json(),
    };
    if !demo.quiet {
        outln!(
            "fake X listening on {} (loopback only, made-up credentials, consent automatic)\n",
            demo.mock.base_url()
        );
    }
    let mut results = Vec::new();
    for &kind in kinds {
        for (flow, title) in FLOWS {
            if !demo.quiet {
                outln!("[{}] {title}", kind.name());
            }
            let outcome = demo.run_flow(flow, kind);
            if !demo.quiet {
                match &outcome {
                    Ok(()) => outln!("    ✓ done\n"),
                    Err(e) => outln!("    ✗ failed: {e}\n"),
                }
            }
            results.push((flow, kind, outcome.err().map(|e| e.to_string())));
        }
    }
    let failed = results.iter().filter(|(_, _, e)| e.is_some()).count();
    if ui::json() {
        let runs: Vec<_> = results
            .iter()
            .map(|(flow, kind, error)| {
                let title = FLOWS
                    .iter()
                    .find(|(f, _)| f == flow)
                    .map_or("?", |(_, t)| t);
                serde_json::json!({
                    "flow": title,
                    "adapter": kind.name(),
                    "ok": error.is_none(),
                    "error": error,
                })
            })
            .collect();
        ui::out_json(&serde_json::json!({
            "runs": runs,
            "passed": results.len() - failed,
            "failed": failed,
        }));
        return if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    print_table(kinds, &results);
    if failed == 0 {
        outln!("\nall {} runs passed", results.len());
        ExitCode::SUCCESS
    } else {
        outln!("\n{failed} of {} runs failed", results.len());
        ExitCode::FAILURE
    }
}

fn print_table(kinds: &[Kind], results: &[(Flow, Kind, Option<String>)]) {
    let width = FLOWS
        .iter()
        .map(|(_, t)| t.chars().count())
        .max()
        .unwrap_or(0);
    let mut header = format!("{:<width$}", "flow");
    for kind in kinds {
        header.push_str(&format!("  {:^7}", kind.name()));
    }
    outln!("{header}");
    outln!("{}", "─".repeat(header.chars().count()));
    for (flow, title) in FLOWS {
        let mut row = format!("{title:<width$}");
        for &kind in kinds {
            let ok = results
                .iter()
                .find(|(f, k, _)| *f == flow && *k == kind)
                .is_some_and(|(_, _, error)| error.is_none());
            row.push_str(&format!("  {:^7}", if ok { "✓" } else { "✗" }));
        }
        outln!("{}", row.trim_end());
    }
}
