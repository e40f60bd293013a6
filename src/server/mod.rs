//! Server-only code (the `ssr` feature): configuration, start-up, state, sessions, storage.

pub mod backend;
pub mod config;
pub mod db;
pub mod entity;
pub mod health;
pub mod migration;
pub mod session;
pub mod startup;
pub mod state;
pub mod telemetry;
