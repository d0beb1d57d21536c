//! The HTTP shell under abuse (`ServerLimits`): slowloris connections that send nothing or
//! trickle a head are closed at the header-read timeout while other clients are served, idle
//! kept-alive connections and stalled bodies at the idle timeout, a body cut short is a 400
//! (not a 413), and past the connection cap new connections wait for a free slot.
//!
//! Every wait is bounded: each test states the timeout it configures and the slack it allows.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use twitter_auth_mock::{MockConfig, ServerLimits};

use crate::connections::{PATIENCE, connect, http_request, read_one_answer, read_until_closed};
use crate::support::{FORM_UTF8, Mock, OAuth1, basic};

/// The short timeouts these tests configure.
const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
const IDLE_TIMEOUT: Duration = Duration::from_secs(1);
/// How late after its deadline a connection may be closed (scheduling on a loaded 2-core CI
/// machine) before the test calls it held.
const SLACK: Duration = Duration::from_secs(3);

fn mock(limits: ServerLimits) -> Mock {
    Mock::with(MockConfig {
        server: limits,
        ..MockConfig::default()
    })
}

fn short_timeouts() -> ServerLimits {
    ServerLimits {
        header_read_timeout: HEADER_TIMEOUT,
        idle_timeout: IDLE_TIMEOUT,
        ..ServerLimits::default()
    }
}

/// Waits until `condition` holds, for at most `PATIENCE`; false if it never did.
fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    condition()
}

/// The app-only token request, as raw bytes on a connection that stays open.
fn bearer_request(x: &Mock) -> Vec<u8> {
    let app = x.web();
    http_request(
        x.addr(),
        "POST",
        "/oauth2/token",
        &[
            (
                "Authorization",
                &basic(&app.consumer_key, &app.consumer_secret),
            ),
            ("Content-Type", FORM_UTF8),
        ],
        b"grant_type=client_credentials",
    )
}

#[test]
fn slowloris_connections_that_send_nothing_are_dropped_while_others_are_served() {
    const ATTACKERS: usize = 200;
    const REQUESTS_DURING_THE_ATTACK: usize = 20;
    // Long enough for the other requests to be served while the attack holds, even on a
    // loaded machine.
    const HEADER_TIMEOUT: Duration = Duration::from_secs(3);
    let x = mock(ServerLimits {
        header_read_timeout: HEADER_TIMEOUT,
        ..short_timeouts()
    });

    let opened = Instant::now();
    let mut silent: Vec<TcpStream> = (0..ATTACKERS).map(|_| connect(x.addr())).collect();
    assert!(
        eventually(|| x.open_connections() >= ATTACKERS),
        "the mock accepted {} of {ATTACKERS} connections",
        x.open_connections()
    );

    // Normal clients keep being served while every attacker holds its connection.
    let mut slowest = Duration::ZERO;
    for _ in 0..REQUESTS_DURING_THE_ATTACK {
        let started = Instant::now();
        let answer = x.signed_get(OAuth1::owner(x.web()), "/2/users/me");
        assert_eq!(answer.status, 200, "{answer:?}");
        slowest = slowest.max(started.elapsed());
    }
    let served_by = opened.elapsed();
    assert!(
        served_by < HEADER_TIMEOUT,
        "the {REQUESTS_DURING_THE_ATTACK} requests should be served before the attackers time out ({served_by:?})"
    );
    assert!(
        x.open_connections() >= ATTACKERS,
        "the attackers are still connected while the others are served"
    );

    // Each attacker is closed (EOF or reset, without a byte of answer) after the timeout.
    for stream in &mut silent {
        let received = read_until_closed(stream);
        assert!(
            received.is_empty(),
            "an answer to nothing: {:?}",
            String::from_utf8_lossy(&received)
        );
    }
    let all_closed_after = opened.elapsed();
    assert!(
        all_closed_after >= HEADER_TIMEOUT,
        "closed before the header-read timeout ({all_closed_after:?})"
    );
    assert!(
        all_closed_after <= HEADER_TIMEOUT + SLACK,
        "{ATTACKERS} silent connections held for {all_closed_after:?}"
    );
    assert!(
        eventually(|| x.open_connections() <= 1),
        "{} connections still open (only the client's kept-alive one may remain)",
        x.open_connections()
    );
    assert!(x.timed_out_connections() >= ATTACKERS as u64);
    assert_eq!(x.handler_panics(), 0);
    eprintln!(
        "slowloris: {ATTACKERS} silent connections, header timeout {HEADER_TIMEOUT:?}: \
         {REQUESTS_DURING_THE_ATTACK} requests served in {served_by:?} (slowest {slowest:?}), \
         every attacker closed {all_closed_after:?} after opening"
    );
}

#[test]
fn a_head_that_trickles_in_is_cut_at_the_header_read_timeout() {
    let x = mock(short_timeouts());
    let mut stream = connect(x.addr());
    let opened = Instant::now();
    stream
        .write_all(b"GET /2/users/me HTTP/1.1\r\n")
        .expect("the request line is written");
    // One header byte every 100 ms: each read makes progress, the head never completes.
    let mut closed = false;
    while opened.elapsed() < HEADER_TIMEOUT + SLACK {
        std::thread::sleep(Duration::from_millis(100));
        if stream.write_all(b"X").is_err() {
            closed = true;
            break;
        }
        stream
            .set_read_timeout(Some(Duration::from_millis(1)))
            .expect("a read timeout");
        let mut byte = [0_u8; 1];
        match stream.read(&mut byte) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(_) => panic!("an answer to half a head"),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    let elapsed = opened.elapsed();
    assert!(
        closed,
        "a trickling head held the connection for {elapsed:?}"
    );
    assert!(
        elapsed >= HEADER_TIMEOUT && elapsed <= HEADER_TIMEOUT + SLACK,
        "closed after {elapsed:?}, the header-read timeout is {HEADER_TIMEOUT:?}"
    );
    assert_eq!(x.counters().requests_to("/2/users/me"), 0);
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let x = mock(ServerLimits {
        header_read_timeout: Duration::from_secs(30),
        idle_timeout: IDLE_TIMEOUT,
        ..ServerLimits::default()
    });
    let mut stream = connect(x.addr());
    // A request within the idle timeout reuses the connection ...
    let mut answered = Instant::now();
    for _ in 0..2 {
        stream
            .write_all(&bearer_request(&x))
            .expect("the request is written");
        let (status, _) = read_one_answer(&mut stream);
        answered = Instant::now();
        assert_eq!(status, 200);
        std::thread::sleep(IDLE_TIMEOUT / 3);
    }
    // ... then silence closes it, timed from the last answer read (not from after the sleep,
    // which a loaded machine stretches).
    let after = read_until_closed(&mut stream);
    let elapsed = answered.elapsed();
    assert!(after.is_empty(), "{:?}", String::from_utf8_lossy(&after));
    // The server's clock starts when it wrote the answer, a little before it was read here.
    let early = Duration::from_millis(100);
    assert!(
        elapsed + early >= IDLE_TIMEOUT && elapsed <= IDLE_TIMEOUT + SLACK,
        "closed {elapsed:?} after the last answer, the idle timeout is {IDLE_TIMEOUT:?}"
    );
    assert!(eventually(|| x.open_connections() == 0));
}

#[test]
fn a_body_that_stops_arriving_is_408_and_the_connection_closed() {
    let x = mock(ServerLimits {
        header_read_timeout: Duration::from_secs(30),
        idle_timeout: IDLE_TIMEOUT,
        ..ServerLimits::default()
    });
    let mut request = bearer_request(&x);
    // Announce 100 more bytes than are sent, and keep the connection open.
    let head_end = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    let body = request.split_off(head_end);
    let head = String::from_utf8(request).expect("ASCII").replace(
        &format!("Content-Length: {}", body.len()),
        &format!("Content-Length: {}", body.len() + 100),
    );
    let mut stream = connect(x.addr());
    let started = Instant::now();
    stream.write_all(head.as_bytes()).expect("the head");
    stream.write_all(&body).expect("part of the body");
    let (status, _) = read_one_answer(&mut stream);
    let elapsed = started.elapsed();
    assert_eq!(status, 408, "Request Timeout");
    assert!(
        elapsed >= IDLE_TIMEOUT && elapsed <= IDLE_TIMEOUT + SLACK,
        "answered after {elapsed:?}, the idle timeout is {IDLE_TIMEOUT:?}"
    );
    assert!(read_until_closed(&mut stream).is_empty());
    assert_eq!(x.counters().bearer_tokens, 0, "the endpoint never saw it");
}

#[test]
fn a_body_cut_short_is_400_not_413() {
    let x = mock(ServerLimits::default());
    let mut stream = connect(x.addr());
    let head = format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: {}\r\nContent-Type: {FORM_UTF8}\r\nContent-Length: 100\r\n\r\n",
        x.addr()
    );
    stream.write_all(head.as_bytes()).expect("the head");
    stream
        .write_all(b"grant_type=client_credentials")
        .expect("29 of the 100 bytes");
    // The client is done sending: the body will never be whole.
    stream.shutdown(Shutdown::Write).expect("half-close");
    let (status, body) = read_one_answer(&mut stream);
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    // In the shape of the path's family: a v1.1 error list, not a 413.
    let json: serde_json::Value = serde_json::from_slice(&body).expect("a JSON body");
    assert!(
        json.get("errors").is_some() || json.get("title").is_some(),
        "{json}"
    );
    assert!(read_until_closed(&mut stream).is_empty());
    assert_eq!(x.counters().bearer_tokens, 0);
    assert_eq!(x.counters().requests_to("/oauth2/token"), 1);
}

#[test]
fn past_the_connection_cap_a_new_connection_waits_for_a_free_slot() {
    const CAP: usize = 3;
    let x = mock(ServerLimits {
        max_connections: CAP,
        header_read_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        ..ServerLimits::default()
    });
    // CAP clients each get an answer and keep their connection open.
    let mut held: Vec<TcpStream> = (0..CAP)
        .map(|_| {
            let mut stream = connect(x.addr());
            stream
                .write_all(&bearer_request(&x))
                .expect("the request is written");
            assert_eq!(read_one_answer(&mut stream).0, 200);
            stream
        })
        .collect();
    assert_eq!(x.open_connections(), CAP);

    // One more: the kernel completes its handshake, the mock does not serve it.
    let mut waiting = connect(x.addr());
    waiting
        .write_all(&bearer_request(&x))
        .expect("the request is written");
    waiting
        .set_read_timeout(Some(Duration::from_millis(700)))
        .expect("a read timeout");
    let mut byte = [0_u8; 1];
    let early = waiting.read(&mut byte);
    assert!(
        matches!(&early, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "served past the cap: {early:?}"
    );
    assert_eq!(x.open_connections(), CAP, "never more than the cap");
    assert_eq!(x.counters().requests_to("/oauth2/token"), CAP as u64);

    // A slot frees up: the waiting connection is accepted and answered.
    let freed = Instant::now();
    drop(held.pop());
    waiting
        .set_read_timeout(Some(PATIENCE))
        .expect("a read timeout");
    assert_eq!(read_one_answer(&mut waiting).0, 200);
    assert!(freed.elapsed() < SLACK, "{:?}", freed.elapsed());
    assert_eq!(x.counters().requests_to("/oauth2/token"), CAP as u64 + 1);
    assert!(x.open_connections() <= CAP);
}
