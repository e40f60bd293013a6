//! [`UserIndex`](super::UserIndex) in Redis.

use async_trait::async_trait;
use fred::{
    prelude::*,
    types::{Expiration, ExpireOptions},
};

use crate::server::{
    backend::{redis::RedisBackend, BackendError},
    time::Millis,
};

#[async_trait]
impl super::UserIndex for RedisBackend {
    async fn index_user_session(
        &self,
        user_id: i64,
        handle: &str,
        id: &str,
        until: Millis,
    ) -> Result<(), BackendError> {
        let key = self.keys.user_sessions(user_id);
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline.hset(&key, (handle, id)).await?;
        // GT: only ever lengthen the index's life; it must outlive every session in it.
        let _: () = pipeline.pexpire_at(&key, until, Some(ExpireOptions::GT)).await?;
        let _: () = pipeline.pexpire_at(&key, until, Some(ExpireOptions::NX)).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn user_sessions(&self, user_id: i64) -> Result<Vec<(String, String)>, BackendError> {
        let map: std::collections::HashMap<String, String> =
            self.client()?.hgetall(self.keys.user_sessions(user_id)).await?;
        Ok(map.into_iter().collect())
    }

    async fn unindex_user_sessions(&self, user_id: i64, handles: &[String]) -> Result<(), BackendError> {
        if handles.is_empty() {
            return Ok(());
        }
        let _: i64 = self
            .client()?
            .hdel(self.keys.user_sessions(user_id), handles.to_vec())
            .await?;
        Ok(())
    }

    async fn put_token(&self, user_id: i64, token_hash: &str, id: &str, until: Millis) -> Result<(), BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline
            .set(
                self.keys.token(token_hash),
                id,
                Some(Expiration::PXAT(until)),
                None,
                false,
            )
            .await?;
        let tokens = self.keys.user_tokens(user_id);
        let _: () = pipeline.sadd(&tokens, token_hash).await?;
        // As the sessions index: only ever lengthened, so it outlives every token in it.
        let _: () = pipeline.pexpire_at(&tokens, until, Some(ExpireOptions::GT)).await?;
        let _: () = pipeline.pexpire_at(&tokens, until, Some(ExpireOptions::NX)).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn forget_user(&self, user_id: i64, user_tag: &str) -> Result<(), BackendError> {
        let client = self.client()?;
        let (index, tokens) = (self.keys.user_sessions(user_id), self.keys.user_tokens(user_id));
        let read = client.pipeline();
        let _: () = read.hvals(&index).await?;
        let _: () = read.smembers(&tokens).await?;
        let (ids, token_hashes): (Vec<String>, Vec<String>) = read.all().await?;
        // One key per command: in a cluster each goes to its own slot's node.
        let pipeline = client.pipeline();
        for id in &ids {
            for key in [
                self.keys.session(id),
                self.keys.activity(id),
                self.keys.pages(id),
                self.keys.notices(id),
            ] {
                let _: () = pipeline.del(key).await?;
            }
            let _: () = pipeline.zrem(self.keys.expiries(), id.as_str()).await?;
        }
        for hash in &token_hashes {
            let _: () = pipeline.del(self.keys.token(hash)).await?;
        }
        let _: () = pipeline.del(index).await?;
        let _: () = pipeline.del(tokens).await?;
        let view = ["p", "u", "t", "e"].map(|part| format!("{user_id}:{part}"));
        let _: () = pipeline.hdel(self.keys.user_views(user_tag), view.to_vec()).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn resolve_token(&self, token_hash: &str) -> Result<Option<String>, BackendError> {
        Ok(self.client()?.get(self.keys.token(token_hash)).await?)
    }
}
