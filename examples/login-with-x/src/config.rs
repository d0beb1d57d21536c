//! Configuration from the environment, then a `.env` file in the working directory (the
//! environment wins). With no X credentials the app uses the embedded fake X.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use twitter_auth_core::{ClientId, ClientSecret, Endpoints};

/// How the app runs.
pub struct Config {
    /// The app's public URL, ending with `/` (`PUBLIC_URL`); the redirect URI registered at X
    /// is this URL followed by `callback`. `None`: `http://` and the address served on.
    pub public_url: Option<String>,
    /// Where `main` listens (`BIND`, default the public URL's port on `127.0.0.1`).
    pub bind: SocketAddr,
    /// The X app to log users in with.
    pub x: XApp,
    /// Where users' grants are kept.
    pub store: GrantStore,
    /// How often the refresh job runs (`REFRESH_EVERY_SECS`, default 300).
    pub refresh_every: Duration,
}

/// The X app the users log in to.
pub enum XApp {
    /// The fake X, started in-process with a confidential web app and a consent page (when
    /// `X_CLIENT_ID` and `X_CLIENT_SECRET` are not set).
    Mock,
    /// A Web App registered at X (`X_CLIENT_ID`, `X_CLIENT_SECRET`), on X's endpoints or on a
    /// server laid out like X's (`X_BASE_URL`, e.g. `twauth mock-server`).
    Registered {
        /// X's endpoints.
        endpoints: Box<Endpoints>,
        /// The OAuth 2.0 client id.
        id: ClientId,
        /// The client secret (a Web App is a confidential client).
        secret: ClientSecret,
    },
}

/// Where the grants are kept.
pub enum GrantStore {
    /// One file per user in a directory (`GRANTS_DIR`, default `login-with-x-grants`).
    Files(PathBuf),
    /// Redis (`REDIS_URL`), every token set sealed with `GRANTS_SEAL_KEY` (64 hex digits).
    Redis {
        /// `redis://host:port/db`.
        url: String,
        /// The sealing key.
        seal_key: [u8; 32],
    },
}

impl Config {
    /// From the environment, then `./.env`.
    ///
    /// # Errors
    ///
    /// A setting that is malformed or missing its pair.
    pub fn from_env() -> Result<Self, String> {
        let file = std::fs::read_to_string(".env").unwrap_or_default();
        let dotenv = parse_dotenv(&file);
        Self::from_vars(|name| {
            std::env::var(name)
                .ok()
                .or_else(|| dotenv.get(name).cloned())
        })
    }

    /// From `var`, which reads one setting.
    ///
    /// # Errors
    ///
    /// As [`from_env`](Self::from_env).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let public = var("PUBLIC_URL").unwrap_or_else(|| "http://127.0.0.1:3000/".to_owned());
        let public = if public.ends_with('/') {
            public
        } else {
            format!("{public}/")
        };
        let parsed =
            twitter_auth_core::url::Url::parse(&public).map_err(|e| format!("PUBLIC_URL: {e}"))?;
        let port = parsed.port_or_known_default().unwrap_or(3000);
        let bind = var("BIND").unwrap_or_else(|| format!("127.0.0.1:{port}"));
        let x = match (var("X_CLIENT_ID"), var("X_CLIENT_SECRET")) {
            (None, None) => XApp::Mock,
            (Some(id), Some(secret)) => XApp::Registered {
                endpoints: Box::new(match var("X_BASE_URL") {
                    Some(base) => {
                        Endpoints::local(&base).map_err(|e| format!("X_BASE_URL: {e}"))?
                    }
                    None => Endpoints::x(),
                }),
                id: ClientId::new(id),
                secret: ClientSecret::new(secret),
            },
            _ => return Err(
                "set both X_CLIENT_ID and X_CLIENT_SECRET (a Web App), or neither for the fake X"
                    .into(),
            ),
        };
        let store = match var("REDIS_URL") {
            Some(url) => {
                let key = var("GRANTS_SEAL_KEY")
                    .ok_or("REDIS_URL needs GRANTS_SEAL_KEY (64 hex digits)")?;
                GrantStore::Redis {
                    url,
                    seal_key: hex_key(&key).ok_or("GRANTS_SEAL_KEY: 64 hex digits")?,
                }
            }
            None => GrantStore::Files(
                var("GRANTS_DIR")
                    .unwrap_or_else(|| "login-with-x-grants".into())
                    .into(),
            ),
        };
        let every = var("REFRESH_EVERY_SECS").map_or(Ok(300), |s| s.parse::<u64>());
        Ok(Self {
            public_url: Some(public),
            bind: bind.parse().map_err(|e| format!("BIND: {e}"))?,
            x,
            store,
            refresh_every: Duration::from_secs(
                every
                    .map_err(|e| format!("REFRESH_EVERY_SECS: {e}"))?
                    .max(1),
            ),
        })
    }
}

/// `KEY=value` lines (`export ` and quotes allowed, `#` comments).
fn parse_dotenv(text: &str) -> HashMap<String, String> {
    let unquote = |v: &str, q: char| {
        v.strip_prefix(q)
            .and_then(|v| v.strip_suffix(q))
            .map(str::to_owned)
    };
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.strip_prefix("export ").unwrap_or(line).split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            (
                k.trim().to_owned(),
                unquote(v, '"')
                    .or_else(|| unquote(v, '\''))
                    .unwrap_or_else(|| v.to_owned()),
            )
        })
        .collect()
}

fn hex_key(hex: &str) -> Option<[u8; 32]> {
    let mut key = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines() {
        let vars = parse_dotenv("# c\nA=1\nexport B = \"two words\"\nC='x'\n\nbroken\n");
        assert_eq!(vars.get("A").map(String::as_str), Some("1"));
        assert_eq!(vars.get("B").map(String::as_str), Some("two words"));
        assert_eq!(vars.get("C").map(String::as_str), Some("x"));
        assert_eq!(vars.len(), 3);
    }

    #[test]
    fn defaults_to_the_fake_x_and_a_directory() {
        let config = Config::from_vars(|_| None).expect("defaults");
        assert!(matches!(config.x, XApp::Mock));
        assert!(matches!(config.store, GrantStore::Files(_)));
        assert_eq!(config.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(config.public_url.as_deref(), Some("http://127.0.0.1:3000/"));
    }

    #[test]
    fn settings_are_checked() {
        let only_id = |name: &str| (name == "X_CLIENT_ID").then(|| "id".to_owned());
        assert!(Config::from_vars(only_id).is_err());
        let redis = |name: &str| (name == "REDIS_URL").then(|| "redis://127.0.0.1/".to_owned());
        assert!(Config::from_vars(redis).is_err(), "Redis needs a seal key");
        let both = |name: &str| match name {
            "REDIS_URL" => Some("redis://127.0.0.1/".to_owned()),
            "GRANTS_SEAL_KEY" => Some("ab".repeat(32)),
            "X_CLIENT_ID" | "X_CLIENT_SECRET" => Some("x".to_owned()),
            _ => None,
        };
        let config = Config::from_vars(both).expect("valid");
        assert!(
            matches!(config.store, GrantStore::Redis { seal_key, .. } if seal_key == [0xab; 32])
        );
        assert!(matches!(config.x, XApp::Registered { .. }));
    }
}
