//! Who is on the other end of a request: address and device.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::ConnectInfo,
    http::{HeaderMap, HeaderName},
};
use http::request::Parts;

use super::{
    headers::{list_elements, single},
    ratelimit::{ip_subject, RateNote},
};

/// The longest User-Agent kept with a session.
const MAX_USER_AGENT: usize = 512;

#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: String,
    /// The request's headers (cookies, Accept-Language), for rules that depend on them.
    pub headers: HeaderMap,
    /// Where rate limits met by this request are noted, for its response headers.
    pub rate: RateNote,
}

impl ClientInfo {
    pub fn from_parts(parts: &Parts, trusted_proxies: &[IpAddr]) -> Self {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let mut client = Self::from_headers(&parts.headers, peer, trusted_proxies);
        if let Some(note) = parts.extensions.get::<RateNote>() {
            client.rate = note.clone();
        }
        client
    }

    /// The client's address as rate limits count it.
    pub fn ip_subject(&self) -> String {
        ip_subject(self.ip)
    }

    /// Browser and system, as mails and the security log name a device: "Firefox (Linux)".
    pub fn device_label(&self) -> String {
        let (browser, os) = self.device();
        device_label(&browser, &os)
    }

    /// The browser and system its User-Agent names (see [`device_of`]).
    pub fn device(&self) -> (String, String) {
        device_of(&woothee::parser::Parser::new(), &self.user_agent)
    }

    pub fn from_headers(headers: &HeaderMap, peer: Option<IpAddr>, trusted_proxies: &[IpAddr]) -> Self {
        // Bytes outside ASCII (some apps append their name in their own script) are decoded
        // leniently rather than costing the whole field.
        let mut user_agent: String = single(headers, &http::header::USER_AGENT)
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_USER_AGENT)
            .collect();
        // At most MAX_USER_AGENT bytes, cut at a character boundary.
        let mut end = user_agent.len().min(MAX_USER_AGENT);
        while !user_agent.is_char_boundary(end) {
            end -= 1;
        }
        user_agent.truncate(end);
        Self {
            ip: client_ip(headers, peer, trusted_proxies),
            user_agent,
            headers: headers.clone(),
            rate: RateNote::default(),
        }
    }
}

/// The socket peer, unless it is a trusted proxy: then the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy (addresses further left are
/// client-supplied and could be forged).
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = list_elements(headers, &HeaderName::from_static("x-forwarded-for"))
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted_proxies.contains(ip))
            .unwrap_or(peer),
    )
}

/// A device as mails and the security log name it: "Firefox (Linux)", at most 200 characters.
pub fn device_label(browser: &str, os: &str) -> String {
    format!("{browser} ({os})").chars().take(200).collect()
}

/// The browser and system a user agent names, or the placeholders for unknown ones.
pub fn device_of(parser: &woothee::parser::Parser, user_agent: &str) -> (String, String) {
    match parser.parse(user_agent) {
        Some(ua) if ua.name != "UNKNOWN" && !ua.name.is_empty() => {
            let os = if ua.os == "UNKNOWN" || ua.os.is_empty() {
                crate::model::DeviceSession::UNKNOWN_OS
            } else {
                ua.os
            };
            (ua.name.to_owned(), os.to_owned())
        }
        _ => (
            crate::model::DeviceSession::UNKNOWN_BROWSER.to_owned(),
            crate::model::DeviceSession::UNKNOWN_OS.to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.0.0.2".parse().unwrap());
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "198.51.100.7".parse().unwrap();
        let trusted = ["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        assert_eq!(client_ip(&headers, Some(other), &trusted), Some(other));
        assert_eq!(
            client_ip(&headers, Some(proxy), &trusted),
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(client_ip(&HeaderMap::new(), Some(proxy), &trusted), Some(proxy));
    }

    #[test]
    fn a_user_agent_outside_ascii_is_kept_and_cut_at_a_character() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::USER_AGENT,
            http::HeaderValue::from_bytes("Firefox/120.0 Überall".as_bytes()).unwrap(),
        );
        assert_eq!(
            ClientInfo::from_headers(&headers, None, &[]).user_agent,
            "Firefox/120.0 Überall"
        );
        let long = "é".repeat(400);
        headers.insert(
            http::header::USER_AGENT,
            http::HeaderValue::from_bytes(long.as_bytes()).unwrap(),
        );
        let kept = ClientInfo::from_headers(&headers, None, &[]).user_agent;
        assert_eq!(kept, "é".repeat(MAX_USER_AGENT / 2));
    }
}
