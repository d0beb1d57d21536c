//! Where credentials come from: flags, environment variables, a `.env` file in the current
//! directory, and named profiles under `$XDG_CONFIG_HOME/twauth/profiles/` (precedence in that
//! order), plus the helpers every network command shares (endpoints, errors, redaction).
//!
//! A profile's OAuth 2.0 grant is one key of a keyed token store: the `FileStore` directory
//! `$XDG_CONFIG_HOME/twauth/tokens/`, keyed by profile name (`tokens/<profile>.grant`).

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use twitter_auth_core::Endpoints;
use twitter_auth_core::grant::{LoginRequired, UserKey};
use twitter_auth_std::FileStore;

/// A command failure: printed as `twauth: <message>` and the process exits 1.
#[derive(Debug)]
pub(crate) struct CliError(pub(crate) String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<&str> for CliError {
    fn from(message: &str) -> Self {
        Self(message.to_owned())
    }
}

impl From<twitter_auth_core::Error> for CliError {
    fn from(e: twitter_auth_core::Error) -> Self {
        let mut message = e.to_string();
        if let Some(hint) = e.hint() {
            message.push_str("\n  hint: ");
            message.push_str(hint);
        }
        Self(message)
    }
}

impl From<twitter_auth_ureq::Error> for CliError {
    fn from(e: twitter_auth_ureq::Error) -> Self {
        if let Some(reason) = e.login_required() {
            return login_required(reason);
        }
        match e {
            twitter_auth_ureq::Error::Core(core) => core.into(),
            twitter_auth_ureq::Error::Transport(source) => {
                Self(format!("transport failure: {source}"))
            }
            other => Self(error_chain(&other)),
        }
    }
}

/// Why the profile's OAuth 2.0 grant cannot be used, and which command brings it back.
pub(crate) fn login_required(reason: LoginRequired) -> CliError {
    CliError(match reason {
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

impl From<twitter_auth_std::StoreError> for CliError {
    fn from(e: twitter_auth_std::StoreError) -> Self {
        Self(error_chain(&e))
    }
}

/// `e` and its sources, joined by `: `.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// What a command says when it needs a credential the profile does not have.
pub(crate) const NO_CREDENTIAL: &str = "no user credential in this profile: log in first (or give --access-token/--access-token-secret)";

/// Options shared by every command that talks to X.
#[derive(clap::Args, Debug)]
pub(crate) struct Opts {
    /// The profile to read (and, with --save, write).
    #[arg(long, env = "TWAUTH_PROFILE", default_value = "default", value_parser = profile_name)]
    pub(crate) profile: String,
    /// OAuth 1.0a consumer key (API key).
    #[arg(long, env = "TWAUTH_CONSUMER_KEY", hide_env_values = true)]
    consumer_key: Option<String>,
    /// OAuth 1.0a consumer secret (API key secret).
    #[arg(long, env = "TWAUTH_CONSUMER_SECRET", hide_env_values = true)]
    consumer_secret: Option<String>,
    /// OAuth 2.0 client id.
    #[arg(long, env = "TWAUTH_CLIENT_ID", hide_env_values = true)]
    client_id: Option<String>,
    /// OAuth 2.0 client secret (confidential clients).
    #[arg(long, env = "TWAUTH_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// OAuth 1.0a user access token.
    #[arg(long, env = "TWAUTH_ACCESS_TOKEN", hide_env_values = true)]
    access_token: Option<String>,
    /// OAuth 1.0a user access token secret.
    #[arg(long, env = "TWAUTH_ACCESS_TOKEN_SECRET", hide_env_values = true)]
    access_token_secret: Option<String>,
    /// OAuth 2.0 app-only bearer token.
    #[arg(long, env = "TWAUTH_BEARER_TOKEN", hide_env_values = true)]
    bearer_token: Option<String>,
    /// API base URL (e.g. a `twauth mock-server`); X's when absent.
    #[arg(long, env = "TWAUTH_BASE_URL")]
    base_url: Option<String>,
    /// OAuth 2.0 authorize page URL (defaults to the one of the base URL).
    #[arg(long, env = "TWAUTH_AUTH_URL")]
    auth_url: Option<String>,
    /// Print tokens and secrets in full instead of redacted.
    #[arg(long)]
    pub(crate) show_secrets: bool,
}

/// A profile name: letters, digits, `-`, `_`, `.`, not starting with `.` (it is a file name).
fn profile_name(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(name.to_owned())
    } else {
        Err("a profile name is 1-64 letters, digits, '-', '_' or '.', not starting with '.'".into())
    }
}

/// The stored profile: every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) consumer_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) consumer_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) access_token_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bearer_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auth_url: Option<String>,
}

/// twauth's directory: `$XDG_CONFIG_HOME/twauth`, else `$HOME/.config/twauth`.
fn config_dir() -> Result<PathBuf, CliError> {
    let nonempty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let base = match nonempty("XDG_CONFIG_HOME") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        _ => PathBuf::from(
            nonempty("HOME")
                .ok_or("cannot find the profile store: neither XDG_CONFIG_HOME nor HOME is set")?,
        )
        .join(".config"),
    };
    Ok(base.join("twauth"))
}

/// A profile's files.
#[derive(Clone, Debug)]
pub(crate) struct ProfilePaths {
    /// `profiles/<name>.json`.
    pub(crate) profile: PathBuf,
    /// `tokens/`: the `FileStore` holding every profile's OAuth 2.0 grant.
    pub(crate) tokens: PathBuf,
    /// The profile's key in it: its name.
    pub(crate) key: UserKey,
}

impl ProfilePaths {
    fn of(name: &str) -> Result<Self, CliError> {
        let dir = config_dir()?;
        Ok(Self {
            profile: dir.join("profiles").join(format!("{name}.json")),
            tokens: dir.join("tokens"),
            key: UserKey::new(name)?,
        })
    }

    /// The token store of the profile's OAuth 2.0 grant.
    pub(crate) fn store(&self) -> FileStore {
        FileStore::new(&self.tokens)
    }

    /// The file of the profile's grant: `tokens/<name>.grant` (other characters than lowercase
    /// letters, digits, `-` and `_` escaped).
    pub(crate) fn grant_file(&self) -> PathBuf {
        let stem = FileStore::file_stem(&self.key);
        self.tokens.join(format!("{stem}.grant"))
    }

    /// Creates the store directory (mode 0700) if needed.
    pub(crate) fn ensure_dir(&self) -> Result<(), CliError> {
        let dir = self.profile.parent().unwrap_or_else(|| Path::new("."));
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| CliError(format!("cannot create {}: {e}", dir.display())))
    }
}

/// Reads a profile file: a missing file is an empty profile; anything unreadable is an error
/// that names the file and the position, never its content.
pub(crate) fn load_profile(path: &Path) -> Result<Profile, CliError> {
    let text = match fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Profile::default()),
        Err(e) => return Err(CliError(format!("cannot read {}: {e}", path.display()))),
    };
    serde_json::from_slice(&text).map_err(|e| {
        CliError(format!(
            "profile {} is not a valid profile (JSON {:?} error at line {}, column {}); fix or remove it",
            path.display(),
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

/// Writes a profile atomically (temp file beside it, mode 0600, synced, renamed over).
pub(crate) fn save_profile(paths: &ProfilePaths, profile: &Profile) -> Result<(), CliError> {
    paths.ensure_dir()?;
    let path = &paths.profile;
    let fail = |e: io::Error| CliError(format!("cannot write {}: {e}", path.display()));
    let json = serde_json::to_vec_pretty(profile).map_err(|e| fail(e.into()))?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    let temp = path.with_file_name(name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = (|| {
        let mut file = options.open(&temp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(&json)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(fail(e));
    }
    Ok(())
}

/// `KEY=VALUE` lines of `.env` in the current directory (`#` comments, optional `export `,
/// optional matching quotes). A missing file is empty.
fn dotenv() -> Result<HashMap<String, String>, CliError> {
    let text = match fs::read_to_string(".env") {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(CliError(format!("cannot read .env: {e}"))),
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

/// Where a resolved value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A flag or an environment variable.
    Given,
    /// `.env` in the current directory.
    DotEnv,
    /// The profile file.
    Profile,
}

/// Flags, environment, `.env` and profile, merged.
#[derive(Debug)]
pub(crate) struct Settings {
    /// The merged values.
    pub(crate) values: Profile,
    /// Where the OAuth 1.0a access token came from (if any).
    pub(crate) access_token_source: Option<Source>,
    /// The profile's files.
    pub(crate) paths: ProfilePaths,
    /// Print secrets in full.
    pub(crate) show_secrets: bool,
}

impl Opts {
    /// Resolves every value: flag > environment > `.env` > profile.
    pub(crate) fn resolve(&self) -> Result<Settings, CliError> {
        let paths = ProfilePaths::of(&self.profile)?;
        let stored = load_profile(&paths.profile)?;
        let dotenv = dotenv()?;
        let pick = |given: &Option<String>, env: &str, stored: &Option<String>| {
            if let Some(v) = given.as_ref().filter(|v| !v.is_empty()) {
                Some((v.clone(), Source::Given))
            } else if let Some(v) = dotenv.get(env).filter(|v| !v.is_empty()) {
                Some((v.clone(), Source::DotEnv))
            } else {
                stored.clone().map(|v| (v, Source::Profile))
            }
        };
        let value = |given, env, stored| pick(given, env, stored).map(|(v, _)| v);
        let access = pick(
            &self.access_token,
            "TWAUTH_ACCESS_TOKEN",
            &stored.access_token,
        );
        let values = Profile {
            consumer_key: value(
                &self.consumer_key,
                "TWAUTH_CONSUMER_KEY",
                &stored.consumer_key,
            ),
            consumer_secret: value(
                &self.consumer_secret,
                "TWAUTH_CONSUMER_SECRET",
                &stored.consumer_secret,
            ),
            client_id: value(&self.client_id, "TWAUTH_CLIENT_ID", &stored.client_id),
            client_secret: value(
                &self.client_secret,
                "TWAUTH_CLIENT_SECRET",
                &stored.client_secret,
            ),
            access_token_secret: value(
                &self.access_token_secret,
                "TWAUTH_ACCESS_TOKEN_SECRET",
                &stored.access_token_secret,
            ),
            bearer_token: value(
                &self.bearer_token,
                "TWAUTH_BEARER_TOKEN",
                &stored.bearer_token,
            ),
            base_url: value(&self.base_url, "TWAUTH_BASE_URL", &stored.base_url),
            auth_url: value(&self.auth_url, "TWAUTH_AUTH_URL", &stored.auth_url),
            access_token: access.as_ref().map(|(v, _)| v.clone()),
        };
        Ok(Settings {
            values,
            access_token_source: access.map(|(_, s)| s),
            paths,
            show_secrets: self.show_secrets,
        })
    }
}

impl Settings {
    /// X's hosts, or the base URL (and authorize page) given.
    pub(crate) fn endpoints(&self) -> Result<Endpoints, CliError> {
        let endpoints = match &self.values.base_url {
            Some(base) => Endpoints::local(base)?,
            None => Endpoints::x(),
        };
        Ok(match &self.values.auth_url {
            Some(url) => endpoints.with_oauth2_authorize(url)?,
            None => endpoints,
        })
    }

    /// A secret as it may be printed: whole with `--show-secrets`, else its first characters.
    pub(crate) fn shown(&self, secret: &str) -> String {
        if self.show_secrets {
            secret.to_owned()
        } else {
            redact(secret)
        }
    }
}

/// The first characters of a secret, enough to tell two apart, and no more.
pub(crate) fn redact(secret: &str) -> String {
    let count = secret.chars().count();
    let keep = if count >= 16 { 4 } else { 0 };
    format!(
        "{}… ({count} chars)",
        secret.chars().take(keep).collect::<String>()
    )
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
    fn profile_names() {
        assert!(profile_name("default").is_ok());
        assert!(profile_name("work-2.x_y").is_ok());
        assert!(profile_name("../etc").is_err());
        assert!(profile_name("a/b").is_err());
        assert!(profile_name("").is_err());
    }

    #[test]
    fn redaction_hides_most() {
        let shown = redact("AAAAAAAAAAAAAAAAAAAAAAAAsecretpart");
        assert!(shown.starts_with("AAAA…"));
        assert!(!shown.contains("secretpart"));
        assert!(!redact("short").contains("short"));
    }
}
