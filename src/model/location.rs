//! Where the app sends a browser: same-site paths only, written so any `Location` header can
//! carry them.
//!
//! A return address comes from the client (`next=`, `back=`), so it must never lead to another
//! site (an open redirect, OWASP Unvalidated Redirects Cheat Sheet), and it may hold text
//! typed in any script (`/account/history?note=café`), which a header cannot: HTTP field values
//! are ASCII (RFC 9110 §5.5), so everything else is percent-encoded as UTF-8 (RFC 3986 §2.1).

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// What a `Location` path may not carry as it is: controls, space and the characters the WHATWG
/// URL standard percent-encodes in paths and queries (`"`, `<`, `>`, `` ` ``, `{`, `}`), plus
/// `^` and `|`. Everything outside ASCII is always encoded. `%` is kept, so escapes already in the
/// path stay as they are.
const LOCATION: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'^')
    .add(b'|');

/// What a query parameter's value may not carry as it is: the above, and the characters that
/// would end the value or change its meaning (`#`, `%`, `&`, `+`, `=`, `?`, `'`).
const QUERY_VALUE: &AsciiSet = &LOCATION
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'=')
    .add(b'?')
    .add(b'\'');

/// `path` if it is a path on this site, else `fallback`. Never another site (`//evil.example`,
/// `/\\evil.example`), so a client-supplied return address cannot be an open redirect.
pub fn same_site_path<'a>(path: Option<&'a str>, fallback: &'a str) -> &'a str {
    match path {
        Some(p) if is_same_site_path(p) && p.len() <= 512 => p,
        _ => fallback,
    }
}

/// True for an absolute path on this site: `/settings`, never `//evil.example` or
/// `/\\evil.example` (which browsers read as another host), nor text with control characters
/// (browsers drop tabs and newlines from URLs, so `/\t/evil.example` would become
/// `//evil.example`).
pub fn is_same_site_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && !path.chars().any(char::is_control)
}

/// Where to go after signing in: the requested same-site path, else the account page.
pub fn safe_next(next: Option<&str>) -> &str {
    same_site_path(next, "/account")
}

/// A same-site path as a `Location` header value: ASCII only, with what cannot appear in a URL
/// as it is percent-encoded (`/a?note=café` → `/a?note=caf%C3%A9`). Anything that is not a
/// same-site path gives `/`.
pub fn location(path: &str) -> String {
    if !is_same_site_path(path) {
        return "/".to_owned();
    }
    utf8_percent_encode(path, LOCATION).to_string()
}

/// `text` encoded as one query parameter value (`/a?b=c` → `/a%3Fb%3Dc`).
pub fn query_value(text: &str) -> String {
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// `page` with `?next=<where to go after it>`, or bare `page` when there is no `next` or it is
/// not a same-site path.
pub fn with_next(page: &str, next: Option<&str>) -> String {
    match next.filter(|n| is_same_site_path(n) && n.len() <= 512) {
        Some(next) => format!("{page}?next={}", query_value(next)),
        None => page.to_owned(),
    }
}

/// The links on every page that mark themselves `aria-current` (the header's and the footer's).
pub const SITE_LINKS: [&str; 7] = [
    "/",
    "/settings",
    "/admin",
    "/account",
    "/login",
    "/register",
    "/session",
];

/// Whether the link to `href` is the current page's for `path`: the same path, or (but for `/`)
/// a path under it, as the router's `<A>` marks `aria-current`.
pub fn is_current(href: &str, path: &str) -> bool {
    if href == "/" {
        return path == "/";
    }
    path.strip_prefix(href)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_current_on_its_page_and_those_under_it() {
        assert!(is_current("/", "/") && !is_current("/", "/settings"));
        assert!(is_current("/account", "/account") && is_current("/account", "/account/sessions"));
        assert!(!is_current("/account", "/accounts") && !is_current("/settings", "/"));
    }

    #[test]
    fn next_is_a_same_site_path_or_the_account_page() {
        assert_eq!(safe_next(Some("/account/sessions")), "/account/sessions");
        for bad in [
            None,
            Some(""),
            Some("https://evil.example"),
            Some("//evil.example"),
            Some("/\\evil.example"),
            Some("/\t/evil.example"),
            Some("/\n/evil.example"),
        ] {
            assert_eq!(safe_next(bad), "/account", "{bad:?}");
        }
    }

    #[test]
    fn locations_are_ascii_and_stay_on_this_site() {
        assert_eq!(
            location("/account/history?note=café"),
            "/account/history?note=caf%C3%A9"
        );
        assert_eq!(location("/a b\"<>`{}|^"), "/a%20b%22%3C%3E%60%7B%7D%7C%5E");
        assert_eq!(
            location("/ok?x=1&y=%C3%A9#top"),
            "/ok?x=1&y=%C3%A9#top",
            "kept as it is"
        );
        assert_eq!(location("/\u{FF0F}evil.example"), "/%EF%BC%8Fevil.example");
        assert_eq!(location("/مرحبا"), "/%D9%85%D8%B1%D8%AD%D8%A8%D8%A7");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/\r\nSet-Cookie: x=1",
            "",
        ] {
            assert_eq!(location(bad), "/", "{bad:?}");
        }
        for path in ["/account/history?note=café", "/a b", "/日本語/ページ", "/x?y=\u{1F600}"] {
            let written = location(path);
            assert!(written.is_ascii() && !written.contains(' '), "{written}");
            assert!(http_field_safe(&written), "{written}");
        }
    }

    fn http_field_safe(text: &str) -> bool {
        text.bytes().all(|b| (0x21..0x7f).contains(&b))
    }

    #[test]
    fn next_travels_as_one_query_value() {
        assert_eq!(
            with_next("/login", Some("/account/history?note=café&x=1")),
            "/login?next=/account/history%3Fnote%3Dcaf%C3%A9%26x%3D1"
        );
        assert_eq!(with_next("/login", Some("/account")), "/login?next=/account");
        assert_eq!(with_next("/login", None), "/login");
        assert_eq!(with_next("/login", Some("")), "/login");
        assert_eq!(with_next("/register", Some("//evil.example")), "/register");
        assert_eq!(query_value("a b+c%"), "a%20b%2Bc%25");
    }
}
