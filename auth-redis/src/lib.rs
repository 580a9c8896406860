#![doc = include_str!("../README.md")]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod codec;
mod conn;
mod keys;
mod refresh;
mod revocation;
mod session;
mod sso;
mod store;
mod throttle;

pub use revocation::RevocationFollower;
pub use store::{DEFAULT_TIMEOUT, InvalidPrefix, RedisConfig, RedisStore};
