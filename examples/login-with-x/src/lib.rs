//! "Log in with X" for a web app, done right: the FastAPI article this workspace started from,
//! on axum and `twitter-auth-reqwest`.
//!
//! - `GET /`: "Log in with X", or `@user` with a Log out button.
//! - `GET /login`: PKCE + `state`; the pending login is kept in **this browser's session** (a
//!   random id in an `HttpOnly`, `SameSite=Lax` cookie names a server-side session), never in
//!   a map keyed by `state`.
//! - `GET /callback`: the session's pending login checks the callback (a callback that is not
//!   its own is refused and leaves it usable), the code is exchanged as a confidential client,
//!   the grant is stored under the X user id, and the session id is replaced.
//! - `GET /me`: `2/users/me` as JSON, refreshed when due (`Grants::api`, `ApiClient::me`).
//! - `POST /logout` (with the session's CSRF token): both tokens revoked at X, the grant
//!   deleted, the session ended.
//! - A background task runs the refresh job (`Grants::refresh_due`) and drops idle sessions.
//!
//! Grants live in a `FileStore` directory, or in Redis (`RedisStore`) when a Redis URL is
//! given. With no X credentials the app starts the fake X (`twitter-auth-mock`) in-process,
//! with a consent page to click.

mod config;
mod pages;
mod session;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2::{self, Scope, Scopes};
use twitter_auth_core::retry::RetryPolicy;
use twitter_auth_core::{ClientId, ClientSecret, Endpoints};
use twitter_auth_mock::{Consent, DEMO_WEB_APP, MockConfig, MockX};
use twitter_auth_redis::{RedisStore, Sealer};
use twitter_auth_reqwest::{AsyncClock, Error, Grants, Transport};
use twitter_auth_std::{FileStore, TokenStore};

pub use config::{Config, GrantStore, XApp};
use pages::{json, message, page, redirect};
use session::{Session, Sessions, User};

/// What the handlers share.
struct Shared {
    transport: Transport,
    /// The app registered at X, at X's hosts (or the fake X's).
    x_app: oauth2::App,
    grants: Grants,
    redirect_uri: String,
    sessions: Sessions,
}

/// The running app: its URL, and the embedded fake X if it uses one. Dropping it stops the
/// server and the refresh job.
pub struct Running {
    url: String,
    mock: Option<Arc<MockX>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// `http://HOST:PORT/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The embedded fake X (tests move its clock and read its counters).
    pub fn mock(&self) -> Option<&MockX> {
        self.mock.as_deref()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.tasks.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

/// The embedded fake X's clock, so that moving it (in tests) moves the app's too.
struct MockClock(Arc<MockX>);

impl std::fmt::Debug for MockClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MockClock")
    }
}

impl AsyncClock for MockClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.now())
    }

    fn sleep(&self, d: Duration) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// Serves the app on `listener` (inside a tokio runtime) until the returned value is dropped.
///
/// # Errors
///
/// The fake X or the grant store could not start, or the configuration is inconsistent.
pub fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
) -> Result<Running, Box<dyn std::error::Error + Send + Sync>> {
    let url = match &config.public_url {
        Some(url) => url.clone(),
        None => format!("http://{}/", listener.local_addr()?),
    };
    let redirect_uri = format!("{url}callback");
    let (transport, x_app, mock) = match config.x {
        XApp::Mock => {
            let mut world = MockConfig::demo();
            world.consent = Consent::Page;
            let web = world.apps.iter_mut().find(|a| a.name == DEMO_WEB_APP);
            let web = web.ok_or("the demo web app")?;
            web.callbacks.push(redirect_uri.clone());
            let id = ClientId::new(web.client_id().ok_or("an OAuth 2.0 client")?);
            let secret = ClientSecret::new(web.client_secret().ok_or("a confidential client")?);
            let mock = Arc::new(MockX::start(world)?);
            let transport = Transport::new().with_clock(Arc::new(MockClock(Arc::clone(&mock))));
            let x_app = oauth2::App::confidential(id, secret)
                .with_endpoints(Endpoints::local(mock.base_url())?);
            (transport, x_app, Some(mock))
        }
        XApp::Registered {
            endpoints,
            id,
            secret,
        } => (
            Transport::new(),
            oauth2::App::confidential(id, secret).with_endpoints(*endpoints),
            None,
        ),
    };
    // Retries 5xx answers and failed connections (never a spent code or refresh token).
    let transport = transport.with_policy(RetryPolicy::recommended());
    let store: Arc<dyn TokenStore> = match config.store {
        GrantStore::Files(dir) => Arc::new(FileStore::new(dir)),
        GrantStore::Redis { url, seal_key } => {
            Arc::new(RedisStore::open(&url, Sealer::new(1, seal_key))?)
        }
    };
    let app = Arc::new(Shared {
        grants: Grants::new(transport.clone(), x_app.clone(), store),
        transport,
        x_app,
        redirect_uri,
        sessions: Sessions::new(url.starts_with("https:")),
    });
    let router = Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/me", get(me))
        .route("/logout", post(logout))
        .with_state(Arc::clone(&app));
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("server: {e}");
        }
    });
    let job = tokio::spawn(refresh_job(app, config.refresh_every));
    Ok(Running {
        url,
        mock,
        tasks: vec![server, job],
    })
}

/// The refresh job of the article's cron, and the sweep of idle sessions.
async fn refresh_job(app: Arc<Shared>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match app.grants.refresh_due(Duration::from_secs(600), 4).await {
            Ok(report) => {
                for (user, why) in &report.login_required {
                    eprintln!("refresh job: user {user} must log in again: {why}");
                }
                for (user, e) in &report.failed {
                    eprintln!("refresh job: user {user}: {e}");
                }
            }
            Err(e) => eprintln!("refresh job: {e}"),
        }
        app.sessions.sweep();
    }
}

async fn home(State(app): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match app.sessions.user(&headers) {
        Some((user, csrf)) => page(StatusCode::OK, "Logged in", &pages::signed_in(&user, &csrf)),
        None => page(StatusCode::OK, "Log in", pages::SIGNED_OUT),
    }
}

async fn login(State(app): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let scopes = Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]);
    let request = match app.x_app.authorize(&app.redirect_uri, scopes) {
        Ok(request) => request,
        Err(e) => return message(StatusCode::INTERNAL_SERVER_ERROR, "Cannot log in", &e, None),
    };
    let (url, pending) = app.transport.start_login(request);
    // The pending login goes into this browser's session (a new one if it has none).
    let mut pending = Some(pending);
    let cookie = match app.sessions.with(&headers, |s| s.pending = pending.take()) {
        Some(()) => None,
        None => Some(app.sessions.start(Session {
            pending,
            ..Session::new()
        })),
    };
    redirect(url.as_str(), cookie.as_deref())
}

async fn callback(State(app): State<Arc<Shared>>, headers: HeaderMap, uri: Uri) -> Response {
    let Some(pending) = app.sessions.with(&headers, |s| s.pending.take()).flatten() else {
        return no_login();
    };
    let code = match pending.verify_callback(&uri.to_string(), app.transport.clock().now()) {
        Ok(code) => code,
        Err(refused) => {
            // A callback that is not this login's leaves it waiting for its own.
            let (error, kept) = refused.into_parts();
            app.sessions
                .with(&headers, |s| s.pending = s.pending.take().or(kept));
            return refused_page(&error);
        }
    };
    let user = match sign_in(&app, code).await {
        Ok(user) => user,
        Err(e) => {
            return message(
                StatusCode::BAD_GATEWAY,
                "X did not log you in",
                &e,
                e.hint(),
            );
        }
    };
    // A new session id once logged in: an id planted before the login is worth nothing.
    app.sessions.end(&headers);
    let session = Session {
        user: Some(user),
        ..Session::new()
    };
    redirect("/", Some(&app.sessions.start(session)))
}

/// Exchanges the code as the confidential client, asks X whose account it is, and stores the
/// grant under the X user id.
async fn sign_in(app: &Shared, code: oauth2::AuthorizedCode) -> Result<User, Error> {
    let tokens = app.transport.execute(app.x_app.exchange(code)?).await?;
    let me = app.transport.execute(app.x_app.users_me(&tokens)?).await?;
    let key = UserKey::new(me.id.as_str())?;
    app.grants.login(&key, tokens).await?;
    Ok(User {
        key,
        username: me.username,
    })
}

fn no_login() -> Response {
    let text = "No login is in progress in this browser (it was completed, expired, or started \
                in another browser). Start again from the home page.";
    page(
        StatusCode::BAD_REQUEST,
        "No login in progress",
        &pages::paragraph(text),
    )
}

fn refused_page(error: &twitter_auth_core::Error) -> Response {
    match error {
        twitter_auth_core::Error::Denied => {
            let text = "You cancelled the login on X: nothing was shared with this app.";
            page(StatusCode::OK, "Login cancelled", &pages::paragraph(text))
        }
        twitter_auth_core::Error::StateMismatch
        | twitter_auth_core::Error::MissingCallbackParameter { name: "state" } => {
            let title = "This login link was not started in this browser";
            message(StatusCode::FORBIDDEN, title, error, error.hint())
        }
        _ => message(
            StatusCode::BAD_REQUEST,
            "The login failed",
            error,
            error.hint(),
        ),
    }
}

async fn me(State(app): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let Some((user, _)) = app.sessions.user(&headers) else {
        return json(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({"error": "not logged in"}),
        );
    };
    // A cheap client per request (no store read while the token is fresh); refreshed when due.
    let answer = match app.grants.api(&user.key).await {
        Ok(api) => api.me().await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(me) => {
            let me =
                serde_json::json!({"id": me.id.as_str(), "username": me.username, "name": me.name});
            json(StatusCode::OK, &me)
        }
        Err(e) if e.login_required().is_some() => {
            app.sessions.with(&headers, |s| s.user = None);
            json(
                StatusCode::UNAUTHORIZED,
                &serde_json::json!({"error": e.to_string()}),
            )
        }
        Err(e) => json(
            StatusCode::BAD_GATEWAY,
            &serde_json::json!({"error": e.to_string(), "hint": e.hint()}),
        ),
    }
}

async fn logout(State(app): State<Arc<Shared>>, headers: HeaderMap, form: String) -> Response {
    let fields: HashMap<String, String> =
        twitter_auth_core::url::form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .collect();
    let token = fields.get("csrf").map_or("", String::as_str);
    let csrf = app.sessions.with(&headers, |s| s.csrf.clone());
    if !csrf.is_some_and(|csrf| session::same(&csrf, token)) {
        let text = "This form did not come from this site's page (missing or wrong CSRF token).";
        return page(StatusCode::FORBIDDEN, "Refused", &pages::paragraph(text));
    }
    if let Some((user, _)) = app.sessions.user(&headers) {
        let done = match app.grants.api(&user.key).await {
            Ok(api) => api.logout().await,
            Err(e) => Err(e),
        };
        match done {
            // Without a grant there is nothing left to revoke: the session ends anyway.
            Err(e) if e.login_required().is_none() => {
                return message(
                    StatusCode::BAD_GATEWAY,
                    "X did not log you out",
                    &e,
                    e.hint(),
                );
            }
            _ => {}
        }
    }
    redirect("/", Some(&app.sessions.end(&headers)))
}
