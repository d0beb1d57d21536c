//! The app's responses: small HTML pages (everything that came from the network escaped),
//! JSON, redirects, each with `Cache-Control: no-store` and a strict content security policy.

use std::fmt::Display;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;

use crate::session::User;

/// The signed-out home page's body.
pub(crate) const SIGNED_OUT: &str = "<p>You are not logged in.</p><p><a id=\"login\" class=\"button\" href=\"/login\">Log in with X</a></p>";

/// The signed-in home page's body: the handle, `/me`, and the Log out form with its token.
pub(crate) fn signed_in(user: &User, csrf: &str) -> String {
    format!(
        "<p id=\"user\">Logged in as <strong>@{}</strong></p><p><a id=\"me\" href=\"/me\">/me</a> \
         (your X profile as JSON, refreshed when due)</p><form method=\"post\" action=\"/logout\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button id=\"logout\" type=\"submit\">\
         Log out</button></form>",
        escape(&user.username),
        escape(csrf)
    )
}

/// A paragraph of plain text.
pub(crate) fn paragraph(text: &str) -> String {
    format!("<p>{}</p><p><a href=\"/\">Home</a></p>", escape(text))
}

/// A page saying what went wrong, and what usually causes it.
pub(crate) fn message(
    status: StatusCode,
    title: &str,
    error: &dyn Display,
    hint: Option<&str>,
) -> Response {
    let mut body = format!("<p id=\"error\">{}</p>", escape(&error.to_string()));
    if let Some(hint) = hint {
        body.push_str(&format!("<p id=\"hint\">{}</p>", escape(hint)));
    }
    body.push_str("<p><a href=\"/\">Home</a></p>");
    page(status, title, &body)
}

/// A whole HTML page around `body` (already HTML).
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · Log in \
         with X</title><style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem \
         auto;padding:0 1rem}}.button,button{{background:#0f1419;color:#fff;border-radius:9999px;\
         padding:.6rem 1.4rem;text-decoration:none;border:0;font-weight:700}}</style></head><body>\
         <h1>{title}</h1>{body}</body></html>\n",
        title = escape(title)
    );
    builder(status, "text/html; charset=utf-8")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        )
        .body(Body::from(html))
        .expect("valid headers")
}

/// `value` as JSON.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    builder(status, "application/json")
        .body(Body::from(value.to_string()))
        .expect("valid headers")
}

/// `303 See Other` to `location`, setting `cookie` if given.
pub(crate) fn redirect(location: &str, cookie: Option<&str>) -> Response {
    let mut builder =
        builder(StatusCode::SEE_OTHER, "text/plain").header(header::LOCATION, location);
    if let Some(cookie) = cookie {
        builder = builder.header(header::SET_COOKIE, cookie);
    }
    builder.body(Body::empty()).expect("valid headers")
}

fn builder(status: StatusCode, content_type: &str) -> axum::http::response::Builder {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
}

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
