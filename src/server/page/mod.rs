//! Everything a rendered page needs from its request, in one middleware: the preferences
//! (resolved before rendering, so the first byte has the right `lang` and `data-theme`), the
//! viewer and notices ([`RequestView`], shared by every component through one `Arc`), the CSP
//! nonce (made here and handed to Leptos, so the policy header needs no scan of the page), the
//! page cache ([`cache`]) and a known length (a complete page is one body, not chunks).
//! Anything else passes through; the JSON API's errors are put in the client's language.

pub mod cache;

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Response},
    Extension,
};

use super::{
    auth::profile,
    page_routes::is_api_path,
    preferences::{self, Resolved},
    protection::page_csp,
    session::AppSession,
    state::AppState,
};
use crate::{context::PageRequest, error::AppError, model::RequestView};

/// The nonce of this response's scripts and of its `Content-Security-Policy` (128 random bits,
/// URL-safe base64: what Leptos makes), in the request's extensions for the render.
#[derive(Debug, Clone)]
pub struct PageNonce(pub Arc<str>);

impl PageNonce {
    /// A session id's generator and encoding: 128 bits from a CSPRNG, URL-safe base64.
    fn new() -> Self {
        Self(tower_sessions::session::Id::default().to_string().into())
    }
}

/// Whether this request renders a page: a GET (or HEAD: the same headers) of a page route, or
/// any a browser makes for a document (the 404 page renders the shell too). Assets and API calls
/// are skipped, so they cost no session load.
fn renders_page(request: &Request, state: &AppState) -> bool {
    let path = request.uri().path();
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    if !reads || is_api_path(path) || path.starts_with("/pkg/") {
        return false;
    }
    state.page_routes.matches(path) || super::headers::wants_html(request.headers())
}

pub async fn page_middleware(
    State(state): State<AppState>,
    session: Option<Extension<AppSession>>,
    mut request: Request,
    next: Next,
) -> Response {
    if !renders_page(&request, &state) {
        // JSON API errors: the guest view (cookie, else Accept-Language) costs no store read,
        // and a signed-in browser's cookie carries the account's language since sign-in.
        let path = request.uri().path();
        if is_api_path(path) && !path.starts_with("/api/fn/") {
            let language = preferences::guest(&state, request.headers()).prefs.language;
            return preferences::localize_error(next.run(request).await, language);
        }
        return next.run(request).await;
    }
    let session = session.map(|Extension(session)| session);
    let (resolved, view) = request_view(&state, session.as_ref(), request.headers()).await;
    let set_cookies = resolved.set_cookies.clone();
    let nonce = PageNonce::new();
    let slot = match (state.config.page_cache, &session) {
        (true, Some(session)) => {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            cache::slot(&method, &uri, &view, session, |path| state.page_routes.matches(path)).await
        }
        _ => None,
    };
    let extensions = request.extensions_mut();
    extensions.insert::<Resolved>(resolved);
    extensions.insert(PageRequest(Arc::new(view)));
    extensions.insert(nonce.clone());
    let mut response = match slot {
        Some(slot) if slot.route != cache::CachedRoute::NotFound => {
            cache::serve(&state.page_cache, &state.metrics, slot, request, |request| {
                next.run(request)
            })
            .await
        }
        // The 404 page is served from the cache by the fallback, once it knows no file answers.
        Some(slot) => {
            request.extensions_mut().insert(slot);
            with_known_length(next.run(request).await).await
        }
        None => with_known_length(next.run(request).await).await,
    };
    if is_html(&response) {
        if let Ok(value) = HeaderValue::from_str(&page_csp(&nonce.0, !state.config.is_production())) {
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    preferences::append_cookies(response.headers_mut(), set_cookies);
    response
}

/// The preferences and the request view a page renders with. A database or store outage never
/// takes a public page down: the cookie's preferences apply, and the viewer says the store is
/// unavailable (pages that need the user answer 503 themselves).
async fn request_view(
    state: &AppState,
    session: Option<&AppSession>,
    headers: &header::HeaderMap,
) -> (Resolved, RequestView) {
    let Some(session) = session else {
        let resolved = preferences::guest(state, headers);
        let view = RequestView {
            prefs: resolved.prefs,
            ..RequestView::default()
        };
        return (resolved, view);
    };
    let resolved = preferences::resolve(state, session, headers)
        .await
        .unwrap_or_else(|_| preferences::guest(state, headers));
    // The profile was read with the preferences: no second round trip.
    let viewer = profile::current_user(state, session).await;
    let notices = match &viewer {
        Ok(Some(_)) => super::notices::newest(&session.loaded_notices()),
        _ => Vec::new(),
    };
    let view = RequestView {
        prefs: resolved.prefs,
        viewer,
        notices,
        holes: None,
    };
    (resolved, view)
}

/// Whether `response` is an HTML page.
fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
}

/// A rendered page as one body with its `Content-Length`: Leptos hands over an async page in
/// chunks although it is complete, and a known length lets the connection send it at once.
/// Other responses are returned as they are.
pub async fn with_known_length(response: Response) -> Response {
    if !is_html(&response) || response.headers().contains_key(header::CONTENT_LENGTH) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            parts.headers.remove(header::TRANSFER_ENCODING);
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(e) => {
            tracing::warn!(error = %e, "page body failed while it was read");
            AppError::internal("page body failed").into_response()
        }
    }
}
