//! [`AdminFigures`](super::AdminFigures) in Redis.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use fred::prelude::*;

use super::*;
use crate::server::{
    backend::{redis::RedisBackend, BackendError},
    figures::{Figure, HourFigures, KEPT_MS, PATHS_KEPT_PER_HOUR},
    time::Millis,
};

#[async_trait]
impl super::AdminFigures for RedisBackend {
    async fn note_revoked(&self, id: &str, now: Millis) -> Result<(), BackendError> {
        // The session's digest (as the history keys it), never its id.
        let member = crate::server::backend::session_key(id);
        let _: i64 = self
            .client()?
            .zadd(self.keys.revoked(), None, None, false, false, (now as f64, member))
            .await?;
        Ok(())
    }

    async fn stats(&self, now: Millis) -> Result<SessionStats, BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline.zcard(self.keys.expiries()).await?;
        let _: () = pipeline
            .zcount(self.keys.cache_index("profile"), now as f64, f64::INFINITY)
            .await?;
        let _: () = pipeline
            .zcount(
                self.keys.revoked(),
                (now - super::REVOKED_WINDOW_MS) as f64,
                f64::INFINITY,
            )
            .await?;
        let (active_sessions, cached_profiles, revoked_sessions): (u64, u64, u64) = pipeline.all().await?;
        Ok(SessionStats {
            active_sessions,
            cached_profiles,
            revoked_sessions,
        })
    }

    async fn trim_indexes(&self, now: Millis) -> Result<(), BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline
            .zremrangebyscore(self.keys.cache_index("profile"), f64::NEG_INFINITY, now as f64)
            .await?;
        let _: () = pipeline
            .zremrangebyscore(self.keys.cache_index("prefs"), f64::NEG_INFINITY, now as f64)
            .await?;
        let _: () = pipeline
            .zremrangebyscore(
                self.keys.revoked(),
                f64::NEG_INFINITY,
                (now - super::REVOKED_WINDOW_MS) as f64,
            )
            .await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn add_stats(&self, hours: &BTreeMap<Millis, HourFigures>) -> Result<(), BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        for (&hour, figures) in hours {
            let (counts, pages) = (self.keys.stats_hour(hour), self.keys.stats_pages(hour));
            for counter in Figure::ALL {
                let n = figures.get(counter);
                if n != 0 {
                    let _: () = pipeline.hincrby(&counts, counter.name(), n).await?;
                }
            }
            for (path, views) in &figures.pages {
                let _: () = pipeline.zincrby(&pages, *views as f64, path.as_str()).await?;
            }
            if !figures.pages.is_empty() {
                // Keep the most viewed only (ranks are ascending: drop from the bottom).
                let _: () = pipeline.zremrangebyrank(&pages, 0, -(PATHS_KEPT_PER_HOUR + 1)).await?;
            }
            for key in [&counts, &pages] {
                let _: () = pipeline.pexpire_at(key, hour + KEPT_MS, None).await?;
            }
        }
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn store_use(&self) -> Result<Option<crate::model::admin::StoreUse>, BackendError> {
        let client = self.client()?;
        let info: String = client.info(Some(fred::types::InfoKind::Memory)).await?;
        let keys: u64 = client.dbsize().await?;
        let used_memory_bytes = info
            .lines()
            .find_map(|line| line.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        Ok(Some(crate::model::admin::StoreUse {
            used_memory_bytes,
            keys,
        }))
    }

    async fn hourly_stats(&self, hours: &[Millis], pages: bool) -> Result<Vec<HourFigures>, BackendError> {
        if hours.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client()?;
        let pipeline = client.pipeline();
        for &hour in hours {
            let _: () = pipeline.hgetall(self.keys.stats_hour(hour)).await?;
            if pages {
                let _: () = pipeline
                    .zrange(self.keys.stats_pages(hour), 0, -1, None, false, None, true)
                    .await?;
            }
        }
        let replies: Vec<Value> = pipeline.all().await?;
        let per_hour = if pages { 2 } else { 1 };
        if replies.len() != hours.len() * per_hour {
            return Err(BackendError::Other("short pipeline reply".into()));
        }
        let mut out = Vec::with_capacity(hours.len());
        for replies in replies.chunks(per_hour) {
            let counts: HashMap<String, i64> = replies[0].clone().convert()?;
            let mut figures = HourFigures::default();
            for counter in Figure::ALL {
                figures.counts[counter as usize] = counts.get(counter.name()).copied().unwrap_or(0);
            }
            if let Some(paths) = replies.get(1) {
                let paths: Vec<(String, f64)> = paths.clone().convert()?;
                figures.pages = paths.into_iter().map(|(path, views)| (path, views as i64)).collect();
            }
            out.push(figures);
        }
        Ok(out)
    }
}
