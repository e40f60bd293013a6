//! Registering, signing in and out, the password, export and deletion.

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::Deserialize;
use serde_json::json;

use super::{with_cookies, Client, JsonBody};
use crate::{
    error::AppError,
    server::{
        auth::{
            account_data,
            accounts::{self, Registration},
            devices,
        },
        session::AppSession,
        state::AppState,
    },
};

#[derive(Deserialize)]
pub(super) struct RegisterBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

impl From<RegisterBody> for Registration {
    fn from(body: RegisterBody) -> Self {
        Self {
            name: body.name,
            email: body.email,
            password: body.password,
        }
    }
}

pub(super) async fn register(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<RegisterBody>,
) -> Result<Response, AppError> {
    let outcome = accounts::register(&state, &session, &client, &body.into()).await?;
    let body = Json(json!({ "user": outcome.user, "token": outcome.token }));
    Ok(with_cookies(
        (StatusCode::CREATED, body).into_response(),
        outcome.preferences_cookies,
    ))
}

#[derive(Deserialize)]
pub(super) struct LoginBody {
    #[serde(default)]
    pub(super) email: String,
    #[serde(default)]
    pub(super) password: String,
}

pub(super) async fn login(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, AppError> {
    let outcome = accounts::sign_in(&state, &session, &client, &body.email, &body.password).await?;
    let body = Json(json!({ "user": outcome.user, "token": outcome.token }));
    Ok(with_cookies(body.into_response(), outcome.preferences_cookies))
}

pub(super) async fn logout(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<StatusCode, AppError> {
    devices::sign_out(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn logout_all(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<StatusCode, AppError> {
    devices::sign_out_everywhere(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PasswordBody {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub(super) async fn put_password(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<StatusCode, AppError> {
    accounts::change_password(&state, &session, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(super) struct DeleteAccountBody {
    #[serde(default)]
    password: String,
}

/// `DELETE /api/auth/profile` `{"password": …}` → 204, this session ended and the account's
/// preferences left in the preferences cookie.
pub(super) async fn delete_profile(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<DeleteAccountBody>,
) -> Result<Response, AppError> {
    let deleted = account_data::delete_account(&state, &session, &client, &body.password).await?;
    Ok(with_cookies(
        StatusCode::NO_CONTENT.into_response(),
        deleted.preferences_cookies,
    ))
}

/// `GET /api/auth/export` → everything kept about the account, as a JSON file to save.
pub(super) async fn get_export(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    let export = account_data::export(&state, &session).await?;
    let day = export.exported_at.get(..10).unwrap_or("export").to_owned();
    let disposition = format!("attachment; filename=\"porch-data-{day}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(export)).into_response())
}
