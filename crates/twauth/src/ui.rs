//! Everything `twauth` shows goes through here: control characters from the network are
//! escaped, every secret the run knows of is redacted, a closed pipe ends the run quietly, and
//! waits count down on a terminal.
//!
//! - [`out`] / [`err`] (and the `outln!` / `errln!` macros) print one line to stdout / stderr.
//! - [`register`] adds a secret (and the encodings it travels in: percent- and form-encoded,
//!   inside a `Basic` header) to the set that is redacted from any text shown, unless
//!   `--show-secrets` was given.
//! - [`sanitize`] escapes C0 and C1 control characters (but newline and tab), `DEL`, and the
//!   Unicode bidirectional overrides, so a server cannot move the cursor, retitle the terminal
//!   or hide text.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use zeroize::Zeroizing;

/// The exit code of a run whose stdout reader went away (`| head -1`): what a shell reports
/// for a tool killed by `SIGPIPE` (128 + 13).
pub(crate) const BROKEN_PIPE: i32 = 141;

/// Secrets shorter than this are not searched for in text (they would match ordinary words).
const MIN_SECRET: usize = 6;

static SECRETS: Mutex<Vec<Zeroizing<String>>> = Mutex::new(Vec::new());
static SHOW_SECRETS: AtomicBool = AtomicBool::new(false);
static JSON: AtomicBool = AtomicBool::new(false);
static VERBOSITY: AtomicU8 = AtomicU8::new(0);

/// What the replacement of a redacted secret reads.
pub(crate) const REDACTED: &str = "[redacted]";

/// `--show-secrets`: secrets are printed whole.
pub(crate) fn set_show_secrets(show: bool) {
    SHOW_SECRETS.store(show, Ordering::Relaxed);
}

/// Whether `--show-secrets` was given.
pub(crate) fn show_secrets() -> bool {
    SHOW_SECRETS.load(Ordering::Relaxed)
}

/// `--json`: commands print one JSON object on stdout.
pub(crate) fn set_json(json: bool) {
    JSON.store(json, Ordering::Relaxed);
}

/// Whether `--json` was given.
pub(crate) fn json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// 0 quiet, 1 `-v` (request and status lines), 2 `--trace` or `-vv` (headers and bodies).
pub(crate) fn set_verbosity(level: u8) {
    VERBOSITY.store(level, Ordering::Relaxed);
}

/// The verbosity set by `-v` / `--trace`.
pub(crate) fn verbosity() -> u8 {
    VERBOSITY.load(Ordering::Relaxed)
}

fn secrets() -> std::sync::MutexGuard<'static, Vec<Zeroizing<String>>> {
    SECRETS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn add(secret: &str) {
    if secret.len() < MIN_SECRET {
        return;
    }
    let mut all = secrets();
    if !all.iter().any(|s| s.as_str() == secret) {
        all.push(Zeroizing::new(secret.to_owned()));
        // Longest first, so a secret that contains another is replaced whole.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// RFC 3986 percent-encoding (OAuth 1.0a, and `Basic` for app-only).
pub(crate) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `application/x-www-form-urlencoded` (a space as `+`).
fn form_encode(value: &str) -> String {
    percent_encode(value).replace("%20", "+")
}

/// Redacts `secret` from everything shown from now on, in the encodings it travels in.
pub(crate) fn register(secret: &str) {
    add(secret);
    add(&percent_encode(secret));
    add(&form_encode(secret));
    // X's tokens hold literal `%2F`: decoded once, as a server might echo them.
    if let Ok(decoded) = oauth1_sign::decode(secret) {
        add(&decoded);
    }
}

/// Redacts the `Basic` credentials built from `user` and `password` (every encoding X's
/// endpoints use), and `password` itself.
pub(crate) fn register_basic(user: &str, password: &str) {
    register(password);
    let engine = base64::engine::general_purpose::STANDARD;
    for (u, p) in [
        (user.to_owned(), password.to_owned()),
        (percent_encode(user), percent_encode(password)),
        (form_encode(user), form_encode(password)),
    ] {
        let joined = Zeroizing::new(format!("{u}:{p}"));
        add(&engine.encode(joined.as_bytes()));
    }
}

/// `text` with every registered secret replaced by [`REDACTED`] (nothing replaced under
/// `--show-secrets`).
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    if show_secrets() {
        return Cow::Borrowed(text);
    }
    let all = secrets();
    let mut text = Cow::Borrowed(text);
    for secret in all.iter() {
        if text.contains(secret.as_str()) {
            text = Cow::Owned(text.replace(secret.as_str(), REDACTED));
        }
    }
    text
}

/// Whether `c` must not reach a terminal as it is.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// `text` with control characters escaped: `\x1b`, `\r`, `\u{202e}` (newline and tab kept).
pub(crate) fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) && u32::from(c) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` as it may be shown: secrets redacted, then control characters escaped.
pub(crate) fn clean(text: &str) -> String {
    sanitize(&redact(text)).into_owned()
}

/// Writes `text` and a newline to stdout; a closed pipe ends the run quietly.
pub(crate) fn out(text: &str) {
    let mut line = clean(text);
    line.push('\n');
    write_stdout(line.as_bytes());
}

/// Writes bytes to stdout as they are (already cleaned, or a JSON document).
pub(crate) fn write_stdout(bytes: &[u8]) {
    let mut stdout = io::stdout().lock();
    let written = stdout.write_all(bytes).and_then(|()| stdout.flush());
    if let Err(e) = written {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(BROKEN_PIPE);
        }
        // Anything else (a full disk): say so once, and stop.
        err(&format!("twauth: cannot write to stdout: {e}"));
        std::process::exit(1);
    }
}

/// Writes `text` and a newline to stderr (errors writing it are ignored: there is nowhere to
/// report them).
pub(crate) fn err(text: &str) {
    let mut line = clean(text);
    line.push('\n');
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(line.as_bytes());
    let _ = stderr.flush();
}

/// `value` as JSON text that is safe on a terminal: every string in it redacted and, since
/// `serde_json` escapes only C0 controls, `DEL`, C1 and bidi controls escaped as `\uXXXX`
/// (valid JSON still).
pub(crate) fn json_text(value: &serde_json::Value, pretty: bool) -> String {
    let value = redact_json(value.clone());
    let text = if pretty {
        serde_json::to_string_pretty(&value)
    } else {
        serde_json::to_string(&value)
    }
    .unwrap_or_default();
    let mut line = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if is_unsafe(c) {
            // Only inside strings (JSON's own syntax is ASCII and newlines): a \u escape is
            // valid there.
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(line, "\\u{unit:04x}");
            }
        } else {
            line.push(c);
        }
    }
    line
}

/// Prints `value` as one line of JSON on stdout (see [`json_text`]).
pub(crate) fn out_json(value: &serde_json::Value) {
    let mut line = json_text(value, false);
    line.push('\n');
    write_stdout(line.as_bytes());
}

/// Prints `value` as indented JSON on stdout (see [`json_text`]).
pub(crate) fn out_json_pretty(value: &serde_json::Value) {
    let mut text = json_text(value, true);
    text.push('\n');
    write_stdout(text.as_bytes());
}

/// Prints `value` as one line of JSON on stderr (see [`json_text`]).
pub(crate) fn err_json(value: &serde_json::Value) {
    let mut line = json_text(value, false);
    line.push('\n');
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(line.as_bytes());
    let _ = stderr.flush();
}

/// Every string (and key) of `value` with the registered secrets redacted.
pub(crate) fn redact_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(redact(&s).into_owned()),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (redact(&k).into_owned(), redact_json(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Prints a line on stdout: `outln!("{x}")`.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::ui::out(&format!($($arg)*)) };
}

/// Prints a line on stderr: `errln!("{x}")`.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::ui::err(&format!($($arg)*)) };
}

pub(crate) use {errln, outln};

/// A warning on stderr: `twauth: warning: …`.
pub(crate) fn warn(text: &str) {
    err(&format!("twauth: warning: {text}"));
}

/// Unix seconds now.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `HH:MM:SS UTC` of a Unix time.
pub(crate) fn clock_time(unix: u64) -> String {
    let secs = unix % 86_400;
    format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Whether stderr is a terminal (live countdowns) or a pipe or file (one line per wait).
pub(crate) fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// Sleeps `duration`, saying why and until when: a live countdown on a terminal, one line
/// otherwise.
pub(crate) fn sleep_with_countdown(duration: Duration, what: &str) {
    if duration < Duration::from_secs(1) {
        std::thread::sleep(duration);
        return;
    }
    let countdown = Countdown::start(duration, what);
    std::thread::sleep(duration);
    drop(countdown);
}

/// A countdown on stderr while something else waits (the browser, a rate-limit reset): on a
/// terminal one line rewritten every second, cleared when dropped; elsewhere a single line
/// with the deadline.
pub(crate) struct Countdown {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Countdown {
    /// Starts counting down `total` for `what` (e.g. "waiting for the browser").
    pub(crate) fn start(total: Duration, what: &str) -> Self {
        let until = unix_now() + total.as_secs();
        if !stderr_is_terminal() || json() {
            err(&format!(
                "{what}: up to {}s (until {})…",
                total.as_secs(),
                clock_time(until)
            ));
            return Self {
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let what = clean(what);
        let thread = std::thread::spawn(move || {
            let mut stderr = io::stderr();
            loop {
                let left = until.saturating_sub(unix_now());
                // Only our own text and numbers: the carriage return is deliberate.
                let _ = write!(
                    stderr,
                    "\r\x1b[K{what}: {left}s left (until {})…",
                    clock_time(until)
                );
                let _ = stderr.flush();
                match stopped.recv_timeout(Duration::from_secs(1)) {
                    Err(mpsc::RecvTimeoutError::Timeout) if left > 0 => {}
                    _ => break,
                }
            }
            let _ = write!(stderr, "\r\x1b[K");
            let _ = stderr.flush();
        });
        Self {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Countdown {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Whole seconds since the Unix epoch (0 before it), as `--json` prints instants.
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_newlines_kept() {
        let text = "a\x1b]0;owned\x07b\r\nc\x1b[2J\u{9b}d\u{202e}e\tf\u{7f}";
        assert_eq!(
            sanitize(text),
            "a\\x1b]0;owned\\x07b\\r\nc\\x1b[2J\\x9bd\\u{202e}e\tf\\x7f"
        );
        assert!(matches!(sanitize("plain text\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn registered_secrets_and_their_encodings_are_redacted() {
        register("s3cr3t/with space+plus");
        register_basic("client-id-1", "client-secret-1");
        let text = "x s3cr3t/with space+plus y s3cr3t%2Fwith%20space%2Bplus z \
                    s3cr3t%2Fwith+space%2Bplus";
        let shown = redact(text);
        assert_eq!(shown, "x [redacted] y [redacted] z [redacted]");
        let basic = base64::engine::general_purpose::STANDARD.encode("client-id-1:client-secret-1");
        assert_eq!(redact(&format!("Basic {basic}")), "Basic [redacted]");
        assert_eq!(redact("short"), "short");
    }

    #[test]
    fn clock_times() {
        assert_eq!(clock_time(0), "00:00:00 UTC");
        assert_eq!(clock_time(86_400 + 3_661), "01:01:01 UTC");
    }
}
