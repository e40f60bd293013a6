//! Seed 002's routes (`../shared/seeds/002`, an Express + Prisma session store): `POST /user`,
//! `POST /user/signin`, `GET /user`, `DELETE /user/session`. Each calls the function Porch's own
//! route calls, so the same validation, limits and cross-site rule apply; only the shapes are
//! the seed's: the user object flat, with the seed's spelling `updateAt` beside Porch's fields.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::Serialize;

use super::{
    accounts::{LoginBody, RegisterBody},
    with_cookies, Client, JsonBody, SignedInUser,
};
use crate::{
    error::AppError,
    model::User,
    server::{
        auth::{accounts, devices, profile},
        session::AppSession,
        state::AppState,
    },
};

/// The user as seed 002 shows it: Porch's user JSON (`id`, `name`, `email`, `createdAt`,
/// `updatedAt`, `role`, `avatarUrl`) plus `updateAt`, the seed's spelling of `updatedAt`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SeedUser {
    #[serde(flatten)]
    user: User,
    update_at: String,
}

impl From<User> for SeedUser {
    fn from(user: User) -> Self {
        let update_at = user.updated_at.clone();
        Self { user, update_at }
    }
}

/// `POST /user` `{name, email, password}` → 201 `{"user": …, "sessionId": …}`, signed in.
/// `sessionId` is the session's bearer token (`Authorization: Bearer`, or seed 002's
/// `session-id` cookie); the `session` cookie is set as on every sign-in.
pub(super) async fn register(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<RegisterBody>,
) -> Result<Response, AppError> {
    let outcome = accounts::register(&state, &session, &client, &body.into()).await?;
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Registered {
        user: SeedUser,
        session_id: String,
    }
    let body = Registered {
        user: outcome.user.into(),
        session_id: outcome.token,
    };
    Ok(with_cookies(
        (StatusCode::CREATED, Json(body)).into_response(),
        outcome.preferences_cookies,
    ))
}

/// `POST /user/signin` `{email, password}` → 200 with the user object itself.
pub(super) async fn sign_in(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, AppError> {
    let outcome = accounts::sign_in(&state, &session, &client, &body.email, &body.password).await?;
    Ok(with_cookies(
        Json(SeedUser::from(outcome.user)).into_response(),
        outcome.preferences_cookies,
    ))
}

/// `GET /user` → the user object, or 401.
pub(super) async fn get_user(
    State(state): State<AppState>,
    SignedInUser(me): SignedInUser,
) -> Result<Json<SeedUser>, AppError> {
    let user = profile::profile(&state, me.user_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(user.into()))
}

/// `DELETE /user/session` → 204: this session signed out (a guest's ends too).
pub(super) async fn delete_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<StatusCode, AppError> {
    devices::sign_out(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}
