//! Each user's index of their sessions (handle → session id) and their bearer tokens (by hash),
//! and forgetting all of it when an account is deleted.

mod memory;
mod redis;

use async_trait::async_trait;

use crate::server::{backend::error::BackendError, time::Millis};

#[async_trait]
pub trait UserIndex: Send + Sync {
    /// Adds a session to its user's index (`handle` → session id). The index lives as long as
    /// the longest-lived session in it.
    async fn index_user_session(&self, user_id: i64, handle: &str, id: &str, until: Millis)
        -> Result<(), BackendError>;

    /// The user's index: (handle, session id) pairs, possibly including ended sessions.
    async fn user_sessions(&self, user_id: i64) -> Result<Vec<(String, String)>, BackendError>;

    /// Drops entries from the user's index.
    async fn unindex_user_sessions(&self, user_id: i64, handles: &[String]) -> Result<(), BackendError>;

    /// Stores a bearer token (by its hash) for a session of `user_id` until `until`. A token is
    /// only as alive as its session: resolving it loads the session, which is gone once ended.
    /// The user's tokens are indexed, so [`Backend::forget_user`] finds them.
    async fn put_token(&self, user_id: i64, token_hash: &str, id: &str, until: Millis) -> Result<(), BackendError>;

    /// Deletes everything kept about `user_id`'s sessions, without archiving them: each indexed
    /// session's record, activity, visited pages and place in the expiry schedule, the user's
    /// copy kept for their sessions under their tag `user_tag`, their bearer tokens, and both
    /// indexes. (Their cached profile and preferences go through [`Backend::cache_delete`].)
    async fn forget_user(&self, user_id: i64, user_tag: &str) -> Result<(), BackendError>;

    async fn resolve_token(&self, token_hash: &str) -> Result<Option<String>, BackendError>;
}
