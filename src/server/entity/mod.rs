//! sea-orm entities: one file per table, mirroring the migrations. Logic lives elsewhere.

pub mod avatar;
pub mod preferences;
pub mod session_history;
pub mod user;
