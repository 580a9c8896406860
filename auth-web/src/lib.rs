#![doc = include_str!("../README.md")]

extern crate alloc;

pub mod http;
mod web;

/// The crypto path this crate builds on (tokens, keys, ids), re-exported so that an adapter
/// depends on this crate alone.
pub use auth_core;
/// The rules, state machines and store traits the flows apply, re-exported for the same reason.
pub use auth_policy;
/// A [`ResourceServer`]'s key sources, re-exported beside it.
pub use auth_policy::verifier::{AccessKeys, LocalKeys, VerifyFuture};
pub use web::{
    Access, AccessClaims, DEFAULT_ACCESS_TTL, DEFAULT_COOKIE_NAME, DEFAULT_REFRESH_TTL,
    DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE, Login, LoginAttempt, Provenance, PublishedKeys,
    Rejection, RejectionKind, RequestSessions, ResourceServer, Session, TokenKeys, TokenPair,
    Unsaved, WebAuth, WebConfig,
};
