//! A user's profile as the pages and the API show it: read through a Redis cache (filled only
//! if nothing changed since the read), copied into each of their sessions for their page views,
//! and invalidated everywhere when it changes.

use crate::{
    error::AppError,
    model::{Name, Role, User},
    server::{
        backend::Cached,
        entity::user::Model as UserRow,
        repo::{db_error, users},
        session::AppSession,
        state::AppState,
        time::{now_ms, rfc3339},
    },
};

/// How long a profile stays cached in Redis (seed 001).
const PROFILE_CACHE_TTL_MS: i64 = 30 * 60 * 1000;

/// What clients see of a user row.
pub fn to_user(row: &UserRow) -> User {
    User {
        id: row.id,
        name: row.name.clone(),
        email: row.email.clone(),
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
        // An unknown value (written by a newer version) grants nothing.
        role: Role::parse(&row.role).unwrap_or(Role::User),
        avatar_url: row.avatar.as_ref().map(|hash| format!("/avatars/{hash}")),
        email_verified: row.email_verified_at.is_some(),
    }
}

/// The cache name of a user's profile.
pub fn profile_cache_key(user_id: i64) -> String {
    format!("profile:{user_id}")
}

/// The signed-in user's profile, through the Redis cache.
pub async fn profile(state: &AppState, user_id: i64) -> Result<Option<User>, AppError> {
    let cached = match state.backend.cache_get(&profile_cache_key(user_id)).await {
        Ok(cached) => Some(cached),
        Err(e) => {
            tracing::debug!(error = %e, "profile cache unavailable");
            None
        }
    };
    profile_from(state, user_id, cached).await
}

/// [`profile`] with the cache already read (`None`: the cache could not be asked).
pub async fn profile_from(state: &AppState, user_id: i64, cached: Option<Cached>) -> Result<Option<User>, AppError> {
    if let Some(user) = cached
        .as_ref()
        .and_then(Cached::hit)
        .and_then(|json| parse_profile(json, user_id))
    {
        state.metrics.count_profile_cache(true);
        return Ok(Some(user));
    }
    state.metrics.count_profile_cache(false);
    let Some(row) = users::by_id(&state.db, user_id).await.map_err(db_error)? else {
        return Ok(None);
    };
    let user = to_user(&row);
    if let (Some(cached), Ok(json)) = (cached, serde_json::to_string(&user)) {
        // Refused when the profile changed since the cache was read: then this copy may be old.
        // An unreadable cached value is replaced.
        let token = cached.into_fill_token();
        let _ = state
            .backend
            .cache_fill(&profile_cache_key(user_id), &token, &json, PROFILE_CACHE_TTL_MS)
            .await;
    }
    Ok(Some(user))
}

/// After the user's row changed (name, role, avatar): the cached profile and the copy of it that
/// the user's sessions read are invalidated, so each device's next page reads it afresh. Best
/// effort: if Redis is unreachable they expire on their own within 30 minutes.
pub async fn profile_changed(state: &AppState, user_id: i64) {
    if let Err(e) = state.backend.cache_invalidate(&profile_cache_key(user_id)).await {
        tracing::warn!(error = %e, user_id, "cached profile not invalidated");
    }
    forget_user_views(state, user_id).await;
}

/// A cached profile, if it is readable and `user_id`'s.
pub fn parse_profile(json: &str, user_id: i64) -> Option<User> {
    serde_json::from_str::<User>(json)
        .ok()
        // A copy cached before `updatedAt` existed is read afresh rather than answered with "".
        .filter(|u| u.id == user_id && !u.updated_at.is_empty())
}

/// Invalidates the copy of `user_id`'s preferences and profile that their sessions read
/// (after the database changed): their next pages read them afresh.
pub async fn forget_user_views(state: &AppState, user_id: i64) {
    let tag = state.sessions.tags.user_tag(user_id);
    if let Err(e) = state.backend.forget_user_view(&tag, user_id).await {
        // The copy expires on its own (USER_VIEW_TTL_MS), like the caches it copies.
        tracing::warn!(error = %e, user_id, "the copy of the user for their sessions not invalidated");
    }
}

/// The current user, or `None` for guests.
pub async fn current_user(state: &AppState, session: &AppSession) -> Result<Option<User>, AppError> {
    match session.signed_in().await {
        // Read earlier in this request (with the preferences, before the page rendered).
        Ok(Some(me)) => match session.prefetched_profile(me.user_id) {
            Some(user) => Ok(Some(user)),
            None => profile(state, me.user_id).await,
        },
        Ok(None) => Ok(None),
        Err(_) => Err(AppError::unavailable()),
    }
}

pub async fn update_name(state: &AppState, session: &AppSession, name: &str) -> Result<User, AppError> {
    let me = session.require_signed_in().await?;
    let name = Name::parse(name).map_err(|m| AppError::fields([("name".to_owned(), m)].into()))?;
    let row = users::set_name(&state.db, me.user_id, name.as_str(), now_ms())
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    profile_changed(state, me.user_id).await;
    Ok(to_user(&row))
}
