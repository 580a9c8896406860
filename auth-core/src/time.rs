//! Time as the caller supplies it.

/// A point in time as whole seconds since the Unix epoch (1970-01-01T00:00:00Z).
///
/// The core never reads a clock: every function that needs the time takes a `UnixTime` argument.
/// With the `std` feature, [`UnixTime::now`] reads the system clock for you.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixTime(pub u64);

impl UnixTime {
    /// The seconds since the epoch.
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// `self + secs`, saturating at `u64::MAX` instead of overflowing.
    #[must_use]
    pub const fn saturating_add(self, secs: u64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// `self - secs`, saturating at zero.
    #[must_use]
    pub const fn saturating_sub(self, secs: u64) -> Self {
        Self(self.0.saturating_sub(secs))
    }

    /// Reads the system clock. A clock set before 1970 reads as the epoch.
    #[cfg(feature = "std")]
    #[must_use]
    pub fn now() -> Self {
        UnixMillis::now().secs()
    }
}

/// A point in time as milliseconds since the Unix epoch, for rules finer than a second (how
/// long a revocation replica may go unconfirmed). Like [`UnixTime`], always supplied by the
/// caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// The milliseconds since the epoch.
    #[must_use]
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The whole seconds (rounded down).
    #[must_use]
    pub const fn secs(self) -> UnixTime {
        UnixTime(self.0 / 1000)
    }

    /// `self + ms`, saturating.
    #[must_use]
    pub const fn saturating_add(self, ms: u64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Reads the system clock. A clock set before 1970 reads as the epoch.
    #[cfg(feature = "std")]
    #[must_use]
    pub fn now() -> Self {
        Self(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }
}

impl From<UnixTime> for UnixMillis {
    /// The start of that second.
    fn from(t: UnixTime) -> Self {
        Self(t.0.saturating_mul(1000))
    }
}
