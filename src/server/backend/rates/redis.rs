//! [`RateCounters`](super::RateCounters) in Redis.

use async_trait::async_trait;
use fred::prelude::*;

use super::*;
use crate::server::{
    backend::{redis::RedisBackend, BackendError},
    time::Millis,
};

#[async_trait]
impl super::RateCounters for RedisBackend {
    async fn rate_count(&self, name: &str, cost: i64, window_ms: i64, now: Millis) -> Result<RateCount, BackendError> {
        let (count, ttl): (i64, i64) = self
            .eval(
                &self.rate,
                vec![self.keys.rate(name)],
                vec![cost.to_string(), window_ms.to_string()],
            )
            .await?;
        Ok(RateCount {
            count,
            resets_at: now + ttl.max(0),
        })
    }

    async fn rate_clear(&self, name: &str) -> Result<(), BackendError> {
        let _: i64 = self.client()?.del(self.keys.rate(name)).await?;
        Ok(())
    }
}
