//! [`RateCounters`](super::RateCounters) in process memory.

use async_trait::async_trait;

use super::*;
use crate::server::{
    backend::{
        memory::{MemoryBackend, RATES_BEFORE_PURGE},
        BackendError,
    },
    time::Millis,
};

#[async_trait]
impl super::RateCounters for MemoryBackend {
    async fn rate_count(&self, name: &str, cost: i64, window_ms: i64, now: Millis) -> Result<RateCount, BackendError> {
        let mut state = self.state.lock();
        // Many addresses can hit the limits without creating sessions: purge here too.
        if state.rates.len() >= RATES_BEFORE_PURGE {
            state.rates.retain(|_, (_, until)| *until > now);
        }
        if cost == 0 {
            return Ok(match state.rates.get(name) {
                Some(&(count, until)) if until > now => RateCount {
                    count,
                    resets_at: until,
                },
                _ => RateCount {
                    count: 0,
                    resets_at: now,
                },
            });
        }
        let entry = state.rates.entry(name.to_owned()).or_insert((0, now + window_ms));
        if entry.1 <= now {
            *entry = (0, now + window_ms);
        }
        entry.0 += cost;
        let counted = RateCount {
            count: entry.0.max(0),
            resets_at: entry.1,
        };
        if entry.0 <= 0 {
            state.rates.remove(name);
        }
        Ok(counted)
    }

    async fn rate_clear(&self, name: &str) -> Result<(), BackendError> {
        self.state.lock().rates.remove(name);
        Ok(())
    }
}
