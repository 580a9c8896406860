//! Passwords (feature `password`): Argon2id hashes stored as PHC strings, with OWASP's
//! parameters by default; a check that spends the same work for a user who does not exist; a
//! new hash when the parameters changed since the stored one was made; a length cap checked
//! before any hashing; an optional check against a breached-password list the application
//! supplies; and a bound on how many hashes run at once, so that a flood of logins cannot take
//! the memory of the machine. Each Argon2 run needs its memory cost (19 MiB by default): the
//! runs take it from a pool of [`PasswordConfig::max_concurrent`] buffers, allocated on first
//! use and kept, so that memory stays at that many times the cost however many logins come
//! (allocating per run, the allocator kept about one buffer per thread that ever hashed).
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

use alloc::vec::Vec;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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
        let gate = Gate::new(
            config.max_concurrent,
            config.queue_wait,
            argon2.params().block_count(),
        );
        let mut unknown = [0u8; 32];
        rng.fill_bytes(&mut unknown);
        let dummy = hash_with(&argon2, &unknown, &mut gate.enter()?, rng)?;
        Ok(Self {
            argon2,
            dummy,
            max_len: config.max_len,
            breached: config.breached,
            gate,
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
        let mut turn = self.gate.enter()?;
        hash_with(&self.argon2, password.as_bytes(), &mut turn, rng)
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
        let known = Stored::parse(stored.unwrap_or(&self.dummy))?;
        let mut turn = self.gate.enter()?;
        if !known.matches(password.as_bytes(), &mut turn)? || stored.is_none() {
            return Ok(Checked::NoMatch);
        }
        let want = self.argon2.params();
        let current = known.algorithm == Algorithm::Argon2id
            && known.version == Version::V0x13
            && (
                known.params.m_cost(),
                known.params.t_cost(),
                known.params.p_cost(),
            ) == (want.m_cost(), want.t_cost(), want.p_cost());
        if current {
            return Ok(Checked::Match { rehashed: None });
        }
        let rehashed = hash_with(&self.argon2, password.as_bytes(), &mut turn, rng)?;
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

/// A new PHC string of `password` (a fresh salt), hashed in the turn's memory.
fn hash_with<R: rand_core::CryptoRng + ?Sized>(
    argon2: &Argon2<'_>,
    password: &[u8],
    turn: &mut Turn<'_>,
    rng: &mut R,
) -> Result<String, PasswordError> {
    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    let params = argon2.params();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2
        .hash_password_into_with_memory(password, &salt, &mut out, turn.memory(params))
        .map_err(|_| PasswordError::Hash)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|_| PasswordError::Hash)?,
        salt: Some(Salt::new(&salt).map_err(|_| PasswordError::Hash)?),
        hash: Some(Output::new(&out).map_err(|_| PasswordError::Hash)?),
    };
    Ok(phc.to_string())
}

/// A stored PHC string of Argon2, read.
struct Stored {
    algorithm: Algorithm,
    version: Version,
    params: Params,
    salt: Salt,
    hash: Output,
}

impl Stored {
    fn parse(text: &str) -> Result<Self, PasswordError> {
        let phc = PasswordHash::new(text).map_err(|_| PasswordError::Hash)?;
        Ok(Self {
            algorithm: Algorithm::try_from(phc.algorithm.as_str())
                .map_err(|_| PasswordError::Hash)?,
            version: phc
                .version
                .map_or(Ok(Version::V0x13), Version::try_from)
                .map_err(|_| PasswordError::Hash)?,
            params: Params::try_from(&phc).map_err(|_| PasswordError::Hash)?,
            salt: phc.salt.ok_or(PasswordError::Hash)?,
            hash: phc.hash.ok_or(PasswordError::Hash)?,
        })
    }

    /// Whether `password` hashes to this, in the turn's memory; the outputs are compared in
    /// constant time.
    fn matches(&self, password: &[u8], turn: &mut Turn<'_>) -> Result<bool, PasswordError> {
        let argon2 = Argon2::new(self.algorithm, self.version, self.params.clone());
        let expected = self.hash.as_bytes();
        let mut buf = [0u8; Output::MAX_LENGTH];
        let out = buf.get_mut(..expected.len()).ok_or(PasswordError::Hash)?;
        let memory = turn.memory(&self.params);
        argon2
            .hash_password_into_with_memory(password, self.salt.as_ref(), &mut *out, memory)
            .map_err(|_| PasswordError::Hash)?;
        Ok(auth_core::ct::eq(out, expected))
    }
}

/// At most `max` turns at once, each with a memory buffer from the pool; a newcomer waits up
/// to `wait` for a turn.
struct Gate {
    pool: Mutex<Pool>,
    freed: Condvar,
    max: usize,
    wait: Duration,
    /// Blocks a pooled buffer keeps: the current parameters' (one grown for a stored hash of
    /// a larger cost is cut back when it returns).
    blocks: usize,
}

/// The turns given out and the buffers not in use.
struct Pool {
    running: usize,
    free: Vec<Vec<Block>>,
}

/// A turn at the [`Gate`] with its memory; given back when dropped.
struct Turn<'g> {
    gate: &'g Gate,
    memory: Vec<Block>,
}

impl Gate {
    fn new(max: usize, wait: Duration, blocks: usize) -> Self {
        Self {
            pool: Mutex::new(Pool {
                running: 0,
                free: Vec::new(),
            }),
            freed: Condvar::new(),
            max,
            wait,
            blocks,
        }
    }

    fn enter(&self) -> Result<Turn<'_>, PasswordError> {
        let pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut pool, timeout) = self
            .freed
            .wait_timeout_while(pool, self.wait, |p| p.running >= self.max)
            .unwrap_or_else(PoisonError::into_inner);
        if timeout.timed_out() && pool.running >= self.max {
            return Err(PasswordError::Busy);
        }
        pool.running = pool.running.saturating_add(1);
        let memory = pool.free.pop().unwrap_or_default();
        Ok(Turn { gate: self, memory })
    }
}

impl Turn<'_> {
    /// The memory Argon2 with `params` needs: this turn's buffer, grown the first time (and
    /// for a stored hash made with a larger cost).
    fn memory(&mut self, params: &Params) -> &mut [Block] {
        let blocks = params.block_count();
        if self.memory.len() < blocks {
            self.memory.resize(blocks, Block::default());
        }
        &mut self.memory
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut memory = core::mem::take(&mut self.memory);
        if memory.len() > self.gate.blocks {
            memory.truncate(self.gate.blocks);
            memory.shrink_to_fit();
        }
        let mut pool = self
            .gate
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        pool.running = pool.running.saturating_sub(1);
        pool.free.push(memory);
        drop(pool);
        self.gate.freed.notify_one();
    }
}

#[cfg(test)]
mod tests;
