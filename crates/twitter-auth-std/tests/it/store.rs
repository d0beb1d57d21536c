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

#[test]
fn the_memory_store_lock_excludes_a_second_holder_until_released() {
    // Two API clients sharing one store each have their own single-flight lock: only the
    // store's lock keeps them from both refreshing the same token.
    let store = Arc::new(MemoryStore::with(tokens("a")));
    let held = store.lock().expect("locks");
    let acquired = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (store, acquired) = (Arc::clone(&store), Arc::clone(&acquired));
        std::thread::spawn(move || {
            let _lock = store.lock().expect("locks eventually");
            acquired.store(true, Ordering::SeqCst);
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    assert!(!acquired.load(Ordering::SeqCst), "the lock was shared");
    // Loading and saving do not need the lock.
    store.save(&tokens("b")).expect("saves while locked");
    assert!(same(
        &store.load().expect("loads").expect("a set"),
        &tokens("b")
    ));
    drop(held);
    waiter.join().expect("the waiter ends");
    assert!(acquired.load(Ordering::SeqCst));
    // Released again by the waiter: a third holder gets it at once.
    let _again = store.lock().expect("locks again");
}

#[test]
fn the_memory_store_lock_serializes_many_holders() {
    let store = Arc::new(MemoryStore::new());
    let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (store, inside) = (Arc::clone(&store), Arc::clone(&inside));
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let _lock = store.lock().expect("locks");
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    std::thread::yield_now();
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("no two holders at once");
    }
}

#[test]
fn concurrent_saves_in_one_process_never_collide() {
    let dir = TempDir::new("concurrent");
    let store = Arc::new(FileStore::new(dir.0.join("tokens.json")));
    store.save(&tokens("initial")).expect("saves");
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (store, done) = (Arc::clone(&store), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut reads = 0_u32;
            while !done.load(Ordering::SeqCst) || reads == 0 {
                let loaded = store.load().expect("the file always parses");
                assert!(loaded.is_some(), "the file is always there");
                reads += 1;
            }
        })
    };
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                // Sets of different lengths, so interleaved writes would not parse.
                let set = tokens(&format!("writer{writer}-{}", "x".repeat(writer * 37)));
                for _ in 0..50 {
                    store.save(&set).expect("saves concurrently");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("every save succeeds");
    }
    done.store(true, Ordering::SeqCst);
    reader.join().expect("every read parses");
    let last = store.load().expect("loads").expect("a set");
    assert!(last.access_token().secret().starts_with("writer"));
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .expect("lists")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("tokens.json")],
        "no temporary file is left"
    );
}

#[test]
fn store_errors_do_not_repeat_their_source() {
    use std::error::Error as _;
    let dir = TempDir::new("source");
    let store = FileStore::new(dir.0.join("missing-dir").join("tokens.json"));
    let error = store.save(&tokens("a")).expect_err("no such directory");
    let source = error
        .source()
        .expect("the OS error is the source")
        .to_string();
    let message = error.to_string();
    assert!(!message.contains(&source), "{message}");
    assert!(message.contains("tokens.json"), "names the file: {message}");
    assert!(!message.ends_with('.'), "{message}");
}

/// A store of the caller's own (here: a `Vec` behind a mutex), with its own lock guard.
#[derive(Debug, Default)]
struct CustomStore {
    tokens: std::sync::Mutex<Vec<TokenSet>>,
    gate: Arc<std::sync::Mutex<()>>,
}

impl TokenStore for CustomStore {
    fn load(&self) -> Result<Option<TokenSet>, StoreError> {
        Ok(self.tokens.lock().expect("not poisoned").last().cloned())
    }

    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError> {
        self.tokens
            .lock()
            .expect("not poisoned")
            .push(tokens.clone());
        Ok(())
    }

    fn lock(&self) -> Result<twitter_auth_std::StoreLock, StoreError> {
        // An owned guard: a flag set while held, cleared on drop.
        struct Held(Arc<std::sync::Mutex<()>>, Arc<AtomicBool>);
        impl Drop for Held {
            fn drop(&mut self) {
                self.1.store(false, Ordering::SeqCst);
                let _ = &self.0;
            }
        }
        let flag = Arc::new(AtomicBool::new(true));
        HELD.with(|h| *h.borrow_mut() = Some(Arc::clone(&flag)));
        Ok(twitter_auth_std::StoreLock::holding(Held(
            Arc::clone(&self.gate),
            flag,
        )))
    }
}

thread_local! {
    static HELD: std::cell::RefCell<Option<Arc<AtomicBool>>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn a_custom_store_can_implement_the_trait_and_its_guard_lives_as_long_as_the_lock() {
    let store = CustomStore::default();
    store.save(&tokens("a")).expect("saves");
    assert!(same(
        &store.load().expect("loads").expect("a set"),
        &tokens("a")
    ));
    let lock = store.lock().expect("locks");
    let flag = HELD
        .with(|h| h.borrow().clone())
        .expect("the guard was made");
    assert!(
        flag.load(Ordering::SeqCst),
        "held while the StoreLock lives"
    );
    drop(lock);
    assert!(!flag.load(Ordering::SeqCst), "released when it drops");
}
