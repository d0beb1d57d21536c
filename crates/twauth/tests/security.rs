//! Attacks on the CLI (issue 15, items 5, 6 and 8), each against the built binary on loopback:
//!
//! - a `.env` in the working directory that points `TWAUTH_BASE_URL` at another host: no
//!   stored credential reaches a host the profile did not record;
//! - a server whose error texts carry terminal escape sequences: no control character
//!   reaches the terminal, on stderr or stdout;
//! - a server that echoes the request (headers and body) in its error text: no secret is
//!   printed.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2::{App, Scope, Scopes, TokenSet};
use twitter_auth_core::{AccessToken, ClientId, ClientSecret, Endpoints, RefreshToken};
use twitter_auth_mock::{DEMO_WEB_APP, MockConfig, MockX};
use twitter_auth_std::FileStore;
use twitter_auth_ureq::Grants;

mod common;
use common::*;

const CLIENT_ID: &str = "Y2xpZW50LWlkLWZvci10ZXN0czoxOmNp";
const CLIENT_SECRET: &str = "client-secret-that-must-never-show-0001";
const ACCESS: &str = "access-token-that-must-never-show-0001";
const REFRESH: &str = "refresh-token-that-must-never-show-0001";
const BEARER: &str = "AAAAAAAAAAAAAAAAAAAAAbearer-that-must-never-show-0001";

/// A grant for the profile `default`, stored as `login oauth2` would store it, with the
/// profile recording `base` as the host that issued it.
fn stored_grant(home: &Home, base: &str, expires_in: u64) {
    let now = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let tokens = TokenSet::from_parts(
        AccessToken::new(ACCESS),
        Some(RefreshToken::new(REFRESH)),
        Scopes::from([Scope::TweetRead, Scope::UsersRead, Scope::OfflineAccess]),
        Some(UNIX_EPOCH + Duration::from_secs(now + expires_in)),
    )
    .expect("a token set");
    let client = App::confidential(ClientId::new(CLIENT_ID), ClientSecret::new(CLIENT_SECRET))
        .with_endpoints(Endpoints::local(base).expect("endpoints"));
    let grants = Grants::new(
        twitter_auth_ureq::Transport::new(),
        client,
        Arc::new(FileStore::new(home.tokens())),
    );
    grants
        .login(&UserKey::new("default").expect("a key"), tokens)
        .expect("stored");
    write_profile(
        home,
        "default",
        &serde_json::json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "bearer_token": BEARER,
            "consumer_key": "consumer-key-0001",
            "consumer_secret": "consumer-secret-that-must-never-show-1",
            "base_url": format!("{base}/"),
        }),
    );
}

/// Every secret of [`stored_grant`], and the `Basic` header of its client.
fn secrets() -> Vec<String> {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    vec![
        CLIENT_SECRET.to_owned(),
        ACCESS.to_owned(),
        REFRESH.to_owned(),
        BEARER.to_owned(),
        "consumer-secret-that-must-never-show-1".to_owned(),
        basic,
    ]
}

fn assert_no_secret(run: &Run, what: &str) {
    for secret in secrets() {
        assert!(
            !run.stdout.contains(&secret) && !run.stderr.contains(&secret),
            "{what} printed a secret ({secret}):\nstdout: {}\nstderr: {}",
            run.stdout,
            run.stderr
        );
    }
}

/// Item 5: the profile's credentials were issued by the mock; a `.env` in the working
/// directory says `TWAUTH_BASE_URL=<attacker>`. No command sends anything there: each is
/// refused, naming both hosts and the flag that would allow it. With `--allow-other-host`
/// (a flag `.env` cannot set) it goes, with a warning.
#[test]
fn a_dotenv_cannot_send_stored_credentials_to_another_host() {
    let mock = MockX::start(MockConfig::default()).expect("mock");
    let attacker = FakeServer::start(|_| (200, "application/json", b"{}".to_vec()));
    let home = Home::new("dotenv-attack");
    stored_grant(&home, mock.base_url(), 3600);
    let web = mock.config().app(DEMO_WEB_APP).expect("the web app");
    let token = &web.user_tokens[0];
    // The OAuth 1.0a token too, in a second profile issued by the mock.
    write_profile(
        &home,
        "one",
        &serde_json::json!({
            "consumer_key": web.consumer_key,
            "consumer_secret": web.consumer_secret,
            "access_token": token.token,
            "access_token_secret": token.secret,
            "base_url": mock.base_url(),
        }),
    );
    std::fs::write(
        home.0.join(".env"),
        format!("TWAUTH_BASE_URL={}\n", attacker.url),
    )
    .expect("written");
    for args in [
        &["whoami"][..],
        &["request", "2/users/me"][..],
        &[
            "request",
            "--auth",
            "app-only",
            "2/users/by/username/mock_bob",
        ][..],
        &["refresh"][..],
        &["revoke"][..],
        &["invalidate", "app-only"][..],
        &["token", "app-only"][..],
        &["-u", "one", "whoami"][..],
        &[
            "-u",
            "one",
            "request",
            "1.1/account/verify_credentials.json",
        ][..],
        &["-u", "one", "invalidate", "oauth1"][..],
        &["-u", "one", "login", "oauth1", "--pin", "--no-browser"][..],
        &["login", "oauth2", "--no-browser", "--timeout", "1"][..],
    ] {
        let run = twauth(&home, args, &[]);
        assert_eq!(
            run.code,
            Some(1),
            "{args:?}: stdout {} stderr {}",
            run.stdout,
            run.stderr
        );
        assert!(
            run.stderr.contains("refused") || run.stderr.contains("one profile keeps one host"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&attacker.url),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("TWAUTH_BASE_URL in ./.env"),
            "{args:?}: {}",
            run.stderr
        );
        assert_no_secret(&run, &format!("{args:?}"));
    }
    assert!(
        attacker.seen().is_empty(),
        "the attacker got requests: {:?}",
        attacker.seen()
    );
    // A full URL elsewhere is refused the same way (no .env needed).
    std::fs::remove_file(home.0.join(".env")).expect("removed");
    let run = twauth(
        &home,
        &["request", &format!("{}/2/users/me", attacker.url)],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("refused"), "{}", run.stderr);
    assert!(attacker.seen().is_empty());
    // Without the attack, the stored grant works at its own host.
    let run = twauth(&home, &["-u", "one", "whoami"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    // The explicit flag sends them, and says so.
    std::fs::write(
        home.0.join(".env"),
        format!("TWAUTH_BASE_URL={}\n", attacker.url),
    )
    .expect("written");
    let run = twauth(&home, &["-u", "one", "whoami", "--allow-other-host"], &[]);
    assert!(run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(attacker.seen().len(), 1, "sent only when asked to");
}

/// A text with every trick a terminal acts on: a title change, a screen clear, a carriage
/// return that overwrites the line, a C1 CSI, a bidi override.
const ESCAPES: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\roverwritten\u{9b}31m\u{202e}desrever";

fn assert_clean(run: &Run, what: &str) {
    assert!(
        !has_control(&run.stderr) && !run.stderr.contains('\u{202e}'),
        "{what}: a control character reached stderr: {:?}",
        run.stderr
    );
    assert!(
        !has_control(&run.stdout) && !run.stdout.contains('\u{202e}'),
        "{what}: a control character reached stdout: {:?}",
        run.stdout
    );
}

/// Item 6: a server answering with escape sequences in `error_description`, in a v2 problem,
/// in a v1.1 error message, and in a text body. Nothing it sends reaches the terminal raw:
/// control characters are shown escaped (`\x1b`).
#[test]
fn escape_sequences_from_the_server_never_reach_the_terminal() {
    let body = |request: &Seen| -> (u16, &'static str, Vec<u8>) {
        let path = request
            .head
            .split(' ')
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        if path.starts_with("/2/oauth2/token") {
            let json = serde_json::json!({"error": "invalid_client", "error_description": ESCAPES});
            (401, "application/json", json.to_string().into_bytes())
        } else if path.starts_with("/2/users/me") {
            let json =
                serde_json::json!({"title": ESCAPES, "detail": ESCAPES, "type": "about:blank"});
            (
                403,
                "application/problem+json",
                json.to_string().into_bytes(),
            )
        } else if path.starts_with("/1.1/") {
            let json = serde_json::json!({"errors": [{"code": 32, "message": ESCAPES}]});
            (401, "application/json", json.to_string().into_bytes())
        } else {
            (200, "text/plain", ESCAPES.as_bytes().to_vec())
        }
    };
    let evil = FakeServer::start(body);
    let home = Home::new("escapes");
    // The grant is due (expires in 10 s, within the refresh margin): every use refreshes.
    stored_grant(&home, &evil.url, 10);
    let oauth1 = [
        ("TWAUTH_CONSUMER_KEY", "ck"),
        ("TWAUTH_CONSUMER_SECRET", "cs"),
        ("TWAUTH_ACCESS_TOKEN", "1-at"),
        ("TWAUTH_ACCESS_TOKEN_SECRET", "ats"),
    ];
    for (args, env) in [
        (&["refresh"][..], &[][..]),
        (&["--json", "refresh"][..], &[][..]),
        (&["whoami"][..], &[][..]),
        (&["request", "2/users/me"][..], &[][..]),
        (
            &["request", "--auth", "app-only", "2/users/me"][..],
            &[][..],
        ),
        (
            &["request", "--auth", "app-only", "--fail", "2/users/me"][..],
            &[][..],
        ),
        (
            &["--json", "request", "--auth", "app-only", "2/users/me"][..],
            &[][..],
        ),
        (&["request", "--auth", "app-only", "text"][..], &[][..]),
        (
            &["--trace", "request", "--auth", "app-only", "text"][..],
            &[][..],
        ),
        (
            &["request", "1.1/account/verify_credentials.json"][..],
            &oauth1[..],
        ),
    ] {
        let run = twauth(&home, args, env);
        assert!(run.code.is_some(), "{args:?} ended by a signal");
        assert_clean(&run, &format!("{args:?}"));
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            all.contains("\\x1b") || all.contains("\\u001b"),
            "{args:?}: the text is shown, escaped: {all}"
        );
    }
    // `--raw` is the one way to get the bytes as sent (for a file, not a terminal).
    let run = twauth(
        &home,
        &["request", "--auth", "app-only", "--raw", "text"],
        &[],
    );
    assert!(run.stdout.contains(ESCAPES), "{:?}", run.stdout);
}

/// Item 8: a server that echoes each request (headers and body) in its error texts. Whatever
/// twauth sent (the Basic header of the client, the refresh token, the bearer, the access
/// token), none of it is printed, in text or JSON, on stdout or stderr, `--trace` included.
#[test]
fn a_server_echoing_the_request_makes_no_secret_show() {
    let echo = |request: &Seen| -> (u16, &'static str, Vec<u8>) {
        let text = format!("{}\n{}", request.head, request.body);
        let json = if request.head.contains("/2/oauth2/") {
            serde_json::json!({"error": "invalid_client", "error_description": text})
        } else {
            serde_json::json!({"title": "Unauthorized", "detail": text, "type": "about:blank", "echo": text})
        };
        let status = if request.head.contains("/2/oauth2/") {
            401
        } else {
            400
        };
        (status, "application/json", json.to_string().into_bytes())
    };
    let evil = FakeServer::start(echo);
    let home = Home::new("echo");
    stored_grant(&home, &evil.url, 3600);
    for args in [
        &["refresh"][..],
        &["--json", "refresh"][..],
        &["--trace", "refresh"][..],
        &["revoke"][..],
        &["whoami"][..],
        &["--json", "whoami"][..],
        &["request", "2/users/me"][..],
        &["--json", "request", "2/users/me"][..],
        &["--trace", "request", "2/users/me"][..],
        &["request", "--auth", "app-only", "2/users/me"][..],
        &["request", "--auth", "app-only", "--fail", "2/users/me"][..],
        &["invalidate", "app-only"][..],
        &["token", "app-only"][..],
    ] {
        let run = twauth(&home, args, &[]);
        assert_no_secret(&run, &format!("{args:?}"));
        assert!(
            run.stdout.contains("[redacted]") || run.stderr.contains("[redacted]"),
            "{args:?}: the echo is shown, redacted:\nstdout {}\nstderr {}",
            run.stdout,
            run.stderr
        );
    }
    let seen = evil.seen();
    assert!(
        seen.iter().any(|s| s.body.contains(REFRESH)),
        "the refresh token was sent (and echoed)"
    );
    assert!(seen.iter().any(|s| s.head.contains(BEARER)));
    // `--show-secrets` prints what the user asked to see.
    let run = twauth(&home, &["status", "--show-secrets"], &[]);
    assert!(run.stdout.contains(ACCESS), "{}", run.stdout);
    let run = twauth(&home, &["status"], &[]);
    assert_no_secret(&run, "status");
    let _ = Duration::ZERO;
}
