//! The loopback callback receiver and the pasted-redirect fallback, over real sockets on
//! 127.0.0.1 and ::1 with ephemeral ports.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, SystemTime};

use rand::SeedableRng as _;
use twitter_auth_core::oauth2::{App, Scope, Scopes};
use twitter_auth_core::{ClientId, Endpoints};
use twitter_auth_mock::{Consent, DEMO_NATIVE_APP, MockConfig, MockX};
use twitter_auth_std::{LoopbackError, LoopbackReceiver, ReceivedCallback, read_pasted_redirect};

/// Long enough for any test machine; short enough that a broken test does not hang.
const PATIENCE: Duration = Duration::from_secs(30);

/// What the "browser" got back.
#[derive(Debug)]
struct Page {
    status: u16,
    content_type: String,
    body: String,
}

fn agent(follow_redirects: bool) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(if follow_redirects { 10 } else { 0 })
        .timeout_global(Some(PATIENCE))
        .build()
        .into()
}

fn get_with(agent: &ureq::Agent, url: &str) -> Page {
    let mut response = agent.get(url).call().expect("the receiver answers");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Page {
        status: response.status().as_u16(),
        content_type,
        body: response.body_mut().read_to_string().expect("a text body"),
    }
}

fn get(url: &str) -> Page {
    get_with(&agent(false), url)
}

/// A receiver on `redirect` that gives up after [`PATIENCE`].
fn bind(redirect: &str) -> LoopbackReceiver {
    LoopbackReceiver::bind(redirect)
        .expect("loopback binds")
        .with_timeout(PATIENCE)
}

/// Runs `browser` on a thread while `receiver` waits; returns both outcomes.
fn round<T: Send + 'static>(
    receiver: LoopbackReceiver,
    browser: impl FnOnce() -> T + Send + 'static,
) -> (Result<ReceivedCallback, LoopbackError>, T) {
    let browser = thread::spawn(browser);
    let received = receiver.receive();
    (received, browser.join().expect("the browser thread ends"))
}

/// `http://127.0.0.1:PORT` of a redirect URI.
fn origin(redirect: &str) -> String {
    let url = url::Url::parse(redirect).expect("a URL");
    url.origin().ascii_serialization()
}

#[test]
fn other_paths_get_404_and_the_callback_is_received() {
    let receiver = bind("http://127.0.0.1:0/callback");
    let redirect = receiver.redirect_uri();
    assert!(redirect.starts_with("http://127.0.0.1:"), "{redirect}");
    assert!(redirect.ends_with("/callback"), "{redirect}");
    assert!(
        !redirect.contains(":0/"),
        "the actual port is reported: {redirect}"
    );
    let base = origin(&redirect);

    let (received, (favicon, page)) = round(receiver, move || {
        let favicon = get(&format!("{base}/favicon.ico"));
        (favicon, get(&format!("{base}/callback?state=s&code=c")))
    });

    assert_eq!(favicon.status, 404);
    let callback = received.expect("the callback");
    assert_eq!(callback.url(), format!("{redirect}?state=s&code=c"));
    assert!(callback.url().ends_with("/callback?state=s&code=c"));
    assert_eq!(callback.error(), None);
    assert_eq!(page.status, 200);
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    assert!(page.body.contains("<html"), "{}", page.body);
    assert!(
        page.body.contains("You can close this tab"),
        "{}",
        page.body
    );
}

#[test]
fn the_port_of_the_redirect_uri_is_kept() {
    // Find a free port, release it, then ask for it explicitly.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let receiver = bind(&format!("http://127.0.0.1:{port}/cb/x"));
    assert_eq!(
        receiver.redirect_uri(),
        format!("http://127.0.0.1:{port}/cb/x")
    );
    let (received, page) = round(receiver, move || {
        get(&format!(
            "http://127.0.0.1:{port}/cb/x?oauth_token=t&oauth_verifier=v"
        ))
    });
    assert_eq!(page.status, 200);
    let callback = received.expect("the OAuth 1.0a callback");
    assert!(
        callback
            .url()
            .ends_with("/cb/x?oauth_token=t&oauth_verifier=v")
    );
}

#[test]
fn an_error_answer_is_returned_and_shown_as_refused() {
    let receiver = bind("http://127.0.0.1:0/callback");
    let base = origin(&receiver.redirect_uri());
    let (received, page) = round(receiver, move || {
        get(&format!("{base}/callback?error=access_denied&state=s"))
    });
    let callback = received.expect("the refusal is a callback");
    assert_eq!(callback.error(), Some("access_denied"));
    assert!(
        callback
            .url()
            .ends_with("/callback?error=access_denied&state=s")
    );
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("Authorization was refused: access_denied"),
        "{}",
        page.body
    );
}

#[test]
fn an_oauth1_denial_is_returned_without_showing_its_token() {
    let receiver = bind("http://127.0.0.1:0/callback");
    let base = origin(&receiver.redirect_uri());
    let (received, page) = round(receiver, move || {
        get(&format!("{base}/callback?denied=REQUESTTOKEN"))
    });
    let callback = received.expect("the denial is a callback");
    assert_eq!(callback.error(), Some("denied"));
    assert!(callback.url().ends_with("?denied=REQUESTTOKEN"));
    assert!(
        page.body.contains("Authorization was refused"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("REQUESTTOKEN"), "{}", page.body);
}

#[test]
fn the_error_code_is_html_escaped() {
    let receiver = bind("http://127.0.0.1:0/callback");
    let base = origin(&receiver.redirect_uri());
    let (received, page) = round(receiver, move || {
        get(&format!("{base}/callback?error=%3Cscript%3E%26"))
    });
    assert_eq!(received.expect("a callback").error(), Some("<script>&"));
    assert!(page.body.contains("&lt;script&gt;&amp;"), "{}", page.body);
    assert!(!page.body.contains("<script>"), "{}", page.body);
}

#[test]
fn requests_on_the_path_that_are_no_answer_get_400_or_405() {
    let receiver = bind("http://127.0.0.1:0/callback");
    let base = origin(&receiver.redirect_uri());
    let (received, (bare, code_only, post, page)) = round(receiver, move || {
        let agent = agent(false);
        let bare = get(&format!("{base}/callback"));
        let code_only = get(&format!("{base}/callback?code=c"));
        let post = agent
            .post(format!("{base}/callback?state=s&code=c"))
            .send("")
            .expect("an answer")
            .status()
            .as_u16();
        (
            bare,
            code_only,
            post,
            get(&format!("{base}/callback?code=c&state=s")),
        )
    });
    assert_eq!(bare.status, 400);
    assert_eq!(code_only.status, 400);
    assert_eq!(post, 405);
    assert_eq!(page.status, 200);
    assert!(
        received
            .expect("the callback")
            .url()
            .ends_with("?code=c&state=s")
    );
}

#[test]
fn nobody_calling_is_a_timeout() {
    let receiver = LoopbackReceiver::bind("http://127.0.0.1:0/callback")
        .expect("binds")
        .with_timeout(Duration::from_millis(200));
    let error = receiver.receive().expect_err("nobody calls");
    assert!(matches!(error, LoopbackError::Timeout { .. }), "{error:?}");
    assert!(error.to_string().contains("200ms"), "{error}");
}

#[test]
fn the_receiver_stops_listening_when_done() {
    let receiver = LoopbackReceiver::bind("http://127.0.0.1:0/callback")
        .expect("binds")
        .with_timeout(Duration::from_millis(50));
    let redirect = receiver.redirect_uri();
    assert!(receiver.receive().is_err());
    // The same port can be listened on again.
    let again = LoopbackReceiver::bind(&redirect).expect("the port was released");
    assert_eq!(again.redirect_uri(), redirect);
}

fn ipv6_available() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

#[test]
fn localhost_listens_on_ipv4_and_ipv6() {
    let receiver = bind("http://localhost:0/callback");
    let redirect = receiver.redirect_uri();
    assert!(redirect.starts_with("http://localhost:"), "{redirect}");
    let port = url::Url::parse(&redirect).unwrap().port().expect("a port");
    let (received, page) = round(receiver, move || {
        get(&format!("http://127.0.0.1:{port}/callback?state=s&code=v4"))
    });
    assert_eq!(page.status, 200);
    assert!(received.expect("over IPv4").url().ends_with("code=v4"));
    assert!(redirect.starts_with("http://localhost:"));

    if ipv6_available() {
        let receiver = bind("http://localhost:0/callback");
        let port = url::Url::parse(&receiver.redirect_uri())
            .unwrap()
            .port()
            .unwrap();
        let (received, page) = round(receiver, move || {
            get(&format!("http://[::1]:{port}/callback?state=s&code=v6"))
        });
        assert_eq!(page.status, 200);
        let callback = received.expect("over IPv6");
        assert!(callback.url().starts_with("http://localhost:"));
        assert!(callback.url().ends_with("code=v6"));
    }
}

#[test]
fn ipv6_loopback_binds() {
    if !ipv6_available() {
        return;
    }
    let receiver = bind("http://[::1]:0/");
    let redirect = receiver.redirect_uri();
    assert!(redirect.starts_with("http://[::1]:"), "{redirect}");
    let target = format!("{redirect}?state=s&code=c");
    let (received, page) = round(receiver, move || get(&target));
    assert_eq!(page.status, 200);
    assert!(
        received
            .expect("over IPv6")
            .url()
            .ends_with("/?state=s&code=c")
    );
}

#[test]
fn only_loopback_http_redirects_are_accepted() {
    for redirect in [
        "https://127.0.0.1:8765/callback",
        "http://example.com:8765/callback",
        "http://10.0.0.1:8765/callback",
        "http://127.0.0.2:8765/callback",
        "http://0.0.0.0:8765/callback",
        "http://[::]:8765/callback",
        "http://localhost.example:8765/callback",
        "twauth://callback",
        "oob",
        "not a url",
        "",
    ] {
        let error = LoopbackReceiver::bind(redirect).expect_err(redirect);
        assert!(
            matches!(error, LoopbackError::NotLoopback { .. }),
            "{redirect}: {error:?}"
        );
    }
}

#[test]
fn a_port_in_use_is_a_bind_error() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().unwrap().port();
    for redirect in [
        format!("http://127.0.0.1:{port}/callback"),
        format!("http://localhost:{port}/callback"),
    ] {
        match LoopbackReceiver::bind(&redirect) {
            Err(LoopbackError::Bind { addr, .. }) => assert_eq!(addr.port(), port),
            other => panic!("{redirect}: {other:?}"),
        }
    }
    if ipv6_available() {
        // `localhost` does not settle for 127.0.0.1 when someone else holds ::1.
        let taken6 = TcpListener::bind("[::1]:0").expect("an IPv6 port");
        let port = taken6.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            match LoopbackReceiver::bind(&format!("http://localhost:{port}/callback")) {
                Err(LoopbackError::Bind { addr, .. }) => assert!(addr.is_ipv6(), "{addr}"),
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn garbage_and_silent_clients_do_not_stop_the_callback() {
    let receiver = bind("http://127.0.0.1:0/callback");
    let base = origin(&receiver.redirect_uri());
    let addr = base.trim_start_matches("http://").to_owned();
    let (received, (garbage, page)) = round(receiver, move || {
        // Connects and never sends anything (kept open until the end).
        let silent = TcpStream::connect(&addr).expect("connects");
        // A half-sent head, then silence.
        let mut half = TcpStream::connect(&addr).expect("connects");
        half.write_all(b"GET /callback?state=s&co").unwrap();
        // Bytes that are no HTTP at all.
        let mut junk = TcpStream::connect(&addr).expect("connects");
        junk.set_read_timeout(Some(PATIENCE)).unwrap();
        junk.write_all(b"\x00\x01\x02\xff garbage \r\n\r\n")
            .unwrap();
        let mut garbage = String::new();
        let _ = junk.read_to_string(&mut garbage);
        // A head far too large (the receiver may reset it: only what follows matters).
        let mut huge = TcpStream::connect(&addr).expect("connects");
        let _ = huge.write_all(&vec![b'a'; 64 * 1024]);
        drop(huge);
        let page = get(&format!("{base}/callback?state=s&code=c"));
        drop((silent, half));
        (garbage, page)
    });
    assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage}");
    assert!(garbage.contains("Connection: close\r\n"), "{garbage}");
    assert_eq!(page.status, 200);
    assert!(
        received
            .expect("the callback")
            .url()
            .ends_with("?state=s&code=c")
    );
}

#[test]
fn a_pasted_redirect_is_read_from_one_line() {
    let mut input: &[u8] = b"  http://127.0.0.1:8765/callback?state=s&code=c \nnext line\n";
    let callback = read_pasted_redirect(&mut input).expect("a redirect");
    assert_eq!(
        callback.url(),
        "http://127.0.0.1:8765/callback?state=s&code=c"
    );
    assert_eq!(callback.error(), None);
    assert_eq!(input, b"next line\n", "only one line is read");

    let mut input: &[u8] = b"twauth://callback?error=access_denied&state=s\r\n";
    let callback = read_pasted_redirect(&mut input).expect("a refusal");
    assert_eq!(callback.error(), Some("access_denied"));

    let mut input: &[u8] = b"http://127.0.0.1:8765/callback?code=c&state=s"; // no newline
    assert!(read_pasted_redirect(&mut input).is_ok());
}

#[test]
fn a_pasted_line_that_is_no_redirect_is_refused() {
    for line in [
        &b""[..],
        b"\n",
        b"   \r\n",
        b"not a url\n",
        b"code=SECRETCODE&state=s\n",
        b"http://127.0.0.1:8765/callback\n",
        b"http://127.0.0.1:8765/callback?\n",
    ] {
        let mut input = line;
        let error = read_pasted_redirect(&mut input).expect_err("refused");
        assert!(
            matches!(error, LoopbackError::InvalidPaste { .. }),
            "{line:?}: {error:?}"
        );
        assert!(!error.to_string().contains("SECRETCODE"), "{error}");
    }
    let mut input: &[u8] = b"http://127.0.0.1/?code=\xff\xfe\n";
    let error = read_pasted_redirect(&mut input).expect_err("not UTF-8");
    assert!(matches!(error, LoopbackError::Io(_)), "{error:?}");
}

#[test]
fn debug_never_shows_the_query() {
    let mut input: &[u8] = b"http://127.0.0.1:8765/callback?state=STATEVALUE&code=SECRETCODE\n";
    let callback = read_pasted_redirect(&mut input).unwrap();
    let debug = format!("{callback:?}");
    assert!(!debug.contains("SECRETCODE"), "{debug}");
    assert!(!debug.contains("STATEVALUE"), "{debug}");
    assert!(debug.contains("http://127.0.0.1:8765/callback"), "{debug}");

    let receiver = bind("http://127.0.0.1:0/callback");
    assert!(format!("{receiver:?}").contains("127.0.0.1"));
}

#[test]
fn a_pkce_login_completes_through_the_mock() {
    let receiver = bind("http://127.0.0.1:0/callback");
    let redirect = receiver.redirect_uri();
    let mut config = MockConfig {
        consent: Consent::Approve,
        ..MockConfig::default()
    };
    let app = config
        .apps
        .iter_mut()
        .find(|app| app.name == DEMO_NATIVE_APP)
        .expect("the demo native app");
    app.callbacks.push(redirect.clone());
    let client_id = app.client_id().expect("an OAuth 2.0 client").to_owned();
    let mock = MockX::start(config).expect("the mock starts");

    let endpoints = Endpoints::local(mock.base_url()).expect("the mock's endpoints");
    let client = App::public(ClientId::new(client_id)).with_endpoints(endpoints);
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let scopes = Scopes::from([Scope::TweetRead, Scope::UsersRead]);
    let (authorize, pending) = client
        .authorize(&redirect, scopes)
        .expect("a valid request")
        .start(SystemTime::now(), &mut rng);

    // First another login's callback (a forged state, as a local process or a rebinding
    // page could send), then the browser, following X's redirect to the receiver.
    let forged = format!("{redirect}?state=SOMEONEELSE&code=forged");
    let browser = thread::spawn(move || {
        let forged = get(&forged);
        (forged, get_with(&agent(true), authorize.as_str()))
    });
    let received = receiver.receive_matching(|url| pending.matches(url));
    let (forged, page) = browser.join().expect("the browser thread ends");
    assert_eq!(forged.status, 400, "{}", forged.body);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("You can close this tab"));
    let callback = received.expect("the callback");
    assert!(!callback.url().contains("forged"), "{callback:?}");
    assert!(
        callback.url().starts_with(&format!("{redirect}?")),
        "{callback:?}"
    );
    assert!(pending.matches(callback.url()));
    let code = pending
        .on_callback(callback.url(), SystemTime::now())
        .expect("the callback carries this login's code");
    let _ = code;
}

/// Sends a raw `GET target` with the given `Host` header lines to `addr`; returns the answer.
fn raw_get(addr: &str, target: &str, hosts: &[&str]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut head = format!("GET {target} HTTP/1.1\r\n");
    for host in hosts {
        head.push_str(&format!("Host: {host}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

#[test]
fn a_callback_the_login_does_not_accept_gets_400_and_waiting_goes_on() {
    let receiver = bind("http://127.0.0.1:0/callback");
    let redirect = receiver.redirect_uri();
    let base = origin(&redirect);
    let browser = thread::spawn(move || {
        let wrong = get(&format!("{base}/callback?state=WRONG&code=c1"));
        let refused = get(&format!("{base}/callback?error=access_denied&state=WRONG"));
        let right = get(&format!("{base}/callback?state=RIGHT&code=c2"));
        (wrong, refused, right)
    });
    let seen = std::sync::Mutex::new(Vec::new());
    let received = receiver.receive_matching(|url| {
        seen.lock().unwrap().push(url.to_owned());
        url.contains("state=RIGHT")
    });
    let (wrong, refused, right) = browser.join().expect("the browser thread ends");
    for page in [&wrong, &refused] {
        assert_eq!(page.status, 400, "{page:?}");
        assert!(
            page.body
                .contains("This callback does not belong to the login in progress."),
            "{}",
            page.body
        );
        assert!(!page.body.contains("WRONG"), "{}", page.body);
    }
    assert_eq!(right.status, 200, "{}", right.body);
    let callback = received.expect("the matching callback");
    assert_eq!(callback.url(), format!("{redirect}?state=RIGHT&code=c2"));
    // `accept` is asked with the full callback URL.
    assert_eq!(
        *seen.lock().unwrap(),
        [
            format!("{redirect}?state=WRONG&code=c1"),
            format!("{redirect}?error=access_denied&state=WRONG"),
            format!("{redirect}?state=RIGHT&code=c2"),
        ]
    );
}

#[test]
fn a_request_for_another_host_gets_400_and_waiting_goes_on() {
    let receiver = bind("http://127.0.0.1:0/callback");
    let base = origin(&receiver.redirect_uri());
    let addr = base.trim_start_matches("http://").to_owned();
    let port = addr.rsplit_once(':').unwrap().1.to_owned();
    let (received, (refused, page)) = round(receiver, move || {
        let target = "/callback?state=s&code=rebound";
        let refused: Vec<String> = [
            // A DNS-rebinding page: its own name, the receiver's port.
            vec![format!("evil.example:{port}")],
            vec!["evil.example".to_owned()],
            // Not the redirect URI's host or port.
            vec![format!("localhost:{port}")],
            vec![format!("[::1]:{port}")],
            vec!["127.0.0.1:1".to_owned()],
            vec!["127.0.0.1".to_owned()],
            vec![format!("127.0.0.1:{port}.evil.example")],
            // None, or two.
            vec![],
            vec![addr.clone(), "evil.example".to_owned()],
        ]
        .iter()
        .map(|hosts| {
            let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
            raw_get(&addr, target, &hosts)
        })
        .collect();
        (
            refused,
            raw_get(&addr, "/callback?state=s&code=good", &[&addr]),
        )
    });
    for answer in &refused {
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    }
    assert!(page.starts_with("HTTP/1.1 200 "), "{page}");
    let callback = received.expect("the callback with the right host");
    assert!(
        callback.url().ends_with("?state=s&code=good"),
        "{callback:?}"
    );
}

#[test]
fn localhost_accepts_its_loopback_hosts() {
    let hosts = |port: u16| {
        [
            format!("localhost:{port}"),
            format!("LocalHost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ]
    };
    for index in 0..4 {
        let receiver = bind("http://localhost:0/callback");
        let port = url::Url::parse(&receiver.redirect_uri())
            .unwrap()
            .port()
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        let host = hosts(port)[index].clone();
        let (received, page) = round(receiver, move || {
            let wrong = raw_get(&addr, "/callback?state=s&code=c", &["evil.example"]);
            assert!(wrong.starts_with("HTTP/1.1 400 "), "{wrong}");
            raw_get(&addr, "/callback?state=s&code=c", &[&host])
        });
        assert!(page.starts_with("HTTP/1.1 200 "), "{page}");
        assert!(received.is_ok(), "{received:?}");
    }
}

#[test]
fn a_pasted_url_without_an_answer_is_refused() {
    for line in [
        &b"http://127.0.0.1:8765/callback?foo=bar\n"[..],
        b"http://127.0.0.1:8765/callback?code=SECRETCODE\n",
        b"http://127.0.0.1:8765/callback?state=s\n",
        b"http://127.0.0.1:8765/callback?oauth_token=SECRETCODE\n",
    ] {
        let mut input = line;
        let error = read_pasted_redirect(&mut input).expect_err("no authorization answer");
        assert!(
            matches!(error, LoopbackError::InvalidPaste { .. }),
            "{line:?}: {error:?}"
        );
        assert!(!error.to_string().contains("SECRETCODE"), "{error}");
    }
    for line in [
        &b"http://127.0.0.1:8765/callback?oauth_token=t&oauth_verifier=v\n"[..],
        b"http://127.0.0.1:8765/callback?denied=t\n",
        b"http://127.0.0.1:8765/callback?error=access_denied\n",
    ] {
        let mut input = line;
        assert!(read_pasted_redirect(&mut input).is_ok(), "{line:?}");
    }
}

#[test]
fn loopback_errors_do_not_repeat_their_source() {
    use std::error::Error as _;
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().unwrap().port();
    let bind_error = LoopbackReceiver::bind(&format!("http://127.0.0.1:{port}/callback"))
        .expect_err("the port is taken");
    let mut input: &[u8] = b"http://127.0.0.1/?code=\xff\xfe\n";
    let io_error = read_pasted_redirect(&mut input).expect_err("not UTF-8");
    for error in [bind_error, io_error] {
        let source = error.source().expect("a source").to_string();
        let message = error.to_string();
        assert!(!message.contains(&source), "{message}");
        assert!(!message.ends_with('.'), "{message}");
    }
}
