//! Reading X's answers: success bodies (form or JSON) and the three error formats.

use serde::de::DeserializeOwned;

use crate::error::{OAuth2Error, Problem, XApiError};
use crate::{Error, HttpResponse};

/// The error a non-success response stands for: X's v1.1 error list, an OAuth 2.0 error, an
/// API v2 problem, or a bare unexpected status.
///
/// Adapters use this for API calls; the flows use it for their own requests.
pub fn error_from_response(response: &HttpResponse) -> Error {
    let status = response.status().as_u16();
    #[derive(serde::Deserialize)]
    struct Body {
        errors: Option<Vec<serde_json::Value>>,
        error: Option<serde_json::Value>,
        #[serde(rename = "type")]
        kind: Option<String>,
        title: Option<String>,
    }
    let Ok(body) = serde_json::from_slice::<Body>(response.body()) else {
        return Error::UnexpectedStatus { status };
    };
    // An OAuth 2.0 error may carry an `errors` list too (seen in node-twitter-api-v2#496; RFC 6749 §5.2's `error` decides): `error` decides.
    if body
        .error
        .as_ref()
        .is_some_and(serde_json::Value::is_string)
        && let Ok(error) = serde_json::from_slice::<OAuth2Error>(response.body())
    {
        return Error::OAuth2 { status, error };
    }
    if let Some(list) = &body.errors {
        let errors: Vec<XApiError> = list
            .iter()
            .filter_map(|e| serde_json::from_value(e.clone()).ok())
            .collect();
        if !errors.is_empty() {
            return Error::X { status, errors };
        }
    }
    if (body.kind.is_some() || body.title.is_some())
        && let Ok(problem) = serde_json::from_slice::<Problem>(response.body())
    {
        return Error::Problem { status, problem };
    }
    Error::UnexpectedStatus { status }
}

/// `Ok` for a 2xx response, else the error it carries.
pub(crate) fn ensure_success(response: &HttpResponse) -> Result<(), Error> {
    if response.status().is_success() {
        Ok(())
    } else {
        Err(error_from_response(response))
    }
}

/// Parses a JSON success body. On failure only `what` is reported: serde's message could quote
/// a value from the body, which may be a token.
pub(crate) fn json<T: DeserializeOwned>(body: &[u8], what: &'static str) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|_| Error::Malformed { what })
}

/// Parses a form-encoded success body (OAuth 1.0a answers, whatever their `Content-Type`).
pub(crate) fn form(body: &[u8], what: &'static str) -> Result<Vec<(String, String)>, Error> {
    if std::str::from_utf8(body).is_err() {
        return Err(Error::Malformed { what });
    }
    Ok(url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

/// The value of `name` in parsed form pairs.
pub(crate) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
