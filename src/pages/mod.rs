//! One routed page per file (closely related pages share one).

pub mod account;
pub mod activity;
pub mod admin;
pub mod auth;
pub mod home;
pub mod mail;
pub mod security;
pub mod settings;
