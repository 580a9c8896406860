//! After the handler: the one step every adapter runs on the way out. While a request is
//! handled, its extractors and handler stage what the response owes ([`Staging`]): cookies
//! (login, logout, renewal), what authenticated the request, the session-data changes to
//! save. After the handler, [`Staging::finish`] commits those changes (unless the handler
//! answered an error: then nothing of them is saved) and says which headers the response gets
//! ([`Finish`]), or which refusal replaces it when the commit failed. An adapter only copies
//! the headers into its framework's response.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::flows::RequestSessions;
use crate::http::{AuthenticatedBy, PRIVATE_CACHE_CONTROL, vary_with};
use crate::rejection::Rejection;
use crate::session::{Session, Unsaved};

/// What one request staged for its response while it was handled.
#[derive(Default)]
pub struct Staging {
    cookies: Vec<String>,
    by: Vec<AuthenticatedBy>,
    unsaved: Option<Unsaved>,
}

impl fmt::Debug for Staging {
    // The cookies hold session ids: never formatted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Staging")
            .field("cookies", &self.cookies.len())
            .field("by", &self.by)
            .field("unsaved", &self.unsaved.is_some())
            .finish()
    }
}

impl Staging {
    /// Stages `Set-Cookie` values (login, logout, renewal, a device cookie).
    pub fn set_cookies(&mut self, cookies: impl IntoIterator<Item = String>) {
        self.cookies.extend(cookies);
    }

    /// Notes that a session or a bearer token authenticated the request: its response is
    /// private to that user (`Cache-Control: no-store`, `Vary` on the header).
    pub fn authenticated(&mut self, by: AuthenticatedBy) {
        if !self.by.contains(&by) {
            self.by.push(by);
        }
    }

    /// Keeps the session's unsaved data changes, to commit after the handler: beside changes
    /// already staged for the same session they are appended ([`Unsaved::stage`]).
    pub fn keep(&mut self, session: &mut Session) {
        if let Some(unsaved) = session.unsaved() {
            Unsaved::stage(&mut self.unsaved, unsaved);
        }
    }

    /// Stages what a request's [`RequestSessions`] holds when the handler is done with it:
    /// its `Set-Cookie` values (login, logout) and its session's unsaved data changes.
    pub fn keep_sessions<A>(&mut self, sessions: &mut RequestSessions<A>) {
        self.set_cookies(sessions.take_cookies());
        if let Some(session) = sessions.current_mut() {
            self.keep(session);
        }
    }

    /// After the handler answered with HTTP `status`: commits the staged changes when the
    /// status keeps them ([`Unsaved::kept_by`]), and says what to add to the response.
    ///
    /// # Errors
    /// The refusal to send instead of the handler's response when the commit failed (401
    /// with the cookie removed when the session ended meanwhile, 503 when the store failed,
    /// 400 for data over its limits): never a response that pretends the change was saved.
    pub async fn finish(self, status: u16) -> Result<Finish, Rejection> {
        if let Some(unsaved) = self.unsaved.filter(|_| Unsaved::kept_by(status)) {
            unsaved.commit().await?;
        }
        Ok(Finish {
            cookies: self.cookies,
            by: self.by,
        })
    }
}

/// How a header of [`Finish::headers`] goes into the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderWrite {
    /// Added beside the response's own values (`Set-Cookie`).
    Append,
    /// In place of the response's own value (`Cache-Control`; `Vary`, whose value already
    /// holds the response's own).
    Replace,
}

/// The headers the handler's response gets after [`Staging::finish`].
#[derive(Default)]
pub struct Finish {
    cookies: Vec<String>,
    by: Vec<AuthenticatedBy>,
}

impl fmt::Debug for Finish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finish")
            .field("cookies", &self.cookies.len())
            .field("by", &self.by)
            .finish()
    }
}

impl Finish {
    /// What a response to a request that `by` authenticated gets when nothing else was
    /// staged (a route a bearer token authenticates, in a framework without a layer).
    #[must_use]
    pub fn authenticated(by: AuthenticatedBy) -> Self {
        Self {
            cookies: Vec::new(),
            by: alloc::vec![by],
        }
    }

    /// Every header to write, in order, given the response's `current_vary`: what an adapter
    /// copies into its framework's response (the three methods below, together). Borrowed
    /// but for a new `Vary`: nothing is copied on the way to the framework's header map.
    pub fn headers<'a>(
        &'a self,
        current_vary: Option<&str>,
    ) -> impl Iterator<Item = (&'static str, Cow<'a, str>, HeaderWrite)> + use<'a> {
        let vary = self.vary(current_vary);
        self.set_cookies()
            .map(|c| ("set-cookie", Cow::Borrowed(c), HeaderWrite::Append))
            .chain(
                self.cache_control()
                    .map(|v| ("cache-control", Cow::Borrowed(v), HeaderWrite::Replace)),
            )
            .chain(vary.map(|v| ("vary", Cow::Owned(v), HeaderWrite::Replace)))
    }

    /// The `Set-Cookie` values to append, in order.
    pub fn set_cookies(&self) -> impl Iterator<Item = &str> {
        self.cookies.iter().map(String::as_str)
    }

    /// The `Cache-Control` to set (replacing the handler's): `no-store` when the response
    /// sets a cookie or answers an authenticated request, so that no cache keeps it.
    #[must_use]
    pub fn cache_control(&self) -> Option<&'static str> {
        (!self.cookies.is_empty() || !self.by.is_empty()).then_some(PRIVATE_CACHE_CONTROL)
    }

    /// The `Vary` to set, given the response's `current` one: every header that
    /// authenticated the request added to it; `None` when nothing changes.
    #[must_use]
    pub fn vary(&self, current: Option<&str>) -> Option<String> {
        let mut vary: Option<String> = None;
        for by in &self.by {
            let now = vary.as_deref().or(current);
            if let Some(next) = vary_with(now, by.header()) {
                vary = Some(next);
            }
        }
        vary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::borrow::ToOwned;

    #[test]
    fn an_unauthenticated_response_without_cookies_gets_nothing() {
        let finish = pollster::block_on(Staging::default().finish(200)).unwrap();
        assert_eq!(finish.set_cookies().count(), 0);
        assert_eq!(finish.cache_control(), None);
        assert_eq!(finish.vary(Some("Accept-Encoding")), None);
    }

    #[test]
    fn a_cookie_makes_the_response_uncacheable() {
        let mut staging = Staging::default();
        staging.set_cookies(["a=b".to_owned()]);
        let finish = pollster::block_on(staging.finish(303)).unwrap();
        assert_eq!(finish.set_cookies().collect::<Vec<_>>(), ["a=b"]);
        assert_eq!(finish.cache_control(), Some("no-store"));
        assert_eq!(finish.vary(None), None);
    }

    #[test]
    fn headers_lists_the_three_with_how_each_is_written() {
        let mut staging = Staging::default();
        staging.set_cookies(["a=b".to_owned(), "c=d".to_owned()]);
        staging.authenticated(AuthenticatedBy::Bearer);
        let finish = pollster::block_on(staging.finish(200)).unwrap();
        let append = HeaderWrite::Append;
        let replace = HeaderWrite::Replace;
        assert_eq!(
            owned(finish.headers(Some("Origin"))),
            [
                ("set-cookie", "a=b".to_owned(), append),
                ("set-cookie", "c=d".to_owned(), append),
                ("cache-control", "no-store".to_owned(), replace),
                ("vary", "Origin, Authorization".to_owned(), replace),
            ]
        );
        let plain = pollster::block_on(Staging::default().finish(200)).unwrap();
        assert_eq!(owned(plain.headers(None)), []);
    }

    fn owned<'a>(
        headers: impl Iterator<Item = (&'static str, Cow<'a, str>, HeaderWrite)>,
    ) -> Vec<(&'static str, String, HeaderWrite)> {
        headers.map(|(n, v, w)| (n, v.into_owned(), w)).collect()
    }

    #[test]
    fn authenticated_answers_vary_on_every_header_that_authenticated_them() {
        let mut staging = Staging::default();
        staging.authenticated(AuthenticatedBy::Session);
        staging.authenticated(AuthenticatedBy::Bearer);
        staging.authenticated(AuthenticatedBy::Session);
        let finish = pollster::block_on(staging.finish(200)).unwrap();
        assert_eq!(finish.cache_control(), Some("no-store"));
        assert_eq!(
            finish.vary(Some("Accept-Encoding")).as_deref(),
            Some("Accept-Encoding, Cookie, Authorization")
        );
        assert_eq!(finish.vary(Some("cookie, authorization")), None);
    }
}
