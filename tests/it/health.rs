//! `GET /api/health`.

use std::time::Duration;

use crate::harness::*;

async fn health(app: &TestApp) -> serde_json::Value {
    let res = tokio::time::timeout(Duration::from_secs(5), app.get("/api/health"))
        .await
        .expect("health answers promptly");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    res.json().await.unwrap()
}

#[tokio::test]
async fn reports_redis_connected_and_database_up() {
    let app = spawn_app().await;
    assert_eq!(
        health(&app).await,
        serde_json::json!({"status": "ok", "redis": "connected", "database": "up"})
    );
}

#[tokio::test]
async fn reports_memory_sessions_without_redis() {
    let app = spawn_app_with(TestOptions::memory()).await;
    assert_eq!(
        health(&app).await,
        serde_json::json!({"status": "ok", "redis": "memory", "database": "up"})
    );
}

#[tokio::test]
async fn reports_an_unreachable_redis_as_down_without_hanging() {
    // Start-up itself must not hang either: it waits a bounded time, then runs degraded.
    let app = tokio::time::timeout(
        Duration::from_secs(10),
        spawn_app_with(TestOptions {
            redis_url: Some("redis://127.0.0.1:1".into()),
            ..TestOptions::default()
        }),
    )
    .await
    .expect("start-up does not hang on a dead Redis");
    assert_eq!(
        health(&app).await,
        serde_json::json!({"status": "degraded", "redis": "down", "database": "up"})
    );
}
