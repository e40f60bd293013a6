//! The session cookie: reading it, and writing or clearing it with identical attributes.

use http::{HeaderMap, HeaderValue};
use tower_sessions::session::Id;

use crate::server::headers::cookie_values;

#[derive(Debug, Clone)]
pub struct CookieSettings {
    pub name: String,
    pub secure: bool,
    /// Upper bound for the browser; the server's expiry is what ends a session.
    pub max_age_secs: i64,
}

impl CookieSettings {
    /// What the request's cookies of this name say: every well-formed session id, in the order
    /// sent, without repeats (a browser can hold more than one: an old cookie for a parent
    /// domain or path beside the live one, RFC 6265 §5.4 sends both, the longer path first,
    /// then the older; which of them is live is for the store to say), and whether there was
    /// such a cookie at all, well-formed or not.
    pub fn read(&self, headers: &HeaderMap) -> (Vec<Id>, bool) {
        let mut ids: Vec<Id> = Vec::new();
        let mut present = false;
        for value in cookie_values(headers, &self.name) {
            present = true;
            if let Ok(id) = value.parse::<Id>() {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        (ids, present)
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
    fn reads_every_well_formed_id_among_other_cookies() {
        use http::header;
        let s = settings(false);
        let (old, live) = (Id::default(), Id::default());
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=1; session={old}; b=2; session={live}; session={old}")).unwrap(),
        );
        assert_eq!(s.read(&headers), (vec![old, live], true));
        // Another application's cookie with UTF-8 in it does not hide ours.
        headers.insert(
            header::COOKIE,
            HeaderValue::from_bytes(format!("_utmz=utmcsn=Undersøgelse; session={live}").as_bytes()).unwrap(),
        );
        assert_eq!(s.read(&headers), (vec![live], true));
        headers.insert(header::COOKIE, HeaderValue::from_static("session=not-an-id"));
        assert_eq!(s.read(&headers), (vec![], true));
        headers.insert(header::COOKIE, HeaderValue::from_static("sessionx=1"));
        assert_eq!(s.read(&headers), (vec![], false));
    }
}
