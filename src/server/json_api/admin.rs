//! Roles and the admin figures (a 404 to anyone but an admin).

use axum::{
    extract::{Path, State},
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::Deserialize;

use super::{query_number, Client, Query, UserAnswer};
use crate::{
    error::{AppError, ErrorCode, ErrorResponse},
    model::{admin::AdminStats, admin::UserPage, Msg},
    server::{auth::roles, dashboard, session::AppSession, state::AppState},
};

/// The role to give. Read as JSON whatever the `Content-Type`.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct RoleBody {
    #[serde(default)]
    #[schema(value_type = crate::model::Role)]
    role: String,
}

/// `PUT /api/admin/users/{id}/role` `{"role": "admin" | "user"}` → `{"user": …}`. Nothing about
/// the request is looked at before the caller is known to be an admin: to anyone else it is a
/// 404 like any unknown path.
#[utoipa::path(
    put,
    path = "/api/admin/users/{id}/role",
    tag = "admin",
    params(("id" = i64, Path, description = "The account's id.")),
    request_body = RoleBody,
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The account with its new role.", body = UserAnswer),
        (status = 400, description = "Unreadable body, or not a role (`fields.role`).", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 404, description = "The caller is not a signed-in admin, or no such account.", body = ErrorResponse),
        (status = 409, description = "Demoting the last admin.", body = ErrorResponse),
        (status = 413, description = "The body is too large.", body = ErrorResponse),
        (status = 429, description = "Too many role changes by this admin.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
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
    let user = roles::set_role(&state, &session, &admin, &client, id, &body.role).await?;
    Ok(Json(UserAnswer { user }).into_response())
}

/// `POST /api/admin/users/{id}/unlock` → 204: the account's password sign-in, paused after too
/// many failures, resumes at once (a 404 to anyone but an admin).
#[utoipa::path(
    post,
    path = "/api/admin/users/{id}/unlock",
    tag = "admin",
    params(("id" = i64, Path, description = "The account's id.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Resumed (also when it was not paused)."),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 404, description = "The caller is not a signed-in admin, or no such account.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn unlock_user(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, AppError> {
    let admin = roles::require_admin(&state, &session).await?;
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    roles::unlock_user(&state, &admin, &client, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `GET /api/admin/stats`: the figures of the admin page (a 404 to anyone but an admin).
#[utoipa::path(
    get,
    path = "/api/admin/stats",
    tag = "admin",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The figures of the last 24 hours and 30 days, and the system now.", body = AdminStats),
        (status = 404, description = "The caller is not a signed-in admin.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn get_admin_stats(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    roles::require_admin(&state, &session).await?;
    Ok(Json(dashboard::stats(&state).await?).into_response())
}

/// `GET /api/admin/users?cursor=&limit=`: accounts with their roles, newest first.
#[utoipa::path(
    get,
    path = "/api/admin/users",
    tag = "admin",
    security(("session" = []), ("bearer" = [])),
    params(
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the previous page; absent or empty for the newest."),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Accounts to return, 1–100 (default 50)."),
    ),
    responses(
        (status = 200, description = "One page of accounts, newest first.", body = UserPage),
        (status = 400, description = "`limit` unreadable or out of range, or `cursor` unreadable.", body = ErrorResponse),
        (status = 404, description = "The caller is not a signed-in admin.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
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
