//! Session activity and history as pages and the JSON API show them.

use serde::{Deserialize, Serialize};

/// Why a session ended. The wire name is what `session_history.end_reason` stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The user signed out on this device.
    SignOut,
    /// The user signed out of every device.
    SignOutEverywhere,
    /// Another of the user's devices signed this one out.
    Revoked,
    /// The password changed on another device.
    PasswordChange,
    /// The password was reset through a mailed link: every session ended.
    PasswordReset,
    /// A client ended it through `DELETE /api/session`.
    Ended,
    /// Its id was replaced (sign-in, password change on this device): the visit goes on under
    /// a new session.
    Renewed,
    /// It timed out.
    Expired,
}

impl EndReason {
    pub const ALL: [EndReason; 8] = [
        EndReason::SignOut,
        EndReason::SignOutEverywhere,
        EndReason::Revoked,
        EndReason::PasswordChange,
        EndReason::PasswordReset,
        EndReason::Ended,
        EndReason::Renewed,
        EndReason::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::SignOut => "sign_out",
            EndReason::SignOutEverywhere => "sign_out_everywhere",
            EndReason::Revoked => "revoked",
            EndReason::PasswordChange => "password_change",
            EndReason::PasswordReset => "password_reset",
            EndReason::Ended => "ended",
            EndReason::Renewed => "renewed",
            EndReason::Expired => "expired",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

/// Newest page views kept per session; the total count is kept separately.
pub const PAGES_KEPT: usize = 100;

/// The "This session" page's path. It records its own client-side visits (the
/// `this_session` server function), so the navigation tracker leaves it out.
pub const SESSION_PATH: &str = "/session";

/// One visited page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Visit {
    pub page: String,
    /// RFC 3339.
    pub at: String,
}

/// One ended session in a user's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub id: i64,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub ended_at: String,
    pub duration_secs: i64,
    pub page_count: i64,
    pub first_pages: Vec<String>,
    pub end_reason: EndReason,
}

/// A session's activity: `GET /api/session` and the "This session" page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionActivity {
    /// RFC 3339.
    pub start_time: String,
    /// RFC 3339.
    pub last_seen: String,
    /// Seconds from start to last seen; never negative.
    pub session_duration: i64,
    pub page_count: i64,
    /// Newest first, `limit` of them from `offset`.
    pub pages_visited: Vec<Visit>,
    pub offset: usize,
    pub limit: usize,
}

/// One page of a user's history: `GET /api/auth/history` and the history page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    /// Newest first.
    pub items: Vec<HistoryEntry>,
    /// Where the next (older) page starts; `None` on the last page.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub next_cursor: Option<String>,
}
