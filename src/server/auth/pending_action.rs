//! Completing a sensitive action that waited for its user to confirm who they are
//! (`reauth`): once confirmed, the action the browser asked for is done, and the browser goes
//! where it would have gone.

use super::{confirm::confirm_password, devices, passkeys, reauth, roles, second_factor};
use crate::{
    error::AppError,
    model::{security::Confirmed, Msg, Password, SensitiveAction},
    server::{
        client::ClientInfo,
        repo::{db_error, users},
        session::AppSession,
        state::AppState,
        time::now_ms,
    },
};

/// Confirms who the signed-in user is with their password, or a code of their second factor
/// (a TOTP code or a recovery code), and starts a new re-authentication window.
///
/// Errors: 400 with `fields.password` (or `fields.code`) when wrong; 429 past the limits; 401
/// for a guest.
pub async fn confirm(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    password: &str,
    code: &str,
) -> Result<(), AppError> {
    let me = session.require_signed_in().await?;
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    if !code.trim().is_empty() && password.is_empty() {
        second_factor::confirm_code(state, client, &row, code).await?;
        session.mark_authenticated(now_ms()).await
    } else {
        let password =
            Password::parse_existing(password).map_err(|m| AppError::fields([("password".to_owned(), m)].into()))?;
        confirm_password(state, Some(session), client, &row, &password, "password").await
    }
}

/// Confirms who the signed-in user is (password, or a second-factor code) and completes the
/// action waiting in the session, if any. `next` (a same-site path) is where the browser goes
/// when nothing was waiting.
///
/// Errors: those of [`confirm`], then those of the action.
pub async fn confirm_and_complete(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    password: &str,
    code: &str,
    next: &str,
) -> Result<Confirmed, AppError> {
    confirm(state, session, client, password, code).await?;
    let action = reauth::take_pending(session).await;
    complete(state, session, client, action, next).await
}

/// Completes `action` for a session that has just confirmed who it is.
pub async fn complete(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    action: Option<SensitiveAction>,
    next: &str,
) -> Result<Confirmed, AppError> {
    let go = |next: &str, notice: Option<Msg>| Confirmed {
        next: next.to_owned(),
        notice,
    };
    Ok(match action {
        None => go(next, Some(Msg::IdentityConfirmed)),
        Some(SensitiveAction::SignOutEverywhere) => {
            devices::sign_out_everywhere(state, session, client).await?;
            go("/", None)
        }
        Some(SensitiveAction::SignOutOthers) => {
            devices::sign_out_others(state, session, client).await?;
            go("/account/sessions", Some(Msg::OthersSignedOut))
        }
        Some(SensitiveAction::RevokeSession { id }) => {
            devices::revoke(state, session, client, &id).await?;
            go("/account/sessions", Some(Msg::SessionRevoked))
        }
        Some(SensitiveAction::SetRole { user, role }) => {
            let admin = roles::require_admin(state, session).await?;
            let id = user.parse::<i64>().map_err(|_| AppError::not_found())?;
            roles::set_role(state, session, &admin, client, id, &role).await?;
            go("/admin", Some(Msg::RoleChanged))
        }
        // A download: the browser asks for it again, now allowed.
        Some(SensitiveAction::Export) => go("/api/auth/export", None),
        Some(SensitiveAction::StartTotp) => {
            second_factor::start_setup(state, session).await?;
            go("/account/security", None)
        }
        Some(SensitiveAction::RegenerateRecoveryCodes) => {
            second_factor::regenerate_codes(state, session, client).await?;
            go("/account/security", Some(Msg::RecoveryCodesReplaced))
        }
        Some(SensitiveAction::RemovePasskey { id }) => {
            passkeys::remove(state, session, client, &id).await?;
            go("/account/security", Some(Msg::PasskeyRemoved))
        }
        // Needs the page's script: the browser goes back to press the button again.
        Some(SensitiveAction::AddPasskey) => go("/account/security", Some(Msg::IdentityConfirmed)),
    })
}
