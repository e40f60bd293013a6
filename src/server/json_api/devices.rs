//! The signed-in user's sessions as devices: the list, its summary, revoking one.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension, Json,
};

use crate::{
    error::AppError,
    server::{auth::devices, session::AppSession, state::AppState},
};

pub(super) async fn list_sessions(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    Ok(Json(devices::list_sessions(&state, &session).await?).into_response())
}

/// `GET /api/auth/sessions/summary` → [`SessionSummary`](crate::model::SessionSummary)
/// (seed 003: `activeSessions`, `totalSessions`, `lastLogin`), or 401.
pub(super) async fn sessions_summary(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    Ok(Json(devices::summary(&state, &session).await?).into_response())
}

pub(super) async fn revoke_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Path(handle): Path<String>,
) -> Result<StatusCode, AppError> {
    devices::revoke(&state, &session, &handle).await?;
    Ok(StatusCode::NO_CONTENT)
}
