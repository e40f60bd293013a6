//! Sessions: one middleware, a per-request store, and [`AppSession`], the typed view handlers use.
//!
//! The record is a tower-sessions [`Session`]; keys inside it are the constants in [`keys`].
//! Activity (pages, start, last seen) is not in the record: it lives in its own keys, updated
//! atomically by the backend, because the record is written whole and last writer wins.

pub mod cookie;
pub mod layer;
pub mod store;
pub mod tags;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tower_sessions::{session::Id, Session};

use crate::server::time::Millis;
use crate::server::{backend::ExpiryPolicy, config::SessionConfig};
pub use store::{RequestStore, SessionInfo};
pub use tags::SessionTags;

/// Names of the values kept in a session record.
pub mod keys {
    /// [`super::SignedIn`]: present exactly when the session belongs to a user.
    pub const SIGNED_IN: &str = "signed_in";
    /// Set on a session started through the API (`POST /api/session`), so it has a record.
    pub const STARTED: &str = "started";

    /// The key of a form's pending one-time feedback (`server::forms`): one per form, so two
    /// forms posted at once (two tabs) both keep theirs.
    pub fn flash(form: &str) -> String {
        format!("flash:{form}")
    }
}

/// The record's value under [`keys::SIGNED_IN`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub user_id: i64,
    /// Opaque row id for the devices page; never the session id.
    pub handle: String,
    pub signed_in_at: Millis,
    /// The device, as first seen at sign-in (shown on the devices page).
    #[serde(default)]
    pub ip: Option<String>,
    /// Its browser and system, as [`crate::server::client::device_of`] names them from its
    /// User-Agent at sign-in: the header itself is not kept (about 100 bytes more per session
    /// in Redis, for nothing the devices page shows). Empty reads as an unknown device.
    #[serde(default)]
    pub browser: String,
    #[serde(default)]
    pub os: String,
    /// When the user last proved who they are on this session (signing in, or confirming with
    /// a password, passkey or code), Unix ms: sensitive actions need it recent
    /// (`server::auth::reauth`). 0 in records written before it existed.
    #[serde(default)]
    pub authenticated_at: Millis,
}

/// Session rules derived from configuration.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    pub cookie: cookie::CookieSettings,
    pub guest_idle_ms: i64,
    pub user_idle_ms: i64,
    pub user_absolute_ms: i64,
    /// Users' hash tags, which their sessions' ids carry.
    pub tags: SessionTags,
}

impl SessionSettings {
    /// `secret` keys the users' tags (`SESSION_SECRET`).
    pub fn from_config(config: &SessionConfig, secret: &[u8]) -> Self {
        let ms = |d: std::time::Duration| d.as_millis().min(i64::MAX as u128) as i64;
        Self {
            cookie: cookie::CookieSettings {
                name: config.cookie_name.clone(),
                secure: config.cookie_secure,
                max_age_secs: config.user_absolute_timeout.as_secs() as i64,
            },
            guest_idle_ms: ms(config.guest_idle_timeout),
            user_idle_ms: ms(config.user_idle_timeout),
            user_absolute_ms: ms(config.user_absolute_timeout),
            tags: SessionTags::new(secret),
        }
    }
}

/// The user a record belongs to, if signed in.
pub fn signed_in_user(data: &std::collections::HashMap<String, serde_json::Value>) -> Option<i64> {
    data.get(keys::SIGNED_IN)
        .and_then(|v| serde_json::from_value::<SignedIn>(v.clone()).ok())
        .map(|s| s.user_id)
}

/// The expiry rule for a record: guests idle out quickly; users idle out slowly and also hit a
/// hard deadline counted from sign-in.
pub fn policy_for(
    data: &std::collections::HashMap<String, serde_json::Value>,
    settings: &SessionSettings,
) -> ExpiryPolicy {
    match data
        .get(keys::SIGNED_IN)
        .and_then(|v| serde_json::from_value::<SignedIn>(v.clone()).ok())
    {
        Some(signed_in) => ExpiryPolicy {
            idle_ms: settings.user_idle_ms,
            deadline: Some(signed_in.signed_in_at.saturating_add(settings.user_absolute_ms)),
        },
        None => ExpiryPolicy {
            idle_ms: settings.guest_idle_ms,
            deadline: None,
        },
    }
}

/// The request's session, as handlers and server functions see it.
#[derive(Clone, Debug)]
pub struct AppSession {
    session: Session,
    store: Arc<RequestStore>,
}

/// The session's state could not be read: Redis is down or too slow.
#[derive(Debug, Clone, thiserror::Error)]
#[error("session store unavailable")]
pub struct SessionUnavailable;

impl AppSession {
    pub(crate) fn new(session: Session, store: Arc<RequestStore>) -> Self {
        Self { session, store }
    }

    pub fn id(&self) -> Option<Id> {
        self.session.id()
    }

    /// The id of a live session for this request: the client's, or a new guest session when
    /// it has none (or its session ended). The response then carries the new cookie.
    pub async fn ensure_live(&self) -> Result<Id, SessionUnavailable> {
        // Loading the record tells whether the client's session still exists.
        self.signed_in().await?;
        if let Some(id) = self.session.id() {
            return Ok(id);
        }
        self.session
            .insert(keys::STARTED, true)
            .await
            .map_err(|_| SessionUnavailable)?;
        self.session.save().await.map_err(|_| SessionUnavailable)?;
        self.session.id().ok_or(SessionUnavailable)
    }

    /// Whether the session the client's cookie named had its id renewed moments ago by another
    /// request (see [`RequestStore::cookie_was_renewed`]).
    pub async fn cookie_was_renewed(&self) -> bool {
        self.store.cookie_was_renewed().await
    }

    /// True when the store failed earlier in this request: a missing session may then exist,
    /// and "no session" must not be answered.
    pub fn store_failed(&self) -> bool {
        self.store.unavailable().is_some()
    }

    /// Keeps the signed-in user's profile for the rest of this request.
    pub fn remember_profile(&self, user: crate::model::User) {
        self.store.remember_profile(user);
    }

    /// The profile kept by [`Self::remember_profile`], if it is this user's.
    pub fn prefetched_profile(&self, user_id: i64) -> Option<crate::model::User> {
        self.store.prefetched_profile(user_id)
    }

    /// The copy of signed-in user `user_id`'s preferences and profile loaded with this session,
    /// if the session is still the one loaded (not renewed since) and its id carries the user's
    /// tag: a session tagged under another `SESSION_SECRET` reads a copy that no invalidation
    /// reaches any more, so it reads the user afresh instead (see [`tags`]).
    pub fn user_view(&self, user_id: i64) -> Option<crate::server::backend::UserView> {
        let id = self.session.id()?;
        self.store
            .loaded_view(id)
            .filter(|_| self.store.carries_tag(id, user_id))
    }

    /// The notices (JSON) loaded with this session for this request.
    pub fn loaded_notices(&self) -> Vec<String> {
        self.session
            .id()
            .map(|id| self.store.loaded_notices(id))
            .unwrap_or_default()
    }

    /// Keeps `prefs` and `profile` (cached JSON) as the copy of signed-in user `user_id` that
    /// their sessions' next pages read.
    pub fn keep_user_view(&self, user_id: i64, prefs: String, profile: String) {
        if let Some(id) = self.session.id() {
            self.store.keep_view(id, user_id, prefs, profile);
        }
    }

    /// Gives the session a new id (against session fixation: OWASP Session Management Cheat
    /// Sheet, "Renew the Session ID After Any Privilege Level Change"). The old id ends at once;
    /// the record and the visit (start, pages) go on under the new one, saved when the session
    /// next is.
    pub async fn renew_id(&self) -> Result<(), SessionUnavailable> {
        self.store.renewing();
        self.session.cycle_id().await.map_err(|_| SessionUnavailable)
    }

    /// Says why this session is about to be deleted (flushed), for its history entry.
    pub fn ending_because(&self, reason: crate::model::EndReason) {
        self.store.ending_because(reason);
    }

    /// The underlying tower-sessions session.
    pub fn inner(&self) -> &Session {
        &self.session
    }

    /// Who is signed in on this request: a 401 for a guest, a 503 when the store cannot say.
    pub async fn require_signed_in(&self) -> Result<SignedIn, crate::error::AppError> {
        use crate::{
            error::{AppError, ErrorCode},
            model::Msg,
        };
        match self.signed_in().await {
            Ok(Some(signed_in)) => Ok(signed_in),
            Ok(None) => Err(AppError::new(ErrorCode::Unauthorized, Msg::SignInRequired)),
            Err(_) => Err(AppError::unavailable()),
        }
    }

    /// Records that the signed-in user proved who they are just now (saved with the request's
    /// other changes to the record).
    pub async fn mark_authenticated(&self, now: Millis) -> Result<(), crate::error::AppError> {
        let Some(mut signed_in) = self
            .signed_in()
            .await
            .map_err(|_| crate::error::AppError::unavailable())?
        else {
            return Ok(());
        };
        signed_in.authenticated_at = now;
        self.session
            .insert(keys::SIGNED_IN, &signed_in)
            .await
            .map_err(|_| crate::error::AppError::unavailable())
    }

    /// Who is signed in, if anyone. Errors when the store is unreachable, so that a caller can
    /// never mistake "unknown" for "guest" where it matters.
    pub async fn signed_in(&self) -> Result<Option<SignedIn>, SessionUnavailable> {
        if self.session.id().is_none() {
            return Ok(None);
        }
        let value = self.session.get::<SignedIn>(keys::SIGNED_IN).await;
        match value {
            Ok(v) => Ok(v),
            Err(_) if self.store.unavailable().is_some() => Err(SessionUnavailable),
            Err(e) => {
                tracing::warn!(error = %e, "session value unreadable; treating as guest");
                Ok(None)
            }
        }
    }
}
