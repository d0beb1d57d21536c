//! Wall-clock time and sleeping, behind a trait so tests can substitute a fake.

use std::time::{Duration, SystemTime};

/// Where an adapter reads the time and waits.
///
/// `Debug` is required, as for the async adapter's `AsyncClock`, so a client holding a clock
/// can be debug-printed whichever clock it holds.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current wall-clock time (OAuth timestamps and token expiry need wall time).
    fn now(&self) -> SystemTime;

    /// Blocks the calling thread for `duration`.
    fn sleep(&self, duration: Duration);
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}
