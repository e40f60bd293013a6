//! Confirming the signed-in user's own password before a sensitive change (the password, the
//! address, deleting the account).

use super::{guessing, password::Verification, security_log};
use crate::{
    error::AppError,
    model::{Msg, Password, SecurityEventKind},
    server::{
        client::ClientInfo, entity::user::Model as UserRow, ratelimit::Rule, session::AppSession, state::AppState,
    },
};

/// Confirms a signed-in user's own password before a sensitive change (`field` names the form
/// field a mismatch is reported on). Limited like signing in, per account and address, and
/// counted before the hash, so no form of an open session is a way to guess its password.
///
/// Errors: 400 with `fields[field]` on a mismatch, 429 once the limit is reached.
pub async fn confirm_password(
    state: &AppState,
    session: Option<&AppSession>,
    client: &ClientInfo,
    row: &UserRow,
    password: &Password,
    field: &str,
) -> Result<(), AppError> {
    let pair = format!("{}|{}", row.email, client.ip_subject());
    state.limiter.hit(&client.rate, Rule::SignIn, &pair).await?;
    // Counted against the account from every address too, and refused while its password
    // sign-in is paused (after the same work), as a sign-in would be.
    let attempt = guessing::attempt(state, Some(row), &row.email, client).await?;
    let stored = match attempt {
        guessing::Attempt::Counted => Some(row.password_hash.as_str()),
        guessing::Attempt::Paused => None,
    };
    match state.hasher.verify(password, stored).await? {
        Verification::Match { .. } if attempt == guessing::Attempt::Counted => {
            state.limiter.clear(Rule::SignIn, &pair).await;
            guessing::give_back(state, row.id).await;
            // The password proves who is there: it counts as a fresh authentication.
            if let Some(session) = session {
                session.mark_authenticated(crate::server::time::now_ms()).await?;
            }
            Ok(())
        }
        _ => {
            let detail = Some("confirm".to_owned());
            security_log::record_later(state, row.id, SecurityEventKind::SignInFailed, client, detail);
            Err(AppError::fields([(field.to_owned(), Msg::CurrentPasswordWrong)].into()))
        }
    }
}
