//! Properties of the mock's sans-IO handler: any request, or short sequence of requests, is
//! answered like X, deterministically, and never leaks an app's secrets.

use ::twitter_auth_mock::{Handler, MockConfig};

use super::input::{message, text};

/// The handler's clock for the first request (each next one is a second later).
pub const NOW: u64 = 1_700_000_000;

/// Separates the requests of one input.
pub const SEPARATOR: &[u8] = b"\n=====\n";

/// At most this many requests per input.
const MAX_REQUESTS: usize = 4;

/// Browser pages: no rate-limit headers.
const PAGES: &[&str] = &[
    "/oauth/authorize",
    "/oauth/authenticate",
    "/i/oauth2/authorize",
];

/// One or more HTTP-like requests (`METHOD TARGET` on the first line, header lines, an empty
/// line, the body; a target starting with `/` goes to `http://127.0.0.1`), separated by
/// [`SEPARATOR`], sent in order to one seeded demo world.
///
/// Every request is answered (no fault was injected), never with a 500; every answer carries
/// a `Date` from the handler's clock, in `UTC` on the v2 API and `GMT` elsewhere; every API
/// answer carries `x-rate-limit-*` with `remaining <= limit`; a consumer or client secret
/// never appears in an answer unless the requests carried it; and a second world with the same seed answers byte for byte
/// the same.
pub fn handler(data: &[u8]) {
    let first = run(data);
    let second = run(data);
    assert_eq!(
        first, second,
        "two worlds with the same seed answered differently"
    );
}

/// What the world answered: status, headers and body per request.
type Transcript = Vec<(u16, Vec<(String, Vec<u8>)>, Vec<u8>)>;

fn run(data: &[u8]) -> Transcript {
    let config = MockConfig {
        seed: Some(16),
        ..MockConfig::default()
    };
    let secrets: Vec<String> = config
        .apps
        .iter()
        .flat_map(|app| {
            std::iter::once(app.consumer_secret.clone())
                .chain(app.client_secret().map(str::to_owned))
        })
        .collect();
    let mut world = Handler::new(config);
    let mut transcript = Vec::new();
    for (index, part) in split(data).into_iter().take(MAX_REQUESTS).enumerate() {
        let now = NOW + index as u64;
        let Some((request, path)) = request(part) else {
            continue;
        };
        let before = world.counters().requests_to(&path);
        let response = world
            .handle(now, request)
            .into_response()
            .expect("no fault was injected, so every request is answered");
        assert_eq!(
            world.counters().requests_to(&path),
            before + 1,
            "{path} not counted"
        );
        let status = response.status().as_u16();
        assert_ne!(status, 500, "{path} answered 500");
        let headers = response.headers();
        let date = headers
            .get("date")
            .and_then(|d| d.to_str().ok())
            .unwrap_or_else(|| panic!("{path}: no Date"));
        let v2 = path.starts_with("/2/") && !path.starts_with("/2/oauth2/");
        let (zone, rfc7231) = match date.strip_suffix(" UTC") {
            Some(stem) => ("UTC", format!("{stem} GMT")),
            None => ("GMT", date.to_owned()),
        };
        assert_eq!(zone, if v2 { "UTC" } else { "GMT" }, "{path}: Date {date}");
        let at = httpdate::parse_http_date(&rfc7231).unwrap_or_else(|_| panic!("Date {date}"));
        assert_eq!(
            at,
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(now)
        );
        if !PAGES.contains(&path.as_str()) {
            let number = |name: &str| -> u64 {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{path}: no {name}"))
            };
            assert!(number("x-rate-limit-remaining") <= number("x-rate-limit-limit"));
            assert!(number("x-rate-limit-reset") > now);
        }
        let mut seen: Vec<(String, Vec<u8>)> = headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect();
        seen.sort();
        let body = response.into_body();
        let contains = |bytes: &[u8], secret: &str| {
            bytes.windows(secret.len()).any(|w| w == secret.as_bytes())
        };
        // A secret the client sent itself may come back (a `state` is echoed, say).
        for secret in secrets.iter().filter(|s| !contains(data, s)) {
            let leaked = |bytes: &[u8]| contains(bytes, secret);
            assert!(
                !leaked(&body) && !seen.iter().any(|(_, v)| leaked(v)),
                "{path}: an app secret in the answer"
            );
        }
        transcript.push((status, seen, body));
    }
    transcript
}

/// The requests of one input.
fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        parts.push(&rest[..at]);
        rest = &rest[at + SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}

/// Builds the request of one part, and its path; `None` if it is not a valid HTTP request.
fn request(part: &[u8]) -> Option<(http::Request<Vec<u8>>, String)> {
    let m = message(part);
    let start = text(m.start);
    let (method, target) = start
        .split_once(' ')
        .unwrap_or_else(|| (start.as_ref(), "/"));
    let target = if target.starts_with('/') {
        format!("http://127.0.0.1{target}")
    } else {
        target.to_owned()
    };
    let mut builder = http::Request::builder().method(method).uri(target);
    for &(name, value) in &m.headers {
        builder = builder.header(name, value);
    }
    let request = builder.body(m.body.to_vec()).ok()?;
    let path = request.uri().path().to_owned();
    Some((request, path))
}
