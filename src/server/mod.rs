//! Server-only code (the `ssr` feature): configuration, start-up, state, sessions, storage.

pub mod activity;
pub mod auth;
pub mod backend;
pub mod client;
pub mod config;
pub mod db;
pub mod entity;
pub mod forms;
pub mod health;
pub mod migration;
pub mod preferences;
pub mod repo;
pub mod rest;
pub mod session;
pub mod startup;
pub mod state;
pub mod telemetry;
