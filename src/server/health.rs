//! `GET /api/health`: what the app's dependencies look like right now.
//!
//! Always 200 while the process can answer: Redis or the database being down puts the app in
//! its defined degraded mode (pages still render), which `status` reports; a load balancer that
//! must not route to a degraded instance reads the body.

use std::time::Duration;

use axum::{extract::State, Json};
use serde::Serialize;

use super::{
    backend::{BackendError, BackendKind},
    state::AppState,
};

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Degraded,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RedisStatus {
    Connected,
    Down,
    /// No `REDIS_URL`: sessions live in process memory.
    Memory,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseStatus {
    Up,
    Down,
}

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: Status,
    pub redis: RedisStatus,
    pub database: DatabaseStatus,
}

/// Upper bound for each probe, so the health check itself never hangs.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

pub async fn check(state: &AppState) -> Health {
    let redis = async {
        match state.backend.kind() {
            BackendKind::Memory => RedisStatus::Memory,
            BackendKind::Redis => match tokio::time::timeout(PROBE_TIMEOUT, state.backend.ping()).await {
                Ok(Ok(())) => RedisStatus::Connected,
                Ok(Err(BackendError::Unavailable(_) | BackendError::Other(_))) | Err(_) => RedisStatus::Down,
            },
        }
    };
    let database = async {
        match tokio::time::timeout(PROBE_TIMEOUT, state.db.ping()).await {
            Ok(Ok(())) => DatabaseStatus::Up,
            _ => DatabaseStatus::Down,
        }
    };
    let (redis, database) = tokio::join!(redis, database);
    let status = if redis != RedisStatus::Down && database == DatabaseStatus::Up {
        Status::Ok
    } else {
        Status::Degraded
    };
    Health {
        status,
        redis,
        database,
    }
}

pub async fn handler(State(state): State<AppState>) -> Json<Health> {
    Json(check(&state).await)
}
