//! Roles: the first admin from the command line, promotion and demotion by admins, and a 404
//! for everyone else on every admin route.

use std::process::Command;

use porch::server::auth::admin::{make_admin_by_email, MadeAdmin};
use serde_json::{json, Value};

use crate::harness::*;

async fn set_role(
    app: &TestApp,
    client: &reqwest::Client,
    id: impl std::fmt::Display,
    body: Value,
) -> reqwest::Response {
    client
        .put(app.url(&format!("/api/admin/users/{id}/role")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn role_of(app: &TestApp, client: &reqwest::Client) -> Value {
    get_json(app, client, "/api/auth/profile").await["user"]["role"].clone()
}

/// A signed-in admin: registered, then promoted the way the command line does it.
async fn admin(app: &TestApp) -> (reqwest::Client, String, i64) {
    let client = client();
    let (email, id) = sign_up(app, &client).await;
    assert!(matches!(
        make_admin_by_email(&app.state, &email).await.unwrap(),
        MadeAdmin::Promoted(_)
    ));
    (client, email, id)
}

#[tokio::test]
async fn everyone_but_admins_gets_the_unknown_path_404() {
    let app = spawn_app().await;
    let unknown = client()
        .put(app.url("/api/admin/no-such-thing"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let unknown: Value = unknown.json().await.unwrap();

    let user = client();
    let (_, user_id) = sign_up(&app, &user).await;
    assert_eq!(role_of(&app, &user).await, "user", "accounts start as users");
    for who in [client(), user.clone()] {
        for (id, body) in [
            (user_id.to_string(), json!({"role": "admin"})),
            ("not-a-number".to_owned(), json!({"role": "admin"})),
            (user_id.to_string(), json!({"role": "emperor"})),
            (user_id.to_string(), json!("not an object")),
        ] {
            let res = set_role(&app, &who, &id, body).await;
            assert_eq!(res.status(), 404);
            assert_eq!(
                res.json::<Value>().await.unwrap(),
                unknown,
                "no hint that the route exists"
            );
        }
    }
    assert_eq!(role_of(&app, &user).await, "user", "nothing changed");
}

#[tokio::test]
async fn admins_promote_and_demote_but_never_the_last_admin() {
    let app = spawn_app().await;
    let (first, _, first_id) = admin(&app).await;
    assert_eq!(role_of(&app, &first).await, "admin");
    let second = client();
    let (_, second_id) = sign_up(&app, &second).await;

    let res = set_role(&app, &first, second_id, json!({"role": "admin"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["user"]["role"], "admin");
    assert_eq!(role_of(&app, &second).await, "admin", "seen on their next request");

    // The new admin demotes the first; the first is then a stranger to the admin API.
    assert_eq!(
        set_role(&app, &second, first_id, json!({"role": "user"}))
            .await
            .status(),
        200
    );
    assert_eq!(role_of(&app, &first).await, "user");
    assert_eq!(
        set_role(&app, &first, second_id, json!({"role": "user"}))
            .await
            .status(),
        404
    );

    // Alone now: demoting oneself would leave nobody to promote anyone.
    let res = set_role(&app, &second, second_id, json!({"role": "user"})).await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "conflict");
    assert_eq!(role_of(&app, &second).await, "admin");

    // Bad input from an admin: clear 4xx answers.
    let res = set_role(&app, &second, first_id, json!({"role": "emperor"})).await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["fields"]["role"],
        "Choose a role: user or admin."
    );
    assert_eq!(
        set_role(&app, &second, 999_999, json!({"role": "admin"}))
            .await
            .status(),
        404
    );
    assert_eq!(set_role(&app, &second, first_id, json!("x")).await.status(), 400);
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    for _ in 0..4 {
        // A database that takes concurrent connections (a SQLite file, or PostgreSQL).
        let app = spawn_app_with(TestOptions {
            database_url: Some(shared_database_url().await),
            ..TestOptions::default()
        })
        .await;
        let (a, _, a_id) = admin(&app).await;
        let (b, _, b_id) = admin(&app).await;
        let (ra, rb) = tokio::join!(
            set_role(&app, &a, b_id, json!({"role": "user"})),
            set_role(&app, &b, a_id, json!({"role": "user"})),
        );
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        // The loser is refused as the last admin, or (if the winner finished first) no longer
        // an admin at all.
        assert!(
            statuses == [200, 404] || statuses == [200, 409],
            "exactly one demotion wins: {statuses:?}"
        );
        let roles = [role_of(&app, &a).await, role_of(&app, &b).await];
        assert_eq!(roles.iter().filter(|r| *r == "admin").count(), 1, "{roles:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn role_changes_are_rate_limited_per_admin() {
    let app = spawn_app_with(TestOptions::default().var("RATE_LIMIT_ROLE_CHANGE", "2/1h")).await;
    let (first, _, _) = admin(&app).await;
    let other = client();
    let (_, other_id) = sign_up(&app, &other).await;
    for role in ["admin", "user"] {
        assert_eq!(
            set_role(&app, &first, other_id, json!({"role": role})).await.status(),
            200
        );
    }
    let res = set_role(&app, &first, other_id, json!({"role": "admin"})).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(role_of(&app, &other).await, "user", "the refused change did not happen");
}

#[tokio::test]
async fn the_make_admin_command_promotes_an_account_at_once() {
    let database_url = shared_database_url().await;
    let options = TestOptions {
        database_url: Some(database_url.clone()),
        ..TestOptions::default()
    };
    let app = spawn_app_with(options.clone()).await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    // The browser's page views keep a copy of the user in its session: the command must
    // invalidate it, not wait for it to expire.
    browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(role_of(&app, &browser).await, "user");

    let porch = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_porch"))
            .args(args)
            .env("DATABASE_URL", &database_url)
            .env("REDIS_URL", redis_url())
            .env("REDIS_KEY_PREFIX", &options.prefix)
            .env("RUST_LOG", "error")
            .output()
            .expect("the binary runs")
    };
    let out = porch(&["make-admin", &email]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is now an admin"));
    assert_eq!(role_of(&app, &browser).await, "admin");

    let out = porch(&["make-admin", &email]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("already an admin"));

    let out = porch(&["make-admin", "nobody@example.com"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No account"));

    for args in [
        &["make-admin"][..],
        &["make-admin", "a@example.com", "b@example.com"],
        &["promote", "a@example.com"],
    ] {
        let out = porch(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage: porch make-admin <email>"));
    }
    app.stop().await;
}
