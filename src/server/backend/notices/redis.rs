//! [`Notices`](super::Notices) in Redis.

use async_trait::async_trait;
use fred::prelude::*;

use super::*;
use crate::server::backend::{
    redis::{pipelined_evalsha, RedisBackend},
    BackendError,
};

#[async_trait]
impl super::Notices for RedisBackend {
    async fn add_notice(&self, user_id: i64, ids: &[String], notice_id: &str, json: &str) -> Result<(), BackendError> {
        let client = self.client()?;
        // One pipeline for all the sessions; after a lost script cache, the script is loaded
        // and only the sessions it was refused for go again.
        let mut pending: Vec<&String> = ids.iter().collect();
        let mut reloaded = false;
        while !pending.is_empty() {
            let pipeline = client.pipeline();
            for id in &pending {
                pipelined_evalsha(
                    &pipeline,
                    &self.add_notice,
                    vec![self.keys.notices(id), self.keys.session(id)],
                    vec![
                        notice_id.into(),
                        json.into(),
                        (NOTICES_KEPT as i64).into(),
                        NOTICE_TTL_MS.into(),
                    ],
                )
                .await?;
            }
            let results = pipeline.try_all::<Value>().await;
            let mut refused = Vec::new();
            for (id, result) in pending.iter().zip(results) {
                match result {
                    Err(e) if e.details().starts_with("NOSCRIPT") && !reloaded => refused.push(*id),
                    Err(e) => return Err(e.into()),
                    Ok(_) => {}
                }
            }
            if !refused.is_empty() {
                self.add_notice.load(client).await?;
                reloaded = true;
            }
            pending = refused;
        }
        let _: i64 = client.publish(self.keys.notice_channel(), user_id).await?;
        Ok(())
    }

    async fn notices(&self, id: &str) -> Result<Option<Vec<String>>, BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline.exists(self.keys.session(id)).await?;
        let _: () = pipeline.hvals(self.keys.notices(id)).await?;
        let (alive, notices): (i64, Vec<String>) = pipeline.all().await?;
        Ok((alive == 1).then_some(notices))
    }

    async fn dismiss_notice(&self, id: &str, notice_id: &str) -> Result<bool, BackendError> {
        let removed: i64 = self.client()?.hdel(self.keys.notices(id), notice_id).await?;
        Ok(removed > 0)
    }

    fn notice_wakeups(&self) -> tokio::sync::broadcast::Receiver<i64> {
        self.notice_wakeups.subscribe()
    }
}
