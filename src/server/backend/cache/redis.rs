//! [`Cache`](super::Cache) in Redis.

use async_trait::async_trait;
use fred::{prelude::*, types::Expiration};

use super::*;
use crate::server::{
    backend::{
        redis::{cache_kind, RedisBackend},
        BackendError,
    },
    time::now_ms,
};

#[async_trait]
impl super::Cache for RedisBackend {
    async fn cache_get(&self, name: &str) -> Result<Cached, BackendError> {
        let stored: Option<String> = self.client()?.get(self.keys.cache(name)).await?;
        Ok(Cached::from_stored(stored))
    }

    async fn cache_get_many(&self, names: &[String]) -> Result<Vec<Cached>, BackendError> {
        // Pipelined GETs rather than MGET: the keys may live in different cluster slots.
        let client = self.client()?;
        let pipeline = client.pipeline();
        for name in names {
            let _: () = pipeline.get(self.keys.cache(name)).await?;
        }
        let stored: Vec<Option<String>> = pipeline.all().await?;
        Ok(stored.into_iter().map(Cached::from_stored).collect())
    }

    async fn cache_fill(&self, name: &str, token: &FillToken, value: &str, ttl_ms: i64) -> Result<bool, BackendError> {
        let args: Vec<Value> = vec![token.expected().into(), value.into(), ttl_ms.into()];
        let filled: i64 = self.eval(&self.cache_fill, vec![self.keys.cache(name)], args).await?;
        if filled == 1 {
            // Indexed by kind with its expiry, so the health check counts without scanning.
            let until = now_ms() + ttl_ms;
            let _: i64 = self
                .client()?
                .zadd(
                    self.keys.cache_index(cache_kind(name)),
                    None,
                    None,
                    false,
                    false,
                    (until as f64, name),
                )
                .await?;
        }
        Ok(filled == 1)
    }

    async fn cache_invalidate(&self, name: &str) -> Result<(), BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline
            .set(
                self.keys.cache(name),
                FillToken::new_mark(),
                Some(Expiration::PX(CACHE_MARK_TTL_MS)),
                None,
                false,
            )
            .await?;
        let _: () = pipeline.zrem(self.keys.cache_index(cache_kind(name)), name).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn cache_delete(&self, name: &str) -> Result<(), BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline.del(self.keys.cache(name)).await?;
        let _: () = pipeline.zrem(self.keys.cache_index(cache_kind(name)), name).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }
}
