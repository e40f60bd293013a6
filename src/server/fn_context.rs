//! What a server function gets of its request: the app state, the session and the client
//! ([`request_context`]), and how it sets its response's status and cookies.

use http::{header, request::Parts};
use leptos::prelude::{expect_context, use_context};
use leptos_axum::ResponseOptions;

use super::{client::ClientInfo, session::AppSession, state::AppState};
use crate::error::AppError;

/// The app state, the request's session and the client, inside a server function.
pub fn request_context() -> Result<(AppState, AppSession, ClientInfo), AppError> {
    let state = expect_context::<AppState>();
    let parts = use_context::<Parts>().ok_or_else(|| AppError::internal("no request parts in context"))?;
    let session = parts
        .extensions
        .get::<AppSession>()
        .cloned()
        .ok_or_else(|| AppError::internal("session middleware missing"))?;
    let client = ClientInfo::from_parts(&parts, &state.config.trusted_proxies);
    Ok((state, session, client))
}

/// The app state and the request's session, for server functions that need nothing else of the
/// request. While a page renders, the session comes from the page's context (one `Arc`), not a
/// copy of the request's parts (headers and extensions) per call.
pub fn request_session() -> Result<(AppState, AppSession), AppError> {
    let state = expect_context::<AppState>();
    if let Some(session) = use_context::<AppSession>() {
        return Ok((state, session));
    }
    let session = use_context::<Parts>()
        .ok_or_else(|| AppError::internal("no request parts in context"))?
        .extensions
        .get::<AppSession>()
        .cloned()
        .ok_or_else(|| AppError::internal("session middleware missing"))?;
    Ok((state, session))
}

/// Adds these `Set-Cookie` values to a server function's response.
pub fn append_cookies(cookies: Vec<http::HeaderValue>) {
    if let Some(response) = use_context::<ResponseOptions>() {
        for cookie in cookies {
            response.append_header(header::SET_COOKIE, cookie);
        }
    }
}

/// Gives the response the error's status (a server function's default is 500).
pub fn set_error_status(error: &AppError) {
    if let Some(options) = use_context::<ResponseOptions>() {
        options.set_status(http::StatusCode::from_u16(error.code.status()).unwrap_or(http::StatusCode::BAD_REQUEST));
        if error.code == crate::error::ErrorCode::Unavailable {
            options.insert_header(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
    }
}

/// A server function's result with its error's status on the response.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        set_error_status(error);
    }
    result
}
