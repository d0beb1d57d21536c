//! Shared harness of the cross-crate tests: the fake X, reached either in memory or over
//! loopback HTTP with a plain client, behind one [`Transport`] trait so a test body runs on both.

pub mod adapters;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use twitter_auth_core::{Endpoints, Exchange, HttpRequest, HttpResponse};
use twitter_auth_mock::{Handler, MockConfig, MockX};

/// Something that carries a request to the fake X and brings its answer back.
pub trait Transport {
    /// Sends one request exactly as given (redirects are not followed) and returns the
    /// answer; `Err` is a transport failure (a dropped connection, say).
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, String>;

    /// The fake X's clock.
    fn now(&self) -> SystemTime;

    /// Moves the fake X's clock forward.
    fn advance(&mut self, by: Duration);

    /// Where the core should send requests.
    fn endpoints(&self) -> Endpoints;

    /// The world the fake X serves.
    fn config(&self) -> &MockConfig;

    /// Sends one flow step and finishes it with the fake X's clock.
    fn run<E: Exchange>(&mut self, step: E) -> Result<E::Output, twitter_auth_core::Error>
    where
        Self: Sized,
    {
        let response = self
            .send(step.request())
            .unwrap_or_else(|e| panic!("transport failure: {e}"));
        step.finish(self.now(), response)
    }
}

/// The sans-IO handler driven directly, with a fake clock: no sockets.
pub struct InMemory {
    handler: Handler,
    now: u64,
}

impl InMemory {
    /// A fake X whose clock starts at an arbitrary fixed instant.
    pub fn new(config: MockConfig) -> Self {
        Self {
            handler: Handler::new(config),
            now: 1_790_000_000,
        }
    }

    /// The handler, for counters and fault injection.
    pub fn handler(&mut self) -> &mut Handler {
        &mut self.handler
    }
}

impl Transport for InMemory {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, String> {
        self.handler
            .handle(self.now, request.clone())
            .into_response()
            .ok_or_else(|| "connection dropped".to_owned())
    }

    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.now)
    }

    fn advance(&mut self, by: Duration) {
        self.now += by.as_secs();
    }

    fn endpoints(&self) -> Endpoints {
        Endpoints::local("http://127.0.0.1:1/").expect("a loopback base is valid")
    }

    fn config(&self) -> &MockConfig {
        self.handler.config()
    }
}

/// The fake X on a loopback port, reached with a plain HTTP client (ureq, not our adapters).
pub struct Loopback {
    mock: Arc<MockX>,
    agent: ureq::Agent,
}

impl Loopback {
    /// Starts a fake X on an ephemeral loopback port; it stops when this is dropped.
    pub fn start(config: MockConfig) -> Self {
        let mock = Arc::new(MockX::start(config).expect("the mock starts on loopback"));
        Self {
            mock,
            agent: plain_agent(),
        }
    }

    /// The running server, for counters, faults and consent settings.
    pub fn mock(&self) -> &MockX {
        &self.mock
    }

    /// The fake X's clock, for an adapter (its sleeps move the fake X's time).
    pub fn clock(&self) -> adapters::MockClock {
        adapters::MockClock(Arc::clone(&self.mock))
    }
}

/// A ureq agent that returns every status as a response and follows no redirect.
pub fn plain_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// Sends an `http::Request` with a plain agent and reads the whole answer.
pub fn send_plain(agent: &ureq::Agent, request: &HttpRequest) -> Result<HttpResponse, String> {
    let response = agent.run(request.clone()).map_err(|e| e.to_string())?;
    let (parts, mut body) = response.into_parts();
    let bytes = body.read_to_vec().map_err(|e| e.to_string())?;
    Ok(http::Response::from_parts(parts, bytes))
}

impl Transport for Loopback {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, String> {
        send_plain(&self.agent, request)
    }

    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.mock.now())
    }

    fn advance(&mut self, by: Duration) {
        self.mock.advance(by);
    }

    fn endpoints(&self) -> Endpoints {
        Endpoints::local(self.mock.base_url()).expect("the mock's base URL is loopback")
    }

    fn config(&self) -> &MockConfig {
        self.mock.config()
    }
}

/// A browser visit to an authorize URL: a GET whose answer is a redirect; returns `Location`.
pub fn follow_consent<T: Transport>(transport: &mut T, url: &str) -> String {
    let request = http::Request::get(url)
        .body(Vec::new())
        .expect("the authorize URL is a valid URI");
    let response = transport
        .send(&request)
        .unwrap_or_else(|e| panic!("transport failure: {e}"));
    assert_eq!(response.status(), 302, "consent answers with a redirect");
    response.headers()["location"]
        .to_str()
        .expect("Location is ASCII")
        .to_owned()
}

/// A fresh directory under the system's temp dir, removed when dropped.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// A new empty directory whose name carries `tag`, the process id and a counter.
    pub fn new(tag: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "twauth-e2e-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        Self(dir)
    }

    /// The directory.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
