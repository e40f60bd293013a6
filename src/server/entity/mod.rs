//! sea-orm entities: one file per table, mirroring the migrations. Logic lives elsewhere.

pub mod account_token;
pub mod avatar;
pub mod ceremony;
pub mod known_device;
pub mod mail_outbox;
pub mod passkey;
pub mod preferences;
pub mod recovery_code;
pub mod security_event;
pub mod session_history;
pub mod user;
