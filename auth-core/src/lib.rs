#![doc = include_str!("../README.md")]
#![no_std]
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::std_instead_of_core,
    clippy::alloc_instead_of_core,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

#[cfg(feature = "alloc")]
pub mod access;
mod b64;
pub mod ct;
pub mod device;
#[cfg(feature = "alloc")]
pub mod discovery;
pub mod error;
pub mod http;
mod json;
#[cfg(any(feature = "ed25519", feature = "p256", feature = "rsa"))]
pub mod jwk;
pub mod jwt;
#[cfg(all(
    feature = "alloc",
    any(feature = "ed25519", feature = "p256", feature = "rsa")
))]
pub mod keycache;
#[cfg(all(feature = "alloc", any(feature = "ed25519", feature = "p256")))]
pub mod keyring;
#[cfg(feature = "std")]
pub mod memory;
#[cfg(feature = "alloc")]
pub mod refresh;
#[cfg(feature = "alloc")]
pub mod revocation;
pub mod session;
#[cfg(feature = "alloc")]
pub mod session_data;
pub mod session_id;
#[cfg(feature = "alloc")]
pub mod store;
pub mod throttle;
mod time;
#[cfg(feature = "alloc")]
pub mod web;

pub use error::Error;
pub use time::{UnixMillis, UnixTime};
