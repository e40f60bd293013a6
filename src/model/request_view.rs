//! What a page renders from besides its route, read once per request: the preferences, who is
//! signed in, the sign-in notices to show. On the server the page middleware builds it before
//! rendering (`server::page`); in the browser it is read back from the attributes the server
//! wrote, so hydration starts from exactly what was rendered.

use super::{Notice, Preferences, Role, User};
use crate::error::AppError;

/// The signed-in user as the page knows it: `Ok(None)` for a guest, `Err` while the session
/// store cannot say (pages that need the user answer 503, public ones render as a guest's).
pub type Viewer = Result<Option<User>, AppError>;

/// One request's view, shared by every component of the page (one `Arc` on the server).
#[derive(Debug, Clone)]
pub struct RequestView {
    pub prefs: Preferences,
    pub viewer: Viewer,
    /// Newest first; empty for guests and when there is nothing new.
    pub notices: Vec<Notice>,
    /// Set while the server renders a cached page's template: per-request values are written
    /// as these markers, filled in for each response (`server::page::cache`). Never in the
    /// browser.
    pub holes: Option<Holes>,
}

impl Default for RequestView {
    fn default() -> Self {
        Self {
            prefs: Preferences::default(),
            viewer: Ok(None),
            notices: Vec::new(),
            holes: None,
        }
    }
}

/// The markers a page template carries where a response has its own values. Each is a fixed
/// text plus a random part made once per process, so no visitor can type one (a name holding
/// one is just a name: values are never searched for markers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holes {
    /// The CSP nonce of the page's scripts.
    pub nonce: String,
    /// The current path and query, as forms send it back (`back`, `next`).
    pub here: String,
    /// The `data-user` attribute: the viewer as JSON.
    pub viewer_json: String,
    pub name: String,
    pub initials: String,
    /// The avatar disc's colour number.
    pub colour: String,
    pub avatar_url: String,
}

impl Holes {
    /// The common start of every marker for `token`.
    pub fn prefix(token: &str) -> String {
        format!("porchhole{token}x")
    }

    /// Marker number `index`: the prefix, the index, `z`.
    pub fn marker(token: &str, index: usize) -> String {
        format!("{}{index}z", Self::prefix(token))
    }

    /// The markers for a per-process `token` (ASCII letters and digits, so escaping for text,
    /// attributes and JSON leaves them unchanged).
    pub fn new(token: &str) -> Self {
        let m = |i| Self::marker(token, i);
        Self {
            nonce: m(0),
            here: m(1),
            viewer_json: m(2),
            name: m(3),
            initials: m(4),
            colour: m(5),
            avatar_url: m(6),
        }
    }

    /// The sentinel user a template is rendered for: a member of `role`, with an avatar image
    /// or initials; every value that varies between users is a marker.
    pub fn user(&self, role: Role, avatar: bool) -> User {
        User {
            id: 0,
            name: self.name.clone(),
            email: String::new(),
            created_at: String::new(),
            updated_at: String::new(),
            role,
            avatar_url: avatar.then(|| self.avatar_url.clone()),
            email_verified: false,
        }
    }
}

/// What a user's name looks like next to it: the avatar's image or initials on a coloured
/// disc. Built by [`Badge::of`], or from markers while a template renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub name: String,
    pub initials: String,
    /// `0`–`7`, as text (it ends a class name).
    pub colour: String,
    pub avatar_url: Option<String>,
}

impl Badge {
    pub fn of(user: &User) -> Self {
        Self {
            name: user.name.clone(),
            initials: user.initials(),
            colour: user.colour().to_string(),
            avatar_url: user.avatar_url.clone(),
        }
    }

    /// The badge written as markers (the avatar's address only when `user` has one).
    pub fn holes(holes: &Holes, user: &User) -> Self {
        Self {
            name: holes.name.clone(),
            initials: holes.initials.clone(),
            colour: holes.colour.clone(),
            avatar_url: user.avatar_url.as_ref().map(|_| holes.avatar_url.clone()),
        }
    }
}

/// The JSON of the `data-user` attribute.
pub fn viewer_json(viewer: &Viewer) -> String {
    serde_json::to_string(viewer).unwrap_or_else(|_| r#"{"Ok":null}"#.to_owned())
}

/// A `data-user` attribute's viewer; anything unreadable is a guest.
pub fn parse_viewer_json(json: &str) -> Viewer {
    serde_json::from_str(json).unwrap_or(Ok(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_survive_every_escaping_unchanged() {
        let holes = Holes::new("Ab12");
        for marker in [&holes.nonce, &holes.here, &holes.name, &holes.avatar_url] {
            assert!(marker.bytes().all(|b| b.is_ascii_alphanumeric()), "{marker}");
        }
        assert_ne!(holes.name, holes.initials);
        let viewer: Viewer = Ok(Some(holes.user(Role::Admin, false)));
        assert_eq!(parse_viewer_json(&viewer_json(&viewer)), viewer);
        assert_eq!(parse_viewer_json("not json"), Ok(None));
    }
}
