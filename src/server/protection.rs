//! Request hygiene that every route gets: cross-site request refusal, security headers, body
//! size and time limits.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;
use http_body_util::Limited;

use super::state::AppState;
use crate::{
    error::{AppError, ErrorCode},
    model::Msg,
};

/// Largest request body accepted (forms and JSON).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The Content-Security-Policy of responses that are not pages rendered by the app (JSON, the
/// rate-limit page, assets): nothing may run, a stylesheet of this site may load.
const PLAIN_CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy of a rendered page: scripts only from this site or with this response's nonce
/// (the hydration scripts), WebAssembly allowed to compile, nothing framed.
pub fn page_csp(nonce: &str, development: bool) -> String {
    // `cargo leptos watch` reloads pages over a WebSocket on its reload port.
    let connect = if development { "'self' ws: wss:" } else { "'self'" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src {connect}; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Gives a rendered page the policy for its nonce. Leptos puts a fresh nonce on the page's
/// scripts; it is read back from the page's first chunk (the whole `<head>`, already rendered
/// when Leptos hands over the response, so nothing waits longer). Setting it from inside the
/// render (through Leptos's response options) lost it now and then under concurrent requests,
/// and a page without its policy cannot hydrate. Any other response is returned as it is.
async fn with_page_csp(response: Response, development: bool) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !is_html || response.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let mut rest = body.into_data_stream();
    let first = match rest.next().await {
        Some(Ok(chunk)) => chunk,
        Some(Err(e)) => {
            tracing::warn!(error = %e, "page body failed before its first chunk");
            return Response::from_parts(parts, Body::empty());
        }
        None => return Response::from_parts(parts, Body::empty()),
    };
    if let Some(nonce) = find_nonce(&first) {
        if let Ok(value) = HeaderValue::from_str(&page_csp(nonce, development)) {
            parts.headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    let body = futures_util::stream::once(async move { Ok::<_, axum::Error>(first) }).chain(rest);
    Response::from_parts(parts, Body::from_stream(body))
}

/// The value of the first `nonce="…"` attribute in `html`, if it is a plausible nonce (Leptos's
/// are URL-safe base64).
fn find_nonce(html: &[u8]) -> Option<&str> {
    const ATTRIBUTE: &[u8] = b" nonce=\"";
    let start = html.windows(ATTRIBUTE.len()).position(|w| w == ATTRIBUTE)? + ATTRIBUTE.len();
    let length = html[start..].iter().position(|&b| b == b'"')?;
    let nonce = std::str::from_utf8(&html[start..start + length]).ok()?;
    let plausible = (8..=128).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/' | b'='));
    plausible.then_some(nonce)
}

/// Whether a request is known to come from a page of this site: its `Origin` names this host,
/// or (without `Origin`) the browser's `Sec-Fetch-Site` says `same-origin`.
pub fn from_this_site(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN) {
        let authority = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, authority)| authority);
        return authority.is_some() && authority == host;
    }
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"same-origin")
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// Refuses (403) a state-changing request that carries cookies unless it came from this site.
/// A request without cookies carries no ambient credentials (a bearer-token client, a first
/// sign-in), so it cannot be forged on a user's behalf and passes.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let headers = request.headers();
    if changes_state(request.method()) && headers.contains_key(header::COOKIE) && !from_this_site(headers) {
        tracing::info!(method = %request.method(), path = %request.uri().path(), "cross-site request refused");
        return AppError::new(ErrorCode::Forbidden, Msg::CrossSite).into_response();
    }
    next.run(request).await
}

/// The route that takes files, and the largest body it accepts: the largest avatar plus room
/// for the multipart framing.
const UPLOAD_PATH: &str = "/api/auth/profile/avatar";
const MAX_UPLOAD_BODY_BYTES: usize = super::avatar::MAX_UPLOAD_BYTES + 64 * 1024;

/// Bounds a request's body and its whole handling time, and sets the security headers.
pub async fn limits_and_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let max_body = if request.method() == http::Method::POST && request.uri().path() == UPLOAD_PATH {
        MAX_UPLOAD_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let too_large = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|length| length > max_body as u64);
    let path_is_api = request.uri().path().starts_with("/api/");
    let response = if too_large {
        AppError::new(ErrorCode::PayloadTooLarge, Msg::BodyTooLarge).into_response()
    } else {
        // A body sent without a length is cut off at the limit while it is read.
        let request = request.map(|body| Body::new(Limited::new(body, max_body)));
        match tokio::time::timeout(state.config.request_timeout, next.run(request)).await {
            Ok(response) => response,
            Err(_) => {
                tracing::warn!("request timed out");
                AppError::new(ErrorCode::Unavailable, Msg::TimedOut).into_response()
            }
        }
    };
    let mut response = with_page_csp(response, !state.config.is_production()).await;
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::CONTENT_SECURITY_POLICY, PLAIN_CSP);
    set(
        headers,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    );
    if path_is_api {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    if state.config.is_production() {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (header::HeaderName::from_static(k), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn only_this_sites_origin_or_fetch_site_counts() {
        assert!(from_this_site(&headers(&[
            ("host", "app.example"),
            ("origin", "https://app.example")
        ])));
        assert!(from_this_site(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(!from_this_site(&headers(&[
            ("host", "app.example"),
            ("origin", "https://evil.example")
        ])));
        assert!(!from_this_site(&headers(&[
            ("host", "app.example"),
            ("origin", "https://app.example.evil.example")
        ])));
        assert!(!from_this_site(&headers(&[
            ("host", "app.example"),
            ("origin", "null")
        ])));
        // Origin decides when present, whatever Sec-Fetch-Site says.
        assert!(!from_this_site(&headers(&[
            ("host", "app.example"),
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(from_this_site(&headers(&[
            ("host", "app.example"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!from_this_site(&headers(&[
            ("host", "app.example"),
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!from_this_site(&headers(&[("host", "app.example")])));
    }

    #[test]
    fn the_nonce_is_read_from_the_first_script() {
        let head = br#"<head><link rel="modulepreload" href="/pkg/porch.js" crossorigin="abc"><script type="module" nonce="Kx_jY-SLE0hh">"#;
        assert_eq!(find_nonce(head), Some("Kx_jY-SLE0hh"));
        assert_eq!(find_nonce(b"<head><script>"), None);
        assert_eq!(find_nonce(br#"<script nonce="a b c d e f g h">"#), None, "not base64");
        assert_eq!(find_nonce(br#"<script nonce="unterminated"#), None);
    }
}
