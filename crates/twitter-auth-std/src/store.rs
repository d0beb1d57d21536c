//! Token stores: where an OAuth 2.0 token set lives, so a refresh is never lost.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use twitter_auth_core::oauth2::TokenSet;

/// A failure to read or write a token store. Messages name the file, never its content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading, writing, locking or renaming failed.
    #[error("token store {path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The file is not a token set this library wrote.
    #[error("token store {path} does not hold a token set (at {location})")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where parsing stopped (`line:column`), never the text.
        location: String,
    },
}

/// Where a token set is kept between requests and between runs.
///
/// An adapter calls [`save`](Self::save) with every new token set **before** using it, so a
/// crash never loses the only valid refresh token. Around a refresh it holds
/// [`lock`](Self::lock) and re-reads the store, so a token another process already rotated is
/// used instead of spending the dead one.
pub trait TokenStore: Send + Sync {
    /// The stored token set, if any.
    fn load(&self) -> Result<Option<TokenSet>, StoreError>;

    /// Replaces the stored token set, durably and atomically.
    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError>;

    /// Takes the store's exclusive lock, shared with other processes where the store is shared
    /// with them; released when the guard drops.
    fn lock(&self) -> Result<StoreLock, StoreError>;
}

/// A held store lock (released on drop).
#[derive(Debug)]
#[must_use = "the lock is released when this is dropped"]
pub struct StoreLock {
    // The locked file; `None` for stores no other process can see.
    _file: Option<File>,
}

/// A token set in memory: for tests and for processes that log in every run.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tokens: Mutex<Option<TokenSet>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `tokens`.
    pub fn with(tokens: TokenSet) -> Self {
        Self {
            tokens: Mutex::new(Some(tokens)),
        }
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> Result<Option<TokenSet>, StoreError> {
        Ok(self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone())
    }

    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError> {
        *self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tokens.clone());
        Ok(())
    }

    fn lock(&self) -> Result<StoreLock, StoreError> {
        // One process: the adapter's own single-flight lock is enough.
        Ok(StoreLock { _file: None })
    }
}

/// A token set in a JSON file that several processes may share.
///
/// - Written atomically: a temporary file in the same directory (mode 0600 on Unix), synced,
///   then renamed over the store, so a reader sees the old set or the new one, never half.
/// - [`lock`](TokenStore::lock) takes an advisory exclusive lock on `<file>.lock`, so two CLI
///   runs or workers refresh once between them.
///
/// The file holds the tokens in clear: keep it in a directory only its owner can read.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// A store at `path` (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        self.path.with_file_name(name)
    }
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

impl TokenStore for FileStore {
    fn load(&self) -> Result<Option<TokenSet>, StoreError> {
        let text = match fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                location: format!("{}:{}", e.line(), e.column()),
            })
    }

    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError> {
        let json = serde_json::to_vec_pretty(tokens).map_err(|e| self.io(e.into()))?;
        let temp = self.sibling(&format!(".tmp{}", std::process::id()));
        let written = (|| {
            let mut file = private_options()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&temp)?;
            file.write_all(&json)?;
            file.sync_all()?;
            fs::rename(&temp, &self.path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(self.io(e));
        }
        Ok(())
    }

    fn lock(&self) -> Result<StoreLock, StoreError> {
        let lock_path = self.sibling(".lock");
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| self.io(e))?;
        file.lock().map_err(|e| self.io(e))?;
        Ok(StoreLock { _file: Some(file) })
    }
}
