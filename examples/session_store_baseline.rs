//! The baseline of `bench/store.sh`: the session store the stack offers
//! (`tower-sessions-redis-store`'s `RedisStore` behind tower-sessions' `SessionManagerLayer`, as
//! its documentation wires it) serving the same call as Porch's `POST /api/session/page`: record
//! the visited path in the session and answer `{"pageCount": n}`.
//!
//! `REDIS_URL=redis://127.0.0.1:6379 BASELINE_ADDR=127.0.0.1:3200 cargo run --release
//! --features ssr --example session_store_baseline`

use axum::{routing::post, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tower_sessions::{Session, SessionManagerLayer};
use tower_sessions_redis_store::{
    fred::{clients::Pool, interfaces::ClientLike, types::config::Config},
    RedisStore,
};

#[derive(Deserialize)]
struct PageBody {
    page: String,
}

/// What Porch keeps of a session's pages: the latest 100, and the count of all.
const PAGES_KEPT: usize = 100;

/// Reads the visit count and the latest pages, adds this one and writes them back, as a
/// tower-sessions app does (the same data Porch keeps, so the record stays as small).
async fn track_page(session: Session, Json(body): Json<PageBody>) -> Json<Value> {
    let count: u64 = session.get("count").await.ok().flatten().unwrap_or_default();
    let mut pages: Vec<String> = session.get("pages").await.ok().flatten().unwrap_or_default();
    pages.push(body.page);
    if pages.len() > PAGES_KEPT {
        pages.remove(0);
    }
    let _ = session.insert("pages", pages).await;
    let _ = session.insert("count", count + 1).await;
    Json(json!({ "pageCount": count + 1 }))
}

/// `GET /api/session`: how many visits the session counted.
async fn page_count(session: Session) -> Json<Value> {
    let count: u64 = session.get("count").await.ok().flatten().unwrap_or_default();
    Json(json!({ "pageCount": count }))
}

#[tokio::main]
async fn main() {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let addr = std::env::var("BASELINE_ADDR").unwrap_or_else(|_| "127.0.0.1:3200".into());
    let pool = Pool::new(Config::from_url(&url).expect("REDIS_URL"), None, None, None, 2).expect("a pool");
    pool.init().await.expect("Redis answers");
    let layer = SessionManagerLayer::new(RedisStore::new(pool)).with_secure(false);
    let router = Router::new()
        .route("/api/session/page", post(track_page))
        .route("/api/session", axum::routing::get(page_count))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("BASELINE_ADDR");
    // Ends cleanly on SIGTERM, as the bench scripts stop every server.
    let terminated = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    axum::serve(listener, router)
        .with_graceful_shutdown(terminated)
        .await
        .expect("serve");
}
