//! The one callback parser: the query parameters X's redirect carries, read the same way for
//! OAuth 1.0a (`oauth_token`, `oauth_verifier`, `denied`) and OAuth 2.0 (`state`, `code`,
//! `error`).

use core::fmt;

use crate::Error;

/// A callback a pending login's `verify_callback` refused (OAuth 2.0's
/// [`oauth2::PendingLogin`](crate::oauth2::PendingLogin), OAuth 1.0a's
/// [`oauth1::PendingLogin`](crate::oauth1::PendingLogin)): why, and the login when the callback
/// was not its own (it still waits for its callback: put it back in the session).
///
/// `Debug` redacts the login's secrets; `Display` is the error's.
#[derive(Debug)]
#[must_use = "a login that was given back must be kept, or it is lost"]
pub struct CallbackRefused<P> {
    error: Error,
    pending: Option<Box<P>>,
}

impl<P> CallbackRefused<P> {
    pub(crate) fn new(error: Error, pending: Option<P>) -> Self {
        Self {
            error,
            pending: pending.map(Box::new),
        }
    }

    /// Why the callback was refused.
    pub const fn error(&self) -> &Error {
        &self.error
    }

    /// Whether the login was given back (the callback was not its own).
    #[must_use]
    pub const fn kept(&self) -> bool {
        self.pending.is_some()
    }

    /// The login, if the callback was not its own.
    pub fn into_pending(self) -> Option<P> {
        self.pending.map(|pending| *pending)
    }

    /// The error and the login, if it was given back.
    pub fn into_parts(self) -> (Error, Option<P>) {
        (self.error, self.pending.map(|pending| *pending))
    }
}

impl<P> fmt::Display for CallbackRefused<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl<P: fmt::Debug> std::error::Error for CallbackRefused<P> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

impl<P> From<CallbackRefused<P>> for Error {
    fn from(refused: CallbackRefused<P>) -> Self {
        refused.error
    }
}

/// The decoded query parameters of a callback: a full URL (its query), a path with a query, or
/// a bare query with or without `?`. Any fragment is dropped. Total.
pub(crate) fn params(callback: &str) -> Vec<(String, String)> {
    let callback = callback.trim();
    let query = match url::Url::parse(callback) {
        Ok(url) => url.query().unwrap_or_default().to_owned(),
        Err(_) => {
            let without_fragment = callback.split('#').next().unwrap_or_default();
            let query = if without_fragment.starts_with('/') {
                without_fragment
                    .split_once('?')
                    .map_or("", |(_, query)| query)
            } else {
                without_fragment
                    .strip_prefix('?')
                    .unwrap_or(without_fragment)
            };
            query.to_owned()
        }
    };
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn callback_params_reads_every_shape() {
        for input in [
            "https://app.example/cb?state=s&code=c#frag",
            "http://127.0.0.1:8080/cb?state=s&code=c",
            "/cb?state=s&code=c",
            "?state=s&code=c",
            "state=s&code=c",
            "  state=s&code=c#x",
        ] {
            let p = params(input);
            assert_eq!(first(&p, "state"), Some("s"), "{input}");
            assert_eq!(first(&p, "code"), Some("c"), "{input}");
        }
        assert!(params("https://app.example/cb").is_empty());
        assert!(params("/cb").is_empty());
        assert!(params("").is_empty());
    }
}
