//! Every server function, one file per feature. Each is thin: it takes the request context,
//! calls the plain function in `server::*` that the JSON API calls too, and maps the outcome
//! for JavaScript and no-JavaScript clients alike (`server::forms`).

pub mod activity;
pub mod admin;
pub mod auth;
pub mod mail;
pub mod notices;
pub mod preferences;
pub mod security;
