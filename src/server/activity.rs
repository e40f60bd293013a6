//! A session's activity as its visitor sees it (`GET /api/session`, "This session"), page views
//! recorded by client-side navigations, and a user's history of ended sessions.

use tower_sessions::session::Id;

use crate::{
    error::{AppError, ErrorCode},
    model::{is_same_site_path, EndReason, HistoryEntry, HistoryPage, Msg, SessionActivity, Visit},
    server::{
        backend::unavailable,
        client::ClientInfo,
        ratelimit::Rule,
        repo::{db_error, session_history, TimeCursor},
        session::AppSession,
        state::AppState,
        time::{now_ms, rfc3339},
    },
};

/// Largest offset into a session's visits that is looked up; only the latest
/// [`PAGES_KEPT`](crate::model::activity::PAGES_KEPT) exist anyway.
pub const MAX_OFFSET: usize = 1_000;

/// Longest path `POST /api/session/page` accepts.
pub const MAX_PAGE_LEN: usize = 2048;

/// The session's activity, newest visits first (`offset`, `limit`).
pub async fn view(
    state: &AppState,
    session: &AppSession,
    offset: usize,
    limit: usize,
) -> Result<SessionActivity, AppError> {
    if limit == 0 || limit > 100 {
        return Err(AppError::new(ErrorCode::BadRequest, Msg::LimitInvalid));
    }
    let no_session = || AppError::new(ErrorCode::NotFound, Msg::NoSession);
    let id = match session.id() {
        Some(id) => id,
        None if session.store_failed() => return Err(AppError::unavailable()),
        None => return Err(no_session()),
    };
    // One round trip: the activity read says whether the session is still alive.
    let activity = state
        .backend
        .activity(&id.to_string(), offset, limit)
        .await
        .map_err(unavailable)?
        .filter(|a| a.alive)
        .ok_or_else(no_session)?;
    let s = activity.summary;
    Ok(SessionActivity {
        start_time: rfc3339(s.started_at),
        last_seen: rfc3339(s.last_seen.max(s.started_at)),
        session_duration: (s.last_seen - s.started_at).max(0) / 1000,
        page_count: s.page_count,
        pages_visited: activity
            .pages
            .into_iter()
            .map(|v| Visit {
                page: v.path,
                at: rfc3339(v.at),
            })
            .collect(),
        offset,
        limit,
    })
}

/// The request's live session: the client's, or a new guest session (counted against the
/// per-address limit on new sessions) when it has none or its session ended.
pub async fn live_session(state: &AppState, session: &AppSession, client: &ClientInfo) -> Result<Id, AppError> {
    // Loading tells whether the client's session still exists.
    session.signed_in().await.map_err(|_| AppError::unavailable())?;
    if let Some(id) = session.id() {
        return Ok(id);
    }
    // Sent before a sign-in elsewhere renewed the id: the client's next request carries the
    // new one, which this must not replace with a guest session.
    if session.cookie_was_renewed().await {
        return Err(AppError::new(ErrorCode::NotFound, Msg::NoSession));
    }
    state
        .limiter
        .hit(&client.rate, Rule::Sessions, &client.ip_subject())
        .await?;
    session.ensure_live().await.map_err(|_| AppError::unavailable())
}

/// Records a page view (a client-side navigation) on the session, starting a guest session
/// if there is none. Returns the page count and duration in seconds.
pub async fn track(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    page: &str,
) -> Result<(i64, i64), AppError> {
    if page.len() > MAX_PAGE_LEN || !is_same_site_path(page) {
        return Err(AppError::fields([("page".to_owned(), Msg::PageInvalid)].into()));
    }
    let record = |id: tower_sessions::session::Id| async move {
        state
            .backend
            .load_session(&id.to_string(), now_ms(), Some(page))
            .await
            .map_err(unavailable)
    };
    // The usual case, one round trip: the client's session is live and the view is recorded.
    let loaded = match session.id() {
        Some(id) => record(id).await?,
        None => None,
    };
    let loaded = match loaded {
        Some(loaded) => loaded,
        // No session, or it ended: start a guest one and record the view there.
        None => {
            let id = live_session(state, session, client).await?;
            record(id)
                .await?
                .ok_or_else(|| AppError::new(ErrorCode::NotFound, Msg::NoSession))?
        }
    };
    state.metrics.tally.page_view(page);
    let s = loaded.activity;
    Ok((s.page_count, (s.last_seen - s.started_at).max(0) / 1000))
}

/// The user's ended sessions, newest first, from `cursor`.
pub async fn history(
    state: &AppState,
    session: &AppSession,
    cursor: Option<&str>,
    limit: u64,
) -> Result<HistoryPage, AppError> {
    let me = session.require_signed_in().await?;
    let cursor = TimeCursor::read_page(cursor, limit)?;
    let (rows, next) = session_history::page_for_user(&state.db, me.user_id, cursor, limit)
        .await
        .map_err(db_error)?;
    let items = rows
        .into_iter()
        .map(|r| HistoryEntry {
            id: r.id,
            started_at: rfc3339(r.started_at),
            ended_at: rfc3339(r.ended_at),
            duration_secs: r.duration_secs,
            page_count: r.page_count,
            first_pages: serde_json::from_str(&r.first_pages).unwrap_or_default(),
            end_reason: EndReason::parse(&r.end_reason).unwrap_or(EndReason::Expired),
        })
        .collect();
    Ok(HistoryPage {
        items,
        next_cursor: next.map(TimeCursor::encode),
    })
}
