//! Login throttling, pure: how long a login attempt must wait after failures, and which
//! counters an attempt is judged by (a signed device cookie exempts a browser from other
//! clients' failures) (OWASP ASVS v5 V6.3.1; OWASP's "Slow Down Online Guessing Attacks with
//! Device Cookies").
//!
//! - Failed logins are counted per account and per account-and-client. Past a threshold (5 in
//!   15 minutes by default) an attempt must wait, for a delay that doubles with each further
//!   failure up to a cap (5 minutes): slow, never a permanent lockout.
//! - A browser that has logged in as that user before carries a device cookie
//!   ([`auth_core::device`]) and is judged by its own device's failures only, so that someone
//!   guessing a victim's password cannot lock the victim out.
//! - Unknown users are counted exactly like known ones: the counters are keyed by the name
//!   tried, whether or not it exists.
//!
//! Nothing here reads a clock or touches a store: the counters are kept by a store, the time
//! is the caller's `now`.

use sha2::{Digest, Sha256};

use auth_core::UnixTime;
use auth_core::device::DeviceId;

/// Failures before attempts must wait: 5.
pub const DEFAULT_THRESHOLD: u32 = 5;
/// Seconds a counter is kept after its last failure: 15 minutes.
pub const DEFAULT_WINDOW: u64 = 15 * 60;
/// The first wait, in seconds, doubled with each further failure: 1.
pub const DEFAULT_BASE_DELAY: u64 = 1;
/// The longest wait, in seconds: 5 minutes.
pub const DEFAULT_MAX_DELAY: u64 = 5 * 60;

/// When login attempts must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    threshold: u32,
    window: u64,
    base_delay: u64,
    max_delay: u64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl ThrottlePolicy {
    /// 5 failures in 15 minutes, then 1 s doubling per failure up to 5 minutes.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            window: DEFAULT_WINDOW,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
        }
    }

    /// Failures before attempts must wait (at least 1).
    #[must_use]
    pub const fn threshold(mut self, failures: u32) -> Self {
        self.threshold = if failures == 0 { 1 } else { failures };
        self
    }

    /// Seconds a counter is kept after its last failure (at least 1).
    #[must_use]
    pub const fn window(mut self, secs: u64) -> Self {
        self.window = if secs == 0 { 1 } else { secs };
        self
    }

    /// The first wait and the longest, in seconds (at least 1 each; the longest at least the
    /// first).
    #[must_use]
    pub const fn delays(mut self, base: u64, max: u64) -> Self {
        self.base_delay = if base == 0 { 1 } else { base };
        self.max_delay = if max < self.base_delay {
            self.base_delay
        } else {
            max
        };
        self
    }

    /// The policy's numbers, for a store that applies it in its own language (Redis's Lua).
    #[must_use]
    pub const fn settings(&self) -> ThrottleSettings {
        ThrottleSettings {
            threshold: self.threshold,
            window: self.window,
            base_delay: self.base_delay,
            max_delay: self.max_delay,
        }
    }

    /// Seconds a store keeps a counter after its last failure.
    #[must_use]
    pub const fn window_secs(&self) -> u64 {
        self.window
    }

    /// The wait, in seconds, that `failures` impose at `now` (0: the attempt may proceed).
    /// Below the threshold there is none; at it, the base delay after the last failure; each
    /// further failure doubles it, up to the cap. Counts of any size never wait longer than
    /// the cap after the last failure.
    #[must_use]
    pub fn wait(&self, failures: &Failures, now: UnixTime) -> u64 {
        let Some(excess) = failures.count.checked_sub(self.threshold) else {
            return 0;
        };
        let doubled = match 1u64.checked_shl(excess.min(63)) {
            Some(factor) => self.base_delay.saturating_mul(factor),
            None => u64::MAX,
        };
        let delay = doubled.min(self.max_delay);
        // A last failure "in the future" (another server's clock ahead of this one) still
        // never makes anyone wait longer than the delay.
        failures
            .last
            .saturating_add(delay)
            .as_secs()
            .saturating_sub(now.as_secs())
            .min(delay)
    }

    /// One attempt on `counters` at `now`, as a store applies it atomically: if any counter
    /// imposes a wait ([`decide`](Self::decide)), that wait and nothing counted; otherwise the
    /// attempt is counted as a failure on every counter (until a success forgives it, see
    /// [`forgive`](Self::forgive)) and [`Admission::Proceed`]. So a failed login costs one store
    /// step, and attempts during a wait neither count nor lengthen it.
    pub fn attempt(&self, counters: &mut [Failures], now: UnixTime) -> Admission {
        let verdict = self.decide(counters, now);
        if verdict == Admission::Proceed {
            for f in counters.iter_mut() {
                f.count = f.count.saturating_add(1);
                f.last = f.last.max(now);
            }
        }
        verdict
    }

    /// What a successful login whose attempt was counted at `now` does to a counter it
    /// counted on: the account's forgives that one attempt and ends the wait its failures
    /// impose, so that the next client without a device cookie is not made to wait because
    /// someone succeeded (the attempt had moved the counter's last failure to `now`); it keeps
    /// counting the failures, so that the next failure waits again at once. A client's or
    /// device's counter is forgotten (`None`).
    #[must_use]
    pub fn forgive(
        &self,
        counter: &Counter,
        failures: Failures,
        now: UnixTime,
    ) -> Option<Failures> {
        match counter {
            Counter::Account => Some(Failures {
                count: failures.count.saturating_sub(1),
                // No delay is longer than the longest: from here, the wait is over.
                last: failures
                    .last
                    .min(UnixTime(now.as_secs().saturating_sub(self.max_delay))),
            })
            .filter(|f| f.count > 0),
            Counter::Client(_) | Counter::Device(_) => None,
        }
    }

    /// What an attempt judged by `counters` (their failures, in any order) must do at `now`:
    /// the longest wait any of them imposes.
    #[must_use]
    pub fn decide(&self, counters: &[Failures], now: UnixTime) -> Admission {
        match counters.iter().map(|f| self.wait(f, now)).max() {
            Some(secs) if secs > 0 => Admission::Wait(secs),
            _ => Admission::Proceed,
        }
    }
}

/// The numbers of a [`ThrottlePolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleSettings {
    /// Failures before attempts must wait.
    pub threshold: u32,
    /// Seconds a counter is kept after its last failure.
    pub window: u64,
    /// The first wait in seconds.
    pub base_delay: u64,
    /// The longest wait in seconds.
    pub max_delay: u64,
}

/// The failures a store holds for one counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    /// Failures since the counter was last forgotten.
    pub count: u32,
    /// When the last one happened.
    pub last: UnixTime,
}

/// What a login attempt must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Check the password.
    Proceed,
    /// Do not check it: answer 429 with `Retry-After` of this many seconds.
    Wait(u64),
}

/// A counter of failed logins, of one user name (known or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Counter {
    /// Every attempt for the account from a client without its device cookie.
    Account,
    /// Attempts for the account from one client (its address, hashed: stores never hold it).
    Client([u8; 16]),
    /// Attempts for the account from one browser holding a device cookie for it.
    Device([u8; 16]),
}

impl Counter {
    /// The counter of attempts from the client with address `client` (e.g. its IP address
    /// as text): the first 16 bytes of its SHA-256.
    #[must_use]
    pub fn client(client: &[u8]) -> Self {
        let digest = Sha256::digest(client);
        let mut out = [0u8; 16];
        out.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
        Self::Client(out)
    }
}

/// The counters an attempt is judged and counted by: a browser with a valid device cookie for
/// this user by its device's counter only; any other attempt by the account's counter and the
/// counter of the account from this client.
#[must_use]
pub fn counters(client: &[u8], device: Option<DeviceId>) -> Counters {
    match device {
        Some(device) => Counters([Some(Counter::Device(device.to_bytes())), None]),
        None => Counters([Some(Counter::Account), Some(Counter::client(client))]),
    }
}

/// One or two counters (see [`counters`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters([Option<Counter>; 2]);

impl Counters {
    /// The counters, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Counter> {
        self.0.iter().flatten()
    }
}

/// A store of failed-login counters (memory: `memory::MemoryStore`; Redis: `auth-redis`).
/// Counters are per user name tried, known or not; each is kept `window` seconds after its
/// last failure.
pub trait ThrottleStore: Send + Sync {
    /// One login attempt of `user` on `counters` at `now`, in one atomic step, exactly as
    /// [`ThrottlePolicy::attempt`] does: a wait, or the attempt counted as a failure on every
    /// counter and [`Admission::Proceed`]. Concurrent attempts are all counted.
    ///
    /// # Errors
    /// A backend error (the login is refused: fail closed); [`StoreError::Full`] when an
    /// in-process store has no room for another counter.
    ///
    /// [`StoreError::Full`]: crate::store::StoreError::Full
    fn attempt(
        &self,
        user: &str,
        counters: &Counters,
        policy: &ThrottlePolicy,
        now: UnixTime,
    ) -> impl core::future::Future<Output = Result<Admission, crate::store::StoreError>> + Send;

    /// The failures of `user` on each of `counters`, in order (absent: none).
    ///
    /// # Errors
    /// A backend error.
    fn failures(
        &self,
        user: &str,
        counters: &Counters,
    ) -> impl core::future::Future<Output = Result<[Failures; 2], crate::store::StoreError>> + Send;

    /// After a successful login on `counters`, whose attempt was counted at `now`:
    /// [`ThrottlePolicy::forgive`] on each.
    ///
    /// # Errors
    /// A backend error.
    fn settle(
        &self,
        user: &str,
        counters: &Counters,
        policy: &ThrottlePolicy,
        now: UnixTime,
    ) -> impl core::future::Future<Output = Result<(), crate::store::StoreError>> + Send;
}

#[cfg(test)]
mod tests;
