//! Redis failing under the app: stopped, restarted empty, paused. Each test owns a throw-away
//! `redis-server` on a free port, so it can do that without disturbing other tests.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::*;

/// The slowest answer accepted during a fault: the command timeout (300 ms) a few times over
/// (a page may try two or three store calls), plus scheduling slack.
const FAULT_BOUND: Duration = Duration::from_millis(2500);

/// The response and how long it took.
async fn timed(request: reqwest::RequestBuilder) -> (reqwest::Response, Duration) {
    let started = Instant::now();
    let res = request.send().await.expect("an answer, not a dropped connection");
    (res, started.elapsed())
}

async fn sign_in(app: &TestApp, email: &str) -> (reqwest::Response, Duration) {
    timed(
        client()
            .post(app.url("/api/auth/login"))
            .json(&json!({"email": email, "password": "correct horse battery"})),
    )
    .await
}

/// Waits (polling, with a deadline) until `check` passes; returns how long that took.
async fn recovers<F, Fut>(mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < Duration::from_secs(15), "recovered within 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn redis_stopped_then_restarted_degrades_and_recovers_without_an_app_restart() {
    let mut redis = OwnRedis::start();
    let app = spawn_app_with(TestOptions {
        redis_url: Some(redis.url()),
        ..TestOptions::default()
    })
    .await;
    let email = format!("{}@example.com", unique("f"));
    let user = client();
    let res = register_with(
        &app,
        &user,
        json!({"name": "Ada", "email": email, "password": "correct horse battery"}),
    )
    .await;
    assert_eq!(res.status(), 201);

    redis.stop();
    for round in 0..3 {
        let (res, took) = timed(client().get(app.url("/"))).await;
        assert_eq!(res.status(), 200, "public page, round {round}");
        assert!(took < FAULT_BOUND, "public page took {took:?}");
        let (res, took) = timed(user.get(app.url("/account"))).await;
        assert_eq!(res.status(), 503, "a signed-in page is not served as a guest's");
        assert_eq!(res.headers()["retry-after"], "5");
        assert!(took < FAULT_BOUND, "account page took {took:?}");
        let (res, took) = sign_in(&app, &email).await;
        assert_eq!(res.status(), 503, "sign-in");
        assert!(res.headers().contains_key("retry-after"));
        assert!(took < FAULT_BOUND, "sign-in took {took:?}");
        let (res, _) = timed(client().get(app.url("/readyz"))).await;
        assert_eq!(res.status(), 503);
    }
    // A browser without JavaScript gets a page that says so, in its language.
    let (res, took) = timed(
        client()
            .post(app.url("/api/fn/login"))
            .header("accept", "text/html")
            .header("accept-language", "fr")
            .form(&[
                ("email", email.as_str()),
                ("password", "correct horse battery"),
                ("next", ""),
            ]),
    )
    .await;
    assert_eq!(res.status(), 503);
    assert!(took < FAULT_BOUND, "{took:?}");
    let page = res.text().await.unwrap();
    assert!(page.contains("<h1>Temporairement indisponible</h1>"), "{page}");

    // Back, empty (no persistence): sessions are gone, so the user is a guest again, and
    // signing in works once the app has reconnected by itself.
    redis.restart();
    let recovery = recovers(|| async { sign_in(&app, &email).await.0.status() == 200 }).await;
    assert!(recovery < Duration::from_secs(10), "{recovery:?}");
    assert_eq!(app.status_of(&client(), "/readyz").await, 200);
    let res = user.get(app.url("/api/auth/profile")).send().await.unwrap();
    assert_eq!(res.status(), 401, "the lost session is not anyone's");
}

#[tokio::test]
async fn a_paused_redis_costs_at_most_the_command_timeout() {
    let redis = OwnRedis::start();
    let app = spawn_app_with(TestOptions {
        redis_url: Some(redis.url()),
        ..TestOptions::default()
    })
    .await;
    let visitor = client();
    assert_eq!(app.status_of(&visitor, "/").await, 200);
    assert_eq!(redis.cli(&["client", "pause", "4000", "all"]), "OK");
    let (res, took) = timed(visitor.get(app.url("/"))).await;
    assert_eq!(res.status(), 200);
    assert!(took < FAULT_BOUND, "{took:?}");
    let (res, took) = timed(client().get(app.url("/"))).await;
    assert_eq!(res.status(), 200, "a new visitor too");
    assert!(took < FAULT_BOUND, "{took:?}");
    let (res, took) = sign_in(&app, "nobody@example.com").await;
    assert_eq!(res.status(), 503);
    assert!(took < FAULT_BOUND, "{took:?}");
    // When the pause ends, the same visitor's session is found again.
    let recovery = recovers(|| async {
        let res = visitor.get(app.url("/session")).send().await.unwrap();
        // Found again: served with no new session cookie.
        res.status() == 200 && cookie_value(res.headers(), "session").is_none()
    })
    .await;
    assert!(recovery < Duration::from_secs(10), "{recovery:?}");
}

/// PostgreSQL only (the embedded SQLite cannot go away): the app's database refuses
/// connections and its open ones are cut, then it comes back.
#[tokio::test]
async fn a_database_outage_degrades_and_recovers_without_an_app_restart() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (PostgreSQL runs only)");
        return;
    };
    let database_url = fresh_database_url().await;
    let name = database_url.rsplit('/').next().unwrap().to_owned();
    let app = spawn_app_with(TestOptions {
        database_url: Some(database_url),
        ..TestOptions::default()
    })
    .await;
    let email = format!("{}@example.com", unique("db"));
    let res = register_with(
        &app,
        &client(),
        json!({"name": "Ada", "email": email, "password": "correct horse battery"}),
    )
    .await;
    assert_eq!(res.status(), 201);

    use sea_orm::ConnectionTrait;
    let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
    let outage = |allow: bool| format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS {allow}");
    admin.execute_unprepared(&outage(false)).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    // The pool waits up to its acquire timeout (3 s) for a connection before giving up.
    let bound = Duration::from_secs(5);
    for _ in 0..2 {
        let (res, took) = timed(client().get(app.url("/"))).await;
        assert_eq!(res.status(), 200, "public page");
        assert!(took < bound, "{took:?}");
        let (res, took) = sign_in(&app, &email).await;
        assert_eq!(res.status(), 503, "sign-in");
        assert!(took < bound, "{took:?}");
    }
    assert_eq!(app.status_of(&client(), "/readyz").await, 503);

    admin.execute_unprepared(&outage(true)).await.unwrap();
    let recovery = recovers(|| async { sign_in(&app, &email).await.0.status() == 200 }).await;
    assert!(recovery < Duration::from_secs(10), "{recovery:?}");
}
