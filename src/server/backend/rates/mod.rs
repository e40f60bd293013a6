//! Fixed-window rate counters: the window starts with its first hit and expires on its own.

mod memory;
mod redis;

use async_trait::async_trait;

use crate::server::{backend::error::BackendError, time::Millis};

/// A fixed-window counter's state after [`Backend::rate_count`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateCount {
    pub count: i64,
    /// When the window ends (the counter starts again from zero).
    pub resets_at: Millis,
}

#[async_trait]
pub trait RateCounters: Send + Sync {
    /// Adds `cost` (0: only reads; negative: gives attempts back, forgetting a counter that
    /// reaches 0) to the rate counter `name`, whose window of `window_ms`
    /// starts with its first hit and then expires on its own.
    async fn rate_count(&self, name: &str, cost: i64, window_ms: i64, now: Millis) -> Result<RateCount, BackendError>;

    /// Forgets the rate counter `name` (a successful sign-in clears its failures).
    async fn rate_clear(&self, name: &str) -> Result<(), BackendError>;
}
