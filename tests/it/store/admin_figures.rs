//! [`AdminFigures`]: counts read from indexes, revocations in their window, trimming, the
//! per-hour figures, and the store's own use.

use std::collections::BTreeMap;

use porch::server::{
    backend::{BackendKind, Cached, REVOKED_WINDOW_MS},
    figures::{hour_of, Figure, HourFigures, HOUR_MS},
    time::now_ms,
};

use super::{backends, new_session};
use crate::harness::*;

/// Live sessions, cached profiles and revocations are counted from indexes; what has expired by
/// the time asked does not count, and trimming the indexes keeps what is live.
#[tokio::test]
async fn counts_come_from_indexes_and_trimming_keeps_what_is_live() {
    for backend in backends().await {
        let kind = backend.kind();
        let now = now_ms();
        let later = now + 10_000;
        for _ in 0..2 {
            backend
                .create_session(&new_session(&unique("s"), now, None, None))
                .await
                .unwrap();
        }
        backend.note_revoked(&unique("s"), now).await.unwrap();
        for (name, ttl) in [("profile:1", 60_000), ("profile:2", 1), ("prefs:1", 60_000)] {
            let Cached::Miss(token) = backend.cache_get(name).await.unwrap() else {
                panic!("a miss");
            };
            assert!(backend.cache_fill(name, &token, "{}", ttl).await.unwrap());
        }
        let stats = backend.stats(later).await.unwrap();
        assert_eq!(stats.active_sessions, 2, "{kind:?}");
        assert_eq!(
            stats.cached_profiles, 1,
            "{kind:?}: the lapsed one and the preferences do not count"
        );
        assert_eq!(stats.revoked_sessions, 1, "{kind:?}");
        let after_window = backend.stats(now + REVOKED_WINDOW_MS + 1).await.unwrap();
        assert_eq!(after_window.revoked_sessions, 0, "{kind:?}: only the last day's");
        backend.trim_indexes(later).await.unwrap();
        let trimmed = backend.stats(later).await.unwrap();
        assert_eq!(
            (
                trimmed.active_sessions,
                trimmed.cached_profiles,
                trimmed.revoked_sessions
            ),
            (2, 1, 1),
            "{kind:?}"
        );
    }
}

/// Per-hour figures add up across flushes, come back by hour (an hour with nothing is empty),
/// with or without the pages.
#[tokio::test]
async fn hourly_figures_add_up_and_come_back_by_hour() {
    for backend in backends().await {
        let kind = backend.kind();
        let hour = hour_of(now_ms());
        let mut figures = HourFigures::default();
        figures.counts[Figure::PageViews as usize] = 3;
        figures.counts[Figure::SignIns as usize] = 1;
        figures.pages.insert("/a".into(), 3);
        let hours = BTreeMap::from([(hour, figures)]);
        backend.add_stats(&hours).await.unwrap();
        backend.add_stats(&hours).await.unwrap();
        let read = backend.hourly_stats(&[hour, hour - HOUR_MS], true).await.unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].get(Figure::PageViews), 6, "{kind:?}");
        assert_eq!(read[0].get(Figure::SignIns), 2, "{kind:?}");
        assert_eq!(read[0].pages.get("/a"), Some(&6), "{kind:?}");
        assert_eq!(read[1], HourFigures::default(), "{kind:?}");
        let without_pages = backend.hourly_stats(&[hour], false).await.unwrap();
        assert!(without_pages[0].pages.is_empty(), "{kind:?}");
        assert_eq!(without_pages[0].get(Figure::PageViews), 6);
    }
}

/// Redis says how much memory and how many keys it holds; process memory has nothing to say.
#[tokio::test]
async fn the_store_says_what_it_uses() {
    for backend in backends().await {
        let used = backend.store_use().await.unwrap();
        match backend.kind() {
            BackendKind::Redis => {
                let used = used.expect("Redis reports its use");
                assert!(used.used_memory_bytes > 0 && used.keys > 0, "{used:?}");
            }
            BackendKind::Memory => assert_eq!(used, None),
        }
    }
}
