//! The flows that go through mail: a forgotten password, verifying the address, changing it.
//! Each handler calls the function the pages call (`server::auth::mail_flows`).

use axum::{extract::State, http::StatusCode, Extension};
use serde::Deserialize;

use super::{Client, JsonBody};
use crate::{
    error::{AppError, ErrorResponse},
    server::{auth::mail_flows, session::AppSession, state::AppState},
};

/// The address of a forgotten account. A missing field counts as empty.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct ForgotBody {
    #[serde(default)]
    email: String,
}

/// `POST /api/auth/password/forgot` `{"email"}` → 202, the same answer in the same time
/// whether or not an account has the address; if one does, a reset link (30 minutes, single
/// use) is mailed to the account's address.
#[utoipa::path(
    post,
    path = "/api/auth/password/forgot",
    tag = "mail",
    request_body = ForgotBody,
    responses(
        (status = 202, description = "Taken: if an account has this address, a reset link is on its way to it."),
        (status = 400, description = "Unreadable body, or not an email address (`fields.email`).", body = ErrorResponse),
        (status = 413, description = "The body is too large.", body = ErrorResponse),
        (status = 429, description = "Too many requests for this address or from this client.", body = ErrorResponse),
        (status = 503, description = "The database or session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn forgot_password(
    State(state): State<AppState>,
    Client(client): Client,
    JsonBody(body): JsonBody<ForgotBody>,
) -> Result<StatusCode, AppError> {
    mail_flows::request_password_reset(&state, &client, &body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// A reset link's token and the new password (8–128 characters). A missing field counts as
/// empty.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResetBody {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

/// `POST /api/auth/password/reset` `{"token", "newPassword"}` → 204: the password is set,
/// every session and bearer token of the account ends, and the owner gets a mail saying so.
/// Nobody is signed in: sign in with the new password.
#[utoipa::path(
    post,
    path = "/api/auth/password/reset",
    tag = "mail",
    request_body = ResetBody,
    responses(
        (status = 204, description = "The password is set; every session of the account ended."),
        (status = 400, description = "`link_invalid`: the token was used, expired, replaced or never made; or `validation` with `fields.newPassword` (the link still works).", body = ErrorResponse),
        (status = 413, description = "The body is too large.", body = ErrorResponse),
        (status = 503, description = "The database or session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn reset_password(
    State(state): State<AppState>,
    Client(client): Client,
    JsonBody(body): JsonBody<ResetBody>,
) -> Result<StatusCode, AppError> {
    mail_flows::reset_password(&state, &client, &body.token, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A verification or address-change link's token.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct VerifyBody {
    #[serde(default)]
    token: String,
}

/// `POST /api/auth/email/verify` `{"token"}` → 204: the address is verified, or the new
/// address of an address change is now the account's (and the old one is told, with a link to
/// undo it), or — with that link — the old address is back, every session ended and the
/// password cleared, a reset link on its way.
#[utoipa::path(
    post,
    path = "/api/auth/email/verify",
    tag = "mail",
    request_body = VerifyBody,
    responses(
        (status = 204, description = "Verified; or the address changed; or a change undone (the old address back, every session ended, the password cleared and a reset link mailed)."),
        (status = 400, description = "`link_invalid`: used, expired, replaced, unknown, or made for an address the account no longer has.", body = ErrorResponse),
        (status = 409, description = "Another account has the new address now.", body = ErrorResponse),
        (status = 413, description = "The body is too large.", body = ErrorResponse),
        (status = 503, description = "The database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn verify_email(
    State(state): State<AppState>,
    Client(client): Client,
    JsonBody(body): JsonBody<VerifyBody>,
) -> Result<StatusCode, AppError> {
    mail_flows::confirm_email(&state, &client, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/unlock` `{"token"}` → 204: the unlock link of a "sign-in paused" mail;
/// the account's password sign-in resumes at once.
#[utoipa::path(
    post,
    path = "/api/auth/unlock",
    tag = "mail",
    request_body = VerifyBody,
    responses(
        (status = 204, description = "Password sign-in resumed."),
        (status = 400, description = "`link_invalid`: used, expired, unknown, or made for an address the account no longer has.", body = ErrorResponse),
        (status = 413, description = "The body is too large.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn unlock(
    State(state): State<AppState>,
    Client(client): Client,
    JsonBody(body): JsonBody<VerifyBody>,
) -> Result<StatusCode, AppError> {
    mail_flows::unlock_with_link(&state, &client, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/email/verification` → 202: a new verification link to the signed-in user's
/// address (older links stop working). The same answer when the address is already verified.
#[utoipa::path(
    post,
    path = "/api/auth/email/verification",
    tag = "mail",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 202, description = "A new link is on its way, unless the address is verified already."),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 429, description = "Too many requests for this address or from this client.", body = ErrorResponse),
        (status = 503, description = "The database or session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn resend_verification(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
) -> Result<StatusCode, AppError> {
    mail_flows::resend_verification(&state, &session, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

/// A new address and the current password. A missing field counts as empty.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct EmailChangeBody {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `PUT /api/auth/profile/email` `{"email", "password"}` → 202: a confirmation link goes to the
/// new address and a notice to the current one; the address changes when the link is followed
/// (`POST /api/auth/email/verify`).
#[utoipa::path(
    put,
    path = "/api/auth/profile/email",
    tag = "mail",
    request_body = EmailChangeBody,
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 202, description = "A confirmation link is on its way to the new address."),
        (status = 400, description = "Unreadable body; `fields.email` (not an address, or the current one) or `fields.password` (wrong).", body = ErrorResponse),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 404, description = "The account no longer exists.", body = ErrorResponse),
        (status = 413, description = "The body is too large.", body = ErrorResponse),
        (status = 429, description = "Too many wrong passwords, or too many mails asked for.", body = ErrorResponse),
        (status = 503, description = "The database or session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn change_email(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<EmailChangeBody>,
) -> Result<StatusCode, AppError> {
    mail_flows::request_email_change(&state, &session, &client, &body.email, &body.password).await?;
    Ok(StatusCode::ACCEPTED)
}
