//! A keyed token store on Redis: the store for an X app that runs on many instances.
//!
//! [`RedisStore`] implements both faces of `twitter-auth-std`'s keyed store
//! ([`TokenStore`] for async code, [`BlockingTokenStore`] for threads), so the adapters'
//! `Grants` use it as they use a file store:
//!
//! - **Per-key lease with a fence**: a Lua script bumps the user's fence counter and sets the
//!   lease to it with a TTL (`PX`). Redis expires it on its own clock, so a holder that dies
//!   blocks no one for longer than the TTL, and a client whose clock jumps changes nothing. The
//!   core's `GrantTask` sends a refresh only if the lease, measured from before it was asked
//!   for on the holder's monotonic clock, outlives the HTTP timeout plus a margin, and records
//!   the refresh intent (with the fence) before it sends.
//! - **Fenced saves**: a script writes a set only if the lease still holds the caller's fence
//!   and the stored generation is the expected one, and keeps the expiry index in step; a
//!   fenced-out set goes to the user's salvage key, never to nowhere. Where the server has AOF
//!   and `WAITAOF` (Redis 7.2+), each save waits until the local AOF has it on disk.
//! - **Expiry index**: sorted sets by access-token expiry, so the refresh job finds due users
//!   in O(log n).
//! - **Sealed at rest**: every stored set is sealed with the app's key ([`Sealer`],
//!   XChaCha20-Poly1305 bound to its Redis key), with key rotation; clear text only with
//!   [`Sealer::plaintext_insecure`].
//! - **Redis Cluster**: every key of a user, and the index shard the user is in, share one hash
//!   tag (`{s07}`, one of [`RedisStore::SHARDS`]), so each script touches one slot. Tested on
//!   a single node.
//! - **Failures**: an unreachable or slow Redis is a typed error after the timeout (2 s by
//!   default); because the intent cannot be written, no refresh is sent.
//!
//! # Key layout
//!
//! With prefix `ta` (the default) and a user key `K` in shard 7:
//! `ta:{s07}:grant:K` (a hash: `g` generation, `v` the sealed grant), `ta:{s07}:salvage:K`
//! (the same shape), `ta:{s07}:lease:K` (the fence, with a TTL), `ta:{s07}:fence:K` (the
//! counter), `ta:{s07}:expiry` (a sorted set of user keys by expiry).
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use twitter_auth_redis::{RedisStore, Sealer};
//!
//! // 32 random bytes from your secret store; rotate by adding the old key with `with_old_key`.
//! let key: [u8; 32] = *b"an example key, never use this!!";
//! let store = RedisStore::open("redis://127.0.0.1:6379/", Sealer::new(1, key))?;
//! let store = Arc::new(store); // give it to `twitter_auth_reqwest::Grants::new` (or ureq's)
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Durability
//!
//! Redis acknowledges a write once it is in memory. A refreshed set that is acknowledged but
//! not yet on disk is lost if the Redis server (not the app) dies: run Redis with
//! `appendonly yes` and `appendfsync always` for token stores (`everysec` loses up to a second
//! of refreshes on a crash of the server's machine, and with it those users' grants). With
//! Redis 7.2 or later this store also waits for each save with `WAITAOF`.

mod scripts;
mod seal;
#[cfg(feature = "testing")]
pub mod testing;

use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use twitter_auth_core::grant::{Loaded, Saved, StoredGrant, UserKey};
use twitter_auth_std::{
    BlockingTokenStore, Lease, SecretJson, StoreError, StoreFuture, TokenStore, to_secret_json,
};

pub use seal::Sealer;

/// What can go wrong building the store or sealing a value (store calls return
/// [`StoreError`], which wraps these).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Redis URL or a setting is not usable.
    #[error("invalid Redis store setting: {0}")]
    Config(&'static str),
    /// Sealing or opening a stored value failed.
    #[error("token store seal: {0}")]
    Seal(&'static str),
    /// Redis answered with an error, or did not answer in time.
    #[error("redis {0}")]
    Redis(&'static str, #[source] redis::RedisError),
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        let what = match &e {
            Error::Config(_) => "redis configuration",
            Error::Seal(_) => "sealed value",
            Error::Redis(op, _) => op,
        };
        Self::Backend {
            what: what.to_owned(),
            source: Some(Box::new(e)),
        }
    }
}

/// The keyed token store on Redis (see the [crate docs](crate)).
pub struct RedisStore {
    client: redis::Client,
    manager: OnceLock<ConnectionManager>,
    pool: Mutex<Vec<redis::Connection>>,
    prefix: String,
    sealer: Sealer,
    timeout: Duration,
    /// 0 unknown, 1 no `WAITAOF`, 2 `WAITAOF` after each save.
    waitaof: AtomicU8,
    id: u64,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection info can hold a password: only the address is shown.
        f.debug_struct("RedisStore")
            .field(
                "addr",
                &self.client.get_connection_info().addr().to_string(),
            )
            .field("prefix", &self.prefix)
            .field("sealer", &self.sealer)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// One user's Redis keys.
struct Keys {
    grant: Vec<u8>,
    salvage: Vec<u8>,
    lease: Vec<u8>,
    fence: Vec<u8>,
    index: Vec<u8>,
}

impl RedisStore {
    /// How many index shards (and hash tags) users are spread over.
    pub const SHARDS: u16 = 16;

    /// A store on the Redis server at `url` (`redis://[user:password@]host:port/db`; TLS
    /// needs the `redis` crate's rustls feature). Connects on first use.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the URL is not a Redis URL.
    pub fn open(url: &str, sealer: Sealer) -> Result<Self, Error> {
        let client = redis::Client::open(url).map_err(|_| Error::Config("not a Redis URL"))?;
        static IDS: AtomicU64 = AtomicU64::new(1 << 48);
        Ok(Self {
            client,
            manager: OnceLock::new(),
            pool: Mutex::new(Vec::new()),
            prefix: "ta".to_owned(),
            sealer,
            timeout: Duration::from_secs(2),
            waitaof: AtomicU8::new(0),
            id: IDS.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// Keys start with `prefix` (default `ta`): letters, digits, `_`, `-`, `:` and `.`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an empty prefix or other characters (a `{` would break the hash
    /// tags).
    pub fn with_prefix(mut self, prefix: &str) -> Result<Self, Error> {
        let ok = !prefix.is_empty()
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-:.".contains(&b));
        if !ok {
            return Err(Error::Config("the prefix must be letters, digits, _ - : ."));
        }
        self.prefix = prefix.to_owned();
        Ok(self)
    }

    /// Each Redis call gives up after `timeout` (default 2 s) with an error.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn shard(key: &UserKey) -> u16 {
        // FNV-1a: stable across processes and versions (the layout depends on it).
        let mut hash: u32 = 0x811c_9dc5;
        for b in key.as_str().bytes() {
            hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        u16::try_from(hash % u32::from(Self::SHARDS)).unwrap_or(0)
    }

    fn shard_tag(&self, shard: u16) -> String {
        format!("{}:{{s{shard:02}}}:", self.prefix)
    }

    fn keys(&self, key: &UserKey) -> Keys {
        let tag = self.shard_tag(Self::shard(key));
        let at = |kind: &str| {
            let mut name = format!("{tag}{kind}:").into_bytes();
            name.extend_from_slice(key.as_str().as_bytes());
            name
        };
        Keys {
            grant: at("grant"),
            salvage: at("salvage"),
            lease: at("lease"),
            fence: at("fence"),
            index: format!("{tag}expiry").into_bytes(),
        }
    }

    fn check(&self, lease: &Lease, key: &UserKey) -> Result<(), StoreError> {
        if lease.store_id() == self.id && lease.key() == key {
            Ok(())
        } else {
            Err(StoreError::WrongLease)
        }
    }

    /// The sealed value and index score of `grant`.
    fn encode(&self, keys: &Keys, grant: &StoredGrant) -> Result<(Vec<u8>, String), StoreError> {
        let json: SecretJson = to_secret_json(grant).map_err(|e| StoreError::Backend {
            what: "encoding a grant".to_owned(),
            source: Some(Box::new(e)),
        })?;
        let value = self.sealer.seal(&keys.grant, &json)?;
        let score = if grant.lost().is_none() && grant.tokens().can_refresh() {
            grant.expires_at().map_or(0, unix_secs).to_string()
        } else {
            String::new() // not in the index: nothing to refresh
        };
        Ok((value, score))
    }

    fn decode(
        &self,
        redis_key: &[u8],
        value: Option<Vec<u8>>,
    ) -> Result<Option<StoredGrant>, StoreError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let json: SecretJson = self.sealer.open(redis_key, &value)?;
        // serde_json's messages can quote the value they choke on (a token): only where.
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|e| StoreError::Backend {
                what: format!(
                    "a stored grant does not parse (at {}:{})",
                    e.line(),
                    e.column()
                ),
                source: None,
            })
    }

    fn loaded(&self, keys: &Keys, raw: scripts::Raw) -> Result<Loaded, StoreError> {
        let (grant, salvage) = raw;
        Ok(Loaded {
            grant: self.decode(&keys.grant, grant)?,
            // A salvaged set is sealed for the grant's key: it moves there when committed. One
            // that cannot be opened (a seal key no longer configured, a corrupt value) is an
            // error, not nothing: it may be the only copy of the set X issued last, and it stays
            // in Redis until the operator restores the key.
            salvage: self.decode(&keys.grant, salvage)?,
        })
    }

    fn index_keys(&self) -> Vec<Vec<u8>> {
        (0..Self::SHARDS)
            .map(|s| format!("{}expiry", self.shard_tag(s)).into_bytes())
            .collect()
    }

    fn parse_keys(members: Vec<Vec<u8>>) -> Vec<UserKey> {
        let mut keys: Vec<UserKey> = members
            .into_iter()
            .filter_map(|m| String::from_utf8(m).ok())
            .filter_map(|m| UserKey::new(m).ok())
            .collect();
        keys.sort();
        keys
    }

    // --- blocking connections: a small pool, each with read and write timeouts ---

    fn connection(&self) -> Result<redis::Connection, StoreError> {
        if let Some(conn) = twitter_auth_std::lock(&self.pool).pop() {
            return Ok(conn);
        }
        let redis = |e| StoreError::from(Error::Redis("connect", e));
        let conn = self
            .client
            .get_connection_with_timeout(self.timeout)
            .map_err(redis)?;
        conn.set_read_timeout(Some(self.timeout)).map_err(redis)?;
        conn.set_write_timeout(Some(self.timeout)).map_err(redis)?;
        Ok(conn)
    }

    /// Runs `call` on a pooled connection; a connection that failed is dropped, not reused.
    fn with_connection<T>(
        &self,
        op: &'static str,
        call: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self.connection()?;
        let result = call(&mut conn);
        if result.is_ok() {
            twitter_auth_std::lock(&self.pool).push(conn);
        }
        result.map_err(|e| Error::Redis(op, e).into())
    }

    /// Waits for the local AOF to hold the last write, where the server can say so.
    fn sync_blocking(&self, conn: &mut redis::Connection) -> redis::RedisResult<()> {
        if self.waitaof.load(Ordering::Relaxed) == 0 {
            let info: String = redis::cmd("INFO").arg("persistence").query(conn)?;
            self.waitaof
                .store(scripts::waitaof_mode(&info, conn), Ordering::Relaxed);
        }
        if self.waitaof.load(Ordering::Relaxed) == 2 {
            let timeout = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
            let _: redis::Value = redis::cmd("WAITAOF")
                .arg(1)
                .arg(0)
                .arg(timeout)
                .query(conn)?;
        }
        Ok(())
    }

    // --- async: one multiplexed, reconnecting connection ---

    fn manager(&self) -> Result<ConnectionManager, StoreError> {
        if let Some(manager) = self.manager.get() {
            return Ok(manager.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        let manager = ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            .map_err(|e| StoreError::from(Error::Redis("connect", e)))?;
        Ok(self.manager.get_or_init(|| manager).clone())
    }

    async fn sync_async(&self, conn: &mut ConnectionManager) -> redis::RedisResult<()> {
        if self.waitaof.load(Ordering::Relaxed) == 0 {
            let info: String = redis::cmd("INFO")
                .arg("persistence")
                .query_async(conn)
                .await?;
            let version: String = redis::cmd("INFO").arg("server").query_async(conn).await?;
            self.waitaof.store(
                scripts::waitaof_mode_from(&info, &version),
                Ordering::Relaxed,
            );
        }
        if self.waitaof.load(Ordering::Relaxed) == 2 {
            let timeout = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
            let _: redis::Value = redis::cmd("WAITAOF")
                .arg(1)
                .arg(0)
                .arg(timeout)
                .query_async(conn)
                .await?;
        }
        Ok(())
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn expected_arg(expected: Option<u64>) -> String {
    expected.map(|g| g.to_string()).unwrap_or_default()
}

impl BlockingTokenStore for RedisStore {
    fn try_lease(&self, key: &UserKey, ttl: Duration) -> Result<Option<Lease>, StoreError> {
        let keys = self.keys(key);
        let fence: u64 = self.with_connection("lease", |conn| {
            scripts::lease()
                .key(&keys.lease)
                .key(&keys.fence)
                .arg(millis(ttl))
                .invoke(conn)
        })?;
        Ok((fence > 0).then(|| Lease::new(key.clone(), fence, Some(ttl), self.id, None)))
    }

    fn release(&self, lease: Lease) -> Result<(), StoreError> {
        let keys = self.keys(lease.key());
        self.with_connection("release", |conn| {
            scripts::release()
                .key(&keys.lease)
                .arg(lease.fence())
                .invoke::<i64>(conn)
        })?;
        Ok(())
    }

    fn load(&self, key: &UserKey) -> Result<Loaded, StoreError> {
        let keys = self.keys(key);
        let raw = self.with_connection("load", |conn| {
            scripts::load()
                .key(&keys.grant)
                .key(&keys.salvage)
                .invoke(conn)
        })?;
        self.loaded(&keys, raw)
    }

    fn save(
        &self,
        lease: &Lease,
        expected: Option<u64>,
        grant: &StoredGrant,
    ) -> Result<Saved, StoreError> {
        self.check(lease, grant.key())?;
        let keys = self.keys(grant.key());
        let (value, score) = self.encode(&keys, grant)?;
        let written: i64 = self.with_connection("save", |conn| {
            let written = scripts::save()
                .key(&keys.lease)
                .key(&keys.grant)
                .key(&keys.salvage)
                .key(&keys.index)
                .arg(lease.fence())
                .arg(expected_arg(expected))
                .arg(grant.generation())
                .arg(&value)
                .arg(grant.key().as_str())
                .arg(&score)
                .invoke(conn)?;
            self.sync_blocking(conn)?;
            Ok(written)
        })?;
        Ok(if written == 1 {
            Saved::Written
        } else {
            Saved::FencedOut
        })
    }

    fn salvage(&self, grant: &StoredGrant) -> Result<(), StoreError> {
        let keys = self.keys(grant.key());
        let (value, _) = self.encode(&keys, grant)?;
        self.with_connection("salvage", |conn| {
            scripts::salvage()
                .key(&keys.salvage)
                .arg(grant.generation())
                .arg(&value)
                .invoke::<i64>(conn)
        })?;
        Ok(())
    }

    fn delete(&self, lease: &Lease, expected: u64) -> Result<Saved, StoreError> {
        self.check(lease, lease.key())?;
        let keys = self.keys(lease.key());
        let deleted: i64 = self.with_connection("delete", |conn| {
            scripts::delete()
                .key(&keys.lease)
                .key(&keys.grant)
                .key(&keys.salvage)
                .key(&keys.index)
                .arg(lease.fence())
                .arg(expected)
                .arg(lease.key().as_str())
                .invoke(conn)
        })?;
        Ok(if deleted == 1 {
            Saved::Written
        } else {
            Saved::FencedOut
        })
    }

    fn expiring_before(&self, before: SystemTime) -> Result<Vec<UserKey>, StoreError> {
        let before = unix_secs(before);
        let mut members = Vec::new();
        for index in self.index_keys() {
            let found: Vec<Vec<u8>> = self.with_connection("expiry index", |conn| {
                redis::cmd("ZRANGEBYSCORE")
                    .arg(&index)
                    .arg("-inf")
                    .arg(format!("({before}"))
                    .query(conn)
            })?;
            members.extend(found);
        }
        Ok(Self::parse_keys(members))
    }
}

impl TokenStore for RedisStore {
    fn try_lease<'a>(&'a self, key: &'a UserKey, ttl: Duration) -> StoreFuture<'a, Option<Lease>> {
        Box::pin(async move {
            let keys = self.keys(key);
            let mut conn = self.manager()?;
            let fence: u64 = scripts::lease()
                .key(&keys.lease)
                .key(&keys.fence)
                .arg(millis(ttl))
                .invoke_async(&mut conn)
                .await
                .map_err(|e| Error::Redis("lease", e))?;
            Ok((fence > 0).then(|| Lease::new(key.clone(), fence, Some(ttl), self.id, None)))
        })
    }

    fn release(&self, lease: Lease) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let keys = self.keys(lease.key());
            let mut conn = self.manager()?;
            scripts::release()
                .key(&keys.lease)
                .arg(lease.fence())
                .invoke_async::<i64>(&mut conn)
                .await
                .map_err(|e| Error::Redis("release", e))?;
            Ok(())
        })
    }

    fn load<'a>(&'a self, key: &'a UserKey) -> StoreFuture<'a, Loaded> {
        Box::pin(async move {
            let keys = self.keys(key);
            let mut conn = self.manager()?;
            let raw = scripts::load()
                .key(&keys.grant)
                .key(&keys.salvage)
                .invoke_async(&mut conn)
                .await
                .map_err(|e| Error::Redis("load", e))?;
            self.loaded(&keys, raw)
        })
    }

    fn save<'a>(
        &'a self,
        lease: &'a Lease,
        expected: Option<u64>,
        grant: &'a StoredGrant,
    ) -> StoreFuture<'a, Saved> {
        Box::pin(async move {
            self.check(lease, grant.key())?;
            let keys = self.keys(grant.key());
            let (value, score) = self.encode(&keys, grant)?;
            let mut conn = self.manager()?;
            let written: i64 = scripts::save()
                .key(&keys.lease)
                .key(&keys.grant)
                .key(&keys.salvage)
                .key(&keys.index)
                .arg(lease.fence())
                .arg(expected_arg(expected))
                .arg(grant.generation())
                .arg(&value)
                .arg(grant.key().as_str())
                .arg(&score)
                .invoke_async(&mut conn)
                .await
                .map_err(|e| Error::Redis("save", e))?;
            self.sync_async(&mut conn)
                .await
                .map_err(|e| Error::Redis("waitaof", e))?;
            Ok(if written == 1 {
                Saved::Written
            } else {
                Saved::FencedOut
            })
        })
    }

    fn salvage<'a>(&'a self, grant: &'a StoredGrant) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let keys = self.keys(grant.key());
            let (value, _) = self.encode(&keys, grant)?;
            let mut conn = self.manager()?;
            scripts::salvage()
                .key(&keys.salvage)
                .arg(grant.generation())
                .arg(&value)
                .invoke_async::<i64>(&mut conn)
                .await
                .map_err(|e| Error::Redis("salvage", e))?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, lease: &'a Lease, expected: u64) -> StoreFuture<'a, Saved> {
        Box::pin(async move {
            self.check(lease, lease.key())?;
            let keys = self.keys(lease.key());
            let mut conn = self.manager()?;
            let deleted: i64 = scripts::delete()
                .key(&keys.lease)
                .key(&keys.grant)
                .key(&keys.salvage)
                .key(&keys.index)
                .arg(lease.fence())
                .arg(expected)
                .arg(lease.key().as_str())
                .invoke_async(&mut conn)
                .await
                .map_err(|e| Error::Redis("delete", e))?;
            Ok(if deleted == 1 {
                Saved::Written
            } else {
                Saved::FencedOut
            })
        })
    }

    fn expiring_before(&self, before: SystemTime) -> StoreFuture<'_, Vec<UserKey>> {
        Box::pin(async move {
            let before = unix_secs(before);
            let mut conn = self.manager()?;
            let mut members = Vec::new();
            for index in self.index_keys() {
                let found: Vec<Vec<u8>> = redis::cmd("ZRANGEBYSCORE")
                    .arg(&index)
                    .arg("-inf")
                    .arg(format!("({before}"))
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| Error::Redis("expiry index", e))?;
                members.extend(found);
            }
            Ok(Self::parse_keys(members))
        })
    }
}

/// Whole seconds since the Unix epoch (0 before it): the expiry index's scores.
fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
