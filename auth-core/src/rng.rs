//! The operating system's CSPRNG, for callers that have one (`getrandom` feature). Everything
//! else in this crate takes the caller's `&mut impl CryptoRng`; this is the one-line
//! convenience the layers above hand to those functions.

/// The operating system's CSPRNG (`getrandom`), as a `CryptoRng`. `Send`, so futures that
/// hold it can move between threads. A failure of the OS RNG panics: there is no safe way
/// to go on without randomness.
#[must_use]
pub fn os_rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}
