//! Preferences, for guests and users alike.

use axum::{
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::Serialize;

use super::{with_cookies, JsonBody};
use crate::{
    error::{AppError, ErrorResponse},
    model::{Language, Theme},
    server::{
        preferences::{self, Patch, Resolved, Source},
        session::AppSession,
        state::AppState,
    },
};

/// The preferences in effect and where they come from.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct PreferencesAnswer {
    theme: Theme,
    language: Language,
    notifications: bool,
    source: Source,
}

/// A change of preferences: any of the three, each optional; an unknown field or a value out of
/// its choices is refused (per field), and nothing is saved then.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Only describes the body: `Patch::from_json` reads it, to refuse per field.
pub(super) struct PreferencesPatch {
    #[schema(required = false)]
    theme: Theme,
    #[schema(required = false)]
    language: Language,
    #[schema(required = false)]
    notifications: bool,
}

fn preferences_response(resolved: Resolved) -> Response {
    let prefs = resolved.prefs;
    let body = Json(PreferencesAnswer {
        theme: prefs.theme,
        language: prefs.language,
        notifications: prefs.notifications,
        source: resolved.source,
    });
    with_cookies(body.into_response(), resolved.set_cookies)
}

/// `GET /api/preferences` → [`PreferencesAnswer`]: the account's for a signed-in user, else the
/// preferences cookie's (defaults from `Accept-Language` on a first visit).
#[utoipa::path(
    get,
    path = "/api/preferences",
    tag = "preferences",
    security((), ("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The preferences in effect; the preferences cookie is (re)written when needed.", body = PreferencesAnswer),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn get_preferences(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    Ok(preferences_response(
        preferences::resolve(&state, &session, &headers).await?,
    ))
}

/// `POST /api/preferences` [`PreferencesPatch`] → [`PreferencesAnswer`]: saved to the account
/// for a signed-in user, to the preferences cookie for a guest.
#[utoipa::path(
    post,
    path = "/api/preferences",
    tag = "preferences",
    request_body = PreferencesPatch,
    security((), ("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Saved; the preferences now in effect.", body = PreferencesAnswer),
        (status = 400, description = "Unreadable body, not an object, or a field unknown or out of its choices (`fields` says which).", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 413, description = "The body is too large.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
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
