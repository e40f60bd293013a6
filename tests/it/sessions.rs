//! The session cookie and where sessions live.

use fred::prelude::*;

use crate::harness::*;

fn assert_dev_cookie(set_cookie: &str) {
    assert!(set_cookie.starts_with("session="), "{set_cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            set_cookie.split("; ").any(|a| a == attr),
            "{attr} missing from {set_cookie}"
        );
    }
    assert!(
        !set_cookie.contains("Secure"),
        "no Secure over plain-http development: {set_cookie}"
    );
    assert!(!set_cookie.contains("Domain"), "{set_cookie}");
}

#[tokio::test]
async fn development_cookie_is_httponly_lax_root_and_not_secure() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let app = spawn_app_with(options).await;
        let res = app.get("/").await;
        assert_eq!(res.status(), 200);
        let cookies = set_cookies(res.headers());
        assert_eq!(cookies.len(), 1, "{cookies:?}");
        assert_dev_cookie(&cookies[0]);
        // The id is the 22-character base64url form of 128 random bits.
        let id = cookie_value(res.headers(), "session").unwrap();
        assert_eq!(id.len(), 22, "{id}");
        assert_eq!(res.headers()["cache-control"], "no-store");
    }
}

#[tokio::test]
async fn production_cookie_is_secure_with_host_prefix() {
    let app = spawn_app_with(TestOptions::default().var("APP_ENV", "production")).await;
    let res = app.get("/").await;
    let cookies = set_cookies(res.headers());
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    assert!(cookie.starts_with("__Host-session="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(cookie.split("; ").any(|a| a == attr), "{attr} missing from {cookie}");
    }
    assert!(
        !cookie.contains("Domain"),
        "__Host- cookies must not carry Domain: {cookie}"
    );
}

#[tokio::test]
async fn session_record_lands_in_redis_under_the_prefix_with_the_guest_timeout() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    let id = cookie_value(res.headers(), "session").expect("cookie");
    let redis = redis().await;
    let key = Keys::new(&app.options.prefix).session(&id);
    let record: Option<String> = redis.get(&key).await.unwrap();
    let record = record.expect("record stored under the test's prefix");
    // Only the data: the id is in the key and the expiry is the key's.
    let record: serde_json::Value = serde_json::from_str(&record).expect("a JSON record");
    assert!(record.is_object() && record.get("id").is_none(), "{record}");
    let ttl_ms: i64 = redis.pttl(&key).await.unwrap();
    assert!(
        ttl_ms > 29 * 60 * 1000 && ttl_ms <= 30 * 60 * 1000,
        "guest idle timeout is 30 min, ttl {ttl_ms}"
    );
    let count: Option<i64> = redis.hget(format!("{key}:a"), "count").await.unwrap();
    assert_eq!(count, Some(1), "the page view that created the session counts once");
}

#[tokio::test]
async fn session_survives_an_app_restart_when_redis_holds_it() {
    let first = spawn_app().await;
    let res = first.get("/").await;
    let id = cookie_value(res.headers(), "session").expect("cookie");
    let options = first.options.clone();
    let client = first.client.clone();
    first.stop().await;

    let mut second = spawn_app_with(options).await;
    second.client = client;
    let res = second.get("/").await;
    assert_eq!(res.status(), 200);
    assert!(
        set_cookies(res.headers()).is_empty(),
        "the same session continues: no new cookie"
    );
    let redis = redis().await;
    let count: Option<i64> = redis
        .hget(Keys::new(&second.options.prefix).activity(&id), "count")
        .await
        .unwrap();
    assert_eq!(count, Some(2));
}

#[tokio::test]
async fn requests_that_are_not_page_views_create_no_session() {
    let app = spawn_app().await;
    for path in ["/api/health", "/api/nothing-here", "/favicon.svg", "/no-such-page"] {
        let res = app.get(path).await;
        assert!(set_cookies(res.headers()).is_empty(), "{path} set a cookie");
    }
}

#[tokio::test]
async fn concurrent_page_views_of_one_session_all_count() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let app = spawn_app_with(options).await;
        let first = app.get("/").await;
        let id = cookie_value(first.headers(), "session").expect("cookie");
        let mut views = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let request = app.client.get(app.url("/"));
            views.spawn(async move {
                request
                    .send()
                    .await
                    .map(|r| (r.status(), r.headers().contains_key("set-cookie")))
            });
        }
        while let Some(view) = views.join_next().await {
            let (status, set_cookie) = view.unwrap().expect("request");
            assert_eq!(status, 200);
            assert!(!set_cookie, "every view joins the one session");
        }
        let loaded = app
            .state
            .backend
            .load_session(&id, porch::server::time::now_ms(), None)
            .await
            .unwrap()
            .expect("session alive");
        assert_eq!(loaded.activity.page_count, 51);
    }
}

#[tokio::test]
async fn a_dead_redis_still_serves_pages_without_touching_the_cookie() {
    let app = spawn_app_with(TestOptions {
        redis_url: Some("redis://127.0.0.1:1".into()),
        ..TestOptions::default()
    })
    .await;
    let res = tokio::time::timeout(std::time::Duration::from_secs(5), app.get("/"))
        .await
        .expect("no hang");
    assert_eq!(res.status(), 200);
    assert!(set_cookies(res.headers()).is_empty());
    let res = app
        .client
        .get(app.url("/"))
        .header("cookie", "session=MB44PJdxSpNz3njRJpemtA")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        set_cookies(res.headers()).is_empty(),
        "an unknown session is not an ended one"
    );
    let res = app
        .client
        .get(app.url("/account"))
        .header("cookie", "session=MB44PJdxSpNz3njRJpemtA")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503, "a signed-in page cannot be served as a guest's");
    assert_eq!(res.headers()["retry-after"], "5");
    assert!(res.text().await.unwrap().contains("Temporarily unavailable"));
    // Activity cannot be read or recorded: said so, never a 500.
    let res = app.get("/session").await;
    assert_eq!(res.status(), 503);
    assert!(res.text().await.unwrap().contains("Temporarily unavailable"));
    for (path, body) in [("/api/session/page", None), ("/api/fn/track_page", Some("page=%2F"))] {
        let request = app.client.post(app.url(path));
        let request = match body {
            Some(form) => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form),
            None => request.json(&serde_json::json!({"page": "/"})),
        };
        let res = request.send().await.unwrap();
        assert_eq!(res.status(), 503, "{path}");
    }
}
