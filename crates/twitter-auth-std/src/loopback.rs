//! The callback of a desktop or CLI login: a one-shot HTTP receiver on the loopback redirect URI,
//! and the "paste the URL the browser ended on" fallback for machines without a browser.
//!
//! ```no_run
//! use twitter_auth_std::LoopbackReceiver;
//! # fn open_browser(_: &str) {}
//!
//! // 1. Listen before the browser opens (port 0 would pick a free port: send X the
//! //    `redirect_uri()` then, and register it).
//! let receiver = LoopbackReceiver::bind("http://127.0.0.1:8765/callback")?;
//! // 2. Start the login with `receiver.redirect_uri()` and open the browser on its URL.
//! # let authorize_url = "";
//! open_browser(authorize_url);
//! # struct Pending;
//! # impl Pending { fn matches(&self, _: &str) -> bool { true } }
//! # let pending = Pending;
//! // 3. Wait for X's redirect to this login (at most 5 minutes by default): `matches` of the
//! //    core's `PendingLogin` (OAuth 2.0) or `PendingLogin` (OAuth 1.0a) tells which
//! //    callback that is. Then let the core check it: `pending.on_callback(callback.url(), now)`.
//! let callback = receiver.receive_matching(|url| pending.matches(url))?;
//! # let _ = callback;
//! # Ok::<(), twitter_auth_std::LoopbackError>(())
//! ```

use std::io::{self, BufRead, Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use std::{fmt, thread};

use url::{Host, Url};

/// How long [`LoopbackReceiver::receive`] waits for the callback unless told otherwise.
pub const DEFAULT_CALLBACK_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Largest request head read from a connection (a callback URL is a few hundred bytes).
const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request head.
const CONNECTION_BUDGET: Duration = Duration::from_secs(10);
/// How long writing an answer may block (it is a few hundred bytes: it never should).
const WRITE_BUDGET: Duration = Duration::from_secs(2);
/// Connections served at once; more are closed unanswered.
const MAX_CONNECTIONS: usize = 16;
/// How often idle listeners are polled.
const POLL: Duration = Duration::from_millis(20);
/// The page of a callback that `accept` refused in [`LoopbackReceiver::receive_matching`].
const NOT_THIS_LOGIN: &str = "This callback does not belong to the login in progress.";

/// Why no callback was received. Messages never contain a callback's query.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoopbackError {
    /// The redirect URI is not `http://` on `127.0.0.1`, `[::1]` or `localhost`.
    #[error("the redirect URI is not a loopback http URI: {reason}")]
    NotLoopback {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Listening on an address of the redirect URI failed (e.g. the port is in use).
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// No callback arrived in time.
    #[error("no callback arrived within {after:?}")]
    Timeout {
        /// The timeout that passed.
        after: Duration,
    },
    /// The pasted text is not the URL the browser ended on.
    #[error("the pasted text is not a redirect URL: {reason}")]
    InvalidPaste {
        /// What is wrong with it (never the text).
        reason: &'static str,
    },
    /// Reading the pasted text failed.
    #[error("cannot read the pasted URL")]
    Io(#[from] io::Error),
}

/// The callback a browser brought back: the full URL to pass to the core's `on_callback`.
///
/// `Debug` shows the URL without its query (it carries codes and verifiers). There is no
/// `PartialEq`: compare [`url`](Self::url)s where needed, knowing they hold a secret.
#[derive(Clone)]
pub struct ReceivedCallback {
    url: String,
    error: Option<String>,
}

impl ReceivedCallback {
    /// The callback URL: the redirect URI with the query X sent.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The refusal it carries, if any: the `error` code (OAuth 2.0, e.g. `access_denied`), or
    /// `"denied"` for an OAuth 1.0a `denied=`. The core reports these as errors too.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

impl fmt::Debug for ReceivedCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = self
            .url
            .split_once('?')
            .map_or(&*self.url, |(base, _)| base);
        f.debug_struct("ReceivedCallback")
            .field("url", &format_args!("{base}?<redacted>"))
            .field("error", &self.error)
            .finish()
    }
}

/// Listens on the exact host, port and path of a loopback redirect URI for one callback.
///
/// Bind it **before** sending the user to the authorize page, so the redirect cannot arrive
/// before anyone listens, then call [`receive_matching`](Self::receive_matching) with the
/// pending login's `matches`.
#[derive(Debug)]
pub struct LoopbackReceiver {
    listeners: Vec<TcpListener>,
    redirect_uri: Url,
    timeout: Duration,
}

impl LoopbackReceiver {
    /// Starts listening for `redirect_uri`: `http://` on `127.0.0.1`, `[::1]` or `localhost`
    /// (both `127.0.0.1` and `::1`, when the machine has IPv6), with its port (none means 80;
    /// 0 picks a free port, see [`redirect_uri`](Self::redirect_uri)) and path.
    ///
    /// Errors: [`LoopbackError::NotLoopback`], or [`LoopbackError::Bind`] when an address
    /// cannot be listened on (for `localhost`, a missing `::1` is skipped, a taken one is not:
    /// whoever holds it would receive the callback).
    pub fn bind(redirect_uri: &str) -> Result<Self, LoopbackError> {
        let not = |reason| LoopbackError::NotLoopback { reason };
        let mut url = Url::parse(redirect_uri).map_err(|_| not("not a URL"))?;
        if url.scheme() != "http" {
            return Err(not("the scheme must be http"));
        }
        let ips: &[IpAddr] = match url.host() {
            Some(Host::Ipv4(ip)) if ip == Ipv4Addr::LOCALHOST => &[IpAddr::V4(ip)],
            Some(Host::Ipv6(ip)) if ip == Ipv6Addr::LOCALHOST => &[IpAddr::V6(ip)],
            Some(Host::Domain("localhost")) => &[
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
            _ => return Err(not("the host must be 127.0.0.1, [::1] or localhost")),
        };
        let port = url.port_or_known_default().unwrap_or(80);
        let mut attempts = 0;
        let listeners = loop {
            attempts += 1;
            match listen(ips, port) {
                // Port 0: the free port taken on 127.0.0.1 may be taken on ::1; draw again.
                Err(LoopbackError::Bind { source, .. })
                    if port == 0 && attempts < 8 && source.kind() == io::ErrorKind::AddrInUse => {}
                other => break other?,
            }
        };
        if let Some(Ok(addr)) = listeners.first().map(TcpListener::local_addr) {
            let _ = url.set_port(Some(addr.port()));
        }
        Ok(Self {
            listeners,
            redirect_uri: url,
            timeout: DEFAULT_CALLBACK_TIMEOUT,
        })
    }

    /// The redirect URI with the port actually listened on: the one to send to X.
    pub fn redirect_uri(&self) -> String {
        self.redirect_uri.to_string()
    }

    /// Waits at most `timeout` in [`receive_matching`](Self::receive_matching) and
    /// [`receive`](Self::receive) (default [`DEFAULT_CALLBACK_TIMEOUT`]).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Blocks until the callback of this login arrives or the timeout passes, then stops
    /// listening. `accept` is given each callback's full URL and says whether it belongs to the
    /// login in progress: pass the core's `|url| pending.matches(url)` (`PendingLogin` for OAuth
    /// 2.0, `PendingLogin` for OAuth 1.0a).
    ///
    /// Every connection is served on its own short-lived thread. A request is answered 400
    /// unless its `Host` header is the redirect URI's host and port (for `localhost`, also
    /// `127.0.0.1` or `[::1]` with that port), which turns away pages reaching the port through
    /// DNS rebinding. A `GET` on the redirect path whose query has `code` and `state`,
    /// `oauth_token` and `oauth_verifier`, `error` or `denied` is a callback: if `accept`
    /// takes it, the browser gets a page saying it can be closed (or that authorization was
    /// refused) and the callback is returned; if not, the browser gets 400 ("This callback
    /// does not belong to the login in progress.") and waiting goes on, so neither another
    /// local process nor a stray or forged redirect can end the login. Other paths get 404,
    /// other requests on the path 400 or 405, and waiting goes on.
    ///
    /// The callback is returned as X sent it: the core still checks its `state` and turns
    /// `error=` / `denied=` into its errors. A refusal `accept` does not take (e.g. an
    /// `error=` without `state`, which the core's `matches` cannot tie to the login) is
    /// answered 400 like any other: the wait then ends at the timeout.
    ///
    /// Errors: [`LoopbackError::Timeout`].
    pub fn receive_matching(
        self,
        accept: impl Fn(&str) -> bool,
    ) -> Result<ReceivedCallback, LoopbackError> {
        let deadline = Instant::now().checked_add(self.timeout);
        let (sender, candidates) = mpsc::channel();
        let active = Arc::new(());
        loop {
            let mut accepted = false;
            for listener in &self.listeners {
                let Ok((stream, _)) = listener.accept() else {
                    continue;
                };
                accepted = true;
                if Arc::strong_count(&active) > MAX_CONNECTIONS {
                    continue; // dropped unanswered
                }
                let (sender, uri, guard) =
                    (sender.clone(), self.redirect_uri.clone(), active.clone());
                let _ = thread::Builder::new()
                    .name("loopback-callback".to_owned())
                    .spawn(move || {
                        let _guard = guard;
                        if let Some(candidate) = serve(stream, &uri) {
                            let _ = sender.send(candidate);
                        }
                    });
            }
            let wait = if accepted { Duration::ZERO } else { POLL };
            if let Ok(candidate) = candidates.recv_timeout(wait) {
                let Candidate {
                    mut stream,
                    callback,
                    page,
                } = candidate;
                if accept(callback.url()) {
                    respond(&mut stream, "200 OK", &page);
                    return Ok(callback);
                }
                respond(&mut stream, "400 Bad Request", NOT_THIS_LOGIN);
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Err(LoopbackError::Timeout {
                    after: self.timeout,
                });
            }
        }
    }

    /// Like [`receive_matching`](Self::receive_matching), but takes the first well-formed
    /// callback, whichever login it belongs to: any local process (or a page that reached the
    /// port under the right `Host`) can then end the wait with a callback of its own, which
    /// the core refuses, failing the login. Use [`receive_matching`](Self::receive_matching).
    ///
    /// Errors: [`LoopbackError::Timeout`].
    pub fn receive(self) -> Result<ReceivedCallback, LoopbackError> {
        self.receive_matching(|_| true)
    }
}

/// A request carrying an authorization answer, waiting for the receiver to accept it: its
/// connection, still unanswered, and the page to show if accepted.
struct Candidate {
    stream: TcpStream,
    callback: ReceivedCallback,
    page: String,
}

/// How a request is answered.
enum Answer {
    /// At once: the status line and the page text.
    Now(&'static str, &'static str),
    /// A callback: answered by the receiver, with this page if it accepts it.
    Callback(ReceivedCallback, String),
}

/// Listens on `port` of every address (the port the first one got, when `port` is 0).
fn listen(ips: &[IpAddr], mut port: u16) -> Result<Vec<TcpListener>, LoopbackError> {
    let mut listeners = Vec::new();
    let mut unavailable = None;
    for &ip in ips {
        let addr = SocketAddr::new(ip, port);
        let bound = TcpListener::bind(addr).and_then(|listener| {
            listener.set_nonblocking(true)?;
            Ok((listener.local_addr()?.port(), listener))
        });
        match bound {
            Ok((actual, listener)) => {
                port = actual;
                listeners.push(listener);
            }
            Err(source) if source.kind() == io::ErrorKind::AddrInUse => {
                return Err(LoopbackError::Bind { addr, source });
            }
            Err(source) => unavailable = unavailable.or(Some(LoopbackError::Bind { addr, source })),
        }
    }
    match unavailable {
        Some(error) if listeners.is_empty() => Err(error),
        _ => Ok(listeners),
    }
}

/// Reads one request head and answers it, or, if it is a callback, leaves it to the receiver.
fn serve(mut stream: TcpStream, redirect: &Url) -> Option<Candidate> {
    let deadline = Instant::now() + CONNECTION_BUDGET;
    stream.set_nonblocking(false).ok()?;
    let mut head = Vec::new();
    let mut chunk = [0; 2048];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&head) {
            Ok(httparse::Status::Complete(_)) => match answer(&request, redirect) {
                Answer::Now(status, message) => {
                    respond(&mut stream, status, message);
                    return None;
                }
                Answer::Callback(callback, page) => {
                    stream.set_write_timeout(Some(WRITE_BUDGET)).ok()?;
                    return Some(Candidate {
                        stream,
                        callback,
                        page,
                    });
                }
            },
            Ok(httparse::Status::Partial) if head.len() < MAX_HEAD => {}
            _ => {
                respond(&mut stream, "400 Bad Request", "Bad request.");
                return None;
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return None;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
}

/// How to answer a parsed request.
fn answer(request: &httparse::Request<'_, '_>, redirect: &Url) -> Answer {
    if !host_allowed(request.headers, redirect) {
        return Answer::Now("400 Bad Request", "Unexpected host.");
    }
    let target = request.path.unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != redirect.path() {
        return Answer::Now("404 Not Found", "Not found.");
    }
    if request.method != Some("GET") {
        return Answer::Now("405 Method Not Allowed", "Method not allowed.");
    }
    let Some(error) = inspect(query) else {
        return Answer::Now("400 Bad Request", "No authorization answer.");
    };
    let message = match &error {
        // Only the error code, escaped: the rest of the query carries secrets.
        Some(error) => format!("Authorization was refused: {}", escape(error)),
        None => "You can close this tab and return to the app.".to_owned(),
    };
    let mut url = redirect.clone();
    url.set_query(Some(query));
    let callback = ReceivedCallback {
        url: url.into(),
        error,
    };
    Answer::Callback(callback, message)
}

/// Whether the request has exactly one `Host` header and it names the redirect URI's host
/// (for `localhost`: `localhost`, `127.0.0.1` or `[::1]`, in any case) and port (left out
/// only for port 80).
fn host_allowed(headers: &[httparse::Header<'_>], redirect: &Url) -> bool {
    let mut hosts = headers
        .iter()
        .filter(|header| header.name.eq_ignore_ascii_case("host"));
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return false;
    };
    let Ok(host) = std::str::from_utf8(host.value) else {
        return false;
    };
    let host = host.trim_matches([' ', '\t']);
    // `[::1]` holds colons: a port follows the last colon only when no `]` does.
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !port.contains(']') => (name, Some(port)),
        _ => (host, None),
    };
    let expected = redirect.port_or_known_default().unwrap_or(80);
    let port_ok = match port {
        Some(port) => port == expected.to_string(),
        None => expected == 80,
    };
    let names: &[&str] = match redirect.host() {
        Some(Host::Ipv4(_)) => &["127.0.0.1"],
        Some(Host::Ipv6(_)) => &["[::1]"],
        Some(Host::Domain(_)) => &["localhost", "127.0.0.1", "[::1]"],
        None => &[],
    };
    port_ok
        && names
            .iter()
            .any(|allowed| name.eq_ignore_ascii_case(allowed))
}

/// `None` if `query` is no authorization answer, else the refusal it carries, if any.
fn inspect(query: &str) -> Option<Option<String>> {
    let params: Vec<_> = url::form_urlencoded::parse(query.as_bytes()).collect();
    let has = |name: &str| params.iter().any(|(key, _)| key == name);
    let error = params.iter().find(|(key, _)| key == "error");
    let error = error.map(|(_, value)| value.to_string());
    let error = error.or_else(|| has("denied").then(|| "denied".to_owned()));
    let answered = error.is_some()
        || (has("code") && has("state"))
        || (has("oauth_token") && has("oauth_verifier"));
    answered.then_some(error)
}

/// Writes a minimal HTTP/1.1 answer with a small HTML page; errors are ignored (the browser
/// may be gone).
fn respond(stream: &mut TcpStream, status: &str, message: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Login</title></head>\
         <body><p>{message}</p></body></html>\n"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

/// Escapes text for an HTML element's content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Reads the URL the browser ended on, pasted by the user as one line (for machines where
/// no browser can reach a loopback receiver, e.g. over SSH).
///
/// The line is trimmed and must be a URL whose query is an authorization answer, as
/// [`LoopbackReceiver::receive_matching`] takes them: `code` and `state`, `oauth_token` and
/// `oauth_verifier`, `error` or `denied`. Its `state` and code are checked by the core's
/// `on_callback` (and its `matches` tells whether it is this login's). Errors:
/// [`LoopbackError::InvalidPaste`] (empty, not a URL, no query, no authorization answer),
/// [`LoopbackError::Io`] (reading failed or the line is not UTF-8).
pub fn read_pasted_redirect(input: &mut impl BufRead) -> Result<ReceivedCallback, LoopbackError> {
    let invalid = |reason| LoopbackError::InvalidPaste { reason };
    let mut line = String::new();
    input.take(MAX_HEAD as u64).read_line(&mut line)?;
    let line = line.trim();
    if line.is_empty() {
        return Err(invalid("nothing was pasted"));
    }
    let url = Url::parse(line).map_err(|_| invalid("not a URL"))?;
    let Some(query) = url.query().filter(|query| !query.is_empty()) else {
        return Err(invalid("the URL has no query"));
    };
    let Some(error) = inspect(query) else {
        return Err(invalid("the URL carries no authorization answer"));
    };
    Ok(ReceivedCallback {
        url: url.into(),
        error,
    })
}
