//! Request context for server functions, and the post/redirect/get flow of forms submitted
//! without JavaScript.
//!
//! With JavaScript, a form's server function answers the client directly (an error carries its
//! 4xx status). Without it, the browser posted a plain form and expects a page: the outcome is
//! kept in the session for one view ([`FormFeedback`]) and the browser is redirected.

use http::{header, request::Parts};
use leptos::prelude::{expect_context, use_context};
use leptos_axum::ResponseOptions;

use super::{client::ClientInfo, session::AppSession, state::AppState};
use crate::{
    error::AppError,
    model::{FormFeedback, Msg},
};

/// Session key of the pending [`FormFeedback`].
pub const FLASH: &str = "flash";

/// The app state, the request's session and the client, inside a server function.
pub fn request_context() -> Result<(AppState, AppSession, ClientInfo), AppError> {
    let state = expect_context::<AppState>();
    let parts = use_context::<Parts>().ok_or_else(|| AppError::internal("no request parts in context"))?;
    let session = parts
        .extensions
        .get::<AppSession>()
        .cloned()
        .ok_or_else(|| AppError::internal("session middleware missing"))?;
    let client = ClientInfo::from_parts(&parts, &state.config.trusted_proxies);
    Ok((state, session, client))
}

/// True for a plain HTML form post (JavaScript off): the browser wants a page back.
pub fn is_plain_form_post() -> bool {
    use_context::<Parts>()
        .and_then(|p| {
            p.headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// Where a form's outcome leads.
pub struct Outcome<'a> {
    pub form: &'a str,
    /// Page to show after success (`None`: stay, i.e. back to `back`).
    pub success_to: Option<&'a str>,
    /// A message to show after success.
    pub notice: Option<Msg>,
    /// The form's page, shown again with the error.
    pub back: &'a str,
    /// Submitted values to refill (never passwords).
    pub values: Vec<(&'a str, String)>,
}

/// Turns a form's result into the right response for both kinds of client.
pub async fn finish<T>(
    session: Option<&AppSession>,
    result: Result<T, AppError>,
    outcome: Outcome<'_>,
) -> Result<T, AppError> {
    let plain = is_plain_form_post();
    match &result {
        Ok(_) => {
            // With JavaScript the page decides what follows (it may reload fully after a
            // sign-in, or update in place); a plain form post gets the next page.
            if plain {
                if let (Some(notice), Some(session)) = (outcome.notice, session) {
                    let feedback = FormFeedback {
                        form: outcome.form.into(),
                        notice: Some(notice),
                        ..Default::default()
                    };
                    let _ = session.inner().insert(FLASH, feedback).await;
                }
                leptos_axum::redirect(outcome.success_to.unwrap_or(outcome.back));
            }
        }
        Err(error) => {
            if let Some(options) = use_context::<ResponseOptions>() {
                options.set_status(
                    http::StatusCode::from_u16(error.code.status()).unwrap_or(http::StatusCode::BAD_REQUEST),
                );
                if error.code == crate::error::ErrorCode::Unavailable {
                    options.insert_header(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
                }
            }
            if plain {
                if let Some(session) = session {
                    let feedback = FormFeedback {
                        form: outcome.form.into(),
                        error: Some(error.clone()),
                        notice: None,
                        values: outcome.values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                    };
                    let _ = session.inner().insert(FLASH, feedback).await;
                }
                leptos_axum::redirect(outcome.back);
            }
        }
    }
    result
}

/// The pending feedback for `form`, removed so it shows once.
pub async fn take_feedback(session: &AppSession, form: &str) -> Option<FormFeedback> {
    // No session yet: nothing pending, and no store round trip.
    session.id()?;
    let feedback: FormFeedback = session.inner().get(FLASH).await.ok().flatten()?;
    if feedback.form != form {
        return None;
    }
    let _ = session.inner().remove_value(FLASH).await;
    Some(feedback)
}
