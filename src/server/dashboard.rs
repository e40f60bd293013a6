//! The admin page's figures, assembled: the last 24 hours and 30 days from the tally, the
//! per-hour store and the daily table; session durations from the history; live counts and the
//! store's use from the store; the profile cache's use from this instance's metrics.

use std::sync::atomic::Ordering::Relaxed;

use crate::{
    error::AppError,
    model::admin::{AdminStats, CacheUse, DayStats, DurationStats, Figures, HourStats, PageViews},
    server::{
        backend::unavailable,
        figures,
        repo::{daily_stats, db_error, session_history},
        state::AppState,
        stats,
        time::{now_ms, rfc3339},
    },
};

/// The admin page's figures (`GET /api/admin/stats`). This instance's counts since its last
/// flush are added first, so they are included; other instances' lag by at most one flush.
pub async fn stats(state: &AppState) -> Result<AdminStats, AppError> {
    let now = now_ms();
    let recent = stats::recent(&state.metrics.tally, state.backend.as_ref(), TOP_PAGES)
        .await
        .map_err(unavailable)?;
    let first_day = figures::day_of(now) - (DAYS_SHOWN - 1) * figures::DAY_MS;
    let stored = daily_stats::between(&state.db, first_day, now)
        .await
        .map_err(db_error)?;
    let daily = stats::day_series(now, DAYS_SHOWN, &stored, &recent.days);
    let live = state.backend.stats(now).await.map_err(unavailable)?;
    let store = state.backend.store_use().await.map_err(unavailable)?;
    let mut durations = session_history::recent_durations(&state.db, now - DURATION_WINDOW_MS, DURATIONS_READ)
        .await
        .map_err(db_error)?;
    durations.sort_unstable();
    Ok(AdminStats {
        generated_at: rfc3339(now),
        live_sessions: live.active_sessions,
        hourly: recent
            .hours
            .into_iter()
            .map(|(hour, hour_figures)| HourStats {
                hour: rfc3339(hour),
                figures: Figures::from_fn(|figure| hour_figures.get(figure)),
            })
            .collect(),
        daily: daily
            .into_iter()
            .map(|(day, counts)| DayStats {
                day: rfc3339(day),
                figures: Figures::from_fn(|figure| counts[figure as usize]),
            })
            .collect(),
        top_pages: recent
            .top_pages
            .into_iter()
            .map(|(path, views)| PageViews { path, views })
            .collect(),
        session_duration: DurationStats {
            sessions: durations.len() as u64,
            median_seconds: stats::percentile(&durations, 50),
            p90_seconds: stats::percentile(&durations, 90),
        },
        profile_cache: CacheUse {
            hits: state.metrics.profile_cache_hits.load(Relaxed),
            misses: state.metrics.profile_cache_misses.load(Relaxed),
        },
        store,
    })
}

/// Days in the daily view, today included.
const DAYS_SHOWN: i64 = 30;

/// Paths listed under "most visited".
const TOP_PAGES: usize = 10;

/// Session durations are over the sessions that ended in the last 30 days…
const DURATION_WINDOW_MS: i64 = 30 * 24 * figures::HOUR_MS;
/// …the most recent this many of them (enough for stable percentiles, bounded work).
const DURATIONS_READ: u64 = 100_000;
