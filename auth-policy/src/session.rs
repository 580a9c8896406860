//! Session policy, pure: when a session expires, when it is renewed, how long a store keeps it.
//!
//! Nothing here reads a clock or touches a store. A store keeps a [`SessionTimes`] beside each
//! record; on every load the caller asks [`SessionPolicy::check`] what to do at `now`:
//!
//! - [`Decision::Expired`]: the idle or absolute deadline has passed, or the user's credential
//!   epoch has moved past the session's (password changed). Delete the record.
//! - [`Decision::Renew`]: valid, and enough of the idle window has passed that the idle
//!   deadline should slide forward. A store applies it as a cheap expiry-only update.
//! - [`Decision::Valid`]: valid, nothing to write.
//!
//! Deadlines only ever move forward, and the idle deadline never passes the absolute one.
//!
//! ```
//! use auth_policy::session::{Decision, SessionPolicy};
//! use auth_core::UnixTime;
//!
//! let policy = SessionPolicy::new(); // idle 30 min, absolute 12 h, renew after half the window
//! let login = UnixTime(1_700_000_000);
//! let times = policy.start(login, 0);
//! assert_eq!(policy.check(&times, login.saturating_add(60), 0), Decision::Valid);
//! let Decision::Renew(renewed) = policy.check(&times, login.saturating_add(1000), 0) else {
//!     panic!("half the idle window has passed");
//! };
//! assert_eq!(renewed.idle_deadline(), login.saturating_add(1000 + 1800));
//! assert!(matches!(policy.check(&times, login.saturating_add(1800), 0), Decision::Expired(_)));
//! ```

use auth_core::UnixTime;

/// Default idle timeout: 30 minutes.
pub const DEFAULT_IDLE_TIMEOUT: u64 = 30 * 60;
/// Default absolute timeout: 12 hours.
pub const DEFAULT_ABSOLUTE_TIMEOUT: u64 = 12 * 60 * 60;
/// Default share of the idle window that must pass before renewal, in percent.
pub const DEFAULT_RENEW_AFTER_PERCENT: u8 = 50;

/// How long sessions live and when they are renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    idle_timeout: u64,
    absolute_timeout: u64,
    renew_after_percent: u8,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionPolicy {
    /// Idle timeout 30 min, absolute timeout 12 h, renewal once half the idle window passed.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            absolute_timeout: DEFAULT_ABSOLUTE_TIMEOUT,
            renew_after_percent: DEFAULT_RENEW_AFTER_PERCENT,
        }
    }

    /// Seconds without activity after which a session ends (at least 1).
    #[must_use]
    pub const fn idle_timeout(mut self, secs: u64) -> Self {
        self.idle_timeout = if secs == 0 { 1 } else { secs };
        self
    }

    /// Seconds after login after which a session ends whatever its activity (at least 1).
    #[must_use]
    pub const fn absolute_timeout(mut self, secs: u64) -> Self {
        self.absolute_timeout = if secs == 0 { 1 } else { secs };
        self
    }

    /// Share of the idle window, in percent (0 to 100), that must have passed since the last
    /// renewal before the idle deadline slides again. 0 renews on every request; 100 only in
    /// the last second.
    #[must_use]
    pub const fn renew_after_percent(mut self, percent: u8) -> Self {
        self.renew_after_percent = if percent > 100 { 100 } else { percent };
        self
    }

    /// The times of a session that starts at `now`, for a user whose credential epoch is
    /// `epoch`.
    #[must_use]
    pub fn start(&self, now: UnixTime, epoch: u64) -> SessionTimes {
        let absolute_deadline = now.saturating_add(self.absolute_timeout);
        SessionTimes {
            created: now,
            last_renewed: now,
            idle_deadline: now.saturating_add(self.idle_timeout).min(absolute_deadline),
            absolute_deadline,
            epoch,
        }
    }

    /// What to do with a session at `now`, for a user whose current credential epoch is
    /// `current_epoch`.
    #[must_use]
    pub fn check(&self, times: &SessionTimes, now: UnixTime, current_epoch: u64) -> Decision {
        if times.epoch < current_epoch {
            return Decision::Expired(ExpiredBy::Epoch);
        }
        if now >= times.absolute_deadline {
            return Decision::Expired(ExpiredBy::Absolute);
        }
        if now >= times.idle_deadline {
            return Decision::Expired(ExpiredBy::Idle);
        }
        let since_renewal = now.as_secs().saturating_sub(times.last_renewed.as_secs());
        let threshold = percent_of(self.idle_timeout, self.renew_after_percent);
        let idle_deadline = now
            .saturating_add(self.idle_timeout)
            .min(times.absolute_deadline);
        if since_renewal >= threshold && idle_deadline > times.idle_deadline {
            Decision::Renew(SessionTimes {
                last_renewed: now,
                idle_deadline,
                ..*times
            })
        } else {
            Decision::Valid
        }
    }
}

/// The times a store keeps beside a session record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionTimes {
    created: UnixTime,
    last_renewed: UnixTime,
    idle_deadline: UnixTime,
    absolute_deadline: UnixTime,
    epoch: u64,
}

impl SessionTimes {
    /// When the session started (login).
    #[must_use]
    pub const fn created(&self) -> UnixTime {
        self.created
    }

    /// When the idle deadline last slid forward (activity is recorded at this resolution).
    #[must_use]
    pub const fn last_renewed(&self) -> UnixTime {
        self.last_renewed
    }

    /// When the session ends without further activity.
    #[must_use]
    pub const fn idle_deadline(&self) -> UnixTime {
        self.idle_deadline
    }

    /// When the session ends whatever its activity.
    #[must_use]
    pub const fn absolute_deadline(&self) -> UnixTime {
        self.absolute_deadline
    }

    /// The user's credential epoch when the session started.
    #[must_use]
    pub const fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The earlier deadline: when a store may forget the record.
    #[must_use]
    pub fn expires_at(&self) -> UnixTime {
        self.idle_deadline.min(self.absolute_deadline)
    }

    /// Seconds from `now` until [`expires_at`](Self::expires_at), at least 1 so that a store
    /// TTL of zero (which some stores read as "never expires") cannot arise.
    #[must_use]
    pub fn ttl(&self, now: UnixTime) -> u64 {
        self.expires_at()
            .as_secs()
            .saturating_sub(now.as_secs())
            .max(1)
    }

    /// The same times filed under credential epoch `epoch` if that is later than the one they
    /// carry (a store files a new session under the user's current epoch, so that a login
    /// right after a password change is not born expired).
    #[must_use]
    pub fn at_least_epoch(self, epoch: u64) -> Self {
        Self {
            epoch: self.epoch.max(epoch),
            ..self
        }
    }

    /// Rebuilds times a store kept. Inconsistent values (a deadline before creation, an idle
    /// deadline after the absolute one) are clamped so that nothing lives longer than its
    /// absolute deadline.
    #[must_use]
    pub fn from_parts(
        created: UnixTime,
        last_renewed: UnixTime,
        idle_deadline: UnixTime,
        absolute_deadline: UnixTime,
        epoch: u64,
    ) -> Self {
        Self {
            created,
            last_renewed: last_renewed.max(created).min(absolute_deadline),
            idle_deadline: idle_deadline.min(absolute_deadline),
            absolute_deadline,
            epoch,
        }
    }
}

/// What [`SessionPolicy::check`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Valid; nothing to write.
    Valid,
    /// Valid; store these times (only the idle deadline and `last_renewed` changed).
    Renew(SessionTimes),
    /// Ended; delete the record.
    Expired(ExpiredBy),
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpiredBy {
    /// No activity within the idle timeout.
    Idle,
    /// The absolute timeout since login passed.
    Absolute,
    /// The user's credentials changed after the session started.
    Epoch,
}

impl ExpiredBy {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Idle => "session_idle_timeout",
            Self::Absolute => "session_absolute_timeout",
            Self::Epoch => "session_credentials_changed",
        }
    }
}

fn percent_of(secs: u64, percent: u8) -> u64 {
    // secs * percent / 100 without overflow: split into whole hundreds and the rest.
    let p = u64::from(percent);
    (secs / 100)
        .saturating_mul(p)
        .saturating_add((secs % 100).saturating_mul(p) / 100)
}

#[cfg(test)]
mod tests;
