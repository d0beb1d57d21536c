//! The HTTP shell: the sans-IO [`Handler`] served by axum on a tokio runtime of its own.

use std::future::IntoFuture as _;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::config::{Consent, MockConfig};
use crate::counters::Counters;
use crate::fault::Fault;
use crate::handler::Handler;

/// Largest request body the mock reads (X's token endpoints take a few hundred bytes).
const MAX_BODY: usize = 1 << 20;

/// The mock's clock: the system clock plus an offset a test can move forward.
#[derive(Default)]
struct Clock {
    offset: AtomicI64,
}

impl Clock {
    fn now(&self) -> u64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        system.saturating_add_signed(self.offset.load(Ordering::Relaxed))
    }
}

struct Shared {
    handler: Mutex<Handler>,
    clock: Clock,
    panics: AtomicU64,
}

impl Shared {
    fn handler(&self) -> MutexGuard<'_, Handler> {
        // A panic while holding the lock would be a bug in the handler; keep serving anyway.
        self.handler.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running fake X on a loopback port, with its own threads; stopped when dropped.
///
/// Works from synchronous code and from inside any async runtime (it brings its own).
///
/// ```
/// use twitter_auth_mock::{MockConfig, MockX};
///
/// let x = MockX::start(MockConfig::default()).unwrap();
/// assert!(x.base_url().starts_with("http://127.0.0.1:"));
/// let app = x.config().apps[0].clone();
/// // Point a client at `x.base_url()`: `/oauth/request_token`, `/2/oauth2/token`, ...
/// # drop(app);
/// ```
pub struct MockX {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    config: MockConfig,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MockX {
    /// Starts on `127.0.0.1` with an ephemeral port.
    ///
    /// # Errors
    ///
    /// As [`start_on`](Self::start_on).
    pub fn start(config: MockConfig) -> io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config)
    }

    /// Starts on a given address (port 0 picks a free one).
    ///
    /// # Errors
    ///
    /// `InvalidInput` if the config fails [`MockConfig::validate`]; the bind's error otherwise.
    pub fn start_on(addr: SocketAddr, config: MockConfig) -> io::Result<Self> {
        config
            .validate()
            .map_err(|reason| io::Error::new(io::ErrorKind::InvalidInput, reason))?;
        // Bind before returning so the port is known and already accepting.
        let listener = StdListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            handler: Mutex::new(Handler::new(config.clone())),
            clock: Clock::default(),
            panics: AtomicU64::new(0),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("twitter-auth-mock")
            .enable_io()
            .enable_time()
            .build()?;
        let (shutdown, stop) = oneshot::channel::<()>();
        let app = axum::Router::new()
            .fallback(serve_one)
            .with_state(Arc::clone(&shared))
            .into_make_service_with_connect_info::<Connection>();
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let thread = std::thread::Builder::new()
            .name("twitter-auth-mock".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let server = axum::serve(KillableListener(listener), app).into_future();
                    tokio::select! {
                        _ = server => {}
                        _ = stop => {}
                    }
                });
                // Dropping the runtime here cancels every connection task and closes every
                // socket before `drop(MockX)` returns.
                drop(runtime);
            })?;
        Ok(Self {
            addr,
            base_url: format!("http://{addr}"),
            shared,
            config,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it started with.
    pub fn config(&self) -> &MockConfig {
        &self.config
    }

    /// The mock's clock, Unix seconds.
    pub fn now(&self) -> u64 {
        self.shared.clock.now()
    }

    /// Moves the mock's clock forward (tokens and codes expire, rate-limit windows reset; and
    /// OAuth 1.0a clients whose clocks stay behind get code 135, as at a skewed X).
    pub fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        let _ =
            self.shared
                .clock
                .offset
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                    Some(offset.saturating_add(secs))
                });
    }

    /// How many requests made the handler panic (each was answered 500). Always 0 unless the
    /// mock has a bug; a test can assert it at the end.
    pub fn handler_panics(&self) -> u64 {
        self.shared.panics.load(Ordering::Relaxed)
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.shared.handler().counters()
    }

    /// Queues a fault (see [`Handler::inject`]).
    pub fn inject(&self, fault: Fault) {
        self.shared.handler().inject(fault);
    }

    /// Changes how consent pages answer.
    pub fn set_consent(&self, consent: Consent) {
        self.shared.handler().set_consent(consent);
    }

    /// Runs `f` on the handler, under its lock (for anything without a shortcut here).
    ///
    /// The server waits while `f` runs: `f` must not call back into this `MockX` or send it a
    /// request, or it deadlocks.
    pub fn with_handler<R>(&self, f: impl FnOnce(&mut Handler) -> R) -> R {
        f(&mut self.shared.handler())
    }
}

impl Drop for MockX {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve_one(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        let mut handler = shared.handler();
        let now = shared.clock.now();
        return handler
            .payload_too_large(now, parts.uri.path())
            .map(Body::from);
    };
    let request = http::Request::from_parts(parts, body.to_vec());
    let reply = {
        let mut handler = shared.handler();
        // Read under the lock, so the handler sees time move forward only.
        let now = shared.clock.now();
        std::panic::catch_unwind(AssertUnwindSafe(|| handler.handle(now, request)))
    };
    let Ok(reply) = reply else {
        // The panic message went to stderr; the client gets a 500 and the count shows it.
        shared.panics.fetch_add(1, Ordering::Relaxed);
        let mut response = axum::response::Response::new(Body::from("mock handler panicked"));
        *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        return response;
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    match reply.response {
        Some(response) => response.map(Body::from),
        None => {
            // The connection dies before a byte of this answer is written.
            connection.kill.store(true, Ordering::Relaxed);
            axum::response::Response::new(Body::empty())
        }
    }
}

/// What a request learns about its connection: a switch that kills it.
#[derive(Clone)]
struct Connection {
    kill: Arc<AtomicBool>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connection")
    }
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, KillableListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener whose connections can be dropped mid-exchange, for the dropped-connection
/// fault (axum's handlers cannot refuse to answer; a stream that fails its next write can).
struct KillableListener(TcpListener);

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = Connection;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let kill = Arc::new(AtomicBool::new(false));
                    let connection = Connection {
                        kill: Arc::clone(&kill),
                    };
                    return (KillableStream { stream, kill }, connection);
                }
                // Out of descriptors or a reset before accept: wait briefly, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr().map(|_| Connection {
            kill: Arc::new(AtomicBool::new(false)),
        })
    }
}

struct KillableStream {
    stream: TcpStream,
    kill: Arc<AtomicBool>,
}

impl KillableStream {
    fn killed(&self) -> bool {
        self.kill.load(Ordering::Relaxed)
    }
}

fn reset() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "connection dropped by a fault",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
