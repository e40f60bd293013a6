//! Logging: human-readable in development, JSON lines in production (`RUST_LOG` overrides), and
//! the line (and request metrics) of each request.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use tracing::Instrument;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use super::state::AppState;

/// tower-sessions logs every store failure at ERROR, once per touch: during a Redis outage
/// that is thousands of lines a second. An outage shows instead in `/api/health`, `/readyz`,
/// the request lines' 503s and the Redis client's own warnings, so those lines are silenced.
const DEFAULT_FILTER: &str = "info,sqlx=warn,fred=warn,tower_sessions_core=off";

pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    // `try_init`: tests start many apps in one process; only the first installs the subscriber.
    let _ = if json {
        registry.with(fmt::layer().json()).try_init()
    } else {
        registry.with(fmt::layer()).try_init()
    };
}

/// A request id from the client if it looks like one (a proxy's), else a new random one.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| tower_sessions::session::Id::default().to_string())
}

/// Logs one line per request (id, method, route, status, time) and records its metrics. The
/// line names the route pattern, or the path without its query: never a cookie, token,
/// password or session id.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    let method = request.method().to_string();
    let matched = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", id = %id);
    let mut response = next.run(request).instrument(span).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    // Unmatched paths (assets, 404s) share one series.
    let route = matched.as_deref().unwrap_or("other");
    state.metrics.observe_request(&method, route, status, elapsed);
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %matched.as_deref().unwrap_or(&path),
        status,
        ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
