//! What a request's header fields say, read the way RFC 9110 (and RFC 6265 for `Cookie`) says
//! they are to be read. The request fields Porch interprets (`Accept`, `Accept-Language`,
//! `Authorization`, `Cookie`, `Host`, `Origin`, `Referer`, `Sec-Fetch-Site`, `User-Agent`,
//! `X-Forwarded-For`, `Purpose`) go through here, so the rules are written once:
//!
//! - a field may arrive as several field lines, which mean the same as one line with the values
//!   joined by commas (RFC 9110 §5.3); each `Cookie` line is a list of pairs of its own
//!   (RFC 6265 §5.4: HTTP/2 sends one line per cookie);
//! - field values may carry bytes outside ASCII (`obs-text`, §5.5): a value is never thrown away
//!   for them, they are decoded leniently (as UTF-8, with replacement characters);
//! - list elements are separated by commas with optional whitespace, and empty elements are
//!   ignored (§5.6.1); parameter names, media types, authentication schemes and the `q`
//!   parameter are case-insensitive (§5.6.6, §8.3.1, §11.1, §12.4.2);
//! - one odd pair in `Cookie` costs only that pair, never the whole header.

use std::borrow::Cow;

use http::{header, HeaderMap, HeaderName};

use crate::model::negotiation::element_weight;

/// All field lines of `name` as one value, joined by `", "` (RFC 9110 §5.3), decoded leniently;
/// `None` when the request has no such field.
pub fn combined<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<Cow<'a, str>> {
    let mut lines = headers.get_all(name).iter();
    let first = String::from_utf8_lossy(lines.next()?.as_bytes());
    let mut rest = lines.peekable();
    if rest.peek().is_none() {
        return Some(first);
    }
    let mut joined = first.into_owned();
    for line in rest {
        joined.push_str(", ");
        joined.push_str(&String::from_utf8_lossy(line.as_bytes()));
    }
    Some(Cow::Owned(joined))
}

/// The text of a field that is not a list (`Host`, `Origin`, `User-Agent`, `Referer`): its only
/// field line, trimmed and decoded leniently. A field sent twice is ambiguous, and the answer is
/// `None` rather than a guess (RFC 9110 §5.3: only list fields may be repeated).
pub fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<Cow<'a, str>> {
    let mut lines = headers.get_all(name).iter();
    let value = lines.next()?;
    if lines.next().is_some() {
        return None;
    }
    Some(match String::from_utf8_lossy(value.as_bytes()) {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) => Cow::Owned(text.trim().to_owned()),
    })
}

/// The elements of a comma-separated list field over all its lines, trimmed, empty ones
/// skipped (RFC 9110 §5.6.1).
pub fn list_elements(headers: &HeaderMap, name: &HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|line| {
            String::from_utf8_lossy(line.as_bytes())
                .split(',')
                .map(str::trim)
                .filter(|element| !element.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every cookie of the request as (name, value), in the order sent (a browser sends the cookie
/// with the longest path first, then the oldest: RFC 6265 §5.4). Pairs are parsed one by one
/// with the `cookie` crate, so a pair that is not `name=value`, or bytes outside ASCII in
/// another application's cookie, cost only that pair. Surrounding double quotes are removed.
pub fn cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for line in headers.get_all(header::COOKIE) {
        let text = String::from_utf8_lossy(line.as_bytes());
        for pair in cookie::Cookie::split_parse(text.as_ref()).flatten() {
            pairs.push((pair.name().to_owned(), pair.value_trimmed().to_owned()));
        }
    }
    pairs
}

/// Every value of the cookie `name` in the request, in the order sent (see [`cookies`]).
pub fn cookie_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    cookies(headers)
        .into_iter()
        .filter(|(n, _)| n == name)
        .map(|(_, value)| value)
        .collect()
}

/// One media range of an `Accept` field with its weight (RFC 9110 §12.5.1).
#[derive(Debug, Clone, PartialEq)]
struct MediaRange {
    /// Lower-cased `type/subtype`, possibly `type/*` or `*/*`.
    range: String,
    /// 0–1000 (`q` in thousandths).
    weight: u16,
}

fn media_ranges(headers: &HeaderMap) -> Vec<MediaRange> {
    list_elements(headers, &header::ACCEPT)
        .iter()
        .filter_map(|element| {
            let mut parts = element.split(';');
            let range = parts.next()?.trim().to_ascii_lowercase();
            let weight = element_weight(parts)?;
            range.contains('/').then_some(MediaRange { range, weight })
        })
        .collect()
}

/// Whether the client asks for an HTML page: `Accept` names `text/html` (or XHTML) itself with
/// a weight above zero. A browser's navigation or plain form post does; `fetch`, curl and the
/// server-function client (`*/*`, `application/json`) do not, and `text/html;q=0` refuses it.
pub fn wants_html(headers: &HeaderMap) -> bool {
    media_ranges(headers)
        .iter()
        .any(|m| (m.range == "text/html" || m.range == "application/xhtml+xml") && m.weight > 0)
}

/// The token of an `Authorization: Bearer <token>` field (RFC 6750 §2.1): the scheme in any
/// case (RFC 9110 §11.1), one or more spaces before the token. `None` for any other scheme or a
/// field sent more than once.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = single(headers, &header::AUTHORIZATION)?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim_start_matches(' ');
    (!token.is_empty() && !token.contains(' ')).then(|| token.to_owned())
}

/// A scheme, host and port: what `Origin` names (RFC 6454) and what `Host` says of this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    /// Lower-cased.
    pub host: String,
    /// The port, the scheme's default when none is written.
    pub port: Option<u16>,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// `host[:port]` as written in `Host` or in a URL's authority (no user info), lower-cased, with
/// IPv6 literals in brackets; `None` when it is not one.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    if authority.is_empty() || authority.contains(['@', '/', '?', '#', ' ']) {
        return None;
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (literal, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{literal}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (authority.to_owned(), None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse::<u16>().ok()?),
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

impl Origin {
    /// Reads a serialized origin or URL (`https://app.example`, `http://127.0.0.1:3000/path`).
    /// `None` for `null` and anything without a scheme and host.
    pub fn parse(text: &str) -> Option<Self> {
        let (scheme, rest) = text.trim().split_once("://")?;
        if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
            return None;
        }
        let scheme = scheme.to_ascii_lowercase();
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (host, port) = split_authority(authority)?;
        let port = port.or_else(|| default_port(&scheme));
        Some(Self { scheme, host, port })
    }

    /// Whether this origin is the server a request with `Host: host` reached. The scheme is not
    /// known to the server behind a TLS-terminating proxy, so an explicit port is compared with
    /// the origin's port, and a `Host` without one matches the origin scheme's default port.
    pub fn is_host(&self, host: &str) -> bool {
        let Some((name, port)) = split_authority(host) else {
            return false;
        };
        name == self.host && port.or_else(|| default_port(&self.scheme)) == self.port
    }
}

/// The request's `Origin`, when it names one (`null`, an opaque origin, reads as `Some(None)`):
/// `None` when the field is absent.
pub fn origin(headers: &HeaderMap) -> Option<Option<Origin>> {
    headers.get(header::ORIGIN)?;
    Some(single(headers, &header::ORIGIN).and_then(|text| Origin::parse(&text)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(lines: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in lines {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_bytes(value).expect("a field value"),
            );
        }
        map
    }

    #[test]
    fn a_cookie_with_bytes_outside_ascii_costs_only_itself() {
        let h = headers(&[(
            "cookie",
            "_utmz=1.1700000000.1.1.utmcsn=Kampagne Undersøgelse; session=abc; prefs=\"1.d\"".as_bytes(),
        )]);
        assert_eq!(cookie_values(&h, "session"), ["abc"]);
        assert_eq!(cookie_values(&h, "prefs"), ["1.d"]);
        // Latin-1 bytes that are not UTF-8 at all, a pair without '=', an empty name.
        let h = headers(&[("cookie", b"a=caf\xe9; junk; =x; session=def;;")]);
        assert_eq!(cookie_values(&h, "session"), ["def"]);
        assert!(cookie_values(&h, "junk").is_empty());
    }

    #[test]
    fn cookies_come_from_every_line_in_order() {
        let h = headers(&[("cookie", b"session=old"), ("cookie", b"x=1; session=live")]);
        assert_eq!(cookie_values(&h, "session"), ["old", "live"]);
        assert!(cookie_values(&h, "sessionx").is_empty());
    }

    #[test]
    fn list_fields_are_read_across_lines() {
        let h = headers(&[("accept-language", b"de, "), ("accept-language", b",fr;q=0.5")]);
        assert_eq!(list_elements(&h, &header::ACCEPT_LANGUAGE), ["de", "fr;q=0.5"]);
        assert_eq!(combined(&h, &header::ACCEPT_LANGUAGE).unwrap(), "de, , ,fr;q=0.5");
    }

    #[test]
    fn html_is_wanted_only_when_named_with_a_weight() {
        let browser = b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(wants_html(&headers(&[("accept", browser)])));
        assert!(wants_html(&headers(&[("accept", b"Text/HTML")])));
        assert!(wants_html(&headers(&[
            ("accept", b"application/json"),
            ("accept", b"text/html")
        ])));
        assert!(wants_html(&headers(&[("accept", b"text/html;Q=0.1")])));
        for not in [
            &b"*/*"[..],
            b"application/json",
            b"text/html;q=0",
            b"text/html; q=0.000",
            b"text/htmlx",
        ] {
            assert!(
                !wants_html(&headers(&[("accept", not)])),
                "{}",
                String::from_utf8_lossy(not)
            );
        }
        assert!(!wants_html(&HeaderMap::new()));
        assert!(
            !wants_html(&headers(&[("accept", b"text/html;q=2")])),
            "a malformed weight"
        );
    }

    #[test]
    fn bearer_tokens_in_any_case_of_the_scheme() {
        for (value, token) in [
            ("Bearer abc", Some("abc")),
            ("bearer abc", Some("abc")),
            ("BEARER   abc", Some("abc")),
            ("Basic abc", None),
            ("Bearer", None),
            ("Bearer a b", None),
            ("Bearerabc", None),
        ] {
            let h = headers(&[("authorization", value.as_bytes())]);
            assert_eq!(bearer_token(&h).as_deref(), token, "{value}");
        }
        let twice = headers(&[("authorization", b"Bearer a"), ("authorization", b"Bearer b")]);
        assert_eq!(bearer_token(&twice), None);
    }

    #[test]
    fn origins_compare_with_the_host_as_rfc_6454_says() {
        let o = Origin::parse("https://App.Example").unwrap();
        assert!(o.is_host("app.example"));
        assert!(o.is_host("APP.example:443"));
        assert!(!o.is_host("app.example:8443"));
        assert!(!o.is_host("app.example.evil.example"));
        let local = Origin::parse("http://127.0.0.1:3000").unwrap();
        assert!(local.is_host("127.0.0.1:3000"));
        assert!(!local.is_host("127.0.0.1"));
        let v6 = Origin::parse("http://[::1]:3000/").unwrap();
        assert!(v6.is_host("[::1]:3000"));
        for bad in [
            "null",
            "",
            "app.example",
            "https://",
            "https://user@evil.example",
            "https://a:99999",
        ] {
            assert_eq!(Origin::parse(bad), None, "{bad}");
        }
        assert_eq!(origin(&headers(&[("origin", b"null")])), Some(None));
        assert_eq!(origin(&HeaderMap::new()), None);
    }
}
