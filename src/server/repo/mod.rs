//! All SQL lives here, one file per table.

pub mod preferences;
pub mod session_history;
pub mod users;

use sea_orm::{DbErr, SqlErr};

use crate::error::AppError;

/// A database failure as the client may see it: a connection problem is "try again" (503);
/// anything else is an internal error whose cause is logged, not shown.
pub fn db_error(e: DbErr) -> AppError {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
            tracing::warn!(error = %e, "database unavailable");
            AppError::unavailable()
        }
        e => AppError::internal(e),
    }
}

pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
