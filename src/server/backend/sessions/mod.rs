//! Sessions as stored: the tower-sessions record, its activity (start, last seen, page count,
//! the first and the latest pages), its place in the expiry schedule, the copy of its user
//! ([`UserView`], one per user) and the mark left by an id renewal. A session's keys share its
//! hash tag (see [`keys`](super::keys)), so each script touches one slot.

mod memory;
mod redis;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::server::{backend::error::BackendError, time::Millis};

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
    /// The copy of its user's preferences and profile (signed-in sessions).
    pub view: UserView,
    /// Its pending notices (JSON), in no order.
    pub notices: Vec<String>,
}

/// How long a session's [`UserView`] is trusted, like the per-user caches it copies: a change
/// whose invalidation was lost (Redis blipped) shows everywhere within this time.
pub const USER_VIEW_TTL_MS: i64 = 30 * 60 * 1000;

/// What a signed-in session's pages show of its user (the preferences and profile as cached
/// JSON): one copy per user, in the cluster slot of all their sessions (their ids carry the
/// user's tag), so a page view reads it in the same round trip that loads the session. Changing
/// the user's preferences or profile invalidates the copy; [`Self::epoch`] (0 before any
/// invalidation, then a value that never repeats) makes a copy read before an invalidation
/// impossible to store after it.
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
pub fn parse_visit(entry: &str) -> Option<PageVisit> {
    let (at, path) = entry.split_once(' ')?;
    Some(PageVisit {
        at: at.parse().ok()?,
        path: path.to_owned(),
    })
}

/// How many of a session's first paths are kept for its history entry.
pub const FIRST_PAGES_KEPT: usize = 10;

#[async_trait]
pub trait Sessions: Send + Sync {
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

    /// Stores `user_id`'s copy of their preferences and profile for all their signed-in
    /// sessions tagged as session `id` is, unless session `id` has ended or the copy was
    /// invalidated since `view.epoch` was read. `true` when stored. Only a session whose id
    /// carries its user's tag (`server::session::tags`) may store it: others' pages would not
    /// find it, and its invalidation would miss it.
    async fn store_user_view(&self, id: &str, user_id: i64, view: &UserView) -> Result<bool, BackendError>;

    /// Invalidates `user_id`'s copy of their preferences and profile (they changed), kept under
    /// their tag `user_tag`: one write, however many sessions they have.
    async fn forget_user_view(&self, user_tag: &str, user_id: i64) -> Result<(), BackendError>;

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

    /// Reads sessions without touching them (no last-seen update, no expiry slide), in one
    /// round trip. `None` for each one that has ended.
    async fn peek_sessions(&self, ids: &[String]) -> Result<Vec<Option<LoadedSession>>, BackendError>;
}
