//! A command's failure: its message (printed as `twauth: …`, cleaned like any output), X's hint
//! when there is one, and the exit code.
//!
//! Exit codes: 0 success; 1 the command failed (X refused, no answer, no credential, a store
//! error); 2 a usage error (and `sign`/`pkce` input they cannot use); 141 stdout was closed
//! early (`| head`), as a shell reports a tool killed by `SIGPIPE`.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use twitter_auth_core::grant::LoginRequired;

/// Exit code of a failed command.
pub(crate) const FAILURE: u8 = 1;
/// Exit code of a usage error.
pub(crate) const USAGE: u8 = 2;

/// A command failure.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
    pub(crate) code: u8,
}

impl CliError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            code: FAILURE,
        }
    }

    /// A usage error (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            code: USAGE,
            ..Self::new(message)
        }
    }

    #[must_use]
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The JSON form of the error (`--json` prints it on stderr).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": self.message,
            "hint": self.hint,
            "exit_code": self.code,
        })
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for CliError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

impl From<twitter_auth_core::Error> for CliError {
    fn from(e: twitter_auth_core::Error) -> Self {
        if let twitter_auth_core::Error::LoginRequired { reason } = e {
            return login_required(reason);
        }
        let error = Self::new(e.to_string());
        match e.hint() {
            Some(hint) => error.with_hint(hint),
            None => error,
        }
    }
}

impl From<twitter_auth_ureq::Error> for CliError {
    fn from(e: twitter_auth_ureq::Error) -> Self {
        match e {
            twitter_auth_ureq::Error::Core(core) => core.into(),
            twitter_auth_ureq::Error::Transport(source) => {
                let cause = error_chain(&source);
                match target() {
                    Some(target) => Self::new(format!("cannot reach {target}: {cause}")),
                    None => Self::new(format!("transport failure: {cause}")),
                }
            }
            other => Self::new(error_chain(&other)),
        }
    }
}

impl From<twitter_auth_std::StoreError> for CliError {
    fn from(e: twitter_auth_std::StoreError) -> Self {
        Self::new(error_chain(&e))
    }
}

/// Why the profile's OAuth 2.0 grant cannot be used, and which command brings it back.
pub(crate) fn login_required(reason: LoginRequired) -> CliError {
    CliError::new(match reason {
        LoginRequired::NoGrant => {
            "no OAuth 2.0 grant is stored for this profile: log in first (`twauth login oauth2`)"
                .to_owned()
        }
        LoginRequired::NoRefreshToken => {
            format!("{reason}: log in again with the offline.access scope (`twauth login oauth2`)")
        }
        _ => format!("{reason}: log in again (`twauth login oauth2`)"),
    })
}

/// `e` and its sources, joined by `: `.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

/// Where this run's requests go and which setting said so (`http://127.0.0.1:8799/ (from
/// --base-url)`), for transport errors.
static TARGET: Mutex<Option<String>> = Mutex::new(None);

/// Records where requests go, for the transport errors that follow.
pub(crate) fn set_target(target: String) {
    *TARGET.lock().unwrap_or_else(PoisonError::into_inner) = Some(target);
}

fn target() -> Option<String> {
    TARGET
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}
