//! [`Cache`](super::Cache) in process memory.

use async_trait::async_trait;

use super::*;
use crate::server::{
    backend::{memory::MemoryBackend, BackendError},
    time::now_ms,
};

#[async_trait]
impl super::Cache for MemoryBackend {
    async fn cache_get(&self, name: &str) -> Result<Cached, BackendError> {
        let now = now_ms();
        Ok(Cached::from_stored(self.state.lock().cached(name, now)))
    }

    async fn cache_get_many(&self, names: &[String]) -> Result<Vec<Cached>, BackendError> {
        let now = now_ms();
        let state = self.state.lock();
        Ok(names
            .iter()
            .map(|name| Cached::from_stored(state.cached(name, now)))
            .collect())
    }

    async fn cache_fill(&self, name: &str, token: &FillToken, value: &str, ttl_ms: i64) -> Result<bool, BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        if state.cached(name, now).unwrap_or_default() != token.expected() {
            return Ok(false);
        }
        state.cache.insert(name.to_owned(), (value.to_owned(), now + ttl_ms));
        Ok(true)
    }

    async fn cache_invalidate(&self, name: &str) -> Result<(), BackendError> {
        let until = now_ms() + CACHE_MARK_TTL_MS;
        self.state
            .lock()
            .cache
            .insert(name.to_owned(), (FillToken::new_mark(), until));
        Ok(())
    }

    async fn cache_delete(&self, name: &str) -> Result<(), BackendError> {
        self.state.lock().cache.remove(name);
        Ok(())
    }
}
