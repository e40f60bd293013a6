//! Session activity (pages, start, duration) and its archive (history), through the JSON API.

use futures::future::join_all;
use porch::server::{archive::Archived, time::now_ms};
use serde_json::{json, Value};

use crate::harness::*;

async fn track(app: &TestApp, client: &reqwest::Client, page: &str) -> reqwest::Response {
    client
        .post(app.url("/api/session/page"))
        .json(&json!({ "page": page }))
        .send()
        .await
        .unwrap()
}

async fn session_json(app: &TestApp, client: &reqwest::Client, query: &str) -> Value {
    get_json(app, client, &format!("/api/session{query}")).await
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
    for page in [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "relative",
        "",
        "/line\nbreak",
        long.as_str(),
    ] {
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
    let longest = format!("/{}", "a".repeat(2047));
    assert_eq!(
        track(&app, &browser, &longest).await.status(),
        200,
        "2,048 characters is allowed"
    );
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
        sign_out(&app, &browser).await;
        // Sign in again to read the history.
        let res = sign_in(&app, &browser, &email, PASSWORD).await;
        assert_eq!(res.status(), 200);
        let history = get_json(&app, &browser, "/api/auth/history").await;
        let items = history["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{history}");
        assert_eq!(items[0]["endReason"], "sign_out");
        assert_eq!(items[0]["pageCount"], 3);
        assert_eq!(items[0]["firstPages"], json!(["/", "/settings", "/account"]));
        assert_eq!(history["nextCursor"], Value::Null);
        // A guest sees no history.
        assert_eq!(app.status_of(&client(), "/api/auth/history").await, 401);
    }
}

#[tokio::test]
async fn expired_sessions_are_archived_once_even_by_racing_sweepers() {
    let app = spawn_app().await;
    let browser = client();
    for page in ["/a", "/b"] {
        assert_eq!(track(&app, &browser, page).await.status(), 200);
    }
    let (one, two) = (app.state.archiver.clone(), app.state.archiver.clone());
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
    let archivers: Vec<_> = (0..8).map(|_| app.state.archiver.clone()).collect();
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
    assert_eq!(app.status_of(&browser, "/api/session").await, 404);

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

/// The visited paths in a page's table, in the order shown.
fn listed_paths(html: &str) -> Vec<&str> {
    html.split(r#"<code class="path">"#)
        .skip(1)
        .filter_map(|rest| rest.split_once("</code>").map(|(path, _)| path))
        .collect()
}

#[tokio::test]
async fn this_session_page_lists_visits_and_server_functions_count_client_navigations() {
    let app = spawn_app().await;
    let browser = client();
    app.page(&browser, "/").await;
    app.page(&browser, "/settings").await;
    let page = app.page(&browser, "/session").await;
    assert!(page.contains(r#"data-testid="page-count">3<"#), "{page}");
    assert_eq!(listed_paths(&page), ["/session", "/settings", "/"], "newest first");
    assert!(!page.contains(r#"class="pager""#), "one page of visits has no pager");

    // A client-side navigation elsewhere: one more view.
    let res = app.server_fn(&browser, "track_page", &[("page", "/account")]).await;
    assert_eq!(res.status(), 200);
    let res = app
        .server_fn(&browser, "track_page", &[("page", "//evil.example")])
        .await;
    assert_eq!(res.status(), 400);
    // A client-side navigation to /session records itself as it reads; a plain read does not.
    let read = |record: &'static str| {
        let (app, browser) = (&app, &browser);
        async move {
            let res = app
                .server_fn(browser, "this_session", &[("offset", "0"), ("record", record)])
                .await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let recorded = read("true").await;
    assert_eq!(recorded["pageCount"], 5);
    assert_eq!(recorded["pagesVisited"][0]["page"], "/session");
    assert_eq!(recorded["pagesVisited"][1]["page"], "/account");
    assert_eq!(read("false").await["pageCount"], 5);

    // Thirty views: the second page of the list, with a way back to the first.
    for n in 0..25 {
        assert_eq!(track(&app, &browser, &format!("/p/{n}")).await.status(), 200);
    }
    let second = app.page(&browser, "/session?offset=20").await;
    assert!(second.contains(r#"data-testid="page-count">31<"#));
    assert!(second.contains("21–31 of 31"), "{second}");
    assert_eq!(listed_paths(&second).len(), 11);
    assert_eq!(listed_paths(&second)[10], "/");
    assert!(second.contains(r#"href="/session?offset=0" rel="prev""#));
    assert!(!second.contains(r#"rel="next""#));
    let first = app.page(&browser, "/session").await;
    assert!(first.contains(r#"href="/session?offset=20" rel="next""#));
    assert_eq!(listed_paths(&first)[..2], ["/session", "/session"]);
}

#[tokio::test]
async fn history_page_shows_a_signed_in_users_ended_sessions_by_cursor() {
    let app = spawn_app().await;
    let browser = client();
    let (email, user_id) = sign_up(&app, &browser).await;
    app.page(&browser, "/settings").await;
    sign_out(&app, &browser).await;
    let res = sign_in(&app, &browser, &email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let page = app.page(&browser, "/account/history").await;
    assert_eq!(page.matches("<tr data-reason=").count(), 1, "{page}");
    assert!(page.contains(r#"data-reason="sign_out""#));
    assert!(page.contains("Signed out"));
    assert_eq!(listed_paths(&page), ["/settings"]);

    // Twenty-five more: twenty on the first page, then the rest behind the cursor link.
    for n in 1..=25 {
        let entry = porch::server::repo::session_history::NewEntry {
            session_key: unique("k"),
            user_id: Some(user_id),
            started_at: now_ms() - 10_000_000 + n,
            ended_at: now_ms() - 5_000_000 + n,
            page_count: 1,
            first_pages: vec![format!("/old/{n}")],
            end_reason: "expired".into(),
        };
        porch::server::repo::session_history::insert_once(&app.state.db, &entry)
            .await
            .unwrap();
    }
    let first = app.page(&browser, "/account/history").await;
    assert_eq!(first.matches("<tr data-reason=").count(), 20);
    assert_eq!(listed_paths(&first)[0], "/settings", "newest first");
    assert!(first.contains("Timed out"));
    let next = first
        .split(r#"href="/account/history?cursor="#)
        .nth(1)
        .and_then(|rest| rest.split_once('"'))
        .map(|(cursor, _)| cursor.to_owned())
        .expect("a link to older sessions");
    let older = app.page(&browser, &format!("/account/history?cursor={next}")).await;
    assert_eq!(older.matches("<tr data-reason=").count(), 6);
    assert_eq!(listed_paths(&older).last(), Some(&"/old/1"));
    assert!(older.contains(r#"href="/account/history" rel="prev""#));
    assert!(!older.contains(r#"rel="next""#));

    // Guests are sent to sign in first.
    let res = client()
        .get(app.url("/account/history"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next=/account/history"));
}

#[tokio::test]
async fn every_way_a_signed_in_session_ends_is_archived_with_its_reason() {
    let app = spawn_app().await;
    let a = client();
    let (email, _) = sign_up(&app, &a).await;
    let signed_in = || async {
        let device = client();
        let res = sign_in(&app, &device, &email, PASSWORD).await;
        assert_eq!(res.status(), 200);
        device
    };
    let (b, c, d) = (signed_in().await, signed_in().await, signed_in().await);

    // A revokes B (B's handle is the row B sees as its own).
    let b_handle = own_session_handle(&app, &b).await;
    let res = a
        .delete(app.url(&format!("/api/auth/sessions/{b_handle}")))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    // A changes the password: C and D end, A goes on under a new id.
    let new_password = "a brand new passphrase";
    let res = change_password(&app, &a, PASSWORD, new_password).await;
    assert_eq!(res.status(), 204);
    for ended in [&b, &c, &d] {
        let res = ended.get(app.url("/api/auth/profile")).send().await.unwrap();
        assert_eq!(res.status(), 401);
    }
    // Then A signs out everywhere.
    let res = a.post(app.url("/api/auth/logout-all")).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());

    let e = client();
    let res = sign_in(&app, &e, &email, new_password).await;
    assert_eq!(res.status(), 200);
    let history = get_json(&app, &e, "/api/auth/history").await;
    let mut reasons: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["endReason"].as_str().unwrap())
        .collect();
    reasons.sort_unstable();
    // A's password change renewed its id without ending its visit: A's one row is its sign-out
    // everywhere, no "renewed" row beside it.
    assert_eq!(
        reasons,
        ["password_change", "password_change", "revoked", "sign_out_everywhere"],
        "{history}"
    );
}

/// The report: a visitor browses `/` and `/register`, registers, then opens `/session`. The id
/// changes at sign-in (against fixation) but the visit goes on: its start, count and pages are
/// the signed-in session's, and the history shows it as one visit. The same through the plain
/// sign-in form, and across a password change (Redis and memory; `scripts/cluster.sh` runs it
/// on Redis Cluster, where the two ids live in different slots).
#[tokio::test]
async fn the_visit_goes_on_across_sign_in_under_a_new_id() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let app = spawn_app_with(options).await;
        let browser = client();
        let page = |path: &'static str| app.page(&browser, path);
        page("/").await;
        let before = session_json(&app, &browser, "").await;
        page("/register").await;
        let guest = browser.get(app.url("/api/session")).send().await.unwrap();
        assert_eq!(guest.status(), 200);
        let (email, _) = sign_up(&app, &browser).await;
        page("/session").await;
        let after = session_json(&app, &browser, "").await;
        assert_eq!(after["startTime"], before["startTime"], "{after}");
        assert_eq!(after["pageCount"], 3, "{after}");
        let pages: Vec<&str> = after["pagesVisited"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["page"].as_str().unwrap())
            .collect();
        assert_eq!(pages, ["/session", "/register", "/"]);

        // A password change renews the id too; the visit still goes on.
        let res = change_password(&app, &browser, PASSWORD, "another long passphrase").await;
        assert_eq!(res.status(), 204);
        page("/account").await;
        let renewed = session_json(&app, &browser, "").await;
        assert_eq!(renewed["startTime"], before["startTime"]);
        assert_eq!(renewed["pageCount"], 4);

        // Ended, it is one visit in the history, from the first guest page on.
        sign_out(&app, &browser).await;
        let reader = client();
        assert_eq!(
            sign_in(&app, &reader, &email, "another long passphrase").await.status(),
            200
        );
        let history = get_json(&app, &reader, "/api/auth/history").await;
        let items = history["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{history}");
        assert_eq!(items[0]["endReason"], "sign_out");
        assert_eq!(items[0]["startedAt"], before["startTime"]);
        assert_eq!(items[0]["pageCount"], 4);
        assert_eq!(
            items[0]["firstPages"],
            json!(["/", "/register", "/session", "/account"])
        );
        // Nothing of the guest id is left to be archived on its own.
        app.state.archiver.sweep(now_ms() + 24 * 3_600_000).await.unwrap();
        let history = get_json(&app, &reader, "/api/auth/history").await;
        assert_eq!(history["items"].as_array().unwrap().len(), 1, "{history}");
    }
}

/// Signing in as someone else on a browser where another account is signed in does not hand
/// that account's visit to the new one: it ends, in its own history, as a sign-out.
#[tokio::test]
async fn another_accounts_visit_is_not_carried_into_a_sign_in() {
    let app = spawn_app().await;
    let browser = client();
    let (first, _) = sign_up(&app, &browser).await;
    browser
        .get(app.url("/settings"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let (second, _) = {
        let other = client();
        sign_up(&app, &other).await
    };
    assert_eq!(sign_in(&app, &browser, &second, PASSWORD).await.status(), 200);
    let now = session_json(&app, &browser, "").await;
    assert_eq!(now["pageCount"], 0, "{now}");
    let reader = client();
    assert_eq!(sign_in(&app, &reader, &first, PASSWORD).await.status(), 200);
    let history = get_json(&app, &reader, "/api/auth/history").await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{history}");
    assert_eq!(items[0]["endReason"], "sign_out");
    assert_eq!(items[0]["firstPages"], json!(["/settings"]));
}
