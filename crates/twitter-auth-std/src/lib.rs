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
//!
//! None of this is protocol: the adapters pass what these return to `twitter-auth-core`.

mod clock;
mod loopback;
mod store;

pub use clock::{Clock, SystemClock};
pub use loopback::{
    DEFAULT_CALLBACK_TIMEOUT, LoopbackError, LoopbackReceiver, ReceivedCallback,
    read_pasted_redirect,
};
pub use store::{
    BlockingTokenStore, FileStore, Lease, MemoryStore, StoreError, StoreFuture, TokenStore,
};

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
