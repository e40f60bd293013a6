//! Server functions behind the new sign-in notices.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{
    fn_context::request_session,
    forms::{finish, Outcome},
    notices,
};

/// Dismisses a notice; a plain form post goes back to `back` (the page it was on).
#[server(prefix = "/api/fn", endpoint = "dismiss_notice")]
pub async fn dismiss_notice(id: String, back: Option<String>) -> Result<(), AppError> {
    let (state, session) = request_session()?;
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
