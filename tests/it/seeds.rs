//! Clients written from the seed documents (`../shared/seeds/`), driven exactly as the
//! documents write their calls: seed 001's health route and scheduled check, seed 002's `/user`
//! routes, seed 003's session summary, and the seeds' configuration names.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::*;

const FIREFOX_ON_LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
const CHROME_ON_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

/// The field names of a JSON object, sorted.
fn fields(value: &Value) -> Vec<String> {
    let mut names: Vec<String> = value.as_object().expect("an object").keys().cloned().collect();
    names.sort();
    names
}

async fn seed_health(app: &TestApp) -> (u16, Value) {
    let res = app.get("/api/auth/health").await;
    let status = res.status().as_u16();
    assert_eq!(res.headers()["content-type"], "application/json");
    (status, res.json().await.unwrap())
}

/// `method path` sent by a client holding nothing but `token` (`Authorization: Bearer`).
async fn with_bearer(app: &TestApp, method: reqwest::Method, path: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

/// Polls `check` until it holds, for at most ten seconds (what the app does on a timer).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---- Seed 001: health ----

#[tokio::test]
async fn seed_001_health_answers_ok_with_its_session_stats() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let app = spawn_app_with(options).await;
        let (status, body) = seed_health(&app).await;
        assert_eq!(status, 200);
        assert_eq!(body["status"], "OK");
        let expected_redis = if app.options.redis_url.is_some() {
            "connected"
        } else {
            "memory"
        };
        assert_eq!(body["redis"], expected_redis);
        assert_eq!(
            body["sessionStats"],
            json!({"activeSessions": 0, "cachedProfiles": 0, "blacklistedTokens": 0})
        );

        // A signed-in page view caches the profile; a guest is one more live session.
        let a = client();
        let (email, _) = sign_up(&app, &a).await;
        assert_eq!(app.status_of(&a, "/").await, 200);
        assert_eq!(app.status_of(&client(), "/").await, 200);
        // A sign-out blacklists that session's credentials (seed 001's logout).
        let b = client();
        assert_eq!(sign_in(&app, &b, &email, PASSWORD).await.status(), 200);
        sign_out(&app, &b).await;
        // So does a bearer-token client's logout, and its token is then refused.
        let res = sign_in(&app, &client(), &email, PASSWORD).await;
        let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        let logout = with_bearer(&app, reqwest::Method::POST, "/api/auth/logout", &token).await;
        assert_eq!(logout.status(), 204);
        let after = with_bearer(&app, reqwest::Method::GET, "/api/auth/profile", &token).await;
        assert_eq!(after.status(), 401, "a blacklisted token leads nowhere");

        // A guest's session ending is no credential revoked.
        let guest = client();
        assert_eq!(app.status_of(&guest, "/").await, 200);
        let ended = guest.delete(app.url("/api/session")).send().await.unwrap();
        assert!(ended.status().is_success(), "{}", ended.status());

        let (_, body) = seed_health(&app).await;
        assert_eq!(
            body["sessionStats"],
            json!({"activeSessions": 2, "cachedProfiles": 1, "blacklistedTokens": 2}),
            "{expected_redis}"
        );
        // Porch's own route is unchanged beside it.
        assert_eq!(get_json(&app, &client(), "/api/health").await["status"], "ok");
    }
}

#[tokio::test]
async fn seed_001_health_is_503_while_redis_is_down_and_200_once_it_is_back() {
    let mut redis = OwnRedis::start();
    let app = spawn_app_with(TestOptions {
        redis_url: Some(redis.url()),
        ..TestOptions::default()
    })
    .await;
    assert_eq!(seed_health(&app).await.0, 200);
    redis.stop();
    let (status, body) = seed_health(&app).await;
    assert_eq!(status, 503, "a monitor sees the outage: {body}");
    assert_eq!(body["status"], "DEGRADED");
    assert_eq!(body["redis"], "disconnected");
    assert_eq!(body["sessionStats"], Value::Null);
    redis.restart();
    eventually("the health route says OK again", || async {
        let (status, body) = seed_health(&app).await;
        status == 200 && body["status"] == "OK" && body["redis"] == "connected"
    })
    .await;
}

#[tokio::test]
async fn the_scheduled_health_check_follows_redis_down_and_back_in_a_metric() {
    let mut redis = OwnRedis::start();
    let app = spawn_app_with(TestOptions {
        redis_url: Some(redis.url()),
        ..TestOptions::default()
            .var("HEALTH_CHECK_INTERVAL", "100ms")
            .var("METRICS_PUBLIC", "true")
    })
    .await;
    let metric = |line: &'static str| {
        let app = &app;
        move || async move { app.get("/metrics").await.text().await.unwrap().contains(line) }
    };
    eventually("redis up", metric("porch_dependency_up{dependency=\"redis\"} 1")).await;
    eventually("database up", metric("porch_dependency_up{dependency=\"database\"} 1")).await;
    redis.stop();
    eventually("redis down", metric("porch_dependency_up{dependency=\"redis\"} 0")).await;
    redis.restart();
    eventually("redis back", metric("porch_dependency_up{dependency=\"redis\"} 1")).await;
}

// ---- Seed 002: the /user routes ----

#[tokio::test]
async fn seed_002_flow_with_a_cookie_keeping_client() {
    let app = spawn_app().await;
    let browser = client();
    let email = format!("{}@example.com", unique("john"));

    // User Registration, body as the document writes it.
    let res = browser
        .post(app.url("/user"))
        .json(&json!({"name": "John Doe", "email": email, "password": "secure battery staple"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert!(cookie_value(res.headers(), "session").is_some(), "signed in by cookie");
    let body: Value = res.json().await.unwrap();
    assert_eq!(fields(&body), ["sessionId", "user"]);
    let user = &body["user"];
    for name in ["id", "name", "email", "createdAt", "updateAt"] {
        assert!(!user[name].is_null(), "user.{name} in {user}");
    }
    assert_eq!(user["name"], "John Doe");
    assert_eq!(user["email"], email.as_str());
    assert_eq!(user["updateAt"], user["createdAt"], "a new account");
    assert_eq!(
        user["updatedAt"], user["updateAt"],
        "Porch's spelling beside the seed's"
    );
    let session_id = body["sessionId"].as_str().expect("sessionId").to_owned();

    // The sessionId is a credential: as a bearer token, or in seed 002's `session-id` cookie.
    let res = with_bearer(&app, reqwest::Method::GET, "/user", &session_id).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["email"], email.as_str());
    let res = reqwest::Client::new()
        .get(app.url("/user"))
        .header("cookie", format!("session-id={session_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "seed 002's cookie");
    // Only on seed 002's routes: a browser sends cookies on its own, so one planted by a
    // sibling site must not sign a visitor into this account anywhere else.
    for path in ["/api/auth/profile", "/api/auth/sessions/summary"] {
        let res = reqwest::Client::new()
            .get(app.url(path))
            .header("cookie", format!("session-id={session_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
    }
    let page = client()
        .get(app.url("/account"))
        .header("cookie", format!("session-id={session_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 302, "a page sees a guest");

    // Get User Information: the user object itself.
    let me = get_json(&app, &browser, "/user").await;
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["updateAt"], user["updateAt"]);
    assert_eq!(me.get("user"), None, "not wrapped");

    // Sign Out (Delete Session): 204, then signed out everywhere this session was used.
    let res = browser.delete(app.url("/user/session")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.status_of(&browser, "/user").await, 401);
    let res = with_bearer(&app, reqwest::Method::GET, "/user", &session_id).await;
    assert_eq!(res.status(), 401, "the sessionId ended with its session");

    // User Sign In: 200 with the user object itself.
    let res = browser
        .post(app.url("/user/signin"))
        .json(&json!({"email": email, "password": "secure battery staple"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let signed_in: Value = res.json().await.unwrap();
    assert_eq!(signed_in["id"], user["id"]);
    for name in ["id", "name", "email", "createdAt", "updateAt"] {
        assert!(!signed_in[name].is_null(), "{name} in {signed_in}");
    }
    assert_eq!(get_json(&app, &browser, "/user").await["email"], email.as_str());
    // A client that keeps no cookies goes on with the sessionId it was given.
    let token = signed_in["sessionId"].as_str().expect("sessionId");
    let res = with_bearer(&app, reqwest::Method::GET, "/user", token).await;
    assert_eq!(res.status(), 200);
    // Porch's own user JSON gains updatedAt.
    let profile = get_json(&app, &browser, "/api/auth/profile").await;
    assert_eq!(profile["user"]["updatedAt"], user["updateAt"]);
}

#[tokio::test]
async fn seed_002_routes_validate_like_porchs_own() {
    let app = spawn_app().await;
    let (email, _) = sign_up(&app, &client()).await;
    let bad_registrations = [
        json!({}),
        json!({"name": "John", "email": "not-an-email", "password": "secure battery staple"}),
        json!({"name": "John", "email": "new@example.com", "password": "short"}),
        json!({"name": "", "email": "new@example.com", "password": "secure battery staple"}),
        json!({"name": "John", "email": email, "password": "secure battery staple"}),
        json!({"name": 5, "email": [], "password": null}),
    ];
    for body in bad_registrations {
        let seed = client().post(app.url("/user")).json(&body).send().await.unwrap();
        let own = register_with(&app, &client(), body.clone()).await;
        assert!(seed.status().is_client_error(), "{body}: {}", seed.status());
        assert_eq!(seed.status(), own.status(), "{body}");
        let (seed, own): (Value, Value) = (seed.json().await.unwrap(), own.json().await.unwrap());
        assert_eq!(seed, own, "the same error for {body}");
    }
    for (content_type, body) in [
        ("text/plain", "{}"),
        ("application/json", "{\"name\":"),
        ("application/json", ""),
    ] {
        let seed = client()
            .post(app.url("/user"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(seed.status(), 400, "{content_type} {body:?}");
        assert!(seed.json::<Value>().await.unwrap()["error"].is_object());
    }
    let wrong = json!({"email": email, "password": "wrong password"});
    let seed = client()
        .post(app.url("/user/signin"))
        .json(&wrong)
        .send()
        .await
        .unwrap();
    let own = client()
        .post(app.url("/api/auth/login"))
        .json(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(seed.status(), 401);
    assert_eq!(seed.json::<Value>().await.unwrap(), own.json::<Value>().await.unwrap());

    // The same cross-site rule: a forged registration or sign-in from another site is refused.
    for path in ["/user", "/user/signin"] {
        let res = reqwest::Client::new()
            .post(app.url(path))
            .header("origin", "https://evil.example")
            .json(&json!({"name": "Eve", "email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
    }
    let res = reqwest::Client::new()
        .delete(app.url("/user/session"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Unknown paths and methods under /user answer in JSON, and nothing there is cached.
    let res = app.get("/user/nope").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/json");
    let res = client().put(app.url("/user")).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["content-type"], "application/json");
    let res = app.get("/user").await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn seed_002_routes_share_porchs_rate_limits() {
    let app = spawn_app_with(TestOptions::default().var("RATE_LIMIT_REGISTER", "2/1h")).await;
    let body = || json!({"name": "John", "email": format!("{}@example.com", unique("r")), "password": "secure battery staple"});
    let seed = |body: Value| {
        let app = &app;
        async move {
            client()
                .post(app.url("/user"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(seed(body()).await, 201);
    assert_eq!(register_with(&app, &client(), body()).await.status(), 201);
    assert_eq!(seed(body()).await, 429, "one limit across both routes");

    let app = spawn_app_with(TestOptions::default().var("RATE_LIMIT_SIGN_IN", "2/15m")).await;
    let (email, _) = sign_up(&app, &client()).await;
    let wrong = json!({"email": email, "password": "wrong password"});
    for _ in 0..2 {
        let res = client()
            .post(app.url("/user/signin"))
            .json(&wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = sign_in(&app, &client(), &email, "wrong password").await;
    assert_eq!(res.status(), 429, "failures on /user/signin count for /api/auth/login");
}

// ---- Seed 003: the session summary ----

async fn sign_in_as(app: &TestApp, email: &str, user_agent: &str) -> reqwest::Client {
    let device = client();
    let res = device
        .post(app.url("/api/auth/login"))
        .header("user-agent", user_agent)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    device
}

#[tokio::test]
async fn seed_003_summary_counts_sessions_and_names_the_last_sign_in() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let app = spawn_app_with(options).await;
        assert_eq!(app.status_of(&client(), "/api/auth/sessions/summary").await, 401);
        let (email, _) = sign_up(&app, &client()).await;
        let first = sign_in_as(&app, &email, FIREFOX_ON_LINUX).await;
        let second = sign_in_as(&app, &email, CHROME_ON_WINDOWS).await;
        sign_out(&app, &second).await;

        let summary = get_json(&app, &first, "/api/auth/sessions/summary").await;
        assert_eq!(summary["activeSessions"], 2, "registration's and the first: {summary}");
        assert_eq!(summary["totalSessions"], 3, "and the one signed out: {summary}");
        assert_eq!(summary["lastLoginBrowser"], "Chrome");
        assert_eq!(summary["lastLoginOs"], "Windows 10");
        let last = summary["lastLogin"].as_str().expect("lastLogin");
        assert!(last.ends_with('Z') && last.len() >= 20, "RFC 3339: {last}");
        assert!(summary["lastLoginAgeSecs"].as_u64().unwrap() < 60);
        // The devices list agrees with the count.
        let sessions = get_json(&app, &first, "/api/auth/sessions").await;
        assert_eq!(sessions.as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn the_devices_page_says_the_last_sign_in_in_every_language() {
    let app = spawn_app().await;
    let (email, _) = sign_up(&app, &client()).await;
    let device = sign_in_as(&app, &email, FIREFOX_ON_LINUX).await;
    for (language, last_sign_in, counts) in [
        (
            "en",
            "Last sign-in: just now, Firefox on Linux",
            "Active sessions: 2 · Sessions in all: 2",
        ),
        (
            "fr",
            "Dernière connexion : à l’instant, Firefox sur Linux",
            "Sessions actives : 2 · Sessions au total : 2",
        ),
        (
            "es",
            "Último inicio de sesión: justo ahora, Firefox en Linux",
            "Sesiones activas: 2 · Sesiones en total: 2",
        ),
        (
            "ar",
            "آخر تسجيل دخول: الآن، Firefox على Linux",
            "الجلسات النشطة: 2 · كل الجلسات: 2",
        ),
    ] {
        let res = device
            .post(app.url("/api/preferences"))
            .json(&json!({"language": language}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{language}");
        let html = app.page(&device, "/account/sessions").await;
        assert!(html.contains(last_sign_in), "{language}: {last_sign_in}");
        assert!(html.contains(counts), "{language}: {counts}");
    }
}

// ---- The seeds' configuration names ----

/// The test Redis's host and port.
fn test_redis_host_port() -> (String, String) {
    let url = url::Url::parse(&redis_url()).unwrap();
    (
        url.host_str().unwrap().to_owned(),
        url.port().unwrap_or(6379).to_string(),
    )
}

#[tokio::test]
async fn redis_host_and_port_put_sessions_in_redis_not_in_memory() {
    let (host, port) = test_redis_host_port();
    let prefix = format!("{}:", unique("cfg"));
    let app = spawn_app_with(
        TestOptions::memory()
            .var("REDIS_HOST", &host)
            .var("REDIS_PORT", &port)
            .var("REDIS_KEY_PREFIX", &prefix),
    )
    .await;
    assert_eq!(seed_health(&app).await.1["redis"], "connected");
    assert_eq!(app.status_of(&client(), "/").await, 200);
    assert!(
        !everything_under(&prefix).await.is_empty(),
        "the guest's session is in Redis under the prefix"
    );
}

#[tokio::test]
async fn upstash_url_puts_sessions_in_redis() {
    let prefix = format!("{}:", unique("cfg"));
    let app = spawn_app_with(
        TestOptions::memory()
            .var("UPSTASH_URL", &redis_url())
            .var("REDIS_KEY_PREFIX", &prefix),
    )
    .await;
    assert_eq!(seed_health(&app).await.1["redis"], "connected");
    assert_eq!(app.status_of(&client(), "/").await, 200);
    assert!(!everything_under(&prefix).await.is_empty());
}

#[tokio::test]
async fn redis_url_and_redis_host_together_refuse_to_start() {
    let (host, _) = test_redis_host_port();
    let options = TestOptions::default().var("REDIS_HOST", &host);
    let error = build_config(&options, "sqlite::memory:").unwrap_err().to_string();
    assert!(error.contains("REDIS_URL") && error.contains("REDIS_HOST"), "{error}");
}

#[tokio::test]
async fn session_ttl_sets_how_long_a_signed_in_session_lasts_idle() {
    let app = spawn_app_with(TestOptions::default().var("SESSION_TTL", "3600")).await;
    let device = client();
    sign_up(&app, &device).await;
    assert_eq!(app.status_of(&device, "/").await, 200);
    // The session's record expires after an hour idle, not the default week.
    let records: Vec<String> = redis_cli(&["--scan", "--pattern", &format!("{}s:*", app.options.prefix)])
        .lines()
        // The records: `s:{tag}rest-of-id`, nothing after the id (`:a`, `:p` are its activity).
        .filter(|key| key.rsplit_once('}').is_some_and(|(_, id)| !id.contains(':')))
        .map(str::to_owned)
        .collect();
    assert_eq!(records.len(), 1, "one signed-in session: {records:?}");
    let ttl: i64 = redis_cli(&["pttl", &records[0]]).parse().unwrap();
    assert!((3_500_000..=3_600_000).contains(&ttl), "{ttl} ms");
}
