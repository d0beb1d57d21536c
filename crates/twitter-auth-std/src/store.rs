//! Keyed token stores: where many users' OAuth 2.0 grants live, with a per-key lease and fenced
//! saves, so a refresh is never lost and never done twice.
//!
//! A store keeps one [`StoredGrant`] per [`UserKey`], plus a salvage place per key for a set X
//! issued that could not be committed. [`twitter_auth_core::grant::GrantTask`] decides what to
//! read and write; the stores only do it, through one of two faces: [`TokenStore`] (async) and
//! [`BlockingTokenStore`]. [`MemoryStore`] and [`FileStore`] have both.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::future::Future;
use std::io::{self, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use sha2::Digest as _;
use twitter_auth_core::grant::{Loaded, Saved, StoredGrant, UserKey};

use crate::{SecretJson, lock, read_secret_file, to_secret_json};

/// A failure to read or write a token store. Messages name the file or the operation, never a
/// token.
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
    /// The file is not a grant this library wrote.
    #[error("token store {path} does not hold a grant (at {location})")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where parsing stopped (`line:column`), never the text.
        location: String,
    },
    /// A lease of one key was used for another, or of another store.
    #[error("a lease was used for a key or store it was not taken for")]
    WrongLease,
    /// A store of another kind failed (a networked store's connection, say).
    #[error("token store: {what}")]
    Backend {
        /// What failed (never a token).
        what: String,
        /// The cause.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The task running a blocking store call panicked or was cancelled.
    #[error("a token store call did not finish")]
    Interrupted,
}

/// A held lease on one key: only its holder may save or delete the key. Networked stores make
/// it expire ([`ttl`](Self::ttl)) so a dead holder cannot block others for ever, and fence every
/// write with [`fence`](Self::fence).
///
/// Give it back with `release`; dropped instead, a file lock is released when its file closes
/// and other leases expire.
#[must_use = "a lease is held until it is released"]
pub struct Lease {
    key: UserKey,
    fence: u64,
    ttl: Option<Duration>,
    store_id: u64,
    guard: Option<Box<dyn Any + Send + Sync>>,
}

impl Lease {
    /// A lease for a store of your own: `store_id` says which store took it (checked by that
    /// store), `guard` holds whatever keeps it (a file, a connection), if anything.
    pub fn new(
        key: UserKey,
        fence: u64,
        ttl: Option<Duration>,
        store_id: u64,
        guard: Option<Box<dyn Any + Send + Sync>>,
    ) -> Self {
        Self {
            key,
            fence,
            ttl,
            store_id,
            guard,
        }
    }

    /// The key it is for.
    pub fn key(&self) -> &UserKey {
        &self.key
    }

    /// The fencing token: grows with every lease taken on the key.
    pub fn fence(&self) -> u64 {
        self.fence
    }

    /// How long it lasts from when it was taken (`None`: until released).
    pub fn ttl(&self) -> Option<Duration> {
        self.ttl
    }

    /// Which store took it.
    pub fn store_id(&self) -> u64 {
        self.store_id
    }

    /// The guard the store put in it.
    pub fn guard<T: 'static>(&self) -> Option<&T> {
        self.guard.as_ref()?.downcast_ref()
    }

    fn take_guard<T: 'static>(&mut self) -> Option<Box<T>> {
        self.guard.take()?.downcast().ok()
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("key", &self.key)
            .field("fence", &self.fence)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// A future a [`TokenStore`] returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The blocking face of a keyed token store (the ureq adapter, threads, the CLI).
///
/// Every method is short: `try_lease` never waits (the caller's task decides how long to wait
/// and sleeps on its own clock).
pub trait BlockingTokenStore: Send + Sync + fmt::Debug {
    /// Takes `key`'s lease if no one holds it (`None` if someone does).
    fn try_lease(&self, key: &UserKey, ttl: Duration) -> Result<Option<Lease>, StoreError>;

    /// Gives a lease back (compare-and-delete: a lease that already expired and was taken by
    /// another is left alone).
    fn release(&self, lease: Lease) -> Result<(), StoreError>;

    /// The key's grant and salvage place; no lease needed.
    fn load(&self, key: &UserKey) -> Result<Loaded, StoreError>;

    /// Writes `grant` if `lease` still holds the key and its stored generation is `expected`
    /// (`None`: nothing stored), durably; a salvaged set no newer than `grant` is dropped.
    fn save(
        &self,
        lease: &Lease,
        expected: Option<u64>,
        grant: &StoredGrant,
    ) -> Result<Saved, StoreError>;

    /// Keeps `grant` in the key's salvage place, for the next load to commit.
    fn salvage(&self, grant: &StoredGrant) -> Result<(), StoreError>;

    /// Deletes the key (grant and salvage) if `lease` still holds it and its generation is
    /// `expected`.
    fn delete(&self, lease: &Lease, expected: u64) -> Result<Saved, StoreError>;

    /// The keys whose access token expires before `before` (or whose expiry is unknown) and
    /// that can be refreshed: the refresh job's work list.
    fn expiring_before(&self, before: SystemTime) -> Result<Vec<UserKey>, StoreError>;
}

/// The async face of a keyed token store (the reqwest adapter, web apps): the same calls as
/// [`BlockingTokenStore`], none of which blocks a runtime thread.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// See [`BlockingTokenStore::try_lease`].
    fn try_lease<'a>(&'a self, key: &'a UserKey, ttl: Duration) -> StoreFuture<'a, Option<Lease>>;

    /// See [`BlockingTokenStore::release`].
    fn release(&self, lease: Lease) -> StoreFuture<'_, ()>;

    /// See [`BlockingTokenStore::load`].
    fn load<'a>(&'a self, key: &'a UserKey) -> StoreFuture<'a, Loaded>;

    /// See [`BlockingTokenStore::save`].
    fn save<'a>(
        &'a self,
        lease: &'a Lease,
        expected: Option<u64>,
        grant: &'a StoredGrant,
    ) -> StoreFuture<'a, Saved>;

    /// See [`BlockingTokenStore::salvage`].
    fn salvage<'a>(&'a self, grant: &'a StoredGrant) -> StoreFuture<'a, ()>;

    /// See [`BlockingTokenStore::delete`].
    fn delete<'a>(&'a self, lease: &'a Lease, expected: u64) -> StoreFuture<'a, Saved>;

    /// See [`BlockingTokenStore::expiring_before`].
    fn expiring_before(&self, before: SystemTime) -> StoreFuture<'_, Vec<UserKey>>;
}

/// Whole seconds since the Unix epoch (0 before it).
fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A distinct id per store instance, so a lease cannot be used on another store.
fn next_store_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn check_lease(lease: &Lease, store_id: u64, key: &UserKey) -> Result<(), StoreError> {
    if lease.store_id == store_id && lease.key == *key {
        Ok(())
    } else {
        Err(StoreError::WrongLease)
    }
}

/// Whether a grant belongs in the refresh job's list.
/// Whether `grant` is refreshable and expires before `before` (whole seconds, as stored).
fn expiring(grant: &StoredGrant, before: u64) -> bool {
    grant.lost().is_none()
        && grant.tokens().can_refresh()
        && grant.expires_at().is_none_or(|at| unix_secs(at) < before)
}

// ---------------------------------------------------------------------------------------------
// Memory

#[derive(Debug, Default)]
struct Entry {
    grant: Option<StoredGrant>,
    salvage: Option<StoredGrant>,
    lease: Option<(u64, Instant)>,
    fences: u64,
}

/// Grants in memory: for tests, and for one process that logs its users in every run.
///
/// Leases expire after their TTL (a holder that hangs is fenced out), like a networked store's.
#[derive(Debug)]
pub struct MemoryStore {
    entries: Mutex<HashMap<UserKey, Entry>>,
    id: u64,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            entries: Mutex::default(),
            id: next_store_id(),
        }
    }

    /// How many keys hold a grant.
    pub fn len(&self) -> usize {
        lock(&self.entries)
            .values()
            .filter(|e| e.grant.is_some())
            .count()
    }

    /// Whether no key holds a grant.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl BlockingTokenStore for MemoryStore {
    fn try_lease(&self, key: &UserKey, ttl: Duration) -> Result<Option<Lease>, StoreError> {
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        let entry = entries.entry(key.clone()).or_default();
        if entry.lease.is_some_and(|(_, until)| until > now) {
            return Ok(None);
        }
        entry.fences += 1;
        entry.lease = Some((entry.fences, now + ttl));
        Ok(Some(Lease::new(
            key.clone(),
            entry.fences,
            Some(ttl),
            self.id,
            None,
        )))
    }

    fn release(&self, lease: Lease) -> Result<(), StoreError> {
        let mut entries = lock(&self.entries);
        if let Some(entry) = entries.get_mut(&lease.key)
            && entry.lease.is_some_and(|(fence, _)| fence == lease.fence)
        {
            entry.lease = None;
        }
        Ok(())
    }

    fn load(&self, key: &UserKey) -> Result<Loaded, StoreError> {
        let entries = lock(&self.entries);
        Ok(entries.get(key).map_or_else(Loaded::default, |e| Loaded {
            grant: e.grant.clone(),
            salvage: e.salvage.clone(),
        }))
    }

    fn save(
        &self,
        lease: &Lease,
        expected: Option<u64>,
        grant: &StoredGrant,
    ) -> Result<Saved, StoreError> {
        check_lease(lease, self.id, grant.key())?;
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        let entry = entries.entry(grant.key().clone()).or_default();
        let held = entry
            .lease
            .is_some_and(|(fence, until)| fence == lease.fence && until > now);
        if !held || entry.grant.as_ref().map(StoredGrant::generation) != expected {
            return Ok(Saved::FencedOut);
        }
        if entry
            .salvage
            .as_ref()
            .is_some_and(|s| s.generation() <= grant.generation())
        {
            entry.salvage = None;
        }
        entry.grant = Some(grant.clone());
        Ok(Saved::Written)
    }

    fn salvage(&self, grant: &StoredGrant) -> Result<(), StoreError> {
        let mut entries = lock(&self.entries);
        entries.entry(grant.key().clone()).or_default().salvage = Some(grant.clone());
        Ok(())
    }

    fn delete(&self, lease: &Lease, expected: u64) -> Result<Saved, StoreError> {
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        let Some(entry) = entries.get_mut(&lease.key) else {
            return Ok(Saved::FencedOut);
        };
        let held = entry
            .lease
            .is_some_and(|(fence, until)| fence == lease.fence && until > now);
        if lease.store_id != self.id
            || !held
            || entry.grant.as_ref().map(StoredGrant::generation) != Some(expected)
        {
            return Ok(Saved::FencedOut);
        }
        entry.grant = None;
        entry.salvage = None;
        Ok(Saved::Written)
    }

    fn expiring_before(&self, before: SystemTime) -> Result<Vec<UserKey>, StoreError> {
        let before = unix_secs(before);
        let mut keys: Vec<UserKey> = lock(&self.entries)
            .iter()
            .filter(|(_, e)| e.grant.as_ref().is_some_and(|g| expiring(g, before)))
            .map(|(k, _)| k.clone())
            .collect();
        keys.sort();
        Ok(keys)
    }
}

/// The async face of a store whose calls are quick enough to make on a runtime thread.
macro_rules! async_face_inline {
    ($store:ty) => {
        impl TokenStore for $store {
            fn try_lease<'a>(
                &'a self,
                key: &'a UserKey,
                ttl: Duration,
            ) -> StoreFuture<'a, Option<Lease>> {
                Box::pin(async move { BlockingTokenStore::try_lease(self, key, ttl) })
            }

            fn release(&self, lease: Lease) -> StoreFuture<'_, ()> {
                Box::pin(async move { BlockingTokenStore::release(self, lease) })
            }

            fn load<'a>(&'a self, key: &'a UserKey) -> StoreFuture<'a, Loaded> {
                Box::pin(async move { BlockingTokenStore::load(self, key) })
            }

            fn save<'a>(
                &'a self,
                lease: &'a Lease,
                expected: Option<u64>,
                grant: &'a StoredGrant,
            ) -> StoreFuture<'a, Saved> {
                Box::pin(async move { BlockingTokenStore::save(self, lease, expected, grant) })
            }

            fn salvage<'a>(&'a self, grant: &'a StoredGrant) -> StoreFuture<'a, ()> {
                Box::pin(async move { BlockingTokenStore::salvage(self, grant) })
            }

            fn delete<'a>(&'a self, lease: &'a Lease, expected: u64) -> StoreFuture<'a, Saved> {
                Box::pin(async move { BlockingTokenStore::delete(self, lease, expected) })
            }

            fn expiring_before(&self, before: SystemTime) -> StoreFuture<'_, Vec<UserKey>> {
                Box::pin(async move { BlockingTokenStore::expiring_before(self, before) })
            }
        }
    };
}

async_face_inline!(MemoryStore);

// ---------------------------------------------------------------------------------------------
// Files

/// Grants in a directory, one file per key, that several processes may share.
///
/// For a key whose file name is `<k>` (the key with every byte outside `a-z 0-9 _ -` written
/// `=xx`, or `+` and the SHA-256 of the key when that is over 160 bytes, so no key can name a
/// path, a hidden file or another key's file):
///
/// - `<k>.grant` holds the committed grant (JSON, mode 0600, written to `<k>.next`, synced,
///   renamed, and the directory synced);
/// - `<k>.lock` is the lease: an advisory exclusive lock, taken without waiting and removed
///   when released (a lease of a killed process is released by the OS; its file is reused);
/// - `<k>.spare` is space reserved before a refresh is sent, so the new set can be written
///   even if the disk fills meanwhile;
/// - `<k>.salvage` is the salvage place; a complete set in `<k>.next` (a crash between write
///   and rename) counts as salvage too, and the next holder commits either.
///
/// Nothing else is left behind once a lease is released. The files hold tokens in clear: the
/// directory is created mode 0700.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    id: u64,
}

/// The space reserved before a refresh is sent (a token set is well under 1 KiB).
const RESERVE: usize = 4096;

/// A held file lease: the locked file and its path, removed at release.
struct FileLease {
    file: File,
    path: PathBuf,
}

struct KeyFiles {
    grant: PathBuf,
    next: PathBuf,
    salvage: PathBuf,
    spare: PathBuf,
    lock: PathBuf,
}

impl FileStore {
    /// A store in `dir` (created with mode 0700 on the first lease).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            id: next_store_id(),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file name stem of `key` in this store.
    pub fn file_stem(key: &UserKey) -> String {
        let mut stem = String::with_capacity(key.as_str().len());
        for &b in key.as_str().as_bytes() {
            if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-' {
                stem.push(char::from(b));
            } else {
                stem.push_str(&format!("={b:02x}"));
            }
        }
        if stem.len() > 160 {
            let digest = sha2::Sha256::digest(key.as_str().as_bytes());
            stem = String::from("+");
            for b in digest {
                stem.push_str(&format!("{b:02x}"));
            }
        }
        stem
    }

    fn files(&self, key: &UserKey) -> KeyFiles {
        let stem = Self::file_stem(key);
        let at = |suffix: &str| self.dir.join(format!("{stem}.{suffix}"));
        KeyFiles {
            grant: at("grant"),
            next: at("next"),
            salvage: at("salvage"),
            spare: at("spare"),
            lock: at("lock"),
        }
    }

    fn io(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
        move |source| StoreError::Io {
            path: path.to_owned(),
            source,
        }
    }

    fn create_dir(&self) -> Result<(), StoreError> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.dir).map_err(Self::io(&self.dir))
    }

    /// Syncs the directory, so a rename or removal survives a crash (Unix).
    fn sync_dir(&self) -> Result<(), StoreError> {
        #[cfg(unix)]
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(Self::io(&self.dir))?;
        Ok(())
    }

    /// A grant file: `None` if absent; an error if it is not a grant.
    fn read_grant(path: &Path) -> Result<Option<StoredGrant>, StoreError> {
        let text: SecretJson = match read_secret_file(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Self::io(path)(e)),
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                path: path.to_owned(),
                location: format!("{}:{}", e.line(), e.column()),
            })
    }

    /// The salvage place: a grant, or nothing (absent, reserved space, or a write cut short).
    fn read_salvage(path: &Path) -> Option<StoredGrant> {
        let text: SecretJson = read_secret_file(path).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Writes `bytes` into `path` in place (reusing the blocks of reserved space), then syncs.
    fn write_in_place(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        let mut file = private_options()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(Self::io(path))?;
        (|| {
            file.seek(SeekFrom::Start(0))?;
            file.write_all(bytes)?;
            file.set_len(bytes.len() as u64)?;
            file.sync_all()
        })()
        .map_err(Self::io(path))
    }

    fn commit(&self, files: &KeyFiles, grant: &StoredGrant) -> Result<(), StoreError> {
        let json: SecretJson =
            to_secret_json(grant).map_err(|e| Self::io(&files.next)(e.into()))?;
        if grant.refresh_intent().is_some() {
            // The set X will issue must find room even on a disk that fills meanwhile.
            Self::write_in_place(&files.spare, &[b' '; RESERVE])?;
        } else if files.spare.exists() {
            fs::rename(&files.spare, &files.next).map_err(Self::io(&files.spare))?;
        }
        Self::write_in_place(&files.next, &json)?;
        let new_set = grant.refresh_intent().is_none();
        if new_set {
            crate::failpoint("after-write");
        }
        fs::rename(&files.next, &files.grant).map_err(Self::io(&files.grant))?;
        if new_set {
            crate::failpoint("after-rename");
        }
        if Self::read_salvage(&files.salvage).is_some_and(|s| s.generation() <= grant.generation())
        {
            let _ = fs::remove_file(&files.salvage);
        }
        self.sync_dir()
    }

    /// The newest complete set in the salvage place or the write slot.
    fn salvaged(files: &KeyFiles) -> Option<StoredGrant> {
        match (
            Self::read_salvage(&files.salvage),
            Self::read_salvage(&files.next),
        ) {
            (Some(a), Some(b)) => Some(if b.generation() > a.generation() {
                b
            } else {
                a
            }),
            (a, b) => a.or(b),
        }
    }

    fn stored_generation(files: &KeyFiles) -> Result<Option<u64>, StoreError> {
        Ok(Self::read_grant(&files.grant)?.map(|g| g.generation()))
    }
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Whether `file` (open) is still the file at `path`: a lock file removed and recreated by
/// another holder between our open and our lock is not the lease.
fn same_file(file: &File, path: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let (open, named) = (file.metadata()?, fs::metadata(path));
        match named {
            Ok(named) => Ok(open.dev() == named.dev() && open.ino() == named.ino()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        Ok(true)
    }
}

impl BlockingTokenStore for FileStore {
    fn try_lease(&self, key: &UserKey, _ttl: Duration) -> Result<Option<Lease>, StoreError> {
        self.create_dir()?;
        let files = self.files(key);
        for _ in 0..16 {
            let file = private_options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&files.lock)
                .map_err(Self::io(&files.lock))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Ok(None),
                Err(fs::TryLockError::Error(e)) => return Err(Self::io(&files.lock)(e)),
            }
            if same_file(&file, &files.lock).map_err(Self::io(&files.lock))? {
                static FENCES: AtomicU64 = AtomicU64::new(0);
                let fence = (u64::from(std::process::id()) << 32)
                    | (FENCES.fetch_add(1, Ordering::Relaxed) & 0xffff_ffff);
                let guard = FileLease {
                    file,
                    path: files.lock,
                };
                return Ok(Some(Lease::new(
                    key.clone(),
                    fence,
                    None,
                    self.id,
                    Some(Box::new(guard)),
                )));
            }
        }
        Ok(None)
    }

    fn release(&self, mut lease: Lease) -> Result<(), StoreError> {
        let Some(guard) = lease.take_guard::<FileLease>() else {
            return Err(StoreError::WrongLease);
        };
        let files = self.files(&lease.key);
        // Nothing but a committed grant outlives the lease: a stale salvage, reserved space.
        // An unreadable grant counts as none committed: every salvaged set is then kept.
        let committed = Self::stored_generation(&files).ok().flatten();
        for place in [&files.next, &files.salvage] {
            let salvage = Self::read_salvage(place);
            if salvage.is_none_or(|s| committed.is_some_and(|c| s.generation() <= c)) {
                let _ = fs::remove_file(place);
            }
        }
        let _ = fs::remove_file(&files.spare);
        // Removed while still locked: a waiter that opened it sees another inode and retries.
        let removed = fs::remove_file(&guard.path);
        drop(guard.file);
        match removed {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Self::io(&guard.path)(e)),
        }
    }

    fn load(&self, key: &UserKey) -> Result<Loaded, StoreError> {
        let files = self.files(key);
        Ok(Loaded {
            grant: Self::read_grant(&files.grant)?,
            salvage: Self::salvaged(&files),
        })
    }

    fn save(
        &self,
        lease: &Lease,
        expected: Option<u64>,
        grant: &StoredGrant,
    ) -> Result<Saved, StoreError> {
        check_lease(lease, self.id, grant.key())?;
        if lease.guard::<FileLease>().is_none() {
            return Err(StoreError::WrongLease);
        }
        let files = self.files(grant.key());
        if Self::stored_generation(&files)? != expected {
            return Ok(Saved::FencedOut);
        }
        self.commit(&files, grant)?;
        Ok(Saved::Written)
    }

    fn salvage(&self, grant: &StoredGrant) -> Result<(), StoreError> {
        self.create_dir()?;
        let files = self.files(grant.key());
        let json: SecretJson =
            to_secret_json(grant).map_err(|e| Self::io(&files.salvage)(e.into()))?;
        Self::write_in_place(&files.salvage, &json)
    }

    fn delete(&self, lease: &Lease, expected: u64) -> Result<Saved, StoreError> {
        check_lease(lease, self.id, &lease.key)?;
        let files = self.files(&lease.key);
        if Self::stored_generation(&files)? != Some(expected) {
            return Ok(Saved::FencedOut);
        }
        for path in [&files.grant, &files.next, &files.spare, &files.salvage] {
            match fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Self::io(path)(e)),
            }
        }
        self.sync_dir()?;
        Ok(Saved::Written)
    }

    fn expiring_before(&self, before: SystemTime) -> Result<Vec<UserKey>, StoreError> {
        let before = unix_secs(before);
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Self::io(&self.dir)(e)),
        };
        let mut keys = Vec::new();
        for entry in entries {
            let path = entry.map_err(Self::io(&self.dir))?.path();
            if path.extension().is_none_or(|e| e != "grant") {
                continue;
            }
            let text: SecretJson = match read_secret_file(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue, // just deleted
                Err(e) => return Err(Self::io(&path)(e)),
            };
            let grant: StoredGrant =
                serde_json::from_slice(&text).map_err(|e| StoreError::Corrupt {
                    path: path.clone(),
                    location: format!("{}:{}", e.line(), e.column()),
                })?;
            if expiring(&grant, before) {
                keys.push(grant.key().clone());
            }
        }
        keys.sort();
        Ok(keys)
    }
}

/// Runs a blocking file call off the runtime's threads when there is a tokio runtime (feature
/// `tokio`), and inline otherwise.
fn offload<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> StoreFuture<'static, T> {
    #[cfg(feature = "tokio")]
    if tokio::runtime::Handle::try_current().is_ok() {
        let task = tokio::task::spawn_blocking(call);
        return Box::pin(async move { task.await.map_err(|_| StoreError::Interrupted)? });
    }
    Box::pin(async move { call() })
}

impl TokenStore for FileStore {
    fn try_lease<'a>(&'a self, key: &'a UserKey, ttl: Duration) -> StoreFuture<'a, Option<Lease>> {
        let (store, key) = (self.clone(), key.clone());
        offload(move || BlockingTokenStore::try_lease(&store, &key, ttl))
    }

    fn release(&self, lease: Lease) -> StoreFuture<'_, ()> {
        let store = self.clone();
        offload(move || BlockingTokenStore::release(&store, lease))
    }

    fn load<'a>(&'a self, key: &'a UserKey) -> StoreFuture<'a, Loaded> {
        let (store, key) = (self.clone(), key.clone());
        offload(move || BlockingTokenStore::load(&store, &key))
    }

    fn save<'a>(
        &'a self,
        lease: &'a Lease,
        expected: Option<u64>,
        grant: &'a StoredGrant,
    ) -> StoreFuture<'a, Saved> {
        // The lease's guard stays with the caller; checked here, the write goes off-thread.
        if let Err(e) = check_lease(lease, self.id, grant.key()) {
            return Box::pin(async move { Err(e) });
        }
        if lease.guard::<FileLease>().is_none() {
            return Box::pin(async { Err(StoreError::WrongLease) });
        }
        let (store, grant) = (self.clone(), grant.clone());
        offload(move || {
            let files = store.files(grant.key());
            if Self::stored_generation(&files)? != expected {
                return Ok(Saved::FencedOut);
            }
            store.commit(&files, &grant)?;
            Ok(Saved::Written)
        })
    }

    fn salvage<'a>(&'a self, grant: &'a StoredGrant) -> StoreFuture<'a, ()> {
        let (store, grant) = (self.clone(), grant.clone());
        offload(move || BlockingTokenStore::salvage(&store, &grant))
    }

    fn delete<'a>(&'a self, lease: &'a Lease, expected: u64) -> StoreFuture<'a, Saved> {
        if let Err(e) = check_lease(lease, self.id, &lease.key) {
            return Box::pin(async move { Err(e) });
        }
        let (store, key) = (self.clone(), lease.key.clone());
        offload(move || {
            let files = store.files(&key);
            if Self::stored_generation(&files)? != Some(expected) {
                return Ok(Saved::FencedOut);
            }
            for path in [&files.grant, &files.next, &files.spare, &files.salvage] {
                match fs::remove_file(path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Self::io(path)(e)),
                }
            }
            store.sync_dir()?;
            Ok(Saved::Written)
        })
    }

    fn expiring_before(&self, before: SystemTime) -> StoreFuture<'_, Vec<UserKey>> {
        let store = self.clone();
        offload(move || BlockingTokenStore::expiring_before(&store, before))
    }
}

/// Both faces of a store behind one `Arc`, for code that holds stores of any kind.
impl<S: BlockingTokenStore + ?Sized> BlockingTokenStore for Arc<S> {
    fn try_lease(&self, key: &UserKey, ttl: Duration) -> Result<Option<Lease>, StoreError> {
        (**self).try_lease(key, ttl)
    }
    fn release(&self, lease: Lease) -> Result<(), StoreError> {
        (**self).release(lease)
    }
    fn load(&self, key: &UserKey) -> Result<Loaded, StoreError> {
        (**self).load(key)
    }
    fn save(
        &self,
        lease: &Lease,
        expected: Option<u64>,
        grant: &StoredGrant,
    ) -> Result<Saved, StoreError> {
        (**self).save(lease, expected, grant)
    }
    fn salvage(&self, grant: &StoredGrant) -> Result<(), StoreError> {
        (**self).salvage(grant)
    }
    fn delete(&self, lease: &Lease, expected: u64) -> Result<Saved, StoreError> {
        (**self).delete(lease, expected)
    }
    fn expiring_before(&self, before: SystemTime) -> Result<Vec<UserKey>, StoreError> {
        (**self).expiring_before(before)
    }
}
