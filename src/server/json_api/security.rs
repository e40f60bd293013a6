//! The account's security: its log (and, with issue 20, second factors, passkeys and
//! re-authentication).

use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Extension, Json,
};

use super::{query_number, Query};
use crate::{
    error::{AppError, ErrorResponse},
    model::SecurityLogPage,
    server::{auth::security_log, session::AppSession, state::AppState},
};

/// `GET /api/auth/security-log?cursor=&limit=` → [`SecurityLogPage`]: what happened to the
/// account's credentials and sessions in the last 90 days, newest first.
#[utoipa::path(
    get,
    path = "/api/auth/security-log",
    tag = "security",
    security(("session" = []), ("bearer" = [])),
    params(
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the previous page; absent or empty for the newest."),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Entries to return, 1–100 (default 20)."),
    ),
    responses(
        (status = 200, description = "One page of the log, newest first.", body = SecurityLogPage),
        (status = 400, description = "`limit` unreadable or out of range, or `cursor` unreadable.", body = ErrorResponse),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn get_security_log(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    axum::extract::Query(query): Query,
) -> Result<Response, AppError> {
    let limit = query_number(&query, "limit", 20)?;
    let page = security_log::page(&state, &session, query.get("cursor").map(String::as_str), limit).await?;
    Ok(Json(page).into_response())
}
