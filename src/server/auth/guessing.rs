//! Guessing one account's password from many addresses (issue 20; OWASP Authentication Cheat
//! Sheet, "Protect Against Automated Attacks": account lockout with a growing delay). The
//! per-address limits (`ratelimit`) do not see a guesser who rotates addresses, so failed
//! password sign-ins are also counted per account, from anywhere: past
//! `RATE_LIMIT_SIGN_IN_ACCOUNT` (20 an hour) the account's password sign-in pauses for
//! `SIGN_IN_PAUSE` (15 minutes), twice as long for each further pause within a day, up to a day.
//!
//! While paused, every password sign-in of the account fails with the generic answer, after the
//! same work as a wrong password (a hash is verified), so the guesser learns nothing. The owner
//! gets one mail per pause with an unlock link; passkey sign-in and a password reset still work
//! (a reset ends the pause); admins unlock on `/admin`. Counters live in the backend, keyed by
//! digests, so they hold across instances.

use serde_json::json;

use super::security_log;
use crate::{
    error::AppError,
    model::{Language, SecurityEventKind},
    server::{
        backend::unavailable,
        client::ClientInfo,
        entity::user::Model as UserRow,
        mail::MailKind,
        ratelimit::Rule,
        repo::db_error,
        state::AppState,
        time::{now_ms, rfc3339, Millis},
    },
};

/// The longest pause, and the window in which pauses count as repeated: a day.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What the per-account counters are kept under: the account's id, or for an address no
/// account has, the address (digested with the rest of the key), so that both cost the same.
fn subject(user: Option<&UserRow>, typed_email: &str) -> String {
    match user {
        Some(user) => user.id.to_string(),
        None => format!("unknown:{typed_email}"),
    }
}

fn pause_key(subject: &str) -> String {
    let digest = super::opaque::digest(subject);
    format!("sign_in_pause:{}", &digest[..32])
}

fn pauses_key(user_id: i64) -> String {
    format!("sign_in_pauses:{user_id}")
}

/// What an attempt may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted; verify the password.
    Counted,
    /// The account's password sign-in is paused: fail generically (after the same work).
    Paused,
}

/// Counts one password attempt on `user` (before its hash, so concurrent guesses cannot outrun
/// the limit; a success is [given back](give_back)), or on the address typed when no account
/// has it, with the same work, so the time taken says nothing about which. Pauses the account
/// when this attempt passes the limit. Nothing of it shows in the response's headers.
///
/// Errors: 503 when the backend cannot count.
pub async fn attempt(
    state: &AppState,
    user: Option<&UserRow>,
    typed_email: &str,
    client: &ClientInfo,
) -> Result<Attempt, AppError> {
    let subject = subject(user, typed_email);
    if paused(state, &subject).await?.is_some() {
        return Ok(Attempt::Paused);
    }
    let decision = state.limiter.count_quietly(Rule::SignInAccount, &subject).await?;
    if decision.allowed {
        return Ok(Attempt::Counted);
    }
    match user {
        Some(user) => pause(state, user, client, decision.limit).await?,
        // Nobody to tell; the address answers as a paused account would.
        None => {
            let length = state.config.security.sign_in_pause.as_millis().min(DAY_MS as u128) as i64;
            state
                .backend
                .rate_count(&pause_key(&subject), 1, length, now_ms())
                .await
                .map_err(unavailable)?;
        }
    }
    Ok(Attempt::Paused)
}

/// Gives back the attempt of a sign-in whose password was right.
pub async fn give_back(state: &AppState, user_id: i64) {
    state.limiter.give_back(Rule::SignInAccount, &user_id.to_string()).await;
}

/// Until when (Unix ms) the account's password sign-in is paused, if it is.
pub async fn paused_until(state: &AppState, user_id: i64) -> Result<Option<Millis>, AppError> {
    paused(state, &user_id.to_string()).await
}

async fn paused(state: &AppState, subject: &str) -> Result<Option<Millis>, AppError> {
    let pause = state
        .backend
        .rate_count(&pause_key(subject), 0, DAY_MS, now_ms())
        .await
        .map_err(unavailable)?;
    Ok((pause.count > 0).then_some(pause.resets_at))
}

/// Starts a pause unless one is on. Only the request that starts it logs it and mails the
/// owner, so however many attempts follow, one mail goes out per pause.
async fn pause(state: &AppState, user: &UserRow, client: &ClientInfo, attempts: u32) -> Result<(), AppError> {
    let now = now_ms();
    let backend = &state.backend;
    let earlier = backend
        .rate_count(&pauses_key(user.id), 0, DAY_MS, now)
        .await
        .map_err(unavailable)?
        .count;
    let base = state.config.security.sign_in_pause.as_millis().min(DAY_MS as u128) as i64;
    let length = base.saturating_mul(1 << earlier.clamp(0, 16)).min(DAY_MS);
    let key = pause_key(&user.id.to_string());
    let started = backend.rate_count(&key, 1, length, now).await.map_err(unavailable)?;
    if started.count != 1 {
        return Ok(());
    }
    backend
        .rate_count(&pauses_key(user.id), 1, DAY_MS, now)
        .await
        .map_err(unavailable)?;
    // A new window of failures starts after the pause.
    state.limiter.clear(Rule::SignInAccount, &user.id.to_string()).await;
    let until = rfc3339(started.resets_at);
    tracing::warn!(user = user.id, until, "password sign-in paused after too many failures");
    let logged = async {
        use sea_orm::TransactionTrait;
        let txn = state.db.begin().await?;
        let detail = Some(until.clone());
        security_log::record(&txn, user.id, SecurityEventKind::AccountLocked, Some(client), detail).await?;
        let params =
            json!({ "attempts": attempts.to_string(), "until": crate::server::time::mail_time(started.resets_at) });
        state
            .outbox
            .queue(
                &txn,
                MailKind::SignInPaused,
                Some(user.id),
                None,
                Language::default(),
                params,
            )
            .await?;
        txn.commit().await
    };
    if let Err(e) = logged.await {
        // Without its mail the owner could not resume early: the next attempt starts it again.
        let _ = backend.rate_clear(&key).await;
        return Err(db_error(e));
    }
    state.outbox.wake();
    Ok(())
}

/// Who ended a pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockedBy {
    /// The owner, with the mailed link.
    Link,
    /// An admin on `/admin`.
    Admin,
    /// A password reset.
    Reset,
}

impl UnlockedBy {
    fn as_str(self) -> &'static str {
        match self {
            UnlockedBy::Link => "link",
            UnlockedBy::Admin => "admin",
            UnlockedBy::Reset => "reset",
        }
    }
}

/// Ends the account's pause and forgets its failures. Logged when a pause was on.
///
/// Errors: 503 when the backend cannot be reached.
pub async fn unlock(
    state: &AppState,
    user_id: i64,
    client: Option<&ClientInfo>,
    by: UnlockedBy,
) -> Result<bool, AppError> {
    let was_paused = paused_until(state, user_id).await?.is_some();
    state
        .backend
        .rate_clear(&pause_key(&user_id.to_string()))
        .await
        .map_err(unavailable)?;
    state.limiter.clear(Rule::SignInAccount, &user_id.to_string()).await;
    if was_paused {
        let detail = Some(by.as_str().to_owned());
        security_log::record_best_effort(state, user_id, SecurityEventKind::AccountUnlocked, client, detail).await;
    }
    Ok(was_paused)
}
