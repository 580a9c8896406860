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
pub mod b64;
pub mod ct;
pub mod device;
#[cfg(any(feature = "ed25519", feature = "p256", feature = "rsa"))]
pub mod dpop;
pub mod error;
pub mod json;
#[cfg(any(feature = "ed25519", feature = "p256", feature = "rsa"))]
pub mod jwk;
pub mod jwt;
#[cfg(feature = "alloc")]
pub mod oidc;
#[cfg(feature = "getrandom")]
pub mod rng;
pub mod session_id;
mod time;

pub use error::Error;
pub use time::{UnixMillis, UnixTime};
