//! Server functions behind the new sign-in notices.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{
    forms::{finish, request_context, Outcome},
    notices,
};
use crate::{error::AppError, model::Notice};

/// This session's pending notices, newest first (none for guests). Read from what the request
/// loaded with the session: no round trip of its own.
#[server(prefix = "/api/fn", endpoint = "pending_notices")]
pub async fn pending_notices() -> Result<Vec<Notice>, AppError> {
    let (_, session, _) = request_context()?;
    Ok(notices::pending(&session).await)
}

/// Dismisses a notice; a plain form post goes back to `back` (the page it was on).
#[server(prefix = "/api/fn", endpoint = "dismiss_notice")]
pub async fn dismiss_notice(id: String, back: Option<String>) -> Result<(), AppError> {
    let (state, session, _) = request_context()?;
    let result = notices::dismiss(&state, &session, &id).await;
    let back = crate::model::same_site_path(back.as_deref(), "/").to_owned();
    let outcome = Outcome {
        form: "notice",
        success_to: None,
        notice: None,
        back: &back,
        values: vec![],
    };
    finish(Some(&session), result, outcome).await
}
