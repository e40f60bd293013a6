//! Ending sessions and archiving them into `session_history`, exactly once.
//!
//! An ended session (on purpose or by timing out) keeps its activity in the backend until it is
//! archived. Archiving reads it, inserts one row keyed by the session's hash (a unique column:
//! however many archivers race, one row), then forgets the activity. If any step fails the
//! activity stays scheduled and the sweeper tries again later, so nothing is lost to a fault.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use tower_sessions::session::Id;

use crate::server::time::{now_ms, rfc3339, Millis};
use crate::{
    error::{AppError, ErrorCode},
    model::{is_same_site_path, EndReason, HistoryEntry, HistoryPage, Msg, SessionActivity, Visit},
    server::{
        backend::{unavailable, Backend, BackendError},
        client::ClientInfo,
        ratelimit::Rule,
        repo::{
            daily_stats, db_error, is_foreign_key_violation,
            session_history::{self, Cursor, NewEntry},
        },
        session::AppSession,
        state::AppState,
        stats::{self, Counter, Tally},
    },
};

/// How many due sessions one sweep handles; the rest wait for the next.
const SWEEP_BATCH: usize = 500;
/// The sweeper lock's lifetime: longer than a sweep takes, short enough that a crashed holder
/// does not stop archiving for long.
const SWEEP_LOCK_MS: i64 = 60_000;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

/// What [`Archiver::archive`] did with a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archived {
    /// This call wrote its history row.
    Written,
    /// Another archiver had written it already (or there was nothing left to archive).
    AlreadyDone,
    /// Still alive: rescheduled for when it would expire.
    StillAlive,
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub checked: usize,
    pub written: usize,
    /// Another instance held the sweeper lock.
    pub skipped: bool,
}

#[derive(Clone)]
pub struct Archiver {
    backend: Arc<dyn Backend>,
    db: DatabaseConnection,
    tally: Arc<Tally>,
}

impl std::fmt::Debug for Archiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archiver").finish_non_exhaustive()
    }
}

/// The history row's key for a session: its id's SHA-256, never the id.
pub fn session_key(id: &str) -> String {
    Sha256::digest(id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Archiver {
    pub fn new(backend: Arc<dyn Backend>, db: DatabaseConnection, tally: Arc<Tally>) -> Self {
        Self { backend, db, tally }
    }

    /// Ends a session now and archives it. The session is over once this returns `Ok`, even
    /// if archiving failed (it is then left to the sweeper, and logged).
    pub async fn end(&self, id: &str, reason: EndReason) -> Result<(), BackendError> {
        self.backend.end_session(id, reason.as_str(), now_ms()).await?;
        if matches!(
            reason,
            EndReason::Revoked | EndReason::PasswordChange | EndReason::SignOutEverywhere
        ) {
            let _ = self.backend.note_revoked(id, now_ms()).await;
        }
        if let Err(e) = self.archive(id, now_ms()).await {
            tracing::warn!(error = %e, "archiving an ended session failed; the sweeper will retry");
        }
        Ok(())
    }

    /// Writes the session's history row if it has ended by `now`, else reschedules its check.
    pub async fn archive(&self, id: &str, now: Millis) -> Result<Archived, ArchiveError> {
        let Some(activity) = self.backend.activity(id, 0, 0).await? else {
            self.backend.forget_activity(id).await?;
            return Ok(Archived::AlreadyDone);
        };
        if activity.alive && activity.ended.is_none() {
            if activity.ends_at() > now {
                self.backend.reschedule(id, activity.ends_at()).await?;
                return Ok(Archived::StillAlive);
            }
            // Timed out but its record has not lapsed yet (clocks, TTL granularity): end it
            // here, marked as expired when it did.
            self.backend
                .end_session(id, EndReason::Expired.as_str(), activity.ends_at())
                .await?;
        }
        let reason = activity
            .ended
            .as_ref()
            .and_then(|mark| EndReason::parse(&mark.reason))
            .unwrap_or(EndReason::Expired);
        let entry = NewEntry {
            session_key: session_key(id),
            user_id: activity.user_id,
            started_at: activity.summary.started_at,
            ended_at: activity.ends_at().max(activity.summary.last_seen),
            page_count: activity.summary.page_count,
            first_pages: activity.first_pages,
            end_reason: reason.as_str().to_owned(),
        };
        let written = match session_history::insert_once(&self.db, &entry).await {
            Ok(written) => written,
            // The account was deleted meanwhile: its history goes with it, this row included.
            Err(e) if is_foreign_key_violation(&e) => false,
            Err(e) => return Err(e.into()),
        };
        if written {
            // Counted by whoever wrote the row, so once across instances and racing sweepers.
            self.tally.add_at(Counter::SessionsEnded, entry.ended_at);
        }
        self.backend.forget_activity(id).await?;
        Ok(if written {
            Archived::Written
        } else {
            Archived::AlreadyDone
        })
    }

    /// Archives every session due by `now`, if no other instance is sweeping.
    pub async fn sweep(&self, now: Millis) -> Result<SweepReport, BackendError> {
        // Random, so only this sweep can release the lock it took.
        let token = tower_sessions::session::Id::default().to_string();
        if !self.backend.try_lock("sweeper", &token, SWEEP_LOCK_MS).await? {
            return Ok(SweepReport {
                skipped: true,
                ..Default::default()
            });
        }
        let mut report = SweepReport::default();
        let result = async {
            for id in self.backend.due_sessions(now, SWEEP_BATCH).await? {
                report.checked += 1;
                match self.archive(&id, now).await {
                    Ok(Archived::Written) => report.written += 1,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "archiving failed; will retry"),
                }
            }
            // Expired cache and revocation index entries go too: indexes never need a scan.
            self.backend.trim_indexes(now).await?;
            if let Err(e) = self.roll_up(now).await {
                tracing::warn!(error = %e, "rolling up the daily figures failed; will retry");
            }
            Ok::<_, BackendError>(())
        }
        .await;
        let _ = self.backend.unlock("sweeper", &token).await;
        result.map(|()| report)
    }

    /// Writes the daily figures still summable from the per-hour counters into the database
    /// (today's so far, yesterday's whole), so the 30-day view outlives their two-day expiry.
    /// Run by every sweep, so a day is written whole as long as one sweep runs in the 25 hours
    /// after it ends. This instance's tally is added first.
    pub async fn roll_up(&self, now: Millis) -> Result<(), ArchiveError> {
        self.tally.flush(self.backend.as_ref()).await?;
        let days = stats::days_to_roll_up(self.backend.as_ref(), now).await?;
        let days: Vec<_> = days
            .into_iter()
            .filter(|(_, counts)| counts.iter().any(|&n| n != 0))
            .collect();
        daily_stats::raise(&self.db, &days).await?;
        Ok(())
    }

    /// Sweeps every `every` until the process ends. Each instance runs one; the lock lets one
    /// of them work at a time, and the schedule lives in the backend, so restarts lose nothing.
    pub fn spawn_sweeper(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            // The first sweep one interval after start-up, not at once: instances starting
            // together (or a test driving its own sweeps) do not all reach for the lock at once.
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match self.sweep(now_ms()).await {
                    Ok(report) if report.written > 0 => {
                        tracing::info!(
                            archived = report.written,
                            checked = report.checked,
                            "swept ended sessions"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => tracing::debug!(error = %e, "sweep skipped: session store unavailable"),
                }
            }
        })
    }
}

/// Largest offset into a session's visits that is looked up; only the latest
/// [`PAGES_KEPT`](crate::model::activity::PAGES_KEPT) exist anyway.
pub const MAX_OFFSET: usize = 1_000;

/// Longest path `POST /api/session/page` accepts.
pub const MAX_PAGE_LEN: usize = 2048;

/// The session's activity, newest visits first (`offset`, `limit`).
pub async fn view(
    state: &AppState,
    session: &AppSession,
    offset: usize,
    limit: usize,
) -> Result<SessionActivity, AppError> {
    if limit == 0 || limit > 100 {
        return Err(AppError::new(ErrorCode::BadRequest, Msg::LimitInvalid));
    }
    let no_session = || AppError::new(ErrorCode::NotFound, Msg::NoSession);
    let id = match session.id() {
        Some(id) => id,
        None if session.store_failed() => return Err(AppError::unavailable()),
        None => return Err(no_session()),
    };
    // One round trip: the activity read says whether the session is still alive.
    let activity = state
        .backend
        .activity(&id.to_string(), offset, limit)
        .await
        .map_err(unavailable)?
        .filter(|a| a.alive)
        .ok_or_else(no_session)?;
    let s = activity.summary;
    Ok(SessionActivity {
        start_time: rfc3339(s.started_at),
        last_seen: rfc3339(s.last_seen.max(s.started_at)),
        session_duration: (s.last_seen - s.started_at).max(0) / 1000,
        page_count: s.page_count,
        pages_visited: activity
            .pages
            .into_iter()
            .map(|v| Visit {
                page: v.path,
                at: rfc3339(v.at),
            })
            .collect(),
        offset,
        limit,
    })
}

/// The request's live session: the client's, or a new guest session (counted against the
/// per-address limit on new sessions) when it has none or its session ended.
pub async fn live_session(state: &AppState, session: &AppSession, client: &ClientInfo) -> Result<Id, AppError> {
    // Loading tells whether the client's session still exists.
    session.signed_in().await.map_err(|_| AppError::unavailable())?;
    if let Some(id) = session.id() {
        return Ok(id);
    }
    // Sent before a sign-in elsewhere renewed the id: the client's next request carries the
    // new one, which this must not replace with a guest session.
    if session.cookie_was_renewed().await {
        return Err(AppError::new(ErrorCode::NotFound, Msg::NoSession));
    }
    state
        .limiter()
        .hit(&client.rate, Rule::Sessions, &client.ip_subject())
        .await?;
    session.ensure_live().await.map_err(|_| AppError::unavailable())
}

/// Records a page view (a client-side navigation) on the session, starting a guest session
/// if there is none. Returns the page count and duration in seconds.
pub async fn track(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    page: &str,
) -> Result<(i64, i64), AppError> {
    if page.len() > MAX_PAGE_LEN || !is_same_site_path(page) {
        return Err(AppError::fields([("page".to_owned(), Msg::PageInvalid)].into()));
    }
    let record = |id: tower_sessions::session::Id| async move {
        state
            .backend
            .load_session(&id.to_string(), now_ms(), Some(page))
            .await
            .map_err(unavailable)
    };
    // The usual case, one round trip: the client's session is live and the view is recorded.
    let loaded = match session.id() {
        Some(id) => record(id).await?,
        None => None,
    };
    let loaded = match loaded {
        Some(loaded) => loaded,
        // No session, or it ended: start a guest one and record the view there.
        None => {
            let id = live_session(state, session, client).await?;
            record(id)
                .await?
                .ok_or_else(|| AppError::new(ErrorCode::NotFound, Msg::NoSession))?
        }
    };
    state.metrics.tally.page_view(page);
    let s = loaded.activity;
    Ok((s.page_count, (s.last_seen - s.started_at).max(0) / 1000))
}

/// The user's ended sessions, newest first, from `cursor`.
pub async fn history(
    state: &AppState,
    session: &AppSession,
    cursor: Option<&str>,
    limit: u64,
) -> Result<HistoryPage, AppError> {
    let me = session.require_signed_in().await?;
    if limit == 0 || limit > 100 {
        return Err(AppError::new(ErrorCode::BadRequest, Msg::LimitInvalid));
    }
    let cursor = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => Some(Cursor::decode(c).ok_or_else(|| AppError::new(ErrorCode::BadRequest, Msg::CursorInvalid))?),
        None => None,
    };
    let (rows, next) = session_history::page_for_user(&state.db, me.user_id, cursor, limit)
        .await
        .map_err(db_error)?;
    let items = rows
        .into_iter()
        .map(|r| HistoryEntry {
            id: r.id,
            started_at: rfc3339(r.started_at),
            ended_at: rfc3339(r.ended_at),
            duration_secs: r.duration_secs,
            page_count: r.page_count,
            first_pages: serde_json::from_str(&r.first_pages).unwrap_or_default(),
            end_reason: EndReason::parse(&r.end_reason).unwrap_or(EndReason::Expired),
        })
        .collect();
    Ok(HistoryPage {
        items,
        next_cursor: next.map(Cursor::encode),
    })
}
