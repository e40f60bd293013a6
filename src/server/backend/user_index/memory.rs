//! [`UserIndex`](super::UserIndex) in process memory.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::server::{
    backend::{memory::MemoryBackend, BackendError},
    time::{now_ms, Millis},
};

#[async_trait]
impl super::UserIndex for MemoryBackend {
    async fn index_user_session(
        &self,
        user_id: i64,
        handle: &str,
        id: &str,
        until: Millis,
    ) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        let entry = state
            .user_sessions
            .entry(user_id)
            .or_insert_with(|| (HashMap::new(), until));
        entry.0.insert(handle.to_owned(), id.to_owned());
        entry.1 = entry.1.max(until);
        Ok(())
    }

    async fn user_sessions(&self, user_id: i64) -> Result<Vec<(String, String)>, BackendError> {
        let now = now_ms();
        let state = self.state.lock();
        Ok(match state.user_sessions.get(&user_id) {
            Some((map, until)) if *until > now => map.iter().map(|(h, s)| (h.clone(), s.clone())).collect(),
            _ => Vec::new(),
        })
    }

    async fn unindex_user_sessions(&self, user_id: i64, handles: &[String]) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        if let Some((map, _)) = state.user_sessions.get_mut(&user_id) {
            for handle in handles {
                map.remove(handle);
            }
            if map.is_empty() {
                state.user_sessions.remove(&user_id);
            }
        }
        Ok(())
    }

    async fn put_token(&self, _user_id: i64, token_hash: &str, id: &str, until: Millis) -> Result<(), BackendError> {
        self.state
            .lock()
            .tokens
            .insert(token_hash.to_owned(), (id.to_owned(), until));
        Ok(())
    }

    async fn forget_user(&self, user_id: i64, user_tag: &str) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        state.user_views.remove(&(user_tag.to_owned(), user_id));
        let Some((index, _)) = state.user_sessions.remove(&user_id) else {
            return Ok(());
        };
        let ids: std::collections::HashSet<String> = index.into_values().collect();
        for id in &ids {
            state.records.remove(id);
            state.activity.remove(id);
            state.notices.remove(id);
            state.unschedule_expiry(id);
        }
        state.tokens.retain(|_, (id, _)| !ids.contains(id));
        Ok(())
    }

    async fn resolve_token(&self, token_hash: &str) -> Result<Option<String>, BackendError> {
        let now = now_ms();
        Ok(self
            .state
            .lock()
            .tokens
            .get(token_hash)
            .filter(|(_, until)| *until > now)
            .map(|(id, _)| id.clone()))
    }
}
