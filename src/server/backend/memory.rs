//! The in-process implementation of [`Backend`], used when `REDIS_URL` is unset.
//!
//! It follows the Redis implementation rule for rule (see the Lua scripts next to `redis.rs`),
//! with one mutex standing in for Redis's single-threaded execution. Expired entries are dropped
//! when touched; nothing is shared between processes, so one instance only.

use std::collections::{BTreeSet, HashMap, VecDeque};

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::server::figures::{Counter, HourFigures, KEPT_MS, PATHS_KEPT_PER_HOUR};

use super::{
    Activity as StoredActivity, ActivitySummary, Backend, BackendError, BackendKind, BackendLimits, Cached, Creation,
    EndMark, FillToken, LoadedSession, Millis, NewSession, PageVisit, RateCount, Saved, SessionStats, UserView,
    CACHE_MARK_TTL_MS, RENEWED_MARK_MS, USER_VIEW_TTL_MS,
};
use crate::server::time::now_ms;

#[derive(Debug, Clone)]
struct Record {
    data: String,
    expires_at: Millis,
}

#[derive(Debug, Clone)]
struct Activity {
    started_at: Millis,
    last_seen: Millis,
    page_count: i64,
    idle_ms: i64,
    deadline: Option<Millis>,
    pages: VecDeque<(Millis, String)>,
    first_pages: Vec<String>,
    user_id: Option<i64>,
    ended: Option<EndMark>,
    /// Activity outlives its record by the archive grace period.
    keep_until: Millis,
}

#[derive(Debug, Default)]
struct State {
    records: HashMap<String, Record>,
    activity: HashMap<String, Activity>,
    /// (expiry, id) ordered, plus each id's score: the Redis sorted set.
    expiries: BTreeSet<(Millis, String)>,
    expiry_scores: HashMap<String, Millis>,
    creations: u64,
    /// user id → (handle → session id, kept until).
    user_sessions: HashMap<i64, (HashMap<String, String>, Millis)>,
    /// token hash → (session id, kept until).
    tokens: HashMap<String, (String, Millis)>,
    cache: HashMap<String, (String, Millis)>,
    /// Session id → (its copy of the user's preferences and profile, kept until).
    user_views: HashMap<String, (UserView, Millis)>,
    /// When sessions were revoked, oldest first.
    revoked: VecDeque<Millis>,
    /// Rate counters: name → (count, window end).
    rates: HashMap<String, (i64, Millis)>,
    /// Hour start → that hour's figures (dropped [`KEPT_MS`] after the hour starts).
    stats: std::collections::BTreeMap<Millis, HourFigures>,
    /// lock name → (holder's token, held until).
    locks: HashMap<String, (String, Millis)>,
    /// Session id → (notice id → notice JSON, kept until).
    notices: HashMap<String, (HashMap<String, String>, Millis)>,
    /// Renewed session id → marked until.
    renewed: HashMap<String, Millis>,
}

impl State {
    fn live_record(&mut self, id: &str, now: Millis) -> Option<&mut Record> {
        if self.records.get(id).is_some_and(|r| r.expires_at <= now) {
            self.records.remove(id);
        }
        self.records.get_mut(id)
    }

    /// Ends a session at `now` (see [`Backend::end_session`]), due for archiving at `due`.
    fn end(&mut self, id: &str, reason: &str, now: Millis, due: Millis) {
        self.records.remove(id);
        self.user_views.remove(id);
        if let Some(activity) = self.live_activity(id, now) {
            activity.ended.get_or_insert_with(|| EndMark {
                reason: reason.to_owned(),
                at: now,
            });
        }
        self.schedule_expiry(id, due);
    }

    /// What the cache key `name` holds (a value or an invalidation mark), if not expired.
    fn cached(&self, name: &str, now: Millis) -> Option<String> {
        self.cache
            .get(name)
            .filter(|(_, until)| *until > now)
            .map(|(v, _)| v.clone())
    }

    fn schedule_expiry(&mut self, id: &str, at: Millis) {
        if let Some(old) = self.expiry_scores.insert(id.to_owned(), at) {
            self.expiries.remove(&(old, id.to_owned()));
        }
        self.expiries.insert((at, id.to_owned()));
    }

    fn live_notices(&self, id: &str, now: Millis) -> Vec<String> {
        match self.notices.get(id) {
            Some((notices, until)) if *until > now => notices.values().cloned().collect(),
            _ => Vec::new(),
        }
    }

    fn unschedule_expiry(&mut self, id: &str) {
        if let Some(old) = self.expiry_scores.remove(id) {
            self.expiries.remove(&(old, id.to_owned()));
        }
    }

    /// Drops everything past its time. Called every [`PURGE_EVERY`] creations, so memory stays
    /// bounded by the live sessions at an amortised O(1) per creation.
    fn purge(&mut self, now: Millis) {
        self.records.retain(|_, r| r.expires_at > now);
        self.activity.retain(|_, a| a.keep_until > now);
        self.user_sessions.retain(|_, (_, until)| *until > now);
        self.tokens.retain(|_, (_, until)| *until > now);
        self.cache.retain(|_, (_, until)| *until > now);
        self.user_views.retain(|_, (_, until)| *until > now);
        self.notices.retain(|_, (_, until)| *until > now);
        self.rates.retain(|_, (_, until)| *until > now);
        self.renewed.retain(|_, until| *until > now);
        let gone: Vec<String> = self
            .expiry_scores
            .keys()
            .filter(|id| !self.activity.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            self.unschedule_expiry(&id);
        }
    }

    /// Drops revocations older than the window [`SessionStats`] counts.
    fn trim_revoked(&mut self, now: Millis) {
        while self
            .revoked
            .front()
            .is_some_and(|at| *at <= now - super::REVOKED_WINDOW_MS)
        {
            self.revoked.pop_front();
        }
    }

    fn live_user_view(&mut self, id: &str, now: Millis) -> Option<&mut UserView> {
        if self.user_views.get(id).is_some_and(|(_, until)| *until <= now) {
            self.user_views.remove(id);
        }
        self.user_views.get_mut(id).map(|(view, _)| view)
    }

    fn live_activity(&mut self, id: &str, now: Millis) -> Option<&mut Activity> {
        if self.activity.get(id).is_some_and(|a| a.keep_until <= now) {
            self.activity.remove(id);
        }
        self.activity.get_mut(id)
    }
}

const PURGE_EVERY: u64 = 1024;
/// Rate counters kept before expired ones are dropped.
const RATES_BEFORE_PURGE: usize = 10_000;

#[derive(Debug)]
pub struct MemoryBackend {
    state: Mutex<State>,
    limits: BackendLimits,
    fallback_idle_ms: i64,
    notice_wakeups: tokio::sync::broadcast::Sender<i64>,
}

impl MemoryBackend {
    pub fn new(limits: BackendLimits, fallback_idle_ms: i64) -> Self {
        Self {
            state: Mutex::default(),
            limits,
            fallback_idle_ms,
            notice_wakeups: tokio::sync::broadcast::channel(256).0,
        }
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Memory
    }

    async fn ping(&self) -> Result<(), BackendError> {
        Ok(())
    }

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
        let view = state.live_user_view(id, now).cloned().unwrap_or_default();
        let notices = state.live_notices(id, now);
        Ok(Some(LoadedSession {
            record,
            activity: summary,
            expires_at,
            view,
            notices,
        }))
    }

    async fn store_user_view(&self, id: &str, view: &UserView) -> Result<bool, BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        if state.live_record(id, now).is_none() {
            return Ok(false);
        }
        let epoch = state.live_user_view(id, now).map_or(0, |v| v.epoch);
        if epoch != view.epoch {
            return Ok(false);
        }
        state
            .user_views
            .insert(id.to_owned(), (view.clone(), now + USER_VIEW_TTL_MS));
        Ok(true)
    }

    async fn forget_user_views(&self, ids: &[String]) -> Result<(), BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        for id in ids {
            let epoch = state.live_user_view(id, now).map_or(0, |v| v.epoch) + 1;
            let forgotten = UserView {
                epoch,
                ..UserView::default()
            };
            state.user_views.insert(id.clone(), (forgotten, now + USER_VIEW_TTL_MS));
        }
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

    async fn try_lock(&self, name: &str, token: &str, ttl_ms: i64) -> Result<bool, BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        if state.locks.get(name).is_some_and(|(_, until)| *until > now) {
            return Ok(false);
        }
        state.locks.insert(name.to_owned(), (token.to_owned(), now + ttl_ms));
        Ok(true)
    }

    async fn unlock(&self, name: &str, token: &str) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        if state.locks.get(name).is_some_and(|(holder, _)| holder == token) {
            state.locks.remove(name);
        }
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

    async fn index_user_session(
        &self,
        user_id: i64,
        handle: &str,
        id: &str,
        until: Millis,
    ) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        let entry = state
            .user_sessions
            .entry(user_id)
            .or_insert_with(|| (HashMap::new(), until));
        entry.0.insert(handle.to_owned(), id.to_owned());
        entry.1 = entry.1.max(until);
        Ok(())
    }

    async fn user_sessions(&self, user_id: i64) -> Result<Vec<(String, String)>, BackendError> {
        let now = now_ms();
        let state = self.state.lock();
        Ok(match state.user_sessions.get(&user_id) {
            Some((map, until)) if *until > now => map.iter().map(|(h, s)| (h.clone(), s.clone())).collect(),
            _ => Vec::new(),
        })
    }

    async fn unindex_user_sessions(&self, user_id: i64, handles: &[String]) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        if let Some((map, _)) = state.user_sessions.get_mut(&user_id) {
            for handle in handles {
                map.remove(handle);
            }
            if map.is_empty() {
                state.user_sessions.remove(&user_id);
            }
        }
        Ok(())
    }

    async fn put_token(&self, _user_id: i64, token_hash: &str, id: &str, until: Millis) -> Result<(), BackendError> {
        self.state
            .lock()
            .tokens
            .insert(token_hash.to_owned(), (id.to_owned(), until));
        Ok(())
    }

    async fn forget_user(&self, user_id: i64) -> Result<(), BackendError> {
        let mut state = self.state.lock();
        let Some((index, _)) = state.user_sessions.remove(&user_id) else {
            return Ok(());
        };
        let ids: std::collections::HashSet<String> = index.into_values().collect();
        for id in &ids {
            state.records.remove(id);
            state.activity.remove(id);
            state.user_views.remove(id);
            state.notices.remove(id);
            state.unschedule_expiry(id);
        }
        state.tokens.retain(|_, (id, _)| !ids.contains(id));
        Ok(())
    }

    async fn add_notice(&self, user_id: i64, ids: &[String], notice_id: &str, json: &str) -> Result<(), BackendError> {
        let now = now_ms();
        let until = now + super::NOTICE_TTL_MS;
        {
            let mut state = self.state.lock();
            for id in ids {
                if state.live_record(id, now).is_none() {
                    continue;
                }
                let entry = state.notices.entry(id.clone()).or_default();
                entry.0.insert(notice_id.to_owned(), json.to_owned());
                entry.1 = until;
                // The newest only, as in Redis (ids sort by time).
                while entry.0.len() > super::NOTICES_KEPT {
                    let oldest = entry.0.keys().min().cloned();
                    if let Some(oldest) = oldest {
                        entry.0.remove(&oldest);
                    }
                }
            }
        }
        let _ = self.notice_wakeups.send(user_id);
        Ok(())
    }

    async fn notices(&self, id: &str) -> Result<Option<Vec<String>>, BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        if state.live_record(id, now).is_none() {
            return Ok(None);
        }
        Ok(Some(state.live_notices(id, now)))
    }

    async fn dismiss_notice(&self, id: &str, notice_id: &str) -> Result<bool, BackendError> {
        let mut state = self.state.lock();
        Ok(state
            .notices
            .get_mut(id)
            .is_some_and(|(notices, _)| notices.remove(notice_id).is_some()))
    }

    fn notice_wakeups(&self) -> tokio::sync::broadcast::Receiver<i64> {
        self.notice_wakeups.subscribe()
    }

    async fn resolve_token(&self, token_hash: &str) -> Result<Option<String>, BackendError> {
        let now = now_ms();
        Ok(self
            .state
            .lock()
            .tokens
            .get(token_hash)
            .filter(|(_, until)| *until > now)
            .map(|(id, _)| id.clone()))
    }

    async fn cache_get(&self, name: &str) -> Result<Cached, BackendError> {
        let now = now_ms();
        Ok(Cached::from_stored(self.state.lock().cached(name, now)))
    }

    async fn cache_get_many(&self, names: &[String]) -> Result<Vec<Cached>, BackendError> {
        let now = now_ms();
        let state = self.state.lock();
        Ok(names
            .iter()
            .map(|name| Cached::from_stored(state.cached(name, now)))
            .collect())
    }

    async fn cache_fill(&self, name: &str, token: &FillToken, value: &str, ttl_ms: i64) -> Result<bool, BackendError> {
        let now = now_ms();
        let mut state = self.state.lock();
        if state.cached(name, now).unwrap_or_default() != token.expected() {
            return Ok(false);
        }
        state.cache.insert(name.to_owned(), (value.to_owned(), now + ttl_ms));
        Ok(true)
    }

    async fn cache_invalidate(&self, name: &str) -> Result<(), BackendError> {
        let until = now_ms() + CACHE_MARK_TTL_MS;
        self.state
            .lock()
            .cache
            .insert(name.to_owned(), (FillToken::new_mark(), until));
        Ok(())
    }

    async fn cache_delete(&self, name: &str) -> Result<(), BackendError> {
        self.state.lock().cache.remove(name);
        Ok(())
    }

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
        Ok(RateCount {
            count: entry.0,
            resets_at: entry.1,
        })
    }

    async fn rate_clear(&self, name: &str) -> Result<(), BackendError> {
        self.state.lock().rates.remove(name);
        Ok(())
    }

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
                    name.starts_with("profile:") && *until > now && !value.starts_with(FillToken::MARK)
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
            for counter in Counter::ALL {
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
