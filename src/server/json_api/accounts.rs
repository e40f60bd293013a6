//! Registering, signing in and out, the password, export and deletion.

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::{Deserialize, Serialize};

use super::refusals::{RegistrationRefusals, SignInRefusals, SignOutRefusals};
use super::{with_cookies, Client, JsonBody, UserAnswer};
use crate::{
    error::{AppError, ErrorResponse},
    model::User,
    server::{
        auth::{
            account_data,
            accounts::{self, Registered, Registration},
            devices, second_factor, second_step,
        },
        session::AppSession,
        state::AppState,
    },
};

/// A new account: `name` 1–100 characters, `email`, `password` 8–128 characters. A missing
/// field counts as empty (and is refused as such, per field).
#[derive(Deserialize, utoipa::ToSchema)]
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

/// The signed-in user and the session's bearer token (`Authorization: Bearer <token>`, 44
/// characters, revoked with the session); the `session` cookie is set too.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct SignedInAnswer {
    user: User,
    token: String,
}

/// `POST /api/auth/register` → 201 [`SignedInAnswer`], signed in.
#[utoipa::path(
    post,
    path = "/api/auth/register",
    tag = "accounts",
    request_body = RegisterBody,
    responses(
        (status = 201, description = "Registered and signed in; the session and preferences cookies are set.", body = SignedInAnswer),
        (status = 202, description = "Registered, not signed in: with `REQUIRE_VERIFIED_EMAIL` the address must be verified first (a link is on its way).", body = UserAnswer),
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
        Registered::SignedIn(outcome) => outcome,
        Registered::VerifyFirst(user) => return Ok((StatusCode::ACCEPTED, Json(UserAnswer { user })).into_response()),
    };
    let token = outcome.bearer_token(&state, &session).await?;
    let body = Json(SignedInAnswer {
        user: outcome.user,
        token,
    });
    Ok(with_cookies(
        (StatusCode::CREATED, body).into_response(),
        outcome.preferences_cookies,
    ))
}

/// Credentials. A missing field counts as empty.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct LoginBody {
    #[serde(default)]
    pub(super) email: String,
    #[serde(default)]
    pub(super) password: String,
}

/// The right password for an account with a second factor: nothing is signed in yet (no
/// session, no token). `POST /api/auth/login/second-factor` with `challenge` and a code
/// completes it within 5 minutes.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SecondFactorAnswer {
    /// Always `totp` (a code from an authenticator app; a recovery code works too).
    second_factor: &'static str,
    /// 44 characters, single use.
    challenge: String,
}

/// What `POST /api/auth/login` answers with 200: signed in, or a second factor to give. The
/// document's shape only: [`login_answer`] builds the answers.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(super) enum LoginAnswer {
    SignedIn(SignedInAnswer),
    SecondFactor(SecondFactorAnswer),
}

/// Turns a sign-in's first step into its answer: the signed-in body `done` makes, or the
/// second-factor challenge.
pub(super) async fn login_answer<T: Serialize>(
    state: &AppState,
    session: &AppSession,
    step: accounts::SignInStep,
    done: impl FnOnce(accounts::SignedInOutcome, String) -> (T, Vec<header::HeaderValue>),
) -> Result<Response, AppError> {
    Ok(match step {
        accounts::SignInStep::Done(outcome) => {
            let token = outcome.bearer_token(state, session).await?;
            let (body, cookies) = done(outcome, token);
            with_cookies(Json(body).into_response(), cookies)
        }
        accounts::SignInStep::SecondFactor { challenge } => Json(SecondFactorAnswer {
            second_factor: "totp",
            challenge,
        })
        .into_response(),
    })
}

fn signed_in_answer(outcome: accounts::SignedInOutcome, token: String) -> (SignedInAnswer, Vec<header::HeaderValue>) {
    let body = SignedInAnswer {
        user: outcome.user,
        token,
    };
    (body, outcome.preferences_cookies)
}

/// `POST /api/auth/login` → [`SignedInAnswer`], signed in under a new session id; or, for an
/// account with a second factor, [`SecondFactorAnswer`].
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "accounts",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in (the session and preferences cookies are set); or, for an account with a second factor, `{secondFactor, challenge}` and nothing signed in.", body = LoginAnswer),
        SignInRefusals,
    ),
)]
pub(super) async fn login(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, AppError> {
    let step = accounts::sign_in(&state, &session, &client, &body.email, &body.password).await?;
    login_answer(&state, &session, step, signed_in_answer).await
}

/// The second step of a sign-in: the challenge and a code.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct SecondFactorBody {
    #[serde(default)]
    challenge: String,
    /// A 6-digit code from the authenticator app, or a recovery code.
    #[serde(default)]
    code: String,
}

/// Signed in with a recovery code: also how many are left.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SecondStepAnswer {
    user: User,
    token: String,
    /// Present when a recovery code was used: how many unused ones are left.
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes_left: Option<u64>,
}

/// `POST /api/auth/login/second-factor` `{challenge, code}` → `{user, token}`: signed in.
#[utoipa::path(
    post,
    path = "/api/auth/login/second-factor",
    tag = "accounts",
    request_body = SecondFactorBody,
    responses(
        (status = 200, description = "Signed in; the session and preferences cookies are set. `recoveryCodesLeft` when a recovery code was used.", body = SecondStepAnswer),
        (status = 400, description = "A wrong code (`fields.code`); the challenge keeps working.", body = ErrorResponse),
        (status = 401, description = "The challenge is unknown, used or older than 5 minutes: sign in again.", body = ErrorResponse),
        (status = 429, description = "Too many codes tried for this account.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn login_second_factor(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<SecondFactorBody>,
) -> Result<Response, AppError> {
    let (outcome, used) = second_step::complete(&state, &session, &client, &body.challenge, &body.code).await?;
    let recovery_codes_left = match used {
        second_factor::CodeUsed::Recovery { left } => Some(left),
        second_factor::CodeUsed::Totp => None,
    };
    let token = outcome.bearer_token(&state, &session).await?;
    let body = Json(SecondStepAnswer {
        user: outcome.user,
        token,
        recovery_codes_left,
    });
    Ok(with_cookies(body.into_response(), outcome.preferences_cookies))
}

/// `POST /api/auth/logout` → 204: this session ended (a guest's too).
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "accounts",
    security((), ("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "This session ended, signed in or not; the session cookie is cleared."),
        SignOutRefusals,
    ),
)]
pub(super) async fn logout(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<StatusCode, AppError> {
    devices::sign_out(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/logout-all` → 204: every session of the user ended, this one included.
#[utoipa::path(
    post,
    path = "/api/auth/logout-all",
    tag = "accounts",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Every session of the user ended, this one included."),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 503, description = "The session store is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn logout_all(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
) -> Result<StatusCode, AppError> {
    devices::sign_out_everywhere(&state, &session, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A password change: the current password, and the new one (8–128 characters). A missing
/// field counts as empty.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct PasswordBody {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// `PUT /api/auth/profile/password` → 204: changed; every other session ended, this one goes on
/// under a new id.
#[utoipa::path(
    put,
    path = "/api/auth/profile/password",
    tag = "profile",
    request_body = PasswordBody,
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Changed; every other session ended, this one renewed (a new session cookie)."),
        (status = 400, description = "Unreadable body, the current password wrong or the new one refused (`fields` says which).", body = ErrorResponse),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 404, description = "The account no longer exists.", body = ErrorResponse),
        (status = 413, description = "The body is too large.", body = ErrorResponse),
        (status = 429, description = "Too many wrong passwords for this account.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn put_password(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<StatusCode, AppError> {
    accounts::change_password(&state, &session, &client, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account's password, to confirm its deletion. A missing field counts as empty.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct DeleteAccountBody {
    #[serde(default)]
    password: String,
}

/// `DELETE /api/auth/profile` `{"password": …}` → 204, this session ended and the account's
/// preferences left in the preferences cookie.
#[utoipa::path(
    delete,
    path = "/api/auth/profile",
    tag = "profile",
    request_body = DeleteAccountBody,
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "The account and everything kept about it deleted; this session ended."),
        (status = 400, description = "Unreadable body, or the password missing or wrong (`fields.password`).", body = ErrorResponse),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 404, description = "The account no longer exists.", body = ErrorResponse),
        (status = 413, description = "The body is too large.", body = ErrorResponse),
        (status = 429, description = "Too many wrong passwords for this account.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
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
#[utoipa::path(
    get,
    path = "/api/auth/export",
    tag = "profile",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Everything kept about the account, as an attachment `porch-data-<YYYY-MM-DD>.json`.",
            body = crate::model::AccountExport,
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"porch-data-<YYYY-MM-DD>.json\"`"))),
        (status = 303, description = "A browser (asking for HTML) without a recent authentication: to `/account/confirm`, which then downloads."),
        (status = 401, description = "Not signed in, or `reauth_required`.", body = ErrorResponse),
        (status = 404, description = "The account no longer exists.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn get_export(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
) -> Result<Response, AppError> {
    let export = account_data::export(&state, &session, &client).await;
    let action = crate::model::SensitiveAction::Export;
    crate::server::auth::reauth::remember_if_refused(&session, &export, action).await;
    let export = match export {
        // A browser following the page's link confirms on a page, then downloads.
        Err(e)
            if e.code == crate::error::ErrorCode::ReauthRequired
                && crate::server::headers::wants_html(&client.headers) =>
        {
            let to = crate::model::security::CONFIRM_PATH;
            return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response());
        }
        other => other?,
    };
    let day = export.exported_at.get(..10).unwrap_or("export").to_owned();
    let disposition = format!("attachment; filename=\"porch-data-{day}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(export)).into_response())
}
