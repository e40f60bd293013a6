//! The signed-in user's sessions as devices: the list, its summary, revoking one.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension, Json,
};

use super::Client;
use crate::{
    error::{AppError, ErrorResponse},
    model::{DeviceSession, SessionSummary},
    server::{auth::devices, session::AppSession, state::AppState},
};

/// `GET /api/auth/sessions` → the user's signed-in sessions as [`DeviceSession`]s, this one
/// first.
#[utoipa::path(
    get,
    path = "/api/auth/sessions",
    tag = "sessions",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The user's signed-in sessions, this one first.", body = Vec<DeviceSession>),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 503, description = "The session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn list_sessions(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    Ok(Json(devices::list_sessions(&state, &session).await?).into_response())
}

/// `GET /api/auth/sessions/summary` → [`SessionSummary`](crate::model::SessionSummary)
/// (seed 003: `activeSessions`, `totalSessions`, `lastLogin`), or 401.
#[utoipa::path(
    get,
    path = "/api/auth/sessions/summary",
    tag = "sessions",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The user's session figures.", body = SessionSummary),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 404, description = "The account no longer exists.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn sessions_summary(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    Ok(Json(devices::summary(&state, &session).await?).into_response())
}

/// `DELETE /api/auth/sessions/{id}` → 204: that session of the user signed out.
#[utoipa::path(
    delete,
    path = "/api/auth/sessions/{id}",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's handle (`id` in `GET /api/auth/sessions`), never its session id.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "That session signed out (it may be this one)."),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 404, description = "No session of the user has this handle.", body = ErrorResponse),
        (status = 503, description = "The session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn revoke_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    Path(handle): Path<String>,
) -> Result<StatusCode, AppError> {
    devices::revoke(&state, &session, &client, &handle).await?;
    Ok(StatusCode::NO_CONTENT)
}
