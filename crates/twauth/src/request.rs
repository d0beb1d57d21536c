//! `twauth request`: one signed (OAuth 1.0a) or authorized (OAuth 2.0) API request with the
//! profile's credential, printing the status, the rate-limit state and the body.
//!
//! The status line and the rate-limit line go to stderr, the body to stdout (so it can be
//! piped); with `--json`, one object on stdout: `{"status","reason","rate_limit","body"}`.
//! Any answer X gives, 4xx and 5xx included, is a successful run (exit 0, X's error and hint
//! on stderr) unless `--fail` is given: the request itself worked. Exit 1 is for requests that
//! got no answer or could not be authorized (no credential, failed refresh, transport failure).
//!
//! The profile's OAuth 2.0 grant is refreshed when due, with the client the profile recorded
//! at login; stored credentials go only to the base URL the profile recorded.

use std::time::SystemTime;

use twitter_auth_core::api::Credential;
use twitter_auth_core::grant::LoginRequired;
use twitter_auth_core::http::{self, HeaderName, HeaderValue, Method};
use twitter_auth_core::oauth1_sign::{
    ConsumerCredentials, ConsumerKey, ConsumerSecret, Token, TokenCredentials, TokenSecret,
};
use twitter_auth_core::oauth2::AppOnlyBearer;
use twitter_auth_core::rate_limit::{BucketKind, RateLimit};
use twitter_auth_core::retry::RetryPolicy;
use twitter_auth_core::{BearerToken, Endpoints, HttpRequest, HttpResponse};
use twitter_auth_std::BlockingTokenStore as _;
use twitter_auth_ureq::ApiClient;

use crate::error::{CliError, login_required};
use crate::net;
use crate::settings::{
    BearerArgs, ClientArgs, ConsumerArgs, Field, Given, HostArgs, Settings, Source, UserTokenArgs,
};
use crate::token::{grants, oauth2_client, register_tokens};
use crate::ui::{self, errln};

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

/// Every user-credential flag (OAuth 1.0a, and the OAuth 2.0 client that refreshes the
/// profile's grant) and the host.
#[derive(clap::Args, Debug)]
pub(crate) struct CredentialArgs {
    #[command(flatten)]
    consumer: ConsumerArgs,
    #[command(flatten)]
    token: UserTokenArgs,
    #[command(flatten)]
    client: ClientArgs,
    #[command(flatten)]
    host: HostArgs,
}

impl CredentialArgs {
    /// The values they take (add the bearer's for `request`).
    pub(crate) fn given(&self) -> Given {
        Given::new()
            .host(&self.host)
            .consumer(&self.consumer)
            .user_token(&self.token)
            .client(&self.client)
    }
}

/// A `-d` value: a form field, or a whole JSON document.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Data {
    Field(String, String),
    Json(String),
}

/// `request` options.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The HTTP method (POST by default when a body is given, else GET).
    #[arg(short = 'X', long = "method", value_parser = method)]
    method: Option<Method>,
    /// The body: a form field `NAME=VALUE` (repeatable; sent
    /// `application/x-www-form-urlencoded`), or one JSON document (`-d '{"text":"hi"}'`, sent
    /// `application/json`).
    #[arg(short = 'd', long = "data", value_name = "NAME=VALUE|JSON", value_parser = data)]
    data: Vec<Data>,
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
    /// Print a body that is not JSON byte for byte (control characters are escaped otherwise).
    #[arg(long)]
    raw: bool,
    /// An API path (joined to the API base, e.g. `2/users/me`) or a full URL under it.
    #[arg(value_name = "PATH_OR_URL")]
    target: String,
    #[command(flatten)]
    credentials: CredentialArgs,
    #[command(flatten)]
    bearer: BearerArgs,
}

fn method(text: &str) -> Result<Method, String> {
    Method::from_bytes(text.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("{text:?} is not an HTTP method"))
}

fn data(text: &str) -> Result<Data, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return serde_json::from_str::<serde_json::Value>(text)
            .map(|_| Data::Json(text.to_owned()))
            .map_err(|e| format!("not JSON: {e}"));
    }
    text.split_once('=')
        .map(|(k, v)| Data::Field(k.to_owned(), v.to_owned()))
        .filter(|d| !matches!(d, Data::Field(k, _) if k.is_empty()))
        .ok_or_else(|| "expected NAME=VALUE or a JSON document".to_owned())
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
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", ui::percent_encode(k), ui::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The OAuth 1.0a user credential, if complete; and whether any part of it is stored.
fn oauth1(settings: &Settings) -> Option<Credential> {
    let consumer = ConsumerCredentials::new(
        ConsumerKey::new(settings.get(Field::ConsumerKey)?),
        ConsumerSecret::new(settings.get(Field::ConsumerSecret)?),
    );
    let owner = TokenCredentials::new(
        Token::new(settings.get(Field::AccessToken)?),
        TokenSecret::new(settings.get(Field::AccessTokenSecret)?),
    );
    Some(Credential::OAuth1(
        twitter_auth_core::oauth1::App::from(consumer).signer(&owner),
    ))
}

const OAUTH1_FIELDS: [Field; 3] = [
    Field::ConsumerSecret,
    Field::AccessToken,
    Field::AccessTokenSecret,
];

/// The client for the profile's grant: refreshed with the recorded client, or (an old
/// profile without one) used as stored until it expires.
fn oauth2(settings: &Settings, policy: &RetryPolicy) -> Result<(ApiClient, Endpoints), CliError> {
    let endpoints = settings.endpoints_for(true, "OAuth 2.0 grant")?;
    let client = net::transport().with_policy(policy.clone());
    let key = &settings.paths.key;
    if oauth2_client(settings).is_some() {
        let api = grants(settings, &endpoints, client)?.api(key)?;
        register_tokens(&api);
        return Ok((api, endpoints));
    }
    ui::warn(
        "the profile records no OAuth 2.0 client id: its grant is used as stored and cannot be \
         refreshed; log in again (`twauth login oauth2`) to record it",
    );
    let grant = settings.paths.store()?.load(key)?.usable();
    let grant = grant.ok_or_else(|| login_required(LoginRequired::NoGrant))?;
    ui::register(grant.tokens().access_token().secret());
    Ok((
        ApiClient::new(
            client,
            &endpoints,
            Credential::OAuth2(grant.tokens().clone()),
        ),
        endpoints,
    ))
}

/// An API client with the profile's best user credential (`app_only` allows the app-only
/// bearer as the last resort), and the endpoints it may send to.
pub(crate) fn api_client(
    settings: &Settings,
    auth: Auth,
    app_only: bool,
    policy: &RetryPolicy,
) -> Result<(ApiClient, Endpoints), CliError> {
    let fixed = |credential: Credential, stored: &[Field], what: &str| {
        let endpoints = settings.endpoints_for(settings.any_stored(stored), what)?;
        let client = net::transport().with_policy(policy.clone());
        Ok::<_, CliError>((ApiClient::new(client, &endpoints, credential), endpoints))
    };
    let bearer = || -> Result<Credential, CliError> {
        let token = settings.get(Field::BearerToken).ok_or_else(|| {
            CliError::new("no app-only bearer token")
                .with_hint("run `twauth token app-only --save` first, or give --bearer-token -")
        })?;
        Ok(Credential::AppOnly(AppOnlyBearer::new(BearerToken::new(
            token,
        ))?))
    };
    let oauth1_missing = || {
        CliError::new(
            "no OAuth 1.0a credential: consumer key/secret and access token/secret are needed",
        )
        .with_hint("log in first (`twauth login oauth1`), or give them by flag or environment")
    };
    let grant = || oauth2(settings, policy);
    match auth {
        Auth::Oauth2 => grant(),
        Auth::Oauth1 => fixed(
            oauth1(settings).ok_or_else(oauth1_missing)?,
            &OAUTH1_FIELDS,
            "OAuth 1.0a credentials",
        ),
        Auth::AppOnly => fixed(bearer()?, &[Field::BearerToken], "app-only bearer token"),
        Auth::Auto => {
            let given = matches!(
                settings.source(Field::AccessToken),
                Some(Source::Flag | Source::Env | Source::DotEnv)
            );
            if given && let Some(credential) = oauth1(settings) {
                return fixed(credential, &OAUTH1_FIELDS, "OAuth 1.0a credentials");
            }
            if settings.paths.has_grant()? {
                return grant();
            }
            if let Some(credential) = oauth1(settings) {
                return fixed(credential, &OAUTH1_FIELDS, "OAuth 1.0a credentials");
            }
            if app_only && settings.get(Field::BearerToken).is_some() {
                return fixed(bearer()?, &[Field::BearerToken], "app-only bearer token");
            }
            Err(CliError::new(
                "no user credential in this profile: log in first (`twauth login oauth2` or \
                 `twauth login oauth1`), or give --access-token/--access-token-secret",
            ))
        }
    }
}

/// A request to `target` (a path under the API base, or a full URL under it: any other host
/// needs `--allow-other-host`).
pub(crate) fn build(
    settings: &Settings,
    endpoints: &Endpoints,
    method: Method,
    target: &str,
    headers: &[(HeaderName, HeaderValue)],
    body: Vec<u8>,
) -> Result<HttpRequest, CliError> {
    let url = if target.starts_with("http://") || target.starts_with("https://") {
        let base = crate::settings::normalized(endpoints.api().as_str());
        if !crate::settings::normalized(target).starts_with(&base) {
            settings.check_host(target, "credential")?;
        }
        target.to_owned()
    } else {
        endpoints
            .api_url(target.trim_start_matches('/'))
            .to_string()
    };
    let mut request = http::Request::builder().method(method).uri(url.as_str());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request
        .body(body)
        .map_err(|e| CliError::usage(format!("cannot build the request to {url:?}: {e}")))
}

/// The window limit of an answer, as JSON and as a line.
fn rate_limit(answer: &HttpResponse) -> Option<(serde_json::Value, String)> {
    let now = SystemTime::now();
    let limits = RateLimit::from_response(answer, now)?;
    let window = limits.window()?;
    let reset = limits.resets_at(BucketKind::Window).map(ui::unix_secs);
    let resets_in = reset.map_or(0, |at| at.saturating_sub(ui::unix_secs(now)));
    let json = serde_json::json!({
        "limit": window.limit,
        "remaining": window.remaining,
        "reset": reset,
        "resets_in": resets_in,
    });
    let line = format!(
        "rate limit: {}/{} remaining, resets in {resets_in}s{}",
        window.remaining,
        window.limit,
        reset.map_or_else(String::new, |at| format!(" ({})", ui::clock_time(at)))
    );
    Some((json, line))
}

/// Runs the command.
pub(crate) fn run(args: &Args) -> Result<(), CliError> {
    let settings = args.credentials.given().bearer(&args.bearer).resolve()?;
    let mut headers = args.headers.clone();
    let json_body = args.data.iter().find_map(|d| match d {
        Data::Json(json) => Some(json.clone()),
        Data::Field(..) => None,
    });
    let body = if let Some(json) = json_body {
        if args.data.len() > 1 {
            return Err(CliError::usage(
                "a JSON body is the whole body: give it as the only -d",
            ));
        }
        headers.push((
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ));
        json.into_bytes()
    } else if !args.data.is_empty() {
        headers.push((
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        ));
        let pairs: Vec<(String, String)> = args
            .data
            .iter()
            .filter_map(|d| match d {
                Data::Field(k, v) => Some((k.clone(), v.clone())),
                Data::Json(_) => None,
            })
            .collect();
        form_encode(&pairs).into_bytes()
    } else {
        Vec::new()
    };
    let default = if args.data.is_empty() {
        Method::GET
    } else {
        Method::POST
    };
    let method = args.method.clone().unwrap_or(default);
    let policy = RetryPolicy::new().with_wait_on_rate_limit(args.wait_on_rate_limit);
    let (api, endpoints) = api_client(&settings, args.auth, true, &policy)?;
    let request = build(&settings, &endpoints, method, &args.target, &headers, body)?;
    let answer = api.send(request)?;
    let status = answer.status();
    let failed = status.is_client_error() || status.is_server_error();
    let limits = rate_limit(&answer);
    let error = failed.then(|| CliError::from(twitter_auth_core::error_from_response(&answer)));
    let body = answer.body();
    if ui::json() {
        let body = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(json) => json,
            Err(_) if body.is_empty() => serde_json::Value::Null,
            Err(_) => serde_json::Value::String(String::from_utf8_lossy(body).into_owned()),
        };
        ui::out_json(&serde_json::json!({
            "status": status.as_u16(),
            "reason": status.canonical_reason(),
            "rate_limit": limits.as_ref().map(|(json, _)| json.clone()),
            "body": body,
            "error": error.as_ref().map(CliError::to_json),
        }));
    } else {
        errln!(
            "HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        match &limits {
            Some((_, line)) => errln!("{line}"),
            None => errln!("rate limit: not reported"),
        }
        print_body(body, args.raw);
        if let (Some(error), false) = (&error, args.fail) {
            // X's reason and hint, on stderr, even without --fail.
            errln!("X says: {error}");
        }
    }
    match error {
        Some(error) if args.fail => Err(error),
        _ => Ok(()),
    }
}

/// The body on stdout: JSON pretty-printed, text with control characters escaped (or as is,
/// with `--raw`).
fn print_body(body: &[u8], raw: bool) {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => ui::out_json_pretty(&json),
        Err(_) if body.is_empty() => {}
        Err(_) if raw => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(body).and_then(|()| stdout.flush())
                && e.kind() == std::io::ErrorKind::BrokenPipe
            {
                std::process::exit(ui::BROKEN_PIPE);
            }
        }
        Err(_) => ui::out(&String::from_utf8_lossy(body)),
    }
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
        assert!(data("=v").is_err());
        assert_eq!(
            data("k=a=b").ok(),
            Some(Data::Field("k".into(), "a=b".into()))
        );
        assert_eq!(
            data(r#"{"text":"hi"}"#).ok(),
            Some(Data::Json(r#"{"text":"hi"}"#.into()))
        );
        assert!(data("{").is_err());
        assert!(header("no colon").is_err());
        assert!(header("X-Test: 1").is_ok());
    }
}
