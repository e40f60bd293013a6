//! The session's activity (start, pages) and the user's history of ended sessions.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::{Deserialize, Serialize};

use super::{query_number, Client, JsonBody, Query};
use crate::{
    error::{AppError, ErrorResponse},
    model::{EndReason, HistoryPage, SessionActivity},
    server::{activity, auth::devices, session::AppSession, state::AppState},
};

/// When the request's session started.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SessionStarted {
    /// RFC 3339.
    start_time: String,
}

/// `POST /api/session` → 201 [`SessionStarted`]: the client's live session, or a new guest one.
#[utoipa::path(
    post,
    path = "/api/session",
    tag = "activity",
    security((), ("session" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "The client's session (a new guest session, with its cookie, when it had none or it ended).", body = SessionStarted),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 404, description = "The session ended while this request was on its way.", body = ErrorResponse),
        (status = 429, description = "Too many new sessions from this address.", body = ErrorResponse),
        (status = 503, description = "The session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn start_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
) -> Result<Response, AppError> {
    activity::live_session(&state, &session, &client).await?;
    let view = activity::view(&state, &session, 0, 1).await?;
    let body = SessionStarted {
        start_time: view.start_time,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /api/session?offset=&limit=` → [`SessionActivity`], newest visits first.
#[utoipa::path(
    get,
    path = "/api/session",
    tag = "activity",
    security((), ("session" = []), ("bearer" = [])),
    params(
        ("offset" = Option<u64>, Query, description = "Visits to skip, newest first (default 0)."),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Visits to return, 1–100 (default 20)."),
    ),
    responses(
        (status = 200, description = "The session's activity.", body = SessionActivity),
        (status = 400, description = "`offset` or `limit` unreadable, or `limit` out of range.", body = ErrorResponse),
        (status = 404, description = "The request has no live session.", body = ErrorResponse),
        (status = 503, description = "The session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn get_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    axum::extract::Query(query): Query,
) -> Result<Response, AppError> {
    let offset = query_number(&query, "offset", 0)?;
    let limit = query_number(&query, "limit", 20)?;
    let view = activity::view(
        &state,
        &session,
        (offset as usize).min(activity::MAX_OFFSET),
        limit.min(1_000) as usize,
    )
    .await?;
    Ok(Json(view).into_response())
}

/// A page the client showed: a same-site path (`/…`, at most 2048 bytes). No other field.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PageBody {
    page: String,
}

/// The session's figures after a page view.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct PageTracked {
    /// Pages viewed in the session, this one included.
    page_count: i64,
    /// Seconds from the session's start to this view.
    session_duration: i64,
}

/// `POST /api/session/page` `{"page": "/path"}` → [`PageTracked`].
#[utoipa::path(
    post,
    path = "/api/session/page",
    tag = "activity",
    request_body = PageBody,
    security((), ("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Recorded (in a new guest session when the client had none).", body = PageTracked),
        (status = 400, description = "Unreadable body, or `page` not a same-site path (`fields.page`).", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 404, description = "The session ended while this request was on its way.", body = ErrorResponse),
        (status = 413, description = "The body is too large.", body = ErrorResponse),
        (status = 429, description = "Too many new sessions from this address.", body = ErrorResponse),
        (status = 503, description = "The session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn track_page(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<PageBody>,
) -> Result<Response, AppError> {
    let (page_count, session_duration) = activity::track(&state, &session, &client, &body.page).await?;
    Ok(Json(PageTracked {
        page_count,
        session_duration,
    })
    .into_response())
}

/// `DELETE /api/session` → 204: this session ended (signed in or not).
#[utoipa::path(
    delete,
    path = "/api/session",
    tag = "activity",
    security((), ("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "This session ended, signed in or not; the session cookie is cleared."),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 503, description = "The session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn end_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<StatusCode, AppError> {
    devices::end_this_session(&state, &session, EndReason::Ended).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/auth/history?cursor=&limit=` → [`HistoryPage`]: the user's ended sessions.
#[utoipa::path(
    get,
    path = "/api/auth/history",
    tag = "activity",
    security(("session" = []), ("bearer" = [])),
    params(
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the previous page; absent or empty for the newest."),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Entries to return, 1–100 (default 20)."),
    ),
    responses(
        (status = 200, description = "One page of ended sessions, newest first.", body = HistoryPage),
        (status = 400, description = "`limit` unreadable or out of range, or `cursor` unreadable.", body = ErrorResponse),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn get_history(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    axum::extract::Query(query): Query,
) -> Result<Response, AppError> {
    let limit = query_number(&query, "limit", 20)?;
    let page = activity::history(&state, &session, query.get("cursor").map(String::as_str), limit).await?;
    Ok(Json(page).into_response())
}
