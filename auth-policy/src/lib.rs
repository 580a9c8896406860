#![doc = include_str!("../README.md")]
#![no_std]
#![deny(
    clippy::std_instead_of_core,
    clippy::alloc_instead_of_core,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

#[cfg(any(feature = "ed25519", feature = "p256", feature = "rsa"))]
pub mod discovery;
#[cfg(any(feature = "ed25519", feature = "p256", feature = "rsa"))]
pub mod dpop;
#[cfg(any(feature = "ed25519", feature = "p256", feature = "rsa"))]
pub mod keycache;
#[cfg(any(feature = "ed25519", feature = "p256"))]
pub mod keyring;
pub mod links;
#[cfg(feature = "std")]
pub mod memory;
pub mod refresh;
pub mod replay;
pub mod revocation;
pub mod session;
pub mod session_data;
pub mod session_flow;
#[cfg(any(feature = "ed25519", feature = "p256", feature = "rsa"))]
pub mod sso;
pub mod store;
pub mod throttle;
#[cfg(any(feature = "ed25519", feature = "p256", feature = "rsa"))]
pub mod verifier;
