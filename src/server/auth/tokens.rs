//! Bearer tokens for API clients: one per signed-in session, stored by hash, as alive as the
//! session it stands for.

use super::opaque::{digest as token_hash, new_token, well_formed};
use crate::server::{backend::BackendError, state::AppState, time::Millis};

/// The session id a bearer token stands for, if the token is known.
pub async fn session_for_token(state: &AppState, token: &str) -> Result<Option<String>, BackendError> {
    if !well_formed(token) {
        return Ok(None);
    }
    state.backend.resolve_token(&token_hash(token)).await
}

/// Issues a new token for the session `id` of `user_id`, good until `until` (the session's
/// deadline): 256 random bits, URL-safe base64, 44 characters.
pub async fn issue(state: &AppState, user_id: i64, id: &str, until: Millis) -> Result<String, BackendError> {
    let token = new_token();
    state.backend.put_token(user_id, &token_hash(&token), id, until).await?;
    Ok(token)
}
