//! Account operations: plain async functions over [`AppState`] and the request's session.
//! The JSON API and the server functions behind the pages both call these, so every rule is
//! written once.

use std::{collections::BTreeMap, sync::atomic::Ordering::Relaxed};

use http::HeaderValue;
use sha2::{Digest, Sha256};
use tower_sessions::session::Id;

use super::password::Verification;
use crate::{
    error::{AppError, ErrorCode},
    model::{DeviceSession, Email, EndReason, Msg, Name, Password, Role, User},
    server::{
        backend::{now_ms, BackendError, Cached},
        client::ClientInfo,
        entity::user::Model as UserRow,
        preferences,
        ratelimit::Rule,
        repo::{db_error, users},
        session::{keys, AppSession, SignedIn},
        state::AppState,
        stats::Counter,
    },
};

/// How long a profile stays cached in Redis (seed 001).
const PROFILE_CACHE_TTL_MS: i64 = 30 * 60 * 1000;

/// Session values a guest keeps when signing in (preferences come with a later issue).
const CARRIED_OVER_KEYS: &[&str] = &[];

pub fn unavailable(e: BackendError) -> AppError {
    tracing::warn!(error = %e, "session store unavailable");
    AppError::unavailable()
}

pub fn to_user(row: &UserRow) -> User {
    User {
        id: row.id,
        name: row.name.clone(),
        email: row.email.clone(),
        created_at: rfc3339(row.created_at),
        // An unknown value (written by a newer version) grants nothing.
        role: Role::parse(&row.role).unwrap_or(Role::User),
        avatar_url: row.avatar.as_ref().map(|hash| format!("/avatars/{hash}")),
    }
}

pub fn rfc3339(ms: i64) -> String {
    crate::server::session::to_datetime(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Who is signed in on this request, or 401.
pub async fn require_signed_in(session: &AppSession) -> Result<SignedIn, AppError> {
    match session.signed_in().await {
        Ok(Some(signed_in)) => Ok(signed_in),
        Ok(None) => Err(AppError::new(ErrorCode::Unauthorized, Msg::SignInRequired)),
        Err(_) => Err(AppError::unavailable()),
    }
}

#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub name: String,
    pub email: String,
    pub password: String,
}

/// What a successful registration or sign-in gives the client.
#[derive(Debug, Clone)]
pub struct SignedInOutcome {
    pub user: User,
    /// Bearer token for API clients, revoked with the session.
    pub token: String,
    /// The preferences cookies rewritten with the account's preferences, so the very next page
    /// shows them.
    pub preferences_cookies: Vec<HeaderValue>,
}

/// Creates an account and signs the new user in. The guest's preferences become the account's.
pub async fn register(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    input: &Registration,
) -> Result<SignedInOutcome, AppError> {
    let mut fields = BTreeMap::new();
    let name = Name::parse(&input.name)
        .map_err(|m| fields.insert("name".into(), m))
        .ok();
    let email = Email::parse(&input.email)
        .map_err(|m| fields.insert("email".into(), m))
        .ok();
    let password = Password::parse_new(&input.password)
        .map_err(|m| fields.insert("password".into(), m))
        .ok();
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(AppError::fields(fields));
    };
    state
        .limiter()
        .hit(&client.rate, Rule::Register, &client.ip_subject())
        .await?;
    let hash = state.hasher.hash(&password).await?;
    let row = match users::insert(&state.db, name.as_str(), email.as_str(), &hash, now_ms()).await {
        Ok(row) => row,
        Err(users::InsertUserError::EmailTaken) => {
            return Err(AppError {
                code: ErrorCode::Conflict,
                message: Msg::EmailRegistered,
                fields: [("email".to_owned(), Msg::EmailTaken)].into(),
            });
        }
        Err(users::InsertUserError::Db(e)) => return Err(db_error(e)),
    };
    let prefs = preferences::guest(state, &client.headers).prefs;
    let prefs = preferences::adopt_for_user(state, row.id, &prefs).await?;
    let token = start_user_session(state, session, client, &row).await?;
    Ok(SignedInOutcome {
        user: to_user(&row),
        token,
        preferences_cookies: state.preferences_cookie.set_all(&prefs),
    })
}

/// Signs in with email and password. Unknown email and wrong password fail identically and
/// take the same time (a dummy hash is verified when there is no account).
pub async fn sign_in(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    email: &str,
    password: &str,
) -> Result<SignedInOutcome, AppError> {
    // Failures are limited per email and address, and per address; the checks come first, so
    // a refused attempt costs no password hash.
    let limiter = state.limiter();
    let address = client.ip_subject();
    // Counted per address as it compares, however it was typed.
    let typed = Email::parse(email).map_or_else(|_| email.trim().to_lowercase(), |e| e.as_str().to_owned());
    let pair = format!("{typed}|{address}");
    limiter.check(&client.rate, Rule::SignIn, &pair).await?;
    limiter.check(&client.rate, Rule::SignInIp, &address).await?;
    let invalid = || async {
        state.metrics.tally.add(Counter::SignInFailures);
        limiter.record_failure(&client.rate, Rule::SignIn, &pair).await;
        limiter.record_failure(&client.rate, Rule::SignInIp, &address).await;
        AppError::new(ErrorCode::Unauthorized, Msg::InvalidCredentials)
    };
    let Ok(password) = Password::parse_existing(password) else {
        return Err(invalid().await);
    };
    let row = match Email::parse(email) {
        Ok(email) => users::by_email(&state.db, email.as_str()).await.map_err(db_error)?,
        Err(_) => None,
    };
    match state
        .hasher
        .verify(&password, row.as_ref().map(|r| r.password_hash.as_str()))
        .await?
    {
        Verification::Mismatch => Err(invalid().await),
        Verification::Match { rehash } => {
            let Some(row) = row else {
                return Err(invalid().await);
            };
            limiter.clear(Rule::SignIn, &pair).await;
            if let Some(new_hash) = rehash {
                // Best effort: the old hash still verifies if this fails.
                // Only over the hash just verified: a password changed meanwhile stays changed.
                let upgraded =
                    users::upgrade_password_hash(&state.db, row.id, &row.password_hash, &new_hash, now_ms()).await;
                if let Err(e) = upgraded {
                    tracing::warn!(error = %e, "password hash upgrade failed");
                }
            }
            // The account's preferences win; an account that never saved any adopts this
            // browser's.
            let prefs = match preferences::of_user(state, row.id).await? {
                Some(prefs) => prefs,
                None => {
                    let prefs = preferences::guest(state, &client.headers).prefs;
                    preferences::adopt_for_user(state, row.id, &prefs).await?
                }
            };
            let token = start_user_session(state, session, client, &row).await?;
            state.metrics.tally.add(Counter::SignIns);
            if let Some(id) = session.id() {
                // Before answering, so the other devices have the notice by the time this
                // browser's next page loads (a cached read and one pipeline; never an error).
                crate::server::notices::announce_sign_in(state, row.id, &id.to_string(), client).await;
            }
            Ok(SignedInOutcome {
                user: to_user(&row),
                token,
                preferences_cookies: state.preferences_cookie.set_all(&prefs),
            })
        }
    }
}

/// Gives the request a fresh session for `user`: a new id (the old session is deleted), only
/// the carried-over guest values kept, indexed under the user, with a bearer token.
async fn start_user_session(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    user: &UserRow,
) -> Result<String, AppError> {
    let inner = session.inner();
    let mut kept = Vec::new();
    for key in CARRIED_OVER_KEYS {
        if let Ok(Some(value)) = inner.get_value(key).await {
            kept.push((*key, value));
        }
    }
    // The old session ends here under its id. A guest's visit (or this user's own) goes on in
    // the new session; someone else's is theirs, and ends as a sign-out.
    if let Some(previous) = session.signed_in().await.ok().flatten() {
        let _ = state
            .backend
            .unindex_user_sessions(previous.user_id, &[previous.handle])
            .await;
        if previous.user_id != user.id {
            session.ending_because(EndReason::SignOut);
        }
    }
    if inner.id().is_some() {
        session.renew_id().await.map_err(|_| AppError::unavailable())?;
    }
    inner.clear().await;
    for (key, value) in kept {
        inner.insert_value(key, value).await.map_err(AppError::internal)?;
    }
    let now = now_ms();
    let signed_in = SignedIn {
        user_id: user.id,
        handle: Id::default().to_string(),
        signed_in_at: now,
        ip: client.ip.map(|ip| ip.to_string()),
        user_agent: client.user_agent.clone(),
    };
    inner
        .insert(keys::SIGNED_IN, &signed_in)
        .await
        .map_err(AppError::internal)?;
    // Saved now, not after the handler, so the new id can be indexed and given a token.
    inner.save().await.map_err(|_| AppError::unavailable())?;
    let id = inner
        .id()
        .ok_or_else(|| AppError::internal("saved session has no id"))?
        .to_string();
    let deadline = now + state.sessions.user_absolute_ms;
    let keep_until = deadline + state.config.session.archive_grace.as_millis() as i64;
    let token = format!("{}{}", Id::default(), Id::default());
    let indexed = async {
        state
            .backend
            .index_user_session(user.id, &signed_in.handle, &id, keep_until)
            .await?;
        state
            .backend
            .put_token(user.id, &token_hash(&token), &id, deadline)
            .await
    };
    if let Err(e) = indexed.await {
        // A session missing from the user's index could not be listed or ended by "sign out
        // everywhere": it must not outlive this failed sign-in.
        let _ = inner.flush().await;
        return Err(unavailable(e));
    }
    Ok(token)
}

/// The session id a bearer token stands for, if the token is known.
pub async fn session_for_token(state: &AppState, token: &str) -> Result<Option<String>, BackendError> {
    if token.len() != 44
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    state.backend.resolve_token(&token_hash(token)).await
}

/// Ends this session (signed in or not): deleted from the store, cookie cleared.
pub async fn sign_out(state: &AppState, session: &AppSession) -> Result<(), AppError> {
    end_this_session(state, session, EndReason::SignOut).await
}

/// Ends this session for `reason` (signed in or not), taking it off its user's list.
pub async fn end_this_session(state: &AppState, session: &AppSession, reason: EndReason) -> Result<(), AppError> {
    let signed_in = session.signed_in().await.map_err(|_| AppError::unavailable())?;
    session.ending_because(reason);
    session.inner().flush().await.map_err(|_| AppError::unavailable())?;
    if let Some(s) = signed_in {
        state
            .backend
            .unindex_user_sessions(s.user_id, &[s.handle])
            .await
            .map_err(unavailable)?;
    }
    Ok(())
}

/// Ends every session of the signed-in user, this one included.
pub async fn sign_out_everywhere(state: &AppState, session: &AppSession) -> Result<(), AppError> {
    let me = require_signed_in(session).await?;
    end_sessions(state, me.user_id, None, EndReason::SignOutEverywhere).await?;
    session.ending_because(EndReason::SignOutEverywhere);
    session.inner().flush().await.map_err(|_| AppError::unavailable())?;
    Ok(())
}

/// Ends the user's sessions except the one with handle `keep`; returns how many ended.
async fn end_sessions(
    state: &AppState,
    user_id: i64,
    keep: Option<&str>,
    reason: EndReason,
) -> Result<usize, AppError> {
    let entries = state.backend.user_sessions(user_id).await.map_err(unavailable)?;
    let archiver = state.archiver();
    let mut ended = Vec::new();
    for (handle, id) in entries {
        if Some(handle.as_str()) == keep {
            continue;
        }
        archiver.end(&id, reason).await.map_err(unavailable)?;
        ended.push(handle);
    }
    state
        .backend
        .unindex_user_sessions(user_id, &ended)
        .await
        .map_err(unavailable)?;
    Ok(ended.len())
}

/// Changes the password: checks the current one, ends every other session of the user, and
/// continues this one under a new id.
pub async fn change_password(state: &AppState, session: &AppSession, current: &str, new: &str) -> Result<(), AppError> {
    let me = require_signed_in(session).await?;
    let mut fields = BTreeMap::new();
    let current = Password::parse_existing(current)
        .map_err(|m| fields.insert("currentPassword".into(), m))
        .ok();
    let new = Password::parse_new(new)
        .map_err(|m| fields.insert("newPassword".into(), m))
        .ok();
    let (Some(current), Some(new)) = (current, new) else {
        return Err(AppError::fields(fields));
    };
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    if let Verification::Mismatch = state.hasher.verify(&current, Some(&row.password_hash)).await? {
        let mut fields = BTreeMap::new();
        fields.insert("currentPassword".into(), Msg::CurrentPasswordWrong);
        return Err(AppError::fields(fields));
    }
    let hash = state.hasher.hash(&new).await?;
    users::set_password_hash(&state.db, me.user_id, &hash, now_ms())
        .await
        .map_err(db_error)?;
    end_sessions(state, me.user_id, Some(&me.handle), EndReason::PasswordChange).await?;
    // Same device row (handle), new session id.
    let inner = session.inner();
    session.renew_id().await.map_err(|_| AppError::unavailable())?;
    inner.save().await.map_err(|_| AppError::unavailable())?;
    let id = inner
        .id()
        .ok_or_else(|| AppError::internal("saved session has no id"))?
        .to_string();
    let keep_until =
        me.signed_in_at + state.sessions.user_absolute_ms + state.config.session.archive_grace.as_millis() as i64;
    state
        .backend
        .index_user_session(me.user_id, &me.handle, &id, keep_until)
        .await
        .map_err(unavailable)?;
    Ok(())
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
        state.metrics.profile_cache_hits.fetch_add(1, Relaxed);
        return Ok(Some(user));
    }
    state.metrics.profile_cache_misses.fetch_add(1, Relaxed);
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

/// After the user's row changed (name, role, avatar): the cached profile and every session's
/// copy of it are invalidated, so each device's next page reads it afresh. Best effort: if Redis
/// is unreachable the copies expire on their own within 30 minutes.
pub async fn profile_changed(state: &AppState, user_id: i64) {
    if let Err(e) = state.backend.cache_invalidate(&profile_cache_key(user_id)).await {
        tracing::warn!(error = %e, user_id, "cached profile not invalidated");
    }
    forget_user_views(state, user_id).await;
}

/// A cached profile, if it is readable and `user_id`'s.
pub fn parse_profile(json: &str, user_id: i64) -> Option<User> {
    serde_json::from_str::<User>(json).ok().filter(|u| u.id == user_id)
}

/// Invalidates the copies of `user_id`'s preferences and profile that their sessions keep
/// (after the database changed): their next pages read them afresh.
pub async fn forget_user_views(state: &AppState, user_id: i64) {
    let forgotten = match state.backend.user_sessions(user_id).await {
        Ok(entries) => {
            let ids: Vec<String> = entries.into_iter().map(|(_, id)| id).collect();
            state.backend.forget_user_views(&ids).await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = forgotten {
        // The copies expire on their own (USER_VIEW_TTL_MS), like the caches they copy.
        tracing::warn!(error = %e, user_id, "sessions' copies of the user not invalidated");
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
    let me = require_signed_in(session).await?;
    let name = Name::parse(name).map_err(|m| AppError::fields([("name".to_owned(), m)].into()))?;
    let row = users::set_name(&state.db, me.user_id, name.as_str(), now_ms())
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    profile_changed(state, me.user_id).await;
    Ok(to_user(&row))
}

/// The browser and system a user agent names, or the placeholders for unknown ones.
pub fn device_of(parser: &woothee::parser::Parser, user_agent: &str) -> (String, String) {
    match parser.parse(user_agent) {
        Some(ua) if ua.name != "UNKNOWN" && !ua.name.is_empty() => {
            let os = if ua.os == "UNKNOWN" || ua.os.is_empty() {
                DeviceSession::UNKNOWN_OS
            } else {
                ua.os
            };
            (ua.name.to_owned(), os.to_owned())
        }
        _ => (
            DeviceSession::UNKNOWN_BROWSER.to_owned(),
            DeviceSession::UNKNOWN_OS.to_owned(),
        ),
    }
}

/// Every live session of the signed-in user, this device first, then most recently active.
/// Index entries whose session has ended are pruned on the way.
pub async fn list_sessions(state: &AppState, session: &AppSession) -> Result<Vec<DeviceSession>, AppError> {
    let me = require_signed_in(session).await?;
    let entries = state.backend.user_sessions(me.user_id).await.map_err(unavailable)?;
    let ids: Vec<String> = entries.iter().map(|(_, id)| id.clone()).collect();
    let peeked = state.backend.peek_sessions(&ids).await.map_err(unavailable)?;
    let mut dead = Vec::new();
    let mut out = Vec::new();
    let parser = woothee::parser::Parser::new();
    for ((handle, _), loaded) in entries.into_iter().zip(peeked) {
        let signed_in = loaded.as_ref().and_then(|l| {
            let record: serde_json::Value = serde_json::from_str(&l.record).ok()?;
            serde_json::from_value::<SignedIn>(record.get("data")?.get(keys::SIGNED_IN)?.clone()).ok()
        });
        let (Some(loaded), Some(signed_in)) = (loaded, signed_in) else {
            dead.push(handle);
            continue;
        };
        if signed_in.user_id != me.user_id {
            dead.push(handle);
            continue;
        }
        let (browser, os) = device_of(&parser, &signed_in.user_agent);
        out.push(DeviceSession {
            current: handle == me.handle,
            id: handle,
            browser,
            os,
            ip: signed_in.ip.unwrap_or_default(),
            created_at: rfc3339(signed_in.signed_in_at),
            last_seen_at: rfc3339(loaded.activity.last_seen.max(signed_in.signed_in_at)),
            page_count: loaded.activity.page_count,
        });
    }
    let _ = state.backend.unindex_user_sessions(me.user_id, &dead).await;
    out.sort_by(|a, b| {
        b.current
            .cmp(&a.current)
            .then_with(|| b.last_seen_at.cmp(&a.last_seen_at))
    });
    Ok(out)
}

/// Ends one of the user's sessions by its handle; another user's handle is not found.
/// Revoking this device's own row signs it out.
pub async fn revoke(state: &AppState, session: &AppSession, handle: &str) -> Result<(), AppError> {
    let me = require_signed_in(session).await?;
    let entries = state.backend.user_sessions(me.user_id).await.map_err(unavailable)?;
    let Some((_, id)) = entries.into_iter().find(|(h, _)| h == handle) else {
        return Err(AppError::not_found());
    };
    if handle == me.handle {
        return sign_out(state, session).await;
    }
    state
        .archiver()
        .end(&id, EndReason::Revoked)
        .await
        .map_err(unavailable)?;
    state
        .backend
        .unindex_user_sessions(me.user_id, &[handle.to_owned()])
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// Ends every session of the user other than this one.
pub async fn sign_out_others(state: &AppState, session: &AppSession) -> Result<usize, AppError> {
    let me = require_signed_in(session).await?;
    end_sessions(state, me.user_id, Some(&me.handle), EndReason::Revoked).await
}
