//! A tower-sessions [`SessionStore`] over our [`Backend`], one per request.
//!
//! Per request because a page view loads the record and records the visit in one round trip
//! before the handler runs; the store then hands that record to `Session` instead of fetching
//! it again, and remembers the activity figures that came with it.

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;
use tower_sessions::{
    session::{Id, Record},
    session_store, SessionStore,
};

use super::{policy_for, signed_in_user, SessionSettings};
use crate::server::time::now_ms;
use crate::{
    model::{activity::PAGES_KEPT, EndReason, User},
    server::{
        archive::Archiver,
        backend::{
            ActivitySummary, Admission, Backend, BackendError, CarriedVisit, Creation, LoadedSession, NewSession,
            Saved, UserView,
        },
        figures::Figure,
        stats::Tally,
    },
};

/// What the last backend call said about the session, beyond the record itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionInfo {
    pub activity: ActivitySummary,
    pub expires_at: i64,
}

pub struct RequestStore {
    backend: Arc<dyn Backend>,
    archiver: Archiver,
    settings: Arc<SessionSettings>,
    /// Why the session is being deleted, when the handler said (see [`Self::ending_because`]).
    end_reason: Mutex<Option<EndReason>>,
    preloaded: Mutex<Option<(Id, Record)>>,
    info: Mutex<Option<SessionInfo>>,
    /// Set when the backend could not be reached: the session's state is unknown, which is not
    /// the same as "no session" (its cookie must be kept, and nobody may be signed in by it).
    unavailable: Mutex<Option<String>>,
    /// The signed-in user's profile, read with their preferences before the page renders, so
    /// rendering does not ask again.
    prefetched_profile: Mutex<Option<User>>,
    /// The copy of the session's user's preferences and profile, as loaded with it.
    loaded_view: Mutex<Option<(Id, UserView)>>,
    /// The session's pending notices (JSON), as loaded with it.
    loaded_notices: Mutex<Option<(Id, Vec<String>)>>,
    /// Where sessions started and page views are counted for the admin page.
    tally: Arc<Tally>,
    /// The session ids the client's cookies named (see [`Self::cookie_was_renewed`]).
    cookie_ids: Mutex<Vec<Id>>,
    /// Whether one of them was renewed moments ago, once asked.
    cookie_renewed: Mutex<Option<bool>>,
    /// The session's record as stored when this request loaded or created it (the JSON), so a
    /// save can tell what this request changed and merge it with what others saved meanwhile.
    stored_record: Mutex<Option<(Id, String)>>,
    /// Set while the session's id is being renewed (see [`Self::renewing`]).
    renewing: Mutex<bool>,
    /// The visit of a session whose id is being renewed in this request (its old id, and what
    /// it had), for the session that replaces it.
    carried: Mutex<Option<(Id, CarriedVisit)>>,
}

impl std::fmt::Debug for RequestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestStore").finish_non_exhaustive()
    }
}

impl RequestStore {
    pub fn new(
        backend: Arc<dyn Backend>,
        archiver: Archiver,
        settings: Arc<SessionSettings>,
        tally: Arc<Tally>,
    ) -> Self {
        Self {
            backend,
            archiver,
            settings,
            end_reason: Mutex::new(None),
            preloaded: Mutex::new(None),
            info: Mutex::new(None),
            unavailable: Mutex::new(None),
            prefetched_profile: Mutex::new(None),
            loaded_view: Mutex::new(None),
            loaded_notices: Mutex::new(None),
            tally,
            cookie_ids: Mutex::new(Vec::new()),
            cookie_renewed: Mutex::new(None),
            stored_record: Mutex::new(None),
            renewing: Mutex::new(false),
            carried: Mutex::new(None),
        }
    }

    /// Remembers the session ids the client's cookies named.
    pub fn set_cookie_ids(&self, ids: Vec<Id>) {
        *self.cookie_ids.lock() = ids;
    }

    /// Of several ids the client's cookies name (a browser can send an old cookie for a parent
    /// domain or path beside the live one), the one to use: a signed-in session before a
    /// guest's, then the first live one in the order sent. `None` when none is live. One
    /// round trip, made only when there are several.
    pub async fn choose_live(&self, ids: &[Id]) -> Result<Option<Id>, BackendError> {
        let names: Vec<String> = ids.iter().map(Id::to_string).collect();
        let peeked = self
            .backend
            .peek_sessions(&names)
            .await
            .inspect_err(|e| self.note_error(e))?;
        let live: Vec<(Id, bool)> = ids
            .iter()
            .zip(peeked)
            .filter_map(|(id, loaded)| {
                let data = serde_json::from_str::<RecordData>(&loaded?.record).ok()?;
                Some((*id, signed_in_user(&data).is_some()))
            })
            .collect();
        Ok(live
            .iter()
            .find(|(_, signed_in)| *signed_in)
            .or(live.first())
            .map(|(id, _)| *id))
    }

    /// Whether a session the client's cookies named had its id renewed moments ago (a sign-in
    /// or password change in another request): this request was sent before the client got
    /// the new id, so it must not start a session in its place, nor clear the cookie, which by
    /// now names the live session. Asked once per request, only when needed.
    pub async fn cookie_was_renewed(&self) -> bool {
        if let Some(known) = *self.cookie_renewed.lock() {
            return known;
        }
        let ids = self.cookie_ids.lock().clone();
        let mut renewed = false;
        for id in ids {
            match self.backend.is_renewed(&id.to_string()).await {
                Ok(true) => {
                    renewed = true;
                    break;
                }
                Ok(false) => {}
                Err(e) => {
                    self.note_error(&e);
                    break;
                }
            }
        }
        *self.cookie_renewed.lock() = Some(renewed);
        renewed
    }

    /// The notices loaded with session `id` in this request.
    pub fn loaded_notices(&self, id: Id) -> Vec<String> {
        self.loaded_notices
            .lock()
            .as_ref()
            .filter(|(loaded, _)| *loaded == id)
            .map(|(_, notices)| notices.clone())
            .unwrap_or_default()
    }

    /// Whether session `id` carries `user_id`'s tag (see [`super::tags`]).
    pub fn carries_tag(&self, id: Id, user_id: i64) -> bool {
        self.settings.tags.carries(id, user_id)
    }

    /// The user view loaded with session `id` in this request (empty if none was).
    pub fn loaded_view(&self, id: Id) -> Option<UserView> {
        self.loaded_view
            .lock()
            .as_ref()
            .filter(|(loaded, _)| *loaded == id)
            .map(|(_, view)| view.clone())
    }

    /// Stores `view` as the copy of `user_id` that their sessions read, in the background (the
    /// page does not wait for it), unless it was invalidated after this request loaded session
    /// `id`, or `id` does not carry the user's tag (see [`super::tags`]).
    pub fn keep_view(&self, id: Id, user_id: i64, prefs: String, profile: String) {
        if !self.carries_tag(id, user_id) {
            return;
        }
        let Some(epoch) = self.loaded_view(id).map(|v| v.epoch) else {
            return;
        };
        let backend = self.backend.clone();
        let view = UserView {
            prefs: Some(prefs),
            profile: Some(profile),
            epoch,
        };
        tokio::spawn(async move {
            if let Err(e) = backend.store_user_view(&id.to_string(), user_id, &view).await {
                tracing::debug!(error = %e, "user view not stored");
            }
        });
    }

    pub fn remember_profile(&self, user: User) {
        *self.prefetched_profile.lock() = Some(user);
    }

    pub fn prefetched_profile(&self, user_id: i64) -> Option<User> {
        self.prefetched_profile
            .lock()
            .as_ref()
            .filter(|u| u.id == user_id)
            .cloned()
    }

    /// Loads (and touches) a session before `Session` exists, optionally recording a page view.
    pub async fn preload(&self, id: Id, page: Option<&str>) -> Result<Option<Id>, BackendError> {
        match self.backend.load_session(&id.to_string(), now_ms(), page).await {
            Ok(Some(loaded)) => match self.accept(id, loaded) {
                Some(record) => {
                    if let Some(page) = page {
                        self.tally.page_view(page);
                    }
                    let id = record.id;
                    *self.preloaded.lock() = Some((id, record));
                    Ok(Some(id))
                }
                None => Ok(None),
            },
            Ok(None) => Ok(None),
            Err(e) => {
                self.note_error(&e);
                Err(e)
            }
        }
    }

    /// Creates a guest session whose first page view is `page`.
    /// `None` when `admission` (the per-address limit on new sessions) refuses it; the limit
    /// is counted in the same round trip as the creation.
    pub async fn create_guest(
        &self,
        page: Option<&str>,
        admission: Option<Admission<'_>>,
    ) -> Result<Option<Id>, BackendError> {
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: time::OffsetDateTime::now_utc(),
        };
        if !self.create_record(&mut record, page, admission).await? {
            return Ok(None);
        }
        let id = record.id;
        *self.preloaded.lock() = Some((id, record));
        Ok(Some(id))
    }

    /// Names the reason for the session's deletion later in this request (sign-out).
    pub fn ending_because(&self, reason: EndReason) {
        *self.end_reason.lock() = Some(reason);
    }

    /// Says that the next deletion is an id renewal (tower-sessions' `cycle_id`): the visit
    /// goes on under the new id instead of ending.
    pub fn renewing(&self) {
        *self.renewing.lock() = true;
    }

    pub fn info(&self) -> Option<SessionInfo> {
        *self.info.lock()
    }

    pub fn unavailable(&self) -> Option<String> {
        self.unavailable.lock().clone()
    }

    fn note_error(&self, e: &BackendError) {
        if let BackendError::Unavailable(why) = e {
            *self.unavailable.lock() = Some(why.clone());
        }
    }

    fn accept(&self, id: Id, loaded: LoadedSession) -> Option<Record> {
        match decode(id, &loaded.record, loaded.expires_at) {
            Ok(record) => {
                *self.stored_record.lock() = Some((record.id, loaded.record.clone()));
                *self.loaded_view.lock() = Some((record.id, loaded.view));
                *self.loaded_notices.lock() = Some((record.id, loaded.notices));
                *self.info.lock() = Some(SessionInfo {
                    activity: loaded.activity,
                    expires_at: loaded.expires_at,
                });
                Some(record)
            }
            Err(e) => {
                // Written by an incompatible version: treat as no session rather than fail pages.
                tracing::warn!(error = %e, "unreadable session record ignored");
                None
            }
        }
    }

    /// Creates the record; `false` when its admission limit refused it.
    async fn create_record(
        &self,
        record: &mut Record,
        page: Option<&str>,
        mut admission: Option<Admission<'_>>,
    ) -> Result<bool, BackendError> {
        let now = now_ms();
        let policy = policy_for(&record.data, &self.settings);
        let carried = self.carried.lock().take();
        let user_id = signed_in_user(&record.data);
        // A signed-in session's id carries its user's tag (see `super::tags`).
        if let Some(user_id) = user_id {
            if !self.settings.tags.carries(record.id, user_id) {
                record.id = self.settings.tags.new_id(user_id);
            }
        }
        let json = encode(record).map_err(|e| BackendError::Other(e.to_string()))?;
        loop {
            let id = record.id.to_string();
            let new = NewSession {
                id: &id,
                record: &json,
                now,
                policy,
                first_page: page,
                user_id,
                // Counted once, even if the id has to be drawn again.
                admission: admission.take(),
                carried: carried.as_ref().map(|(_, visit)| visit),
            };
            match self.backend.create_session(&new).await {
                Ok(Creation::Created) => {
                    *self.stored_record.lock() = Some((record.id, json.clone()));
                    // A renewed session continues a visit: no new session started.
                    if carried.is_none() {
                        self.tally.add(Figure::SessionsStarted);
                    }
                    if let Some(page) = page {
                        self.tally.page_view(page);
                    }
                    break;
                }
                Ok(Creation::Refused) => return Ok(false),
                // 104 or 128 random bits collided: astronomically unlikely, but never overwrite.
                Ok(Creation::IdTaken) => {
                    record.id = match user_id {
                        Some(user_id) => self.settings.tags.new_id(user_id),
                        None => Id::default(),
                    }
                }
                Err(e) => {
                    self.note_error(&e);
                    return Err(e);
                }
            }
        }
        let expires_at = policy.expires_at(now);
        record.expiry_date = crate::server::time::to_datetime(expires_at);
        let (started_at, carried_count) = match &carried {
            Some((old, visit)) => {
                // Its visit lives on here: the old id's activity goes, unarchived.
                if let Err(e) = self.backend.forget_activity(&old.to_string()).await {
                    tracing::warn!(error = %e, "a renewed session's old activity was left to the sweeper");
                }
                (visit.started_at, visit.page_count)
            }
            None => (now, 0),
        };
        *self.info.lock() = Some(SessionInfo {
            activity: ActivitySummary {
                started_at,
                last_seen: now,
                page_count: carried_count + i64::from(page.is_some()),
            },
            expires_at,
        });
        Ok(true)
    }
}

/// How many times a save is merged and tried again when others keep saving the same record.
const SAVE_ATTEMPTS: usize = 5;

type RecordData = std::collections::HashMap<String, serde_json::Value>;

/// What is stored of a record: its data, a JSON object. The id is in the key and the expiry is
/// the key's TTL, so storing them too would only spend memory (about 100 bytes a session).
fn encode(record: &Record) -> Result<String, serde_json::Error> {
    serde_json::to_string(&record.data)
}

/// The record stored by [`encode`] under `id`, expiring at `expires_at` (Unix ms).
fn decode(id: Id, json: &str, expires_at: crate::server::time::Millis) -> Result<Record, serde_json::Error> {
    Ok(Record {
        id,
        data: serde_json::from_str(json)?,
        expiry_date: crate::server::time::to_datetime(expires_at),
    })
}

/// Applies to `theirs` what changed from `base` to `mine`: values set or changed, and values
/// removed. What `mine` left as it found it stays as `theirs` has it.
fn apply_changes(theirs: &mut RecordData, base: &RecordData, mine: &RecordData) {
    for (key, value) in mine {
        if base.get(key) != Some(value) {
            theirs.insert(key.clone(), value.clone());
        }
    }
    for key in base.keys() {
        if !mine.contains_key(key) {
            theirs.remove(key);
        }
    }
}

fn store_error(e: BackendError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for RequestStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.create_record(record, None, None)
            .await
            .map(|_| ())
            .map_err(store_error)
    }

    /// Saves what this request changed in the record. The record is stored whole, so the save
    /// only goes through if nobody saved it since this request loaded it; if someone did, this
    /// request's changes (values set or removed, against what it loaded) are applied to theirs
    /// and the save is tried again. Two requests changing different values both keep theirs.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let encode = |r: &Record| encode(r).map_err(|e| session_store::Error::Encode(e.to_string()));
        let loaded = self
            .stored_record
            .lock()
            .as_ref()
            .filter(|(id, _)| *id == record.id)
            .map(|(_, json)| json.clone());
        let base = loaded
            .as_deref()
            .and_then(|json| serde_json::from_str::<RecordData>(json).ok())
            .unwrap_or_default();
        let mut expected = loaded.unwrap_or_default();
        let mut json = encode(record)?;
        for _ in 0..SAVE_ATTEMPTS {
            match self
                .backend
                .save_session(&record.id.to_string(), &json, &expected)
                .await
            {
                Ok(Saved::Saved) => {
                    *self.stored_record.lock() = Some((record.id, json));
                    return Ok(());
                }
                // Ended meanwhile (revoked, signed out elsewhere): it stays ended.
                Ok(Saved::Gone) => return Err(session_store::Error::Backend("session ended while in use".into())),
                Ok(Saved::Changed(current)) => {
                    let mut theirs =
                        decode(record.id, &current, 0).map_err(|e| session_store::Error::Decode(e.to_string()))?;
                    apply_changes(&mut theirs.data, &base, &record.data);
                    json = encode(&theirs)?;
                    expected = current;
                }
                Err(e) => {
                    self.note_error(&e);
                    return Err(store_error(e));
                }
            }
        }
        Err(session_store::Error::Backend("session record kept changing".into()))
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if let Some((preloaded_id, record)) = self.preloaded.lock().take() {
            if preloaded_id == *id {
                return Ok(Some(record));
            }
        }
        // Failed once in this request already: do not wait out another timeout.
        if let Some(why) = self.unavailable() {
            return Err(session_store::Error::Backend(why));
        }
        match self.backend.load_session(&id.to_string(), now_ms(), None).await {
            Ok(Some(loaded)) => Ok(self.accept(*id, loaded)),
            Ok(None) => Ok(None),
            Err(e) => {
                self.note_error(&e);
                Err(store_error(e))
            }
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let reason = self.end_reason.lock().take();
        let renewing = std::mem::take(&mut *self.renewing.lock());
        let old = id.to_string();
        let failed = |e: BackendError| {
            self.note_error(&e);
            store_error(e)
        };
        if !renewing || reason.is_some() {
            // Ended here for another reason than a renewal (account deletion, a failed
            // sign-in's cleanup) without a word why: archived as a sign-out.
            let reason = reason.unwrap_or(EndReason::SignOut);
            self.archiver.end(&old, reason).await.map_err(failed)?;
            if renewing {
                // Renewed for someone else: their visit ended above, and the id is marked as
                // renewed all the same, so requests still carrying it leave the new cookie be.
                self.backend.renew_session(&old, now_ms()).await.map_err(failed)?;
            }
            return Ok(());
        }
        // The id changes but the visit goes on (tower-sessions creates its successor next):
        // this id ends at once, and what it had is kept for the new one. If the successor is
        // never created, the old activity is archived when the renewed mark lapses.
        self.backend.renew_session(&old, now_ms()).await.map_err(failed)?;
        match self.backend.activity(&old, 0, PAGES_KEPT).await {
            Ok(Some(activity)) => *self.carried.lock() = Some((*id, activity.into())),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "a renewed session's visit was not carried over"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn data(value: serde_json::Value) -> RecordData {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_merge_keeps_what_each_request_changed() {
        let base = data(json!({"started": true, "flash:profile": {"n": 1}}));
        // This request removed the profile flash and set a settings one.
        let mine = data(json!({"started": true, "flash:settings": {"n": 2}}));
        // Another saved first: it set the theme flash and left the profile flash.
        let mut theirs = data(json!({"started": true, "flash:profile": {"n": 1}, "flash:theme": {"n": 3}}));
        apply_changes(&mut theirs, &base, &mine);
        assert_eq!(
            theirs,
            data(json!({"started": true, "flash:settings": {"n": 2}, "flash:theme": {"n": 3}}))
        );
    }
}
