//! sea-orm entities: one file per table, mirroring the migrations. Logic lives elsewhere.

pub mod account_token;
pub mod avatar;
pub mod known_device;
pub mod mail_outbox;
pub mod preferences;
pub mod security_event;
pub mod session_history;
pub mod user;
