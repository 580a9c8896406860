//! A browser's cookies for one site, as the tests that play a browser over plain HTTP keep
//! them: set by `Set-Cookie` values, sent back as one `Cookie` header.

/// Cookies by name.
#[derive(Debug, Default, Clone)]
pub struct Jar(Vec<(String, String)>);

impl Jar {
    /// The `Cookie` header's value.
    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Takes a `Set-Cookie` value: sets the cookie, or removes it when its value is empty,
    /// `Max-Age=0` or an expiry in 1970.
    pub fn take(&mut self, set_cookie: &str) {
        let pair = set_cookie.split(';').next().unwrap_or_default();
        let Some((name, value)) = pair.split_once('=') else {
            return;
        };
        let lower = set_cookie.to_ascii_lowercase();
        let gone = value.is_empty() || lower.contains("max-age=0") || lower.contains("01 jan 1970");
        self.0.retain(|(n, _)| n != name.trim());
        if !gone {
            self.0.push((name.trim().to_owned(), value.to_owned()));
        }
    }

    /// The value of cookie `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Adds a cookie by hand (a forged or planted one).
    pub fn put(&mut self, name: &str, value: &str) {
        self.0.retain(|(n, _)| n != name);
        self.0.push((name.to_owned(), value.to_owned()));
    }
}
