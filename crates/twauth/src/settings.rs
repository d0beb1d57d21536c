//! Where a command's values come from, and where its credentials may go.
//!
//! Values: a flag, then its environment variable, then `.env` in the current directory, then
//! the profile (`-u/--profile`, `TWAUTH_PROFILE`, the default profile, or `default`). A secret
//! given as `-` is read from stdin (one line each, in the order of [`Field`]); a secret that is
//! literally `-` is never sent. Each command takes only the groups of flags it uses.
//!
//! Hosts: a profile records the API base its credentials were issued by (`base_url`; X's when
//! absent). Stored credentials go only there: a base URL from a flag, the environment or
//! `.env` that differs is refused unless `--allow-other-host` is given (then with a warning).

use std::collections::HashMap;
use std::fs;
use std::io::{self, BufRead as _};
use std::sync::OnceLock;

use twitter_auth_core::Endpoints;
use twitter_auth_core::url::Url;
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::profile::{self, Profile, ProfilePaths};
use crate::ui;

/// X's API base, recorded for a profile that names none.
pub(crate) const X_API: &str = "https://api.x.com/";

/// A value a command can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    ConsumerKey,
    ConsumerSecret,
    ClientId,
    ClientSecret,
    AccessToken,
    AccessTokenSecret,
    BearerToken,
    BaseUrl,
    AuthUrl,
}

impl Field {
    /// Every field, in the order `-` values are read from stdin.
    const ALL: [Self; 9] = [
        Self::ConsumerKey,
        Self::ConsumerSecret,
        Self::ClientId,
        Self::ClientSecret,
        Self::AccessToken,
        Self::AccessTokenSecret,
        Self::BearerToken,
        Self::BaseUrl,
        Self::AuthUrl,
    ];

    pub(crate) const fn flag(self) -> &'static str {
        match self {
            Self::ConsumerKey => "--consumer-key",
            Self::ConsumerSecret => "--consumer-secret",
            Self::ClientId => "--client-id",
            Self::ClientSecret => "--client-secret",
            Self::AccessToken => "--access-token",
            Self::AccessTokenSecret => "--access-token-secret",
            Self::BearerToken => "--bearer-token",
            Self::BaseUrl => "--base-url",
            Self::AuthUrl => "--auth-url",
        }
    }

    pub(crate) const fn env(self) -> &'static str {
        match self {
            Self::ConsumerKey => "TWAUTH_CONSUMER_KEY",
            Self::ConsumerSecret => "TWAUTH_CONSUMER_SECRET",
            Self::ClientId => "TWAUTH_CLIENT_ID",
            Self::ClientSecret => "TWAUTH_CLIENT_SECRET",
            Self::AccessToken => "TWAUTH_ACCESS_TOKEN",
            Self::AccessTokenSecret => "TWAUTH_ACCESS_TOKEN_SECRET",
            Self::BearerToken => "TWAUTH_BEARER_TOKEN",
            Self::BaseUrl => "TWAUTH_BASE_URL",
            Self::AuthUrl => "TWAUTH_AUTH_URL",
        }
    }

    /// Whether the value is a secret (redacted, never echoed, `-` reads stdin).
    pub(crate) const fn secret(self) -> bool {
        matches!(
            self,
            Self::ConsumerSecret
                | Self::ClientSecret
                | Self::AccessToken
                | Self::AccessTokenSecret
                | Self::BearerToken
        )
    }

    fn stored(self, profile: &Profile) -> Option<String> {
        let secret = |s: &Option<profile::Secret>| s.as_ref().map(|s| s.expose().to_owned());
        match self {
            Self::ConsumerKey => profile.consumer_key.clone(),
            Self::ConsumerSecret => secret(&profile.consumer_secret),
            Self::ClientId => profile.client_id.clone(),
            Self::ClientSecret => secret(&profile.client_secret),
            Self::AccessToken => secret(&profile.access_token),
            Self::AccessTokenSecret => secret(&profile.access_token_secret),
            Self::BearerToken => secret(&profile.bearer_token),
            Self::BaseUrl => profile.base_url.clone(),
            Self::AuthUrl => profile.auth_url.clone(),
        }
    }
}

/// Where a value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env,
    /// `.env` in the current directory.
    DotEnv,
    /// The profile file.
    Profile,
}

/// Flags for the API host, taken by every command that talks to X.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct HostArgs {
    /// API base URL: X's (`https://api.x.com`) when absent; `http://127.0.0.1:PORT` for a
    /// `twauth mock-server`. A profile's stored credentials go only to the base URL it recorded.
    #[arg(
        long,
        env = "TWAUTH_BASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    base_url: Option<String>,
    /// Send the profile's stored credentials to another base URL than the one that issued them
    /// (a warning is printed). `.env` cannot set this.
    #[arg(long)]
    allow_other_host: bool,
}

/// OAuth 1.0a app keys.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct ConsumerArgs {
    /// OAuth 1.0a consumer key (API key).
    #[arg(
        long,
        env = "TWAUTH_CONSUMER_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    consumer_key: Option<String>,
    /// OAuth 1.0a consumer secret (API key secret). `-` reads it from stdin; prefer that or the
    /// environment variable: a value on the command line is visible in `ps`.
    #[arg(
        long,
        env = "TWAUTH_CONSUMER_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    consumer_secret: Option<String>,
}

/// OAuth 2.0 client.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct ClientArgs {
    /// OAuth 2.0 client id.
    #[arg(
        long,
        env = "TWAUTH_CLIENT_ID",
        value_name = "ID",
        hide_env_values = true
    )]
    client_id: Option<String>,
    /// OAuth 2.0 client secret (confidential clients). `-` reads it from stdin; prefer that or
    /// the environment variable: a value on the command line is visible in `ps`.
    #[arg(
        long,
        env = "TWAUTH_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    client_secret: Option<String>,
}

/// An OAuth 1.0a user token.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct UserTokenArgs {
    /// OAuth 1.0a user access token. `-` reads it from stdin.
    #[arg(
        long,
        env = "TWAUTH_ACCESS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    access_token: Option<String>,
    /// OAuth 1.0a user access token secret. `-` reads it from stdin; prefer that or the
    /// environment variable: a value on the command line is visible in `ps`.
    #[arg(
        long,
        env = "TWAUTH_ACCESS_TOKEN_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    access_token_secret: Option<String>,
}

/// The app-only bearer token.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct BearerArgs {
    /// OAuth 2.0 app-only bearer token. `-` reads it from stdin; prefer that or the environment
    /// variable: a value on the command line is visible in `ps`.
    #[arg(
        long,
        env = "TWAUTH_BEARER_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    bearer_token: Option<String>,
}

/// `--show-secrets`, for commands that print a token.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct ShowArgs {
    /// Print tokens and secrets in full instead of shortened.
    #[arg(long)]
    pub(crate) show_secrets: bool,
}

/// The values a command's flag groups were given (`None`: not given).
#[derive(Default)]
pub(crate) struct Given {
    values: Vec<(Field, Option<String>)>,
    allow_other_host: bool,
}

impl Given {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub(crate) fn host(mut self, args: &HostArgs) -> Self {
        self.values.push((Field::BaseUrl, args.base_url.clone()));
        self.allow_other_host = args.allow_other_host;
        self
    }

    #[must_use]
    pub(crate) fn auth_url(mut self, url: Option<&String>) -> Self {
        self.values.push((Field::AuthUrl, url.cloned()));
        self
    }

    #[must_use]
    pub(crate) fn consumer(mut self, args: &ConsumerArgs) -> Self {
        self.values
            .push((Field::ConsumerKey, args.consumer_key.clone()));
        self.values
            .push((Field::ConsumerSecret, args.consumer_secret.clone()));
        self
    }

    #[must_use]
    pub(crate) fn client(mut self, args: &ClientArgs) -> Self {
        self.values.push((Field::ClientId, args.client_id.clone()));
        self.values
            .push((Field::ClientSecret, args.client_secret.clone()));
        self
    }

    #[must_use]
    pub(crate) fn user_token(mut self, args: &UserTokenArgs) -> Self {
        self.values
            .push((Field::AccessToken, args.access_token.clone()));
        self.values
            .push((Field::AccessTokenSecret, args.access_token_secret.clone()));
        self
    }

    #[must_use]
    pub(crate) fn bearer(mut self, args: &BearerArgs) -> Self {
        self.values
            .push((Field::BearerToken, args.bearer_token.clone()));
        self
    }

    /// Resolves every value the command takes, and reads `-` secrets from stdin.
    pub(crate) fn resolve(self) -> Result<Settings, CliError> {
        let paths = ProfilePaths::of(&profile_in_use()?)?;
        let stored = paths.load()?;
        let dotenv = dotenv()?;
        let mut values = HashMap::new();
        for field in Field::ALL {
            let Some((_, given)) = self.values.iter().find(|(f, _)| *f == field) else {
                continue;
            };
            let value = if let Some(v) = given.as_ref().filter(|v| !v.is_empty()) {
                Some((v.clone(), given_source(field)))
            } else if let Some(v) = dotenv.get(field.env()).filter(|v| !v.is_empty()) {
                Some((v.clone(), Source::DotEnv))
            } else {
                field.stored(&stored).map(|v| (v, Source::Profile))
            };
            let Some((text, source)) = value else {
                continue;
            };
            let text = Zeroizing::new(text);
            let text = if text.as_str() == "-" {
                if !field.secret() || !matches!(source, Source::Flag | Source::Env) {
                    return Err(CliError::usage(format!(
                        "{} is `-`: only a secret given by flag or environment variable reads \
                         stdin, and `-` itself is never sent as a value",
                        describe(field, source, &paths.name)
                    )));
                }
                read_secret_line(field)?
            } else {
                if field.secret() && source == Source::Flag {
                    ui::warn(&format!(
                        "{flag} on the command line is visible to other users (`ps`): use \
                         `{flag} -` (stdin) or {env}",
                        flag = field.flag(),
                        env = field.env()
                    ));
                }
                text
            };
            if field.secret() {
                ui::register(&text);
            }
            values.insert(field, Value { text, source });
        }
        let settings = Settings {
            paths,
            stored,
            values,
            allow_other_host: self.allow_other_host,
        };
        if let (Some(id), Some(secret)) = (
            settings.get(Field::ClientId),
            settings.get(Field::ClientSecret),
        ) {
            ui::register_basic(id, secret);
        }
        if let (Some(key), Some(secret)) = (
            settings.get(Field::ConsumerKey),
            settings.get(Field::ConsumerSecret),
        ) {
            ui::register_basic(key, secret);
        }
        Ok(settings)
    }
}

/// Whether a value clap filled came from the flag or from its environment variable.
fn given_source(field: Field) -> Source {
    let flag = field.flag();
    let on_command_line = std::env::args_os().any(|arg| {
        arg.to_str()
            .is_some_and(|a| a == flag || a.strip_prefix(flag).is_some_and(|r| r.starts_with('=')))
    });
    if on_command_line {
        Source::Flag
    } else {
        Source::Env
    }
}

/// One line of stdin, without its line ending, for a `-` secret.
fn read_secret_line(field: Field) -> Result<Zeroizing<String>, CliError> {
    let mut line = Zeroizing::new(String::new());
    let n = io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::new(format!("cannot read {} from stdin: {e}", field.flag())))?;
    if n == 0 {
        return Err(CliError::usage(format!(
            "{} -: stdin has no line left for it (several `-` values are read one line each, in \
             the order consumer secret, client secret, access token, access token secret, bearer \
             token)",
            field.flag()
        )));
    }
    let len = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(len);
    if line.is_empty() || line.as_str() == "-" {
        return Err(CliError::usage(format!(
            "{} -: the line read from stdin is empty",
            field.flag()
        )));
    }
    Ok(line)
}

/// What `setting` is called where it came from: `--base-url`, `TWAUTH_BASE_URL`,
/// `TWAUTH_BASE_URL in ./.env`, `base_url in profile 'work'`.
fn describe(field: Field, source: Source, profile: &str) -> String {
    match source {
        Source::Flag => field.flag().to_owned(),
        Source::Env => field.env().to_owned(),
        Source::DotEnv => format!("{} in ./.env", field.env()),
        Source::Profile => format!(
            "{} in profile '{profile}'",
            field.flag().trim_start_matches("--").replace('-', "_")
        ),
    }
}

/// The profile `-u/--profile` (or `TWAUTH_PROFILE`) named, else the default one.
static PROFILE_ARG: OnceLock<Option<String>> = OnceLock::new();

/// Records `-u/--profile` (called once by `main`).
pub(crate) fn set_profile_arg(profile: Option<String>) {
    let _ = PROFILE_ARG.set(profile);
}

/// The profile this run uses.
pub(crate) fn profile_in_use() -> Result<String, CliError> {
    match PROFILE_ARG.get().cloned().flatten() {
        Some(name) => Ok(name),
        None => profile::default_profile(),
    }
}

/// `KEY=VALUE` lines of `.env` in the current directory (`#` comments, optional `export `,
/// optional matching quotes). A missing file is empty.
fn dotenv() -> Result<HashMap<String, String>, CliError> {
    let text = match fs::read_to_string(".env") {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(CliError::new(format!("cannot read .env: {e}"))),
    };
    Ok(parse_dotenv(&text))
}

fn parse_dotenv(text: &str) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = ['"', '\'']
            .iter()
            .find_map(|&q| {
                value
                    .strip_prefix(q)
                    .and_then(|v| v.strip_suffix(q))
                    .filter(|_| value.len() >= 2)
            })
            .unwrap_or(value);
        values.insert(key.trim().to_owned(), value.to_owned());
    }
    values
}

/// A resolved value.
struct Value {
    text: Zeroizing<String>,
    source: Source,
}

/// Flags, environment, `.env` and profile, merged, for one command.
pub(crate) struct Settings {
    /// The profile's files.
    pub(crate) paths: ProfilePaths,
    /// The profile as stored.
    pub(crate) stored: Profile,
    values: HashMap<Field, Value>,
    allow_other_host: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sources: Vec<_> = Field::ALL
            .iter()
            .filter_map(|field| Some((field.flag(), self.values.get(field)?.source)))
            .collect();
        f.debug_struct("Settings")
            .field("profile", &self.paths.name)
            .field("sources", &sources)
            .finish_non_exhaustive()
    }
}

/// `url` normalized for comparison (`http://127.0.0.1:8080` = `http://127.0.0.1:8080/`).
pub(crate) fn normalized(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut url) => {
            if !url.path().ends_with('/') {
                let path = format!("{}/", url.path());
                url.set_path(&path);
            }
            url.to_string()
        }
        Err(_) => url.to_owned(),
    }
}

impl Settings {
    /// The value of `field`, if any.
    pub(crate) fn get(&self, field: Field) -> Option<&str> {
        self.values.get(&field).map(|v| v.text.as_str())
    }

    /// Where `field`'s value came from.
    pub(crate) fn source(&self, field: Field) -> Option<Source> {
        self.values.get(&field).map(|v| v.source)
    }

    /// Whether `field`'s value is the profile's stored one.
    pub(crate) fn is_stored(&self, field: Field) -> bool {
        self.source(field) == Some(Source::Profile)
    }

    /// What `field` is called where its value came from (for messages).
    pub(crate) fn describe(&self, field: Field) -> String {
        match self.source(field) {
            Some(source) => describe(field, source, &self.paths.name),
            None => field.flag().to_owned(),
        }
    }

    /// The profile's name.
    pub(crate) fn profile(&self) -> &str {
        &self.paths.name
    }

    /// The API base the profile's credentials were issued by.
    pub(crate) fn recorded_base(&self) -> String {
        normalized(self.stored.base_url.as_deref().unwrap_or(X_API))
    }

    /// The endpoints this command uses (the base URL and authorize page given, the
    /// profile's, or X's). An unusable URL is an error naming the setting it came from.
    pub(crate) fn endpoints(&self) -> Result<Endpoints, CliError> {
        let endpoints = match self.get(Field::BaseUrl) {
            Some(base) => {
                Endpoints::local(base).map_err(|e| self.url_error(Field::BaseUrl, base, &e))?
            }
            None => Endpoints::x(),
        };
        let endpoints = match self.get(Field::AuthUrl) {
            Some(url) => endpoints
                .with_oauth2_authorize(url)
                .map_err(|e| self.url_error(Field::AuthUrl, url, &e))?,
            None => endpoints,
        };
        let from = match self.source(Field::BaseUrl) {
            Some(_) => format!(" (from {})", self.describe(Field::BaseUrl)),
            None => " (X's API)".to_owned(),
        };
        crate::error::set_target(format!("{}{from}", endpoints.api()));
        Ok(endpoints)
    }

    fn url_error(&self, field: Field, value: &str, e: &twitter_auth_core::Error) -> CliError {
        let setting = self.describe(field);
        let error = CliError::new(format!("{setting} {value:?} cannot be used: {e}"));
        let bare = value.trim_start_matches('/');
        if !value.contains("://") {
            error.with_hint(format!(
                "a URL needs its scheme: http://{bare} for a mock on this machine (plain http \
                 is allowed to 127.0.0.1, ::1 and localhost only), https://{bare} otherwise"
            ))
        } else if value.starts_with("http://") {
            error.with_hint(
                "plain http is allowed to a loopback host only (127.0.0.1, ::1, localhost): use https://",
            )
        } else {
            error.with_hint(format!("give {} as an absolute https:// URL", field.flag()))
        }
    }

    /// The endpoints, after checking that the profile's stored credentials (`uses_stored`:
    /// this command sends some) go only to the base URL that issued them.
    pub(crate) fn endpoints_for(
        &self,
        uses_stored: bool,
        what: &str,
    ) -> Result<Endpoints, CliError> {
        let endpoints = self.endpoints()?;
        if uses_stored {
            self.check_host(endpoints.api().as_str(), what)?;
        }
        Ok(endpoints)
    }

    /// Whether any of `fields` holds the profile's stored value.
    pub(crate) fn any_stored(&self, fields: &[Field]) -> bool {
        fields.iter().any(|&f| self.is_stored(f))
    }

    /// Refuses (or, with `--allow-other-host`, warns about) sending the profile's stored
    /// `what` to `url`, when `url` is not under the base URL the profile recorded.
    pub(crate) fn check_host(&self, url: &str, what: &str) -> Result<(), CliError> {
        let recorded = self.recorded_base();
        let target = normalized(url);
        if target.starts_with(&recorded) {
            return Ok(());
        }
        let asked = match self.source(Field::BaseUrl) {
            Some(Source::Profile) | None => "the request".to_owned(),
            Some(_) => self.describe(Field::BaseUrl),
        };
        if self.allow_other_host {
            ui::warn(&format!(
                "sending profile '{}''s stored {what} to {target} ({asked}), not to {recorded} \
                 which issued them (--allow-other-host)",
                self.profile()
            ));
            return Ok(());
        }
        Err(CliError::new(format!(
            "profile '{}' holds {what} issued by {recorded}; {asked} would send them to {target}: refused",
            self.profile()
        ))
        .with_hint(
            "stored credentials go only to the host that issued them: pass --allow-other-host \
             to send them anyway, give the credentials by flag or environment variable, or use \
             another profile (-u NAME)",
        ))
    }

    /// The profile's credentials as they would be recorded with `base`: refuses to mix
    /// credentials of two hosts in one profile (`replacing`: the fields this save replaces).
    pub(crate) fn check_save(
        &self,
        profile: &Profile,
        base: &str,
        replacing: &[Field],
        grant: bool,
    ) -> Result<(), CliError> {
        let recorded = normalized(profile.base_url.as_deref().unwrap_or(X_API));
        if recorded == normalized(base) {
            return Ok(());
        }
        let others = Field::ALL
            .iter()
            .any(|&f| f.secret() && !replacing.contains(&f) && f.stored(profile).is_some())
            || grant;
        if others {
            return Err(CliError::new(format!(
                "profile '{}' holds credentials issued by {recorded}; this one comes from {}: \
                 one profile keeps one host's credentials",
                self.profile(),
                normalized(base)
            ))
            .with_hint(
                "save it to another profile (-u NAME), or remove the old ones first (`twauth profiles delete NAME`)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines() {
        let values = parse_dotenv(
            "# comment\nTWAUTH_CLIENT_ID=abc\nexport TWAUTH_BASE_URL=\"http://127.0.0.1:1\"\n\nbad line\nK='v w'\n",
        );
        assert_eq!(values["TWAUTH_CLIENT_ID"], "abc");
        assert_eq!(values["TWAUTH_BASE_URL"], "http://127.0.0.1:1");
        assert_eq!(values["K"], "v w");
        assert_eq!(values.len(), 3);
    }

    #[test]
    fn urls_compare_normalized() {
        assert_eq!(
            normalized("http://127.0.0.1:8080"),
            normalized("http://127.0.0.1:8080/")
        );
        assert_ne!(
            normalized("http://127.0.0.1:8080"),
            normalized("http://127.0.0.1:8081")
        );
        assert!(normalized("https://api.x.com/2/users/me").starts_with(&normalized(X_API)));
        assert!(!normalized("https://api.x.com.evil/").starts_with(&normalized(X_API)));
    }
}
