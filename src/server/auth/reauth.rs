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
/// How long an action waits for its confirmation: 10 minutes, in milliseconds. One left behind
/// (the confirm page closed) must not be done by a confirmation much later.
const PENDING_MS: i64 = 10 * 60 * 1000;

/// An action waiting, and since when (Unix ms).
#[derive(serde::Serialize, serde::Deserialize)]
struct Waiting {
    action: SensitiveAction,
    since: i64,
}

/// The signed-in user, if they authenticated within the window.
///
/// Errors: 401 `unauthorized` for a guest; 401 `reauth_required` when the last authentication
/// is older than `REAUTH_WINDOW`.
pub async fn require_recent(state: &AppState, session: &AppSession) -> Result<SignedIn, AppError> {
    let me = session.require_signed_in().await?;
    if is_recent(state, &me) {
        Ok(me)
    } else {
        // A new refusal replaces whatever waited: the confirmation that follows is for this
        // one (its caller keeps it with `remember_if_refused`), never an older one.
        if pending(session).await.is_some() {
            let _ = session.inner().remove_value(PENDING).await;
        }
        Err(reauth_required())
    }
}

/// Whether `me` authenticated within `REAUTH_WINDOW` (nothing else is looked at or changed).
pub fn is_recent(state: &AppState, me: &SignedIn) -> bool {
    let window = state.config.security.reauth_window.as_millis() as i64;
    now_ms().saturating_sub(me.authenticated_at) <= window
}

pub fn reauth_required() -> AppError {
    AppError::new(ErrorCode::ReauthRequired, Msg::ReauthRequired)
}

/// When `result` asks for a confirmation, keeps `action` in the session to complete after it.
pub async fn remember_if_refused<T>(session: &AppSession, result: &Result<T, AppError>, action: SensitiveAction) {
    if matches!(result, Err(e) if e.code == ErrorCode::ReauthRequired) {
        let waiting = Waiting {
            action,
            since: now_ms(),
        };
        let _ = session.inner().insert(PENDING, waiting).await;
    }
}

/// The action waiting for a confirmation, if any and not older than 10 minutes (left in place).
pub async fn pending(session: &AppSession) -> Option<SensitiveAction> {
    session.id()?;
    let waiting: Waiting = session.inner().get(PENDING).await.ok().flatten()?;
    (now_ms().saturating_sub(waiting.since) <= PENDING_MS).then_some(waiting.action)
}

/// Takes the action waiting for a confirmation out of the session.
pub async fn take_pending(session: &AppSession) -> Option<SensitiveAction> {
    let action = pending(session).await;
    if session.id().is_some() {
        let _ = session.inner().remove_value(PENDING).await;
    }
    action
}
