//! One request's [`Staging`], shared between the extractors that stage into it and the
//! adapter's after-handler step that finishes it. Each session value handed to a handler keeps
//! a handle, so that its unsaved data changes (and a login's or logout's cookies) are staged
//! when the handler drops it. Every adapter runs its extractors through this one slot instead
//! of holding the staging rules itself.

use alloc::sync::Arc;
use core::fmt;
use core::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::finish::Staging;
use crate::flows::RequestSessions;
use crate::http::AuthenticatedBy;
use crate::session::Session;

/// The shared [`Staging`] of one request: put a clone in the request's extensions (or local
/// cache) before the handler, [`take`](Self::take) it after.
#[derive(Clone, Default)]
pub struct StagingSlot(Arc<Mutex<Staging>>);

impl fmt::Debug for StagingSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.lock().fmt(f)
    }
}

impl StagingSlot {
    /// The staging, to stage into.
    pub fn lock(&self) -> MutexGuard<'_, Staging> {
        // Staging's methods do not panic: a poisoned lock is whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes what was staged, for [`Staging::finish`] after the handler.
    #[must_use]
    pub fn take(&self) -> Staging {
        core::mem::take(&mut *self.lock())
    }

    /// Notes that `by` authenticated the request (a bearer token, say).
    pub fn authenticated(&self, by: AuthenticatedBy) {
        self.lock().authenticated(by);
    }

    /// The request's session from its loaded `sessions`, for extractors that only read it:
    /// stages their cookies (a renewal), notes that the session authenticated the request,
    /// and hands it out so that its unsaved changes are staged when it is dropped.
    pub fn session<A>(&self, sessions: RequestSessions<A>) -> Option<StagedSession> {
        let (current, cookies) = sessions.into_parts();
        let mut staging = self.lock();
        staging.set_cookies(cookies);
        if current.is_some() {
            staging.authenticated(AuthenticatedBy::Session);
        }
        drop(staging);
        current.map(|inner| StagedSession {
            inner,
            slot: self.clone(),
        })
    }

    /// The request's loaded `sessions`, for handlers that log in or out: notes that a session
    /// authenticated the request when there is one, and hands them out so that their cookies
    /// and changes are staged when they are dropped.
    pub fn sessions<A>(&self, sessions: RequestSessions<A>) -> StagedSessions<A> {
        if sessions.current().is_some() {
            self.authenticated(AuthenticatedBy::Session);
        }
        StagedSessions {
            inner: sessions,
            slot: self.clone(),
        }
    }
}

/// The request's valid session, handed to a handler; derefs to [`Session`] and so to its
/// data. Its unsaved changes are staged when it is dropped.
#[derive(Debug)]
pub struct StagedSession {
    inner: Session,
    slot: StagingSlot,
}

impl Deref for StagedSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.inner
    }
}

impl DerefMut for StagedSession {
    fn deref_mut(&mut self) -> &mut Session {
        &mut self.inner
    }
}

impl Drop for StagedSession {
    fn drop(&mut self) {
        self.slot.lock().keep(&mut self.inner);
    }
}

/// The request's [`RequestSessions`], handed to a handler (deref); their `Set-Cookie` values
/// and the session's unsaved changes are staged when they are dropped.
#[derive(Debug)]
pub struct StagedSessions<A> {
    inner: RequestSessions<A>,
    slot: StagingSlot,
}

impl<A> Deref for StagedSessions<A> {
    type Target = RequestSessions<A>;
    fn deref(&self) -> &RequestSessions<A> {
        &self.inner
    }
}

impl<A> DerefMut for StagedSessions<A> {
    fn deref_mut(&mut self) -> &mut RequestSessions<A> {
        &mut self.inner
    }
}

impl<A> Drop for StagedSessions<A> {
    fn drop(&mut self) {
        self.slot.lock().keep_sessions(&mut self.inner);
    }
}
