//! Blocking std IO that both twitter-auth adapters share: where tokens live between runs, how a
//! desktop or CLI login receives its callback, and what time it is.
//!
//! - [`TokenStore`] with [`MemoryStore`] and [`FileStore`] (JSON, mode 0600, atomic replace,
//!   an advisory lock so several processes refresh one token once; the memory store's lock
//!   does the same for the clients of one process).
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
pub use store::{FileStore, MemoryStore, StoreError, StoreLock, TokenStore};
