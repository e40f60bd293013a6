//! Leaving with one's data: the export, and the deletion that leaves nothing behind.

use porch::server::{
    archive::Archived,
    repo::{preferences, session_history::insert_once, users},
    time::now_ms,
};
use serde_json::{json, Value};

use crate::harness::*;

async fn delete_account(app: &TestApp, client: &reqwest::Client, password: &str) -> reqwest::Response {
    client
        .delete(app.url("/api/auth/profile"))
        .json(&json!({ "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_export_has_profile_preferences_devices_and_history() {
    let app = spawn_app().await;
    let browser = client();
    let (email, id) = sign_up(&app, &browser).await;
    let res = browser
        .post(app.url("/api/preferences"))
        .json(&json!({"theme": "dark", "language": "fr"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // An ended session for the history, and a second device.
    let earlier = client();
    assert_eq!(sign_in(&app, &earlier, &email, PASSWORD).await.status(), 200);
    sign_out(&app, &earlier).await;
    let other = client();
    assert_eq!(sign_in(&app, &other, &email, PASSWORD).await.status(), 200);

    let res = browser.get(app.url("/api/auth/export")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"porch-data-") && disposition.ends_with(".json\""),
        "{disposition}"
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let export: Value = res.json().await.unwrap();
    assert_eq!(export["profile"]["id"], id);
    assert_eq!(export["profile"]["email"], email.as_str());
    assert_eq!(export["preferences"]["theme"], "dark");
    assert_eq!(export["preferences"]["language"], "fr");
    let sessions = export["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{export}");
    assert_eq!(sessions[0]["current"], true);
    let history = export["history"].as_array().unwrap();
    assert!(
        history.iter().any(|h| h["endReason"] == "sign_out"),
        "the signed-out session: {export}"
    );
    assert!(export["exportedAt"].as_str().unwrap().ends_with('Z'));

    // Nobody else's export, and none for a guest.
    let guest = client();
    assert_eq!(app.status_of(&guest, "/api/auth/export").await, 401);
    app.stop().await;
}

/// After deletion, nothing of the user is left: not in Redis under the app's prefix (sessions,
/// activity, copies, tokens, indexes, caches), not in the database (user, preferences,
/// history); every device is a guest, and the browser keeps its preferences in the cookie.
#[tokio::test]
async fn deleting_the_account_leaves_nothing_of_it() {
    let app = spawn_app().await;
    let browser = client();
    let res = register_with(
        &app,
        &browser,
        json!({"name": "Zelda Zapped", "email": format!("{}@example.com", unique("z")), "password": PASSWORD}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let (id, email, token) = (
        body["user"]["id"].as_i64().unwrap(),
        body["user"]["email"].as_str().unwrap().to_owned(),
        body["token"].as_str().unwrap().to_owned(),
    );
    let res = browser
        .post(app.url("/api/preferences"))
        .json(&json!({"theme": "dark"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A second device that has viewed pages (its session keeps a copy of the user), and a
    // third that signed out (a history row).
    let other = client();
    assert_eq!(sign_in(&app, &other, &email, PASSWORD).await.status(), 200);
    for path in ["/", "/account"] {
        assert_eq!(app.status_of(&other, path).await, 200);
    }
    let gone = client();
    assert_eq!(sign_in(&app, &gone, &email, PASSWORD).await.status(), 200);
    sign_out(&app, &gone).await;
    let session_ids: Vec<String> = app
        .state
        .backend
        .user_sessions(id)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, sid)| sid)
        .collect();
    assert_eq!(session_ids.len(), 2);

    // The wrong password changes nothing.
    let res = delete_account(&app, &browser, "not the password").await;
    assert_eq!(res.status(), 400);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["error"]["code"], "validation", "{problem}");
    assert_eq!(
        problem["error"]["fields"]["password"],
        "The current password is not correct."
    );
    assert_eq!(get_json(&app, &browser, "/api/auth/profile").await["user"]["id"], id);

    let res = delete_account(&app, &browser, PASSWORD).await;
    assert_eq!(res.status(), 204);
    let cookies = set_cookies(res.headers());
    assert!(cookies.iter().any(|c| c.starts_with("session=;")), "{cookies:?}");
    // The browser, a guest now, keeps the account's preferences.
    assert_eq!(get_json(&app, &browser, "/api/preferences").await["theme"], "dark");

    // Every device is a guest; the token and the password lead nowhere.
    for device in [&browser, &other] {
        assert_eq!(app.status_of(device, "/api/auth/profile").await, 401);
    }
    let with_token = reqwest::Client::new()
        .get(app.url("/api/auth/profile"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 401);
    assert_eq!(sign_in(&app, &client(), &email, PASSWORD).await.status(), 401);

    // Redis: no key or value names the user, their email, name or any of their sessions.
    let everything = everything_under(&app.options.prefix).await;
    assert!(!everything.is_empty(), "the scan sees the app's keys");
    for (key, value) in &everything {
        // The caches' invalidation marks hold nothing (a random token) and lapse within a
        // minute; they only stop a page that read the account before it went from caching it.
        let is_mark = value.starts_with(porch::server::backend::FillToken::MARK) && value.len() < 40;
        for mark in [format!("u:{{{id}}}"), format!("profile:{id}"), format!("prefs:{id}")] {
            assert!(
                !key.contains(&mark) || is_mark && !key.contains("u:{"),
                "{key} is the user's: {value}"
            );
        }
        assert!(!value.contains(&format!("user={id};")), "{key}: {value}");
        for trace in [email.as_str(), "Zelda Zapped"] {
            assert!(!value.contains(trace), "{key} holds {trace}: {value}");
        }
        for sid in &session_ids {
            assert!(
                !key.contains(sid.as_str()) && !value.contains(sid.as_str()),
                "{key}: a session of the user"
            );
        }
    }

    // The database: no user, no preferences, no history.
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    assert!(users::by_id(&app.state.db, id).await.unwrap().is_none());
    assert!(preferences::get(&app.state.db, id).await.unwrap().is_none());
    let history = porch::server::entity::session_history::Entity::find()
        .filter(porch::server::entity::session_history::Column::UserId.eq(id))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(history, 0);
    app.stop().await;
}

#[tokio::test]
async fn deleting_works_in_memory_too_and_needs_a_signed_in_user() {
    let app = spawn_app_with(TestOptions::memory()).await;
    let guest = client();
    assert_eq!(delete_account(&app, &guest, PASSWORD).await.status(), 401);
    let browser = client();
    let (email, id) = sign_up(&app, &browser).await;
    let other = client();
    assert_eq!(sign_in(&app, &other, &email, PASSWORD).await.status(), 200);
    assert_eq!(delete_account(&app, &browser, PASSWORD).await.status(), 204);
    assert_eq!(app.status_of(&other, "/api/auth/profile").await, 401);
    assert!(app.state.backend.user_sessions(id).await.unwrap().is_empty());
    assert!(users::by_id(&app.state.db, id).await.unwrap().is_none());
    app.stop().await;
}

/// A session archived after its account was deleted (a sweep that read it just before) writes
/// no history: the row would name a user who is gone.
#[tokio::test]
async fn a_session_archived_after_its_account_is_gone_leaves_no_row() {
    let app = spawn_app().await;
    let browser = client();
    let (_, id) = sign_up(&app, &browser).await;
    let (_, sid) = app.state.backend.user_sessions(id).await.unwrap().remove(0);
    // The row itself cannot be written for a missing user...
    assert!(users::delete(&app.state.db, id).await.unwrap());
    let entry = porch::server::repo::session_history::NewEntry {
        session_key: unique("k"),
        user_id: Some(id),
        started_at: now_ms() - 1_000,
        ended_at: now_ms(),
        page_count: 1,
        first_pages: vec!["/".into()],
        end_reason: "expired".into(),
    };
    assert!(insert_once(&app.state.db, &entry).await.is_err());
    // ...and archiving the session treats it as done, once and for all.
    let archiver = app.state.archiver.clone();
    archiver.end(&sid, porch::model::EndReason::SignOut).await.unwrap();
    assert_eq!(archiver.archive(&sid, now_ms()).await.unwrap(), Archived::AlreadyDone);
    assert!(app.state.backend.activity(&sid, 0, 0).await.unwrap().is_none());
    app.stop().await;
}
