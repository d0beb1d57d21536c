//! The Redis store against a real `redis-server` on loopback: the store's contract through both
//! faces, sealing, and the grants of users against the fake X (a Redis that is down or killed,
//! a client clock that jumps, what Redis holds in clear).

mod grants;
mod store;

use std::time::{Duration, UNIX_EPOCH};

use twitter_auth_core::grant::{StoredGrant, UserKey};
use twitter_auth_core::oauth2::{Scopes, TokenSet};
use twitter_auth_core::{AccessToken, RefreshToken};
use twitter_auth_redis::testing::RedisServer;
use twitter_auth_redis::{RedisStore, Sealer};

/// The key the tests seal with (any 32 bytes).
const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

/// A store on `server` sealed with [`KEY`], under a prefix of its own.
fn store(server: &RedisServer) -> RedisStore {
    RedisStore::open(&server.url(), Sealer::new(1, KEY))
        .expect("a Redis URL")
        .with_prefix("test")
        .expect("a prefix")
}

fn key(name: &str) -> UserKey {
    UserKey::new(name).expect("a key")
}

/// A grant at `generation` whose tokens name it, expiring at `expires` (Unix seconds).
fn grant(k: &UserKey, generation: u64, expires: u64) -> StoredGrant {
    let tokens = TokenSet::from_parts(
        AccessToken::new(format!("ACCESS-{k}-{generation}")),
        Some(RefreshToken::new(format!("REFRESH-{k}-{generation}"))),
        Scopes::default(),
        Some(UNIX_EPOCH + Duration::from_secs(expires)),
    )
    .expect("a token set");
    StoredGrant::new(k.clone(), tokens, generation)
}

fn at(secs: u64) -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}
