//! The second step of a sign-in whose account has a second factor: the password was right,
//! nothing is signed in yet. A challenge (256 random bits, stored as a digest like a mailed
//! link's token, 5 minutes, single use, dead once the password changes) stands for the half-done
//! sign-in: an API client gets it in the answer of `POST /api/auth/login`, a browser keeps it in
//! its (still guest) session. A code completes it (`POST /api/auth/login/second-factor`,
//! `/login/second-factor`).

use sea_orm::TransactionTrait;

use super::{
    accounts::{finish_sign_in, SignedInOutcome},
    links::{self, Purpose},
    second_factor::{self, CodeUsed},
};
use crate::{
    error::{AppError, ErrorCode},
    model::Msg,
    server::{client::ClientInfo, repo::db_error, session::AppSession, state::AppState, time::now_ms},
};

/// The session key of a browser's half-done sign-in: its challenge.
const PENDING: &str = "second_step";

fn expired() -> AppError {
    AppError::new(ErrorCode::Unauthorized, Msg::SecondStepExpired)
}

/// Keeps a browser's challenge in its session (which stays a guest's).
pub async fn keep(session: &AppSession, challenge: &str) -> Result<(), AppError> {
    session
        .inner()
        .insert(PENDING, challenge)
        .await
        .map_err(|_| AppError::unavailable())
}

/// The browser's challenge, if its session holds one.
pub async fn kept(session: &AppSession) -> Option<String> {
    session.id()?;
    session.inner().get(PENDING).await.ok().flatten()
}

/// Whether the browser's half-done sign-in still works (for the code page).
pub async fn is_pending(state: &AppState, session: &AppSession) -> Result<bool, AppError> {
    let Some(challenge) = kept(session).await else {
        return Ok(false);
    };
    let link = links::peek(&state.db, &challenge, &[Purpose::SecondStep], now_ms())
        .await
        .map_err(db_error)?;
    Ok(link.is_some())
}

/// Completes the sign-in `challenge` stands for with a second-factor `code` (TOTP or a
/// recovery code): signed in on this request, as after a password alone.
///
/// Errors: 401 `unauthorized` (`second_step_expired`) for an unknown, used or expired
/// challenge; 400 `fields.code` for a wrong code (the challenge keeps working); 429 past the
/// account's code limit.
pub async fn complete(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    challenge: &str,
    code: &str,
) -> Result<(SignedInOutcome, CodeUsed), AppError> {
    let purpose = [Purpose::SecondStep];
    let Some(link) = links::peek(&state.db, challenge, &purpose, now_ms())
        .await
        .map_err(db_error)?
    else {
        return Err(expired());
    };
    let user = link.user;
    if user.totp_secret.is_none() {
        return Err(expired());
    }
    second_factor::count_attempt(state, client, &user).await?;
    // The challenge is taken (the first write: of two completions, one gets it) and the code
    // used in one transaction: a wrong code leaves both as they were, a right one spends both.
    let txn = state.db.begin().await.map_err(db_error)?;
    if links::take(&txn, challenge, &purpose, now_ms())
        .await
        .map_err(db_error)?
        .is_none()
    {
        let _ = txn.rollback().await;
        return Err(expired());
    }
    let Some(used) = second_factor::use_code(state, &txn, client, &user, code).await? else {
        let _ = txn.rollback().await;
        return Err(second_factor::code_refused(state, client, &user).await);
    };
    txn.commit().await.map_err(db_error)?;
    let _ = session.inner().remove_value(PENDING).await;
    let outcome = finish_sign_in(
        state,
        session,
        client,
        &user,
        &user.password_hash,
        used.sign_in_detail(),
    )
    .await?;
    Ok((outcome, used))
}
