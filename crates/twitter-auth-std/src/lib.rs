//! Blocking std IO that both twitter-auth adapters share: where tokens live between runs, how a
//! desktop or CLI login receives its callback, and what time it is.
//!
//! - Keyed token stores for many users' grants, with an async face ([`TokenStore`]) and a
//!   blocking one ([`BlockingTokenStore`]): a per-key [`Lease`], fenced saves, a salvage place,
//!   and the refresh job's "expiring before" list. [`MemoryStore`] and [`FileStore`] (a
//!   directory, one file per key, atomic and synced, no leftovers).
//! - [`LoopbackReceiver`]: listens on the exact host, port and path of a loopback redirect URI
//!   and hands back the callback of the login in progress
//!   ([`receive_matching`](LoopbackReceiver::receive_matching)), turning away other hosts and
//!   other logins' callbacks; [`read_pasted_redirect`] for machines without a browser.
//! - [`Clock`] and [`SystemClock`].
//! - [`lock`]: the poison-ignoring `Mutex` lock the adapters share.
//! - [`SecretJson`]: the zeroed-on-drop, never-reallocated buffer every store keeps a token
//!   set's JSON in ([`to_secret_json`], [`read_secret_file`]).
//!
//! None of this is protocol: the adapters pass what these return to `twitter-auth-core`.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

mod clock;
mod loopback;
mod secret_json;
mod store;

pub use clock::{Clock, SystemClock};
pub use loopback::{
    DEFAULT_CALLBACK_TIMEOUT, LoopbackError, LoopbackReceiver, ReceivedCallback,
    read_pasted_redirect,
};
pub use secret_json::{SecretJson, read_secret_file, to_secret_json, to_secret_json_pretty};
pub use store::{
    BlockingTokenStore, FileStore, Lease, MemoryStore, StoreError, StoreFuture, TokenStore,
};

/// Locks `mutex`, ignoring poisoning: the one lock helper of the twitter-auth crates.
///
/// A `Mutex` is poisoned when a thread panicked while holding it, in case the panic left the
/// guarded data half-updated. The locks these crates take with this helper cannot be left so:
/// each critical section only reads, or writes with nothing that can panic between its writes
/// (the [`MemoryStore`]'s map, the adapters' cached grants and last rate limit, the example
/// app's sessions); a single-flight `Mutex<()>` guards no data at all; and the refresh job's
/// queue belongs to a thread scope that re-raises a worker's panic once the others are done.
/// Passing the poison on would only turn one panic into a panic in every later caller. Use it
/// only for locks with that property.
///
/// ```
/// use std::sync::Mutex;
///
/// let last = Mutex::new(None);
/// *twitter_auth_std::lock(&last) = Some(7);
/// assert_eq!(*twitter_auth_std::lock(&last), Some(7));
/// ```
pub fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// [`lock`] for reading an `RwLock` (the adapters' fixed credentials), on the same terms.
pub fn read<T: ?Sized>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// [`lock`] for writing an `RwLock`, on the same terms: the credential's writes (a learnt clock
/// offset) are single assignments.
pub fn write<T: ?Sized>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// [`lock`] for a `Mutex` being taken apart (a finished job's report), on the same terms.
pub fn into_inner<T>(mutex: Mutex<T>) -> T {
    mutex.into_inner().unwrap_or_else(PoisonError::into_inner)
}

/// A named step of a refresh where a crash test may stop the process (test-only).
///
/// With the `failpoints` feature and `TWITTER_AUTH_FAILPOINT=<name>` in the environment, prints
/// `failpoint <name>` on stderr and waits: until the file named by
/// `TWITTER_AUTH_FAILPOINT_RESUME` exists (then goes on), or, without it, until the process is
/// killed. Otherwise does nothing.
#[doc(hidden)]
pub fn failpoint(name: &str) {
    #[cfg(feature = "failpoints")]
    if std::env::var_os("TWITTER_AUTH_FAILPOINT").is_some_and(|at| at == name) {
        use std::io::Write as _;
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "failpoint {name}");
        let _ = stderr.flush();
        drop(stderr);
        let resume = std::env::var_os("TWITTER_AUTH_FAILPOINT_RESUME");
        while resume
            .as_ref()
            .is_none_or(|file| !std::path::Path::new(file).exists())
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
}
