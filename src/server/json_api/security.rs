//! The account's security: its log, re-authentication, the second factor (TOTP and recovery
//! codes) and passkeys.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::{Deserialize, Serialize};

use super::{query_number, with_cookies, Client, JsonBody, Query, SignedInUser};
use crate::{
    error::{AppError, ErrorResponse},
    model::{Passkey, SecurityLogPage, SensitiveAction, TotpSetup},
    server::{
        auth::{
            passkeys::{self, Started},
            pending_action, reauth, second_factor, security_log,
        },
        session::AppSession,
        state::AppState,
    },
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

/// Confirming who one is: the password, or a second-factor code.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct ReauthBody {
    #[serde(default)]
    password: String,
    /// A TOTP code or a recovery code, instead of the password.
    #[serde(default)]
    code: String,
}

/// `POST /api/auth/reauth` `{password}` or `{code}` → 204: a fresh authentication; sensitive
/// actions work for `REAUTH_WINDOW` (15 minutes) from now.
#[utoipa::path(
    post,
    path = "/api/auth/reauth",
    tag = "security",
    request_body = ReauthBody,
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Confirmed."),
        (status = 400, description = "A wrong password (`fields.password`) or code (`fields.code`).", body = ErrorResponse),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 429, description = "Too many attempts.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn reauth(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<ReauthBody>,
) -> Result<StatusCode, AppError> {
    pending_action::confirm(&state, &session, &client, &body.password, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/totp` → [`TotpSetup`] (without the QR code): a new authenticator secret,
/// waiting for a code from it (`POST /api/auth/totp/confirm`). The account's working secret,
/// if any, stays until then.
#[utoipa::path(
    post,
    path = "/api/auth/totp",
    tag = "security",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The setup: `secret` (base32) and `otpauthUrl`.", body = TotpSetup),
        (status = 401, description = "Not signed in, or `reauth_required`.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn start_totp(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    let mut setup = second_factor::start_setup(&state, &session).await?;
    setup.qr_svg.clear();
    Ok(Json(setup).into_response())
}

/// A second-factor code.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct CodeBody {
    #[serde(default)]
    code: String,
}

/// Ten recovery codes, shown this once.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct RecoveryCodesAnswer {
    recovery_codes: Vec<String>,
}

/// `POST /api/auth/totp/confirm` `{code}` → `{recoveryCodes}`: the second factor is on.
#[utoipa::path(
    post,
    path = "/api/auth/totp/confirm",
    tag = "security",
    request_body = CodeBody,
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "On; ten recovery codes, each single use, shown only now.", body = RecoveryCodesAnswer),
        (status = 400, description = "A wrong code (`fields.code`), or no setup started.", body = ErrorResponse),
        (status = 401, description = "Not signed in, or `reauth_required`.", body = ErrorResponse),
        (status = 429, description = "Too many codes tried.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn confirm_totp(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<CodeBody>,
) -> Result<Response, AppError> {
    let recovery_codes = second_factor::confirm_setup(&state, &session, &client, &body.code).await?;
    // Shown in this answer; not again on the page.
    second_factor::take_codes_to_show(&session).await;
    Ok(Json(RecoveryCodesAnswer { recovery_codes }).into_response())
}

/// `DELETE /api/auth/totp` `{password, code}` → 204: the second factor is off.
#[utoipa::path(
    delete,
    path = "/api/auth/totp",
    tag = "security",
    request_body = ReauthBody,
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Off; the recovery codes are gone."),
        (status = 400, description = "A wrong password (`fields.password`) or code (`fields.code`).", body = ErrorResponse),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 429, description = "Too many attempts.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn disable_totp(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<ReauthBody>,
) -> Result<StatusCode, AppError> {
    second_factor::disable(&state, &session, &client, &body.password, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/totp/recovery-codes` → `{recoveryCodes}`: ten new codes; the old ones stop
/// working.
#[utoipa::path(
    post,
    path = "/api/auth/totp/recovery-codes",
    tag = "security",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Ten new recovery codes, shown only now.", body = RecoveryCodesAnswer),
        (status = 400, description = "The second factor is off.", body = ErrorResponse),
        (status = 401, description = "Not signed in, or `reauth_required`.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
) -> Result<Response, AppError> {
    let recovery_codes = second_factor::regenerate_codes(&state, &session, &client).await?;
    second_factor::take_codes_to_show(&session).await;
    Ok(Json(RecoveryCodesAnswer { recovery_codes }).into_response())
}

/// `GET /api/auth/passkeys` → the signed-in user's passkeys, oldest first.
#[utoipa::path(
    get,
    path = "/api/auth/passkeys",
    tag = "security",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The passkeys.", body = Vec<Passkey>),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn list_passkeys(
    State(state): State<AppState>,
    SignedInUser(me): SignedInUser,
) -> Result<Response, AppError> {
    Ok(Json(passkeys::list(&state, me.user_id).await?).into_response())
}

/// `POST /api/auth/passkeys/options` → [`Started`]: the options for
/// `navigator.credentials.create()` and the ceremony token for `POST /api/auth/passkeys`.
#[utoipa::path(
    post,
    path = "/api/auth/passkeys/options",
    tag = "security",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "`{ceremony, options}`; the ceremony works once, for 5 minutes.", body = Started),
        (status = 401, description = "Not signed in, or `reauth_required`.", body = ErrorResponse),
        (status = 404, description = "Passkeys are unavailable (`PUBLIC_URL`'s host is not a domain).", body = ErrorResponse),
    ),
)]
pub(super) async fn passkey_registration_options(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    let started = passkeys::start_registration(&state, &session).await;
    // The security page's script sends the browser to confirm, then back to press again.
    reauth::remember_if_refused(&session, &started, SensitiveAction::AddPasskey).await;
    Ok(Json(started?).into_response())
}

/// A finished ceremony: its token and the browser's credential (`PublicKeyCredential.toJSON()`).
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct CeremonyBody {
    #[serde(default)]
    ceremony: String,
    /// For a new passkey: its name (1–100 characters; "Passkey" when empty).
    #[serde(default)]
    name: String,
    #[schema(value_type = Object)]
    #[serde(default)]
    credential: serde_json::Value,
}

/// `POST /api/auth/passkeys` `{ceremony, name, credential}` → 201 [`Passkey`].
#[utoipa::path(
    post,
    path = "/api/auth/passkeys",
    tag = "security",
    request_body = CeremonyBody,
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "Added.", body = Passkey),
        (status = 400, description = "`passkey_failed`: the ceremony is used, expired or unknown, or the credential does not verify.", body = ErrorResponse),
        (status = 401, description = "Not signed in, or `reauth_required`.", body = ErrorResponse),
    ),
)]
pub(super) async fn add_passkey(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<CeremonyBody>,
) -> Result<Response, AppError> {
    let passkey =
        passkeys::finish_registration(&state, &session, &client, &body.ceremony, &body.name, &body.credential).await?;
    Ok((StatusCode::CREATED, Json(passkey)).into_response())
}

/// `DELETE /api/auth/passkeys/{id}` → 204.
#[utoipa::path(
    delete,
    path = "/api/auth/passkeys/{id}",
    tag = "security",
    params(("id" = String, Path, description = "The passkey's id.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, description = "Not signed in, or `reauth_required`.", body = ErrorResponse),
        (status = 404, description = "No such passkey of this account.", body = ErrorResponse),
    ),
)]
pub(super) async fn remove_passkey(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    passkeys::remove(&state, &session, &client, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/passkey/login/options` → [`Started`] for `navigator.credentials.get()`:
/// any passkey of this site may answer (no address typed).
#[utoipa::path(
    post,
    path = "/api/auth/passkey/login/options",
    tag = "security",
    responses(
        (status = 200, description = "`{ceremony, options}`; the ceremony works once, for 5 minutes.", body = Started),
        (status = 404, description = "Passkeys are unavailable.", body = ErrorResponse),
        (status = 429, description = "Too many sign-in attempts from this address.", body = ErrorResponse),
    ),
)]
pub(super) async fn passkey_sign_in_options(
    State(state): State<AppState>,
    Client(client): Client,
) -> Result<Response, AppError> {
    Ok(Json(passkeys::start_sign_in(&state, &client).await?).into_response())
}

/// `POST /api/auth/passkey/login` `{ceremony, credential}` → `{user, token}`: signed in (a
/// passkey counts as both factors).
#[utoipa::path(
    post,
    path = "/api/auth/passkey/login",
    tag = "security",
    request_body = CeremonyBody,
    responses(
        (status = 200, description = "Signed in; the session and preferences cookies are set.", body = Object),
        (status = 400, description = "`passkey_failed`: used, expired or unknown ceremony, unknown passkey, a signature that does not verify, or a counter that went backwards.", body = ErrorResponse),
    ),
)]
pub(super) async fn passkey_sign_in(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<CeremonyBody>,
) -> Result<Response, AppError> {
    let outcome = passkeys::finish_sign_in(&state, &session, &client, &body.ceremony, &body.credential).await?;
    let token = outcome.bearer_token(&state, &session).await?;
    let body = Json(serde_json::json!({ "user": outcome.user, "token": token }));
    Ok(with_cookies(body.into_response(), outcome.preferences_cookies))
}

/// `POST /api/auth/reauth/passkey/options` → [`Started`]: confirming who one is with a passkey.
#[utoipa::path(
    post,
    path = "/api/auth/reauth/passkey/options",
    tag = "security",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "`{ceremony, options}` for one of this account's passkeys.", body = Started),
        (status = 400, description = "The account has no passkey.", body = ErrorResponse),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
    ),
)]
pub(super) async fn passkey_reauth_options(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    Ok(Json(passkeys::start_confirm(&state, &session).await?).into_response())
}

/// `POST /api/auth/reauth/passkey` `{ceremony, credential}` → 204: a fresh authentication.
#[utoipa::path(
    post,
    path = "/api/auth/reauth/passkey",
    tag = "security",
    request_body = CeremonyBody,
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Confirmed."),
        (status = 400, description = "`passkey_failed`.", body = ErrorResponse),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
    ),
)]
pub(super) async fn passkey_reauth(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<CeremonyBody>,
) -> Result<StatusCode, AppError> {
    passkeys::finish_confirm(&state, &session, &client, &body.ceremony, &body.credential).await?;
    Ok(StatusCode::NO_CONTENT)
}
