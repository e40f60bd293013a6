//! [`AdminFigures`](super::AdminFigures) in process memory.

use async_trait::async_trait;

use super::*;
use crate::server::{
    backend::{memory::MemoryBackend, BackendError},
    figures::{Figure, HourFigures, KEPT_MS, PATHS_KEPT_PER_HOUR},
    time::{now_ms, Millis},
};

#[async_trait]
impl super::AdminFigures for MemoryBackend {
    async fn note_revoked(&self, _id: &str, now: Millis) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        state.revoked.push_back(now);
        state.trim_revoked(now);
        Ok(())
    }

    async fn stats(&self, now: Millis) -> Result<SessionStats, BackendError> {
        let state = self.state.lock();
        Ok(SessionStats {
            active_sessions: state.expiry_scores.len() as u64,
            cached_profiles: state
                .cache
                .iter()
                .filter(|(name, (value, until))| {
                    name.starts_with("profile:")
                        && *until > now
                        && !value.starts_with(crate::server::backend::FillToken::MARK)
                })
                .count() as u64,
            revoked_sessions: state
                .revoked
                .iter()
                .filter(|at| **at > now - super::REVOKED_WINDOW_MS)
                .count() as u64,
        })
    }

    async fn trim_indexes(&self, now: Millis) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        state.purge(now);
        state.trim_revoked(now);
        Ok(())
    }

    async fn add_stats(&self, hours: &std::collections::BTreeMap<Millis, HourFigures>) -> Result<(), BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        state.stats.retain(|hour, _| hour + KEPT_MS > now);
        for (&hour, figures) in hours {
            let kept = state.stats.entry(hour).or_default();
            for counter in Figure::ALL {
                kept.counts[counter as usize] += figures.get(counter);
            }
            for (path, views) in &figures.pages {
                *kept.pages.entry(path.clone()).or_default() += views;
            }
            // The most viewed only, as in Redis.
            if kept.pages.len() > PATHS_KEPT_PER_HOUR as usize {
                let mut pages: Vec<(String, i64)> = kept.pages.drain().collect();
                pages.sort_by_key(|(_, views)| std::cmp::Reverse(*views));
                pages.truncate(PATHS_KEPT_PER_HOUR as usize);
                kept.pages = pages.into_iter().collect();
            }
        }
        Ok(())
    }

    async fn store_use(&self) -> Result<Option<crate::model::admin::StoreUse>, BackendError> {
        Ok(None)
    }

    async fn hourly_stats(&self, hours: &[Millis], pages: bool) -> Result<Vec<HourFigures>, BackendError> {
        let now = now_ms();
        let state = self.state.lock();
        Ok(hours
            .iter()
            .map(|hour| match state.stats.get(hour).filter(|_| hour + KEPT_MS > now) {
                Some(kept) if pages => kept.clone(),
                Some(kept) => HourFigures {
                    counts: kept.counts,
                    ..HourFigures::default()
                },
                None => HourFigures::default(),
            })
            .collect())
    }
}
