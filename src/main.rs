//! The server binary: load the configuration, build the app, serve it (or run `porch make-admin`).

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
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(command) = args.first() {
        return run_command(config, command, &args[1..]).await;
    }
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

/// `porch make-admin <email>`: the one command besides serving (README, "Admins").
#[cfg(feature = "ssr")]
async fn run_command(
    mut config: porch::server::config::Config,
    command: &str,
    args: &[String],
) -> std::process::ExitCode {
    use porch::server::{
        auth::roles::{make_admin_by_email, MadeAdmin},
        startup,
    };
    use std::process::ExitCode;

    let [email] = args else {
        eprintln!("usage: porch make-admin <email>   (no arguments: serve the site)");
        return ExitCode::from(2);
    };
    if command != "make-admin" {
        eprintln!("unknown command {command:?}; usage: porch make-admin <email>");
        return ExitCode::from(2);
    }
    // The same start-up as the server (migrations, Redis for the caches), on a port nobody uses.
    config.leptos.site_addr.set_port(0);
    config.metrics_addr = None;
    let app = match startup::Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("start-up failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    match make_admin_by_email(app.state(), email).await {
        Ok(MadeAdmin::Promoted(user)) => {
            println!("{} <{}> is now an admin.", user.name, user.email);
            ExitCode::SUCCESS
        }
        Ok(MadeAdmin::AlreadyAdmin) => {
            println!("{email} is already an admin.");
            ExitCode::SUCCESS
        }
        Ok(MadeAdmin::NoSuchAccount) => {
            eprintln!("No account is registered with {email}; register it on the site first.");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{email}: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The WASM client starts from `lib.rs`'s `hydrate`; this binary exists only with `ssr`.
}
