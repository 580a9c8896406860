#![doc = include_str!("../README.md")]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod keys;
mod revocation;
mod store;

pub use revocation::RevocationFollower;
pub use store::{DEFAULT_TIMEOUT, InvalidPrefix, RedisConfig, RedisStore};
