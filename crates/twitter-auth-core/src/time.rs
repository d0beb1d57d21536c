//! Instants as whole seconds since the Unix epoch: what X's headers and token lifetimes use,
//! and what a stored token or pending login carries through serde. Inside the crate only: the
//! API speaks `SystemTime` (one time type), and stores keep whole seconds.

use core::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch. Instants before the epoch are clamped to it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub(crate) struct UnixTime(u64);

impl UnixTime {
    /// From whole seconds.
    pub(crate) const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// The whole seconds.
    pub(crate) const fn as_secs(self) -> u64 {
        self.0
    }

    /// From a wall-clock instant (the caller's `now`).
    pub(crate) fn from_system(t: SystemTime) -> Self {
        Self(t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
    }

    /// As a wall-clock instant; instants past what the platform holds saturate (at the year
    /// 10680, far beyond any token).
    pub(crate) fn to_system(self) -> SystemTime {
        UNIX_EPOCH
            .checked_add(Duration::from_secs(self.0))
            .unwrap_or_else(|| UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) * 64))
    }

    /// `self + d`, saturating.
    #[must_use]
    pub(crate) const fn saturating_add(self, secs: u64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// How long from `earlier` to `self`; zero if `earlier` is later.
    pub(crate) const fn since(self, earlier: Self) -> Duration {
        Duration::from_secs(self.0.saturating_sub(earlier.0))
    }
}

impl From<SystemTime> for UnixTime {
    fn from(t: SystemTime) -> Self {
        Self::from_system(t)
    }
}

/// Serde for a `SystemTime` as whole Unix seconds (the stored format).
pub(crate) mod unix_secs {
    use std::time::SystemTime;

    use serde::{Deserialize as _, Serialize as _};

    use super::UnixTime;

    pub(crate) fn serialize<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        UnixTime::from_system(*t).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<SystemTime, D::Error> {
        Ok(UnixTime::deserialize(d)?.to_system())
    }
}

/// `t` cut to whole seconds, as a store keeps it.
pub(crate) fn whole_secs(t: SystemTime) -> SystemTime {
    UnixTime::from_system(t).to_system()
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
