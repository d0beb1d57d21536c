//! `twauth request`: one signed (OAuth 1.0a) or authorized (OAuth 2.0) API request with the
//! profile's credential, printing the status, the rate-limit state and the body.
//!
//! The status line and the rate-limit line go to stderr, the body to stdout (so it can be
//! piped). Any answer X gives, 4xx and 5xx included, is a successful run (exit 0) unless
//! `--fail` is given: the request itself worked. Exit 1 is for requests that got no answer or
//! could not be authorized (no credential, failed refresh, transport failure).

use std::sync::Arc;
use std::time::SystemTime;

use twitter_auth_core::api::Credential;
use twitter_auth_core::grant::LoginRequired;
use twitter_auth_core::http::{self, HeaderName, HeaderValue, Method};
use twitter_auth_core::oauth1::UserSigner;
use twitter_auth_core::oauth1_sign::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use twitter_auth_core::oauth2::AppOnlyBearer;
use twitter_auth_core::rate_limit::{BucketKind, RateLimit};
use twitter_auth_core::retry::RetryPolicy;
use twitter_auth_core::{BearerToken, HttpRequest, HttpResponse, UnixTime};
use twitter_auth_std::BlockingTokenStore as _;
use twitter_auth_ureq::ApiClient;

use crate::profile::{CliError, NO_CREDENTIAL, Opts, Settings, Source, login_required};
use crate::token::{grants, oauth2_client};

/// Which credential to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Auth {
    /// An OAuth 1.0a access token given by flag, env or `.env`, else the profile's stored OAuth
    /// 2.0 grant, else the profile's OAuth 1.0a access token, else (for `request`) the app-only
    /// bearer.
    #[default]
    Auto,
    /// The profile's OAuth 2.0 grant (`tokens/<profile>.grant`, refreshed when due).
    Oauth2,
    /// OAuth 1.0a user context (consumer key/secret and access token/secret).
    Oauth1,
    /// The OAuth 2.0 app-only bearer token.
    AppOnly,
}

/// `request` options.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The HTTP method (POST by default when a body is given, else GET).
    #[arg(short = 'X', long = "method", value_parser = method)]
    method: Option<Method>,
    /// A form field `name=value` (repeatable): the body is
    /// `application/x-www-form-urlencoded`.
    #[arg(short = 'd', long = "data", value_name = "NAME=VALUE", value_parser = pair, conflicts_with = "json")]
    data: Vec<(String, String)>,
    /// A JSON body, sent with `Content-Type: application/json`.
    #[arg(long, value_name = "BODY", value_parser = json_body)]
    json: Option<String>,
    /// An extra header `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = header)]
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Which credential to use.
    #[arg(long, value_enum, default_value_t = Auth::Auto)]
    auth: Auth,
    /// When rate limited (429), wait for the reset and retry instead of printing the 429.
    #[arg(long)]
    wait_on_rate_limit: bool,
    /// Exit 1 when X answers with a 4xx or 5xx status.
    #[arg(long)]
    fail: bool,
    /// An API path (joined to the API base, e.g. `2/users/me`) or a full URL.
    #[arg(value_name = "PATH_OR_URL")]
    target: String,
    #[command(flatten)]
    opts: Opts,
}

fn method(text: &str) -> Result<Method, String> {
    Method::from_bytes(text.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("{text:?} is not an HTTP method"))
}

fn pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| "expected NAME=VALUE".to_owned())
}

fn json_body(text: &str) -> Result<String, String> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|_| text.to_owned())
        .map_err(|e| format!("not JSON: {e}"))
}

fn header(text: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| "expected 'Name: value'".to_owned())?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("{:?} is not a header name", name.trim()))?;
    let value =
        HeaderValue::from_str(value.trim()).map_err(|_| "not a valid header value".to_owned())?;
    Ok((name, value))
}

/// `application/x-www-form-urlencoded` with RFC 3986 percent-encoding (as OAuth 1.0a signs it).
fn form_encode(pairs: &[(String, String)]) -> String {
    let encode = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn oauth1(settings: &Settings) -> Option<Credential> {
    let v = &settings.values;
    let consumer = ConsumerCredentials::new(
        ConsumerKey::new(v.consumer_key.clone()?),
        ConsumerSecret::new(v.consumer_secret.clone()?),
    );
    let owner = TokenCredentials::new(
        Token::new(v.access_token.clone()?),
        TokenSecret::new(v.access_token_secret.clone()?),
    );
    Some(Credential::OAuth1(UserSigner::new(&consumer, &owner)))
}

fn oauth2(settings: &Settings, client: twitter_auth_ureq::Client) -> Result<ApiClient, CliError> {
    let key = &settings.paths.key;
    if oauth2_client(settings).is_some() {
        return Ok(grants(settings, client)?.api(key)?);
    }
    // Without a client id the stored set is used as it is, never refreshed.
    let grant = settings.paths.store().load(key)?.usable();
    let grant = grant.ok_or_else(|| login_required(LoginRequired::NoGrant))?;
    Ok(ApiClient::new(
        client,
        Credential::OAuth2(grant.tokens().clone()),
    ))
}

/// The system clock, saying on stderr what it waits for (a rate-limit reset, a backoff), so a
/// long `--wait-on-rate-limit` pause is never silent.
#[derive(Debug)]
struct ProgressClock;

impl twitter_auth_std::Clock for ProgressClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: std::time::Duration) {
        let mut left = duration;
        if left.as_secs() >= 1 {
            eprintln!(
                "waiting {}s before trying again (rate limit or backoff)…",
                left.as_secs()
            );
        }
        // A line every 10 s on long waits.
        let step = std::time::Duration::from_secs(10);
        while left > step {
            std::thread::sleep(step);
            left -= step;
            eprintln!("  {}s left…", left.as_secs());
        }
        std::thread::sleep(left);
    }
}

/// An API client with the profile's best user credential (`app_only` allows the app-only
/// bearer as the last resort).
pub(crate) fn api_client(
    settings: &Settings,
    auth: Auth,
    app_only: bool,
    policy: RetryPolicy,
) -> Result<ApiClient, CliError> {
    let client = twitter_auth_ureq::Client::new(settings.endpoints()?)
        .with_policy(policy)
        .with_clock(Arc::new(ProgressClock));
    let bearer = || -> Result<Credential, CliError> {
        let token = settings
            .values
            .bearer_token
            .clone()
            .ok_or("no app-only bearer token: run `twauth token app-only --save` first")?;
        Ok(Credential::AppOnly(AppOnlyBearer::new(BearerToken::new(
            token,
        ))?))
    };
    match auth {
        Auth::Oauth2 => oauth2(settings, client),
        Auth::Oauth1 => Ok(ApiClient::new(
            client,
            oauth1(settings).ok_or(
                "no OAuth 1.0a credential: consumer key/secret and access token/secret are needed: log in first",
            )?,
        )),
        Auth::AppOnly => Ok(ApiClient::new(client, bearer()?)),
        Auth::Auto => {
            let given = matches!(
                settings.access_token_source,
                Some(Source::Given | Source::DotEnv)
            );
            if given && let Some(credential) = oauth1(settings) {
                return Ok(ApiClient::new(client, credential));
            }
            if settings.paths.store().load(&settings.paths.key)?.grant.is_some() {
                return oauth2(settings, client);
            }
            if let Some(credential) = oauth1(settings) {
                return Ok(ApiClient::new(client, credential));
            }
            if app_only && settings.values.bearer_token.is_some() {
                return Ok(ApiClient::new(client, bearer()?));
            }
            Err(NO_CREDENTIAL.into())
        }
    }
}

/// `GET`-style request to `target` (a path under the API base or a full URL).
pub(crate) fn build(
    settings: &Settings,
    method: Method,
    target: &str,
    headers: &[(HeaderName, HeaderValue)],
    body: Vec<u8>,
) -> Result<HttpRequest, CliError> {
    let url = if target.starts_with("http://") || target.starts_with("https://") {
        target.to_owned()
    } else {
        settings
            .endpoints()?
            .api_url(target.trim_start_matches('/'))
            .to_string()
    };
    let mut request = http::Request::builder().method(method).uri(url.as_str());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request
        .body(body)
        .map_err(|e| CliError(format!("cannot build the request: {e}")))
}

/// `x-rate-limit-remaining/limit, resets in Ns`, when the answer says.
pub(crate) fn rate_limit_line(answer: &HttpResponse) -> Option<String> {
    let now = SystemTime::now();
    let limits = RateLimit::from_response(answer, now)?;
    let window = limits.window()?;
    let resets_in = limits.resets_at(BucketKind::Window).map_or(0, |at| {
        at.as_secs()
            .saturating_sub(UnixTime::from_system(now).as_secs())
    });
    Some(format!(
        "rate limit: {}/{} remaining, resets in {resets_in}s",
        window.remaining, window.limit
    ))
}

/// Runs the command.
pub(crate) fn run(args: &Args) -> Result<(), CliError> {
    let settings = args.opts.resolve()?;
    let mut headers = args.headers.clone();
    let body = if let Some(json) = &args.json {
        headers.push((
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ));
        json.clone().into_bytes()
    } else if !args.data.is_empty() {
        headers.push((
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        ));
        form_encode(&args.data).into_bytes()
    } else {
        Vec::new()
    };
    let method = args.method.clone().unwrap_or_else(|| {
        if args.json.is_some() || !args.data.is_empty() {
            Method::POST
        } else {
            Method::GET
        }
    });
    let request = build(&settings, method, &args.target, &headers, body)?;
    let policy = RetryPolicy::new().with_wait_on_rate_limit(args.wait_on_rate_limit);
    let api = api_client(&settings, args.auth, true, policy)?;
    let answer = api.send(request)?;
    let status = answer.status();
    eprintln!(
        "HTTP {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    match rate_limit_line(&answer) {
        Some(line) => eprintln!("{line}"),
        None => eprintln!("rate limit: not reported"),
    }
    let body = answer.body();
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        ),
        Err(_) if body.is_empty() => {}
        Err(_) => println!("{}", String::from_utf8_lossy(body)),
    }
    if args.fail && (status.is_client_error() || status.is_server_error()) {
        return Err(twitter_auth_core::error_from_response(&answer).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_is_rfc3986() {
        let pairs = vec![
            ("a b".to_owned(), "x/y+z".to_owned()),
            ("k".to_owned(), "~v-._".to_owned()),
        ];
        assert_eq!(form_encode(&pairs), "a%20b=x%2Fy%2Bz&k=~v-._");
    }

    #[test]
    fn parsers() {
        assert_eq!(method("post").ok(), Some(Method::POST));
        assert!(pair("=v").is_err());
        assert_eq!(pair("k=a=b").ok(), Some(("k".into(), "a=b".into())));
        assert!(header("no colon").is_err());
        assert!(header("X-Test: 1").is_ok());
        assert!(json_body("{").is_err());
    }
}
