//! Token stores: where an OAuth 2.0 token set lives, so a refresh is never lost.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use twitter_auth_core::oauth2::TokenSet;

/// A failure to read or write a token store. Messages name the file, never its content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading, writing, locking or renaming failed.
    #[error("token store {path}")]
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
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The stored token set, if any.
    fn load(&self) -> Result<Option<TokenSet>, StoreError>;

    /// Replaces the stored token set, durably and atomically.
    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError>;

    /// Takes the store's exclusive lock, blocking until no one else holds it: every user of
    /// the store in this process (two API clients sharing one store each have their own
    /// single-flight lock) and, where the store is shared with other processes, them too.
    /// Released when the guard drops. Not reentrant: taking it twice on one thread deadlocks.
    fn lock(&self) -> Result<StoreLock, StoreError>;
}

/// A held store lock (released on drop).
#[derive(Debug)]
#[must_use = "the lock is released when this is dropped"]
pub struct StoreLock {
    held: Held,
}

impl StoreLock {
    /// A lock for a store of your own: `guard` is whatever keeps your lock held (a database
    /// transaction, a file, a mutex guard you own), released when the `StoreLock` drops. Use
    /// `StoreLock::holding(())` for a store nothing else can reach.
    pub fn holding(guard: impl Send + 'static) -> Self {
        Self {
            held: Held::Other(Box::new(guard)),
        }
    }
}

/// What a [`StoreLock`] holds.
enum Held {
    /// A file with an advisory lock on it (released when it closes).
    File(#[allow(dead_code, reason = "held for its lock, released when it closes")] File),
    /// An in-process gate, opened again in [`StoreLock`]'s `Drop`.
    Gate(Arc<Gate>),
    /// A custom store's guard.
    Other(#[allow(dead_code, reason = "held until dropped")] Box<dyn Send>),
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::File(_) => "File",
            Self::Gate(_) => "Gate",
            Self::Other(_) => "Other",
        })
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        if let Held::Gate(gate) = &self.held {
            gate.leave();
        }
    }
}

/// An exclusive lock that is not tied to a scope: taken by [`enter`](Self::enter), released
/// by [`leave`](Self::leave) (from [`StoreLock`]'s `Drop`), so the guard needs no lifetime.
#[derive(Debug, Default)]
struct Gate {
    closed: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn state(&self) -> MutexGuard<'_, bool> {
        self.closed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until the gate is open, then closes it behind the caller.
    fn enter(self: &Arc<Self>) -> StoreLock {
        let mut closed = self.state();
        while *closed {
            closed = self
                .opened
                .wait(closed)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *closed = true;
        StoreLock {
            held: Held::Gate(Arc::clone(self)),
        }
    }

    /// Opens the gate for the next waiter.
    fn leave(&self) {
        *self.state() = false;
        self.opened.notify_one();
    }
}

/// A token set in memory: for tests and for processes that log in every run.
///
/// Its [`lock`](TokenStore::lock) excludes every other holder in the process until the guard
/// drops, so API clients sharing one store refresh a token once between them.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tokens: Mutex<Option<TokenSet>>,
    gate: Arc<Gate>,
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
            gate: Arc::default(),
        }
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> Result<Option<TokenSet>, StoreError> {
        Ok(self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }

    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError> {
        *self.tokens.lock().unwrap_or_else(PoisonError::into_inner) = Some(tokens.clone());
        Ok(())
    }

    fn lock(&self) -> Result<StoreLock, StoreError> {
        Ok(self.gate.enter())
    }
}

/// A token set in a JSON file that several processes may share.
///
/// - Written atomically: a temporary file of its own in the same directory (mode 0600 on
///   Unix), synced, then renamed over the store, so a reader sees the old set or the new one,
///   never half, however many threads and processes save at once; on Unix the directory is
///   synced after the rename, so the new set survives a crash once `save` returns.
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

    /// Creates a temporary file beside the store that no other save (another thread, another
    /// process, or a crashed run's leftover) uses: `<file>.tmp<pid>.<n>`, created exclusively.
    fn create_temp(&self) -> io::Result<(PathBuf, File)> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let pid = std::process::id();
        let mut attempts = 0;
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let temp = self.sibling(&format!(".tmp{pid}.{n}"));
            match private_options().write(true).create_new(true).open(&temp) {
                Ok(file) => return Ok((temp, file)),
                // A leftover of a crashed process that had the same id: draw the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => {
                    attempts += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Makes the rename durable: syncs the directory holding the store (Unix; elsewhere the
    /// rename is left to the file system).
    fn sync_directory(&self) -> io::Result<()> {
        #[cfg(unix)]
        {
            let dir = match self.path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => Path::new("."),
            };
            File::open(dir)?.sync_all()?;
        }
        Ok(())
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
        let (temp, mut file) = self.create_temp().map_err(|e| self.io(e))?;
        let written = (|| {
            file.write_all(&json)?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temp, &self.path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(self.io(e));
        }
        self.sync_directory().map_err(|e| self.io(e))
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
        Ok(StoreLock {
            held: Held::File(file),
        })
    }
}
