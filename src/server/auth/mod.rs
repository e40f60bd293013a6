//! Authentication: password hashing and the account operations built on it.

pub mod account_data;
pub mod accounts;
pub mod admin;
pub mod password;
