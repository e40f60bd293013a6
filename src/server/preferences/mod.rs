//! Preferences: for guests in a signed cookie, for users in the database.

pub mod cookie;
