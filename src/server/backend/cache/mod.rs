//! The read-through caches of users' profiles and preferences. A fill must present what the read
//! that missed saw, so a value read before an invalidation is never stored after it.

mod memory;
mod redis;

use async_trait::async_trait;

use crate::server::backend::error::BackendError;

/// What a cache read found: a value, or a miss carrying what the key held instead (nothing, or
/// the mark an invalidation left), which a fill must present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cached {
    Hit(String),
    Miss(FillToken),
}

impl Cached {
    /// Reads what a cache key held: a mark (it starts with [`FillToken::MARK`], which no
    /// cached JSON does) or nothing is a miss.
    pub fn from_stored(stored: Option<String>) -> Self {
        match stored {
            Some(value) if !value.starts_with(FillToken::MARK) => Cached::Hit(value),
            other => Cached::Miss(FillToken(other)),
        }
    }

    pub fn hit(&self) -> Option<&str> {
        match self {
            Cached::Hit(value) => Some(value),
            Cached::Miss(_) => None,
        }
    }

    /// The token a fill needs to replace what was read: after a miss, what the key held; after
    /// a hit the caller could not use (written by another version), that value itself.
    pub fn into_fill_token(self) -> FillToken {
        match self {
            Cached::Hit(value) => FillToken(Some(value)),
            Cached::Miss(token) => token,
        }
    }
}

/// The state a cache read saw on a miss. A fill succeeds only if the key still holds exactly
/// that, so a value read from the database before an invalidation can never be stored after
/// it (the stale-set race of read-through caches).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FillToken(pub(crate) Option<String>);

impl FillToken {
    /// First character of an invalidation mark.
    pub const MARK: char = '~';

    /// A fresh invalidation mark.
    pub fn new_mark() -> String {
        format!("{}{}", Self::MARK, tower_sessions::session::Id::default())
    }

    /// The value to compare with: the mark, or `""` for an absent key.
    pub fn expected(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }
}

/// How long an invalidation mark stays: longer than any request that read before it can take,
/// so its late fill still meets the mark.
pub const CACHE_MARK_TTL_MS: i64 = 60_000;

#[async_trait]
pub trait Cache: Send + Sync {
    /// A cached value (`name` is namespaced by the backend), or the token a fill needs.
    async fn cache_get(&self, name: &str) -> Result<Cached, BackendError>;

    /// Several cached values in one round trip, in the order asked.
    async fn cache_get_many(&self, names: &[String]) -> Result<Vec<Cached>, BackendError>;

    /// Stores `value` for `ttl_ms` if the key still holds what the read that missed saw
    /// (`token`); `false` when it changed (invalidated or filled meanwhile).
    async fn cache_fill(&self, name: &str, token: &FillToken, value: &str, ttl_ms: i64) -> Result<bool, BackendError>;

    /// Invalidates a cached value after the data behind it changed: the key holds a fresh mark
    /// for [`CACHE_MARK_TTL_MS`], so fills by reads that started before cannot succeed.
    async fn cache_invalidate(&self, name: &str) -> Result<(), BackendError>;

    /// Removes a cached value and leaves nothing (its subject is gone: an account deleted).
    async fn cache_delete(&self, name: &str) -> Result<(), BackendError>;
}
