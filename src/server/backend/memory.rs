//! The in-process implementation of [`Backend`], used when `REDIS_URL` is unset.
//!
//! It follows the Redis implementation rule for rule (see the Lua scripts next to `redis.rs`),
//! with one mutex standing in for Redis's single-threaded execution. Expired entries are dropped
//! when touched; nothing is shared between processes, so one instance only.

use std::collections::{BTreeSet, HashMap, VecDeque};

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::server::figures::HourFigures;

use super::{Backend, BackendError, BackendKind, BackendLimits, EndMark, UserView};
use crate::server::time::Millis;

#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(super) data: String,
    pub(super) expires_at: Millis,
}

#[derive(Debug, Clone)]
pub(crate) struct Activity {
    pub(super) started_at: Millis,
    pub(super) last_seen: Millis,
    pub(super) page_count: i64,
    pub(super) idle_ms: i64,
    pub(super) deadline: Option<Millis>,
    pub(super) pages: VecDeque<(Millis, String)>,
    pub(super) first_pages: Vec<String>,
    pub(super) user_id: Option<i64>,
    pub(super) ended: Option<EndMark>,
    /// Activity outlives its record by the archive grace period.
    pub(super) keep_until: Millis,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(super) records: HashMap<String, Record>,
    pub(super) activity: HashMap<String, Activity>,
    /// (expiry, id) ordered, plus each id's score: the Redis sorted set.
    pub(super) expiries: BTreeSet<(Millis, String)>,
    pub(super) expiry_scores: HashMap<String, Millis>,
    pub(super) creations: u64,
    /// user id → (handle → session id, kept until).
    pub(super) user_sessions: HashMap<i64, (HashMap<String, String>, Millis)>,
    /// token hash → (session id, kept until).
    pub(super) tokens: HashMap<String, (String, Millis)>,
    pub(super) cache: HashMap<String, (String, Millis)>,
    /// (user tag, user id) → (the user's copy of their preferences and profile, kept until): as
    /// Redis's user views hash per tag, read by the sessions whose id carries that tag.
    pub(super) user_views: HashMap<(String, i64), (UserView, Millis)>,
    /// When sessions were revoked, oldest first.
    pub(super) revoked: VecDeque<Millis>,
    /// Rate counters: name → (count, window end).
    pub(super) rates: HashMap<String, (i64, Millis)>,
    /// Hour start → that hour's figures (dropped [`KEPT_MS`] after the hour starts).
    pub(super) stats: std::collections::BTreeMap<Millis, HourFigures>,
    /// lock name → (holder's token, held until).
    pub(super) locks: HashMap<String, (String, Millis)>,
    /// Session id → (notice id → notice JSON, kept until).
    pub(super) notices: HashMap<String, (HashMap<String, String>, Millis)>,
    /// Renewed session id → marked until.
    pub(super) renewed: HashMap<String, Millis>,
}

impl State {
    pub(super) fn live_record(&mut self, id: &str, now: Millis) -> Option<&mut Record> {
        if self.records.get(id).is_some_and(|r| r.expires_at <= now) {
            self.records.remove(id);
        }
        self.records.get_mut(id)
    }

    /// Ends a session at `now` (see [`Backend::end_session`]), due for archiving at `due`.
    pub(super) fn end(&mut self, id: &str, reason: &str, now: Millis, due: Millis) {
        self.records.remove(id);
        if let Some(activity) = self.live_activity(id, now) {
            activity.ended.get_or_insert_with(|| EndMark {
                reason: reason.to_owned(),
                at: now,
            });
        }
        self.schedule_expiry(id, due);
    }

    /// What the cache key `name` holds (a value or an invalidation mark), if not expired.
    pub(super) fn cached(&self, name: &str, now: Millis) -> Option<String> {
        self.cache
            .get(name)
            .filter(|(_, until)| *until > now)
            .map(|(v, _)| v.clone())
    }

    pub(super) fn schedule_expiry(&mut self, id: &str, at: Millis) {
        if let Some(old) = self.expiry_scores.insert(id.to_owned(), at) {
            self.expiries.remove(&(old, id.to_owned()));
        }
        self.expiries.insert((at, id.to_owned()));
    }

    pub(super) fn live_notices(&self, id: &str, now: Millis) -> Vec<String> {
        match self.notices.get(id) {
            Some((notices, until)) if *until > now => notices.values().cloned().collect(),
            _ => Vec::new(),
        }
    }

    pub(super) fn unschedule_expiry(&mut self, id: &str) {
        if let Some(old) = self.expiry_scores.remove(id) {
            self.expiries.remove(&(old, id.to_owned()));
        }
    }

    /// Drops everything past its time. Called every [`PURGE_EVERY`] creations, so memory stays
    /// bounded by the live sessions at an amortised O(1) per creation.
    pub(super) fn purge(&mut self, now: Millis) {
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
    pub(super) fn trim_revoked(&mut self, now: Millis) {
        while self
            .revoked
            .front()
            .is_some_and(|at| *at <= now - super::REVOKED_WINDOW_MS)
        {
            self.revoked.pop_front();
        }
    }

    /// The copy of user `user_id` kept under `tag`, if not expired.
    pub(super) fn live_user_view(&mut self, tag: &str, user_id: i64, now: Millis) -> Option<&mut UserView> {
        let key = (tag.to_owned(), user_id);
        if self.user_views.get(&key).is_some_and(|(_, until)| *until <= now) {
            self.user_views.remove(&key);
        }
        self.user_views.get_mut(&key).map(|(view, _)| view)
    }

    pub(super) fn live_activity(&mut self, id: &str, now: Millis) -> Option<&mut Activity> {
        if self.activity.get(id).is_some_and(|a| a.keep_until <= now) {
            self.activity.remove(id);
        }
        self.activity.get_mut(id)
    }
}

pub(super) const PURGE_EVERY: u64 = 1024;
/// Rate counters kept before expired ones are dropped.
pub(super) const RATES_BEFORE_PURGE: usize = 10_000;

#[derive(Debug)]
pub struct MemoryBackend {
    pub(super) state: Mutex<State>,
    pub(super) limits: BackendLimits,
    pub(super) fallback_idle_ms: i64,
    pub(super) notice_wakeups: tokio::sync::broadcast::Sender<i64>,
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
}
