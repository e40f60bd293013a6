//! Session activity (pages, start, duration) and its archive (history), through the JSON API.

use futures::future::join_all;
use porch::server::{activity::Archived, backend::now_ms};
use serde_json::{json, Value};

use crate::harness::*;

const PASSWORD: &str = "correct horse battery";

async fn track(app: &TestApp, client: &reqwest::Client, page: &str) -> reqwest::Response {
    client
        .post(app.url("/api/session/page"))
        .json(&json!({ "page": page }))
        .send()
        .await
        .unwrap()
}

async fn session_json(app: &TestApp, client: &reqwest::Client, query: &str) -> Value {
    let res = client
        .get(app.url(&format!("/api/session{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Registers (and so signs in) a new user; returns their email and id.
async fn sign_up(app: &TestApp, client: &reqwest::Client) -> (String, i64) {
    let email = format!("{}@example.com", unique("u"));
    let res = client
        .post(app.url("/api/auth/register"))
        .json(&json!({"name": "Ada", "email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    (email, body["user"]["id"].as_i64().unwrap())
}

#[tokio::test]
async fn concurrent_page_views_and_tracked_navigations_all_count_once() {
    let app = spawn_app().await;
    let browser = client();
    let res = browser.post(app.url("/api/session")).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let started: Value = res.json().await.unwrap();
    let start = started["startTime"].as_str().unwrap().to_owned();
    // Starting again returns the same session.
    let again: Value = browser
        .post(app.url("/api/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["startTime"], start.as_str());

    let tracked = (0..50).map(|i| {
        let (app, browser) = (&app, browser.clone());
        async move { track(app, &browser, &format!("/p{i}")).await.status() }
    });
    let viewed = (0..50).map(|_| {
        let url = app.url("/");
        let browser = browser.clone();
        async move { browser.get(url).send().await.unwrap().status() }
    });
    let (tracked, viewed) = tokio::join!(join_all(tracked), join_all(viewed));
    assert!(tracked.iter().chain(&viewed).all(|s| s.is_success()));

    let view = session_json(&app, &browser, "?limit=100").await;
    assert_eq!(view["pageCount"], 100);
    assert_eq!(view["startTime"], start.as_str(), "start time is set once");
    assert!(view["sessionDuration"].as_i64().unwrap() >= 0);
    assert_eq!(view["pagesVisited"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn the_list_keeps_the_newest_hundred_and_the_total() {
    let app = spawn_app_with(TestOptions::memory()).await;
    let browser = client();
    for i in 0..120 {
        let res = track(&app, &browser, &format!("/page/{i}")).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["pageCount"], i + 1);
    }
    let view = session_json(&app, &browser, "?offset=0&limit=100").await;
    assert_eq!(view["pageCount"], 120);
    let pages = view["pagesVisited"].as_array().unwrap();
    assert_eq!(pages.len(), 100);
    assert_eq!(pages[0]["page"], "/page/119", "newest first");
    assert_eq!(pages[99]["page"], "/page/20");
    let second = session_json(&app, &browser, "?offset=95&limit=10").await;
    assert_eq!(second["pagesVisited"].as_array().unwrap().len(), 5);
    assert_eq!(
        (second["offset"].clone(), second["limit"].clone()),
        (json!(95), json!(10))
    );
}

#[tokio::test]
async fn bad_pages_and_queries_are_400s_and_no_session_is_a_404() {
    let app = spawn_app().await;
    let browser = client();
    let res = browser.get(app.url("/api/session")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let long = format!("/{}", "a".repeat(2048));
    for page in ["https://evil.example/", "//evil.example", "relative", "", long.as_str()] {
        let res = track(&app, &browser, page).await;
        assert_eq!(res.status(), 400, "{page:.40}");
        let err: Value = res.json().await.unwrap();
        assert!(err["error"]["fields"]["page"].is_string());
    }
    let res = browser
        .post(app.url("/api/session/page"))
        .json(&json!({"page": "/", "extra": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "unknown fields are refused");
    assert_eq!(track(&app, &browser, "/ok").await.status(), 200);
    for query in ["?limit=0", "?limit=abc", "?offset=-1"] {
        let res = browser
            .get(app.url(&format!("/api/session{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{query}");
    }
}

#[tokio::test]
async fn ending_a_session_archives_it_once_with_its_reason() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let app = spawn_app_with(options).await;
        let browser = client();
        let (email, _) = sign_up(&app, &browser).await;
        for page in ["/", "/settings", "/account"] {
            assert_eq!(track(&app, &browser, page).await.status(), 200);
        }
        let res = browser.post(app.url("/api/auth/logout")).send().await.unwrap();
        assert!(res.status().is_success());
        // Sign in again to read the history.
        let res = browser
            .post(app.url("/api/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let history: Value = browser
            .get(app.url("/api/auth/history"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = history["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{history}");
        assert_eq!(items[0]["endReason"], "sign_out");
        assert_eq!(items[0]["pageCount"], 3);
        assert_eq!(items[0]["firstPages"], json!(["/", "/settings", "/account"]));
        assert_eq!(history["nextCursor"], Value::Null);
        // A guest sees no history.
        assert_eq!(
            client()
                .get(app.url("/api/auth/history"))
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
    }
}

#[tokio::test]
async fn expired_sessions_are_archived_once_even_by_racing_sweepers() {
    let app = spawn_app().await;
    let browser = client();
    for page in ["/a", "/b"] {
        assert_eq!(track(&app, &browser, page).await.status(), 200);
    }
    let (one, two) = (app.state.archiver(), app.state.archiver());
    // Not yet due: nothing is written.
    assert_eq!(one.sweep(now_ms()).await.unwrap().written, 0);
    // Two hours on, the 30-minute guest session has expired.
    let later = now_ms() + 2 * 3600 * 1000;
    let (a, b) = tokio::join!(one.sweep(later), two.sweep(later));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.written + b.written, 1, "{a:?} {b:?}");
    let ids = app.state.backend.due_sessions(later, 10).await.unwrap();
    assert!(ids.is_empty(), "archived sessions leave the schedule");

    use sea_orm::{EntityTrait, PaginatorTrait};
    let rows = porch::server::entity::session_history::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].end_reason, "expired");
    assert_eq!(rows[0].page_count, 2);
    assert_eq!(rows[0].user_id, None);
    assert!(rows[0].duration_secs >= 30 * 60, "ended when it timed out");
    let count = porch::server::entity::session_history::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn racing_archivers_of_one_ended_session_write_one_row() {
    let app = spawn_app().await;
    let browser = client();
    assert_eq!(track(&app, &browser, "/x").await.status(), 200);
    // The id never leaves the cookie; the store's schedule names the one session there is.
    let id = app.state.backend.due_sessions(i64::MAX, 10).await.unwrap().remove(0);
    app.state.backend.end_session(&id, "revoked", now_ms()).await.unwrap();
    let archivers: Vec<_> = (0..8).map(|_| app.state.archiver()).collect();
    let results = join_all(archivers.iter().map(|a| a.archive(&id, now_ms()))).await;
    let written = results
        .into_iter()
        .filter(|r| matches!(r, Ok(Archived::Written)))
        .count();
    assert_eq!(written, 1);
}

#[tokio::test]
async fn history_pages_by_cursor_without_gaps_or_repeats_while_rows_arrive() {
    let app = spawn_app().await;
    let browser = client();
    // Five ended sessions of this user, written straight to the archive.
    let (_, user_id) = sign_up(&app, &browser).await;
    let insert = |n: i64| {
        let db = app.state.db.clone();
        async move {
            let entry = porch::server::repo::session_history::NewEntry {
                session_key: unique("k"),
                user_id: Some(user_id),
                started_at: 1_000 * n,
                ended_at: 1_000 * n + 500,
                page_count: n,
                first_pages: vec![format!("/{n}")],
                end_reason: "sign_out".into(),
            };
            assert!(porch::server::repo::session_history::insert_once(&db, &entry)
                .await
                .unwrap());
        }
    };
    for n in 1..=5 {
        insert(n).await;
    }
    let page = |cursor: Option<String>| {
        let browser = browser.clone();
        let url = app.url(&format!(
            "/api/auth/history?limit=2&cursor={}",
            cursor.unwrap_or_default()
        ));
        async move { browser.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let body = page(cursor.clone()).await;
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["pageCount"].as_i64().unwrap()),
        );
        // A newer session ends between pages: it must not shift what comes next.
        if seen.len() == 2 {
            insert(6).await;
        }
        match body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, [5, 4, 3, 2, 1]);
    let res = browser
        .get(app.url("/api/auth/history?cursor=nonsense"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn delete_ends_the_session_archives_it_and_clears_the_cookie() {
    let app = spawn_app().await;
    let browser = client();
    assert_eq!(track(&app, &browser, "/one").await.status(), 200);
    let res = browser.delete(app.url("/api/session")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(
        set_cookies(res.headers()).iter().any(|c| c.starts_with("session=;")),
        "the cookie is cleared: {:?}",
        set_cookies(res.headers())
    );
    assert_eq!(browser.get(app.url("/api/session")).send().await.unwrap().status(), 404);

    use sea_orm::EntityTrait;
    let rows = porch::server::entity::session_history::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].end_reason.as_str(), rows[0].page_count), ("ended", 1));

    // Tracking again starts a fresh session rather than reviving the ended one.
    let res = track(&app, &browser, "/two").await;
    assert_eq!(res.json::<Value>().await.unwrap()["pageCount"], 1);
}
