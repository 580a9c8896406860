//! Passwords (feature `password`): Argon2id hashes stored as PHC strings, with OWASP's
//! parameters by default; a check that spends the same work for a user who does not exist; a
//! new hash when the parameters changed since the stored one was made; a length cap checked
//! before any hashing; an optional check against a breached-password list the application
//! supplies; and a bound on how many hashes run at once, so that a flood of logins cannot take
//! the memory of the machine (each Argon2 run holds its memory cost, 19 MiB by default).
//!
//! Hashing is CPU work of tens of milliseconds: run [`Passwords::hash`] and
//! [`Passwords::check`] off the async workers (Tokio's `spawn_blocking`, actix's
//! `web::block`). A call that cannot start within [`PasswordConfig::queue_wait`] because
//! [`PasswordConfig::max_concurrent`] others are running is refused
//! ([`PasswordError::Busy`], 503 with `Retry-After`).
//!
//! ```
//! use auth_web::password::{Checked, PasswordConfig, Passwords};
//!
//! let mut rng = auth_web::auth_core::rng::os_rng();
//! let passwords = Passwords::new(PasswordConfig::new().cost(1024, 1, 1), &mut rng)?;
//! let stored = passwords.hash("correct horse battery staple", &mut rng)?;
//! assert!(stored.starts_with("$argon2id$"));
//! let checked = passwords.check(Some(&stored), "correct horse battery staple", &mut rng)?;
//! assert!(matches!(checked, Checked::Match { rehashed: None }));
//! // An unknown user costs the same work and never matches.
//! assert_eq!(passwords.check(None, "anything", &mut rng)?, Checked::NoMatch);
//! # Ok::<(), auth_web::password::PasswordError>(())
//! ```

use alloc::string::{String, ToString};
use core::fmt;
use core::time::Duration;
use std::sync::{Condvar, Mutex, PoisonError};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// OWASP's Argon2id parameters (Password Storage Cheat Sheet): 19 MiB of memory, 2 passes,
/// 1 lane.
pub const OWASP_MEMORY_KIB: u32 = 19 * 1024;
/// Passes of the OWASP parameters.
pub const OWASP_PASSES: u32 = 2;
/// Lanes of the OWASP parameters.
pub const OWASP_LANES: u32 = 1;
/// Longest password accepted, in bytes: longer ones are refused before any hashing (a
/// megabyte password costs no more to refuse than a short one).
pub const DEFAULT_MAX_LEN: usize = 1024;
/// How long a check waits for one of the running ones to finish before it is refused.
pub const DEFAULT_QUEUE_WAIT: Duration = Duration::from_secs(2);

/// Salt length, in bytes.
const SALT_LEN: usize = 16;

/// A list of breached passwords the application supplies (Have I Been Pwned's ranges
/// downloaded ahead, a file of the most common ones): consulted when a password is set,
/// never over the network from here.
pub trait BreachedList: Send + Sync {
    /// Whether `password` is on the list.
    fn contains(&self, password: &str) -> bool;
}

/// How passwords are hashed and how many hashes run at once.
pub struct PasswordConfig {
    params: (u32, u32, u32),
    max_len: usize,
    max_concurrent: usize,
    queue_wait: Duration,
    breached: Option<alloc::boxed::Box<dyn BreachedList>>,
}

impl fmt::Debug for PasswordConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordConfig")
            .field("params", &self.params)
            .field("max_len", &self.max_len)
            .field("max_concurrent", &self.max_concurrent)
            .field("queue_wait", &self.queue_wait)
            .field("breached", &self.breached.is_some())
            .finish()
    }
}

impl Default for PasswordConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordConfig {
    /// OWASP's parameters, passwords of at most 1,024 bytes, at most twice the machine's
    /// cores hashing at once, 2 s of waiting for a turn, no breached list.
    #[must_use]
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            params: (OWASP_MEMORY_KIB, OWASP_PASSES, OWASP_LANES),
            max_len: DEFAULT_MAX_LEN,
            max_concurrent: cores.saturating_mul(2),
            queue_wait: DEFAULT_QUEUE_WAIT,
            breached: None,
        }
    }

    /// Argon2id's memory (KiB), passes and lanes. Stored hashes made with others still
    /// verify, and are hashed again with these on the next successful check.
    #[must_use]
    pub fn cost(mut self, memory_kib: u32, passes: u32, lanes: u32) -> Self {
        self.params = (memory_kib, passes, lanes);
        self
    }

    /// The longest password accepted, in bytes (at least 1).
    #[must_use]
    pub fn max_len(mut self, bytes: usize) -> Self {
        self.max_len = bytes.max(1);
        self
    }

    /// How many hashes may run at once (at least 1): memory stays within this many times the
    /// memory cost.
    #[must_use]
    pub fn max_concurrent(mut self, hashes: usize) -> Self {
        self.max_concurrent = hashes.max(1);
        self
    }

    /// How long a hash waits for its turn before it is refused as busy.
    #[must_use]
    pub fn queue_wait(mut self, wait: Duration) -> Self {
        self.queue_wait = wait;
        self
    }

    /// The breached-password list [`Passwords::hash`] consults.
    #[must_use]
    pub fn breached_list(mut self, list: impl BreachedList + 'static) -> Self {
        self.breached = Some(alloc::boxed::Box::new(list));
        self
    }
}

/// Why a password was not hashed or checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordError {
    /// Longer than [`PasswordConfig::max_len`]: refused before any hashing (400).
    TooLong,
    /// On the breached-password list: choose another (400).
    Breached,
    /// [`PasswordConfig::max_concurrent`] hashes ran for all of [`PasswordConfig::queue_wait`]
    /// (503 with `Retry-After`).
    Busy,
    /// The parameters were refused by Argon2, or a stored hash is not a PHC string of it.
    Hash,
}

impl PasswordError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLong => "password_too_long",
            Self::Breached => "password_breached",
            Self::Busy => "password_check_busy",
            Self::Hash => "password_hash_invalid",
        }
    }
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLong => "password is longer than allowed",
            Self::Breached => "password is on the list of breached passwords",
            Self::Busy => "too many password checks at once",
            Self::Hash => "password hash parameters or stored hash are invalid",
        })
    }
}

impl core::error::Error for PasswordError {}

impl From<PasswordError> for crate::rejection::Rejection {
    /// 400 for a password over the limit or on the breached list, 503 with `Retry-After`
    /// when the service is busy hashing, 503 for a stored hash that cannot be read (a corrupt
    /// store record, as the stores answer it).
    fn from(e: PasswordError) -> Self {
        use crate::rejection::RejectionKind;
        Self::new(match e {
            PasswordError::TooLong | PasswordError::Breached => RejectionKind::BadRequest(e.code()),
            PasswordError::Busy => RejectionKind::Busy(e.code()),
            PasswordError::Hash => RejectionKind::Unavailable(
                auth_policy::store::StoreError::Corrupt(alloc::boxed::Box::new(e)),
            ),
        })
    }
}

/// The outcome of [`Passwords::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The password is the user's. `rehashed`: a new hash with the current parameters, to
    /// store in place of the old one, when the old one was made with others.
    Match {
        /// The new PHC string, when the stored one is outdated.
        rehashed: Option<String>,
    },
    /// Not the user's password, or no such user.
    NoMatch,
}

/// Password hashing and checking under one [`PasswordConfig`].
pub struct Passwords {
    argon2: Argon2<'static>,
    dummy: String,
    max_len: usize,
    breached: Option<alloc::boxed::Box<dyn BreachedList>>,
    gate: Gate,
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("params", self.argon2.params())
            .field("max_len", &self.max_len)
            .finish_non_exhaustive()
    }
}

impl Passwords {
    /// Checks the parameters and makes the hash that unknown users are checked against (one
    /// Argon2 run, with a random password).
    ///
    /// # Errors
    /// [`PasswordError::Hash`] when Argon2 refuses the parameters.
    pub fn new<R: rand_core::CryptoRng + ?Sized>(
        config: PasswordConfig,
        rng: &mut R,
    ) -> Result<Self, PasswordError> {
        let (m, t, p) = config.params;
        let params = Params::new(m, t, p, None).map_err(|_| PasswordError::Hash)?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut unknown = [0u8; 32];
        rng.fill_bytes(&mut unknown);
        let dummy = hash_with(&argon2, &unknown, rng)?;
        Ok(Self {
            argon2,
            dummy,
            max_len: config.max_len,
            breached: config.breached,
            gate: Gate::new(config.max_concurrent, config.queue_wait),
        })
    }

    /// A new password's PHC string (a random 16-byte salt), to store.
    ///
    /// # Errors
    /// [`PasswordError::TooLong`], [`PasswordError::Breached`] (with a list configured),
    /// [`PasswordError::Busy`].
    pub fn hash<R: rand_core::CryptoRng + ?Sized>(
        &self,
        password: &str,
        rng: &mut R,
    ) -> Result<String, PasswordError> {
        self.check_len(password)?;
        if self.breached.as_ref().is_some_and(|l| l.contains(password)) {
            return Err(PasswordError::Breached);
        }
        let _turn = self.gate.enter()?;
        hash_with(&self.argon2, password.as_bytes(), rng)
    }

    /// Whether `password` is the one `stored` was made from. `None` (no such user) is checked
    /// against a hash of a random password with the same parameters, so that an unknown user
    /// costs the same time as a wrong password, and never matches. A match with a hash made
    /// under other parameters comes with a new hash to store.
    ///
    /// # Errors
    /// [`PasswordError::TooLong`] (before any hashing, for known and unknown users alike),
    /// [`PasswordError::Busy`], [`PasswordError::Hash`] (a stored value that is not a PHC
    /// string of Argon2).
    pub fn check<R: rand_core::CryptoRng + ?Sized>(
        &self,
        stored: Option<&str>,
        password: &str,
        rng: &mut R,
    ) -> Result<Checked, PasswordError> {
        self.check_len(password)?;
        let hash = stored.unwrap_or(&self.dummy);
        let parsed = PasswordHash::new(hash).map_err(|_| PasswordError::Hash)?;
        let turn = self.gate.enter()?;
        let matched = self
            .argon2
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        if !matched || stored.is_none() {
            return Ok(Checked::NoMatch);
        }
        let current = Params::try_from(&parsed).is_ok_and(|p| {
            let want = self.argon2.params();
            (p.m_cost(), p.t_cost(), p.p_cost()) == (want.m_cost(), want.t_cost(), want.p_cost())
        }) && parsed.algorithm.as_str() == "argon2id"
            && parsed.version == Some(Version::V0x13.into());
        if current {
            return Ok(Checked::Match { rehashed: None });
        }
        let rehashed = hash_with(&self.argon2, password.as_bytes(), rng)?;
        drop(turn);
        Ok(Checked::Match {
            rehashed: Some(rehashed),
        })
    }

    fn check_len(&self, password: &str) -> Result<(), PasswordError> {
        if password.len() > self.max_len {
            Err(PasswordError::TooLong)
        } else {
            Ok(())
        }
    }
}

fn hash_with<R: rand_core::CryptoRng + ?Sized>(
    argon2: &Argon2<'_>,
    password: &[u8],
    rng: &mut R,
) -> Result<String, PasswordError> {
    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    argon2
        .hash_password_with_salt(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// At most `max` holders at once; a newcomer waits up to `wait` for a turn.
struct Gate {
    running: Mutex<usize>,
    freed: Condvar,
    max: usize,
    wait: Duration,
}

/// A turn at the [`Gate`], given back when dropped.
struct Turn<'g>(&'g Gate);

impl Gate {
    fn new(max: usize, wait: Duration) -> Self {
        Self {
            running: Mutex::new(0),
            freed: Condvar::new(),
            max,
            wait,
        }
    }

    fn enter(&self) -> Result<Turn<'_>, PasswordError> {
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut running, timeout) = self
            .freed
            .wait_timeout_while(running, self.wait, |n| *n >= self.max)
            .unwrap_or_else(PoisonError::into_inner);
        if timeout.timed_out() && *running >= self.max {
            return Err(PasswordError::Busy);
        }
        *running = running.saturating_add(1);
        Ok(Turn(self))
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut running = self
            .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *running = running.saturating_sub(1);
        drop(running);
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests;
