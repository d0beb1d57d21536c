//! X's answer shapes: v1.1 coded errors, v2 problems, OAuth 2.0 errors, forms, pages.

use http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

pub(crate) type Answer = Response<Vec<u8>>;

fn with_body(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Answer {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub(crate) fn json(status: StatusCode, value: &Value) -> Answer {
    with_body(
        status,
        "application/json; charset=utf-8",
        value.to_string().into_bytes(),
    )
}

/// `{"errors":[{"code":N,"message":"…"}]}` (v1.1, OAuth 1.0a, app-only).
pub(crate) fn coded(status: StatusCode, code: u32, message: &str) -> Answer {
    json(
        status,
        &json!({ "errors": [{ "code": code, "message": message }] }),
    )
}

/// The code-99 body of the app-only token endpoints, with its label.
pub(crate) fn code_99() -> Answer {
    json(
        StatusCode::FORBIDDEN,
        &json!({ "errors": [{
            "code": 99,
            "label": "authenticity_token_error",
            "message": "Unable to verify your credentials",
        }] }),
    )
}

pub(crate) fn bad_authentication_data() -> Answer {
    coded(StatusCode::BAD_REQUEST, 215, "Bad Authentication data.")
}

pub(crate) fn could_not_authenticate() -> Answer {
    coded(StatusCode::UNAUTHORIZED, 32, "Could not authenticate you.")
}

pub(crate) fn invalid_token() -> Answer {
    coded(StatusCode::UNAUTHORIZED, 89, "Invalid or expired token.")
}

pub(crate) fn not_permitted() -> Answer {
    coded(
        StatusCode::FORBIDDEN,
        220,
        "Your credentials do not allow access to this resource.",
    )
}

/// RFC 7807 problem details as X's v2 API sends them.
pub(crate) fn problem(status: StatusCode, title: &str, kind: &str, detail: &str) -> Answer {
    let kind = if kind == "about:blank" {
        kind.to_owned()
    } else {
        format!("https://api.x.com/2/problems/{kind}")
    };
    with_body(
        status,
        "application/problem+json",
        json!({ "title": title, "type": kind, "status": status.as_u16(), "detail": detail })
            .to_string()
            .into_bytes(),
    )
}

/// X's v2 answer to a missing or invalid credential.
pub(crate) fn unauthorized_v2() -> Answer {
    problem(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "about:blank",
        "Unauthorized",
    )
}

/// X's v2 answer to app-only auth on a user-context endpoint.
pub(crate) fn unsupported_authentication() -> Answer {
    problem(
        StatusCode::FORBIDDEN,
        "Unsupported Authentication",
        "unsupported-authentication",
        "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
    )
}

/// `{"error":"…","error_description":"…"}` (OAuth 2.0 token and revoke endpoints).
pub(crate) fn oauth2_error(status: StatusCode, error: &str, description: &str) -> Answer {
    json(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

/// An OAuth 2.0 error with the `errors` array X adds to some of them (user report, unverified:
/// in [node-twitter-api-v2#496](https://github.com/PLhery/node-twitter-api-v2/issues/496) an
/// invalid code came back with `"errors":[…]`, one object whose fields nobody quoted; the mock
/// puts the description in it as `message`, the way X's other error lists name theirs).
pub(crate) fn oauth2_error_listed(status: StatusCode, error: &str, description: &str) -> Answer {
    json(
        status,
        &json!({
            "error": error,
            "error_description": description,
            "errors": [{ "message": description }],
        }),
    )
}

/// X's v2 `invalid-request` problem, with the list of what was wrong (each
/// `{"parameters":{name:[values]},"message":…}`).
pub(crate) fn invalid_request_v2(errors: Vec<Value>) -> Answer {
    with_body(
        StatusCode::BAD_REQUEST,
        "application/problem+json",
        json!({
            "errors": errors,
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.x.com/2/problems/invalid-request",
            "status": 400,
        })
        .to_string()
        .into_bytes(),
    )
}

/// The families of X's answers, which decide how a request the mock refuses before its
/// endpoint sees it (a repeated parameter) is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// OAuth 1.0a endpoints and the v1.1 API: `{"errors":[{"code":N,…}]}`.
    V1,
    /// `oauth2/token`, `oauth2/invalidate_token`: every bad request is a 403 code 99.
    AppOnly,
    /// `2/oauth2/token`, `2/oauth2/revoke`: `{"error":…,"error_description":…}`.
    OAuth2,
    /// The v2 API: problem documents.
    V2,
}

/// A parameter repeated in the query or the form body. X "does not accept duplicate keys in
/// API requests" ([X: Creating a signature](https://docs.x.com/fundamentals/authentication/oauth-1-0a/creating-a-signature),
/// note 2); which error it answers is unverified, so each
/// family says it its own way: v2 an `invalid-request` problem naming the parameter, OAuth 2.0
/// `invalid_request` (RFC 6749 §3.1: parameters "MUST NOT be included more than once"),
/// app-only code 99 (X's answer to any bad request there), v1.1 a 400 with code 44
/// ("<name> parameter is invalid").
pub(crate) fn duplicate_parameter(family: Family, name: &str, values: &[&str]) -> Answer {
    match family {
        Family::V2 => invalid_request_v2(vec![json!({
            "parameters": { name: values },
            "message": format!("Duplicate parameters are not allowed: the query parameter [{name}] is repeated"),
        })]),
        Family::OAuth2 => oauth2_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("Duplicate parameter [{name}]."),
        ),
        Family::AppOnly => code_99(),
        Family::V1 => coded(
            StatusCode::BAD_REQUEST,
            44,
            &format!("{name} parameter is invalid."),
        ),
    }
}

pub(crate) fn missing_parameter(name: &str) -> Answer {
    oauth2_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        &format!("Missing required parameter [{name}]."),
    )
}

pub(crate) fn missing_authorization_header() -> Answer {
    oauth2_error(
        StatusCode::UNAUTHORIZED,
        "unauthorized_client",
        "Missing valid authorization header",
    )
}

/// An OAuth 1.0a token response: form-encoded, under the `text/html` type X's docs show.
pub(crate) fn form(pairs: &[(&str, &str)]) -> Answer {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    with_body(
        StatusCode::OK,
        "text/html; charset=utf-8",
        body.into_bytes(),
    )
}

pub(crate) fn text(status: StatusCode, body: &str) -> Answer {
    with_body(
        status,
        "text/plain; charset=utf-8",
        body.as_bytes().to_vec(),
    )
}

pub(crate) fn html(status: StatusCode, body: String) -> Answer {
    with_body(status, "text/html; charset=utf-8", body.into_bytes())
}

pub(crate) fn redirect(location: &str) -> Answer {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = StatusCode::FOUND;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The body of a status the mock was told to answer, in the shape of the path's API family.
pub(crate) fn injected(status: StatusCode, v2: bool) -> Answer {
    let reason = status.canonical_reason().unwrap_or("Error");
    if v2 {
        return problem(status, reason, "about:blank", reason);
    }
    // X's codes for these statuses (X's error-code table, removed from docs.x.com on
    // 2025-06-24: https://github.com/xdevplatform/docs/blob/d1139bf61bb3393c1c606ddd9ec80a6184f71537/x-api/fundamentals/response-codes-and-errors.mdx);
    // others get a problem document, as the v2 API answers.
    match status.as_u16() {
        401 => could_not_authenticate(),
        403 => not_permitted(),
        404 => coded(status, 34, "Sorry, that page does not exist."),
        429 => coded(status, 88, "Rate limit exceeded."),
        503 => coded(status, 130, "Over capacity."),
        500..=599 => coded(status, 131, "Internal error."),
        _ => problem(status, reason, "about:blank", reason),
    }
}

/// A 200 whose JSON stops half-way.
pub(crate) fn malformed() -> Answer {
    with_body(
        StatusCode::OK,
        "application/json; charset=utf-8",
        br#"{"token_type":"bearer","access_token":"AAAA"#.to_vec(),
    )
}
