//! What the security page shows: the second factor, a setup under way, recovery codes made just
//! now, and passkeys, read together.

use super::{passkeys, second_factor};
use crate::{
    error::AppError,
    model::SecurityOverview,
    server::{
        repo::{db_error, second_factors, users},
        session::AppSession,
        state::AppState,
    },
};

/// What the security page shows the signed-in user: the second factor's state, a setup under
/// way, recovery codes made just now (once), and their passkeys.
///
/// Errors: 401 for a guest.
pub async fn overview(state: &AppState, session: &AppSession) -> Result<SecurityOverview, AppError> {
    let me = session.require_signed_in().await?;
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    let recovery_codes_left = if row.totp_secret.is_some() {
        second_factors::recovery_codes_left(&state.db, row.id)
            .await
            .map_err(db_error)?
    } else {
        0
    };
    Ok(SecurityOverview {
        totp_enabled: row.totp_secret.is_some(),
        recovery_codes_left,
        setup: second_factor::current_setup(state, session).await?,
        new_recovery_codes: second_factor::take_codes_to_show(session).await,
        passkeys: passkeys::list(state, row.id).await?,
    })
}
