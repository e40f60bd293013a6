//! `GET /api/health`, `/healthz`, `/readyz` and `/metrics`.

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
        serde_json::json!({"status": "ok", "redis": "connected", "database": "up",
            "sessionStats": {"activeSessions": 0, "cachedProfiles": 0, "revokedSessions": 0}})
    );
}

#[tokio::test]
async fn reports_memory_sessions_without_redis() {
    let app = spawn_app_with(TestOptions::memory()).await;
    assert_eq!(
        health(&app).await,
        serde_json::json!({"status": "ok", "redis": "memory", "database": "up",
            "sessionStats": {"activeSessions": 0, "cachedProfiles": 0, "revokedSessions": 0}})
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
        serde_json::json!({"status": "degraded", "redis": "down", "database": "up", "sessionStats": null})
    );
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "alive, whatever the dependencies"
    );
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503, "not ready while Redis is down");
}

#[tokio::test]
async fn session_stats_count_live_sessions_cached_profiles_and_revocations() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let app = spawn_app_with(options).await;
        assert_eq!(app.get("/healthz").await.text().await.unwrap(), "ok");
        assert_eq!(app.get("/readyz").await.status(), 200);
        let a = client();
        let (email, _) = sign_up(&app, &a).await;
        // A signed-in page caches the profile.
        assert_eq!(app.status_of(&a, "/").await, 200);
        let guest = client();
        assert_eq!(app.status_of(&guest, "/").await, 200);
        let b = client();
        assert_eq!(sign_in(&app, &b, &email, PASSWORD).await.status(), 200);
        let handle = own_session_handle(&app, &b).await;
        let res = a
            .delete(app.url(&format!("/api/auth/sessions/{handle}")))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        assert_eq!(
            health(&app).await["sessionStats"],
            serde_json::json!({"activeSessions": 2, "cachedProfiles": 1, "revokedSessions": 1}),
            "{:?}",
            app.options.redis_url
        );
    }
}

#[tokio::test]
async fn metrics_are_served_on_the_private_listener_only() {
    let app = spawn_app_with(TestOptions::default().var("METRICS_ADDR", "127.0.0.1:0")).await;
    for _ in 0..2 {
        assert_eq!(app.get("/").await.status(), 200);
    }
    assert_eq!(app.get("/metrics").await.status(), 404, "not on the public listener");
    let private = app.metrics_address.clone().expect("a metrics listener");
    let res = client().get(format!("{private}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        text.contains(r#"porch_requests_total{method="GET",route="/",status="200"} 2"#),
        "{text}"
    );
    assert!(text.contains(r#"porch_request_duration_seconds_count{method="GET",route="/"} 2"#));
    assert!(
        text.contains("porch_live_sessions 1"),
        "one visitor, one session: {text}"
    );
    assert!(text.contains("porch_redis_duration_seconds_count 2"), "{text}");

    let public = spawn_app_with(TestOptions::default().var("METRICS_PUBLIC", "true")).await;
    assert_eq!(public.get("/").await.status(), 200);
    let res = public.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = res.text().await.unwrap();
    // OpenMetrics: the family is typed by its name, its samples carry `_total`.
    assert!(text.contains("# TYPE porch_requests counter"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}
