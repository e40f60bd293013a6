//! Leaving with one's data: everything kept about an account as one JSON document, and the
//! account's deletion, which leaves nothing of it behind in the database or in Redis.

use http::HeaderValue;

use super::{
    devices,
    profile::{profile_cache_key, to_user},
    security_log,
};
use crate::{
    error::AppError,
    model::{AccountExport, EndReason, Msg, Password, SecurityEventKind},
    server::{
        activity,
        backend::unavailable,
        client::ClientInfo,
        preferences,
        repo::{db_error, users},
        session::AppSession,
        state::AppState,
        time::now_ms,
    },
};

/// History rows read per query while exporting.
const EXPORT_HISTORY_BATCH: u64 = 100;

/// The signed-in user's profile, preferences, live sessions and whole history.
pub async fn export(state: &AppState, session: &AppSession, client: &ClientInfo) -> Result<AccountExport, AppError> {
    let me = super::reauth::require_recent(state, session).await?;
    // Written first, so the export shows itself; an export that then fails is still logged.
    let kind = SecurityEventKind::DataExported;
    security_log::record(&state.db, me.user_id, kind, Some(client), None)
        .await
        .map_err(db_error)?;
    // From the database, not the cache: an export is the record itself.
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    let preferences = preferences::of_user(state, me.user_id).await?.unwrap_or_default();
    let sessions = devices::list_sessions(state, session).await?;
    let mut history = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = activity::history(state, session, cursor.as_deref(), EXPORT_HISTORY_BATCH).await?;
        history.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut log = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = security_log::page_of(state, me.user_id, cursor.as_deref(), EXPORT_HISTORY_BATCH).await?;
        log.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(AccountExport {
        security_log: log,
        exported_at: crate::server::time::rfc3339(now_ms()),
        profile: to_user(&row),
        preferences,
        sessions,
        history,
    })
}

/// What the browser keeps after its account is deleted.
pub struct Deleted {
    /// The account's preferences, now the guest's (`Set-Cookie`).
    pub preferences_cookies: Vec<HeaderValue>,
}

/// Deletes the signed-in user's account after checking `password`: every session (this one
/// included, none archived), bearer token, index entry and cached copy in Redis, then the user
/// and with it (by cascade) their preferences, avatar and history in the database.
pub async fn delete_account(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    password: &str,
) -> Result<Deleted, AppError> {
    let me = session.require_signed_in().await?;
    let wrong = |msg: Msg| AppError::fields([("password".to_owned(), msg)].into());
    let password = Password::parse_existing(password).map_err(wrong)?;
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    super::confirm::confirm_password(state, Some(session), client, &row, &password, "password").await?;
    let prefs = preferences::of_user(state, me.user_id).await?.unwrap_or_default();

    // This session first: its cookie is cleared with the response, the browser a guest again.
    session.ending_because(EndReason::SignOut);
    session.inner().flush().await.map_err(|_| AppError::unavailable())?;
    forget_in_store(state, me.user_id, false).await?;
    users::delete(&state.db, me.user_id).await.map_err(db_error)?;
    // A sign-in racing with this could have indexed a session after the first pass; with the
    // user gone no new one can start, so a second pass leaves nothing. A page that read the
    // account before the delete could still fill the caches after it: the second pass leaves
    // invalidation marks (no data; gone within a minute) that such a fill cannot pass.
    forget_in_store(state, me.user_id, true).await?;
    tracing::info!(user = me.user_id, "account deleted");
    Ok(Deleted {
        preferences_cookies: state.preferences_cookie.set_all(&prefs),
    })
}

async fn forget_in_store(state: &AppState, user_id: i64, mark: bool) -> Result<(), AppError> {
    state
        .backend
        .forget_user(user_id, &state.sessions.tags.user_tag(user_id))
        .await
        .map_err(unavailable)?;
    for name in [profile_cache_key(user_id), preferences::cache_key(user_id)] {
        let forgotten = if mark {
            state.backend.cache_invalidate(&name).await
        } else {
            state.backend.cache_delete(&name).await
        };
        forgotten.map_err(unavailable)?;
    }
    Ok(())
}
