//! Why Porch has its own session store (README): the same workloads through the store the stack
//! offers — `tower-sessions-redis-store`'s `RedisStore` behind tower-sessions' own
//! `SessionManagerLayer`, the way its documentation wires it — and through Porch, each on a
//! Redis of its own, asserting what differs:
//!
//! - concurrent page views recording visits on one session: the baseline loses updates (each
//!   request loads the whole record and saves its own copy back), Porch counts every view;
//! - a sign-out racing page views: the same on both sides, the sign-out stays (the baseline
//!   saves with `SET … XX`, so a slower request cannot write a deleted record back);
//! - Redis commands per signed-in page view: two round trips (GET, SET) against one script;
//! - Redis stopped: the baseline's page waits for it (no answer in 3 s), Porch serves the page
//!   and keeps the cookie.
//!
//! If either side's measured property changes (the baseline stops losing updates, Porch starts
//! to), a test here fails and the README's figures must be revisited.

use std::net::SocketAddr;

use axum::{
    extract::Path,
    http::StatusCode,
    routing::{get, post},
    Router,
};
use futures::future::join_all;
use tower_sessions::{Session, SessionManagerLayer};
use tower_sessions_redis_store::{
    fred::{clients::Pool, interfaces::ClientLike, types::config::Config},
    RedisStore,
};

use crate::harness::*;

/// Concurrent page views per round.
const VIEWS: usize = 40;
/// Trials of a sign-out racing page views.
const RACES: usize = 10;
/// Page views racing each sign-out.
const RACING_VIEWS: usize = 12;

/// The baseline app: tower-sessions with `RedisStore`, recording each page's path in the session
/// as a tower-sessions app does (read the list, push, insert it back).
struct Baseline {
    address: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Baseline {
    async fn start(redis: &OwnRedis) -> Self {
        let pool = Pool::new(Config::from_url(&redis.url()).unwrap(), None, None, None, 2).unwrap();
        pool.init().await.expect("the baseline's Redis");
        let layer = SessionManagerLayer::new(RedisStore::new(pool)).with_secure(false);
        let router = Router::new()
            .route("/page/{name}", get(record_visit))
            .route("/pages", get(pages))
            .route("/sign-in", post(sign_in))
            .route("/sign-out", post(sign_out))
            .route("/me", get(me))
            .layer(layer);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { address, server }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The browser's first page, which starts its session.
    async fn first_visit(&self, browser: &reqwest::Client) {
        let res = browser.get(self.url("/page/first")).send().await.expect("request");
        assert!(res.status().is_success(), "{}", res.status());
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        self.server.abort();
    }
}

const PAGES: &str = "pages";
const USER: &str = "user";

/// What rendering a page takes, about (Porch's pages take 3–8 ms in a debug build): the time
/// between the request reading its session and tower-sessions saving it back.
const RENDER: std::time::Duration = std::time::Duration::from_millis(5);

async fn record_visit(session: Session, Path(name): Path<String>) -> StatusCode {
    let mut pages: Vec<String> = session.get(PAGES).await.unwrap().unwrap_or_default();
    pages.push(name);
    tokio::time::sleep(RENDER).await;
    session.insert(PAGES, pages).await.unwrap();
    StatusCode::OK
}

async fn pages(session: Session) -> String {
    let pages: Vec<String> = session.get(PAGES).await.unwrap().unwrap_or_default();
    pages.len().to_string()
}

async fn sign_in(session: Session) -> StatusCode {
    session.cycle_id().await.unwrap();
    session.insert(USER, 1_i64).await.unwrap();
    StatusCode::NO_CONTENT
}

async fn sign_out(session: Session) -> StatusCode {
    session.flush().await.unwrap();
    StatusCode::NO_CONTENT
}

async fn me(session: Session) -> StatusCode {
    match session.get::<i64>(USER).await.unwrap() {
        Some(_) => StatusCode::OK,
        None => StatusCode::UNAUTHORIZED,
    }
}

async fn porch_on(redis: &OwnRedis) -> TestApp {
    spawn_app_with(
        TestOptions {
            redis_url: Some(redis.url()),
            ..TestOptions::default()
        }
        // No sweep or figures flush in the middle of a count.
        .var("SESSION_SWEEP_INTERVAL", "1h")
        .var("STATS_FLUSH_INTERVAL", "1h"),
    )
    .await
}

/// Page views sent at once by one browser; every one must be answered 200.
async fn at_once(browser: &reqwest::Client, urls: Vec<String>) {
    let answers = join_all(urls.into_iter().map(|url| {
        let browser = browser.clone();
        async move { browser.get(url).send().await.unwrap().status() }
    }))
    .await;
    assert!(answers.iter().all(|s| s.is_success()), "{answers:?}");
}

#[tokio::test]
async fn concurrent_page_views_lose_updates_in_the_baseline_and_none_in_porch() {
    let redis = OwnRedis::start();
    let baseline = Baseline::start(&redis).await;
    let browser = client();
    baseline.first_visit(&browser).await;
    at_once(
        &browser,
        (0..VIEWS).map(|i| baseline.url(&format!("/page/p{i}"))).collect(),
    )
    .await;
    let recorded: usize = browser
        .get(baseline.url("/pages"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    println!("baseline: {recorded} of {} page views recorded", VIEWS + 1);
    assert!(
        recorded < VIEWS + 1,
        "the baseline lost no update this time ({recorded}): its read-modify-write raced less than measured"
    );

    let porch = porch_on(&redis).await;
    let browser = client();
    assert_eq!(porch.status_of(&browser, "/").await, 200);
    let paths = ["/", "/settings", "/session", "/login"];
    at_once(
        &browser,
        (0..VIEWS).map(|i| porch.url(paths[i % paths.len()])).collect(),
    )
    .await;
    let session = get_json(&porch, &browser, "/api/session?limit=1").await;
    println!("porch: {} of {} page views recorded", session["pageCount"], VIEWS + 1);
    assert_eq!(session["pageCount"], VIEWS + 1, "Porch counts every view");
}

/// Sends `views` GETs and one sign-out at once, all carrying `cookie` (a `name=value` pair, as
/// a browser holding it sends it), and checks the sign-out was answered 204.
async fn sign_out_racing(cookie: &str, views: Vec<String>, sign_out: String) {
    let plain = reqwest::Client::new();
    let views = views.into_iter().map(|url| {
        let request = plain.get(url).header("cookie", cookie).send();
        async move { request.await.unwrap().status() }
    });
    let sign_out = client().post(sign_out).header("cookie", cookie).send();
    let (_, signed_out) = tokio::join!(join_all(views), sign_out);
    assert_eq!(signed_out.unwrap().status(), 204);
}

/// The status of `GET url` sent with `cookie`.
async fn status_with(cookie: &str, url: String) -> u16 {
    let res = reqwest::Client::new()
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

#[tokio::test]
async fn a_sign_out_racing_page_views_stays_on_both_sides() {
    let redis = OwnRedis::start();
    let baseline = Baseline::start(&redis).await;
    let mut undone = 0;
    for _ in 0..RACES {
        let res = client().post(baseline.url("/sign-in")).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let cookie = format!(
            "id={}",
            cookie_value(res.headers(), "id").expect("tower-sessions' cookie")
        );
        assert_eq!(status_with(&cookie, baseline.url("/me")).await, 200);
        let views = (0..RACING_VIEWS)
            .map(|i| baseline.url(&format!("/page/p{i}")))
            .collect();
        sign_out_racing(&cookie, views, baseline.url("/sign-out")).await;
        // A request still running when the record was deleted would save its copy back, were
        // its write not conditional on the record still existing.
        if status_with(&cookie, baseline.url("/me")).await == 200 {
            undone += 1;
        }
    }
    println!("baseline: {undone} of {RACES} sign-outs undone by a racing page view");
    assert_eq!(undone, 0, "RedisStore wrote a deleted session back");

    let porch = porch_on(&redis).await;
    for _ in 0..RACES {
        let email = format!("{}@example.com", unique("race"));
        let res = register_with(
            &porch,
            &client(),
            serde_json::json!({"name": "Ada", "email": email, "password": PASSWORD}),
        )
        .await;
        assert_eq!(res.status(), 201);
        let cookie = format!("session={}", cookie_value(res.headers(), "session").unwrap());
        assert_eq!(status_with(&cookie, porch.url("/api/auth/profile")).await, 200);
        let views = (0..RACING_VIEWS)
            .map(|i| porch.url(["/", "/settings", "/account", "/session"][i % 4]))
            .collect();
        sign_out_racing(&cookie, views, porch.url("/api/auth/logout")).await;
        assert_eq!(
            status_with(&cookie, porch.url("/api/auth/profile")).await,
            401,
            "Porch's sign-out stays"
        );
    }
}

#[tokio::test]
async fn a_signed_in_page_view_is_two_redis_commands_in_the_baseline_and_one_in_porch() {
    let redis = OwnRedis::start();
    let baseline = Baseline::start(&redis).await;
    let browser = client();
    baseline.first_visit(&browser).await;
    assert_eq!(
        browser.post(baseline.url("/sign-in")).send().await.unwrap().status(),
        204
    );
    let monitor = Monitor::start(&redis);
    monitor.commands_until_mark();
    for i in 0..3 {
        let res = browser.get(baseline.url(&format!("/page/p{i}"))).send().await.unwrap();
        assert!(res.status().is_success());
        let sent = monitor.commands_until_mark();
        assert_eq!(names(&sent), ["GET", "SET"], "load the record, save it whole: {sent:?}");
    }
    drop(monitor);

    let porch = porch_on(&redis).await;
    let browser = client();
    sign_up(&porch, &browser).await;
    // The first page leaves the session its copy of the user (stored after the answer).
    porch.page(&browser, "/").await;
    let monitor = Monitor::start(&redis);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        monitor.commands_until_mark();
        porch.page(&browser, "/settings").await;
        let sent = monitor.commands_until_mark();
        if names(&sent) == ["EVALSHA"] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "one script per page view: {sent:?}"
        );
    }
    // (`/session` reads its own visit list besides: not a plain page view.)
    for path in ["/", "/account", "/settings"] {
        let html = porch.page(&browser, path).await;
        assert!(html.contains("Ada"), "{path}: signed in");
        let sent = monitor.commands_until_mark();
        assert_eq!(names(&sent), ["EVALSHA"], "{path}: {sent:?}");
    }
}

#[tokio::test]
async fn with_redis_stopped_the_baseline_waits_and_porch_serves_the_page() {
    let mut redis = OwnRedis::start();
    let baseline = Baseline::start(&redis).await;
    let porch = porch_on(&redis).await;
    let (theirs, ours) = (client(), client());
    baseline.first_visit(&theirs).await;
    sign_up(&porch, &ours).await;
    assert_eq!(porch.status_of(&ours, "/").await, 200);

    redis.stop();
    // fred queues the command until Redis is back: the baseline's page waits, answering nothing
    // (or a 500 once a command fails), where a browser wants its page.
    let theirs = theirs
        .get(baseline.url("/page/second"))
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await;
    println!("baseline with Redis stopped: {theirs:?}");
    match theirs {
        Err(e) => assert!(e.is_timeout(), "{e}"),
        Ok(res) => assert!(res.status().is_server_error(), "{}", res.status()),
    }
    let res = ours.get(porch.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200, "Porch serves the page");
    assert!(
        cookie_value(res.headers(), "session").is_none(),
        "and leaves the browser's cookie as it is"
    );
}
