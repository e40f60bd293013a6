//! Everything the app keeps in Redis, behind one trait.
//!
//! Two implementations share the rules: [`redis::RedisBackend`] (each operation one atomic round
//! trip, Lua where the steps depend on each other) and [`memory::MemoryBackend`] (the embedded
//! default when `REDIS_URL` is unset, one mutex, same semantics). `tests/backend.rs` runs one
//! suite against both so they cannot drift apart.
//!
//! Per session, up to four keys share the session id as Redis Cluster hash tag (see [`keys`]):
//! the tower-sessions record, an activity hash (with the first paths, for the history), a list
//! of visited pages and, once signed in, its copy of the user ([`UserView`]). The record's TTL
//! is the session's expiry; activity outlives it by a grace period so an expired session can
//! still be archived. `bench/memory.sh` measures what a session costs.

pub mod keys;
pub mod memory;
pub mod redis;

use crate::server::time::Millis;
use async_trait::async_trait;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Redis,
    Memory,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Redis did not answer in time, or is not connected. Callers degrade or answer 503.
    #[error("session store unavailable: {0}")]
    Unavailable(String),
    /// Anything else (a reply of the wrong shape, a script error). Logged, never shown.
    #[error("session store error: {0}")]
    Other(String),
}

impl From<BackendError> for crate::error::AppError {
    /// The store failing is "try again" to the client (503); the cause is logged, not shown.
    fn from(e: BackendError) -> Self {
        tracing::warn!(error = %e, "session store unavailable");
        crate::error::AppError::unavailable()
    }
}

/// [`BackendError`] as the client sees it (for `map_err`): see the `From` conversion.
pub fn unavailable(e: BackendError) -> crate::error::AppError {
    e.into()
}

/// The history row's key for a session: its id's SHA-256, never the id.
pub fn session_key(id: &str) -> String {
    Sha256::digest(id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How long a session lives without activity, and the hard deadline if it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    pub idle_ms: i64,
    /// Absolute end (signed-in sessions); `None` for guests.
    pub deadline: Option<Millis>,
}

impl ExpiryPolicy {
    /// When a session touched at `now` expires.
    pub fn expires_at(&self, now: Millis) -> Millis {
        let idle_end = now.saturating_add(self.idle_ms);
        self.deadline.map_or(idle_end, |d| d.min(idle_end))
    }
}

/// A session to create.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id: &'a str,
    /// The serialized tower-sessions record.
    pub record: &'a str,
    pub now: Millis,
    pub policy: ExpiryPolicy,
    /// The first page view, when the session is created by one.
    pub first_page: Option<&'a str>,
    /// The signed-in user, kept with the activity so the archive knows whose it was even
    /// after the record has expired.
    pub user_id: Option<i64>,
    /// A rate limit the creation counts against (new guest sessions per address): counted in
    /// the same round trip, and the session is not kept when it is over.
    pub admission: Option<Admission<'a>>,
    /// The visit so far, when this session continues one whose id was renewed (sign-in,
    /// password change): it starts where that one started, with its pages.
    pub carried: Option<&'a CarriedVisit>,
}

impl NewSession<'_> {
    /// The activity the session starts with: the carried visit, if any, then the first page.
    pub fn initial_activity(&self, pages_kept: usize) -> CarriedVisit {
        let mut visit = self.carried.cloned().unwrap_or(CarriedVisit {
            started_at: self.now,
            page_count: 0,
            first_pages: Vec::new(),
            pages: Vec::new(),
        });
        if let Some(page) = self.first_page {
            visit.page_count += 1;
            visit.pages.push(PageVisit {
                at: self.now,
                path: page.to_owned(),
            });
            if visit.first_pages.len() < FIRST_PAGES_KEPT {
                visit.first_pages.push(page.to_owned());
            }
        }
        let excess = visit.pages.len().saturating_sub(pages_kept);
        visit.pages.drain(..excess);
        visit
    }
}

/// A visit moved from a session that is being renewed into the session that replaces it, so
/// that changing the id (against session fixation, OWASP Session Management Cheat Sheet) does
/// not cut the visit in two: the history shows one visit, started when it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarriedVisit {
    pub started_at: Millis,
    pub page_count: i64,
    /// The first [`FIRST_PAGES_KEPT`] paths, in order.
    pub first_pages: Vec<String>,
    /// The kept visits, oldest first.
    pub pages: Vec<PageVisit>,
}

impl From<Activity> for CarriedVisit {
    fn from(activity: Activity) -> Self {
        let mut pages = activity.pages;
        pages.reverse();
        Self {
            started_at: activity.summary.started_at,
            page_count: activity.summary.page_count,
            first_pages: activity.first_pages,
            pages,
        }
    }
}

/// How long a renewed session's id is remembered as renewed (see [`Backend::is_renewed`]):
/// longer than any request started before the renewal can take.
pub const RENEWED_MARK_MS: i64 = 60_000;

/// What a cache read found: a value, or a miss carrying what the key held instead (nothing, or
/// the mark an invalidation left), which a fill must present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cached {
    Hit(String),
    Miss(FillToken),
}

impl Cached {
    /// Reads what a cache key held: a mark (it starts with [`FillToken::MARK`], which no
    /// cached JSON does) or nothing is a miss.
    pub fn from_stored(stored: Option<String>) -> Self {
        match stored {
            Some(value) if !value.starts_with(FillToken::MARK) => Cached::Hit(value),
            other => Cached::Miss(FillToken(other)),
        }
    }

    pub fn hit(&self) -> Option<&str> {
        match self {
            Cached::Hit(value) => Some(value),
            Cached::Miss(_) => None,
        }
    }

    /// The token a fill needs to replace what was read: after a miss, what the key held; after
    /// a hit the caller could not use (written by another version), that value itself.
    pub fn into_fill_token(self) -> FillToken {
        match self {
            Cached::Hit(value) => FillToken(Some(value)),
            Cached::Miss(token) => token,
        }
    }
}

/// The state a cache read saw on a miss. A fill succeeds only if the key still holds exactly
/// that, so a value read from the database before an invalidation can never be stored after
/// it (the stale-set race of read-through caches).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FillToken(pub(crate) Option<String>);

impl FillToken {
    /// First character of an invalidation mark.
    pub const MARK: char = '~';

    /// A fresh invalidation mark.
    pub fn new_mark() -> String {
        format!("{}{}", Self::MARK, tower_sessions::session::Id::default())
    }

    /// The value to compare with: the mark, or `""` for an absent key.
    pub fn expected(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }
}

/// How long an invalidation mark stays: longer than any request that read before it can take,
/// so its late fill still meets the mark.
pub const CACHE_MARK_TTL_MS: i64 = 60_000;

/// A rate counter a creation must fit in (see [`NewSession::admission`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission<'a> {
    /// The counter's name, as for [`Backend::rate_count`].
    pub counter: &'a str,
    pub window_ms: i64,
    pub max: i64,
}

/// What [`Backend::save_session`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    Saved,
    /// The session has ended.
    Gone,
    /// Another request saved it since it was loaded: the record it holds now.
    Changed(String),
}

/// What [`Backend::create_session`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    Created,
    /// The id is in use: pick another.
    IdTaken,
    /// Over the admission limit: nothing was kept.
    Refused,
}

/// What the per-session activity keys hold, as seen right after an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActivitySummary {
    pub started_at: Millis,
    pub last_seen: Millis,
    pub page_count: i64,
}

/// A session loaded (and touched) by [`Backend::load_session`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedSession {
    pub record: String,
    pub activity: ActivitySummary,
    pub expires_at: Millis,
    /// The session's copy of its user's preferences and profile (signed-in sessions).
    pub view: UserView,
    /// Its pending notices (JSON), in no order.
    pub notices: Vec<String>,
}

/// How long a notice waits for its session's next page.
pub const NOTICE_TTL_MS: i64 = 24 * 3600 * 1000;

/// Notices kept per session, the newest (a page shows fewer).
pub const NOTICES_KEPT: usize = 10;

/// How long a session's [`UserView`] is trusted, like the per-user caches it copies: a change
/// whose invalidation was lost (Redis blipped) shows everywhere within this time.
pub const USER_VIEW_TTL_MS: i64 = 30 * 60 * 1000;

/// What a signed-in session's pages show of its user (the preferences and profile as cached
/// JSON), kept in the session's own cluster slot so that a page view reads it in the same round
/// trip that loads the session. Changing the user's preferences or profile invalidates every
/// session's copy; [`Self::epoch`] makes a copy read before an invalidation impossible to store
/// after it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserView {
    pub prefs: Option<String>,
    pub profile: Option<String>,
    /// Invalidations so far (within the copy's lifetime), as read with the session.
    pub epoch: i64,
}

impl UserView {
    /// Both parts present: the page needs nothing else from Redis.
    pub fn complete(&self) -> Option<(&str, &str)> {
        Some((self.prefs.as_deref()?, self.profile.as_deref()?))
    }
}

/// One recorded page view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageVisit {
    pub at: Millis,
    pub path: String,
}

/// Why and when a session was ended on purpose (expiry has no mark: it is inferred).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndMark {
    pub reason: String,
    pub at: Millis,
}

/// A session's activity as stored, live or ended and waiting to be archived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub summary: ActivitySummary,
    pub user_id: Option<i64>,
    pub policy: ExpiryPolicy,
    /// Whether the session record still exists (the session can still be used).
    pub alive: bool,
    pub ended: Option<EndMark>,
    /// The requested slice of the kept visits, newest first.
    pub pages: Vec<PageVisit>,
    /// The first [`FIRST_PAGES_KEPT`] paths, in order.
    pub first_pages: Vec<String>,
}

impl Activity {
    /// When the session ended or will end: its mark, else its last activity plus its idle
    /// timeout (never past its deadline).
    pub fn ends_at(&self) -> Millis {
        match &self.ended {
            Some(mark) => mark.at,
            None => self.policy.expires_at(self.summary.last_seen),
        }
    }
}

/// Reads a stored visit, `"<millis> <path>"`.
pub(crate) fn parse_visit(entry: &str) -> Option<PageVisit> {
    let (at, path) = entry.split_once(' ')?;
    Some(PageVisit {
        at: at.parse().ok()?,
        path: path.to_owned(),
    })
}

/// Counts for the health check, each read without scanning the keyspace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionStats {
    /// Sessions alive, or ended and not yet archived (at most one sweep interval).
    pub active_sessions: u64,
    pub cached_profiles: u64,
    /// Sessions ended by revocation, sign-out everywhere or a password change in the last day.
    pub revoked_sessions: u64,
}

/// How long a revocation is counted in [`SessionStats::revoked_sessions`].
pub const REVOKED_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// A fixed-window counter's state after [`Backend::rate_count`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateCount {
    pub count: i64,
    /// When the window ends (the counter starts again from zero).
    pub resets_at: Millis,
}

/// How many of a session's first paths are kept for its history entry.
pub const FIRST_PAGES_KEPT: usize = 10;

/// Tuning shared by both backends.
#[derive(Debug, Clone, Copy)]
pub struct BackendLimits {
    /// Newest page views kept per session (the total count is kept separately).
    pub pages_kept: usize,
    /// How long activity outlives its session, for the archiving sweeper.
    pub archive_grace_ms: i64,
}

impl Default for BackendLimits {
    fn default() -> Self {
        Self {
            pages_kept: crate::model::activity::PAGES_KEPT,
            archive_grace_ms: 24 * 3600 * 1000,
        }
    }
}

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    fn kind(&self) -> BackendKind;

    /// Cheap liveness probe for health checks.
    async fn ping(&self) -> Result<(), BackendError>;

    /// Stores a new session unless the id is taken or its admission limit is passed.
    async fn create_session(&self, new: &NewSession<'_>) -> Result<Creation, BackendError>;

    /// Loads a live session and, in the same atomic step, marks it seen at `now`, records
    /// `page` when given, and slides its expiry by its idle timeout (never past its deadline).
    /// `None` when the session does not exist or has passed its deadline.
    async fn load_session(
        &self,
        id: &str,
        now: Millis,
        page: Option<&str>,
    ) -> Result<Option<LoadedSession>, BackendError>;

    /// Stores a signed-in session's copy of its user's preferences and profile, unless the
    /// session has ended or the copy was invalidated since `view.epoch` was read. `true` when
    /// stored.
    async fn store_user_view(&self, id: &str, view: &UserView) -> Result<bool, BackendError>;

    /// Invalidates these sessions' copies of their user's preferences and profile (the user
    /// changed them), in one round trip.
    async fn forget_user_views(&self, ids: &[String]) -> Result<(), BackendError>;

    /// Replaces the record of an existing session, keeping its expiry, if it still holds
    /// `expected` (the record as the caller loaded it). A session ended meanwhile is never
    /// brought back; a record changed meanwhile is returned for the caller to merge into.
    async fn save_session(&self, id: &str, record: &str, expected: &str) -> Result<Saved, BackendError>;

    /// Ends a session now: the record goes (the session cannot be used again) and the activity
    /// is marked with `reason` and `now` (unless already marked) and kept, due for archiving.
    async fn end_session(&self, id: &str, reason: &str, now: Millis) -> Result<(), BackendError>;

    /// Ends a session whose id is being renewed (sign-in, password change): as
    /// [`Self::end_session`] with reason `renewed`, and the id is remembered as renewed for
    /// [`RENEWED_MARK_MS`] (see [`Self::is_renewed`]). Its activity is due for archiving only
    /// when the mark lapses, so the session that replaces it takes it over first
    /// ([`NewSession::carried`], then [`Self::forget_activity`]); if none does, it is archived
    /// then, and nothing is lost.
    async fn renew_session(&self, id: &str, now: Millis) -> Result<(), BackendError>;

    /// Whether the session `id` was renewed in the last [`RENEWED_MARK_MS`]: a request that
    /// still carries it was sent before the client got its new id, and must neither start a
    /// guest session in its place nor clear the cookie (which now names the live session).
    async fn is_renewed(&self, id: &str) -> Result<bool, BackendError>;

    /// A session's activity with `limit` visits from the `offset`-th newest. `None` when the
    /// session has none (never existed, archived, or past the grace period).
    async fn activity(&self, id: &str, offset: usize, limit: usize) -> Result<Option<Activity>, BackendError>;

    /// Up to `limit` sessions whose scheduled check time is at or before `now`.
    async fn due_sessions(&self, now: Millis, limit: usize) -> Result<Vec<String>, BackendError>;

    /// Moves a session's scheduled check to `at` (it was found still alive).
    async fn reschedule(&self, id: &str, at: Millis) -> Result<(), BackendError>;

    /// Drops an archived session's activity and schedule.
    async fn forget_activity(&self, id: &str) -> Result<(), BackendError>;

    /// Takes the named lock for `ttl_ms` unless someone holds it; `token` identifies the holder.
    async fn try_lock(&self, name: &str, token: &str, ttl_ms: i64) -> Result<bool, BackendError>;

    /// Releases the lock if `token` still holds it.
    async fn unlock(&self, name: &str, token: &str) -> Result<(), BackendError>;

    /// Reads sessions without touching them (no last-seen update, no expiry slide), in one
    /// round trip. `None` for each one that has ended.
    async fn peek_sessions(&self, ids: &[String]) -> Result<Vec<Option<LoadedSession>>, BackendError>;

    /// Adds a session to its user's index (`handle` → session id). The index lives as long as
    /// the longest-lived session in it.
    async fn index_user_session(&self, user_id: i64, handle: &str, id: &str, until: Millis)
        -> Result<(), BackendError>;

    /// The user's index: (handle, session id) pairs, possibly including ended sessions.
    async fn user_sessions(&self, user_id: i64) -> Result<Vec<(String, String)>, BackendError>;

    /// Drops entries from the user's index.
    async fn unindex_user_sessions(&self, user_id: i64, handles: &[String]) -> Result<(), BackendError>;

    /// Stores a bearer token (by its hash) for a session of `user_id` until `until`. A token is
    /// only as alive as its session: resolving it loads the session, which is gone once ended.
    /// The user's tokens are indexed, so [`Backend::forget_user`] finds them.
    async fn put_token(&self, user_id: i64, token_hash: &str, id: &str, until: Millis) -> Result<(), BackendError>;

    /// Deletes everything kept about `user_id`'s sessions, without archiving them: each indexed
    /// session's record, activity, visited pages, copy of the user and place in the expiry
    /// schedule, the user's bearer tokens, and both indexes. (Their cached profile and
    /// preferences go through [`Backend::cache_delete`].)
    async fn forget_user(&self, user_id: i64) -> Result<(), BackendError>;

    /// Adds a notice (`json`, named `notice_id`; ids sort by time) to each of the sessions `ids`
    /// that is alive, kept [`NOTICE_TTL_MS`] and at most [`NOTICES_KEPT`] per session (the
    /// newest), then wakes the notice streams of `user_id` on every instance.
    async fn add_notice(&self, user_id: i64, ids: &[String], notice_id: &str, json: &str) -> Result<(), BackendError>;

    /// The session's pending notices (JSON); `None` when the session has ended.
    async fn notices(&self, id: &str) -> Result<Option<Vec<String>>, BackendError>;

    /// Drops a notice; `false` when the session had no such notice.
    async fn dismiss_notice(&self, id: &str, notice_id: &str) -> Result<bool, BackendError>;

    /// User ids whose sessions got a notice, on any instance, from now on.
    fn notice_wakeups(&self) -> tokio::sync::broadcast::Receiver<i64>;

    async fn resolve_token(&self, token_hash: &str) -> Result<Option<String>, BackendError>;

    /// A cached value (`name` is namespaced by the backend), or the token a fill needs.
    async fn cache_get(&self, name: &str) -> Result<Cached, BackendError>;

    /// Several cached values in one round trip, in the order asked.
    async fn cache_get_many(&self, names: &[String]) -> Result<Vec<Cached>, BackendError>;

    /// Stores `value` for `ttl_ms` if the key still holds what the read that missed saw
    /// (`token`); `false` when it changed (invalidated or filled meanwhile).
    async fn cache_fill(&self, name: &str, token: &FillToken, value: &str, ttl_ms: i64) -> Result<bool, BackendError>;

    /// Invalidates a cached value after the data behind it changed: the key holds a fresh mark
    /// for [`CACHE_MARK_TTL_MS`], so fills by reads that started before cannot succeed.
    async fn cache_invalidate(&self, name: &str) -> Result<(), BackendError>;

    /// Removes a cached value and leaves nothing (its subject is gone: an account deleted).
    async fn cache_delete(&self, name: &str) -> Result<(), BackendError>;

    /// Adds `cost` (0: only reads) to the rate counter `name`, whose window of `window_ms`
    /// starts with its first hit and then expires on its own.
    async fn rate_count(&self, name: &str, cost: i64, window_ms: i64, now: Millis) -> Result<RateCount, BackendError>;

    /// Forgets the rate counter `name` (a successful sign-in clears its failures).
    async fn rate_clear(&self, name: &str) -> Result<(), BackendError>;

    /// Notes that a session was revoked (for [`SessionStats`]).
    async fn note_revoked(&self, id: &str, now: Millis) -> Result<(), BackendError>;

    /// The health check's counts (one round trip).
    async fn stats(&self, now: Millis) -> Result<SessionStats, BackendError>;

    /// Drops index entries that have expired (run by the sweeper; never a keyspace scan).
    async fn trim_indexes(&self, now: Millis) -> Result<(), BackendError>;

    /// Adds to the per-hour figures (one round trip); each hour's keys expire
    /// [`crate::server::figures::KEPT_MS`] after the hour starts.
    async fn add_stats(
        &self,
        hours: &std::collections::BTreeMap<Millis, crate::server::figures::HourFigures>,
    ) -> Result<(), BackendError>;

    /// Memory used and keys held, when the backend is Redis (`INFO memory`, `DBSIZE`; in a
    /// cluster, the node this connection asks).
    async fn store_use(&self) -> Result<Option<crate::model::admin::StoreUse>, BackendError>;

    /// The figures of each of `hours` (hour starts), in order; with `pages`, the most viewed
    /// paths too ([`crate::server::figures::PATHS_KEPT_PER_HOUR`]).
    async fn hourly_stats(
        &self,
        hours: &[Millis],
        pages: bool,
    ) -> Result<Vec<crate::server::figures::HourFigures>, BackendError>;
}
