//! All SQL lives here, one file per table.

pub mod account_tokens;
pub mod avatars;
pub mod daily_stats;
pub mod known_devices;
pub mod outbox;
pub mod passkeys;
pub mod preferences;
pub mod second_factors;
pub mod security_log;
pub mod session_history;
pub mod users;

use sea_orm::{DbErr, SqlErr};

use crate::error::AppError;

/// A database failure as the client may see it: a connection problem is "try again" (503);
/// anything else is an internal error whose cause is logged, not shown.
pub fn db_error(e: DbErr) -> AppError {
    if is_outage(&e) {
        tracing::warn!(error = %e, "database unavailable");
        AppError::unavailable()
    } else {
        AppError::internal(e)
    }
}

/// Whether the failure is the database being unreachable (down, restarting, connections cut),
/// or a conflict with another transaction that trying again resolves, rather than something
/// wrong with the query.
fn is_outage(e: &DbErr) -> bool {
    use sea_orm::{sqlx::Error as Sqlx, RuntimeErr};
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => match &**inner {
            Sqlx::Io(_)
            | Sqlx::Tls(_)
            | Sqlx::Protocol(_)
            | Sqlx::PoolTimedOut
            | Sqlx::PoolClosed
            | Sqlx::WorkerCrashed => true,
            // Connection exceptions (08), operator intervention such as a shutdown or a
            // terminated connection (57), a database that is gone (3D000); and a transaction
            // PostgreSQL rolled back to break a deadlock (40P01) or a serialisation conflict
            // (40001) with another: nothing is wrong with the request, and trying again works.
            // SQLite's "database is busy/locked" past the busy timeout is the same (5, 6).
            Sqlx::Database(db) => db.code().is_some_and(|code| {
                code.starts_with("08")
                    || code.starts_with("57")
                    || code.starts_with("40")
                    || matches!(code.as_ref(), "3D000" | "5" | "6" | "517" | "262")
            }),
            _ => false,
        },
        _ => false,
    }
}

/// Where a page of a newest-first list starts: after the row (at, id). Rows added meanwhile are
/// newer, so they never shift a page. Written `<at>.<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeCursor {
    pub at: i64,
    pub id: i64,
}

impl TimeCursor {
    pub fn encode(self) -> String {
        format!("{}.{}", self.at, self.id)
    }

    pub fn decode(value: &str) -> Option<Self> {
        let (at, id) = value.split_once('.')?;
        Some(Self {
            at: at.parse().ok()?,
            id: id.parse().ok()?,
        })
    }

    /// A page request's `cursor` and `limit`: an absent or empty cursor is the newest page;
    /// the limit is 1–100. Errors: 400 `cursor_invalid` / `limit_invalid`.
    pub fn read_page(cursor: Option<&str>, limit: u64) -> Result<Option<Self>, AppError> {
        use crate::{error::ErrorCode, model::Msg};
        if limit == 0 || limit > 100 {
            return Err(AppError::new(ErrorCode::BadRequest, Msg::LimitInvalid));
        }
        match cursor.filter(|c| !c.is_empty()) {
            Some(c) => Self::decode(c)
                .map(Some)
                .ok_or_else(|| AppError::new(ErrorCode::BadRequest, Msg::CursorInvalid)),
            None => Ok(None),
        }
    }
}

pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub fn is_foreign_key_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_)))
}
