//! Resolves the preferences for every HTML page before it renders, so the page can carry the
//! right `lang`, `dir` and `data-theme` in its first byte; and puts the JSON API's error
//! messages in the client's language.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, Method},
    middleware::Next,
    response::Response,
    Extension,
};

use super::{guest, resolve, Resolved};
use crate::{
    error::AppError,
    model::Language,
    server::{page_routes::is_api_path, session::AppSession, state::AppState},
};

/// Whether this request renders a page: a GET of a page route, or any GET a browser makes for a
/// document (the 404 page renders the shell too). Assets and API calls are skipped, so they cost
/// no session load.
fn renders_page(request: &Request, state: &AppState) -> bool {
    let path = request.uri().path();
    if request.method() != Method::GET || is_api_path(path) || path.starts_with("/pkg/") {
        return false;
    }
    state.page_routes.matches(path) || crate::server::headers::wants_html(request.headers())
}

pub async fn preferences_middleware(
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
            let language = guest(&state, request.headers()).prefs.language;
            return localize_error(next.run(request).await, language);
        }
        return next.run(request).await;
    }
    let resolved = match &session {
        Some(Extension(session)) => resolve(&state, session, request.headers()).await,
        None => Ok(guest(&state, request.headers())),
    }
    // A database outage must not take public pages down: fall back to the cookie's view.
    .unwrap_or_else(|_| guest(&state, request.headers()));
    let set_cookies = resolved.set_cookies.clone();
    request.extensions_mut().insert::<Resolved>(resolved);
    let mut response = next.run(request).await;
    super::append_cookies(response.headers_mut(), set_cookies);
    response
}

/// Re-renders an [`AppError`] response's body in `language` (it was rendered in English).
fn localize_error(mut response: Response, language: Language) -> Response {
    if language == Language::En {
        return response;
    }
    if let Some(error) = response.extensions_mut().remove::<AppError>() {
        let body = crate::error::ErrorResponse {
            error: error.body(language),
        };
        *response.body_mut() = Body::from(serde_json::to_string(&body).unwrap_or_default());
        response.headers_mut().remove(header::CONTENT_LENGTH);
    }
    response
}
