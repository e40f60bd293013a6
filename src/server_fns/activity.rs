//! Server functions behind the activity pages and the client-side page-view tracking.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{
    activity,
    fn_context::{request_context, request_session, with_status},
};
use crate::{
    error::AppError,
    model::{HistoryPage, SessionActivity},
};

/// Visited pages shown per page of "This session".
pub const VISITS_PER_PAGE: usize = 20;
/// Ended sessions shown per page of the history.
pub const HISTORY_PER_PAGE: u64 = 20;

/// Records a client-side navigation to `page` (a server-rendered page load is recorded by the
/// session middleware instead, so nothing is counted twice).
#[server(prefix = "/api/fn", endpoint = "track_page")]
pub async fn track_page(page: String) -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    with_status(activity::track(&state, &session, &client, &page).await.map(|_| ()))
}

/// This session's activity from `offset` (newest visits first). With `record`, the view of
/// `/session` itself is recorded first: the page asks for that when it is reached by a
/// client-side navigation, so the list it shows includes the visit that brought it there.
#[server(prefix = "/api/fn", endpoint = "this_session")]
pub async fn this_session(offset: usize, record: bool) -> Result<SessionActivity, AppError> {
    let (state, session, client) = request_context()?;
    let result = async {
        if record {
            activity::track(&state, &session, &client, crate::model::activity::SESSION_PATH).await?;
        }
        activity::view(&state, &session, offset.min(activity::MAX_OFFSET), VISITS_PER_PAGE).await
    };
    with_status(result.await)
}

/// One page of the signed-in user's ended sessions, newest first, from `cursor`.
#[server(prefix = "/api/fn", endpoint = "session_history")]
pub async fn session_history(cursor: Option<String>) -> Result<HistoryPage, AppError> {
    let (state, session) = request_session()?;
    with_status(activity::history(&state, &session, cursor.as_deref(), HISTORY_PER_PAGE).await)
}
