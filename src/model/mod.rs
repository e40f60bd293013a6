//! Types shared by the server and the WASM client: what crosses the wire, and validated inputs.

pub mod account;
pub mod activity;
pub mod admin;
pub mod format;
pub mod message;
pub mod notice;
pub mod preferences;

pub use account::{AccountExport, DeviceSession, Email, Name, Password, Role, User};
pub use activity::{EndReason, HistoryEntry, HistoryPage, SessionActivity, Visit};
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

/// `path` if it is a path on this site, else `fallback`. Never another site (`//evil.example`,
/// `/\\evil.example`), so a client-supplied return address cannot be an open redirect.
pub fn same_site_path<'a>(path: Option<&'a str>, fallback: &'a str) -> &'a str {
    match path {
        Some(p) if is_same_site_path(p) && p.len() <= 512 => p,
        _ => fallback,
    }
}

/// True for an absolute path on this site: `/settings`, never `//evil.example` or
/// `/\\evil.example` (which browsers read as another host), nor text with control characters.
pub fn is_same_site_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && !path.chars().any(char::is_control)
}

/// Where to go after signing in: the requested same-site path, else the account page.
pub fn safe_next(next: Option<&str>) -> &str {
    same_site_path(next, "/account")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_same_site_path_or_the_account_page() {
        assert_eq!(safe_next(Some("/account/sessions")), "/account/sessions");
        for bad in [
            None,
            Some(""),
            Some("https://evil.example"),
            Some("//evil.example"),
            Some("/\\evil.example"),
        ] {
            assert_eq!(safe_next(bad), "/account", "{bad:?}");
        }
    }
}
