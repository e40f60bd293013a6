//! Server functions behind the account pages.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{
    auth::{
        account_data,
        accounts::{self, Registration},
        devices, profile, second_step,
    },
    fn_context::{append_cookies, request_context, request_session, with_status},
    forms::{finish, take_feedback, Outcome},
};
use crate::{
    error::AppError,
    model::{DeviceSession, FormFeedback, SessionSummary, User},
};

/// Sends the account's preferences cookies with the response.
#[cfg(feature = "ssr")]
fn set_preferences_cookie(outcome: accounts::SignedInOutcome) {
    append_cookies(outcome.preferences_cookies);
}

/// The signed-in user, or `None` for a guest; an `Unavailable` error when the session store
/// is down.
#[server(prefix = "/api/fn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    let (state, session) = request_session()?;
    // No status set here: a public page renders for a guest while the store is down; the
    // pages that need the user answer 503 themselves (`ErrorNotice`).
    profile::current_user(&state, &session).await
}

/// The outcome of the last plain (no-JavaScript) submission of `form`, shown once.
#[server(prefix = "/api/fn", endpoint = "form_feedback")]
pub async fn take_form_feedback(form: String) -> Result<Option<FormFeedback>, AppError> {
    let (_, session) = request_session()?;
    Ok(take_feedback(&session, &form).await)
}

/// Creates an account; a plain form post then goes to `next` (the page that asked for an
/// account), else `/account`, and back to the form (with its `next`) on a refusal. `true` when
/// the new user is signed in; `false` when the address must be verified first (the browser goes
/// to the sign-in page, which says so).
#[server(prefix = "/api/fn", endpoint = "register")]
pub async fn register(name: String, email: String, password: String, next: Option<String>) -> Result<bool, AppError> {
    let (state, session, client) = request_context()?;
    let input = Registration {
        name: name.clone(),
        email: email.clone(),
        password,
    };
    let result = accounts::register(&state, &session, &client, &input)
        .await
        .map(|registered| match registered {
            accounts::Registered::SignedIn(outcome) => {
                set_preferences_cookie(outcome);
                true
            }
            accounts::Registered::VerifyFirst(_) => false,
        });
    let back = crate::model::with_next("/register", next.as_deref());
    let success_to = match result {
        Ok(false) => VERIFY_FIRST,
        _ => crate::model::safe_next(next.as_deref()),
    };
    let outcome = Outcome {
        form: "register",
        success_to: Some(success_to),
        notice: None,
        back: &back,
        values: vec![("name", name), ("email", email)],
    };
    finish(Some(&session), result, outcome).await
}

/// Where a registration that must verify its address first leads: the sign-in page, saying so.
pub const VERIFY_FIRST: &str = "/login?verify=sent";

/// Signs in; a plain form post then goes to `next`, else `/account`, and back to the form
/// (with its `next`, so the corrected attempt still leads there) on a refusal. `true` when
/// signed in; `false` when the account has a second factor: the browser keeps the half-done
/// sign-in in its session and goes to [`SECOND_STEP_PATH`] for the code.
#[server(prefix = "/api/fn", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<bool, AppError> {
    let (state, session, client) = request_context()?;
    let result = match accounts::sign_in(&state, &session, &client, &email, &password).await {
        Ok(accounts::SignInStep::Done(outcome)) => {
            set_preferences_cookie(outcome);
            Ok(true)
        }
        Ok(accounts::SignInStep::SecondFactor { challenge }) => {
            second_step::keep(&session, &challenge).await.map(|()| false)
        }
        Err(e) => Err(e),
    };
    let back = crate::model::with_next("/login", next.as_deref());
    let second = crate::model::with_next(SECOND_STEP_PATH, next.as_deref());
    let success_to = match result {
        Ok(false) => second.as_str(),
        _ => crate::model::safe_next(next.as_deref()),
    };
    let outcome = Outcome {
        form: "login",
        success_to: Some(success_to),
        notice: None,
        back: &back,
        values: vec![("email", email)],
    };
    finish(Some(&session), result, outcome).await
}

/// The page of a sign-in's second step.
pub const SECOND_STEP_PATH: &str = "/login/second-factor";

/// Whether this browser has a half-done sign-in waiting for its code.
#[server(prefix = "/api/fn", endpoint = "second_step_pending")]
pub async fn second_step_pending() -> Result<bool, AppError> {
    let (state, session) = request_session()?;
    with_status(second_step::is_pending(&state, &session).await)
}

/// Completes the browser's half-done sign-in with a code; a plain form post then goes to
/// `next` (to the security page, saying how many are left, after a recovery code).
#[server(prefix = "/api/fn", endpoint = "second_step")]
pub async fn complete_sign_in(code: String, next: Option<String>) -> Result<String, AppError> {
    let (state, session, client) = request_context()?;
    let result = async {
        let Some(challenge) = second_step::kept(&session).await else {
            return Err(AppError::new(
                crate::error::ErrorCode::Unauthorized,
                crate::model::Msg::SecondStepExpired,
            ));
        };
        let (outcome, used) = second_step::complete(&state, &session, &client, &challenge, &code).await?;
        set_preferences_cookie(outcome);
        Ok(match used {
            // Told how many are left, where new ones are made.
            crate::server::auth::second_factor::CodeUsed::Recovery { .. } => "/account/security".to_owned(),
            crate::server::auth::second_factor::CodeUsed::Totp => crate::model::safe_next(next.as_deref()).to_owned(),
        })
    }
    .await;
    let back = crate::model::with_next(SECOND_STEP_PATH, next.as_deref());
    let to = result.clone().unwrap_or_default();
    if to == "/account/security" {
        // Shown by the security page, with JavaScript or without.
        let feedback = FormFeedback {
            form: "security".into(),
            notice: Some(crate::model::Msg::RecoveryCodeUsed),
            ..Default::default()
        };
        crate::server::forms::keep_feedback(&session, feedback).await;
    }
    let outcome = Outcome {
        form: "second_step",
        success_to: Some(&to),
        notice: None,
        back: &back,
        values: vec![],
    };
    finish(Some(&session), result, outcome).await
}

#[server(prefix = "/api/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let (state, session) = request_session()?;
    let result = devices::sign_out(&state, &session).await;
    let outcome = Outcome {
        form: "logout",
        success_to: Some("/"),
        notice: None,
        back: "/",
        values: vec![],
    };
    finish(None, result, outcome).await
}

#[server(prefix = "/api/fn", endpoint = "logout_everywhere")]
pub async fn logout_everywhere() -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    let result = devices::sign_out_everywhere(&state, &session, &client).await;
    crate::server::auth::reauth::remember_if_refused(
        &session,
        &result,
        crate::model::SensitiveAction::SignOutEverywhere,
    )
    .await;
    let outcome = Outcome {
        form: "sessions",
        success_to: Some("/"),
        notice: None,
        back: "/account/sessions",
        values: vec![],
    };
    finish(None, result, outcome).await
}

#[server(prefix = "/api/fn", endpoint = "update_profile")]
pub async fn update_profile(name: String) -> Result<User, AppError> {
    let (state, session) = request_session()?;
    let result = profile::update_name(&state, &session, &name).await;
    let outcome = Outcome {
        form: "profile",
        success_to: None,
        notice: Some(crate::model::Msg::ProfileSaved),
        back: "/account",
        values: vec![("name", name)],
    };
    finish(Some(&session), result, outcome).await
}

#[server(prefix = "/api/fn", endpoint = "change_password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    let result = accounts::change_password(&state, &session, &client, &current_password, &new_password).await;
    let outcome = Outcome {
        form: "password",
        success_to: None,
        notice: Some(crate::model::Msg::PasswordChanged),
        back: "/account/password",
        values: vec![],
    };
    finish(Some(&session), result, outcome).await
}

#[server(prefix = "/api/fn", endpoint = "list_sessions")]
pub async fn list_sessions() -> Result<Vec<DeviceSession>, AppError> {
    let (state, session) = request_session()?;
    with_status(devices::list_sessions(&state, &session).await)
}

#[server(prefix = "/api/fn", endpoint = "sessions_summary")]
pub async fn sessions_summary() -> Result<SessionSummary, AppError> {
    let (state, session) = request_session()?;
    with_status(devices::summary(&state, &session).await)
}

#[server(prefix = "/api/fn", endpoint = "revoke_session")]
pub async fn revoke_session(id: String) -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    let result = devices::revoke(&state, &session, &client, &id).await;
    crate::server::auth::reauth::remember_if_refused(
        &session,
        &result,
        crate::model::SensitiveAction::RevokeSession { id: id.clone() },
    )
    .await;
    let outcome = Outcome {
        form: "sessions",
        success_to: None,
        notice: Some(crate::model::Msg::SessionRevoked),
        back: "/account/sessions",
        values: vec![],
    };
    finish(Some(&session), result, outcome).await
}

#[server(prefix = "/api/fn", endpoint = "sign_out_others")]
pub async fn sign_out_others() -> Result<usize, AppError> {
    let (state, session, client) = request_context()?;
    let result = devices::sign_out_others(&state, &session, &client).await;
    crate::server::auth::reauth::remember_if_refused(&session, &result, crate::model::SensitiveAction::SignOutOthers)
        .await;
    let outcome = Outcome {
        form: "sessions",
        success_to: None,
        notice: Some(crate::model::Msg::OthersSignedOut),
        back: "/account/sessions",
        values: vec![],
    };
    finish(Some(&session), result, outcome).await
}

/// Deletes the account (the password confirms it); the browser is a guest afterwards.
#[server(prefix = "/api/fn", endpoint = "delete_account")]
pub async fn delete_account(password: String) -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    let result = account_data::delete_account(&state, &session, &client, &password)
        .await
        .map(|deleted| {
            append_cookies(deleted.preferences_cookies);
        });
    let outcome = Outcome {
        form: "delete",
        success_to: Some("/"),
        notice: None,
        back: "/account",
        values: vec![],
    };
    // The session is gone on success: no feedback to keep in it.
    finish(Some(&session), result, outcome).await
}

/// Removes the signed-in user's avatar: initials again. (Uploading is a plain multipart form
/// posted to `POST /api/auth/profile/avatar`.)
#[server(prefix = "/api/fn", endpoint = "remove_avatar")]
pub async fn remove_avatar() -> Result<User, AppError> {
    let (state, session) = request_session()?;
    let result = crate::server::avatar::remove(&state, &session).await;
    let outcome = Outcome {
        form: "avatar",
        success_to: None,
        notice: Some(crate::model::Msg::AvatarRemoved),
        back: "/account",
        values: vec![],
    };
    finish(Some(&session), result, outcome).await
}
