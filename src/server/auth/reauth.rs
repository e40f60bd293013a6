//! Re-authentication before sensitive actions ("sudo mode", issue 20; OWASP Authentication
//! Cheat Sheet, "Reauthentication"): changing the password, address, second factor or passkeys,
//! exporting data, deleting the account, signing out everywhere, revoking sessions and changing
//! roles need the user to have proved who they are on this session within `REAUTH_WINDOW`
//! (15 minutes). Signing in counts; so does confirming on `/account/confirm` or
//! `POST /api/auth/reauth` with the password or a second-factor code (or a passkey), and an
//! action that carries the current password is its own confirmation.
//!
//! A browser asked to confirm keeps what it was doing as a [`SensitiveAction`] in its session;
//! once it confirms, the action completes (`pending_action`).

use crate::{
    error::{AppError, ErrorCode},
    model::{Msg, SensitiveAction},
    server::{
        session::{AppSession, SignedIn},
        state::AppState,
        time::now_ms,
    },
};

/// The session key of the action waiting for a confirmation.
const PENDING: &str = "reauth_pending";

/// The signed-in user, if they authenticated within the window.
///
/// Errors: 401 `unauthorized` for a guest; 401 `reauth_required` when the last authentication
/// is older than `REAUTH_WINDOW`.
pub async fn require_recent(state: &AppState, session: &AppSession) -> Result<SignedIn, AppError> {
    let me = session.require_signed_in().await?;
    let window = state.config.security.reauth_window.as_millis() as i64;
    if now_ms().saturating_sub(me.authenticated_at) <= window {
        Ok(me)
    } else {
        Err(reauth_required())
    }
}

pub fn reauth_required() -> AppError {
    AppError::new(ErrorCode::ReauthRequired, Msg::ReauthRequired)
}

/// When `result` asks for a confirmation, keeps `action` in the session to complete after it.
pub async fn remember_if_refused<T>(session: &AppSession, result: &Result<T, AppError>, action: SensitiveAction) {
    if matches!(result, Err(e) if e.code == ErrorCode::ReauthRequired) {
        let _ = session.inner().insert(PENDING, action).await;
    }
}

/// The action waiting for a confirmation, if any (left in place).
pub async fn pending(session: &AppSession) -> Option<SensitiveAction> {
    session.id()?;
    session.inner().get(PENDING).await.ok().flatten()
}

/// Takes the action waiting for a confirmation out of the session.
pub async fn take_pending(session: &AppSession) -> Option<SensitiveAction> {
    let action = pending(session).await;
    if action.is_some() {
        let _ = session.inner().remove_value(PENDING).await;
    }
    action
}
