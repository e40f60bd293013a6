//! [`Sessions`](super::Sessions) in process memory.

use std::collections::VecDeque;

use async_trait::async_trait;

use super::{
    Activity as StoredActivity, ActivitySummary, Creation, LoadedSession, NewSession, PageVisit, Saved, UserView,
    RENEWED_MARK_MS, USER_VIEW_TTL_MS,
};
use crate::server::backend::{keys::session_tag, memory::Activity, RateCounters};
use crate::server::{
    backend::{
        memory::{MemoryBackend, Record, PURGE_EVERY},
        BackendError,
    },
    time::{now_ms, Millis},
};

#[async_trait]
impl super::Sessions for MemoryBackend {
    async fn create_session(&self, new: &NewSession<'_>) -> Result<Creation, BackendError> {
        if let Some(admission) = new.admission {
            let counted = self
                .rate_count(admission.counter, 1, admission.window_ms, new.now)
                .await?;
            if counted.count > admission.max {
                return Ok(Creation::Refused);
            }
        }
        let mut state = self.state.lock();
        state.creations += 1;
        if state.creations.is_multiple_of(PURGE_EVERY) {
            state.purge(new.now);
        }
        if state.live_record(new.id, new.now).is_some() {
            return Ok(Creation::IdTaken);
        }
        let expires_at = new.policy.expires_at(new.now);
        let keep_until = expires_at + self.limits.archive_grace_ms;
        state.records.insert(
            new.id.to_owned(),
            Record {
                data: new.record.to_owned(),
                expires_at,
            },
        );
        let start = new.initial_activity(self.limits.pages_kept);
        state.activity.insert(
            new.id.to_owned(),
            Activity {
                started_at: start.started_at,
                last_seen: new.now,
                page_count: start.page_count,
                idle_ms: new.policy.idle_ms,
                deadline: new.policy.deadline,
                pages: start.pages.into_iter().map(|v| (v.at, v.path)).collect(),
                first_pages: start.first_pages,
                user_id: new.user_id,
                ended: None,
                keep_until,
            },
        );
        state.schedule_expiry(new.id, expires_at);
        Ok(Creation::Created)
    }

    async fn load_session(
        &self,
        id: &str,
        now: Millis,
        page: Option<&str>,
    ) -> Result<Option<LoadedSession>, BackendError> {
        let mut state = self.state.lock();
        let Some(record) = state.live_record(id, now).map(|r| r.data.clone()) else {
            return Ok(None);
        };
        let fallback_idle_ms = self.fallback_idle_ms;
        let (idle_ms, deadline) = match state.live_activity(id, now) {
            Some(a) => (a.idle_ms, a.deadline),
            None => (fallback_idle_ms, None),
        };
        let expires_at = super::ExpiryPolicy { idle_ms, deadline }.expires_at(now);
        if expires_at <= now {
            state.records.remove(id);
            return Ok(None);
        }
        let keep_until = expires_at + self.limits.archive_grace_ms;
        let pages_kept = self.limits.pages_kept;
        let activity = state.activity.entry(id.to_owned()).or_insert_with(|| Activity {
            started_at: now,
            last_seen: now,
            page_count: 0,
            idle_ms,
            deadline,
            pages: VecDeque::new(),
            first_pages: Vec::new(),
            user_id: None,
            ended: None,
            keep_until,
        });
        activity.last_seen = activity.last_seen.max(now);
        if let Some(page) = page {
            activity.page_count += 1;
            activity.pages.push_back((now, page.to_owned()));
            while activity.pages.len() > pages_kept {
                activity.pages.pop_front();
            }
            if activity.page_count <= super::FIRST_PAGES_KEPT as i64 {
                activity.first_pages.push(page.to_owned());
            }
        }
        activity.keep_until = keep_until;
        let summary = ActivitySummary {
            started_at: activity.started_at,
            last_seen: activity.last_seen,
            page_count: activity.page_count,
        };
        if let Some(r) = state.records.get_mut(id) {
            r.expires_at = expires_at;
        }
        let user_id = state.activity.get(id).and_then(|a| a.user_id);
        let view = user_id
            .and_then(|user_id| state.live_user_view(session_tag(id), user_id, now).cloned())
            .unwrap_or_default();
        let notices = state.live_notices(id, now);
        Ok(Some(LoadedSession {
            record,
            activity: summary,
            expires_at,
            view,
            notices,
        }))
    }

    async fn store_user_view(&self, id: &str, user_id: i64, view: &UserView) -> Result<bool, BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        if state.live_record(id, now).is_none() {
            return Ok(false);
        }
        let tag = session_tag(id);
        let epoch = state.live_user_view(tag, user_id, now).map_or(0, |v| v.epoch);
        if epoch != view.epoch {
            return Ok(false);
        }
        state
            .user_views
            .insert((tag.to_owned(), user_id), (view.clone(), now + USER_VIEW_TTL_MS));
        Ok(true)
    }

    async fn forget_user_view(&self, user_tag: &str, user_id: i64) -> Result<(), BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        // As Redis: never an epoch seen before, even once the last one has expired.
        let epoch = (state.live_user_view(user_tag, user_id, now).map_or(0, |v| v.epoch) + 1).max(now);
        let forgotten = UserView {
            epoch,
            ..UserView::default()
        };
        state
            .user_views
            .insert((user_tag.to_owned(), user_id), (forgotten, now + USER_VIEW_TTL_MS));
        Ok(())
    }

    async fn save_session(&self, id: &str, record: &str, expected: &str) -> Result<Saved, BackendError> {
        let mut state = self.state.lock();
        Ok(match state.live_record(id, now_ms()) {
            Some(r) if r.data == expected => {
                r.data = record.to_owned();
                Saved::Saved
            }
            Some(r) => Saved::Changed(r.data.clone()),
            None => Saved::Gone,
        })
    }

    async fn end_session(&self, id: &str, reason: &str, now: Millis) -> Result<(), BackendError> {
        self.state.lock().end(id, reason, now, now);
        Ok(())
    }

    async fn renew_session(&self, id: &str, now: Millis) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        state.end(
            id,
            crate::model::EndReason::Renewed.as_str(),
            now,
            now + RENEWED_MARK_MS,
        );
        state.renewed.insert(id.to_owned(), now + RENEWED_MARK_MS);
        Ok(())
    }

    async fn is_renewed(&self, id: &str) -> Result<bool, BackendError> {
        let now = now_ms();
        Ok(self.state.lock().renewed.get(id).is_some_and(|until| *until > now))
    }

    async fn activity(&self, id: &str, offset: usize, limit: usize) -> Result<Option<StoredActivity>, BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        let alive = state.live_record(id, now).is_some();
        let fallback_idle_ms = self.fallback_idle_ms;
        Ok(state.live_activity(id, now).map(|a| StoredActivity {
            summary: ActivitySummary {
                started_at: a.started_at,
                last_seen: a.last_seen,
                page_count: a.page_count,
            },
            user_id: a.user_id,
            policy: super::ExpiryPolicy {
                idle_ms: if a.idle_ms > 0 { a.idle_ms } else { fallback_idle_ms },
                deadline: a.deadline,
            },
            alive,
            ended: a.ended.clone(),
            pages: a
                .pages
                .iter()
                .rev()
                .skip(offset)
                .take(limit)
                .map(|(at, path)| PageVisit {
                    at: *at,
                    path: path.clone(),
                })
                .collect(),
            first_pages: a.first_pages.clone(),
        }))
    }

    async fn due_sessions(&self, now: Millis, limit: usize) -> Result<Vec<String>, BackendError> {
        let state = self.state.lock();
        Ok(state
            .expiries
            .iter()
            .take_while(|(at, _)| *at <= now)
            .take(limit)
            .map(|(_, id)| id.clone())
            .collect())
    }

    async fn reschedule(&self, id: &str, at: Millis) -> Result<(), BackendError> {
        self.state.lock().schedule_expiry(id, at);
        Ok(())
    }

    async fn forget_activity(&self, id: &str) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        state.activity.remove(id);
        state.unschedule_expiry(id);
        Ok(())
    }

    async fn peek_sessions(&self, ids: &[String]) -> Result<Vec<Option<LoadedSession>>, BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        Ok(ids
            .iter()
            .map(|id| {
                let record = state.live_record(id, now).map(|r| (r.data.clone(), r.expires_at))?;
                let activity = state
                    .activity
                    .get(id)
                    .map_or(ActivitySummary::default(), |a| ActivitySummary {
                        started_at: a.started_at,
                        last_seen: a.last_seen,
                        page_count: a.page_count,
                    });
                Some(LoadedSession {
                    record: record.0,
                    activity,
                    expires_at: record.1,
                    view: UserView::default(),
                    notices: Vec::new(),
                })
            })
            .collect())
    }
}
