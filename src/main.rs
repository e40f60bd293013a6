#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use porch::server::{config::Config, startup, telemetry};

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(config.is_production());
    let app = match startup::Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("start-up failed: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(
        "listening on http://{}:{}",
        app.state().leptos_options.site_addr.ip(),
        app.port()
    );
    match app.run_until(startup::shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("server error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The WASM client starts from `lib.rs`'s `hydrate`; this binary exists only with `ssr`.
}
