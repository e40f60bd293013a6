//! The session's activity (start, pages) and the user's history of ended sessions.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::Deserialize;
use serde_json::json;

use super::{query_number, Client, JsonBody, Query};
use crate::{
    error::AppError,
    model::EndReason,
    server::{activity, auth::devices, session::AppSession, state::AppState},
};

pub(super) async fn start_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
) -> Result<Response, AppError> {
    activity::live_session(&state, &session, &client).await?;
    let view = activity::view(&state, &session, 0, 1).await?;
    Ok((StatusCode::CREATED, Json(json!({ "startTime": view.start_time }))).into_response())
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PageBody {
    page: String,
}

pub(super) async fn track_page(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<PageBody>,
) -> Result<Response, AppError> {
    let (page_count, duration) = activity::track(&state, &session, &client, &body.page).await?;
    Ok(Json(json!({ "pageCount": page_count, "sessionDuration": duration })).into_response())
}

pub(super) async fn end_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<StatusCode, AppError> {
    devices::end_this_session(&state, &session, EndReason::Ended).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn get_history(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    axum::extract::Query(query): Query,
) -> Result<Response, AppError> {
    let limit = query_number(&query, "limit", 20)?;
    let page = activity::history(&state, &session, query.get("cursor").map(String::as_str), limit).await?;
    Ok(Json(page).into_response())
}
