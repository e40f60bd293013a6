//! Server functions behind `/admin`. Each answers 404 to anyone but an admin, as the JSON
//! admin API does.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{
    auth::roles,
    dashboard,
    fn_context::{request_context, request_session, with_status},
    forms::{finish, Outcome},
};
use crate::{
    error::AppError,
    model::{
        admin::{AdminStats, UserPage},
        User,
    },
};

/// Accounts listed per page of the admin page.
pub const USERS_PER_PAGE: u64 = 20;

/// The admin page's figures (those of `GET /api/admin/stats`).
#[server(prefix = "/api/fn", endpoint = "admin_figures")]
pub async fn admin_figures() -> Result<AdminStats, AppError> {
    let (state, session) = request_session()?;
    let result = async {
        roles::require_admin(&state, &session).await?;
        dashboard::stats(&state).await
    };
    with_status(result.await)
}

/// A page of accounts, newest first, from `cursor`.
#[server(prefix = "/api/fn", endpoint = "admin_users")]
pub async fn admin_users(cursor: Option<String>) -> Result<UserPage, AppError> {
    let (state, session) = request_session()?;
    let result = async {
        roles::require_admin(&state, &session).await?;
        roles::users(&state, cursor.as_deref(), USERS_PER_PAGE).await
    };
    with_status(result.await)
}

/// Resumes the password sign-in of the account `user` (its id), paused after too many failures.
#[server(prefix = "/api/fn", endpoint = "unlock_user")]
pub async fn unlock_user(user: String) -> Result<(), AppError> {
    let (state, session, client) = request_context()?;
    let acting = with_status(roles::require_admin(&state, &session).await)?;
    let result = match user.parse::<i64>() {
        Ok(id) => roles::unlock_user(&state, &acting, &client, id).await,
        Err(_) => Err(AppError::not_found()),
    };
    let outcome = Outcome {
        form: "unlock",
        success_to: None,
        notice: Some(crate::model::Msg::SignInResumed),
        back: "/admin",
        values: vec![],
    };
    finish(Some(&session), result, outcome).await
}

/// Gives the account `user` (its id) the role `role` (`admin` or `user`).
#[server(prefix = "/api/fn", endpoint = "set_user_role")]
pub async fn set_user_role(user: String, role: String) -> Result<User, AppError> {
    let (state, session, client) = request_context()?;
    // Anyone but an admin gets the 404 itself, not a form round trip that would tell more.
    let acting = with_status(roles::require_admin(&state, &session).await)?;
    let result = match user.parse::<i64>() {
        Ok(id) => roles::set_role(&state, &session, &acting, &client, id, &role).await,
        Err(_) => Err(AppError::not_found()),
    }
    // The role is a button's hidden value, not a field the page could highlight: say what
    // is wrong in the form's message itself.
    .map_err(|mut e| {
        if let Some(msg) = e.fields.remove("role") {
            e.message = msg;
        }
        e
    });
    let action = crate::model::SensitiveAction::SetRole { user, role };
    crate::server::auth::reauth::remember_if_refused(&session, &result, action).await;
    let outcome = Outcome {
        form: "roles",
        success_to: None,
        notice: Some(crate::model::Msg::RoleChanged),
        back: "/admin",
        values: vec![],
    };
    finish(Some(&session), result, outcome).await
}
