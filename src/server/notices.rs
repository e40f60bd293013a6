//! New sign-in notices. Signing in leaves a notice on each of the user's other live sessions
//! (when their notifications are on), kept in Redis beside the session so any instance shows
//! it on that session's next page (read in the same round trip that loads the session), and
//! wakes, through Redis pub/sub, the notice streams (server-sent events) that the user's open
//! pages keep on every instance, so it also appears without a reload.

use std::{convert::Infallible, time::Duration};

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use tower_sessions::session::Id;

use crate::server::time::rfc3339;
use crate::{
    error::{AppError, ErrorCode},
    model::{Msg, Notice, NoticeKind},
    server::{
        backend::unavailable,
        client::{device_of, ClientInfo},
        preferences,
        session::AppSession,
        state::AppState,
        time::now_ms,
    },
};

/// Notices shown at most (the newest).
pub const SHOWN: usize = 5;

/// Tells `user_id`'s other live sessions that `new_session` just signed in from `client`.
/// Best effort: a sign-in never fails because of it.
pub async fn announce_sign_in(state: &AppState, user_id: i64, new_session: &str, client: &ClientInfo) {
    let result = async {
        let wanted = preferences::of_user(state, user_id)
            .await?
            .is_none_or(|prefs| prefs.notifications);
        if !wanted {
            return Ok(());
        }
        let others: Vec<String> = state
            .backend
            .user_sessions(user_id)
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(|(_, id)| id)
            .filter(|id| id != new_session)
            .collect();
        if others.is_empty() {
            return Ok(());
        }
        let (browser, os) = device_of(&woothee::parser::Parser::new(), &client.user_agent);
        let now = now_ms();
        let notice = Notice {
            // Sorts by time, so a session keeps the newest when it has too many.
            id: format!("{now:013}-{}", Id::default()),
            kind: NoticeKind::SignIn,
            browser,
            os,
            at: rfc3339(now),
        };
        let json = serde_json::to_string(&notice).map_err(AppError::internal)?;
        state
            .backend
            .add_notice(user_id, &others, &notice.id, &json)
            .await
            .map_err(unavailable)
    };
    if let Err(e) = result.await {
        tracing::warn!(error = %e, user_id, "new sign-in notice not sent");
    }
}

fn signed_out() -> AppError {
    AppError::new(ErrorCode::Unauthorized, Msg::SignInRequired)
}

/// Parses stored notices, newest first, at most [`SHOWN`].
pub fn newest(stored: &[String]) -> Vec<Notice> {
    let mut notices: Vec<Notice> = stored
        .iter()
        .filter_map(|json| serde_json::from_str(json).ok())
        .collect();
    notices.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
    notices.truncate(SHOWN);
    notices
}

/// The signed-in session's notices as loaded for this request (no round trip of its own).
pub async fn pending(session: &AppSession) -> Vec<Notice> {
    match session.signed_in().await {
        Ok(Some(_)) => newest(&session.loaded_notices()),
        _ => Vec::new(),
    }
}

/// Dismisses one of this session's notices (dismissing one already gone is no error).
pub async fn dismiss(state: &AppState, session: &AppSession, notice_id: &str) -> Result<(), AppError> {
    session.require_signed_in().await?;
    let id = session.id().ok_or_else(signed_out)?;
    state
        .backend
        .dismiss_notice(&id.to_string(), notice_id)
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// How often the stream says it is alive, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(20);

/// `GET /api/notices/stream`: server-sent events, one `notices` event with the session's
/// pending notices (JSON array, newest first) now and after every change; it ends with the
/// session. Signed-in sessions only.
pub async fn stream(
    state: &AppState,
    session: &AppSession,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>, AppError> {
    let me = session.require_signed_in().await?;
    let id = session.id().ok_or_else(signed_out)?.to_string();
    // Subscribed before the first read, so no wake-up falls between the two.
    let wakeups = state.backend.notice_wakeups();
    let backend = state.backend.clone();
    let stopping = state.stopping.subscribe();
    let events = futures_util::stream::unfold(
        (wakeups, stopping, backend, id, me.user_id, true),
        |(mut wakeups, mut stopping, backend, id, user_id, first)| async move {
            if !first {
                loop {
                    let woken = tokio::select! {
                        woken = wakeups.recv() => woken,
                        // The server is shutting down: the browser reconnects to another.
                        _ = stopping.wait_for(|stopping| *stopping) => return None,
                    };
                    match woken {
                        Ok(woken) if woken == user_id => break,
                        Ok(_) => continue,
                        // Missed some: read afresh, which covers whatever they were.
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
            // The session ended (signed out, revoked), or the store is down: the stream ends,
            // and the page's next request says which.
            let stored = backend.notices(&id).await.ok().flatten()?;
            let data = serde_json::to_string(&newest(&stored)).unwrap_or_else(|_| "[]".into());
            let event = Event::default().event("notices").data(data);
            Some((Ok(event), (wakeups, stopping, backend, id, user_id, false)))
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
