//! The account flows that go through mail: a forgotten password, verifying the address, and
//! changing it; plus the security notices mailed on a sign-in from a new device. Each change and
//! the mail it causes are written in one transaction; the sender (`server::mail::outbox`)
//! delivers the mail afterwards, never on the request's path.

use sea_orm::{DbErr, TransactionTrait};
use serde_json::json;

use super::{
    confirm::confirm_password,
    devices::end_sessions,
    links::{self, Purpose},
    profile::profile_changed,
    security_log,
};
use crate::{
    error::{AppError, ErrorCode},
    model::{Email, EmailStatus, EndReason, Language, LinkKind, Msg, Password, SecurityEventKind, User},
    server::{
        client::ClientInfo,
        entity::user::Model as UserRow,
        mail::MailKind,
        preferences,
        ratelimit::Rule,
        repo::{account_tokens, db_error, known_devices, outbox, passkeys, second_factors, users},
        session::AppSession,
        state::AppState,
        time::now_ms,
    },
};

/// The language of the request, for mail to someone who has no account preference yet.
fn request_language(state: &AppState, client: &ClientInfo) -> Language {
    preferences::guest(state, &client.headers).prefs.language
}

fn link_invalid() -> AppError {
    AppError::new(ErrorCode::LinkInvalid, Msg::LinkInvalid)
}

/// Counts one account mail asked for to `address` by `client` (Rule::MailAddress, MailClient):
/// the same whether or not an account has the address, so neither the answer nor the refusal
/// says which.
pub(crate) async fn limit_mail(state: &AppState, client: &ClientInfo, address: &str) -> Result<(), AppError> {
    state
        .limiter
        .hit(&client.rate, Rule::MailClient, &client.ip_subject())
        .await?;
    state.limiter.hit(&client.rate, Rule::MailAddress, address).await
}

/// The forgot-password form (`POST /api/auth/password/forgot`): queues a request for a reset
/// link to `email` and answers the same, in the same time, whether or not an account has it:
/// the lookup happens in the sender, off the request path. The mail goes to the account's
/// stored address (OWASP Forgot Password Cheat Sheet).
///
/// Errors: 400 when `email` is not an address, 429 past the limits.
pub async fn request_password_reset(state: &AppState, client: &ClientInfo, email: &str) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|m| AppError::fields([("email".to_owned(), m)].into()))?;
    limit_mail(state, client, email.as_str()).await?;
    let language = request_language(state, client);
    state
        .outbox
        .queue(
            &state.db,
            MailKind::PasswordResetRequest,
            None,
            Some(email.as_str()),
            language,
            json!({}),
        )
        .await
        .map_err(db_error)?;
    state.outbox.wake();
    Ok(())
}

/// Whether `token` still works (for the pages that show a link's button): `None` when it does
/// not. Opening a page reads only; pressing its button uses the link.
pub async fn link_kind(state: &AppState, token: &str) -> Result<Option<LinkKind>, AppError> {
    let purposes = [
        Purpose::PasswordReset,
        Purpose::EmailVerification,
        Purpose::EmailChange,
        Purpose::EmailRevert,
        Purpose::SignInUnlock,
    ];
    let link = links::peek(&state.db, token, &purposes, now_ms())
        .await
        .map_err(db_error)?;
    Ok(link.and_then(|l| kind_of(l.purpose)))
}

fn kind_of(purpose: Purpose) -> Option<LinkKind> {
    Some(match purpose {
        Purpose::PasswordReset => LinkKind::PasswordReset,
        Purpose::EmailVerification => LinkKind::EmailVerification,
        Purpose::EmailChange => LinkKind::EmailChange,
        Purpose::EmailRevert => LinkKind::EmailRevert,
        Purpose::SignInUnlock => LinkKind::SignInUnlock,
        // Not a mailed link.
        Purpose::SecondStep => return None,
    })
}

/// Follows any of the links whose page has one button (verification, address change, revert,
/// unlock): what it did.
///
/// Errors: those of [`confirm_email`] and [`unlock_with_link`].
pub async fn follow_link(state: &AppState, client: &ClientInfo, token: &str) -> Result<LinkKind, AppError> {
    if link_kind(state, token).await? == Some(LinkKind::SignInUnlock) {
        unlock_with_link(state, client, token).await?;
        return Ok(LinkKind::SignInUnlock);
    }
    Ok(match confirm_email(state, client, token).await? {
        Confirmed::Verified => LinkKind::EmailVerification,
        Confirmed::Changed => LinkKind::EmailChange,
        Confirmed::Reverted => LinkKind::EmailRevert,
    })
}

/// Uses the unlock link of a "sign-in paused" mail (`POST /api/auth/unlock`): the account's
/// password sign-in resumes at once. The pause ends before the link is used up, so a store that
/// cannot be reached leaves the link working.
///
/// Errors: 400 `link_invalid`; 503 when the session store is unreachable.
pub async fn unlock_with_link(state: &AppState, client: &ClientInfo, token: &str) -> Result<(), AppError> {
    let purpose = [Purpose::SignInUnlock];
    let Some(link) = links::peek(&state.db, token, &purpose, now_ms())
        .await
        .map_err(db_error)?
    else {
        return Err(link_invalid());
    };
    super::guessing::unlock(state, link.user.id, Some(client), super::guessing::UnlockedBy::Link).await?;
    let txn = state.db.begin().await.map_err(db_error)?;
    let taken = links::take(&txn, token, &purpose, now_ms()).await.map_err(db_error)?;
    if taken.is_none() {
        let _ = txn.rollback().await;
        return Err(link_invalid());
    }
    txn.commit().await.map_err(db_error)?;
    Ok(())
}

/// Sets a new password with a reset link's token (`POST /api/auth/password/reset`). Every
/// session and bearer token of the account ends (archived as `password_reset`), other reset
/// links and any pending address change die, the address counts as verified (the link reached
/// it), and a "password changed" mail is queued, all with the password in one transaction.
/// Nobody is signed in: the new password signs in.
///
/// Errors: 400 `validation` (`fields.newPassword`) for a refused password, leaving the link
/// usable; 400 `link_invalid` for a used, expired, replaced or unknown token.
pub async fn reset_password(
    state: &AppState,
    client: &ClientInfo,
    token: &str,
    new_password: &str,
) -> Result<(), AppError> {
    // A dead link is said before the hash is paid for.
    let Some(link) = links::peek(&state.db, token, &[Purpose::PasswordReset], now_ms())
        .await
        .map_err(db_error)?
    else {
        return Err(link_invalid());
    };
    let password = state
        .hasher
        .check_new(new_password, &[&link.user.name, &link.user.email])
        .await?
        .map_err(|m| AppError::fields([("newPassword".to_owned(), m)].into()))?;
    let hash = state.hasher.hash(&password).await?;
    // Every session ends before the new password counts: if the session store cannot end them,
    // nothing changes (the link still works), rather than a reset that leaves a thief signed in.
    end_sessions(state, link.user.id, None, EndReason::PasswordReset).await?;
    let txn = state.db.begin().await.map_err(db_error)?;
    let user_id = async {
        let now = now_ms();
        let Some(link) = links::take(&txn, token, &[Purpose::PasswordReset], now).await? else {
            return Ok(None);
        };
        let user = &link.user;
        users::set_password_hash(&txn, user.id, &hash, now).await?;
        // The link reached the account's address: that proves the address too.
        if user.email_verified_at.is_none() {
            users::mark_email_verified(&txn, user.id, &user.email, now).await?;
        }
        password_changed_in(state, &txn, user).await?;
        security_log::record(&txn, user.id, SecurityEventKind::PasswordReset, Some(client), None).await?;
        Ok::<_, DbErr>(Some(user.id))
    }
    .await
    .map_err(db_error)?;
    let Some(user_id) = user_id else {
        // Another request took the token first: exactly one reset wins.
        let _ = txn.rollback().await;
        return Err(link_invalid());
    };
    txn.commit().await.map_err(db_error)?;
    // The failed guesses that may have led here do not lock out the new password.
    let pair = format!("{}|{}", link.user.email, client.ip_subject());
    state.limiter.clear(Rule::SignIn, &pair).await;
    let by = super::guessing::UnlockedBy::Reset;
    if let Err(e) = super::guessing::unlock(state, user_id, Some(client), by).await {
        tracing::warn!(error = %e.message, user = user_id, "sign-in pause not ended by a reset");
    }
    state.outbox.wake();
    // A sign-in with the old password between the first pass and the commit ends too.
    if let Err(e) = end_sessions(state, user_id, None, EndReason::PasswordReset).await {
        tracing::warn!(error = %e.message, user = user_id, "sessions started during a reset not ended");
    }
    profile_changed(state, user_id).await;
    tracing::info!(user = user_id, "password reset");
    Ok(())
}

/// What a password change by any way does besides the hash, on its transaction: reset links
/// and a pending address change die, and the owner is told by mail.
pub(crate) async fn password_changed_in(
    state: &AppState,
    txn: &impl sea_orm::ConnectionTrait,
    user: &UserRow,
) -> Result<(), DbErr> {
    // The unsent mail first: a sender making its token waits for this, or finds it gone.
    outbox::cancel_unsent(txn, user.id, MailKind::EmailChangeConfirm.as_str()).await?;
    // So do sign-ins waiting for their second step: they stood on the old password.
    account_tokens::delete_for(
        txn,
        user.id,
        &[
            Purpose::PasswordReset.as_str(),
            Purpose::EmailChange.as_str(),
            Purpose::SecondStep.as_str(),
        ],
    )
    .await?;
    state
        .outbox
        .queue(
            txn,
            MailKind::PasswordChanged,
            Some(user.id),
            None,
            Language::default(),
            json!({}),
        )
        .await
}

/// What following a verification or address-change link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    Verified,
    Changed,
    /// The old address is back, every session ended, the password cleared and a reset link on
    /// its way.
    Reverted,
}

/// Uses a verification or address-change link (`POST /api/auth/email/verify`): marks the
/// address verified, or makes the new address the account's (verified, since the link reached
/// it; uniqueness checked now) and tells the old address. No session is needed: the link is
/// the proof.
///
/// Errors: 400 `link_invalid`; 409 when another account has the new address now.
pub async fn confirm_email(state: &AppState, client: &ClientInfo, token: &str) -> Result<Confirmed, AppError> {
    let revert = links::peek(&state.db, token, &[Purpose::EmailRevert], now_ms())
        .await
        .map_err(db_error)?;
    if let Some(link) = revert {
        return revert_email(state, client, token, link.user.id).await;
    }
    let purposes = [Purpose::EmailVerification, Purpose::EmailChange];
    let txn = state.db.begin().await.map_err(db_error)?;
    let now = now_ms();
    let Some(link) = links::take(&txn, token, &purposes, now).await.map_err(db_error)? else {
        let _ = txn.rollback().await;
        return Err(link_invalid());
    };
    let user = &link.user;
    let outcome = match (link.purpose, link.new_email.as_deref()) {
        (Purpose::EmailChange, Some(new_email)) => {
            match users::change_email(&txn, user.id, &user.email, new_email, now)
                .await
                .map_err(db_error)?
            {
                users::EmailChange::Changed => {}
                users::EmailChange::Stale => {
                    let _ = txn.rollback().await;
                    return Err(link_invalid());
                }
                users::EmailChange::Taken => {
                    let _ = txn.rollback().await;
                    return Err(AppError::new(ErrorCode::Conflict, Msg::EmailTakenNow));
                }
            }
            // Links made for the old address die with it.
            let all = [
                Purpose::PasswordReset.as_str(),
                Purpose::EmailVerification.as_str(),
                Purpose::EmailChange.as_str(),
            ];
            account_tokens::delete_for(&txn, user.id, &all)
                .await
                .map_err(db_error)?;
            // The old address is told only if it was proven to be the owner's.
            if user.email_verified_at.is_some() {
                state
                    .outbox
                    .queue(
                        &txn,
                        MailKind::EmailChanged,
                        Some(user.id),
                        Some(&user.email),
                        Language::default(),
                        json!({ "newEmail": new_email }),
                    )
                    .await
                    .map_err(db_error)?;
            }
            let detail = Some(new_email.to_owned());
            security_log::record(&txn, user.id, SecurityEventKind::EmailChanged, Some(client), detail)
                .await
                .map_err(db_error)?;
            Confirmed::Changed
        }
        _ => {
            if !users::mark_email_verified(&txn, user.id, &user.email, now)
                .await
                .map_err(db_error)?
            {
                let _ = txn.rollback().await;
                return Err(link_invalid());
            }
            security_log::record(&txn, user.id, SecurityEventKind::EmailVerified, Some(client), None)
                .await
                .map_err(db_error)?;
            Confirmed::Verified
        }
    };
    txn.commit().await.map_err(db_error)?;
    state.outbox.wake();
    // Every session shows the new address (or the verified mark) on its next page.
    profile_changed(state, user.id).await;
    Ok(outcome)
}

/// Follows a revert link from an "address changed" mail: the old address comes back, every
/// session and link of the account ends, and the password is cleared (whoever changed the
/// address may know it) with a reset link mailed to the restored address. Sessions end before
/// anything changes, and again after, as in a reset.
async fn revert_email(state: &AppState, client: &ClientInfo, token: &str, user_id: i64) -> Result<Confirmed, AppError> {
    end_sessions(state, user_id, None, EndReason::Revoked).await?;
    let txn = state.db.begin().await.map_err(db_error)?;
    let now = now_ms();
    let Some(link) = links::take(&txn, token, &[Purpose::EmailRevert], now)
        .await
        .map_err(db_error)?
    else {
        let _ = txn.rollback().await;
        return Err(link_invalid());
    };
    let (user, Some(old)) = (&link.user, link.new_email.as_deref()) else {
        let _ = txn.rollback().await;
        return Err(link_invalid());
    };
    let restored = async {
        if user.email != old {
            match users::change_email(&txn, user.id, &user.email, old, now).await? {
                users::EmailChange::Changed => {}
                other => return Ok(Err(other)),
            }
        }
        // No password is known to be the owner's alone any more: none works until a new one
        // is chosen through the link mailed below. Nor is any second factor or passkey: whoever
        // changed the address could have added their own, to come back with or to lock the
        // owner out after the reset.
        users::set_password_hash(&txn, user.id, CLEARED_PASSWORD, now).await?;
        if user.totp_secret.is_some() {
            second_factors::disable_totp(&txn, user.id, now).await?;
            let kind = SecurityEventKind::SecondFactorDisabled;
            security_log::record(&txn, user.id, kind, Some(client), None).await?;
        }
        if passkeys::delete_all(&txn, user.id).await? > 0 {
            let kind = SecurityEventKind::PasskeyRemoved;
            security_log::record(&txn, user.id, kind, Some(client), Some("*".to_owned())).await?;
        }
        outbox::cancel_unsent(&txn, user.id, MailKind::EmailChangeConfirm.as_str()).await?;
        let every = [
            Purpose::PasswordReset.as_str(),
            Purpose::EmailVerification.as_str(),
            Purpose::EmailChange.as_str(),
            Purpose::EmailRevert.as_str(),
            Purpose::SecondStep.as_str(),
            Purpose::SignInUnlock.as_str(),
        ];
        account_tokens::delete_for(&txn, user.id, &every).await?;
        let detail = Some(old.to_owned());
        security_log::record(&txn, user.id, SecurityEventKind::EmailChanged, Some(client), detail).await?;
        state
            .outbox
            .queue(
                &txn,
                MailKind::PasswordResetRequest,
                None,
                Some(old),
                Language::default(),
                json!({}),
            )
            .await?;
        Ok::<_, DbErr>(Ok(()))
    };
    match restored.await.map_err(db_error)? {
        Ok(()) => {}
        Err(_) => {
            let _ = txn.rollback().await;
            return Err(AppError::new(ErrorCode::Conflict, Msg::EmailTakenNow));
        }
    }
    txn.commit().await.map_err(db_error)?;
    state.outbox.wake();
    if let Err(e) = end_sessions(state, user.id, None, EndReason::Revoked).await {
        tracing::warn!(error = %e.message, user = user.id, "sessions started during a revert not ended");
    }
    profile_changed(state, user.id).await;
    tracing::info!(user = user.id, "address change reverted");
    Ok(Confirmed::Reverted)
}

/// A stored password hash no password verifies against (not a PHC string): the account's
/// password after a revert, until a reset sets a new one.
const CLEARED_PASSWORD: &str = "!cleared";

/// Queues the verification mail of a new account, on the registration's transaction.
pub(crate) async fn queue_verification(
    state: &AppState,
    txn: &impl sea_orm::ConnectionTrait,
    user_id: i64,
    language: Language,
) -> Result<(), DbErr> {
    state
        .outbox
        .queue(
            txn,
            MailKind::EmailVerification,
            Some(user_id),
            None,
            language,
            json!({}),
        )
        .await
}

/// "Send again" (`POST /api/auth/email/verification`): a new verification link to the signed-in
/// user's address, replacing the older one. Answered alike when the address is already
/// verified (nothing is sent then).
///
/// Errors: 401 signed out, 429 past the limits.
pub async fn resend_verification(state: &AppState, session: &AppSession, client: &ClientInfo) -> Result<(), AppError> {
    let me = session.require_signed_in().await?;
    let user = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    limit_mail(state, client, &user.email).await?;
    if user.email_verified_at.is_none() {
        queue_verification(state, &state.db, user.id, request_language(state, client))
            .await
            .map_err(db_error)?;
        state.outbox.wake();
    }
    Ok(())
}

/// The "Change email" form (`PUT /api/auth/profile/email`): with the current password, mails
/// a confirmation link to the new address and a notice to the current one. The address changes
/// only when the link is followed ([`confirm_email`]); asking again replaces the pending one.
///
/// Errors: 400 (`fields.email`, `fields.password`), 401 signed out, 429 past the limits.
pub async fn request_email_change(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    new_email: &str,
    password: &str,
) -> Result<(), AppError> {
    let me = session.require_signed_in().await?;
    let email = Email::parse(new_email);
    let password = Password::parse_existing(password);
    let (email, password) = match (email, password) {
        (Ok(e), Ok(p)) => (e, p),
        (e, p) => {
            let mut fields = std::collections::BTreeMap::new();
            if let Err(m) = e {
                fields.insert("email".to_owned(), m);
            }
            if let Err(m) = p {
                fields.insert("password".to_owned(), m);
            }
            return Err(AppError::fields(fields));
        }
    };
    let user = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    confirm_password(state, Some(session), client, &user, &password, "password").await?;
    if email.as_str() == user.email {
        return Err(AppError::fields([("email".to_owned(), Msg::EmailSame)].into()));
    }
    limit_mail(state, client, email.as_str()).await?;
    let language = request_language(state, client);
    let txn = state.db.begin().await.map_err(db_error)?;
    let queued = async {
        outbox::cancel_unsent(&txn, user.id, MailKind::EmailChangeConfirm.as_str()).await?;
        account_tokens::delete_for(&txn, user.id, &[Purpose::EmailChange.as_str()]).await?;
        let details = json!({ "newEmail": email.as_str() });
        let outbox = &state.outbox;
        outbox
            .queue(
                &txn,
                MailKind::EmailChangeConfirm,
                Some(user.id),
                Some(email.as_str()),
                language,
                json!({}),
            )
            .await?;
        // The current address hears of it only if it is proven to be the owner's.
        if user.email_verified_at.is_none() {
            return Ok(());
        }
        outbox
            .queue(
                &txn,
                MailKind::EmailChangeRequested,
                Some(user.id),
                Some(&user.email),
                language,
                details,
            )
            .await
    };
    queued.await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    state.outbox.wake();
    Ok(())
}

pub async fn email_status(
    state: &AppState,
    session: &AppSession,
    known: Option<&User>,
) -> Result<EmailStatus, AppError> {
    let me = session.require_signed_in().await?;
    // A page has its user from the request (its copy is replaced whenever the address or its
    // verification changes): only what is pending is read.
    let (email, verified) = match known.filter(|user| user.id == me.user_id) {
        Some(user) => (user.email.clone(), user.email_verified),
        None => {
            let user = users::by_id(&state.db, me.user_id)
                .await
                .map_err(db_error)?
                .ok_or_else(AppError::not_found)?;
            (user.email, user.email_verified_at.is_some())
        }
    };
    let pending = account_tokens::pending_email(&state.db, me.user_id, &email, now_ms())
        .await
        .map_err(db_error)?;
    let pending = match pending {
        Some(p) => Some(p),
        None => outbox::unsent_recipient(&state.db, me.user_id, MailKind::EmailChangeConfirm.as_str())
            .await
            .map_err(db_error)?,
    };
    Ok(EmailStatus {
        email,
        verified,
        pending,
    })
}

/// Records the browser and system of a sign-in and, when the account has signed in from
/// others but never from this one, queues a "new sign-in" mail with it (sent if the owner's
/// notifications preference is on). Best effort: a sign-in never fails because of it.
pub async fn note_sign_in_device(state: &AppState, user_id: i64, client: &ClientInfo) {
    let device = client.device_label();
    let now = now_ms();
    let result = async {
        let txn = state.db.begin().await?;
        if known_devices::note(&txn, user_id, &device, now).await? == known_devices::Seen::New {
            let details = json!({
                "device": device,
                "ip": client.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                "time": crate::server::time::mail_time(now),
            });
            let language = request_language(state, client);
            state
                .outbox
                .queue(&txn, MailKind::NewSignIn, Some(user_id), None, language, details)
                .await?;
        }
        txn.commit().await?;
        state.outbox.wake();
        Ok::<_, DbErr>(())
    };
    if let Err(e) = result.await {
        tracing::warn!(error = %e, user_id, "sign-in device not recorded");
    }
}
