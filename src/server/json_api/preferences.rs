//! Preferences, for guests and users alike.

use axum::{
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde_json::json;

use super::{with_cookies, JsonBody};
use crate::{
    error::AppError,
    server::{
        preferences::{self, Patch, Resolved},
        session::AppSession,
        state::AppState,
    },
};

fn preferences_response(resolved: Resolved) -> Response {
    let prefs = resolved.prefs;
    let body = Json(json!({
        "theme": prefs.theme,
        "language": prefs.language,
        "notifications": prefs.notifications,
        "source": resolved.source,
    }));
    with_cookies(body.into_response(), resolved.set_cookies)
}

pub(super) async fn get_preferences(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    Ok(preferences_response(
        preferences::resolve(&state, &session, &headers).await?,
    ))
}

pub(super) async fn post_preferences(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Response, AppError> {
    let patch = Patch::from_json(&body)?;
    Ok(preferences_response(
        preferences::save(&state, &session, &headers, &patch).await?,
    ))
}
