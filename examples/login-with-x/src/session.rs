//! Browser sessions: a random id in an `HttpOnly`, `SameSite=Lax` cookie names server-side
//! state (the pending login, the signed-in user, the CSRF token). The pending login is found by
//! this id, never by the callback's `state`: that is what binds a login to the browser that
//! started it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use twitter_auth_core::grant::UserKey;
use twitter_auth_core::oauth2::PendingLogin;
use twitter_auth_reqwest::rand::{self, RngCore as _};

use twitter_auth_std::lock;

/// A session idle for this long without a signed-in user is dropped (a login takes minutes).
const ANONYMOUS_IDLE: Duration = Duration::from_secs(3600);
/// A signed-in session idle for this long is dropped (its grant stays in the store).
const SIGNED_IN_IDLE: Duration = Duration::from_secs(7 * 24 * 3600);

/// One browser's state.
pub(crate) struct Session {
    /// The login this browser started and X has not redirected back from yet.
    pub(crate) pending: Option<PendingLogin>,
    /// Who is logged in, if anyone.
    pub(crate) user: Option<User>,
    /// The token the Log out form carries back.
    pub(crate) csrf: String,
    pub(crate) seen: Instant,
}

impl Session {
    pub(crate) fn new() -> Self {
        Self {
            pending: None,
            user: None,
            csrf: random_id(),
            seen: Instant::now(),
        }
    }
}

/// A logged-in user: the key of their grant (the X user id) and their handle.
#[derive(Clone)]
pub(crate) struct User {
    pub(crate) key: UserKey,
    pub(crate) username: String,
}

/// Every session, by id.
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    /// `Secure` cookies with the `__Host-` prefix (the app is served over https).
    secure: bool,
}

impl Sessions {
    pub(crate) fn new(secure: bool) -> Self {
        Self {
            map: Mutex::default(),
            secure,
        }
    }

    fn name(&self) -> &'static str {
        if self.secure { "__Host-sid" } else { "sid" }
    }

    /// Runs `f` on the session the request's cookie names, if it is live.
    pub(crate) fn with<R>(
        &self,
        headers: &HeaderMap,
        f: impl FnOnce(&mut Session) -> R,
    ) -> Option<R> {
        let id = self.id(headers)?;
        let mut map = lock(&self.map);
        let session = map.get_mut(&id)?;
        session.seen = Instant::now();
        Some(f(session))
    }

    /// The signed-in user of the request's session, with the session's CSRF token.
    pub(crate) fn user(&self, headers: &HeaderMap) -> Option<(User, String)> {
        self.with(headers, |s| Some((s.user.clone()?, s.csrf.clone())))?
    }

    /// Stores `session` under a new random id; the `Set-Cookie` value that gives it to the
    /// browser.
    pub(crate) fn start(&self, session: Session) -> String {
        let id = random_id();
        let cookie = format!(
            "{}={id}; Path=/; HttpOnly; SameSite=Lax{}",
            self.name(),
            self.secure_flag()
        );
        lock(&self.map).insert(id, session);
        cookie
    }

    /// Ends the request's session; the `Set-Cookie` value that clears the cookie.
    pub(crate) fn end(&self, headers: &HeaderMap) -> String {
        if let Some(id) = self.id(headers) {
            lock(&self.map).remove(&id);
        }
        format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            self.name(),
            self.secure_flag()
        )
    }

    /// Drops idle sessions.
    pub(crate) fn sweep(&self) {
        lock(&self.map).retain(|_, s| {
            let idle = if s.user.is_some() {
                SIGNED_IN_IDLE
            } else {
                ANONYMOUS_IDLE
            };
            s.seen.elapsed() < idle
        });
    }

    fn secure_flag(&self) -> &'static str {
        if self.secure { "; Secure" } else { "" }
    }

    /// The session id in the request's `Cookie` header.
    fn id(&self, headers: &HeaderMap) -> Option<String> {
        let prefix = format!("{}=", self.name());
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .find_map(|pair| pair.trim().strip_prefix(prefix.as_str()).map(str::to_owned))
    }
}

/// 256 random bits from the operating system's RNG, as hex.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two tokens in constant time (for equal lengths).
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |d, (x, y)| d | (x ^ y)) == 0
}
