//! What the health check and the admin page read from the store: live, cached and revoked
//! counts from indexes (never a keyspace scan), the per-hour figures, and the store's own use.

mod memory;
mod redis;

use async_trait::async_trait;

use crate::server::{backend::error::BackendError, time::Millis};

/// Counts for the health check, each read without scanning the keyspace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionStats {
    /// Sessions alive, or ended and not yet archived (at most one sweep interval).
    pub active_sessions: u64,
    pub cached_profiles: u64,
    /// Signed-in sessions ended before their time in the last day: signed out (here or everywhere),
    /// ended by their client, revoked from another device, or ended by a password change.
    pub revoked_sessions: u64,
}

/// How long a revocation is counted in [`SessionStats::revoked_sessions`].
pub const REVOKED_WINDOW_MS: i64 = 24 * 3600 * 1000;

#[async_trait]
pub trait AdminFigures: Send + Sync {
    /// Notes that a session was revoked (for [`SessionStats`]).
    async fn note_revoked(&self, id: &str, now: Millis) -> Result<(), BackendError>;

    /// The health check's counts (one round trip).
    async fn stats(&self, now: Millis) -> Result<SessionStats, BackendError>;

    /// Drops index entries that have expired (run by the sweeper; never a keyspace scan).
    async fn trim_indexes(&self, now: Millis) -> Result<(), BackendError>;

    /// Adds to the per-hour figures (one round trip); each hour's keys expire
    /// [`crate::server::figures::KEPT_MS`] after the hour starts.
    async fn add_stats(
        &self,
        hours: &std::collections::BTreeMap<Millis, crate::server::figures::HourFigures>,
    ) -> Result<(), BackendError>;

    /// Memory used and keys held, when the backend is Redis (`INFO memory`, `DBSIZE`; in a
    /// cluster, the node this connection asks).
    async fn store_use(&self) -> Result<Option<crate::model::admin::StoreUse>, BackendError>;

    /// The figures of each of `hours` (hour starts), in order; with `pages`, the most viewed
    /// paths too ([`crate::server::figures::PATHS_KEPT_PER_HOUR`]).
    async fn hourly_stats(
        &self,
        hours: &[Millis],
        pages: bool,
    ) -> Result<Vec<crate::server::figures::HourFigures>, BackendError>;
}
