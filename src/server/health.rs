//! `GET /api/health`: what the app's dependencies look like right now.
//!
//! Always 200 while the process can answer: Redis or the database being down puts the app in
//! its defined degraded mode (pages still render), which `status` reports; a load balancer that
//! must not route to a degraded instance reads the body.

use std::time::Duration;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

use super::{
    backend::{BackendError, BackendKind, SessionStats},
    state::AppState,
};
use crate::server::time::now_ms;

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
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: Status,
    pub redis: RedisStatus,
    pub database: DatabaseStatus,
    /// `null` while the session store cannot be read.
    pub session_stats: Option<SessionStats>,
}

impl Health {
    /// Whether this instance should get traffic: every dependency answers.
    pub fn ready(&self) -> bool {
        self.status == Status::Ok
    }
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
    let stats = async {
        match tokio::time::timeout(PROBE_TIMEOUT, state.backend.stats(now_ms())).await {
            Ok(Ok(stats)) => Some(stats),
            _ => None,
        }
    };
    let (redis, database, session_stats) = tokio::join!(redis, database, stats);
    let status = if redis != RedisStatus::Down && database == DatabaseStatus::Up {
        Status::Ok
    } else {
        Status::Degraded
    };
    Health {
        status,
        redis,
        database,
        session_stats,
    }
}

pub async fn handler(State(state): State<AppState>) -> Json<Health> {
    Json(check(&state).await)
}

/// `GET /healthz`: the process is alive and answering; no dependency is asked.
pub async fn alive() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 when Redis (if configured) and the database answer, else 503, so a load
/// balancer can take this instance out of rotation while they are down.
pub async fn ready(State(state): State<AppState>) -> Response {
    let health = check(&state).await;
    let status = if health.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(health)).into_response()
}
/// `GET /metrics`.
pub async fn prometheus(State(state): State<AppState>) -> Response {
    let live = tokio::time::timeout(Duration::from_secs(1), state.backend.stats(now_ms()))
        .await
        .ok()
        .and_then(Result::ok)
        .map(|s| s.active_sessions);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(live),
    )
        .into_response()
}
