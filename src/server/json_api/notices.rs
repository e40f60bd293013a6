//! New sign-in notices: the pending list, and their stream.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Extension, Json,
};

use super::SignedInUser;
use crate::{
    error::AppError,
    server::{notices, session::AppSession, state::AppState},
};

/// `GET /api/notices` → the session's pending notices, newest first (signed-in sessions).
pub(super) async fn get_notices(
    _: SignedInUser,
    Extension(session): Extension<AppSession>,
) -> Result<Json<Vec<crate::model::Notice>>, AppError> {
    Ok(Json(notices::pending(&session).await))
}

/// `GET /api/notices/stream`: the same as server-sent events, kept open (see
/// [`notices::stream`]).
pub(super) async fn notice_stream(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Response {
    match notices::stream(&state, &session).await {
        Ok(sse) => sse.into_response(),
        Err(e) => e.into_response(),
    }
}
