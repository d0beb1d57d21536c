//! Where the flows send their requests: X's production hosts by default, each overridable (for
//! the mock, a proxy, or tests), and never plain `http://` except to a loopback host.

use std::net::IpAddr;

use url::Url;

use crate::Error;

/// The three bases the flows use.
///
/// | base | default | used for |
/// |---|---|---|
/// | API | `https://api.x.com/` | API v1.1 and v2, app-only tokens, OAuth 2.0 token and revoke |
/// | OAuth 1.0a | `https://api.x.com/` | `oauth/request_token`, `oauth/authorize`, `oauth/authenticate`, `oauth/access_token` |
/// | OAuth 2.0 authorize | `https://x.com/i/oauth2/authorize` | the page the user consents on (a full URL) |
///
/// ```
/// use twitter_auth_core::Endpoints;
///
/// let x = Endpoints::x();
/// assert_eq!(x.api().as_str(), "https://api.x.com/");
/// assert_eq!(x.oauth2_authorize().as_str(), "https://x.com/i/oauth2/authorize");
///
/// // A local mock: every base on one loopback server.
/// let mock = Endpoints::local("http://127.0.0.1:8080")?;
/// assert_eq!(mock.oauth2_authorize().as_str(), "http://127.0.0.1:8080/i/oauth2/authorize");
///
/// // Plain http to anything but loopback is refused.
/// assert!(Endpoints::x().with_api("http://api.x.com").is_err());
/// # Ok::<(), twitter_auth_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    api: Url,
    oauth1: Url,
    authorize: Url,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self::x()
    }
}

fn fixed(url: &str) -> Url {
    // The defaults are constants that parse.
    Url::parse(url).unwrap_or_else(|_| unreachable!("{url} is a valid URL"))
}

impl Endpoints {
    /// X's production hosts ([X: OAuth API reference](https://docs.x.com/fundamentals/authentication/api-reference)): `api.x.com` for the API and OAuth 1.0a,
    /// `x.com/i/oauth2/authorize` for OAuth 2.0 consent (never `twitter.com`, whose page does not
    /// see the user's x.com session).
    pub fn x() -> Self {
        Self {
            api: fixed("https://api.x.com/"),
            oauth1: fixed("https://api.x.com/"),
            authorize: fixed("https://x.com/i/oauth2/authorize"),
        }
    }

    /// Every base on one server, laid out as X's are: the API and OAuth 1.0a at `base`, the
    /// authorize page at `base/i/oauth2/authorize`. For the mock server and proxies.
    pub fn local(base: &str) -> Result<Self, Error> {
        let base = checked_base(base)?;
        let authorize = base
            .join("i/oauth2/authorize")
            .map_err(|_| Error::InvalidUrl {
                reason: "cannot append the authorize path",
            })?;
        Ok(Self {
            api: base.clone(),
            oauth1: base,
            authorize,
        })
    }

    /// Replaces the API base.
    pub fn with_api(mut self, base: &str) -> Result<Self, Error> {
        self.api = checked_base(base)?;
        Ok(self)
    }

    /// Replaces the OAuth 1.0a base (the host that signs request and access tokens must be the
    /// one the user authorizes on).
    pub fn with_oauth1(mut self, base: &str) -> Result<Self, Error> {
        self.oauth1 = checked_base(base)?;
        Ok(self)
    }

    /// Replaces the OAuth 2.0 authorize page (a full URL).
    pub fn with_oauth2_authorize(mut self, url: &str) -> Result<Self, Error> {
        self.authorize = checked(url)?;
        Ok(self)
    }

    /// The API base.
    pub fn api(&self) -> &Url {
        &self.api
    }

    /// The OAuth 1.0a base.
    pub fn oauth1(&self) -> &Url {
        &self.oauth1
    }

    /// The OAuth 2.0 authorize page.
    pub fn oauth2_authorize(&self) -> &Url {
        &self.authorize
    }

    /// `path` (without a leading `/`) under the API base.
    pub fn api_url(&self, path: &str) -> Url {
        join(&self.api, path)
    }

    /// `path` (without a leading `/`) under the OAuth 1.0a base.
    pub fn oauth1_url(&self, path: &str) -> Url {
        join(&self.oauth1, path)
    }
}

fn join(base: &Url, path: &str) -> Url {
    // Bases end with `/` and paths are relative constants, so joining appends.
    base.join(path.trim_start_matches('/'))
        .unwrap_or_else(|_| base.clone())
}

/// Parses and checks a URL: `https`, or `http` to a loopback host; no credentials; no fragment.
fn checked(url: &str) -> Result<Url, Error> {
    let url = Url::parse(url).map_err(|_| Error::InvalidUrl {
        reason: "not an absolute URL",
    })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::InvalidUrl {
                reason: "plain http is only allowed to a loopback host (127.0.0.1, ::1, localhost)",
            });
        }
        _ => {
            return Err(Error::InvalidUrl {
                reason: "the scheme must be https",
            });
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::InvalidUrl {
            reason: "credentials in the URL are not allowed",
        });
    }
    if url.fragment().is_some() {
        return Err(Error::InvalidUrl {
            reason: "a fragment is not allowed",
        });
    }
    Ok(url)
}

/// Like [`checked`], for a base that paths are appended to: no query, path ending in `/`.
fn checked_base(base: &str) -> Result<Url, Error> {
    let mut url = checked(base)?;
    if url.query().is_some() {
        return Err(Error::InvalidUrl {
            reason: "a base URL cannot have a query",
        });
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Whether a request may carry credentials to `uri`: `https`, or `http` to a loopback host
/// (the rule [`Endpoints`] applies to its bases, for URLs built elsewhere).
pub(crate) fn may_carry_credentials(uri: &http::Uri) -> Result<(), Error> {
    let loopback = || {
        uri.host().is_some_and(|host| {
            host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        })
    };
    match uri.scheme_str() {
        Some("https") if uri.host().is_some() => Ok(()),
        Some("http") if loopback() => Ok(()),
        _ => Err(Error::InvalidUrl {
            reason: "credentials go only to https URLs, or plain http to a loopback host",
        }),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_is_allowed_and_nothing_else() {
        for ok in [
            "http://127.0.0.1:1/",
            "http://127.9.9.9/",
            "http://[::1]:80",
            "http://localhost:3000/x/",
        ] {
            assert!(Endpoints::x().with_api(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.x.com/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
            "https://user:pw@api.x.com/",
            "https://api.x.com/#f",
            "https://api.x.com/?q=1",
            "api.x.com",
        ] {
            assert!(
                matches!(Endpoints::x().with_api(bad), Err(Error::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn bases_keep_their_path_prefix() {
        let e = Endpoints::x().with_api("https://proxy.example/x").unwrap();
        assert_eq!(
            e.api_url("2/users/me").as_str(),
            "https://proxy.example/x/2/users/me"
        );
        assert_eq!(
            Endpoints::x().oauth1_url("/oauth/request_token").as_str(),
            "https://api.x.com/oauth/request_token"
        );
    }
}
