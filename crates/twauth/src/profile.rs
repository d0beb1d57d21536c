//! The profile store under `$XDG_CONFIG_HOME/twauth/`: `profiles/<name>.json` (a profile's
//! app keys, OAuth 1.0a token, app-only bearer, and the hosts its credentials were issued by),
//! `tokens/` (the `FileStore` holding every profile's OAuth 2.0 grant, keyed by profile name),
//! and `config.json` (the default profile).
//!
//! Every file is written by [`write_private`]: a temporary file created exclusively beside the
//! target (mode 0600), synced, renamed over it, and the directory synced, under an advisory
//! lock so two runs never lose each other's change. A directory that others can write is
//! tightened to 0700 (or refused, if it is not ours).

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use twitter_auth_core::grant::UserKey;
use twitter_auth_std::{
    BlockingTokenStore as _, FileStore, SecretJson, read_secret_file, to_secret_json_pretty,
};
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::ui;

/// A secret kept in a profile: serialized as its plain string, `<redacted>` in `Debug`, zeroed
/// on drop.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct Secret(Zeroizing<String>);

impl Secret {
    pub(crate) fn new(secret: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret.into()))
    }

    /// The secret itself: to send, or to print under `--show-secrets`.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A stored profile: one account's credentials at one X (or one fake X), every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Profile {
    /// OAuth 1.0a consumer key (API key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) consumer_key: Option<String>,
    /// OAuth 1.0a consumer secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) consumer_secret: Option<Secret>,
    /// OAuth 2.0 client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) client_id: Option<String>,
    /// OAuth 2.0 client secret (confidential clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) client_secret: Option<Secret>,
    /// OAuth 1.0a access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) access_token: Option<Secret>,
    /// OAuth 1.0a access token secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) access_token_secret: Option<Secret>,
    /// OAuth 2.0 app-only bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bearer_token: Option<Secret>,
    /// The API base the credentials were issued by (X's, `https://api.x.com/`, when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) base_url: Option<String>,
    /// The OAuth 2.0 authorize page the grant was obtained on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auth_url: Option<String>,
}

impl Profile {
    /// The credentials it holds, by name (`oauth1`, `app-only`, `consumer`, `oauth2-client`).
    pub(crate) fn kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if self.access_token.is_some() && self.access_token_secret.is_some() {
            kinds.push("oauth1");
        }
        if self.bearer_token.is_some() {
            kinds.push("app-only");
        }
        if self.consumer_key.is_some() {
            kinds.push("consumer");
        }
        if self.client_id.is_some() {
            kinds.push("oauth2-client");
        }
        kinds
    }
}

/// twauth's directory: `$XDG_CONFIG_HOME/twauth`, else `$HOME/.config/twauth`.
pub(crate) fn config_dir() -> Result<PathBuf, CliError> {
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

/// A profile name: letters, digits, `-`, `_`, `.`, not starting with `.` (it is a file name).
pub(crate) fn profile_name(name: &str) -> Result<String, String> {
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

/// A profile's files.
#[derive(Clone, Debug)]
pub(crate) struct ProfilePaths {
    /// The profile's name.
    pub(crate) name: String,
    /// `profiles/<name>.json`.
    pub(crate) profile: PathBuf,
    /// `tokens/`: the `FileStore` holding every profile's OAuth 2.0 grant.
    pub(crate) tokens: PathBuf,
    /// The profile's key in it: its name.
    pub(crate) key: UserKey,
}

impl ProfilePaths {
    pub(crate) fn of(name: &str) -> Result<Self, CliError> {
        let dir = config_dir()?;
        Ok(Self {
            name: name.to_owned(),
            profile: dir.join("profiles").join(format!("{name}.json")),
            tokens: dir.join("tokens"),
            key: UserKey::new(name)?,
        })
    }

    /// The token store of the profile's OAuth 2.0 grant (its directory made private first).
    pub(crate) fn store(&self) -> Result<FileStore, CliError> {
        guard_dir(&self.tokens)?;
        Ok(FileStore::new(&self.tokens))
    }

    /// The file of the profile's grant: `tokens/<name>.grant` (other characters than lowercase
    /// letters, digits, `-` and `_` escaped).
    pub(crate) fn grant_file(&self) -> PathBuf {
        let stem = FileStore::file_stem(&self.key);
        self.tokens.join(format!("{stem}.grant"))
    }

    /// Whether an OAuth 2.0 grant is stored for the profile.
    pub(crate) fn has_grant(&self) -> Result<bool, CliError> {
        Ok(self.store()?.load(&self.key)?.grant.is_some())
    }

    /// Reads the profile (a missing file is an empty profile).
    pub(crate) fn load(&self) -> Result<Profile, CliError> {
        load_profile(&self.profile)
    }

    /// Changes the profile under its lock: reads it, applies `change`, writes it back.
    pub(crate) fn update<T>(
        &self,
        change: impl FnOnce(&mut Profile) -> Result<T, CliError>,
    ) -> Result<T, CliError> {
        let _lock = FileLock::take(&self.profile)?;
        let mut profile = self.load()?;
        let result = change(&mut profile)?;
        let json: SecretJson = to_secret_json_pretty(&profile)
            .map_err(|e| CliError::new(format!("cannot encode the profile: {e}")))?;
        write_private(&self.profile, &json)?;
        Ok(result)
    }

    /// Removes the profile file and its grant (nothing is revoked at X).
    pub(crate) fn delete(&self) -> Result<Vec<PathBuf>, CliError> {
        let mut removed = Vec::new();
        {
            let _lock = FileLock::take(&self.profile)?;
            match fs::remove_file(&self.profile) {
                Ok(()) => removed.push(self.profile.clone()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(CliError::new(format!(
                        "cannot remove {}: {e}",
                        self.profile.display()
                    )));
                }
            }
            sync_dir(parent(&self.profile));
        }
        let _ = fs::remove_file(lock_path(&self.profile));
        let store = self.store()?;
        let loaded = store.load(&self.key)?;
        if let Some(grant) = loaded.grant {
            let lease = store
                .try_lease(&self.key, std::time::Duration::from_secs(90))?
                .ok_or("another twauth is refreshing this profile's grant: try again")?;
            let deleted = store.delete(&lease, grant.generation());
            let _ = store.release(lease);
            deleted?;
            removed.push(self.grant_file());
        }
        Ok(removed)
    }
}

/// Reads a profile file: a missing file is an empty profile; anything unreadable is an error
/// that names the file and the position, never its content.
pub(crate) fn load_profile(path: &Path) -> Result<Profile, CliError> {
    guard_dir(parent(path))?;
    let text: SecretJson = match read_secret_file(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Profile::default()),
        Err(e) => {
            return Err(CliError::new(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    tighten_file(path);
    serde_json::from_slice(&text).map_err(|e| {
        CliError::new(format!(
            "profile {} is not a valid profile (JSON {:?} error at line {}, column {}); fix or remove it",
            path.display(),
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

/// The names of every stored profile (those with a file, and those with only a grant), sorted.
pub(crate) fn profile_names() -> Result<Vec<String>, CliError> {
    let dir = config_dir()?;
    let mut names = Vec::new();
    for (sub, ext) in [("profiles", "json"), ("tokens", "grant")] {
        let entries = match fs::read_dir(dir.join(sub)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(CliError::new(format!("cannot list {sub}: {e}"))),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == ext)
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                // Only names a profile can have (a grant file escapes other characters).
                && profile_name(stem).is_ok()
                && !names.iter().any(|n| n == stem)
            {
                names.push(stem.to_owned());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// `config.json`: settings that are not a profile's.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_profile: Option<String>,
}

fn config_file() -> Result<PathBuf, CliError> {
    Ok(config_dir()?.join("config.json"))
}

/// The profile used when neither `-u/--profile` nor `TWAUTH_PROFILE` names one.
pub(crate) fn default_profile() -> Result<String, CliError> {
    let path = config_file()?;
    let text = match fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok("default".to_owned()),
        Err(e) => {
            return Err(CliError::new(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let config: Config = serde_json::from_slice(&text).map_err(|e| {
        CliError::new(format!(
            "{} is not valid (line {}, column {}); fix or remove it",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    Ok(config
        .default_profile
        .filter(|name| profile_name(name).is_ok())
        .unwrap_or_else(|| "default".to_owned()))
}

/// Makes `name` the default profile.
pub(crate) fn set_default_profile(name: &str) -> Result<PathBuf, CliError> {
    let path = config_file()?;
    let _lock = FileLock::take(&path)?;
    let config = Config {
        default_profile: Some(name.to_owned()),
    };
    let mut json = serde_json::to_vec_pretty(&config)
        .map_err(|e| CliError::new(format!("cannot encode the config: {e}")))?;
    json.push(b'\n');
    write_private(&path, &json)?;
    Ok(path)
}

fn parent(path: &Path) -> &Path {
    path.parent().unwrap_or_else(|| Path::new("."))
}

/// Creates `dir` (mode 0700) if needed, and makes sure no one else can write it: group- or
/// world-writable is tightened to 0700 (with a warning), or refused if it cannot be.
pub(crate) fn guard_dir(dir: &Path) -> Result<(), CliError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| CliError::new(format!("cannot create {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::symlink_metadata(dir)
            .map_err(|e| CliError::new(format!("cannot read {}: {e}", dir.display())))?
            .permissions()
            .mode();
        if mode & 0o022 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
                CliError::new(format!(
                    "{} is writable by other users (mode {:o}) and cannot be made private ({e}): \
                     refusing to keep credentials there; fix its owner and mode (chmod 700)",
                    dir.display(),
                    mode & 0o777
                ))
            })?;
            ui::warn(&format!(
                "{} was writable by other users (mode {:o}): tightened to 0700",
                dir.display(),
                mode & 0o777
            ));
        }
    }
    Ok(())
}

/// A credential file others can read or write is made 0600 (with a warning).
fn tighten_file(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let Ok(meta) = fs::symlink_metadata(path) else {
            return;
        };
        let mode = meta.permissions().mode();
        if meta.is_file()
            && mode & 0o077 != 0
            && fs::set_permissions(path, fs::Permissions::from_mode(0o600)).is_ok()
        {
            ui::warn(&format!(
                "{} was readable by other users (mode {:o}): tightened to 0600",
                path.display(),
                mode & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// An advisory exclusive lock on `<file>.lock`, held while a read-modify-write runs.
struct FileLock(File);

impl FileLock {
    fn take(path: &Path) -> Result<Self, CliError> {
        guard_dir(parent(path))?;
        let lock = lock_path(path);
        let mut options = fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&lock)
            .map_err(|e| CliError::new(format!("cannot open {}: {e}", lock.display())))?;
        file.lock()
            .map_err(|e| CliError::new(format!("cannot lock {}: {e}", lock.display())))?;
        Ok(Self(file))
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Writes `bytes` to `path` atomically and durably, readable by the owner only: a temporary
/// file created exclusively beside it (mode 0600, a name no other run can pick), synced,
/// renamed over `path`, then the directory synced so the rename survives a crash.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let dir = parent(path);
    guard_dir(dir)?;
    let fail = |e: io::Error| CliError::new(format!("cannot write {}: {e}", path.display()));
    let base = path.file_name().unwrap_or_default().to_string_lossy();
    let (temp, mut file) = {
        let mut attempt = 0;
        loop {
            let temp = dir.join(format!(
                ".{base}.{}.{:016x}.tmp",
                std::process::id(),
                rand::random::<u64>()
            ));
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&temp) {
                Ok(file) => break (temp, file),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => {
                    attempt += 1;
                }
                Err(e) => return Err(fail(e)),
            }
        }
    };
    let written = (|| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(fail(e));
    }
    sync_dir(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names() {
        assert!(profile_name("default").is_ok());
        assert!(profile_name("work-2.x_y").is_ok());
        assert!(profile_name("../etc").is_err());
        assert!(profile_name("a/b").is_err());
        assert!(profile_name("").is_err());
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let profile = Profile {
            consumer_secret: Some(Secret::new("consumer-secret-value")),
            access_token: Some(Secret::new("access-token-value")),
            client_id: Some("client-id".into()),
            ..Profile::default()
        };
        let debug = format!("{profile:?}");
        assert!(!debug.contains("consumer-secret-value"), "{debug}");
        assert!(!debug.contains("access-token-value"), "{debug}");
        assert!(debug.contains("client-id"), "{debug}");
        let json = serde_json::to_string(&profile).expect("JSON");
        assert!(json.contains("\"consumer_secret\":\"consumer-secret-value\""));
        let back: Profile = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, profile);
    }
}
