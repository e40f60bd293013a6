//! Types shared by the server and the WASM client: what crosses the wire, and validated inputs.

pub mod account;
pub mod activity;
pub mod admin;
pub mod format;
pub mod location;
pub mod message;
pub mod negotiation;
pub mod notice;
pub mod preferences;

pub use account::{AccountExport, DeviceSession, Email, Name, Password, Role, User};
pub use activity::{EndReason, HistoryEntry, HistoryPage, SessionActivity, Visit};
pub use location::{is_same_site_path, location, query_value, safe_next, same_site_path, with_next};
pub use message::Msg;
pub use notice::{Notice, NoticeKind};
pub use preferences::{Language, Preferences, Theme};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What a form page shows after a submission without JavaScript (post, redirect, get): the
/// outcome travels in the session for exactly one page view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFeedback {
    /// Which form it is for, e.g. `login`.
    pub form: String,
    pub error: Option<AppError>,
    pub notice: Option<Msg>,
    /// Submitted values to put back in the form (never passwords).
    pub values: BTreeMap<String, String>,
}
