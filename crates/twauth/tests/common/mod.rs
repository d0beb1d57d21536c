//! Helpers shared by the CLI tests: a fresh config home, running the built binary, and the demo
//! world's credentials.

// Each test binary uses its own subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::UNIX_EPOCH;

use twitter_auth_mock::{DEMO_WEB_APP, MockX};

/// Environment variables the CLI reads; cleared so the caller's shell cannot leak in.
pub(crate) const VARS: [&str; 10] = [
    "TWAUTH_PROFILE",
    "TWAUTH_CONSUMER_KEY",
    "TWAUTH_CONSUMER_SECRET",
    "TWAUTH_CLIENT_ID",
    "TWAUTH_CLIENT_SECRET",
    "TWAUTH_ACCESS_TOKEN",
    "TWAUTH_ACCESS_TOKEN_SECRET",
    "TWAUTH_BEARER_TOKEN",
    "TWAUTH_BASE_URL",
    "TWAUTH_AUTH_URL",
];

/// A fresh `XDG_CONFIG_HOME` (also the working directory), removed on drop.
pub(crate) struct Home(pub(crate) PathBuf);

impl Home {
    pub(crate) fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("twauth-cli-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Self(dir)
    }

    /// Where the CLI keeps profiles under this home.
    pub(crate) fn profiles(&self) -> PathBuf {
        self.0.join("twauth").join("profiles")
    }

    /// The token store (a `FileStore` directory) of every profile's OAuth 2.0 grant.
    pub(crate) fn tokens(&self) -> PathBuf {
        self.0.join("twauth").join("tokens")
    }

    /// The file of `profile`'s grant (a lowercase name: others are escaped).
    pub(crate) fn grant(&self, profile: &str) -> PathBuf {
        self.tokens().join(format!("{profile}.grant"))
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A finished `twauth` run.
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `twauth args` in `home` with only `env` of the `TWAUTH_*` variables set.
pub(crate) fn twauth(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_twauth"));
    for var in VARS {
        command.env_remove(var);
    }
    let output: Output = command
        .args(args)
        .envs(env.iter().copied())
        .env("XDG_CONFIG_HOME", &home.0)
        .current_dir(&home.0)
        .output()
        .expect("twauth runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The web app's consumer key/secret and its pre-issued OAuth 1.0a token for alice.
pub(crate) fn alice(mock: &MockX) -> [(&'static str, String); 4] {
    let app = mock.config().app(DEMO_WEB_APP).expect("a web app");
    let token = &app.user_tokens[0];
    [
        ("TWAUTH_CONSUMER_KEY", app.consumer_key.clone()),
        ("TWAUTH_CONSUMER_SECRET", app.consumer_secret.clone()),
        ("TWAUTH_ACCESS_TOKEN", token.token.clone()),
        ("TWAUTH_ACCESS_TOKEN_SECRET", token.secret.clone()),
    ]
}

/// Borrowed pairs for [`twauth`]'s `env`.
pub(crate) fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A file's permission bits.
#[cfg(unix)]
pub(crate) fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("the file exists")
        .permissions()
        .mode()
        & 0o777
}

/// Runs `twauth args` in `home` with `stdin` written to its standard input.
pub(crate) fn twauth_stdin(home: &Home, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut command = Command::new(env!("CARGO_BIN_EXE_twauth"));
    for var in VARS {
        command.env_remove(var);
    }
    let mut child = command
        .args(args)
        .envs(env.iter().copied())
        .env("XDG_CONFIG_HOME", &home.0)
        .current_dir(&home.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("twauth starts");
    let mut input = child.stdin.take().expect("piped stdin");
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    let output = child.wait_with_output().expect("twauth ends");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Writes `profile` (JSON) as the profile `name` under `home`.
pub(crate) fn write_profile(home: &Home, name: &str, profile: &serde_json::Value) {
    std::fs::create_dir_all(home.profiles()).expect("the store directory");
    std::fs::write(
        home.profiles().join(format!("{name}.json")),
        profile.to_string(),
    )
    .expect("written");
}

/// The profile `name` as stored.
pub(crate) fn read_profile(home: &Home, name: &str) -> serde_json::Value {
    let text = std::fs::read(home.profiles().join(format!("{name}.json"))).expect("the profile");
    serde_json::from_slice(&text).expect("JSON")
}

/// Whether `text` holds a character a terminal would act on (control characters other than
/// newline and tab, `DEL`, C1 controls).
pub(crate) fn has_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
}

/// One request a [`FakeServer`] received.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    /// `METHOD /path` and the headers, as sent.
    pub(crate) head: String,
    /// The body.
    pub(crate) body: String,
}

/// A hostile "X" on loopback: answers every request with what `answer` makes of it, and
/// records what it received. Stops (and its thread ends) when dropped.
pub(crate) struct FakeServer {
    pub(crate) url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    /// `answer(request) -> (status, content type, body)`.
    pub(crate) fn start(
        answer: impl Fn(&Seen) -> (u16, &'static str, Vec<u8>) + Send + 'static,
    ) -> Self {
        use std::io::{BufRead as _, BufReader, Read as _, Write as _};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            while !stop2.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                };
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                let mut reader = BufReader::new(stream);
                let mut head = String::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let request = Seen {
                    head,
                    body: String::from_utf8_lossy(&body).into_owned(),
                };
                let (status, content_type, bytes) = answer(&request);
                seen2.lock().expect("lock").push(request);
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    bytes.len()
                );
                let _ = stream.write_all(&bytes);
                let _ = stream.flush();
            }
        });
        Self {
            url,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// What it received so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
