//! The session cookie: reading it, and writing or clearing it with identical attributes.

use http::{header, HeaderMap, HeaderValue};
use tower_sessions::session::Id;

#[derive(Debug, Clone)]
pub struct CookieSettings {
    pub name: String,
    pub secure: bool,
    /// Upper bound for the browser; the server's expiry is what ends a session.
    pub max_age_secs: i64,
}

impl CookieSettings {
    /// The session id from the request's cookies; a malformed value counts as none.
    pub fn read(&self, headers: &HeaderMap) -> Option<Id> {
        cookie_values(headers, &self.name).find_map(|value| value.parse::<Id>().ok())
    }

    /// `true` when the request carries this cookie at all, valid or not.
    pub fn present(&self, headers: &HeaderMap) -> bool {
        cookie_values(headers, &self.name).next().is_some()
    }

    pub fn set(&self, id: Id) -> HeaderValue {
        self.build(&id.to_string(), self.max_age_secs)
    }

    /// Same name, path and flags as [`Self::set`], so the browser replaces and drops it.
    pub fn clear(&self) -> HeaderValue {
        self.build("", 0)
    }

    fn build(&self, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!(
            "{}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}",
            self.name
        );
        HeaderValue::from_str(&cookie).expect("cookie built from a checked name and a base64 id")
    }
}

/// Values of every cookie called `name` in the request.
pub fn cookie_values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(move |pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k.trim() == name).then(|| v.trim().trim_matches('"'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(secure: bool) -> CookieSettings {
        CookieSettings {
            name: if secure {
                "__Host-session".into()
            } else {
                "session".into()
            },
            secure,
            max_age_secs: 60,
        }
    }

    #[test]
    fn set_and_clear_carry_the_same_attributes() {
        let s = settings(true);
        let id = Id::default();
        let set = s.set(id);
        let clear = s.clear();
        assert_eq!(
            set.to_str().unwrap(),
            format!("__Host-session={id}; HttpOnly; SameSite=Lax; Path=/; Max-Age=60; Secure")
        );
        assert_eq!(
            clear.to_str().unwrap(),
            "__Host-session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Secure"
        );
    }

    #[test]
    fn reads_the_named_cookie_among_others_and_ignores_garbage() {
        let s = settings(false);
        let id = Id::default();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=1; session={id}; b=2")).unwrap(),
        );
        assert_eq!(s.read(&headers), Some(id));
        headers.insert(header::COOKIE, HeaderValue::from_static("session=not-an-id"));
        assert_eq!(s.read(&headers), None);
        assert!(s.present(&headers));
        headers.insert(header::COOKIE, HeaderValue::from_static("sessionx=1"));
        assert!(!s.present(&headers));
    }
}
