//! Token stores: round trips, atomic private files, typed errors, and the lock shared by
//! processes.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use twitter_auth_core::oauth2::{Scopes, TokenSet};
use twitter_auth_core::{AccessToken, RefreshToken, UnixTime};
use twitter_auth_std::{FileStore, MemoryStore, StoreError, TokenStore};

fn tokens(access: &str) -> TokenSet {
    TokenSet::from_parts(
        AccessToken::new(access),
        Some(RefreshToken::new(format!("refresh-of-{access}"))),
        Scopes::parse("tweet.read users.read offline.access"),
        Some(UnixTime::from_secs(1_800_000_000)),
    )
    .expect("a valid token set")
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("twauth-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn same(a: &TokenSet, b: &TokenSet) -> bool {
    a.access_token().secret() == b.access_token().secret()
        && a.refresh_token().map(|t| t.secret().to_owned())
            == b.refresh_token().map(|t| t.secret().to_owned())
        && a.expires_at() == b.expires_at()
        && a.scopes() == b.scopes()
}

#[test]
fn memory_store_round_trips() {
    let store = MemoryStore::new();
    assert!(store.load().expect("loads").is_none());
    store.save(&tokens("a")).expect("saves");
    assert!(same(
        &store.load().expect("loads").expect("a set"),
        &tokens("a")
    ));
    let _lock = store.lock().expect("locks");
}

#[test]
fn file_store_round_trips_and_replaces() {
    let dir = TempDir::new("roundtrip");
    let store = FileStore::new(dir.0.join("tokens.json"));
    assert!(store.load().expect("a missing file is no tokens").is_none());
    store.save(&tokens("a")).expect("saves");
    store.save(&tokens("b")).expect("saves again");
    let loaded = store.load().expect("loads").expect("a set");
    assert!(same(&loaded, &tokens("b")));
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .expect("lists")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("tokens.json")]);
}

#[cfg(unix)]
#[test]
fn file_store_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new("mode");
    let store = FileStore::new(dir.0.join("tokens.json"));
    store.save(&tokens("a")).expect("saves");
    let mode = std::fs::metadata(store.path())
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_corrupt_file_is_a_typed_error_without_its_content() {
    let dir = TempDir::new("corrupt");
    let path = dir.0.join("tokens.json");
    std::fs::write(&path, "{\"access_token\": \"sekrit-value\", ").expect("writes");
    let error = FileStore::new(&path).load().expect_err("not a token set");
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    assert!(!error.to_string().contains("sekrit"), "{error}");
    assert!(!format!("{error:?}").contains("sekrit"));
}

#[test]
fn an_unwritable_place_is_an_io_error() {
    let dir = TempDir::new("io");
    let store = FileStore::new(dir.0.join("missing-dir").join("tokens.json"));
    let error = store.save(&tokens("a")).expect_err("no such directory");
    assert!(matches!(error, StoreError::Io { .. }), "{error:?}");
}

#[test]
fn the_lock_excludes_a_second_holder_until_released() {
    let dir = TempDir::new("lock");
    let path = dir.0.join("tokens.json");
    let first = FileStore::new(&path);
    let held = first.lock().expect("locks");
    let acquired = Arc::new(AtomicBool::new(false));
    let waiter = {
        let acquired = Arc::clone(&acquired);
        std::thread::spawn(move || {
            // A separate open file description: flock excludes it as it would another process.
            let _lock = FileStore::new(&path).lock().expect("locks eventually");
            acquired.store(true, Ordering::SeqCst);
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    assert!(!acquired.load(Ordering::SeqCst), "the lock was shared");
    drop(held);
    waiter.join().expect("the waiter ends");
    assert!(acquired.load(Ordering::SeqCst));
}
