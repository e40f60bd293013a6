//! Accounts and what belongs to them: registering and signing in (`accounts`), the profile and
//! its cache (`profile`), signed-in devices (`devices`), bearer tokens (`tokens`), password
//! hashing (`password`), export and deletion (`account_data`), roles and the admin page's
//! figures (`admin`), mailed links' tokens (`links`) and the flows that mail them: a forgotten
//! password, verifying and changing the address (`mail_flows`); confirming the user's own
//! password before a sensitive change (`confirm`); random tokens and their digests (`opaque`); the security log (`security_log`); one account's password guessed from many addresses
//! (`guessing`); re-authentication before sensitive actions (`reauth`); the second factor
//! (`second_factor`) and the sign-in step that asks for it (`second_step`).

pub mod account_data;
pub mod accounts;
pub mod confirm;
pub mod devices;
pub mod guessing;
pub mod links;
pub mod mail_flows;
pub mod opaque;
pub mod passkeys;
pub mod password;
pub mod pending_action;
pub mod profile;
pub mod reauth;
pub mod roles;
pub mod second_factor;
pub mod second_step;
pub mod security_log;
pub mod security_page;
pub mod tokens;
