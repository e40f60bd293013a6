//! Named locks with an owner token and a lifetime (the sweeper takes one, so one instance
//! sweeps at a time).

mod memory;
mod redis;

use async_trait::async_trait;

use crate::server::backend::error::BackendError;

#[async_trait]
pub trait Locks: Send + Sync {
    /// Takes the named lock for `ttl_ms` unless someone holds it; `token` identifies the holder.
    async fn try_lock(&self, name: &str, token: &str, ttl_ms: i64) -> Result<bool, BackendError>;

    /// Releases the lock if `token` still holds it.
    async fn unlock(&self, name: &str, token: &str) -> Result<(), BackendError>;
}
