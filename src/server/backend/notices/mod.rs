//! New sign-in notices as stored: per session, the newest few, and the wake-up that tells every
//! instance's notice streams (Redis pub/sub) that a user's sessions got one.

mod memory;
mod redis;

use async_trait::async_trait;

use crate::server::backend::error::BackendError;

/// How long a notice waits for its session's next page.
pub const NOTICE_TTL_MS: i64 = 24 * 3600 * 1000;

/// Notices kept per session, the newest (a page shows fewer).
pub const NOTICES_KEPT: usize = 10;

#[async_trait]
pub trait Notices: Send + Sync {
    /// Adds a notice (`json`, named `notice_id`; ids sort by time) to each of the sessions `ids`
    /// that is alive, kept [`NOTICE_TTL_MS`] and at most [`NOTICES_KEPT`] per session (the
    /// newest), then wakes the notice streams of `user_id` on every instance.
    async fn add_notice(&self, user_id: i64, ids: &[String], notice_id: &str, json: &str) -> Result<(), BackendError>;

    /// The session's pending notices (JSON); `None` when the session has ended.
    async fn notices(&self, id: &str) -> Result<Option<Vec<String>>, BackendError>;

    /// Drops a notice; `false` when the session had no such notice.
    async fn dismiss_notice(&self, id: &str, notice_id: &str) -> Result<bool, BackendError>;

    /// User ids whose sessions got a notice, on any instance, from now on.
    fn notice_wakeups(&self) -> tokio::sync::broadcast::Receiver<i64>;
}
