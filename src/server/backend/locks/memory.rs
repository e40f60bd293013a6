//! [`Locks`](super::Locks) in process memory.

use async_trait::async_trait;

use crate::server::{
    backend::{memory::MemoryBackend, BackendError},
    time::now_ms,
};

#[async_trait]
impl super::Locks for MemoryBackend {
    async fn try_lock(&self, name: &str, token: &str, ttl_ms: i64) -> Result<bool, BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        if state.locks.get(name).is_some_and(|(_, until)| *until > now) {
            return Ok(false);
        }
        state.locks.insert(name.to_owned(), (token.to_owned(), now + ttl_ms));
        Ok(true)
    }

    async fn unlock(&self, name: &str, token: &str) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        if state.locks.get(name).is_some_and(|(holder, _)| holder == token) {
            state.locks.remove(name);
        }
        Ok(())
    }
}
