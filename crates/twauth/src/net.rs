//! The HTTP client every command uses: the adapter's timeouts, a clock whose waits count down
//! on stderr, and, with `-v` / `--trace`, each request and response shown on stderr with
//! secrets redacted (`Authorization`, cookies, token fields of form and JSON bodies, and every
//! secret the run knows of).

use std::io::{Cursor, Read as _};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use twitter_auth_core::http::{self, HeaderMap, HeaderValue, header};
use twitter_auth_ureq::ureq::middleware::{Middleware, MiddlewareNext};
use twitter_auth_ureq::ureq::{self, Body, SendBody};

use crate::ui::{self, REDACTED};

/// Fields whose values are credentials, in form and JSON bodies.
const SENSITIVE: [&str; 11] = [
    "access_token",
    "refresh_token",
    "token",
    "oauth_token",
    "oauth_token_secret",
    "oauth_verifier",
    "code",
    "code_verifier",
    "client_secret",
    "password",
    "id_token",
];

/// The largest body `--trace` prints (the rest is summarized).
const TRACE_BODY_LIMIT: usize = 4096;

/// The transport: connect timeout 10 s, whole request 30 s (as the
/// adapter's own), waits shown on stderr, traced with `-v` / `--trace`.
pub(crate) fn transport() -> twitter_auth_ureq::Transport {
    let mut config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(30)));
    if ui::verbosity() > 0 {
        config = config.middleware(Trace);
    }
    twitter_auth_ureq::Transport::with_agent(config.build().into())
        .with_clock(Arc::new(ProgressClock))
}

/// The system clock, saying on stderr what it waits for (a rate-limit reset, a backoff), so a
/// long `--wait-on-rate-limit` pause is never silent: a live countdown on a terminal.
#[derive(Debug)]
struct ProgressClock;

impl twitter_auth_std::Clock for ProgressClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) {
        ui::sleep_with_countdown(
            duration,
            "waiting before trying again (rate-limit reset or backoff)",
        );
    }
}

/// `-v`: request and status lines; `--trace`: headers and bodies too.
struct Trace;

impl Middleware for Trace {
    fn handle(
        &self,
        request: http::Request<SendBody<'_>>,
        next: MiddlewareNext<'_>,
    ) -> Result<http::Response<Body>, ureq::Error> {
        let full = ui::verbosity() > 1;
        let (mut parts, body) = request.into_parts();
        let mut bytes = Vec::new();
        body.into_reader()
            .read_to_end(&mut bytes)
            .map_err(ureq::Error::Io)?;
        ui::err(&format!("> {} {}", parts.method, parts.uri));
        if full {
            show_headers('>', &parts.headers);
            show_body('>', &parts.headers, &bytes);
        }
        let body = if bytes.is_empty() {
            if parts.method != http::Method::GET && parts.method != http::Method::HEAD {
                parts
                    .headers
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
            }
            SendBody::none()
        } else {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            SendBody::from_owned_reader(Cursor::new(bytes))
        };
        let started = Instant::now();
        let response = match next.handle(http::Request::from_parts(parts, body)) {
            Ok(response) => response,
            Err(e) => {
                ui::err(&format!("< no answer: {e}"));
                return Err(e);
            }
        };
        let (parts, mut body) = response.into_parts();
        let bytes = body.read_to_vec()?;
        ui::err(&format!(
            "< HTTP {} {} ({} ms, {} bytes)",
            parts.status.as_u16(),
            parts.status.canonical_reason().unwrap_or(""),
            started.elapsed().as_millis(),
            bytes.len()
        ));
        learn_tokens(&bytes);
        if full {
            show_headers('<', &parts.headers);
            show_body('<', &parts.headers, &bytes);
        }
        let mut builder = Body::builder();
        if let Some(mime) = body.mime_type() {
            builder = builder.mime_type(mime);
        }
        if let Some(charset) = body.charset() {
            builder = builder.charset(charset);
        }
        Ok(http::Response::from_parts(parts, builder.data(bytes)))
    }
}

/// Registers the tokens an answer carries (a new access or refresh token), so nothing shown
/// later can print them.
fn learn_tokens(bytes: &[u8]) {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(bytes) {
        for key in SENSITIVE {
            if let Some(serde_json::Value::String(token)) = map.get(key) {
                ui::register(token);
            }
        }
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        for (key, value) in form_pairs(text) {
            if SENSITIVE.contains(&key) {
                ui::register(value);
            }
        }
    }
}

fn form_pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.split('&').filter_map(|pair| pair.split_once('='))
}

fn show_headers(arrow: char, headers: &HeaderMap) {
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        let shown = match name.as_str() {
            "authorization" | "proxy-authorization" => redact_authorization(&value),
            "cookie" | "set-cookie" => REDACTED.to_owned(),
            _ => value.into_owned(),
        };
        ui::err(&format!("{arrow} {name}: {shown}"));
    }
    ui::err(&format!("{arrow}"));
}

/// `Basic [redacted]`, `Bearer [redacted]`, or an `OAuth` header with its token and signature
/// redacted (the other parameters help debugging).
fn redact_authorization(value: &str) -> String {
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("oauth") {
        return format!("{scheme} {REDACTED}");
    }
    let params: Vec<String> = rest
        .split(',')
        .map(|param| {
            let param = param.trim();
            match param.split_once('=') {
                Some((name, _)) if matches!(name, "oauth_token" | "oauth_signature") => {
                    format!("{name}=\"{REDACTED}\"")
                }
                _ => param.to_owned(),
            }
        })
        .collect();
    format!("OAuth {}", params.join(", "))
}

fn show_body(arrow: char, headers: &HeaderMap, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        ui::err(&format!("{arrow} [{} bytes, not UTF-8]", bytes.len()));
        return;
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let shown = if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        serde_json::to_string(&redact_json_fields(json)).unwrap_or_default()
    } else if content_type.starts_with("application/x-www-form-urlencoded")
        || (!text.contains(' ') && text.contains('='))
    {
        form_pairs(text)
            .map(|(k, v)| {
                if SENSITIVE.contains(&k) {
                    format!("{k}={REDACTED}")
                } else {
                    format!("{k}={v}")
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    } else {
        text.to_owned()
    };
    let mut shown = shown;
    if shown.len() > TRACE_BODY_LIMIT {
        let mut cut = TRACE_BODY_LIMIT;
        while !shown.is_char_boundary(cut) {
            cut -= 1;
        }
        shown.truncate(cut);
        shown.push_str(&format!("… ({} bytes in all)", bytes.len()));
    }
    for line in shown.lines() {
        ui::err(&format!("{arrow} {line}"));
    }
}

fn redact_json_fields(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(_) if SENSITIVE.contains(&k.as_str()) => {
                            Value::String(REDACTED.to_owned())
                        }
                        other => redact_json_fields(other),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_json_fields).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_headers_are_redacted() {
        assert_eq!(redact_authorization("Basic abc=="), "Basic [redacted]");
        assert_eq!(redact_authorization("Bearer AAAA"), "Bearer [redacted]");
        let oauth = redact_authorization(
            r#"OAuth oauth_consumer_key="ck", oauth_nonce="n", oauth_signature="sig%3D", oauth_token="1-tok""#,
        );
        assert_eq!(
            oauth,
            r#"OAuth oauth_consumer_key="ck", oauth_nonce="n", oauth_signature="[redacted]", oauth_token="[redacted]""#
        );
    }

    #[test]
    fn token_fields_are_redacted() {
        let json = serde_json::json!({"access_token": "a", "scope": "x", "nested": [{"refresh_token": "r"}], "code": 32});
        assert_eq!(
            redact_json_fields(json),
            serde_json::json!({"access_token": "[redacted]", "scope": "x", "nested": [{"refresh_token": "[redacted]"}], "code": 32})
        );
    }
}
