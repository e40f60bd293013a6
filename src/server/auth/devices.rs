//! A user's signed-in sessions as devices: listing them, revoking one, signing this one out,
//! the others, or all of them.

use super::security_log;
use crate::{
    error::AppError,
    model::{DeviceSession, EndReason, SecurityEventKind, SessionSummary},
    server::{
        backend::unavailable,
        client::{device_of, ClientInfo},
        repo::{db_error, users},
        session::{keys, AppSession, SignedIn},
        state::AppState,
        time::{now_ms, rfc3339},
    },
};

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
pub async fn sign_out_everywhere(state: &AppState, session: &AppSession, client: &ClientInfo) -> Result<(), AppError> {
    let me = super::reauth::require_recent(state, session).await?;
    end_sessions(state, me.user_id, None, EndReason::SignOutEverywhere).await?;
    let kind = SecurityEventKind::SignedOutEverywhere;
    security_log::record_best_effort(state, me.user_id, kind, Some(client), None).await;
    session.ending_because(EndReason::SignOutEverywhere);
    session.inner().flush().await.map_err(|_| AppError::unavailable())?;
    Ok(())
}

/// Ends the user's sessions except the one with handle `keep`; returns how many ended.
pub async fn end_sessions(
    state: &AppState,
    user_id: i64,
    keep: Option<&str>,
    reason: EndReason,
) -> Result<usize, AppError> {
    let entries = state.backend.user_sessions(user_id).await.map_err(unavailable)?;
    let archiver = &state.archiver;
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

/// The browser and system a session was signed in from, or the placeholders for unknown ones.
fn known_device(signed_in: &SignedIn) -> (String, String) {
    let or = |name: &str, unknown: &str| if name.is_empty() { unknown } else { name }.to_owned();
    (
        or(&signed_in.browser, DeviceSession::UNKNOWN_BROWSER),
        or(&signed_in.os, DeviceSession::UNKNOWN_OS),
    )
}

/// The signed-in user a stored session record (its data, JSON) holds.
fn signed_in_of(record: &str) -> Option<SignedIn> {
    let data: serde_json::Value = serde_json::from_str(record).ok()?;
    serde_json::from_value::<SignedIn>(data.get(keys::SIGNED_IN)?.clone()).ok()
}

/// Every live session of the signed-in user, this device first, then most recently active.
/// Index entries whose session has ended are pruned on the way.
pub async fn list_sessions(state: &AppState, session: &AppSession) -> Result<Vec<DeviceSession>, AppError> {
    let me = session.require_signed_in().await?;
    let entries = state.backend.user_sessions(me.user_id).await.map_err(unavailable)?;
    let ids: Vec<String> = entries.iter().map(|(_, id)| id.clone()).collect();
    let peeked = state.backend.peek_sessions(&ids).await.map_err(unavailable)?;
    let mut dead = Vec::new();
    let mut out = Vec::new();
    for ((handle, _), loaded) in entries.into_iter().zip(peeked) {
        let signed_in = loaded.as_ref().and_then(|l| signed_in_of(&l.record));
        let (Some(loaded), Some(signed_in)) = (loaded, signed_in) else {
            dead.push(handle);
            continue;
        };
        if signed_in.user_id != me.user_id {
            dead.push(handle);
            continue;
        }
        let (browser, os) = known_device(&signed_in);
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

/// The signed-in user's session figures (seed 003): live sessions (read as the devices list
/// reads them, so the two agree), every signed-in session the account has had, and the latest
/// sign-in. One read of the user's row: the page showing it is no load on the database.
pub async fn summary(state: &AppState, session: &AppSession) -> Result<SessionSummary, AppError> {
    let me = session.require_signed_in().await?;
    let active = list_sessions(state, session).await?.len() as u64;
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    let device = row
        .last_sign_in_agent
        .as_deref()
        .map(|agent| device_of(&woothee::parser::Parser::new(), agent));
    Ok(SessionSummary {
        active_sessions: active,
        // Sessions alive from before the count existed are not in it.
        total_sessions: u64::try_from(row.sign_in_count).unwrap_or(0).max(active),
        last_login: row.last_sign_in_at.map(rfc3339),
        last_login_age_secs: row
            .last_sign_in_at
            .map(|at| u64::try_from((now_ms() - at) / 1000).unwrap_or(0)),
        last_login_browser: device.as_ref().map(|d| d.0.clone()),
        last_login_os: device.map(|d| d.1),
    })
}

/// Ends one of the user's sessions by its handle; another user's handle is not found.
/// Revoking this device's own row signs it out.
pub async fn revoke(state: &AppState, session: &AppSession, client: &ClientInfo, handle: &str) -> Result<(), AppError> {
    let me = session.require_signed_in().await?;
    let entries = state.backend.user_sessions(me.user_id).await.map_err(unavailable)?;
    let Some((_, id)) = entries.into_iter().find(|(h, _)| h == handle) else {
        return Err(AppError::not_found());
    };
    if handle == me.handle {
        return sign_out(state, session).await;
    }
    // Ending another device's session needs a recent authentication.
    super::reauth::require_recent(state, session).await?;
    // The revoked device, as the devices page named it.
    let peeked = state.backend.peek_sessions(std::slice::from_ref(&id)).await;
    let revoked = peeked
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .find_map(|l| signed_in_of(&l.record));
    let revoked = revoked.map(|s| {
        let (browser, os) = known_device(&s);
        crate::server::client::device_label(&browser, &os)
    });
    state.archiver.end(&id, EndReason::Revoked).await.map_err(unavailable)?;
    let kind = SecurityEventKind::SessionRevoked;
    security_log::record_best_effort(state, me.user_id, kind, Some(client), revoked).await;
    state
        .backend
        .unindex_user_sessions(me.user_id, &[handle.to_owned()])
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// Ends every session of the user other than this one.
pub async fn sign_out_others(state: &AppState, session: &AppSession, client: &ClientInfo) -> Result<usize, AppError> {
    let me = super::reauth::require_recent(state, session).await?;
    let ended = end_sessions(state, me.user_id, Some(&me.handle), EndReason::Revoked).await?;
    let kind = SecurityEventKind::SignedOutEverywhere;
    let detail = Some("others".to_owned());
    security_log::record_best_effort(state, me.user_id, kind, Some(client), detail).await;
    Ok(ended)
}
