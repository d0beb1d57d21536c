//! The mock's sockets seen from a raw `TcpStream`: dropped connections and lost answers send
//! nothing at all, a dropped `MockX` closes its port and its connections, a delayed answer does
//! not hold up other requests, and an oversized body is refused (contract §4.6, §6.4).

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use twitter_auth_mock::{Fault, FaultKind, MockConfig, MockX};

use crate::support::{FORM, FORM_UTF8, Mock, OAuth1, basic, form, text};

/// How long a test waits for the mock to answer or close before calling it a hang.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// A connection to the mock with a read timeout, so a hang fails the test instead of stalling it.
pub(crate) fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("the mock accepts connections");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("a read timeout");
    stream
}

/// A complete HTTP/1.1 request (keep-alive: the server, not the request, decides to close).
pub(crate) fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Reads until the peer closes the connection (EOF) or resets it; a timeout is a failure.
/// Returns every byte that arrived before that.
pub(crate) fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                        | ErrorKind::BrokenPipe
                ) =>
            {
                return received;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!(
                "the connection neither closed nor reset within {PATIENCE:?} ({e}); got {:?}",
                String::from_utf8_lossy(&received)
            ),
        }
    }
}

/// Reads one answer on a keep-alive connection: the head, then `Content-Length` bytes of body.
/// Returns the status and the body.
pub(crate) fn read_one_answer(stream: &mut TcpStream) -> (u16, Vec<u8>) {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buffer).expect("an answer");
        assert!(n > 0, "closed before a whole head: {received:?}");
        received.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8(received[..head_end].to_vec()).expect("an ASCII head");
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head}"));
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or_else(|| panic!("no Content-Length in {head}"));
    let mut body = received[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buffer).expect("the rest of the body");
        assert!(n > 0, "closed in the middle of the body");
        body.extend_from_slice(&buffer[..n]);
    }
    assert_eq!(body.len(), length, "nothing beyond the one answer");
    (status, body)
}

/// A public-client refresh request for `refresh_token`, as raw bytes.
fn raw_refresh(x: &Mock, refresh_token: &str) -> Vec<u8> {
    let body = form(&[
        ("refresh_token", refresh_token),
        ("grant_type", "refresh_token"),
        ("client_id", x.native().client_id().expect("client id")),
    ]);
    http_request(
        x.addr(),
        "POST",
        "/2/oauth2/token",
        &[("Content-Type", FORM)],
        body.as_bytes(),
    )
}

/// Sends `request` on a fresh connection and returns what came back before the close.
fn send_and_read_until_closed(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = connect(addr);
    stream.write_all(request).expect("the request is written");
    read_until_closed(&mut stream)
}

#[test]
fn a_dropped_connection_sends_nothing_and_leaves_the_refresh_token_usable() {
    let x = Mock::start();
    let body = x.pkce_login(x.native(), "tweet.read users.read offline.access");
    let refresh_token = text(&body, "refresh_token");
    x.inject(Fault::new("/2/oauth2/token", 1, FaultKind::DropConnection));

    let received = send_and_read_until_closed(x.addr(), &raw_refresh(&x, refresh_token));
    assert!(
        received.is_empty(),
        "not one byte of an answer: {:?}",
        String::from_utf8_lossy(&received)
    );
    assert_eq!(x.counters().faults, 1);
    // Closed before it was processed: the same refresh token still works.
    let answer = x.refresh(x.native(), refresh_token);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(x.counters().refresh_replays, 0);
}

#[test]
fn a_lost_response_sends_nothing_but_spends_the_refresh_token() {
    let x = Mock::start();
    let body = x.pkce_login(x.native(), "tweet.read users.read offline.access");
    let refresh_token = text(&body, "refresh_token");
    x.inject(Fault::new("/2/oauth2/token", 1, FaultKind::LoseResponse));

    let received = send_and_read_until_closed(x.addr(), &raw_refresh(&x, refresh_token));
    assert!(
        received.is_empty(),
        "not one byte of an answer: {:?}",
        String::from_utf8_lossy(&received)
    );
    assert_eq!(
        x.counters().refreshes,
        1,
        "processed before the connection died"
    );
    // Rotated at the server: the client's copy is dead (contract §4.6).
    let answer = x.refresh(x.native(), refresh_token);
    assert_eq!(
        answer.oauth2_error(400, "invalid_request"),
        "Value passed for the refresh token was invalid."
    );
}

#[test]
fn a_dropped_connection_on_a_get_sends_nothing_either() {
    let x = Mock::start();
    x.inject(Fault::new("/2/users/me", 1, FaultKind::DropConnection));
    let header = x.sign(OAuth1::owner(x.web()), "GET", "/2/users/me", None);
    let request = http_request(
        x.addr(),
        "GET",
        "/2/users/me",
        &[("Authorization", &header)],
        b"",
    );
    assert!(send_and_read_until_closed(x.addr(), &request).is_empty());
}

#[test]
fn dropping_the_mock_closes_its_port_and_its_connections() {
    let x = MockX::start(MockConfig::default()).expect("the mock starts");
    let addr = x.addr();
    let mut open = connect(addr);
    let request = http_request(addr, "GET", "/2/users/me", &[], b"");
    open.write_all(&request).expect("the request is written");
    let (status, _) = read_one_answer(&mut open);
    // No credential: 401 (contract §6.4). The connection stays open (keep-alive).
    assert_eq!(status, 401);

    drop(x);

    let refused = TcpStream::connect_timeout(&addr, PATIENCE);
    assert!(refused.is_err(), "still accepting on {addr} after drop");
    let after = read_until_closed(&mut open);
    assert!(
        after.is_empty(),
        "bytes after the drop: {:?}",
        String::from_utf8_lossy(&after)
    );
    let rebound = TcpListener::bind(addr);
    assert!(rebound.is_ok(), "{addr} is not free again: {rebound:?}");
}

#[test]
fn a_delayed_answer_does_not_hold_up_other_requests() {
    let x = Mock::start();
    let delay = Duration::from_millis(1500);
    x.inject(Fault::new("/2/users/me", 1, FaultKind::Delay(delay)));
    let app = x.web();
    let slow_done = AtomicBool::new(false);

    std::thread::scope(|scope| {
        let slow = scope.spawn(|| {
            let started = Instant::now();
            let answer = x.signed_get(OAuth1::owner(app), "/2/users/me");
            slow_done.store(true, Ordering::SeqCst);
            (answer, started.elapsed())
        });

        // Wait until the slow request has reached the mock (its delay has begun).
        let deadline = Instant::now() + PATIENCE;
        while x.counters().requests_to("/2/users/me") == 0 {
            assert!(Instant::now() < deadline, "the slow request never arrived");
            std::thread::sleep(Duration::from_millis(5));
        }

        let started = Instant::now();
        let answer = x.send(
            x.request(
                "POST",
                "/oauth2/token",
                Some(&basic(&app.consumer_key, &app.consumer_secret)),
            )
            .header("content-type", FORM_UTF8)
            .body(b"grant_type=client_credentials".to_vec())
            .expect("a request"),
        );
        let fast = started.elapsed();
        assert_eq!(answer.status, 200, "{answer:?}");
        // Ordering, not a timing budget: the other request is answered while the slow one waits.
        assert!(
            !slow_done.load(Ordering::SeqCst),
            "the delayed request finished before the other one (which took {fast:?})"
        );

        let (slow_answer, slow_elapsed) = slow.join().expect("the slow request");
        assert_eq!(slow_answer.status, 200, "{slow_answer:?}");
        assert!(slow_elapsed >= delay, "{slow_elapsed:?}");
    });
}

#[test]
fn a_body_over_one_mebibyte_is_413() {
    let x = Mock::start();
    let app = x.web();
    let authorization = basic(&app.consumer_key, &app.consumer_secret);
    let mut body = b"grant_type=client_credentials&padding=".to_vec();
    body.resize(1 << 20, b'a');

    // Exactly 1 MiB is read and answered.
    let answer = x.send(
        x.request("POST", "/oauth2/token", Some(&authorization))
            .header("content-type", FORM_UTF8)
            .body(body.clone())
            .expect("a request"),
    );
    assert_eq!(answer.status, 200, "{answer:?}");

    // One byte more is refused.
    body.push(b'a');
    let request = http_request(
        x.addr(),
        "POST",
        "/oauth2/token",
        &[
            ("Authorization", &authorization),
            ("Content-Type", FORM_UTF8),
        ],
        &body,
    );
    let mut stream = connect(x.addr());
    stream.write_all(&request).expect("the request is written");
    let (status, _) = read_one_answer(&mut stream);
    assert_eq!(status, 413, "Payload Too Large");
    assert_eq!(
        x.counters().bearer_tokens,
        1,
        "only the first request got a token"
    );
}
