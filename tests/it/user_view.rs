//! A signed-in page view reads the session and the session's copy of its user (preferences
//! and profile) in one Redis round trip; a change anywhere reaches every session's next page.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::*;

/// Waits until every session of `user_id` holds a complete copy of the user (it is stored in
/// the background after the page that read it).
async fn copies_stored(app: &TestApp, redis_cli: impl Fn(&[&str]) -> String, user_id: i64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let sessions = app.state.backend.user_sessions(user_id).await.unwrap();
        let stored = sessions.iter().all(|(_, id)| {
            let key = Keys::new(&app.options.prefix).user_views(session_tag(id));
            !redis_cli(&["hget", &key, &format!("{user_id}:u")]).is_empty()
        });
        if stored && !sessions.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "the copies are stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_page_view_is_one_redis_command_and_a_static_asset_none() {
    let redis = OwnRedis::start();
    let site = std::env::temp_dir().join(unique("site"));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/porch.css"), "body{}").unwrap();
    std::fs::write(site.join("favicon.svg"), "<svg/>").unwrap();
    // No sweeper run or figures flush in the middle of a count.
    let app = spawn_app_with(
        TestOptions {
            redis_url: Some(redis.url()),
            site_root: Some(site.to_string_lossy().into_owned()),
            ..TestOptions::default()
        }
        .var("SESSION_SWEEP_INTERVAL", "1h")
        .var("STATS_FLUSH_INTERVAL", "1h"),
    )
    .await;
    let client = client();
    let (_, user_id) = sign_up(&app, &client).await;
    // The first page reads the user from the caches (or the database) and leaves the session
    // a copy; the views after it need nothing but the session.
    app.page(&client, "/").await;
    copies_stored(&app, |args| redis.cli(args), user_id).await;

    let monitor = Monitor::start(&redis);
    monitor.commands_until_mark();
    for path in ["/", "/settings", "/account"] {
        let html = app.page(&client, path).await;
        assert!(html.contains("Ada"), "{path}: the header names the user");
        let sent = monitor.commands_until_mark();
        // One script loads the session, counts the view and returns the user's copy.
        assert_eq!(names(&sent), ["EVALSHA"], "{path}: {sent:?}");
    }

    // A guest's second page: the same single command.
    let guest = client_without_session(&app).await;
    monitor.commands_until_mark();
    app.page(&guest, "/settings").await;
    assert_eq!(names(&monitor.commands_until_mark()), ["EVALSHA"]);

    // Static files never touch Redis.
    for asset in ["/favicon.svg", "/pkg/porch.css"] {
        assert_eq!(app.status_of(&guest, asset).await, 200, "{asset}");
        assert_eq!(monitor.commands_until_mark(), Vec::<String>::new(), "{asset}");
    }
    let _ = std::fs::remove_dir_all(&site);
    app.stop().await;
}

/// A guest browser that has had its first page (so its session exists).
async fn client_without_session(app: &TestApp) -> reqwest::Client {
    let guest = client();
    app.page(&guest, "/").await;
    guest
}

#[tokio::test]
async fn a_change_on_one_device_shows_on_the_others_next_page() {
    let app = spawn_app().await;
    let (a, b) = (client(), client());
    let (email, user_id) = sign_up(&app, &a).await;
    assert_eq!(sign_in(&app, &b, &email, PASSWORD).await.status(), 200);
    // Both devices' sessions hold a copy of the user before anything changes.
    app.page(&a, "/").await;
    let html = app.page(&b, "/").await;
    assert!(html.contains(r#"data-theme="system""#));
    copies_stored(&app, redis_cli, user_id).await;

    let res = a
        .post(app.url("/api/preferences"))
        .json(&json!({"theme": "dark", "language": "fr"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let html = app.page(&b, "/").await;
    assert!(
        html.contains(r#"<html lang="fr" dir="ltr" data-theme="dark""#),
        "{}",
        &html[..200]
    );

    let res = a
        .put(app.url("/api/auth/profile"))
        .json(&json!({"name": "Ada Lovelace"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    for device in [&a, &b] {
        assert!(app.page(device, "/").await.contains("Ada Lovelace"));
    }
    app.stop().await;
}
