//! What the admin page and `GET /api/admin/stats` show. Shared by server and client.

use serde::{Deserialize, Serialize};

/// The figures of the last 24 hours and the system now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AdminStats {
    /// RFC 3339.
    pub generated_at: String,
    /// Sessions alive now, guests and signed-in.
    pub live_sessions: u64,
    /// The 24 hours up to and including the current one, oldest first.
    pub hourly: Vec<HourStats>,
    /// The 30 days up to and including today (UTC), oldest first.
    pub daily: Vec<DayStats>,
    /// The most viewed paths over those hours, most viewed first.
    pub top_pages: Vec<PageViews>,
    /// How long the sessions that ended in the last 30 days lasted.
    pub session_duration: DurationStats,
    /// This instance's profile cache since it started.
    pub profile_cache: CacheUse,
    /// Redis memory and keys; `None` when sessions are kept in process memory.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub store: Option<StoreUse>,
}

/// The counted figures, in one list: each becomes a [`Figure`], a field of [`Figures`] (the
/// JSON of an hour or a day, camelCase), the field of the per-hour hash in Redis and the column
/// of `daily_stats` (both the snake_case name). A new figure is one line here, plus the
/// migration that adds its column.
macro_rules! figures {
    ($($figure:ident => $field:ident,)*) => {
        /// What the admin page counts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Figure {
            $($figure,)*
        }

        impl Figure {
            pub const ALL: [Figure; [$(Figure::$figure,)*].len()] = [$(Figure::$figure,)*];

            /// The field in the per-hour hash and the column in `daily_stats`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Figure::$figure => stringify!($field),)*
                }
            }
        }

        /// One value per [`Figure`].
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(rename_all = "camelCase")]
        pub struct Figures {
            $(pub $field: i64,)*
        }

        impl Figures {
            pub fn get(&self, figure: Figure) -> i64 {
                match figure {
                    $(Figure::$figure => self.$field,)*
                }
            }

            /// Each figure's value from `value`.
            pub fn from_fn(value: impl Fn(Figure) -> i64) -> Self {
                Self {
                    $($field: value(Figure::$figure),)*
                }
            }
        }
    };
}

figures! {
    SessionsStarted => sessions_started,
    SessionsEnded => sessions_ended,
    PageViews => page_views,
    SignIns => sign_ins,
    SignInFailures => sign_in_failures,
    RateLimited => rate_limited,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HourStats {
    /// The hour's start, RFC 3339.
    pub hour: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DayStats {
    /// The day's start (UTC midnight), RFC 3339.
    pub day: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PageViews {
    pub path: String,
    pub views: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DurationStats {
    /// Sessions counted (the most recent 100,000 at most).
    pub sessions: u64,
    /// `None` when there were none.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub median_seconds: Option<i64>,
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub p90_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CacheUse {
    pub hits: u64,
    pub misses: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StoreUse {
    pub used_memory_bytes: u64,
    pub keys: u64,
}

/// A page of accounts for the admin page, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserPage {
    pub items: Vec<super::User>,
    /// Account id → until when (RFC 3339) its password sign-in is paused after too many
    /// failures, for the accounts of this page that are paused.
    #[serde(default)]
    pub sign_in_paused: std::collections::BTreeMap<i64, String>,
    /// Pass as `cursor` for the next (older) page; `None` on the last.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub next_cursor: Option<String>,
}
