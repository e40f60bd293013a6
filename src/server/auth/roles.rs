//! Roles. Admins see `/admin` and change others' roles; to everyone else every admin route
//! answers 404, as if it did not exist. The first admin is made from the command line
//! (`porch make-admin <email>`), never by a default account or password.

use crate::{
    error::{AppError, ErrorCode},
    model::{admin::UserPage, Email, Msg, Role, SecurityEventKind, User},
    server::{
        auth::{
            guessing,
            profile::{self, profile_changed, to_user},
            security_log,
        },
        client::ClientInfo,
        ratelimit::Rule,
        repo::{
            db_error,
            users::{self, Demotion},
        },
        session::AppSession,
        state::AppState,
        time::{now_ms, rfc3339},
    },
};

/// The signed-in admin, read through the profile cache (which a role change invalidates).
/// Guests, users and an unreachable session store all get the same 404.
pub async fn require_admin(state: &AppState, session: &AppSession) -> Result<User, AppError> {
    match profile::current_user(state, session).await {
        Ok(Some(user)) if user.role == Role::Admin => Ok(user),
        _ => Err(AppError::not_found()),
    }
}

/// Gives `user_id` the role `role` (a string from the client) on behalf of `admin` (from
/// [`require_admin`]). Counted against the admin's role-change limit; demoting the last admin
/// is refused (409).
pub async fn set_role(
    state: &AppState,
    session: &AppSession,
    admin: &User,
    client: &ClientInfo,
    user_id: i64,
    role: &str,
) -> Result<User, AppError> {
    let role = Role::parse(role).ok_or_else(|| AppError::fields([("role".to_owned(), Msg::RoleChoice)].into()))?;
    super::reauth::require_recent(state, session).await?;
    state
        .limiter
        .hit(&client.rate, Rule::RoleChange, &admin.id.to_string())
        .await?;
    let now = now_ms();
    let row = match role {
        Role::Admin => users::make_admin(&state.db, user_id, now).await.map_err(db_error)?,
        Role::User => match users::demote_admin(&state.db, user_id, now).await.map_err(db_error)? {
            Demotion::Demoted(row) => Some(*row),
            Demotion::NotFound => None,
            Demotion::LastAdmin => return Err(AppError::new(ErrorCode::Conflict, Msg::LastAdmin)),
        },
    };
    let row = row.ok_or_else(AppError::not_found)?;
    let detail = Some(role.as_str().to_owned());
    security_log::record_best_effort(state, user_id, SecurityEventKind::RoleChanged, Some(client), detail).await;
    // Their pages show (or hide) the admin link from their next request, on every device.
    profile_changed(state, user_id).await;
    tracing::info!(admin = admin.id, user = user_id, role = role.as_str(), "role changed");
    Ok(to_user(&row))
}

/// Resumes the password sign-in of account `user_id`, paused after too many failures, on behalf
/// of `admin` (from [`require_admin`]). Logged on the account.
///
/// Errors: 404 for an unknown account.
pub async fn unlock_user(state: &AppState, admin: &User, client: &ClientInfo, user_id: i64) -> Result<(), AppError> {
    users::by_id(&state.db, user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    guessing::unlock(state, user_id, Some(client), guessing::UnlockedBy::Admin).await?;
    tracing::info!(admin = admin.id, user = user_id, "password sign-in resumed by an admin");
    Ok(())
}

/// What `porch make-admin` did.
#[derive(Debug, PartialEq, Eq)]
pub enum MadeAdmin {
    Promoted(User),
    AlreadyAdmin,
    NoSuchAccount,
}

/// Makes the account registered with `email` an admin: the command line's way to the first
/// admin. Their cached profile and the copy their sessions read are invalidated (best effort:
/// if Redis is unreachable they expire within 30 minutes), so `/admin` opens on their next page.
pub async fn make_admin_by_email(state: &AppState, email: &str) -> Result<MadeAdmin, AppError> {
    let email = Email::parse(email).map_err(|m| AppError::fields([("email".to_owned(), m)].into()))?;
    let Some(row) = users::by_email(&state.db, email.as_str()).await.map_err(db_error)? else {
        return Ok(MadeAdmin::NoSuchAccount);
    };
    if row.role == Role::Admin.as_str() {
        return Ok(MadeAdmin::AlreadyAdmin);
    }
    let row = users::make_admin(&state.db, row.id, now_ms())
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    profile_changed(state, row.id).await;
    Ok(MadeAdmin::Promoted(to_user(&row)))
}

/// Accounts, newest first, `limit` (1 to 100) at a time from `cursor` (an account id, from the
/// previous page's `next_cursor`).
pub async fn users(state: &AppState, cursor: Option<&str>, limit: u64) -> Result<UserPage, AppError> {
    if limit == 0 || limit > 100 {
        return Err(AppError::new(ErrorCode::BadRequest, Msg::LimitInvalid));
    }
    let before = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| AppError::new(ErrorCode::BadRequest, Msg::CursorInvalid))?,
        ),
        None => None,
    };
    let (rows, next) = users::page(&state.db, before, limit).await.map_err(db_error)?;
    let pauses = futures_util::future::join_all(rows.iter().map(|r| guessing::paused_until(state, r.id))).await;
    let mut sign_in_paused = std::collections::BTreeMap::new();
    for (row, pause) in rows.iter().zip(pauses) {
        if let Some(until) = pause? {
            sign_in_paused.insert(row.id, rfc3339(until));
        }
    }
    Ok(UserPage {
        sign_in_paused,
        items: rows.iter().map(to_user).collect(),
        next_cursor: next.map(|id| id.to_string()),
    })
}
