//! [`Locks`](super::Locks) in Redis.

use async_trait::async_trait;
use fred::{
    prelude::*,
    types::{Expiration, SetOptions},
};

use crate::server::backend::{redis::RedisBackend, BackendError};

#[async_trait]
impl super::Locks for RedisBackend {
    async fn try_lock(&self, name: &str, token: &str, ttl_ms: i64) -> Result<bool, BackendError> {
        let taken: Option<String> = self
            .client()?
            .set(
                self.keys.lock(name),
                token,
                Some(Expiration::PX(ttl_ms)),
                Some(SetOptions::NX),
                false,
            )
            .await?;
        Ok(taken.is_some())
    }

    async fn unlock(&self, name: &str, token: &str) -> Result<(), BackendError> {
        let _: i64 = self.eval(&self.unlock, vec![self.keys.lock(name)], vec![token]).await?;
        Ok(())
    }
}
