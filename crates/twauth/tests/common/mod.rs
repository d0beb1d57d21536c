//! Helpers shared by the CLI tests: a fresh config home, running the built binary, and the demo
//! world's credentials.

// Each test binary uses its own subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::UNIX_EPOCH;

use twitter_auth_mock::{DEMO_WEB_APP, MockX};

/// Environment variables the CLI reads; cleared so the caller's shell cannot leak in.
pub(crate) const VARS: [&str; 10] = [
    "TWAUTH_PROFILE",
    "TWAUTH_CONSUMER_KEY",
    "TWAUTH_CONSUMER_SECRET",
    "TWAUTH_CLIENT_ID",
    "TWAUTH_CLIENT_SECRET",
    "TWAUTH_ACCESS_TOKEN",
    "TWAUTH_ACCESS_TOKEN_SECRET",
    "TWAUTH_BEARER_TOKEN",
    "TWAUTH_BASE_URL",
    "TWAUTH_AUTH_URL",
];

/// A fresh `XDG_CONFIG_HOME` (also the working directory), removed on drop.
pub(crate) struct Home(pub(crate) PathBuf);

impl Home {
    pub(crate) fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("twauth-cli-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Self(dir)
    }

    /// Where the CLI keeps profiles under this home.
    pub(crate) fn profiles(&self) -> PathBuf {
        self.0.join("twauth").join("profiles")
    }

    /// The token store (a `FileStore` directory) of every profile's OAuth 2.0 grant.
    pub(crate) fn tokens(&self) -> PathBuf {
        self.0.join("twauth").join("tokens")
    }

    /// The file of `profile`'s grant (a lowercase name: others are escaped).
    pub(crate) fn grant(&self, profile: &str) -> PathBuf {
        self.tokens().join(format!("{profile}.grant"))
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A finished `twauth` run.
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `twauth args` in `home` with only `env` of the `TWAUTH_*` variables set.
pub(crate) fn twauth(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_twauth"));
    for var in VARS {
        command.env_remove(var);
    }
    let output: Output = command
        .args(args)
        .envs(env.iter().copied())
        .env("XDG_CONFIG_HOME", &home.0)
        .current_dir(&home.0)
        .output()
        .expect("twauth runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The web app's consumer key/secret and its pre-issued OAuth 1.0a token for alice.
pub(crate) fn alice(mock: &MockX) -> [(&'static str, String); 4] {
    let app = mock.config().app(DEMO_WEB_APP).expect("a web app");
    let token = &app.user_tokens[0];
    [
        ("TWAUTH_CONSUMER_KEY", app.consumer_key.clone()),
        ("TWAUTH_CONSUMER_SECRET", app.consumer_secret.clone()),
        ("TWAUTH_ACCESS_TOKEN", token.token.clone()),
        ("TWAUTH_ACCESS_TOKEN_SECRET", token.secret.clone()),
    ]
}

/// Borrowed pairs for [`twauth`]'s `env`.
pub(crate) fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A file's permission bits.
#[cfg(unix)]
pub(crate) fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("the file exists")
        .permissions()
        .mode()
        & 0o777
}
