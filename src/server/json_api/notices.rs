//! New sign-in notices: the pending list, and their stream.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Extension, Json,
};

use super::SignedInUser;
use crate::{
    error::{AppError, ErrorResponse},
    server::{notices, session::AppSession, state::AppState},
};

/// `GET /api/notices` → the session's pending notices, newest first (signed-in sessions).
#[utoipa::path(
    get,
    path = "/api/notices",
    tag = "notices",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The session's pending notices, newest first.", body = Vec<crate::model::Notice>),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 503, description = "The session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn get_notices(
    _: SignedInUser,
    Extension(session): Extension<AppSession>,
) -> Result<Json<Vec<crate::model::Notice>>, AppError> {
    Ok(Json(notices::pending(&session).await))
}

/// `GET /api/notices/stream`: the same as server-sent events, kept open (see
/// [`notices::stream`]).
#[utoipa::path(
    get,
    path = "/api/notices/stream",
    tag = "notices",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Server-sent events, kept open: an event `notices` at once and on each change, its \
            `data` the JSON array of pending notices (as `GET /api/notices`), newest first; comments keep it alive. \
            It ends when the session does.",
            content_type = "text/event-stream", body = String),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 503, description = "The session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn notice_stream(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Response {
    match notices::stream(&state, &session).await {
        Ok(sse) => sse.into_response(),
        Err(e) => e.into_response(),
    }
}
