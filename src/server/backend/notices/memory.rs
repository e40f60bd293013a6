//! [`Notices`](super::Notices) in process memory.

use async_trait::async_trait;

use crate::server::{
    backend::{memory::MemoryBackend, BackendError},
    time::now_ms,
};

#[async_trait]
impl super::Notices for MemoryBackend {
    async fn add_notice(&self, user_id: i64, ids: &[String], notice_id: &str, json: &str) -> Result<(), BackendError> {
        let now = now_ms();
        let until = now + super::NOTICE_TTL_MS;
        {
            let mut state = self.state.lock();
            for id in ids {
                if state.live_record(id, now).is_none() {
                    continue;
                }
                let entry = state.notices.entry(id.clone()).or_default();
                entry.0.insert(notice_id.to_owned(), json.to_owned());
                entry.1 = until;
                // The newest only, as in Redis (ids sort by time).
                while entry.0.len() > super::NOTICES_KEPT {
                    let oldest = entry.0.keys().min().cloned();
                    if let Some(oldest) = oldest {
                        entry.0.remove(&oldest);
                    }
                }
            }
        }
        let _ = self.notice_wakeups.send(user_id);
        Ok(())
    }

    async fn notices(&self, id: &str) -> Result<Option<Vec<String>>, BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        if state.live_record(id, now).is_none() {
            return Ok(None);
        }
        Ok(Some(state.live_notices(id, now)))
    }

    async fn dismiss_notice(&self, id: &str, notice_id: &str) -> Result<bool, BackendError> {
        let mut state = self.state.lock();
        Ok(state
            .notices
            .get_mut(id)
            .is_some_and(|(notices, _)| notices.remove(notice_id).is_some()))
    }

    fn notice_wakeups(&self) -> tokio::sync::broadcast::Receiver<i64> {
        self.notice_wakeups.subscribe()
    }
}
