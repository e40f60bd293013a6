//! Server functions of the flows that go through mail (`server::auth::mail_flows`): the
//! forgot-password and reset pages, the page of a verification or address-change link, and
//! the account page's address section.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{EmailStatus, LinkKind},
};
#[cfg(feature = "ssr")]
use crate::{
    model::Msg,
    server::{
        auth::mail_flows,
        fn_context::{request_context, request_session, with_status},
        forms::{finish, Outcome},
    },
};

/// Asks for a reset link. The answer is the same whether or not an account has the address.
#[server(prefix = "/api/fn", endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    let result = mail_flows::request_password_reset(&state, &client, &email).await;
    let outcome = Outcome {
        form: "forgot",
        success_to: None,
        notice: Some(Msg::ResetMailSent),
        back: "/password/forgot",
        values: vec![("email", email)],
    };
    finish(Some(&session), result, outcome).await
}

/// What `token`'s link is for, or `None` when it no longer works. Reads only.
#[server(prefix = "/api/fn", endpoint = "check_link")]
pub async fn check_link(token: String) -> Result<Option<LinkKind>, AppError> {
    let (state, _, _) = request_context()?;
    with_status(mail_flows::link_kind(&state, &token).await)
}

/// Sets the new password with a reset link's token; the browser then goes to sign in.
#[server(prefix = "/api/fn", endpoint = "reset_password")]
pub async fn reset_password(token: String, new_password: String) -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    let result = mail_flows::reset_password(&state, &client, &token, &new_password).await;
    let back = format!("/password/reset?token={}", crate::model::query_value(&token));
    let outcome = Outcome {
        form: "reset",
        success_to: Some(RESET_DONE),
        notice: None,
        back: &back,
        values: vec![],
    };
    finish(Some(&session), result, outcome).await
}

/// Where a finished reset leads: the sign-in page, saying the password changed.
pub const RESET_DONE: &str = "/login?reset=done";

/// Uses a verification, address-change, revert or unlock link's token: what it did.
#[server(prefix = "/api/fn", endpoint = "confirm_email")]
pub async fn confirm_email(token: String) -> Result<LinkKind, AppError> {
    let (state, session, client) = request_context()?;
    let result = mail_flows::follow_link(&state, &client, &token).await;
    let done = match &result {
        Ok(LinkKind::EmailChange) => "/email/verify?done=changed",
        Ok(LinkKind::EmailRevert) => "/email/verify?done=reverted",
        Ok(LinkKind::SignInUnlock) => "/email/verify?done=unlocked",
        _ => "/email/verify?done=verified",
    };
    let back = format!("/email/verify?token={}", crate::model::query_value(&token));
    let outcome = Outcome {
        form: "verify",
        success_to: Some(done),
        notice: None,
        back: &back,
        values: vec![],
    };
    finish(Some(&session), result, outcome).await
}

/// The signed-in user's address, whether it is verified, and any address waiting for
/// confirmation.
#[server(prefix = "/api/fn", endpoint = "email_status")]
pub async fn read_email_status() -> Result<EmailStatus, AppError> {
    let (state, session) = request_session()?;
    // Rendering the account page: its user came with the request.
    let known = leptos::prelude::use_context::<crate::context::PageRequest>()
        .and_then(|page| page.0.viewer.clone().ok().flatten());
    with_status(mail_flows::email_status(&state, &session, known.as_ref()).await)
}

/// "Send again": a new verification link.
#[server(prefix = "/api/fn", endpoint = "resend_verification")]
pub async fn resend_verification() -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    let result = mail_flows::resend_verification(&state, &session, &client).await;
    let outcome = Outcome {
        form: "verification",
        success_to: None,
        notice: Some(Msg::VerificationSent),
        back: "/account#email",
        values: vec![],
    };
    finish(Some(&session), result, outcome).await
}

/// "Change email": a confirmation link to the new address.
#[server(prefix = "/api/fn", endpoint = "change_email")]
pub async fn change_email(email: String, password: String) -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    let result = mail_flows::request_email_change(&state, &session, &client, &email, &password).await;
    let outcome = Outcome {
        form: "email",
        success_to: None,
        notice: Some(Msg::EmailChangeSent),
        back: "/account#email",
        values: vec![("email", email)],
    };
    finish(Some(&session), result, outcome).await
}
