//! The HTTP shell: the sans-IO [`Handler`] served by axum on a tokio runtime of its own.

use std::future::{Future as _, IntoFuture as _};
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, HttpBody as _};
use axum::extract::{ConnectInfo, State};
use axum::serve::{IncomingStream, Listener};
use http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::time::{Instant, Sleep};

use crate::config::{Consent, MockConfig, ServerLimits};
use crate::counters::Counters;
use crate::fault::Fault;
use crate::handler::Handler;

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
    limits: ServerLimits,
    /// Connections open now.
    connections: AtomicUsize,
    /// Connections closed by a timeout (head, idle or body) since the start.
    timed_out: AtomicU64,
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
            limits: config.server.clone(),
            connections: AtomicUsize::new(0),
            timed_out: AtomicU64::new(0),
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
            KillableListener {
                listener: TcpListener::from_std(listener)?,
                permits: Arc::new(Semaphore::new(config.server.max_connections)),
                shared: Arc::clone(&shared),
            }
        };
        let thread = std::thread::Builder::new()
            .name("twitter-auth-mock".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let server = axum::serve(listener, app).into_future();
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

    /// Connections open now (accepted and not yet closed), at most
    /// [`ServerLimits::max_connections`].
    pub fn open_connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Connections the mock closed because a head, a body or the next request did not come in
    /// time ([`ServerLimits`]), since it started.
    pub fn timed_out_connections(&self) -> u64 {
        self.shared.timed_out.load(Ordering::SeqCst)
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
    // The head is in: from here the body must keep coming, then the handler has it.
    let busy = connection.state.request_started();
    let (parts, body) = request.into_parts();
    let body = match read_body(body, shared.limits.max_body).await {
        Ok(body) => body,
        Err(status) => {
            // A body that stopped arriving was cut off by the connection's timeout.
            let status = if connection.state.timed_out.load(Ordering::SeqCst) {
                StatusCode::REQUEST_TIMEOUT
            } else {
                status
            };
            let mut handler = shared.handler();
            let now = shared.clock.now();
            let mut response = handler.unread_body(now, parts.uri.path(), status);
            drop(handler);
            // The rest of the request cannot be told from the next one: close after answering.
            response.headers_mut().insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
            drop(busy);
            return response.map(Body::from);
        }
    };
    connection.state.set(Phase::Busy);
    let request = http::Request::from_parts(parts, body);
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
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        return response;
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    drop(busy);
    match reply.response {
        Some(response) => response.map(Body::from),
        None => {
            // The connection dies before a byte of this answer is written.
            connection.state.kill.store(true, Ordering::Relaxed);
            axum::response::Response::new(Body::empty())
        }
    }
}

/// Reads a whole body of at most `max` bytes: `Err(413)` past it, `Err(400)` if the body
/// breaks off (the client closed early, or the connection's timeout cut it).
async fn read_body(mut body: Body, max: usize) -> Result<Vec<u8>, StatusCode> {
    let mut bytes = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(frame) = frame else {
            return Err(StatusCode::BAD_REQUEST);
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len().saturating_add(data.len()) > max {
                return Err(StatusCode::PAYLOAD_TOO_LARGE);
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

/// What a request learns about its connection: its state, and a switch that kills it.
#[derive(Clone)]
struct Connection {
    state: Arc<ConnState>,
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

/// Where a connection is in its exchange, and so which deadline applies (see
/// [`ServerLimits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// A request head must be complete by then (the connection is new, or the head has
    /// begun).
    Head(Instant),
    /// Kept alive between requests: closed then unless a byte arrives (which starts a head).
    Idle(Instant),
    /// Reading a body: closed `idle_timeout` after the last byte.
    Body(Instant),
    /// The handler has the request, or its answer is being written: no deadline.
    Busy,
}

/// One connection's timing and kill switch, shared by its stream and its requests.
struct ConnState {
    phase: Mutex<Phase>,
    kill: AtomicBool,
    /// Set when a deadline passed; the request whose body it cut is answered 408.
    timed_out: AtomicBool,
    header_read_timeout: Duration,
    idle_timeout: Duration,
}

impl ConnState {
    fn phase(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, phase: Phase) {
        *self.phase() = phase;
    }

    /// The instant the connection is closed at, if nothing happens first.
    fn deadline(&self) -> Option<Instant> {
        match *self.phase() {
            Phase::Head(at) | Phase::Idle(at) => Some(at),
            Phase::Body(last) => Some(last + self.idle_timeout),
            Phase::Busy => None,
        }
    }

    /// Bytes arrived: an idle connection starts a head, a body moves its deadline.
    fn received(&self) {
        let now = Instant::now();
        let mut phase = self.phase();
        match *phase {
            Phase::Idle(_) => *phase = Phase::Head(now + self.header_read_timeout),
            Phase::Body(_) => *phase = Phase::Body(now),
            Phase::Head(_) | Phase::Busy => {}
        }
    }

    /// A head was read: its body is next. The guard makes the connection idle again when the
    /// request is done (answered, or dropped with its task).
    fn request_started(self: &Arc<Self>) -> IdleOnDrop {
        self.set(Phase::Body(Instant::now()));
        IdleOnDrop(Arc::clone(self))
    }
}

/// Puts a connection back to [`Phase::Idle`] when its request is done.
struct IdleOnDrop(Arc<ConnState>);

impl Drop for IdleOnDrop {
    fn drop(&mut self) {
        let state = &self.0;
        state.set(Phase::Idle(Instant::now() + state.idle_timeout));
    }
}

/// The TCP listener: at most `max_connections` accepted at once (past it, connections wait in
/// the listen queue), each with its deadlines and kill switch.
struct KillableListener {
    listener: TcpListener,
    permits: Arc<Semaphore>,
    shared: Arc<Shared>,
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = Connection;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // The semaphore is never closed; wait for a free slot before accepting.
            let Ok(permit) = Arc::clone(&self.permits).acquire_owned().await else {
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            };
            match self.listener.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let limits = &self.shared.limits;
                    let now = Instant::now();
                    let state = Arc::new(ConnState {
                        phase: Mutex::new(Phase::Head(now + limits.header_read_timeout)),
                        kill: AtomicBool::new(false),
                        timed_out: AtomicBool::new(false),
                        header_read_timeout: limits.header_read_timeout,
                        idle_timeout: limits.idle_timeout,
                    });
                    self.shared.connections.fetch_add(1, Ordering::SeqCst);
                    let stream = KillableStream {
                        stream,
                        state: Arc::clone(&state),
                        timer: Box::pin(tokio::time::sleep_until(now)),
                        armed: None,
                        shared: Arc::clone(&self.shared),
                        _permit: permit,
                    };
                    return (stream, Connection { state });
                }
                // Out of descriptors or a reset before accept: wait briefly, keep serving.
                Err(_) => {
                    drop(permit);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.listener.local_addr().map(|_| Connection {
            state: Arc::new(ConnState {
                phase: Mutex::new(Phase::Busy),
                kill: AtomicBool::new(false),
                timed_out: AtomicBool::new(false),
                header_read_timeout: Duration::ZERO,
                idle_timeout: Duration::ZERO,
            }),
        })
    }
}

/// A connection's socket: reads fail once its deadline passes (the server then closes it),
/// and reads and writes fail once a fault kills it.
struct KillableStream {
    stream: TcpStream,
    state: Arc<ConnState>,
    /// Wakes a pending read at the deadline.
    timer: Pin<Box<Sleep>>,
    /// The deadline the timer is set to.
    armed: Option<Instant>,
    shared: Arc<Shared>,
    /// The connection's slot under `max_connections`, freed when the stream is dropped.
    _permit: OwnedSemaphorePermit,
}

impl KillableStream {
    fn killed(&self) -> bool {
        self.state.kill.load(Ordering::Relaxed)
    }

    /// `Err` once the deadline has passed.
    fn check_deadline(&self) -> io::Result<()> {
        match self.state.deadline() {
            Some(deadline) if Instant::now() >= deadline => {
                if !self.state.timed_out.swap(true, Ordering::SeqCst) {
                    self.shared.timed_out.fetch_add(1, Ordering::SeqCst);
                }
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client sent nothing in time",
                ))
            }
            _ => Ok(()),
        }
    }
}

impl Drop for KillableStream {
    fn drop(&mut self) {
        self.shared.connections.fetch_sub(1, Ordering::SeqCst);
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
        loop {
            // Bytes that trickle in do not extend a head's deadline.
            self.check_deadline()?;
            let before = buf.filled().len();
            match Pin::new(&mut self.stream).poll_read(cx, buf) {
                Poll::Ready(Ok(())) => {
                    if buf.filled().len() > before {
                        self.state.received();
                    }
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
            let Some(deadline) = self.state.deadline() else {
                return Poll::Pending;
            };
            let this = &mut *self;
            if this.armed != Some(deadline) {
                this.timer.as_mut().reset(deadline);
                this.armed = Some(deadline);
            }
            if this.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            // The deadline has come: the next turn fails the read.
        }
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
