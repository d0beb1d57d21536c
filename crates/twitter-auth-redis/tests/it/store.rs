//! The keyed store's contract on Redis, through both faces.

use std::time::Duration;

use twitter_auth_core::grant::Saved;
use twitter_auth_redis::testing::RedisServer;
use twitter_auth_redis::{RedisStore, Sealer};
use twitter_auth_std::{BlockingTokenStore, StoreError};

use crate::{KEY, at, grant, key, store};

const TTL: Duration = Duration::from_secs(30);

#[test]
fn leases_exclude_fence_and_release_by_compare_and_delete() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let store = store(&server);
    let alice = key("alice");
    let first = store.try_lease(&alice, TTL).unwrap().expect("free");
    assert!(store.try_lease(&alice, TTL).unwrap().is_none(), "held");
    let bob = store
        .try_lease(&key("bob"), TTL)
        .unwrap()
        .expect("other keys are free");
    store.release(bob).unwrap();
    store.release(first).unwrap();
    let second = store.try_lease(&alice, TTL).unwrap().expect("free again");
    assert!(second.fence() > 1, "fences grow: {}", second.fence());
    store.release(second).unwrap();
}

#[test]
fn an_expired_lease_is_taken_over_and_its_holder_fenced_out() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let store = store(&server);
    let k = key("carol");
    let holder = store.try_lease(&k, TTL).unwrap().unwrap();
    store.save(&holder, None, &grant(&k, 1, 100)).unwrap();
    store.release(holder).unwrap();

    let stale = store
        .try_lease(&k, Duration::from_millis(50))
        .unwrap()
        .unwrap();
    std::thread::sleep(Duration::from_millis(120)); // expires on Redis's clock
    let fresh = store.try_lease(&k, TTL).unwrap().expect("taken over");
    assert!(fresh.fence() > stale.fence());
    assert_eq!(
        store.save(&stale, Some(1), &grant(&k, 2, 200)).unwrap(),
        Saved::FencedOut,
        "a save under an expired lease never lands"
    );
    assert_eq!(store.delete(&stale, 1).unwrap(), Saved::FencedOut);
    store.release(stale).unwrap(); // compare-and-delete: the new holder keeps its lease
    assert!(
        store.try_lease(&k, TTL).unwrap().is_none(),
        "still the new holder's"
    );
    assert_eq!(
        store.save(&fresh, Some(1), &grant(&k, 2, 200)).unwrap(),
        Saved::Written
    );
    let loaded = store.load(&k).unwrap().grant.unwrap();
    assert_eq!(loaded.generation(), 2);
    store.release(fresh).unwrap();
}

#[test]
fn saves_compare_the_generation_and_keep_the_index_and_salvage_in_step() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let store = store(&server);
    let k = key("dave");
    let lease = store.try_lease(&k, TTL).unwrap().unwrap();
    assert_eq!(
        store.save(&lease, Some(1), &grant(&k, 1, 100)).unwrap(),
        Saved::FencedOut
    );
    assert_eq!(
        store.save(&lease, None, &grant(&k, 1, 100)).unwrap(),
        Saved::Written
    );
    assert_eq!(
        store.save(&lease, None, &grant(&k, 2, 100)).unwrap(),
        Saved::FencedOut
    );
    assert_eq!(store.expiring_before(at(101)).unwrap(), vec![k.clone()]);
    assert!(
        store.expiring_before(at(100)).unwrap().is_empty(),
        "exclusive bound"
    );

    // A salvaged successor is returned by load, kept over an older one, cleared by a save.
    store.salvage(&grant(&k, 3, 300)).unwrap();
    store.salvage(&grant(&k, 2, 200)).unwrap();
    assert_eq!(store.load(&k).unwrap().salvage.unwrap().generation(), 3);
    assert_eq!(
        store.save(&lease, Some(1), &grant(&k, 2, 200)).unwrap(),
        Saved::Written
    );
    assert_eq!(
        store.load(&k).unwrap().salvage.unwrap().generation(),
        3,
        "newer stays"
    );
    assert_eq!(
        store.save(&lease, Some(2), &grant(&k, 3, 300)).unwrap(),
        Saved::Written
    );
    assert!(store.load(&k).unwrap().salvage.is_none());
    assert!(
        store.expiring_before(at(200)).unwrap().is_empty(),
        "the index moved to 300"
    );
    assert_eq!(store.expiring_before(at(301)).unwrap(), vec![k.clone()]);

    assert_eq!(store.delete(&lease, 2).unwrap(), Saved::FencedOut);
    assert_eq!(store.delete(&lease, 3).unwrap(), Saved::Written);
    assert!(store.load(&k).unwrap().grant.is_none());
    assert!(store.expiring_before(at(u64::MAX / 2)).unwrap().is_empty());
    store.release(lease).unwrap();
}

#[test]
fn a_lease_of_another_store_or_key_is_refused() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let (one, two) = (store(&server), store(&server));
    let k = key("erin");
    let lease = one.try_lease(&k, TTL).unwrap().unwrap();
    assert!(matches!(
        two.save(&lease, None, &grant(&k, 1, 1)),
        Err(StoreError::WrongLease)
    ));
    assert!(matches!(
        one.save(&lease, None, &grant(&key("frank"), 1, 1)),
        Err(StoreError::WrongLease)
    ));
    one.release(lease).unwrap();
}

#[test]
fn the_async_face_does_the_same() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = store(&server);
        let k = key("grace");
        let lease = twitter_auth_std::TokenStore::try_lease(&store, &k, TTL)
            .await
            .unwrap()
            .unwrap();
        assert!(
            twitter_auth_std::TokenStore::try_lease(&store, &k, TTL)
                .await
                .unwrap()
                .is_none()
        );
        let saved =
            twitter_auth_std::TokenStore::save(&store, &lease, None, &grant(&k, 1, 50)).await;
        assert_eq!(saved.unwrap(), Saved::Written);
        // Both faces see one store.
        assert_eq!(
            BlockingTokenStore::load(&store, &k)
                .unwrap()
                .grant
                .unwrap()
                .generation(),
            1
        );
        twitter_auth_std::TokenStore::salvage(&store, &grant(&k, 2, 60))
            .await
            .unwrap();
        let loaded = twitter_auth_std::TokenStore::load(&store, &k)
            .await
            .unwrap();
        assert_eq!(loaded.salvage.unwrap().generation(), 2);
        assert_eq!(
            twitter_auth_std::TokenStore::expiring_before(&store, at(51))
                .await
                .unwrap(),
            vec![k.clone()]
        );
        assert_eq!(
            twitter_auth_std::TokenStore::delete(&store, &lease, 1)
                .await
                .unwrap(),
            Saved::Written
        );
        twitter_auth_std::TokenStore::release(&store, lease)
            .await
            .unwrap();
        assert!(
            twitter_auth_std::TokenStore::try_lease(&store, &k, TTL)
                .await
                .unwrap()
                .is_some()
        );
    });
}

#[test]
fn nothing_in_redis_is_a_token_in_clear_and_keys_rotate() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let store = store(&server);
    let k = key("heidi");
    let lease = store.try_lease(&k, TTL).unwrap().unwrap();
    store.save(&lease, None, &grant(&k, 1, 100)).unwrap();
    store.salvage(&grant(&k, 2, 200)).unwrap();
    store.release(lease).unwrap();

    // Every value Redis holds, raw.
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_connection().unwrap();
    let names: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut conn).unwrap();
    assert!(!names.is_empty());
    let mut raw = Vec::new();
    for name in names {
        let kind: String = redis::cmd("TYPE").arg(&name).query(&mut conn).unwrap();
        let values: Vec<Vec<u8>> = match kind.as_str() {
            "hash" => redis::cmd("HVALS").arg(&name).query(&mut conn).unwrap(),
            "zset" => redis::cmd("ZRANGE")
                .arg(&name)
                .arg(0)
                .arg(-1)
                .query(&mut conn)
                .unwrap(),
            _ => vec![redis::cmd("GET").arg(&name).query(&mut conn).unwrap()],
        };
        raw.push(name);
        raw.extend(values);
    }
    let text: Vec<u8> = raw.concat();
    for secret in ["ACCESS-", "REFRESH-", "access_token", "refresh_token"] {
        assert!(
            !text.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} is in Redis in clear"
        );
    }

    // Rotation: a store with a new current key still opens the old values...
    let rotated = RedisStore::open(&server.url(), Sealer::new(2, [7; 32]).with_old_key(1, KEY))
        .unwrap()
        .with_prefix("test")
        .unwrap();
    let loaded = rotated.load(&k).unwrap();
    assert_eq!(loaded.grant.unwrap().generation(), 1);
    // ...and a store without the old key refuses them, without saying what is inside.
    let stranger = RedisStore::open(&server.url(), Sealer::new(2, [7; 32]))
        .unwrap()
        .with_prefix("test")
        .unwrap();
    let error = stranger.load(&k).expect_err("an unknown key");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("ACCESS-"), "{shown}");
    // A store that is told to keep clear text refuses nothing it can read, but a sealing store
    // refuses clear text it did not write.
    let clear = RedisStore::open(&server.url(), Sealer::plaintext_insecure())
        .unwrap()
        .with_prefix("clear")
        .unwrap();
    let other = key("ivan");
    let lease = clear.try_lease(&other, TTL).unwrap().unwrap();
    clear.save(&lease, None, &grant(&other, 1, 5)).unwrap();
    clear.release(lease).unwrap();
    let sealing = RedisStore::open(&server.url(), Sealer::new(1, KEY))
        .unwrap()
        .with_prefix("clear")
        .unwrap();
    assert!(
        sealing.load(&other).is_err(),
        "clear text is refused by a sealing store"
    );
    assert!(
        format!("{sealing:?} {:?}", Sealer::new(1, KEY))
            .find("0123")
            .is_none()
    );
}

#[test]
fn an_unreachable_redis_is_a_typed_error_within_the_timeout() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = RedisStore::open(&format!("redis://127.0.0.1:{port}/"), Sealer::new(1, KEY))
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let start = std::time::Instant::now();
    match store.try_lease(&key("judy"), TTL) {
        Err(StoreError::Backend { .. }) => {}
        other => panic!("expected a backend error, got {other:?}"),
    }
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn debug_shows_neither_the_password_nor_the_keys() {
    let store = RedisStore::open(
        "redis://user:hunter2-password@127.0.0.1:6379/",
        Sealer::new(3, KEY).with_old_key(2, [5; 32]),
    )
    .unwrap();
    let shown = format!("{store:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("0123456789"), "{shown}");
    assert!(shown.contains("127.0.0.1"), "{shown}");
    assert!(RedisStore::open("http://127.0.0.1/", Sealer::new(1, KEY)).is_err());
    assert!(
        store.with_prefix("a{b}").is_err(),
        "a brace would break the hash tags"
    );
}

#[test]
fn a_value_that_does_not_parse_is_reported_without_quoting_it() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let clear = RedisStore::open(&server.url(), Sealer::plaintext_insecure())
        .unwrap()
        .with_prefix("bad")
        .unwrap();
    let k = key("mallory");
    let lease = clear.try_lease(&k, TTL).unwrap().unwrap();
    clear.save(&lease, None, &grant(&k, 1, 5)).unwrap();
    clear.release(lease).unwrap();
    // Overwrite the stored value with JSON whose wrong-typed field is a token.
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_connection().unwrap();
    let names: Vec<Vec<u8>> = redis::cmd("KEYS")
        .arg("bad:*grant*")
        .query(&mut conn)
        .unwrap();
    let bad = br#"{"key":"mallory","generation":"TOKEN-SECRET-TEXT","tokens":{}}"#;
    let _: () = redis::cmd("HSET")
        .arg(&names[0])
        .arg("v")
        .arg(&bad[..])
        .query(&mut conn)
        .unwrap();
    let error = clear.load(&k).expect_err("not a grant");
    let mut shown = format!("{error} {error:?}");
    let mut source = std::error::Error::source(&error);
    while let Some(e) = source {
        shown.push_str(&e.to_string());
        source = e.source();
    }
    assert!(!shown.contains("TOKEN-SECRET"), "{shown}");
}

/// A salvaged set the store cannot open is reported, never read as "no salvage": it may be the
/// only copy of the set X issued last (the stored grant's refresh token is spent).
#[test]
fn a_salvaged_set_that_cannot_be_opened_is_an_error_not_nothing() {
    let Some(server) = RedisServer::start(false) else {
        return;
    };
    let open = |sealer: Sealer| {
        RedisStore::open(&server.url(), sealer)
            .unwrap()
            .with_prefix("rot")
            .unwrap()
    };
    let old = open(Sealer::new(1, [1; 32]));
    let new = open(Sealer::new(2, [2; 32]));
    let k = key("rotated");
    // The salvaged successor sealed with the old key, the grant with the new one.
    old.salvage(&grant(&k, 2, 10)).unwrap();
    let lease = new.try_lease(&k, TTL).unwrap().unwrap();
    new.save(&lease, None, &grant(&k, 1, 5)).unwrap();
    new.release(lease).unwrap();
    assert!(
        new.load(&k).is_err(),
        "the salvage it cannot open is reported"
    );
    // With the old key back, nothing was dropped.
    let both = open(Sealer::new(2, [2; 32]).with_old_key(1, [1; 32]));
    let loaded = both.load(&k).unwrap();
    assert_eq!(loaded.grant.unwrap().generation(), 1);
    assert_eq!(loaded.salvage.unwrap().generation(), 2);
}
