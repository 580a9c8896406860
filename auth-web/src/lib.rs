#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate alloc;

mod access;
mod bearer;
mod config;
pub mod dpop;
mod finish;
mod flows;
pub mod http;
#[cfg(feature = "http")]
mod http_types;
#[cfg(feature = "password")]
pub mod password;
mod rejection;
mod resource;
mod session;
pub mod sso;
mod staged;
mod store;

pub use access::{Access, AppClaims, NoClaims};
/// The crypto path this crate builds on (tokens, keys, ids), re-exported so that an adapter
/// depends on this crate alone.
pub use auth_core;
/// The rules, state machines and store traits the flows apply, re-exported for the same reason.
pub use auth_policy;
/// A [`ResourceServer`]'s key sources, re-exported beside it.
pub use auth_policy::verifier::{AccessKeys, LocalKeys, VerifyFuture};
pub use bearer::TokenRequest;
pub use config::{
    DEFAULT_ACCESS_TTL, DEFAULT_COOKIE_NAME, DEFAULT_REFRESH_REUSE_INTERVAL, DEFAULT_REFRESH_TTL,
    DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE, WebConfig,
};
pub use dpop::DpopKey;
pub use finish::{Finish, HeaderWrite, Staging};
pub use flows::{
    Login, LoginAttempt, Provenance, PublishedKeys, RequestSessions, TokenKeys, TokenPair, WebAuth,
};
pub use rejection::{Rejection, RejectionKind};
pub use resource::ResourceServer;
pub use session::{Session, Unsaved};
pub use staged::{StagedSession, StagedSessions, StagingSlot};
pub use store::{SsoStore, Store};
