//! What every handler can reach. Cloned by every middleware on every request, so a clone is
//! one reference count: a profile of `GET /` had 7 % of the CPU in cloning and dropping the
//! dozen shared fields (and `LeptosOptions`' own) one by one.

use std::{ops::Deref, sync::Arc};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use super::{
    archive::Archiver, auth::password::PasswordHasherPool, backend::Backend, config::Config, metrics::Metrics,
    page_routes::PageRoutes, preferences::cookie::PreferencesCookie, ratelimit::RateLimiter, session::SessionSettings,
};

#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

pub struct SharedState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub backend: Arc<dyn Backend>,
    pub sessions: Arc<SessionSettings>,
    pub page_routes: Arc<PageRoutes>,
    pub hasher: PasswordHasherPool,
    pub preferences_cookie: PreferencesCookie,
    pub metrics: Arc<Metrics>,
    /// Templates of the pages that depend only on the route and the preferences.
    pub page_cache: super::page::cache::PageCache,
    /// The rate limits, counted in the backend.
    pub limiter: RateLimiter,
    /// Ends and archives sessions (see [`super::archive`]).
    pub archiver: Archiver,
    /// Mail to send (see [`super::mail::outbox`]).
    pub outbox: Arc<super::mail::outbox::Outbox>,
    /// Turns `true` when the server starts shutting down: long-lived responses (the notice
    /// streams) end then, instead of holding the drain up.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// The passkeys' relying party (`PUBLIC_URL`); `None` when its host is not a domain.
    pub webauthn: Option<Arc<webauthn_rs::prelude::Webauthn>>,
}

impl AppState {
    pub fn new(shared: SharedState) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.backend.kind())
            .finish_non_exhaustive()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
