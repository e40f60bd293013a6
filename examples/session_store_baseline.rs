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

/// Reads the visited pages, adds this one and writes them back, as a tower-sessions app does.
async fn track_page(session: Session, Json(body): Json<PageBody>) -> Json<Value> {
    let mut pages: Vec<String> = session.get("pages").await.ok().flatten().unwrap_or_default();
    pages.push(body.page);
    let count = pages.len();
    let _ = session.insert("pages", pages).await;
    Json(json!({ "pageCount": count }))
}

/// `GET /api/session`: how many pages the session holds.
async fn page_count(session: Session) -> Json<Value> {
    let pages: Vec<String> = session.get("pages").await.ok().flatten().unwrap_or_default();
    Json(json!({ "pageCount": pages.len() }))
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
    axum::serve(listener, router).await.expect("serve");
}
