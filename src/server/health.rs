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

/// `ok` while every dependency answers, else `degraded`.
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Degraded,
}

/// The session store: Redis answering, Redis not answering, or no Redis configured.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RedisStatus {
    Connected,
    Down,
    /// No `REDIS_URL`: sessions live in process memory.
    Memory,
}

/// Whether the database answered a ping within a second.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseStatus {
    Up,
    Down,
}

/// `GET /api/health` and `GET /readyz`: the app's dependencies now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: Status,
    pub redis: RedisStatus,
    pub database: DatabaseStatus,
    /// `null` while the session store cannot be read.
    #[schema(required = true)]
    pub session_stats: Option<SessionStats>,
}

impl Health {
    /// Whether this instance should get traffic: every dependency answers.
    pub fn ready(&self) -> bool {
        self.status == Status::Ok
    }

    /// 200 while [`Self::ready`], else 503: what a monitor or load balancer reads first.
    pub fn readiness_status(&self) -> StatusCode {
        if self.ready() {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        }
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

/// `GET /api/health`: [`Health`], always 200 while the process answers.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "health",
    responses(
        (status = 200, description = "The dependencies now; `status` is `degraded` when one is down.", body = Health),
    ),
)]
pub async fn handler(State(state): State<AppState>) -> Json<Health> {
    Json(check(&state).await)
}

/// Seed 001's health answer (`../shared/seeds/001`, "Health Check Response"):
/// `{"status": "OK", "redis": "connected", "database": "up", "sessionStats": {"activeSessions",
/// "cachedProfiles", "blacklistedTokens"}}`. `status` is `"OK"` with 200 while every dependency
/// answers, else `"DEGRADED"` with 503 (what a monitor polling it expects); `redis` is
/// `"connected"`, `"disconnected"` or `"memory"` (no Redis configured); `sessionStats` is
/// `null` while the session store cannot be read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedHealth {
    pub status: SeedStatus,
    pub redis: SeedRedisStatus,
    pub database: DatabaseStatus,
    /// `null` while the session store cannot be read.
    #[schema(required = true)]
    pub session_stats: Option<SeedSessionStats>,
}

/// Seed 001's `status`: `OK` (200) while every dependency answers, else `DEGRADED` (503).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SeedStatus {
    Ok,
    Degraded,
}

/// Seed 001's `redis`: `connected`, `disconnected`, or `memory` when no Redis is configured.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeedRedisStatus {
    Connected,
    Disconnected,
    Memory,
}

/// The seed's session figures. `blacklistedTokens`: sessions (and so their bearer tokens)
/// ended by a sign-out or a revocation in the last 24 hours, the seed's blacklist lifetime.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedSessionStats {
    pub active_sessions: u64,
    pub cached_profiles: u64,
    pub blacklisted_tokens: u64,
}

impl From<Health> for SeedHealth {
    fn from(health: Health) -> Self {
        Self {
            status: if health.ready() {
                SeedStatus::Ok
            } else {
                SeedStatus::Degraded
            },
            redis: match health.redis {
                RedisStatus::Connected => SeedRedisStatus::Connected,
                RedisStatus::Down => SeedRedisStatus::Disconnected,
                RedisStatus::Memory => SeedRedisStatus::Memory,
            },
            database: health.database,
            session_stats: health.session_stats.map(|s| SeedSessionStats {
                active_sessions: s.active_sessions,
                cached_profiles: s.cached_profiles,
                blacklisted_tokens: s.revoked_sessions,
            }),
        }
    }
}

/// `GET /api/auth/health`: [`SeedHealth`], 200 or 503.
#[utoipa::path(
    get,
    path = "/api/auth/health",
    tag = "health",
    responses(
        (status = 200, description = "Every dependency answers (`status` is `OK`).", body = SeedHealth),
        (status = 503, description = "A dependency is down (`status` is `DEGRADED`): the same shape.", body = SeedHealth),
    ),
)]
pub async fn seed_handler(State(state): State<AppState>) -> Response {
    let health = check(&state).await;
    (health.readiness_status(), Json(SeedHealth::from(health))).into_response()
}

/// A dependency's change between two scheduled checks, worth one log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    WentDown,
    CameBack,
}

/// What a probe finding `up` means after `before` (`None`: the first probe). Only changes are
/// told, and a dependency already down at start-up is told once.
pub fn change(before: Option<bool>, up: bool) -> Option<Change> {
    match (before, up) {
        (Some(true) | None, false) => Some(Change::WentDown),
        (Some(false), true) => Some(Change::CameBack),
        _ => None,
    }
}

/// How soon a dependency found down is probed again (when that is sooner than the interval), so
/// its return is seen within seconds rather than a whole interval later.
const RECHECK_WHILE_DOWN: Duration = Duration::from_secs(10);

/// Seed 001's scheduled health check: every `interval` this instance probes Redis (when it has
/// one) and the database, sets `porch_dependency_up`, and logs a line when one goes down or
/// comes back, not on every probe. The first probe runs at once; while something is down the
/// probes come every [`RECHECK_WHILE_DOWN`] at most.
pub fn spawn_watch(state: AppState, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut known: [Option<bool>; 2] = [None, None];
        loop {
            let health = check(&state).await;
            let probes = [
                (
                    "redis",
                    (health.redis != RedisStatus::Memory).then_some(health.redis == RedisStatus::Connected),
                ),
                ("database", Some(health.database == DatabaseStatus::Up)),
            ];
            for ((name, up), before) in probes.into_iter().zip(known.iter_mut()) {
                let Some(up) = up else { continue };
                state.metrics.set_dependency_up(name, up);
                match change(*before, up) {
                    Some(Change::WentDown) => tracing::error!(dependency = name, "health check: {name} is down"),
                    Some(Change::CameBack) => tracing::warn!(dependency = name, "health check: {name} is back"),
                    None => {}
                }
                *before = Some(up);
            }
            let all_up = known.iter().all(|up| up.unwrap_or(true));
            let wait = if all_up {
                interval
            } else {
                interval.min(RECHECK_WHILE_DOWN)
            };
            tokio::time::sleep(wait).await;
        }
    })
}

/// `GET /healthz`: the process is alive and answering; no dependency is asked.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses(
        (status = 200, description = "The process answers: the text `ok`.", body = String, content_type = "text/plain",
            example = "ok"),
    ),
)]
pub async fn alive() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 when Redis (if configured) and the database answer, else 503, so a load
/// balancer can take this instance out of rotation while they are down.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready: every dependency answers.", body = Health),
        (status = 503, description = "Not ready: a dependency is down (the same shape, `status` `degraded`).", body = Health),
    ),
)]
pub async fn ready(State(state): State<AppState>) -> Response {
    let health = check(&state).await;
    (health.readiness_status(), Json(health)).into_response()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changes_are_told() {
        assert_eq!(change(None, true), None, "up at start-up: nothing to say");
        assert_eq!(
            change(None, false),
            Some(Change::WentDown),
            "down at start-up: said once"
        );
        assert_eq!(change(Some(true), true), None);
        assert_eq!(change(Some(true), false), Some(Change::WentDown));
        assert_eq!(change(Some(false), false), None, "still down: not on every probe");
        assert_eq!(change(Some(false), true), Some(Change::CameBack));
    }
}
