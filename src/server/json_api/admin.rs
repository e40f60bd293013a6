//! Roles and the admin figures (a 404 to anyone but an admin).

use axum::{
    extract::{Path, State},
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::Deserialize;
use serde_json::json;

use super::{query_number, Client, Query};
use crate::{
    error::{AppError, ErrorCode},
    model::Msg,
    server::{auth::roles, dashboard, session::AppSession, state::AppState},
};

#[derive(Deserialize)]
pub(super) struct RoleBody {
    #[serde(default)]
    role: String,
}

/// `PUT /api/admin/users/{id}/role` `{"role": "admin" | "user"}` → `{"user": …}`. Nothing about
/// the request is looked at before the caller is known to be an admin: to anyone else it is a
/// 404 like any unknown path.
pub(super) async fn put_user_role(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let admin = roles::require_admin(&state, &session).await?;
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    let body: RoleBody =
        serde_json::from_slice(&body).map_err(|_| AppError::new(ErrorCode::BadRequest, Msg::BodyInvalid))?;
    let user = roles::set_role(&state, &admin, &client, id, &body.role).await?;
    Ok(Json(json!({ "user": user })).into_response())
}

/// `GET /api/admin/stats`: the figures of the admin page (a 404 to anyone but an admin).
pub(super) async fn get_admin_stats(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    roles::require_admin(&state, &session).await?;
    Ok(Json(dashboard::stats(&state).await?).into_response())
}

/// `GET /api/admin/users?cursor=&limit=`: accounts with their roles, newest first.
pub(super) async fn get_admin_users(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    axum::extract::Query(query): Query,
) -> Result<Response, AppError> {
    roles::require_admin(&state, &session).await?;
    let limit = query_number(&query, "limit", 50)?;
    let page = roles::users(&state, query.get("cursor").map(String::as_str), limit).await?;
    Ok(Json(page).into_response())
}
