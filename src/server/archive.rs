//! Ending sessions and archiving them into `session_history`, exactly once, and the sweeper that
//! archives the ones that ended by timing out.
//!
//! An ended session (on purpose or by timing out) keeps its activity in the backend until it is
//! archived. Archiving reads it, inserts one row keyed by the session's hash (a unique column:
//! however many archivers race, one row), then forgets the activity. If any step fails the
//! activity stays scheduled and the sweeper tries again later, so nothing is lost to a fault.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;

use crate::{
    model::EndReason,
    server::{
        backend::{session_key, Backend, BackendError},
        figures::Figure,
        repo::{
            daily_stats, is_foreign_key_violation, security_log,
            session_history::{self, NewEntry},
        },
        stats::{self, Tally},
        time::{now_ms, Millis},
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

impl Archiver {
    pub fn new(backend: Arc<dyn Backend>, db: DatabaseConnection, tally: Arc<Tally>) -> Self {
        Self { backend, db, tally }
    }

    /// Ends a session now and archives it. The session is over once this returns `Ok`, even
    /// if archiving failed (it is then left to the sweeper, and logged).
    pub async fn end(&self, id: &str, reason: EndReason) -> Result<(), BackendError> {
        self.backend.end_session(id, reason.as_str(), now_ms()).await?;
        // Every end that makes a signed-in credential worthless before its time (seed 001's
        // blacklist); not a renewal (the visit goes on), a timeout, or a guest's end.
        let credential_ended = match reason {
            EndReason::Revoked
            | EndReason::PasswordChange
            | EndReason::PasswordReset
            | EndReason::SignOutEverywhere => true,
            EndReason::SignOut | EndReason::Ended => {
                matches!(self.backend.activity(id, 0, 0).await, Ok(Some(a)) if a.user_id.is_some())
            }
            EndReason::Renewed | EndReason::Expired => false,
        };
        if credential_ended {
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
            self.tally.add_at(Figure::SessionsEnded, entry.ended_at);
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
            // Security log entries past their retention (an indexed range delete, usually empty).
            if let Err(e) = security_log::prune_expired(&self.db, now).await {
                tracing::warn!(error = %e, "pruning the security log failed; will retry");
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
