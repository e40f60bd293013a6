//! Types shared by the server and the WASM client: what crosses the wire, and validated inputs.

pub mod account;
pub mod activity;
pub mod admin;
pub mod form;
pub mod format;
pub mod location;
pub mod message;
pub mod negotiation;
pub mod notice;
pub mod preferences;
pub mod request_view;
pub mod security;

pub use account::{
    AccountExport, DeviceSession, Email, EmailStatus, LinkKind, Name, Password, Role, SessionSummary, User,
};
pub use activity::{EndReason, HistoryEntry, HistoryPage, SessionActivity, Visit};
pub use form::FormFeedback;
pub use location::{is_same_site_path, location, query_value, safe_next, same_site_path, with_next};
pub use message::Msg;
pub use notice::{Notice, NoticeKind};
pub use preferences::{Language, Preferences, Theme};
pub use request_view::{Badge, Holes, RequestView, Viewer};
pub use security::{
    Passkey, SecurityEvent, SecurityEventKind, SecurityLogPage, SecurityOverview, SensitiveAction, TotpSetup,
};
