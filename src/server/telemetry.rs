//! Logging: human-readable in development, JSON lines in production. `RUST_LOG` overrides.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,fred=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    // `try_init`: tests start many apps in one process; only the first installs the subscriber.
    let _ = if json {
        registry.with(fmt::layer().json()).try_init()
    } else {
        registry.with(fmt::layer()).try_init()
    };
}
