//! The stores' contracts: one suite per concern, each test run against Redis and the in-process
//! memory implementation, so the two cannot drift apart. Every method of every store trait is
//! exercised here.

mod admin_figures;
mod cache;
mod locks;
mod notices;
mod rates;
mod sessions;
mod user_index;

use std::{sync::Arc, time::Duration};

use porch::server::{
    backend::{memory::MemoryBackend, redis::RedisBackend, Backend, BackendLimits, ExpiryPolicy, NewSession},
    config::RedisConfig,
};

use crate::harness::*;

pub const IDLE: i64 = 30 * 60 * 1000;

/// A Redis store under a prefix of its own, and a memory store.
pub async fn backends() -> Vec<Arc<dyn Backend>> {
    let config = RedisConfig {
        url: redis_url(),
        key_prefix: format!("{}:", unique("b")),
        command_timeout: Duration::from_millis(500),
        pool_size: 2,
    };
    let limits = BackendLimits::default();
    let redis = RedisBackend::connect(&config, limits, IDLE, Duration::from_secs(2))
        .await
        .unwrap();
    vec![Arc::new(redis), Arc::new(MemoryBackend::new(limits, IDLE))]
}

/// A session to create: a guest's, or with a deadline a user's (user 7).
pub fn new_session<'a>(id: &'a str, now: i64, deadline: Option<i64>, page: Option<&'a str>) -> NewSession<'a> {
    NewSession {
        id,
        record: "{\"r\":1}",
        now,
        policy: ExpiryPolicy {
            idle_ms: IDLE,
            deadline,
        },
        first_page: page,
        user_id: deadline.map(|_| 7),
        admission: None,
        carried: None,
    }
}

/// Polls `check` until it holds or two seconds pass (for what expires with a TTL).
pub async fn eventually<F: std::future::Future<Output = bool>>(mut check: impl FnMut() -> F) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}
