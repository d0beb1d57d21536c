//! Keyed token stores: leases, fenced saves, the salvage place, deletes and the refresh job's
//! list, for [`MemoryStore`] and [`FileStore`] through both faces; and the file store's own
//! promises: encoded file names, private files, nothing left behind, locks shared with other
//! processes, and a set a crash left in `.next`.

use std::collections::BTreeSet;
use std::fs;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::Digest as _;
use twitter_auth_core::grant::{Loaded, Saved, StoredGrant, UserKey};
use twitter_auth_core::oauth2::{Scopes, TokenSet};
use twitter_auth_core::{AccessToken, RefreshToken};
use twitter_auth_std::{BlockingTokenStore, FileStore, MemoryStore, StoreError};

const T0: u64 = 1_700_000_000;
const TTL: Duration = Duration::from_secs(90);

fn key(k: &str) -> UserKey {
    UserKey::new(k).expect("a valid key")
}

/// A grant whose access token is `access`, expiring at `T0 + expires_in` (`None`: unknown).
fn grant_with(
    k: &UserKey,
    generation: u64,
    access: &str,
    refresh: Option<&str>,
    expires_in: Option<u64>,
) -> StoredGrant {
    let tokens = TokenSet::from_parts(
        AccessToken::new(access),
        refresh.map(RefreshToken::new),
        Scopes::parse("tweet.read users.read offline.access"),
        expires_in.map(|secs| UNIX_EPOCH + Duration::from_secs(T0 + secs)),
    )
    .expect("a valid token set");
    StoredGrant::new(k.clone(), tokens, generation)
}

fn grant(k: &UserKey, generation: u64) -> StoredGrant {
    grant_with(
        k,
        generation,
        &format!("access-{generation}"),
        Some(&format!("refresh-{generation}")),
        Some(7200),
    )
}

fn with_json(grant: &StoredGrant, field: &str, value: serde_json::Value) -> StoredGrant {
    let mut json = serde_json::to_value(grant).expect("serializes");
    json[field] = value;
    serde_json::from_value(json).expect("a grant")
}

fn with_intent(grant: &StoredGrant) -> StoredGrant {
    with_json(
        grant,
        "refreshing",
        serde_json::json!({ "fence": 1, "at": T0 }),
    )
}

fn access(grant: &StoredGrant) -> &str {
    grant.tokens().access_token().secret()
}

fn generations(loaded: &Loaded) -> (Option<u64>, Option<u64>) {
    (
        loaded.grant.as_ref().map(StoredGrant::generation),
        loaded.salvage.as_ref().map(StoredGrant::generation),
    )
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "twauth-keyed-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("a temp dir");
        Self(dir)
    }

    /// A store in a subdirectory the store creates itself.
    fn store(&self) -> FileStore {
        FileStore::new(self.0.join("grants"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn names(dir: &Path) -> BTreeSet<String> {
    match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .into_string()
                    .expect("UTF-8")
            })
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

fn file_names(k: &UserKey, suffixes: &[&str]) -> BTreeSet<String> {
    let stem = FileStore::file_stem(k);
    suffixes.iter().map(|s| format!("{stem}.{s}")).collect()
}

/// Both stores, each with what keeps it alive.
fn stores() -> Vec<(&'static str, Box<dyn BlockingTokenStore>, Option<TempDir>)> {
    let dir = TempDir::new("both");
    vec![
        ("memory", Box::new(MemoryStore::new()), None),
        ("file", Box::new(dir.store()), Some(dir)),
    ]
}

fn lease(store: &dyn BlockingTokenStore, k: &UserKey) -> twitter_auth_std::Lease {
    store
        .try_lease(k, TTL)
        .expect("leases")
        .expect("the lease is free")
}

/// Runs a future of the async face to its end on a current-thread runtime.
fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}

// ---------------------------------------------------------------------------------------------
// Both stores, blocking face

#[test]
fn a_lease_excludes_a_second_holder_of_its_key_only() {
    for (name, store, _dir) in stores() {
        let (a, b) = (key("alice"), key("bob"));
        let first = lease(&*store, &a);
        assert_eq!(first.key(), &a);
        assert!(
            store.try_lease(&a, TTL).expect("asks").is_none(),
            "{name}: two holders"
        );
        let other = store
            .try_lease(&b, TTL)
            .expect("asks")
            .expect("another key is independent");
        store.release(first).expect("releases");
        let again = store
            .try_lease(&a, TTL)
            .expect("asks")
            .unwrap_or_else(|| panic!("{name}: free again after release"));
        assert_ne!(again.fence(), other.fence(), "{name}");
        store.release(again).expect("releases");
        store.release(other).expect("releases");
    }
}

#[test]
fn fences_grow_with_every_lease_of_a_key() {
    for (name, store, _dir) in stores() {
        let k = key("alice");
        let mut last = None;
        for _ in 0..5 {
            let held = lease(&*store, &k);
            if let Some(last) = last {
                assert!(held.fence() > last, "{name}: {} after {last}", held.fence());
            }
            last = Some(held.fence());
            store.release(held).expect("releases");
        }
    }
}

#[test]
fn a_save_is_fenced_on_the_expected_generation() {
    for (name, store, _dir) in stores() {
        let k = key("alice");
        let held = lease(&*store, &k);
        // Nothing stored: only `None` is expected.
        assert_eq!(
            store.save(&held, Some(0), &grant(&k, 1)).expect("saves"),
            Saved::FencedOut,
            "{name}"
        );
        assert_eq!(
            store.save(&held, None, &grant(&k, 1)).expect("saves"),
            Saved::Written,
            "{name}"
        );
        // Now generation 1 is stored.
        for wrong in [None, Some(0), Some(2)] {
            assert_eq!(
                store.save(&held, wrong, &grant(&k, 2)).expect("saves"),
                Saved::FencedOut,
                "{name}: expected {wrong:?}"
            );
        }
        assert_eq!(
            generations(&store.load(&k).expect("loads")),
            (Some(1), None),
            "{name}: a fenced-out save wrote nothing"
        );
        assert_eq!(
            store.save(&held, Some(1), &grant(&k, 2)).expect("saves"),
            Saved::Written,
            "{name}"
        );
        let loaded = store.load(&k).expect("loads");
        let stored = loaded.grant.expect("a grant");
        assert_eq!((stored.generation(), access(&stored)), (2, "access-2"));
        // What was saved is what loads, intent included.
        let intent = with_intent(&grant(&k, 2));
        store.save(&held, Some(2), &intent).expect("saves");
        let back = store.load(&k).expect("loads").grant.expect("a grant");
        assert_eq!(back.refresh_intent(), intent.refresh_intent(), "{name}");
        store.release(held).expect("releases");
    }
}

#[test]
fn a_lease_of_another_key_or_store_is_refused() {
    for (name, store, _dir) in stores() {
        let (a, b) = (key("alice"), key("bob"));
        let held = lease(&*store, &a);
        let error = store
            .save(&held, None, &grant(&b, 1))
            .expect_err("another key's lease");
        assert!(matches!(error, StoreError::WrongLease), "{name}: {error:?}");
        let elsewhere = MemoryStore::new();
        let foreign = lease(&elsewhere, &a);
        let refused = store.save(&foreign, None, &grant(&a, 1));
        assert!(
            matches!(refused, Err(StoreError::WrongLease)),
            "{name}: {refused:?}"
        );
        assert!(store.load(&a).expect("loads").grant.is_none(), "{name}");
        store.release(held).expect("releases");
    }
}

#[test]
fn a_salvaged_set_is_loaded_until_a_save_of_its_generation_or_newer() {
    for (name, store, _dir) in stores() {
        let k = key("alice");
        let held = lease(&*store, &k);
        store.save(&held, None, &grant(&k, 1)).expect("saves");
        store.release(held).expect("releases");
        // No lease needed to salvage.
        store.salvage(&grant(&k, 2)).expect("salvages");
        let loaded = store.load(&k).expect("loads");
        assert_eq!(generations(&loaded), (Some(1), Some(2)), "{name}");
        // Without a lease, the successor is what to use.
        assert_eq!(loaded.usable().map(|g| g.generation()), Some(2), "{name}");
        // Committing it clears the salvage place.
        let held = lease(&*store, &k);
        assert_eq!(
            store.save(&held, Some(1), &grant(&k, 2)).expect("saves"),
            Saved::Written
        );
        assert_eq!(
            generations(&store.load(&k).expect("loads")),
            (Some(2), None),
            "{name}"
        );
        // A salvaged set older than the stored one is dropped by the next save.
        store.salvage(&grant(&k, 1)).expect("salvages");
        store.save(&held, Some(2), &grant(&k, 3)).expect("saves");
        assert_eq!(
            generations(&store.load(&k).expect("loads")),
            (Some(3), None),
            "{name}"
        );
        store.release(held).expect("releases");
    }
}

#[test]
fn a_salvaged_successor_outlives_a_release() {
    for (name, store, _dir) in stores() {
        let k = key("alice");
        let held = lease(&*store, &k);
        store.save(&held, None, &grant(&k, 1)).expect("saves");
        store.salvage(&grant(&k, 2)).expect("salvages");
        store.release(held).expect("releases");
        assert_eq!(
            generations(&store.load(&k).expect("loads")),
            (Some(1), Some(2)),
            "{name}"
        );
    }
}

fn a_newer_salvage_survives_a_save_of_an_older_generation(store: &dyn BlockingTokenStore) {
    // "a salvaged set no newer than grant is dropped": a newer one is not.
    let k = key("alice");
    let held = lease(store, &k);
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    store.salvage(&grant(&k, 2)).expect("salvages");
    store
        .save(&held, Some(1), &with_intent(&grant(&k, 1)))
        .expect("saves");
    assert_eq!(
        generations(&store.load(&k).expect("loads")),
        (Some(1), Some(2)),
        "a save of generation 1 destroyed the salvaged generation 2"
    );
    store.release(held).expect("releases");
}

#[test]
fn a_newer_salvage_survives_a_save_of_an_older_generation_in_memory() {
    a_newer_salvage_survives_a_save_of_an_older_generation(&MemoryStore::new());
}

#[test]
fn a_newer_salvage_survives_a_save_of_an_older_generation_in_files() {
    let dir = TempDir::new("newer-salvage");
    a_newer_salvage_survives_a_save_of_an_older_generation(&dir.store());
}

#[test]
fn delete_removes_the_grant_and_its_salvage_under_the_lease_at_the_expected_generation() {
    for (name, store, _dir) in stores() {
        let k = key("alice");
        let held = lease(&*store, &k);
        store.save(&held, None, &grant(&k, 1)).expect("saves");
        store.save(&held, Some(1), &grant(&k, 2)).expect("saves");
        store.salvage(&grant(&k, 3)).expect("salvages");
        for wrong in [0, 1, 3] {
            assert_eq!(
                store.delete(&held, wrong).expect("deletes"),
                Saved::FencedOut,
                "{name}: expected {wrong}"
            );
        }
        assert_eq!(
            generations(&store.load(&k).expect("loads")),
            (Some(2), Some(3))
        );
        assert_eq!(
            store.delete(&held, 2).expect("deletes"),
            Saved::Written,
            "{name}"
        );
        assert_eq!(
            generations(&store.load(&k).expect("loads")),
            (None, None),
            "{name}"
        );
        // Nothing there any more: a second delete deletes nothing.
        assert_eq!(
            store.delete(&held, 2).expect("deletes"),
            Saved::FencedOut,
            "{name}"
        );
        store.release(held).expect("releases");
        // A new login starts over at generation 1 (expected: nothing stored).
        let held = lease(&*store, &k);
        assert_eq!(
            store.save(&held, None, &grant(&k, 1)).expect("saves"),
            Saved::Written
        );
        store.release(held).expect("releases");
    }
}

#[test]
fn expiring_before_lists_refreshable_grants_due_before_the_instant() {
    for (name, store, _dir) in stores() {
        let cases = [
            ("due", Some("r"), Some(100), None, true),
            ("later", Some("r"), Some(10_000), None, false),
            ("unknown-expiry", Some("r"), None, None, true),
            ("no-refresh-token", None, Some(100), None, false),
            ("lost", Some("r"), Some(100), Some("refused"), false),
            ("exactly-at", Some("r"), Some(3600), None, false),
        ];
        for (k, refresh, expires_in, lost, _) in cases {
            let k = key(k);
            let mut g = grant_with(&k, 1, "a", refresh, expires_in);
            if let Some(reason) = lost {
                g = with_json(&g, "lost", serde_json::Value::from(reason));
            }
            let held = lease(&*store, &k);
            store.save(&held, None, &g).expect("saves");
            store.release(held).expect("releases");
        }
        // A key with only a salvaged set has no grant to refresh.
        store
            .salvage(&grant(&key("salvage-only"), 1))
            .expect("salvages");
        let before = UNIX_EPOCH + Duration::from_secs(T0 + 3600);
        let listed = store.expiring_before(before).expect("lists");
        let expected: Vec<UserKey> = cases
            .iter()
            .filter(|c| c.4)
            .map(|c| key(c.0))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(listed, expected, "{name}: sorted, due ones only");
    }
}

#[test]
fn an_empty_store_loads_nothing_and_lists_nothing() {
    for (name, store, _dir) in stores() {
        let loaded = store.load(&key("nobody")).expect("loads");
        assert_eq!(generations(&loaded), (None, None), "{name}");
        assert!(loaded.usable().is_none());
        assert!(
            store
                .expiring_before(SystemTime::now())
                .expect("lists")
                .is_empty(),
            "{name}"
        );
    }
}

#[test]
fn the_async_face_does_what_the_blocking_one_does() {
    // Only here: MemoryStore and FileStore have both faces, with the same method names.
    use twitter_auth_std::TokenStore;
    let dir = TempDir::new("async");
    let stores: Vec<(&str, Box<dyn TokenStore>)> = vec![
        ("memory", Box::new(MemoryStore::new())),
        ("file", Box::new(dir.store())),
    ];
    for (name, store) in stores {
        block_on(async {
            let k = key("alice");
            let held = store
                .try_lease(&k, TTL)
                .await
                .expect("leases")
                .expect("free");
            assert!(
                store.try_lease(&k, TTL).await.expect("asks").is_none(),
                "{name}: two holders"
            );
            assert_eq!(
                store
                    .save(&held, Some(3), &grant(&k, 1))
                    .await
                    .expect("saves"),
                Saved::FencedOut
            );
            assert_eq!(
                store.save(&held, None, &grant(&k, 1)).await.expect("saves"),
                Saved::Written,
                "{name}"
            );
            store.salvage(&grant(&k, 2)).await.expect("salvages");
            let loaded = store.load(&k).await.expect("loads");
            assert_eq!(generations(&loaded), (Some(1), Some(2)), "{name}");
            assert_eq!(
                store
                    .save(&held, Some(1), &grant(&k, 2))
                    .await
                    .expect("saves"),
                Saved::Written
            );
            assert_eq!(
                generations(&store.load(&k).await.expect("loads")),
                (Some(2), None),
                "{name}"
            );
            let far = UNIX_EPOCH + Duration::from_secs(T0 + 1_000_000);
            assert_eq!(
                store.expiring_before(far).await.expect("lists"),
                std::slice::from_ref(&k)
            );
            assert_eq!(
                store.delete(&held, 1).await.expect("deletes"),
                Saved::FencedOut
            );
            assert_eq!(
                store.delete(&held, 2).await.expect("deletes"),
                Saved::Written
            );
            store.release(held).await.expect("releases");
            let again = store.try_lease(&k, TTL).await.expect("leases");
            assert!(again.is_some(), "{name}: released");
            store.release(again.expect("held")).await.expect("releases");
            // A lease of another store is refused here too.
            let foreign = lease(&MemoryStore::new(), &k);
            let refused = store.save(&foreign, None, &grant(&k, 1)).await;
            assert!(matches!(refused, Err(StoreError::WrongLease)), "{name}");
        });
    }
    assert_eq!(
        names(&dir.0.join("grants")),
        BTreeSet::new(),
        "nothing left behind"
    );
}

#[test]
fn an_arc_of_a_store_is_a_store() {
    let store: Arc<dyn BlockingTokenStore> = Arc::new(MemoryStore::new());
    let shared = Arc::clone(&store);
    let k = key("alice");
    let held = lease(&store, &k);
    assert!(shared.try_lease(&k, TTL).expect("asks").is_none());
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    assert_eq!(
        generations(&shared.load(&k).expect("loads")),
        (Some(1), None)
    );
    store.release(held).expect("releases");
}

// ---------------------------------------------------------------------------------------------
// Memory

#[test]
fn a_memory_lease_expires_after_its_ttl_and_fences_its_holder_out() {
    let store = MemoryStore::new();
    let k = key("alice");
    let old = store
        .try_lease(&k, Duration::from_millis(30))
        .expect("leases")
        .expect("free");
    assert_eq!(old.ttl(), Some(Duration::from_millis(30)));
    assert!(store.try_lease(&k, TTL).expect("asks").is_none());
    std::thread::sleep(Duration::from_millis(80));
    // The holder hung: another takes the key.
    let new = store
        .try_lease(&k, TTL)
        .expect("leases")
        .expect("the expired lease is free");
    assert!(new.fence() > old.fence());
    // The old holder wakes up: every write is refused.
    assert_eq!(
        store.save(&old, None, &grant(&k, 1)).expect("saves"),
        Saved::FencedOut
    );
    assert_eq!(
        store.save(&new, None, &grant(&k, 1)).expect("saves"),
        Saved::Written
    );
    assert_eq!(store.delete(&old, 1).expect("deletes"), Saved::FencedOut);
    // Its release leaves the new holder's lease alone (compare-and-delete).
    store.release(old).expect("releases");
    assert!(store.try_lease(&k, TTL).expect("asks").is_none());
    assert_eq!(
        store.save(&new, Some(1), &grant(&k, 2)).expect("saves"),
        Saved::Written
    );
    store.release(new).expect("releases");
    assert!(store.try_lease(&k, TTL).expect("asks").is_some());
}

#[test]
fn a_memory_lease_that_expired_unused_fences_out_its_save() {
    let store = MemoryStore::new();
    let k = key("alice");
    let held = store
        .try_lease(&k, Duration::from_millis(20))
        .expect("leases")
        .expect("free");
    std::thread::sleep(Duration::from_millis(60));
    // Nobody took it, but it is no longer a lease.
    assert_eq!(
        store.save(&held, None, &grant(&k, 1)).expect("saves"),
        Saved::FencedOut
    );
}

#[test]
fn a_memory_store_counts_the_keys_that_hold_a_grant() {
    let store = MemoryStore::default();
    assert!(store.is_empty());
    let k = key("alice");
    let held = lease(&store, &k);
    assert!(store.is_empty(), "a lease is not a grant");
    store.salvage(&grant(&key("bob"), 1)).expect("salvages");
    assert!(store.is_empty(), "a salvaged set is not a grant");
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    assert_eq!(store.len(), 1);
    store.delete(&held, 1).expect("deletes");
    assert!(store.is_empty());
    store.release(held).expect("releases");
}

#[test]
fn memory_leases_exclude_many_threads() {
    let store = Arc::new(MemoryStore::new());
    let inside = Arc::new(AtomicUsize::new(0));
    let k = key("alice");
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (store, inside, k) = (Arc::clone(&store), Arc::clone(&inside), k.clone());
            std::thread::spawn(move || {
                let mut held = 0;
                while held < 50 {
                    let Some(lease) = store.try_lease(&k, TTL).expect("asks") else {
                        std::thread::yield_now();
                        continue;
                    };
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    std::thread::yield_now();
                    inside.fetch_sub(1, Ordering::SeqCst);
                    store.release(lease).expect("releases");
                    held += 1;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("never two holders");
    }
}

// ---------------------------------------------------------------------------------------------
// Files: names

/// Keys that look like paths, patterns, device names, or each other.
const ODD_KEYS: &[&str] = &[
    "../x",
    "/abs",
    "a/b",
    "..",
    ".",
    ".hidden",
    "a\0b",
    "CON",
    "con",
    "NUL.txt",
    "ユーザー",
    "é",
    "e\u{301}",
    "Alice",
    "alice",
    "ALICE",
    "a=41",
    "aA",
    "+abc",
    "a b",
    "a\\b",
    "*",
    "?",
    "~",
    "a.grant",
    "x.lock",
    "-",
    "_",
    "1072250532645998596",
];

#[test]
fn every_key_gets_its_own_file_inside_the_directory() {
    let dir = TempDir::new("names");
    let store = dir.store();
    for (i, k) in ODD_KEYS.iter().enumerate() {
        let k = key(k);
        let held = lease(&store, &k);
        let g = grant_with(&k, 1, &format!("access-{i}"), Some("r"), Some(7200));
        assert_eq!(
            store.save(&held, None, &g).expect("saves"),
            Saved::Written,
            "{k:?}"
        );
        store.release(held).expect("releases");
    }
    // Nothing was written outside the store's directory, and no subdirectory inside it.
    assert_eq!(names(&dir.0), BTreeSet::from(["grants".to_owned()]));
    let listed = names(store.dir());
    assert_eq!(listed.len(), ODD_KEYS.len(), "one file per key: {listed:?}");
    for name in &listed {
        assert!(
            store.dir().join(name).is_file(),
            "{name} is not a plain file"
        );
        let stem = name.strip_suffix(".grant").expect("only grants are left");
        assert!(!stem.is_empty() && !stem.starts_with('.'), "{name}");
        assert!(
            stem.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-=+".contains(&b)),
            "{name} holds a character a file system may treat specially"
        );
    }
    // Each key reads back its own grant (no two keys share a file).
    for (i, k) in ODD_KEYS.iter().enumerate() {
        let stored = store
            .load(&key(k))
            .expect("loads")
            .grant
            .unwrap_or_else(|| panic!("{k:?} lost"));
        assert_eq!(access(&stored), format!("access-{i}"), "{k:?}");
        assert_eq!(stored.key().as_str(), *k);
    }
}

#[test]
fn file_stems_write_other_bytes_as_hex_after_an_equals_sign() {
    // The documented encoding: a-z 0-9 _ - kept, every other byte `=xx`.
    for (k, stem) in [
        ("alice", "alice"),
        ("1072250532645998596", "1072250532645998596"),
        ("a_b-c", "a_b-c"),
        ("../x", "=2e=2e=2fx"),
        ("A", "=41"),
        ("a\0b", "a=00b"),
        ("é", "=c3=a9"),
        ("=", "=3d"),
    ] {
        let got = FileStore::file_stem(&key(k));
        assert!(got.eq_ignore_ascii_case(stem), "{k:?}: {got}");
    }
    // Distinct keys, distinct stems.
    let stems: BTreeSet<String> = ODD_KEYS
        .iter()
        .map(|k| FileStore::file_stem(&key(k)))
        .collect();
    assert_eq!(stems.len(), ODD_KEYS.len());
}

#[test]
fn long_keys_are_hashed_and_overlong_ones_refused() {
    assert!(matches!(
        UserKey::new(""),
        Err(twitter_auth_core::Error::InvalidKey { .. })
    ));
    assert!(matches!(
        UserKey::new("k".repeat(1025)),
        Err(twitter_auth_core::Error::InvalidKey { .. })
    ));
    // Up to 160 bytes of file name the key is written out; past that, `+` and its SHA-256.
    let short = "k".repeat(160);
    assert_eq!(FileStore::file_stem(&key(&short)), short);
    for long in [
        "k".repeat(161),
        "k".repeat(1024),
        "/".repeat(1024),
        "é".repeat(512),
    ] {
        let digest: String = sha2::Sha256::digest(long.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let stem = FileStore::file_stem(&key(&long));
        assert!(stem.eq_ignore_ascii_case(&format!("+{digest}")), "{stem}");
    }
    // A 1024-byte key works end to end.
    let dir = TempDir::new("long");
    let store = dir.store();
    let k = key(&"/".repeat(1024));
    let held = lease(&store, &k);
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    store.release(held).expect("releases");
    assert_eq!(
        store.load(&k).expect("loads").grant.map(|g| g.generation()),
        Some(1)
    );
    assert_eq!(names(store.dir()), file_names(&k, &["grant"]));
}

// ---------------------------------------------------------------------------------------------
// Files: privacy and leftovers

#[cfg(unix)]
#[test]
fn the_directory_and_every_file_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |path: &Path| {
        fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let dir = TempDir::new("mode");
    let store = dir.store();
    let k = key("alice");
    let held = lease(&store, &k);
    assert_eq!(mode(store.dir()), 0o700, "the directory");
    let path = |suffix: &str| {
        store
            .dir()
            .join(format!("{}.{suffix}", FileStore::file_stem(&k)))
    };
    assert_eq!(mode(&path("lock")), 0o600, "the lock");
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    store
        .save(&held, Some(1), &with_intent(&grant(&k, 1)))
        .expect("saves");
    assert_eq!(mode(&path("grant")), 0o600, "the grant");
    assert_eq!(mode(&path("spare")), 0o600, "the reserved space");
    store.salvage(&grant(&k, 2)).expect("salvages");
    assert_eq!(mode(&path("salvage")), 0o600, "the salvage place");
    store.save(&held, Some(1), &grant(&k, 2)).expect("saves");
    assert_eq!(mode(&path("grant")), 0o600, "the grant, rewritten");
    store.release(held).expect("releases");
}

#[test]
fn nothing_but_the_grant_outlives_a_lease() {
    let dir = TempDir::new("leftovers");
    let store = dir.store();
    let k = key("alice");
    // A refresh: the intent (which reserves space), then the new set.
    let held = lease(&store, &k);
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    store
        .save(&held, Some(1), &with_intent(&grant(&k, 1)))
        .expect("saves");
    assert!(names(store.dir()).iter().any(|n| n.ends_with(".spare")));
    store.save(&held, Some(1), &grant(&k, 2)).expect("saves");
    store.release(held).expect("releases");
    assert_eq!(names(store.dir()), file_names(&k, &["grant"]));
    // A refresh given up after its intent (nothing sent).
    let held = lease(&store, &k);
    store
        .save(&held, Some(2), &with_intent(&grant(&k, 2)))
        .expect("saves");
    store.release(held).expect("releases");
    assert_eq!(names(store.dir()), file_names(&k, &["grant"]));
    // A salvaged set no newer than the grant.
    store.salvage(&grant(&k, 2)).expect("salvages");
    let held = lease(&store, &k);
    store.release(held).expect("releases");
    assert_eq!(names(store.dir()), file_names(&k, &["grant"]));
    // A lease without a save, of a key never stored: nothing at all.
    let other = key("bob");
    let held = lease(&store, &other);
    store.release(held).expect("releases");
    assert_eq!(names(store.dir()), file_names(&k, &["grant"]));
    // A delete: nothing at all.
    let held = lease(&store, &k);
    store.delete(&held, 2).expect("deletes");
    store.release(held).expect("releases");
    assert_eq!(names(store.dir()), BTreeSet::new());
}

// ---------------------------------------------------------------------------------------------
// Files: locks shared with other holders

fn lock_path(store: &FileStore, k: &UserKey) -> PathBuf {
    store
        .dir()
        .join(format!("{}.lock", FileStore::file_stem(k)))
}

#[test]
fn a_lock_held_through_another_open_file_blocks_the_lease() {
    let dir = TempDir::new("handle");
    let store = dir.store();
    let k = key("alice");
    // Made by a lease, so the directory exists; then held by someone else's handle.
    let held = lease(&store, &k);
    store.release(held).expect("releases");
    let path = lock_path(&store, &k);
    let other = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .expect("opens");
    other.try_lock().expect("locks");
    assert!(store.try_lease(&k, TTL).expect("asks").is_none());
    // Another store on the same directory (another process's view) is blocked too.
    assert!(
        FileStore::new(store.dir())
            .try_lease(&k, TTL)
            .expect("asks")
            .is_none()
    );
    assert!(store.try_lease(&key("bob"), TTL).expect("asks").is_some());
    drop(other);
    let held = store
        .try_lease(&k, TTL)
        .expect("asks")
        .expect("free once closed");
    store.release(held).expect("releases");
}

#[cfg(target_os = "linux")]
#[test]
fn a_lock_held_by_another_process_blocks_the_lease() {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::process::{Command, Stdio};
    let dir = TempDir::new("process");
    let store = dir.store();
    let k = key("alice");
    let held = lease(&store, &k);
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    store.release(held).expect("releases");
    let path = lock_path(&store, &k);
    // util-linux flock(1): takes flock(2) on the file, then runs the shell while holding it.
    let mut child = Command::new("flock")
        .arg("--exclusive")
        .arg(&path)
        .args(["sh", "-c", "echo held; read line"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("flock(1) from util-linux runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("reads");
    assert_eq!(line.trim(), "held");
    assert!(
        store.try_lease(&k, TTL).expect("asks").is_none(),
        "another process's lock was ignored"
    );
    // Loading needs no lease.
    assert_eq!(
        generations(&store.load(&k).expect("loads")),
        (Some(1), None)
    );
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"\n")
        .expect("writes");
    assert!(child.wait().expect("waits").success());
    let held = store
        .try_lease(&k, TTL)
        .expect("asks")
        .expect("free once the process ended");
    store.release(held).expect("releases");
}

#[test]
fn a_dead_holders_lock_file_does_not_block() {
    let dir = TempDir::new("dead");
    let store = dir.store();
    let k = key("alice");
    let held = lease(&store, &k);
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    // The holder dies: its file closes (the OS drops the lock), nothing is removed.
    drop(held);
    assert!(lock_path(&store, &k).exists(), "the lock file is left over");
    let held = store
        .try_lease(&k, TTL)
        .expect("asks")
        .expect("a leftover lock file is no lease");
    assert_eq!(
        store.save(&held, Some(1), &grant(&k, 2)).expect("saves"),
        Saved::Written
    );
    store.release(held).expect("releases");
    assert_eq!(names(store.dir()), file_names(&k, &["grant"]));
}

#[test]
fn file_leases_exclude_many_threads_and_stores() {
    let dir = TempDir::new("threads");
    let path = dir.store().dir().to_owned();
    let inside = Arc::new(AtomicUsize::new(0));
    let k = key("alice");
    let workers: Vec<_> = (0..6)
        .map(|_| {
            // A store of its own per thread, as a process would have.
            let (store, inside, k) = (FileStore::new(&path), Arc::clone(&inside), k.clone());
            std::thread::spawn(move || {
                let mut held = 0;
                while held < 30 {
                    let Some(lease) = store.try_lease(&k, TTL).expect("asks") else {
                        std::thread::yield_now();
                        continue;
                    };
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    let loaded = store.load(&k).expect("loads");
                    let generation = loaded.grant.as_ref().map(StoredGrant::generation);
                    let next = generation.map_or(1, |g| g + 1);
                    assert_eq!(
                        store
                            .save(&lease, generation, &grant(&k, next))
                            .expect("saves"),
                        Saved::Written
                    );
                    inside.fetch_sub(1, Ordering::SeqCst);
                    store.release(lease).expect("releases");
                    held += 1;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("never two holders");
    }
    let store = FileStore::new(&path);
    assert_eq!(
        generations(&store.load(&k).expect("loads")),
        (Some(6 * 30), None),
        "every increment landed"
    );
    assert_eq!(names(&path), file_names(&k, &["grant"]));
}

#[test]
fn readers_never_see_a_half_written_grant() {
    let dir = TempDir::new("readers");
    let store = dir.store();
    let k = key("alice");
    let held = lease(&store, &k);
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, k, stop) = (store.clone(), k.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut reads = 0_u32;
            while !stop.load(Ordering::SeqCst) || reads == 0 {
                let loaded = store.load(&k).expect("always parses");
                assert!(loaded.grant.is_some(), "always there");
                reads += 1;
            }
        })
    };
    for generation in 1..200 {
        // Sets of different lengths, so a torn write would not parse.
        let next = grant_with(
            &k,
            generation + 1,
            &"a".repeat(1 + (generation as usize * 37) % 900),
            Some("r"),
            Some(7200),
        );
        assert_eq!(
            store.save(&held, Some(generation), &next).expect("saves"),
            Saved::Written
        );
    }
    stop.store(true, Ordering::SeqCst);
    reader.join().expect("every read parsed");
    store.release(held).expect("releases");
}

// ---------------------------------------------------------------------------------------------
// Files: what a crash leaves

fn next_path(store: &FileStore, k: &UserKey) -> PathBuf {
    store
        .dir()
        .join(format!("{}.next", FileStore::file_stem(k)))
}

#[test]
fn a_complete_successor_left_in_next_is_salvage() {
    // A crash between writing the new set and renaming it over the grant.
    let dir = TempDir::new("crash-next");
    let store = dir.store();
    let k = key("alice");
    let held = lease(&store, &k);
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    store
        .save(&held, Some(1), &with_intent(&grant(&k, 1)))
        .expect("saves");
    let successor = grant(&k, 2);
    fs::write(
        next_path(&store, &k),
        serde_json::to_vec(&successor).expect("serializes"),
    )
    .expect("writes");
    drop(held); // killed
    let loaded = store.load(&k).expect("loads");
    assert_eq!(generations(&loaded), (Some(1), Some(2)));
    assert_eq!(loaded.salvage.as_ref().map(access), Some("access-2"));
    assert_eq!(loaded.usable().map(|g| g.generation()), Some(2));
    // The next holder commits it; then nothing is left but the grant.
    let held = lease(&store, &k);
    assert_eq!(
        store.save(&held, Some(1), &successor).expect("saves"),
        Saved::Written
    );
    store.release(held).expect("releases");
    assert_eq!(
        generations(&store.load(&k).expect("loads")),
        (Some(2), None)
    );
    assert_eq!(names(store.dir()), file_names(&k, &["grant"]));
}

#[test]
fn reserved_space_or_a_torn_write_in_next_is_ignored() {
    let dir = TempDir::new("crash-garbage");
    let store = dir.store();
    let k = key("alice");
    let held = lease(&store, &k);
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    store.release(held).expect("releases");
    let full = serde_json::to_vec(&grant(&k, 2)).expect("serializes");
    let torn = full[..full.len() / 2].to_vec();
    let mut padded = full[..full.len() / 3].to_vec();
    padded.resize(4096, b' ');
    for garbage in [
        vec![b' '; 4096],
        torn,
        padded,
        Vec::new(),
        vec![0u8; 64],
        b"{}".to_vec(),
    ] {
        fs::write(next_path(&store, &k), &garbage).expect("writes");
        let loaded = store.load(&k).expect("the grant still loads");
        assert_eq!(generations(&loaded), (Some(1), None), "{garbage:?}");
        // The next lease's release clears it away.
        let held = lease(&store, &k);
        store.release(held).expect("releases");
        assert_eq!(names(store.dir()), file_names(&k, &["grant"]));
    }
}

#[test]
fn a_corrupt_grant_is_a_typed_error_that_quotes_nothing() {
    let dir = TempDir::new("corrupt");
    let store = dir.store();
    let k = key("alice");
    let held = lease(&store, &k);
    store.save(&held, None, &grant(&k, 1)).expect("saves");
    store.release(held).expect("releases");
    let path = store
        .dir()
        .join(format!("{}.grant", FileStore::file_stem(&k)));
    fs::write(
        &path,
        r#"{"key":"alice","generation":1,"tokens":{"access_token":"sekrit-value","#,
    )
    .expect("writes");
    let error = store.load(&k).expect_err("not a grant");
    assert!(
        matches!(&error, StoreError::Corrupt { path: p, .. } if *p == path),
        "{error:?}"
    );
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains("sekrit"), "{shown}");
        assert!(shown.contains(".grant"), "names the file: {shown}");
    }
    let error = store
        .expiring_before(SystemTime::now())
        .expect_err("the list needs every grant");
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    assert!(!format!("{error:?}").contains("sekrit"));
    // A save over it is fenced: what is stored cannot be read, so no generation matches.
    let held = lease(&store, &k);
    let saved = store.save(&held, Some(1), &grant(&k, 2));
    assert!(!matches!(saved, Ok(Saved::Written)), "{saved:?}");
    store.release(held).expect("releases");
}

#[test]
fn a_missing_directory_is_an_empty_store_until_the_first_lease_creates_it() {
    let dir = TempDir::new("missing");
    let store = FileStore::new(dir.0.join("a").join("b"));
    assert_eq!(
        generations(&store.load(&key("alice")).expect("loads")),
        (None, None)
    );
    assert!(
        store
            .expiring_before(SystemTime::now())
            .expect("lists")
            .is_empty()
    );
    assert!(!store.dir().exists(), "reading creates nothing");
    let held = lease(&store, &key("alice"));
    assert!(store.dir().is_dir());
    store.release(held).expect("releases");
}

#[test]
fn an_unusable_directory_is_an_io_error_naming_it() {
    use std::error::Error as _;
    let dir = TempDir::new("io");
    let file = dir.0.join("not-a-dir");
    fs::write(&file, b"x").expect("writes");
    let store = FileStore::new(&file);
    let error = store
        .try_lease(&key("alice"), TTL)
        .expect_err("a file, not a dir");
    assert!(matches!(error, StoreError::Io { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("not-a-dir"), "{message}");
    let source = error.source().expect("the OS error").to_string();
    assert!(
        !message.contains(&source),
        "the source is not repeated: {message}"
    );
    let error = store.salvage(&grant(&key("alice"), 1)).expect_err("no dir");
    assert!(matches!(error, StoreError::Io { .. }), "{error:?}");
}

#[test]
fn expiring_before_skips_what_is_not_a_grant_file() {
    let dir = TempDir::new("skips");
    let store = dir.store();
    let k = key("alice");
    let held = lease(&store, &k);
    store
        .save(&held, None, &grant_with(&k, 1, "a", Some("r"), Some(10)))
        .expect("saves");
    store
        .save(
            &held,
            Some(1),
            &with_intent(&grant_with(&k, 1, "a", Some("r"), Some(10))),
        )
        .expect("saves");
    store.salvage(&grant(&k, 2)).expect("salvages");
    // The lock, the reserved space and the salvage place are all there now.
    let before = UNIX_EPOCH + Duration::from_secs(T0 + 3600);
    assert_eq!(
        store.expiring_before(before).expect("lists"),
        std::slice::from_ref(&k)
    );
    store.release(held).expect("releases");
}
