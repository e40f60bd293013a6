//! Everything the app keeps in Redis, behind one trait.
//!
//! Two implementations share the rules: [`redis::RedisBackend`] (each operation one atomic round
//! trip, Lua where the steps depend on each other) and [`memory::MemoryBackend`] (the embedded
//! default when `REDIS_URL` is unset, one mutex, same semantics). `tests/backend.rs` runs one
//! suite against both so they cannot drift apart.
//!
//! Per session, three keys share the session id as Redis Cluster hash tag (see [`keys`]):
//! the tower-sessions record, an activity hash and a list of visited pages. The record's TTL is
//! the session's expiry; activity outlives it by a grace period so an expired session can still
//! be archived.

pub mod keys;
pub mod memory;
pub mod redis;

use async_trait::async_trait;

/// Unix time in milliseconds.
pub type Millis = i64;

pub fn now_ms() -> Millis {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Redis,
    Memory,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Redis did not answer in time, or is not connected. Callers degrade or answer 503.
    #[error("session store unavailable: {0}")]
    Unavailable(String),
    /// Anything else (a reply of the wrong shape, a script error). Logged, never shown.
    #[error("session store error: {0}")]
    Other(String),
}

/// How long a session lives without activity, and the hard deadline if it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    pub idle_ms: i64,
    /// Absolute end (signed-in sessions); `None` for guests.
    pub deadline: Option<Millis>,
}

impl ExpiryPolicy {
    /// When a session touched at `now` expires.
    pub fn expires_at(&self, now: Millis) -> Millis {
        let idle_end = now.saturating_add(self.idle_ms);
        self.deadline.map_or(idle_end, |d| d.min(idle_end))
    }
}

/// A session to create.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id: &'a str,
    /// The serialized tower-sessions record.
    pub record: &'a str,
    pub now: Millis,
    pub policy: ExpiryPolicy,
    /// The first page view, when the session is created by one.
    pub first_page: Option<&'a str>,
}

/// What the per-session activity keys hold, as seen right after an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActivitySummary {
    pub started_at: Millis,
    pub last_seen: Millis,
    pub page_count: i64,
}

/// A session loaded (and touched) by [`Backend::load_session`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedSession {
    pub record: String,
    pub activity: ActivitySummary,
    pub expires_at: Millis,
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
            pages_kept: 100,
            archive_grace_ms: 24 * 3600 * 1000,
        }
    }
}

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    fn kind(&self) -> BackendKind;

    /// Cheap liveness probe for health checks.
    async fn ping(&self) -> Result<(), BackendError>;

    /// Stores a new session unless the id is taken; `false` means pick another id.
    async fn create_session(&self, new: &NewSession<'_>) -> Result<bool, BackendError>;

    /// Loads a live session and, in the same atomic step, marks it seen at `now`, records
    /// `page` when given, and slides its expiry by its idle timeout (never past its deadline).
    /// `None` when the session does not exist or has passed its deadline.
    async fn load_session(
        &self,
        id: &str,
        now: Millis,
        page: Option<&str>,
    ) -> Result<Option<LoadedSession>, BackendError>;

    /// Replaces the record of an existing session, keeping its expiry. `false` if it is gone
    /// (a session ended meanwhile is never brought back).
    async fn save_session(&self, id: &str, record: &str) -> Result<bool, BackendError>;

    /// Removes a session and its activity.
    async fn delete_session(&self, id: &str) -> Result<(), BackendError>;

    /// Reads sessions without touching them (no last-seen update, no expiry slide), in one
    /// round trip. `None` for each one that has ended.
    async fn peek_sessions(&self, ids: &[String]) -> Result<Vec<Option<LoadedSession>>, BackendError>;

    /// Adds a session to its user's index (`handle` → session id). The index lives as long as
    /// the longest-lived session in it.
    async fn index_user_session(&self, user_id: i64, handle: &str, id: &str, until: Millis)
        -> Result<(), BackendError>;

    /// The user's index: (handle, session id) pairs, possibly including ended sessions.
    async fn user_sessions(&self, user_id: i64) -> Result<Vec<(String, String)>, BackendError>;

    /// Drops entries from the user's index.
    async fn unindex_user_sessions(&self, user_id: i64, handles: &[String]) -> Result<(), BackendError>;

    /// Stores a bearer token (by its hash) for a session until `until`. A token is only as alive
    /// as its session: resolving it loads the session, which is gone once ended.
    async fn put_token(&self, token_hash: &str, id: &str, until: Millis) -> Result<(), BackendError>;

    async fn resolve_token(&self, token_hash: &str) -> Result<Option<String>, BackendError>;

    /// A cached value (`name` is namespaced by the backend).
    async fn cache_get(&self, name: &str) -> Result<Option<String>, BackendError>;

    async fn cache_set(&self, name: &str, value: &str, ttl_ms: i64) -> Result<(), BackendError>;

    async fn cache_delete(&self, name: &str) -> Result<(), BackendError>;

    /// Adds `by` to a counter and returns the new value.
    async fn incr(&self, name: &str, by: i64) -> Result<i64, BackendError>;
}
