//! Notices shown to a signed-in user's other devices.

use serde::{Deserialize, Serialize};

/// "New sign-in: Firefox on Linux, 10:42": shown on every other live session of the user (when
/// their notifications are on) until dismissed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub id: String,
    pub kind: NoticeKind,
    /// The new session's browser and system (as on the devices page).
    pub browser: String,
    pub os: String,
    /// RFC 3339.
    pub at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    SignIn,
}
