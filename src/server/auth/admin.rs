//! Roles. Admins see `/admin` and change others' roles; to everyone else every admin route
//! answers 404, as if it did not exist. The first admin is made from the command line
//! (`porch make-admin <email>`), never by a default account or password.

use std::sync::atomic::Ordering::Relaxed;

use crate::server::time::rfc3339;
use crate::{
    error::{AppError, ErrorCode},
    model::{
        admin::{AdminStats, CacheUse, DayStats, DurationStats, HourStats, PageViews, UserPage},
        Email, Msg, Role, User,
    },
    server::{
        auth::profile::{self, profile_changed, to_user},
        backend::unavailable,
        client::ClientInfo,
        figures::{self, Counter},
        ratelimit::Rule,
        repo::{
            daily_stats, db_error, session_history,
            users::{self, Demotion},
        },
        session::AppSession,
        state::AppState,
        stats,
        time::now_ms,
    },
};

/// The signed-in admin, read through the profile cache (which a role change invalidates).
/// Guests, users and an unreachable session store all get the same 404.
pub async fn require_admin(state: &AppState, session: &AppSession) -> Result<User, AppError> {
    match profile::current_user(state, session).await {
        Ok(Some(user)) if user.role == Role::Admin => Ok(user),
        _ => Err(AppError::not_found()),
    }
}

/// Gives `user_id` the role `role` (a string from the client) on behalf of `admin` (from
/// [`require_admin`]). Counted against the admin's role-change limit; demoting the last admin
/// is refused (409).
pub async fn set_role(
    state: &AppState,
    admin: &User,
    client: &ClientInfo,
    user_id: i64,
    role: &str,
) -> Result<User, AppError> {
    let role = Role::parse(role).ok_or_else(|| AppError::fields([("role".to_owned(), Msg::RoleChoice)].into()))?;
    state
        .limiter
        .hit(&client.rate, Rule::RoleChange, &admin.id.to_string())
        .await?;
    let now = now_ms();
    let row = match role {
        Role::Admin => users::make_admin(&state.db, user_id, now).await.map_err(db_error)?,
        Role::User => match users::demote_admin(&state.db, user_id, now).await.map_err(db_error)? {
            Demotion::Demoted(row) => Some(row),
            Demotion::NotFound => None,
            Demotion::LastAdmin => return Err(AppError::new(ErrorCode::Conflict, Msg::LastAdmin)),
        },
    };
    let row = row.ok_or_else(AppError::not_found)?;
    // Their pages show (or hide) the admin link from their next request, on every device.
    profile_changed(state, user_id).await;
    tracing::info!(admin = admin.id, user = user_id, role = role.as_str(), "role changed");
    Ok(to_user(&row))
}

/// What `porch make-admin` did.
#[derive(Debug, PartialEq, Eq)]
pub enum MadeAdmin {
    Promoted(User),
    AlreadyAdmin,
    NoSuchAccount,
}

/// Makes the account registered with `email` an admin: the command line's way to the first
/// admin. Their cached profile and their sessions' copies are invalidated (best effort: if Redis
/// is unreachable they expire within 30 minutes), so `/admin` opens on their next page.
pub async fn make_admin_by_email(state: &AppState, email: &str) -> Result<MadeAdmin, AppError> {
    let email = Email::parse(email).map_err(|m| AppError::fields([("email".to_owned(), m)].into()))?;
    let Some(row) = users::by_email(&state.db, email.as_str()).await.map_err(db_error)? else {
        return Ok(MadeAdmin::NoSuchAccount);
    };
    if row.role == Role::Admin.as_str() {
        return Ok(MadeAdmin::AlreadyAdmin);
    }
    let row = users::make_admin(&state.db, row.id, now_ms())
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    profile_changed(state, row.id).await;
    Ok(MadeAdmin::Promoted(to_user(&row)))
}

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
                sessions_started: hour_figures.get(Counter::SessionsStarted),
                sessions_ended: hour_figures.get(Counter::SessionsEnded),
                page_views: hour_figures.get(Counter::PageViews),
                sign_ins: hour_figures.get(Counter::SignIns),
                sign_in_failures: hour_figures.get(Counter::SignInFailures),
                rate_limited: hour_figures.get(Counter::RateLimited),
            })
            .collect(),
        daily: daily
            .into_iter()
            .map(|(day, counts)| {
                let get = |counter: Counter| counts[counter as usize];
                DayStats {
                    day: rfc3339(day),
                    sessions_started: get(Counter::SessionsStarted),
                    sessions_ended: get(Counter::SessionsEnded),
                    page_views: get(Counter::PageViews),
                    sign_ins: get(Counter::SignIns),
                    sign_in_failures: get(Counter::SignInFailures),
                    rate_limited: get(Counter::RateLimited),
                }
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

/// Accounts, newest first, `limit` (1 to 100) at a time from `cursor` (an account id, from the
/// previous page's `next_cursor`).
pub async fn users(state: &AppState, cursor: Option<&str>, limit: u64) -> Result<UserPage, AppError> {
    if limit == 0 || limit > 100 {
        return Err(AppError::new(ErrorCode::BadRequest, Msg::LimitInvalid));
    }
    let before = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| AppError::new(ErrorCode::BadRequest, Msg::CursorInvalid))?,
        ),
        None => None,
    };
    let (rows, next) = users::page(&state.db, before, limit).await.map_err(db_error)?;
    Ok(UserPage {
        items: rows.iter().map(to_user).collect(),
        next_cursor: next.map(|id| id.to_string()),
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
