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

use super::refusals::{RegistrationRefusals, SignInRefusals, SignOutRefusals, SignedInReadRefusals};
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
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SeedUser {
    #[serde(flatten)]
    user: User,
    /// The same as `updatedAt` (RFC 3339).
    update_at: String,
}

/// `POST /user`'s answer: the user, and the session's bearer token.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SeedRegistered {
    user: SeedUser,
    /// The session's bearer token (44 characters), for `Authorization: Bearer` or seed 002's
    /// `session-id` cookie.
    session_id: String,
}

/// `POST /user/signin`'s answer: the user object itself, as the seed shows it, plus
/// `sessionId` (as `POST /user` gives it), so a client that keeps no cookies can go on.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SeedSignedIn {
    #[serde(flatten)]
    user: SeedUser,
    /// The new session's bearer token (44 characters).
    session_id: String,
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
#[utoipa::path(
    post,
    path = "/user",
    operation_id = "seed_register",
    tag = "seed 002",
    request_body = RegisterBody,
    responses(
        (status = 201, description = "Registered and signed in; the session and preferences cookies are set.", body = SeedRegistered),
        (status = 202, description = "Registered, not signed in: with `REQUIRE_VERIFIED_EMAIL` the address must be verified first (a link is on its way); `{\"user\": …}` without `sessionId`."),
        RegistrationRefusals,
    ),
)]
pub(super) async fn register(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<RegisterBody>,
) -> Result<Response, AppError> {
    let outcome = match accounts::register(&state, &session, &client, &body.into()).await? {
        accounts::Registered::SignedIn(outcome) => outcome,
        accounts::Registered::VerifyFirst(user) => {
            let user = SeedUser::from(user);
            return Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "user": user }))).into_response());
        }
    };
    let token = outcome.bearer_token(&state, &session).await?;
    let body = SeedRegistered {
        user: outcome.user.into(),
        session_id: token,
    };
    Ok(with_cookies(
        (StatusCode::CREATED, Json(body)).into_response(),
        outcome.preferences_cookies,
    ))
}

/// `POST /user/signin` `{email, password}` → 200 with the user object itself (and `sessionId`).
#[utoipa::path(
    post,
    path = "/user/signin",
    operation_id = "seed_sign_in",
    tag = "seed 002",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in; the session and preferences cookies are set.", body = SeedSignedIn),
        SignInRefusals,
    ),
)]
pub(super) async fn sign_in(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, AppError> {
    let step = accounts::sign_in(&state, &session, &client, &body.email, &body.password).await?;
    // An account with a second factor gets Porch's challenge: seed 002 has no second step.
    super::accounts::login_answer(&state, &session, step, |outcome, token| {
        let body = SeedSignedIn {
            user: outcome.user.into(),
            session_id: token,
        };
        (body, outcome.preferences_cookies)
    })
    .await
}

/// `GET /user` → the user object, or 401.
#[utoipa::path(
    get,
    path = "/user",
    operation_id = "seed_get_user",
    tag = "seed 002",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user.", body = SeedUser),
        SignedInReadRefusals,
    ),
)]
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
#[utoipa::path(
    delete,
    path = "/user/session",
    operation_id = "seed_delete_session",
    tag = "seed 002",
    security((), ("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "This session ended, signed in or not; the session cookie is cleared."),
        SignOutRefusals,
    ),
)]
pub(super) async fn delete_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<StatusCode, AppError> {
    devices::sign_out(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}
