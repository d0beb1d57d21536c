//! What the app's tests share: the app on a loopback port with its own runtime and grant
//! directory, and a cookie-keeping HTTP "browser" that follows no redirects.

#![allow(dead_code, unreachable_pub)] // each test file uses part of it

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use login_with_x::{Config, GrantStore, Running, XApp};
use twitter_auth_mock::MockX;

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("login-with-x-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The app, served by a runtime of its own while the test thread makes blocking calls.
pub struct TestApp {
    // Dropped in this order: the app (and its fake X), then its runtime, then the directory.
    pub running: Running,
    runtime: tokio::runtime::Runtime,
    pub grants: TempDir,
}

impl TestApp {
    /// The app with the embedded fake X (consent page) and a grant directory of its own.
    pub fn with_mock(tag: &str) -> Self {
        Self::start(
            tag,
            |_| XApp::Mock,
            |dir| GrantStore::Files(dir.into()),
            3600,
        )
    }

    /// The app with `x(redirect_uri)`, grants in `store(dir)`, the refresh job every
    /// `refresh_ms`.
    pub fn start(
        tag: &str,
        x: impl FnOnce(&str) -> XApp,
        store: impl FnOnce(&std::path::Path) -> GrantStore,
        refresh_ms: u64,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let grants = TempDir::new(tag);
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let config = Config {
            public_url: None,
            bind: addr,
            x: x(&format!("http://{addr}/callback")),
            store: store(&grants.0),
            refresh_every: Duration::from_millis(refresh_ms),
        };
        let running = runtime
            .block_on(async { login_with_x::serve(listener, config) })
            .expect("the app starts");
        Self {
            running,
            runtime,
            grants,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url())
    }

    pub fn mock(&self) -> &MockX {
        self.running.mock().expect("the embedded fake X")
    }
}

/// An answer: status, `Location`, body.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// An HTTP client with one cookie jar for the app (cookies are never sent elsewhere), following
/// no redirects: one browser.
pub struct Browser {
    agent: ureq::Agent,
    app: String,
    pub cookies: HashMap<String, String>,
    /// Every body the app sent this browser (checked for secrets).
    pub seen: Vec<String>,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            agent: agent(),
            app: app.running.url().to_owned(),
            cookies: HashMap::new(),
            seen: Vec::new(),
        }
    }

    pub fn get(&mut self, url: &str) -> Page {
        self.request("GET", url, None)
    }

    pub fn post_form(&mut self, url: &str, form: &str) -> Page {
        self.request("POST", url, Some(form))
    }

    fn request(&mut self, method: &str, url: &str, form: Option<&str>) -> Page {
        let ours = url.starts_with(&self.app);
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let response = match (method, form) {
            ("GET", _) => {
                let mut request = self.agent.get(url);
                if ours && !cookie.is_empty() {
                    request = request.header("cookie", cookie.join("; "));
                }
                request.call()
            }
            (_, form) => {
                let mut request = self
                    .agent
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded");
                if ours && !cookie.is_empty() {
                    request = request.header("cookie", cookie.join("; "));
                }
                request.send(form.unwrap_or_default())
            }
        }
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect::<Vec<_>>()
        };
        let location = header("location").into_iter().next();
        if ours {
            for set in header("set-cookie") {
                let pair = set.split(';').next().unwrap_or_default();
                let (name, value) = pair.split_once('=').expect("name=value");
                if set.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let body = response
            .into_body()
            .read_to_string()
            .unwrap_or_else(|e| panic!("{method} {url}: body: {e}"));
        if ours {
            self.seen.push(body.clone());
        }
        Page {
            status,
            location,
            body,
        }
    }

    /// `/login`, then X's authorize URL (the fake X answers it at once when its consent is
    /// `Approve` or `Deny`): the callback URL X redirects to.
    pub fn begin_login(&mut self, app: &TestApp) -> String {
        let start = self.get(&app.url("login"));
        assert_eq!(start.status, 303, "{start:?}");
        let authorize = start.location.expect("a redirect to X");
        let at_x = self.get(&authorize);
        assert!(
            (300..400).contains(&at_x.status),
            "X redirects back: {at_x:?}"
        );
        at_x.location.expect("the callback URL")
    }
}

/// The value of query parameter `name` in `url`.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    twitter_auth_core::url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `url` with its `state` replaced.
pub fn with_state(url: &str, state: &str) -> String {
    let (base, query) = url.split_once('?').expect("a query");
    let mut out = twitter_auth_core::url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in twitter_auth_core::url::form_urlencoded::parse(query.as_bytes()) {
        out.append_pair(&k, if k == "state" { state } else { &v });
    }
    format!("{base}?{}", out.finish())
}
