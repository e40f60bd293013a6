//! Request hygiene that every route gets: cross-site request refusal, security headers, body
//! size and time limits.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderName, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::Limited;

use super::{
    headers::{origin, single, Origin},
    redirects,
    state::AppState,
};
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
/// (the hydration scripts; made by `server::page` and handed to Leptos), WebAssembly allowed to
/// compile, nothing framed.
pub fn page_csp(nonce: &str, development: bool) -> String {
    // `cargo leptos watch` reloads pages over a WebSocket on its reload port.
    let connect = if development { "'self' ws: wss:" } else { "'self'" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src {connect}; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Whether a request says it comes from another site: its `Origin` names another origin (or an
/// opaque one, `null`); without `Origin`, `Sec-Fetch-Site` says anything but `same-origin` or
/// `none` (typed by the user); without either, its `Referer` names another host. A request that
/// says nothing at all (a script, curl, a bearer-token client) is not from another site.
/// (OWASP CSRF Prevention Cheat Sheet, "Verifying Origin with standard headers" and "Fetch
/// Metadata headers".)
pub fn from_another_site(headers: &HeaderMap) -> bool {
    let host = single(headers, &header::HOST);
    let is_this_host = |origin: &Origin| host.as_deref().is_some_and(|h| origin.is_host(h));
    if let Some(origin) = origin(headers) {
        return !origin.as_ref().is_some_and(is_this_host);
    }
    if let Some(site) = single(headers, &HeaderName::from_static("sec-fetch-site")) {
        return !(site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none"));
    }
    match single(headers, &header::REFERER) {
        Some(referer) => !Origin::parse(&referer).as_ref().is_some_and(is_this_host),
        None => false,
    }
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// Refuses (403) a state-changing request that says it comes from another site, with or without
/// cookies. Cookies are not the test: a forged sign-in (login CSRF) carries none of the
/// victim's, yet signs their browser into the attacker's account.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    if changes_state(request.method()) && from_another_site(request.headers()) {
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
    let path = request.uri().path().to_owned();
    let path_is_api = super::page_routes::is_api_path(&path);
    // A mailed link's page carries its token in the address: nothing it loads or links to may
    // be told that address (OWASP Forgot Password Cheat Sheet). Only the origin is sent
    // (`no-referrer` would also make a plain form post's `Origin` opaque, `null`, which the
    // cross-site check rightly refuses).
    let carries_token = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair.starts_with("token=")));
    let slash = redirects::trailing_slash(request.method(), request.uri(), &state.page_routes);
    let response = if let Some(redirect) = slash {
        redirect
    } else if too_large {
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
    let mut response = response;
    redirects::settle(&mut response, &path);
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(
        headers,
        header::REFERRER_POLICY,
        if carries_token { "strict-origin" } else { "same-origin" },
    );
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
    fn another_site_is_told_by_origin_then_fetch_metadata_then_referer() {
        let this = |pairs: &[(&'static str, &'static str)]| {
            let mut all = vec![("host", "app.example")];
            all.extend_from_slice(pairs);
            !from_another_site(&headers(&all))
        };
        assert!(this(&[("origin", "https://app.example")]));
        assert!(this(&[("origin", "HTTPS://APP.example:443")]));
        assert!(!this(&[("origin", "https://evil.example")]));
        assert!(!this(&[("origin", "https://app.example.evil.example")]));
        assert!(!this(&[("origin", "null")]));
        assert!(!this(&[("origin", "https://app.example:8443")]));
        // Origin decides when present, whatever the others say.
        assert!(!this(&[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "same-origin")
        ]));
        assert!(this(&[("sec-fetch-site", "same-origin")]));
        assert!(this(&[("sec-fetch-site", "none")]));
        assert!(!this(&[("sec-fetch-site", "same-site")]));
        assert!(!this(&[("sec-fetch-site", "cross-site")]));
        assert!(this(&[("referer", "https://app.example/login")]));
        assert!(!this(&[("referer", "https://evil.example/app.example")]));
        // Says nothing: a script or a bearer-token client.
        assert!(this(&[]));
        let local = headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")]);
        assert!(!from_another_site(&local));
    }
}
