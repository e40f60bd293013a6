//! The security log: each event on an account's credentials and sessions, written in the
//! transaction of the change it records (where the change is in the database), shown to its
//! owner on `/account/security-log` and `GET /api/auth/security-log`, exported with the account,
//! deleted with it (by cascade) and after 90 days (the archive sweep prunes it).

use sea_orm::{ConnectionTrait, DbErr};

use crate::{
    error::AppError,
    model::{SecurityEvent, SecurityEventKind, SecurityLogPage},
    server::{
        client::ClientInfo,
        repo::{
            db_error,
            security_log::{self, NewEvent},
            TimeCursor,
        },
        session::AppSession,
        state::AppState,
        time::{now_ms, rfc3339},
    },
};

/// Writes one event for `user_id` on `db` (pass the transaction of the change it records).
/// `client` is the request that caused it, if one did; `detail` what the kind carries.
pub async fn record(
    db: &impl ConnectionTrait,
    user_id: i64,
    kind: SecurityEventKind,
    client: Option<&ClientInfo>,
    detail: Option<String>,
) -> Result<(), DbErr> {
    security_log::insert(
        db,
        NewEvent {
            user_id,
            kind: kind.as_str(),
            at: now_ms(),
            ip: client.and_then(|c| c.ip).map(|ip| ip.to_string()),
            device: client.map(ClientInfo::device_label),
            detail,
        },
    )
    .await
}

/// [`record`] for an event whose change is not in the database (sessions ended in Redis, a
/// failed sign-in): a failure to write it is logged and does not undo what happened.
pub async fn record_best_effort(
    state: &AppState,
    user_id: i64,
    kind: SecurityEventKind,
    client: Option<&ClientInfo>,
    detail: Option<String>,
) {
    if let Err(e) = record(&state.db, user_id, kind, client, detail).await {
        tracing::warn!(error = %e, user_id, kind = kind.as_str(), "security log entry not written");
    }
}

/// [`record_best_effort`] in a task of its own, so the request does not wait for it.
pub fn record_later(
    state: &AppState,
    user_id: i64,
    kind: SecurityEventKind,
    client: &ClientInfo,
    detail: Option<String>,
) {
    let (state, client) = (state.clone(), client.clone());
    tokio::spawn(async move {
        record_best_effort(&state, user_id, kind, Some(&client), detail).await;
    });
}

/// The signed-in user's log, newest first, from `cursor` (`limit` 1–100).
///
/// Errors: 401 for a guest; 400 for an unreadable cursor or a limit out of range.
pub async fn page(
    state: &AppState,
    session: &AppSession,
    cursor: Option<&str>,
    limit: u64,
) -> Result<SecurityLogPage, AppError> {
    let me = session.require_signed_in().await?;
    page_of(state, me.user_id, cursor, limit).await
}

/// `user_id`'s log, newest first, from `cursor` (`limit` 1–100).
pub async fn page_of(
    state: &AppState,
    user_id: i64,
    cursor: Option<&str>,
    limit: u64,
) -> Result<SecurityLogPage, AppError> {
    let cursor = TimeCursor::read_page(cursor, limit)?;
    let (rows, next) = security_log::page_for_user(&state.db, user_id, cursor, limit)
        .await
        .map_err(db_error)?;
    let items = rows
        .into_iter()
        // A kind this version does not know (written by a newer one) is left out, not guessed.
        .filter_map(|r| {
            Some(SecurityEvent {
                id: r.id,
                kind: SecurityEventKind::parse(&r.kind)?,
                at: rfc3339(r.at),
                ip: r.ip,
                device: r.device,
                detail: r.detail,
            })
        })
        .collect();
    Ok(SecurityLogPage {
        items,
        next_cursor: next.map(TimeCursor::encode),
    })
}
