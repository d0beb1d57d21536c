//! A real browser against the fake X: headless Chromium, driven through chromedriver with the
//! W3C WebDriver protocol, opens the authorize URL that `twauth login … --no-browser` prints,
//! clicks Authorize on the mock's consent page, and the CLI receives the callback and stores a
//! working token. A screenshot of each consent page lands in `target/test-artifacts/`.
//!
//! Without `/usr/bin/chromium` or `chromedriver` the tests skip (saying so on stderr), unless
//! `TWAUTH_REQUIRE_BROWSER=1` is set (as `cargo xtask ci` does after installing both): then they
//! fail.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Value, json};
use twitter_auth_mock::{Consent, DEMO_NATIVE_APP, DEMO_WEB_APP, MockConfig, MockX};
use twitter_auth_ureq::ureq;

const CHROMIUM: &str = "/usr/bin/chromium";

const VARS: [&str; 10] = [
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

/// One browser at a time: two Chromiums on a small machine make each other slow.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// A fresh temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "twauth-browser-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every child process the test started, killed and reaped on drop (also on panic).
#[derive(Default)]
struct Children(Vec<Child>);

impl Children {
    fn push(&mut self, child: Child) -> usize {
        self.0.push(child);
        self.0.len() - 1
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The path of `chromedriver`: on `PATH`, or Debian's `/usr/bin/chromedriver`.
fn chromedriver() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("chromedriver"))
        .find(|p| p.is_file())
}

/// The chromedriver to use, or `None` when the test should skip.
fn browser_available() -> Option<PathBuf> {
    let driver = chromedriver();
    let chromium = Path::new(CHROMIUM).is_file();
    if let (Some(driver), true) = (&driver, chromium) {
        return Some(driver.clone());
    }
    let missing = match (chromium, driver.is_some()) {
        (false, false) => "chromium and chromedriver are",
        (false, true) => "chromium is",
        _ => "chromedriver is",
    };
    assert!(
        std::env::var("TWAUTH_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "TWAUTH_REQUIRE_BROWSER=1 but {missing} not installed ({CHROMIUM}, chromedriver on PATH \
         or /usr/bin/chromedriver); install them with \
         `apt-get install -y chromium chromium-driver` or run `cargo xtask ci`"
    );
    eprintln!(
        "skipping the browser test: chromium/chromedriver not installed (cargo xtask ci installs them)"
    );
    None
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts");
    std::fs::create_dir_all(&dir).expect("the artifacts directory");
    dir
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// A WebDriver session on a chromedriver this test started.
struct Driver {
    agent: ureq::Agent,
    base: String,
    session: Option<String>,
}

impl Driver {
    fn start(children: &mut Children, driver: &Path, tag: &str, profile: &Path) -> Self {
        let port = free_port();
        let log = std::fs::File::create(artifacts().join(format!("chromedriver-{tag}.log")))
            .expect("a chromedriver log file");
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log)
            .spawn()
            .expect("chromedriver starts");
        children.push(child);
        let mut driver = Self {
            agent: agent(),
            base: format!("http://127.0.0.1:{port}"),
            session: None,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = driver
                .agent
                .get(&format!("{}/status", driver.base))
                .call()
                .ok()
                .and_then(|r| r.into_body().read_to_string().ok())
                .and_then(|s| serde_json::from_str::<Value>(&s).ok())
                .is_some_and(|v| v["value"]["ready"] == json!(true));
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver never became ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let created = driver.send("POST", "/session", &caps);
        let id = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        driver.session = Some(id);
        driver
    }

    /// One WebDriver command; panics on a WebDriver error.
    fn send(&self, method: &str, path: &str, body: &Value) -> Value {
        let url = format!("{}{path}", self.base);
        let response = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body.to_string()),
        }
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status();
        let text = response
            .into_body()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .expect("a WebDriver answer");
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"));
        assert!(status.is_success(), "{method} {path}: {status}: {value}");
        value
    }

    fn session_path(&self, rest: &str) -> String {
        format!(
            "/session/{}{rest}",
            self.session.as_deref().expect("a session")
        )
    }

    fn open(&self, url: &str) {
        self.send("POST", &self.session_path("/url"), &json!({ "url": url }));
    }

    fn screenshot(&self, file: &Path) {
        let shot = self.send("GET", &self.session_path("/screenshot"), &Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["value"].as_str().expect("base64 PNG"))
            .expect("valid base64");
        std::fs::write(file, png).expect("the screenshot is written");
    }

    fn click(&self, css: &str) {
        let found = self.send(
            "POST",
            &self.session_path("/element"),
            &json!({"using": "css selector", "value": css}),
        );
        let element = found["value"]
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned();
        self.send(
            "POST",
            &self.session_path(&format!("/element/{element}/click")),
            &json!({}),
        );
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(id) = self.session.take() {
            let _ = self
                .agent
                .delete(&format!("{}/session/{id}", self.base))
                .call();
        }
    }
}

/// A running `twauth` (the process itself lives in [`Children`]).
struct Login {
    index: usize,
    stdout: ChildStdout,
    stderr: BufReader<ChildStderr>,
    seen: String,
}

fn spawn(children: &mut Children, home: &Path, args: &[&str]) -> Login {
    let mut command = Command::new(env!("CARGO_BIN_EXE_twauth"));
    for var in VARS {
        command.env_remove(var);
    }
    let mut child = command
        .args(args)
        .env("XDG_CONFIG_HOME", home)
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("twauth starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
    Login {
        index: children.push(child),
        stdout,
        stderr,
        seen: String::new(),
    }
}

impl Login {
    /// Reads stderr until the authorize URL (a line that is only an `http` URL) appears.
    fn authorize_url(&mut self) -> String {
        loop {
            let mut line = String::new();
            let read = self
                .stderr
                .read_line(&mut line)
                .expect("stderr is readable");
            assert!(
                read > 0,
                "twauth ended without an authorize URL; stderr:\n{}",
                self.seen
            );
            self.seen.push_str(&line);
            let trimmed = line.trim();
            if trimmed.starts_with("http") && !trimmed.contains(' ') {
                return trimmed.to_owned();
            }
        }
    }

    /// Waits (at most 60 s) for `twauth` to end: its exit code, stdout and stderr.
    fn finish(mut self, children: &mut Children) -> (Option<i32>, String, String) {
        let child = &mut children.0[self.index];
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().expect("twauth can be waited for") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "twauth did not end within 60 s of the click; stderr so far:\n{}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut rest = String::new();
        self.stderr
            .read_to_string(&mut rest)
            .expect("stderr is readable");
        let mut stdout = String::new();
        self.stdout
            .read_to_string(&mut stdout)
            .expect("stdout is readable");
        (status.code(), stdout, format!("{}{rest}", self.seen))
    }
}

/// The demo world with `redirect` registered for both apps and a consent page to click.
fn mock(redirect: &str) -> MockX {
    let mut config = MockConfig::default();
    for app in &mut config.apps {
        app.callbacks.push(redirect.to_owned());
    }
    config.consent = Consent::Page;
    MockX::start(config).expect("mock")
}

/// Opens `url` in Chromium, saves a screenshot as `consent-{tag}.png`, clicks `#allow`, and
/// checks that `login` then ends successfully.
fn authorize_in_browser(
    children: &mut Children,
    driver: &Path,
    tag: &str,
    url: &str,
    login: Login,
) {
    let profile = TempDir::new(&format!("{tag}-chromium"));
    let browser = Driver::start(children, driver, tag, &profile.0);
    browser.open(url);
    let shot = artifacts().join(format!("consent-{tag}.png"));
    let _ = std::fs::remove_file(&shot);
    browser.screenshot(&shot);
    browser.click("#allow");
    let (code, stdout, stderr) = login.finish(children);
    drop(browser);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(stdout.contains("@mock_alice"), "{stdout}");
    let png = std::fs::read(&shot).expect("the screenshot exists");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        shot.display()
    );
}

fn assert_whoami(home: &Path, mock: &MockX) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_twauth"));
    for var in VARS {
        command.env_remove(var);
    }
    let who = command
        .args(["whoami", "--base-url", mock.base_url()])
        .env("XDG_CONFIG_HOME", home)
        .current_dir(home)
        .output()
        .expect("twauth runs");
    let stdout = String::from_utf8_lossy(&who.stdout);
    assert!(
        who.status.success(),
        "whoami stderr: {}",
        String::from_utf8_lossy(&who.stderr)
    );
    assert!(stdout.contains("@mock_alice"), "{stdout}");
}

fn redirect() -> String {
    format!("http://127.0.0.1:{}/callback", free_port())
}

#[test]
fn oauth2_login_by_clicking_authorize_in_chromium() {
    let Some(driver) = browser_available() else {
        return;
    };
    let _one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let redirect = redirect();
    let mock = mock(&redirect);
    let home = TempDir::new("oauth2");
    let id = mock
        .config()
        .app(DEMO_NATIVE_APP)
        .and_then(|a| a.client_id())
        .expect("a client id")
        .to_owned();
    let auth = format!("{}/i/oauth2/authorize", mock.base_url());
    let mut children = Children::default();
    let args = [
        "login",
        "oauth2",
        "--no-browser",
        "--timeout",
        "60",
        "--redirect",
        &redirect,
        "--client-id",
        &id,
        "--base-url",
        mock.base_url(),
        "--auth-url",
        &auth,
    ];
    let mut login = spawn(&mut children, &home.0, &args);
    let url = login.authorize_url();
    assert!(url.starts_with(&auth), "{url}");
    authorize_in_browser(&mut children, &driver, "oauth2", &url, login);
    drop(children);
    assert_whoami(&home.0, &mock);
}

#[test]
fn oauth1_callback_login_by_clicking_authorize_in_chromium() {
    let Some(driver) = browser_available() else {
        return;
    };
    let _one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let redirect = redirect();
    let mock = mock(&redirect);
    let home = TempDir::new("oauth1");
    let app = mock.config().app(DEMO_WEB_APP).expect("a web app");
    let (key, secret) = (app.consumer_key.clone(), app.consumer_secret.clone());
    let mut children = Children::default();
    let args = [
        "login",
        "oauth1",
        "--no-browser",
        "--callback",
        &redirect,
        "--timeout",
        "60",
        "--consumer-key",
        &key,
        "--consumer-secret",
        &secret,
        "--base-url",
        mock.base_url(),
    ];
    let mut login = spawn(&mut children, &home.0, &args);
    let url = login.authorize_url();
    assert!(url.contains("/oauth/"), "{url}");
    authorize_in_browser(&mut children, &driver, "oauth1", &url, login);
    drop(children);
    assert_whoami(&home.0, &mock);
}
