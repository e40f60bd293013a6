//! Server-only code (the `ssr` feature): configuration, start-up, state, sessions, storage.

pub mod activity;
pub mod auth;
pub mod avatar;
pub mod backend;
pub mod client;
pub mod config;
pub mod db;
pub mod entity;
pub mod forms;
pub mod headers;
pub mod health;
pub mod metrics;
pub mod migration;
pub mod notices;
pub mod preferences;
pub mod protection;
pub mod ratelimit;
pub mod redirects;
pub mod repo;
pub mod rest;
pub mod serve;
pub mod session;
pub mod startup;
pub mod state;
pub mod stats;
pub mod telemetry;
