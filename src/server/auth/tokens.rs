//! Bearer tokens for API clients: one per signed-in session, stored by hash, as alive as the
//! session it stands for.

use sha2::{Digest, Sha256};
use tower_sessions::session::Id;

use crate::server::{backend::BackendError, state::AppState, time::Millis};

/// What is stored of a token: its SHA-256 (hex), never the token.
pub(crate) fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// 256 random bits (two session ids' worth, from the same generator), URL-safe base64: 44
/// characters.
pub(crate) fn random_token() -> String {
    format!("{}{}", Id::default(), Id::default())
}

/// Whether `token` has the shape [`random_token`] gives, so anything else is refused without a
/// lookup.
pub(crate) fn well_formed(token: &str) -> bool {
    token.len() == 44
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

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
    let token = random_token();
    state.backend.put_token(user_id, &token_hash(&token), id, until).await?;
    Ok(token)
}
