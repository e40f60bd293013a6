//! Accounts and what belongs to them: registering and signing in (`accounts`), the profile and
//! its cache (`profile`), signed-in devices (`devices`), bearer tokens (`tokens`), password
//! hashing (`password`), export and deletion (`account_data`), roles and the admin page's
//! figures (`admin`).

pub mod account_data;
pub mod accounts;
pub mod devices;
pub mod password;
pub mod profile;
pub mod roles;
pub mod tokens;
