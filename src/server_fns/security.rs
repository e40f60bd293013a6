//! Server functions behind the account's security pages: the log, the second factor,
//! passkeys, and the confirm page of re-authentication.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{SecurityLogPage, SecurityOverview},
};
#[cfg(feature = "ssr")]
use crate::{
    model::{Msg, SensitiveAction},
    server::{
        auth::{passkeys, pending_action, reauth, second_factor, security_log, security_page},
        fn_context::{request_context, request_session, with_status},
        forms::{finish, Outcome},
    },
};

/// Security log entries shown per page.
pub const LOG_PER_PAGE: u64 = 25;

/// One page of the signed-in user's security log, newest first, from `cursor`.
#[server(prefix = "/api/fn", endpoint = "security_log")]
pub async fn read_security_log(cursor: Option<String>) -> Result<SecurityLogPage, AppError> {
    let (state, session) = request_session()?;
    with_status(security_log::page(&state, &session, cursor.as_deref(), LOG_PER_PAGE).await)
}

/// What the security page shows.
#[server(prefix = "/api/fn", endpoint = "security_overview")]
pub async fn read_security_overview() -> Result<SecurityOverview, AppError> {
    let (state, session) = request_session()?;
    with_status(security_page::overview(&state, &session).await)
}

/// Starts setting up an authenticator app (the page then shows its QR code).
#[server(prefix = "/api/fn", endpoint = "start_totp")]
pub async fn start_totp() -> Result<(), AppError> {
    let (state, session) = request_session()?;
    let result = second_factor::start_setup(&state, &session).await.map(|_| ());
    reauth::remember_if_refused(&session, &result, SensitiveAction::StartTotp).await;
    finish(Some(&session), result, security_outcome(None)).await
}

/// Turns the second factor on with a code from the new app; the recovery codes are returned
/// (and shown once by the page a plain form post goes to).
#[server(prefix = "/api/fn", endpoint = "confirm_totp")]
pub async fn confirm_totp(code: String) -> Result<Vec<String>, AppError> {
    let (state, session, client) = request_context()?;
    let result = second_factor::confirm_setup(&state, &session, &client, &code).await;
    finish(Some(&session), result, security_outcome(Some(Msg::SecondFactorEnabled))).await
}

/// Turns the second factor off, with the password and a code.
#[server(prefix = "/api/fn", endpoint = "disable_totp")]
pub async fn disable_totp(password: String, code: String) -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    let result = second_factor::disable(&state, &session, &client, &password, &code).await;
    finish(
        Some(&session),
        result,
        security_outcome(Some(Msg::SecondFactorDisabled)),
    )
    .await
}

/// Replaces the recovery codes (shown once).
#[server(prefix = "/api/fn", endpoint = "regenerate_recovery_codes")]
pub async fn regenerate_recovery_codes() -> Result<Vec<String>, AppError> {
    let (state, session, client) = request_context()?;
    let result = second_factor::regenerate_codes(&state, &session, &client).await;
    reauth::remember_if_refused(&session, &result, SensitiveAction::RegenerateRecoveryCodes).await;
    finish(
        Some(&session),
        result,
        security_outcome(Some(Msg::RecoveryCodesReplaced)),
    )
    .await
}

/// Removes one of the user's passkeys.
#[server(prefix = "/api/fn", endpoint = "remove_passkey")]
pub async fn remove_passkey(id: String) -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    let result = passkeys::remove(&state, &session, &client, &id).await;
    reauth::remember_if_refused(&session, &result, SensitiveAction::RemovePasskey { id }).await;
    finish(Some(&session), result, security_outcome(Some(Msg::PasskeyRemoved))).await
}

/// The security page's forms all come back to it.
#[cfg(feature = "ssr")]
fn security_outcome(notice: Option<Msg>) -> Outcome<'static> {
    Outcome {
        form: "security",
        success_to: None,
        notice,
        back: SECURITY_PATH,
        values: vec![],
    }
}

/// Where the security page is.
pub const SECURITY_PATH: &str = "/account/security";

/// What the confirm page offers: whether the account can confirm with a code or a passkey.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConfirmOptions {
    pub totp: bool,
    pub passkeys: bool,
    /// Something is waiting to be done once confirmed.
    pub pending: bool,
}

/// What the confirm page offers.
#[server(prefix = "/api/fn", endpoint = "confirm_options")]
pub async fn read_confirm_options() -> Result<ConfirmOptions, AppError> {
    let (state, session) = request_session()?;
    let result = async {
        let overview = security_page::overview(&state, &session).await?;
        Ok(ConfirmOptions {
            totp: overview.totp_enabled,
            passkeys: !overview.passkeys.is_empty() && state.webauthn.is_some(),
            pending: reauth::pending(&session).await.is_some(),
        })
    };
    with_status(result.await)
}

/// Confirms who the user is (the password, or a code), then completes what was waiting; the
/// browser goes where that leads (`next` when nothing was waiting).
#[server(prefix = "/api/fn", endpoint = "confirm_identity")]
pub async fn confirm_identity(
    password: Option<String>,
    code: Option<String>,
    next: Option<String>,
) -> Result<String, AppError> {
    let (state, session, client) = request_context()?;
    let next = crate::model::safe_next(next.as_deref()).to_owned();
    let result = pending_action::confirm_and_complete(
        &state,
        &session,
        &client,
        password.as_deref().unwrap_or_default(),
        code.as_deref().unwrap_or_default(),
        &next,
    )
    .await;
    let to = result.as_ref().map(|c| c.next.clone()).unwrap_or_default();
    let notice = result.as_ref().ok().and_then(|c| c.notice);
    if let (Some(notice), true) = (notice, to.starts_with("/account") || to == "/admin") {
        // Said on the page it leads to, with JavaScript or without.
        let form = match to.as_str() {
            "/account/sessions" => "sessions",
            "/admin" => "roles",
            _ => "security",
        };
        let feedback = crate::model::FormFeedback {
            form: form.into(),
            notice: Some(notice),
            ..Default::default()
        };
        crate::server::forms::keep_feedback(&session, feedback).await;
    }
    let outcome = Outcome {
        form: "confirm",
        success_to: Some(&to),
        notice: None,
        back: crate::model::security::CONFIRM_PATH,
        values: vec![],
    };
    finish(Some(&session), result.map(|c| c.next), outcome).await
}

/// Completes what was waiting after a passkey confirmed who the user is
/// (`POST /api/auth/reauth/passkey` from the confirm page's script): where the browser goes.
#[server(prefix = "/api/fn", endpoint = "complete_pending")]
pub async fn complete_pending(next: Option<String>) -> Result<String, AppError> {
    let (state, session, client) = request_context()?;
    let result = async {
        reauth::require_recent(&state, &session).await?;
        let action = reauth::take_pending(&session).await;
        let next = crate::model::safe_next(next.as_deref()).to_owned();
        pending_action::complete(&state, &session, &client, action, &next).await
    };
    with_status(result.await.map(|c| c.next))
}
