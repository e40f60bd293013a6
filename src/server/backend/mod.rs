//! Everything the app keeps in Redis, one store trait per concern.
//!
//! Each concern (sessions, a user's index and tokens, notices, caches, rate counters, locks, the
//! admin figures) has its own folder: the trait and its types in `mod.rs`, its Redis
//! implementation in `redis.rs` and its in-memory one in `memory.rs`, side by side. Both
//! implementations are the same two types, [`redis::RedisBackend`] (each operation one atomic
//! round trip, Lua where the steps depend on each other; the connection, the scripts and the key
//! names in `redis.rs` and `keys.rs`) and [`memory::MemoryBackend`] (the embedded default when
//! `REDIS_URL` is unset, one mutex standing in for Redis's single thread, same semantics), so a
//! concern can reach the others' data where Redis would (a notice is only kept for a live
//! session). [`Backend`] is all of them together. `tests/it/store/` runs one contract suite per
//! concern against both implementations, so they cannot drift apart.

pub mod error;
pub mod keys;
pub mod memory;
pub mod redis;

pub mod admin_figures;
pub mod cache;
pub mod locks;
pub mod notices;
pub mod rates;
pub mod sessions;
pub mod user_index;

use async_trait::async_trait;

pub use admin_figures::{AdminFigures, SessionStats, REVOKED_WINDOW_MS};
pub use cache::{Cache, Cached, FillToken, CACHE_MARK_TTL_MS};
pub use error::{unavailable, BackendError};
pub use locks::Locks;
pub use notices::{Notices, NOTICES_KEPT, NOTICE_TTL_MS};
pub use rates::{RateCount, RateCounters};
pub use sessions::{
    parse_visit, session_key, Activity, ActivitySummary, Admission, CarriedVisit, Creation, EndMark, ExpiryPolicy,
    LoadedSession, NewSession, PageVisit, Saved, Sessions, UserView, FIRST_PAGES_KEPT, RENEWED_MARK_MS,
    USER_VIEW_TTL_MS,
};
pub use user_index::UserIndex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Redis,
    Memory,
}

/// Tuning shared by both backends.
#[derive(Debug, Clone, Copy)]
pub struct BackendLimits {
    /// Newest page views kept per session (the total count is kept separately).
    pub pages_kept: usize,
    /// How long activity outlives its session, for the archiving sweeper.
    pub archive_grace_ms: i64,
}

impl Default for BackendLimits {
    fn default() -> Self {
        Self {
            pages_kept: crate::model::activity::PAGES_KEPT,
            archive_grace_ms: 24 * 3600 * 1000,
        }
    }
}

/// Every store concern, as the app uses them: [`Sessions`], [`UserIndex`], [`Notices`],
/// [`Cache`], [`RateCounters`], [`Locks`] and [`AdminFigures`], plus what the connection itself
/// says.
#[async_trait]
pub trait Backend:
    Sessions + UserIndex + Notices + Cache + RateCounters + Locks + AdminFigures + Send + Sync + 'static
{
    fn kind(&self) -> BackendKind;

    /// Cheap liveness probe for health checks.
    async fn ping(&self) -> Result<(), BackendError>;
}
