//! The app in a real browser: headless Chromium, driven through chromedriver with the W3C
//! WebDriver protocol (as `crates/twauth/tests/browser.rs` does), against the embedded fake X
//! on loopback. Click "Log in with X", click Authorize on X's consent page, land back as
//! `@mock_alice`; `/me` works, and still works after the access token expired (refreshed once);
//! Log out; `/me` is refused. A screenshot of each step lands in `target/test-artifacts/`.
//!
//! Without `/usr/bin/chromium` or `chromedriver` the test skips (saying so on stderr), unless
//! `TWAUTH_REQUIRE_BROWSER=1` is set (as `cargo xtask ci` does after installing both): then it
//! fails.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{TempDir, TestApp};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";

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
    if let (Some(driver), true) = (&driver, Path::new(CHROMIUM).is_file()) {
        return Some(driver.clone());
    }
    assert!(
        std::env::var("TWAUTH_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "TWAUTH_REQUIRE_BROWSER=1 but chromium ({CHROMIUM}) or chromedriver is not installed; \
         `apt-get install -y chromium chromium-driver` or run `cargo xtask ci`"
    );
    eprintln!(
        "skipping the browser test: chromium/chromedriver not installed (cargo xtask ci installs them)"
    );
    None
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts");
    std::fs::create_dir_all(&dir).expect("the artifacts directory");
    dir
}

/// A chromedriver process and its WebDriver session, both ended on drop.
struct Driver {
    agent: ureq::Agent,
    base: String,
    session: Option<String>,
    child: Child,
}

impl Driver {
    fn start(driver: &Path, profile: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = std::fs::File::create(artifacts().join("chromedriver-login-with-x.log"))
            .expect("a chromedriver log file");
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log)
            .spawn()
            .expect("chromedriver starts");
        let mut driver = Self {
            agent: common::agent(),
            base: format!("http://127.0.0.1:{port}"),
            session: None,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !driver
            .agent
            .get(&format!("{}/status", driver.base))
            .call()
            .ok()
            .and_then(|r| r.into_body().read_to_string().ok())
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .is_some_and(|v| v["value"]["ready"] == json!(true))
        {
            assert!(Instant::now() < deadline, "chromedriver never became ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let created = driver.send("POST", "/session", &caps);
        let id = created["value"]["sessionId"].as_str().map(str::to_owned);
        driver.session = Some(id.unwrap_or_else(|| panic!("no session: {created}")));
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

    fn path(&self, rest: &str) -> String {
        format!(
            "/session/{}{rest}",
            self.session.as_deref().expect("a session")
        )
    }

    fn open(&self, url: &str) {
        self.send("POST", &self.path("/url"), &json!({ "url": url }));
    }

    /// The page's HTML as the browser holds it.
    fn source(&self) -> String {
        let value = self.send("GET", &self.path("/source"), &Value::Null);
        value["value"].as_str().expect("the page source").to_owned()
    }

    fn current_url(&self) -> String {
        let value = self.send("GET", &self.path("/url"), &Value::Null);
        value["value"].as_str().expect("the URL").to_owned()
    }

    /// What `read` gives once `done` holds for it, or after 15 s whatever it gives: a click
    /// that submits a form returns before the navigation it starts has finished (on a loaded
    /// machine the old page is still there).
    fn when<T>(&self, read: impl Fn(&Self) -> T, done: impl Fn(&T) -> bool) -> T {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let value = read(self);
            if done(&value) || Instant::now() > deadline {
                return value;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Saves a screenshot as `target/test-artifacts/login-with-x-{name}.png`.
    fn screenshot(&self, name: &str) {
        let shot = self.send("GET", &self.path("/screenshot"), &Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["value"].as_str().expect("base64 PNG"))
            .expect("valid base64");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is not a PNG");
        let file = artifacts().join(format!("login-with-x-{name}.png"));
        std::fs::write(&file, png).expect("the screenshot is written");
    }

    fn click(&self, css: &str) {
        let found = self.send(
            "POST",
            &self.path("/element"),
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
            &self.path(&format!("/element/{element}/click")),
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn log_in_with_x_in_chromium_refresh_and_log_out() {
    let Some(chromedriver) = browser_available() else {
        return;
    };
    let app = TestApp::with_mock("browser");
    let x = app.mock();
    let profile = TempDir::new("chromium");
    let browser = Driver::start(&chromedriver, &profile.0);

    // The home page: "Log in with X".
    browser.open(&app.url(""));
    browser.screenshot("1-home");
    assert!(browser.source().contains("Log in with X"));

    // X's consent page (the fake X's, in-process): Authorize.
    browser.click("#login");
    let at_x = browser.when(Driver::current_url, |url| url.starts_with(x.base_url()));
    assert!(at_x.starts_with(x.base_url()), "at X: {at_x}");
    let consent = browser.when(Driver::source, |page| page.contains("Authorize"));
    assert!(consent.contains("Authorize"), "{consent}");
    browser.screenshot("2-consent");
    browser.click("#allow");

    // Back on the app, logged in.
    assert_eq!(
        browser.when(Driver::current_url, |url| *url == app.url("")),
        app.url(""),
        "back home, nothing in the URL"
    );
    let home = browser.when(Driver::source, |page| page.contains("@mock_alice"));
    browser.screenshot("3-logged-in");
    assert!(home.contains("@mock_alice"), "{home}");

    // `/me`: X's answer, as JSON.
    browser.open(&app.url("me"));
    browser.screenshot("4-me");
    let me = browser.source();
    assert!(me.contains(r#""username":"mock_alice""#), "{me}");
    assert_eq!(x.counters().refreshes, 0);

    // Two hours later the access token is dead: `/me` refreshes it first, exactly once.
    x.advance(Duration::from_secs(7200));
    browser.open(&app.url("me"));
    browser.screenshot("5-me-after-expiry");
    let me = browser.source();
    assert!(me.contains(r#""username":"mock_alice""#), "{me}");
    assert_eq!(x.counters().refreshes, 1, "one refresh at X");
    browser.open(&app.url("me"));
    assert_eq!(x.counters().refreshes, 1, "and no more");

    // Log out: both tokens revoked at X; `/me` refused.
    browser.open(&app.url(""));
    browser.click("#logout");
    let out = browser.when(Driver::source, |page| page.contains("Log in with X"));
    assert!(out.contains("Log in with X"), "{out}");
    browser.screenshot("6-logged-out");
    assert_eq!(x.counters().revocations, 2);
    browser.open(&app.url("me"));
    browser.screenshot("7-me-refused");
    assert!(browser.source().contains("not logged in"));
}
