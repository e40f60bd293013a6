//! Logging: human-readable in development, JSON lines in production. `RUST_LOG` overrides.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

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
