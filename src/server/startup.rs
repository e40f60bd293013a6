//! Builds the application from a [`Config`] and serves it.
//!
//! `Application::build` binds the listener first (port 0 works, and [`Application::port`] says
//! which port was chosen), so tests start the real app exactly as `main` does.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    extract::Request,
    middleware,
    routing::{any, get},
    Router,
};
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::net::TcpListener;

use super::{
    archive::Archiver,
    auth::password::{default_params, PasswordHasherPool},
    backend::{memory::MemoryBackend, redis::RedisBackend, Backend, BackendLimits},
    config::Config,
    db, forms, health, json_api,
    mail::{outbox::Outbox, MailTransport, Mailer},
    metrics::Metrics,
    page::{cache::PageCache, page_middleware, PageNonce},
    page_routes::PageRoutes,
    preferences::cookie::PreferencesCookie,
    protection::{limits_and_headers, refuse_cross_site},
    ratelimit::{rate_limit_layer, RateLimiter},
    session::{layer::session_middleware, SessionSettings},
    state::{AppState, SharedState},
    telemetry,
};
use crate::{
    app::{shell, App},
    error::AppError,
};

/// The app's routes, generated once per process.
///
/// Generating them runs the app with resource loading suppressed through a process-global flag
/// (leptos issue #4773): a page rendering at that moment in another instance in this process
/// (tests, or several instances side by side) would wait forever on its resources. Every
/// instance takes the list from here, before it serves anything.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// How long start-up waits for a first Redis connection before going on degraded.
const REDIS_CONNECT_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Database(#[from] db::DbSetupError),
    #[error("REDIS_URL: {0}")]
    Redis(String),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("{0}")]
    Mail(String),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    private: Option<(TcpListener, Router)>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let db = db::connect(&config.database).await?;
        let sessions = Arc::new(SessionSettings::from_config(&config.session, config.secret.expose()));
        let limits = BackendLimits {
            archive_grace_ms: config.session.archive_grace.as_millis() as i64,
            ..BackendLimits::default()
        };
        let backend: Arc<dyn Backend> = match &config.redis {
            Some(redis) => {
                let backend = RedisBackend::connect(redis, limits, sessions.guest_idle_ms, REDIS_CONNECT_WAIT)
                    .await
                    .map_err(|e| StartupError::Redis(e.to_string()))?;
                tracing::info!(prefix = %redis.key_prefix, "sessions in Redis");
                Arc::new(backend)
            }
            None => {
                tracing::info!(
                    "REDIS_URL is not set: sessions are kept in process memory (one instance only; lost on restart)"
                );
                Arc::new(MemoryBackend::new(limits, sessions.guest_idle_ms))
            }
        };

        let preferences_cookie = PreferencesCookie::new(config.secret.expose(), config.session.cookie_secure);
        let leptos_options = config.leptos.clone();
        let addr = leptos_options.site_addr;
        let routes = route_list();
        let page_routes = Arc::new(PageRoutes::new(routes.iter().map(|r| r.path())));
        let metrics = Arc::new(Metrics::default());
        let limiter = RateLimiter::new(backend.clone(), config.rate_limits, metrics.clone());
        let archiver = Archiver::new(backend.clone(), db.clone(), metrics.tally.clone());
        let mailer = Mailer::new(&config.mail.transport, config.mail.from.clone()).map_err(StartupError::Mail)?;
        if let MailTransport::Files { dir, .. } = &config.mail.transport {
            tracing::info!(dir = %dir.display(), "SMTP_URL is not set: mail is written as .eml files");
        }
        let outbox = Arc::new(Outbox::new(
            db.clone(),
            mailer,
            metrics.clone(),
            &config.mail,
            config.secret.expose(),
        ));
        let webauthn = crate::server::auth::passkeys::relying_party(&config.mail.public_url).map(Arc::new);
        let state = AppState::new(SharedState {
            webauthn,
            leptos_options: leptos_options.clone(),
            config: Arc::new(config),
            db,
            backend,
            sessions,
            page_routes,
            hasher: PasswordHasherPool::new(default_params()),
            preferences_cookie,
            metrics,
            page_cache: PageCache::new(),
            limiter,
            archiver,
            outbox,
            stopping: tokio::sync::watch::channel(false).0,
        });

        let context = {
            let state = state.clone();
            move || {
                provide_context(state.clone());
                provide_page_request();
            }
        };
        let mut router = Router::new();
        if state.config.metrics_public {
            router = router.route("/metrics", get(health::prometheus));
        }
        let router = router
            .route("/api/health", get(health::handler))
            .route("/api/auth/health", get(health::seed_handler))
            .route("/healthz", get(health::alive))
            .route("/readyz", get(health::ready))
            .merge(json_api::routes())
            .leptos_routes_with_context(&state, routes, context.clone(), {
                let options = leptos_options.clone();
                move || shell(options.clone())
            })
            // Unknown API paths get JSON, not the HTML 404 page.
            .route("/api/{*rest}", any(api_not_found))
            .route("/user/{*rest}", any(api_not_found))
            // A known path asked with a method it does not take: 405 (axum adds `Allow`, RFC 9110
            // §15.5.6), with the API's JSON error on API paths.
            .method_not_allowed_fallback(method_not_allowed)
            .fallback({
                let files_and_pages = leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell);
                // An unknown API path the routes above do not reach (`/user/`, `//user//x`)
                // still gets the API's JSON 404, never the HTML page.
                move |uri: http::Uri, state: axum::extract::State<AppState>, request: Request| {
                    let files_and_pages = files_and_pages.clone();
                    async move {
                        use axum::response::IntoResponse;
                        if super::page_routes::is_api_path(uri.path()) {
                            return api_not_found(request).await.into_response();
                        }
                        // The 404 page from its template, once no file answers the path.
                        match request.extensions().get::<super::page::cache::Slot>().cloned() {
                            Some(slot) if !is_site_file(&state.leptos_options, uri.path()).await => {
                                let app = state.0.clone();
                                super::page::cache::serve(
                                    &app.page_cache,
                                    &app.metrics,
                                    slot,
                                    request,
                                    move |request| files_and_pages(uri, state, request),
                                )
                                .await
                            }
                            _ => files_and_pages(uri, state, request).await,
                        }
                    }
                }
            })
            // Outermost last: the session is there before a page's request view is built.
            .layer(middleware::from_fn_with_state(state.clone(), page_middleware))
            .layer(middleware::from_fn_with_state(state.clone(), session_middleware))
            .layer(middleware::from_fn(rate_limit_layer))
            .layer(middleware::from_fn_with_state(state.clone(), forms::refusal_pages))
            .layer(middleware::from_fn(refuse_cross_site))
            .layer(middleware::from_fn_with_state(state.clone(), limits_and_headers))
            .layer(middleware::from_fn_with_state(state.clone(), telemetry::observe))
            .with_state(state.clone());

        let listener = TcpListener::bind(addr).await.map_err(|e| StartupError::Bind(addr, e))?;
        // Metrics are for operators: on their own listener unless METRICS_PUBLIC says otherwise.
        let private = match state.config.metrics_addr {
            Some(addr) => {
                let listener = TcpListener::bind(addr).await.map_err(|e| StartupError::Bind(addr, e))?;
                let router = Router::new()
                    .route("/metrics", get(health::prometheus))
                    .route("/healthz", get(health::alive))
                    .route("/readyz", get(health::ready))
                    .with_state(state.clone());
                Some((listener, router))
            }
            None => None,
        };
        Ok(Self {
            listener,
            router,
            state,
            private,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// The port of the private metrics listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.private
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
            .map(|a| a.port())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let sweeper = self
            .state
            .archiver
            .clone()
            .spawn_sweeper(self.state.config.session.sweep_interval);
        let flusher = self
            .state
            .metrics
            .tally
            .clone()
            .spawn_flusher(self.state.backend.clone(), self.state.config.stats_flush_interval);
        let health_watch = health::spawn_watch(self.state.clone(), self.state.config.health_check_interval);
        let mail_sender = self.state.outbox.spawn(self.state.stopping.subscribe());
        let private = self.private.map(|(listener, router)| {
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!("metrics listener failed: {e}");
                }
            })
        });
        let header_read_timeout = self.state.config.header_read_timeout;
        let stopping = self.state.stopping.clone();
        let shutdown = async move {
            shutdown.await;
            stopping.send_replace(true);
        };
        let served = super::serve::serve(self.listener, self.router, header_read_timeout, shutdown).await;
        sweeper.abort();
        flusher.abort();
        health_watch.abort();
        mail_sender.abort();
        // What was counted since the last flush still reaches the figures.
        if let Err(e) = self.state.metrics.tally.flush(self.state.backend.as_ref()).await {
            tracing::warn!(error = %e, "last figures not saved: session store unavailable");
        }
        if let Some(private) = private {
            private.abort();
        }
        served
    }
}

/// Gives the page its request view and its CSP nonce (a marker while a cached page's template
/// renders), taken once from the request the page middleware prepared.
fn provide_page_request() {
    let Some(parts) = use_context::<http::request::Parts>() else {
        return;
    };
    let page = parts.extensions.get::<crate::context::PageRequest>().cloned();
    let nonce = match page.as_ref().and_then(|page| page.0.holes.as_ref()) {
        Some(holes) => Some(holes.nonce.as_str().into()),
        None => parts.extensions.get::<PageNonce>().map(|nonce| nonce.0.clone()),
    };
    if let Some(nonce) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
    if let Some(page) = page {
        provide_context(page);
    }
    // For the page's server-function reads (`fn_context::request_session`).
    if let Some(session) = parts.extensions.get::<super::session::AppSession>() {
        provide_context(session.clone());
    }
}

/// Whether a file under the site root answers `path` (the fallback serves those before the 404
/// page). A path that climbs out counts as one: it is left to the file service to refuse.
async fn is_site_file(options: &leptos::config::LeptosOptions, path: &str) -> bool {
    let relative = path.trim_start_matches('/');
    if relative
        .split('/')
        .any(|segment| segment == ".." || segment.contains('\\'))
    {
        return true;
    }
    let file = std::path::Path::new(&*options.site_root).join(relative);
    tokio::fs::try_exists(&file).await.unwrap_or(true)
}

async fn method_not_allowed(request: Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    if super::page_routes::is_api_path(request.uri().path()) {
        AppError::new(
            crate::error::ErrorCode::MethodNotAllowed,
            crate::model::Msg::MethodNotAllowed,
        )
        .into_response()
    } else {
        http::StatusCode::METHOD_NOT_ALLOWED.into_response()
    }
}

async fn api_not_found(request: Request) -> AppError {
    tracing::debug!(path = %request.uri().path(), "unknown API path");
    AppError::not_found()
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
