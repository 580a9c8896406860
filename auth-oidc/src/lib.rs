#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod client;
mod fetcher;
mod remote;

pub use client::{METADATA_TTL, OidcClient};
pub use fetcher::{DEFAULT_TIMEOUT, Fetcher};
pub use remote::{IssuerConfig, RemoteKeys};
