//! Roles: the first admin from the command line, promotion and demotion by admins, and a 404
//! for everyone else on every admin route.

use std::process::Command;

use porch::server::{
    auth::roles::{make_admin_by_email, MadeAdmin},
    repo::session_history::{insert_once, NewEntry},
};
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
    for who in [client(), user] {
        let res = who.get(app.url("/api/admin/stats")).send().await.unwrap();
        assert_eq!(res.status(), 404);
        assert_eq!(res.json::<Value>().await.unwrap(), unknown);
    }
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
        let app = spawn_app_with(TestOptions::shared().await).await;
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

/// Known traffic gives exact figures, on Redis and in memory.
#[tokio::test]
async fn stats_count_known_traffic_exactly() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let redis = options.redis_url.is_some();
        // One failed sign-in per email and address, so the second attempt is refused.
        let app = spawn_app_with(options.var("RATE_LIMIT_SIGN_IN", "1/1h")).await;
        let (admin, _, _) = admin(&app).await; // a session started

        for _ in 0..3 {
            // A guest: a session started by its first page, then a second page.
            let guest = client();
            for path in ["/", "/settings"] {
                app.page(&guest, path).await;
            }
        }
        let first = client();
        let (email, _) = sign_up(&app, &first).await; // a session started
        for _ in 0..2 {
            assert_eq!(sign_in(&app, &client(), &email, PASSWORD).await.status(), 200);
        }
        assert_eq!(sign_in(&app, &client(), &email, "not the password").await.status(), 401);
        assert_eq!(sign_in(&app, &client(), &email, "not the password").await.status(), 429);
        sign_out(&app, &first).await;

        // Ten sessions of 1 to 10 minutes ended lately, and one long one too old to count.
        let now = porch::server::time::now_ms();
        for (n, minutes, ended_ago_days) in (1..=10).map(|m| (m, m, 1)).chain([(11, 999, 31)]) {
            let ended_at = now - ended_ago_days * 24 * 3_600_000;
            let entry = NewEntry {
                session_key: unique(&format!("k{n}")),
                user_id: None,
                started_at: ended_at - minutes * 60_000,
                ended_at,
                page_count: 1,
                first_pages: vec!["/".into()],
                end_reason: "expired".into(),
            };
            assert!(insert_once(&app.state.db, &entry).await.unwrap());
        }

        let stats = get_json(&app, &admin, "/api/admin/stats").await;
        let hourly = stats["hourly"].as_array().unwrap();
        assert_eq!(hourly.len(), 24);
        // Summed over the day, so a test running across the hour still adds up.
        let total = |field: &str| hourly.iter().map(|h| h[field].as_i64().unwrap()).sum::<i64>();
        assert_eq!(total("sessionsStarted"), 1 + 3 + 1 + 2, "{stats}");
        assert_eq!(total("pageViews"), 6);
        assert_eq!(total("signIns"), 2);
        assert_eq!(total("signInFailures"), 1);
        assert_eq!(total("rateLimited"), 1);
        assert_eq!(total("sessionsEnded"), 1, "the signed-out session");
        assert_eq!(
            stats["topPages"],
            json!([{"path": "/", "views": 3}, {"path": "/settings", "views": 3}])
        );
        assert_eq!(stats["liveSessions"], 6, "{stats}");
        // The signed-out session (under a few seconds) and the ten: 11 values, nearest rank.
        assert_eq!(
            stats["sessionDuration"],
            json!({"sessions": 11, "medianSeconds": 300, "p90Seconds": 540}),
            "{stats}"
        );
        assert!(stats["generatedAt"].as_str().unwrap().ends_with('Z'));
        // The daily view has the same counts (the last two days, in case midnight passed).
        let daily = stats["daily"].as_array().unwrap();
        assert_eq!(daily.len(), 30);
        assert!(daily[29]["day"].as_str().unwrap().ends_with("T00:00:00Z"));
        let recent = |field: &str| daily[28..].iter().map(|d| d[field].as_i64().unwrap()).sum::<i64>();
        for field in [
            "sessionsStarted",
            "sessionsEnded",
            "pageViews",
            "signIns",
            "signInFailures",
            "rateLimited",
        ] {
            assert_eq!(recent(field), total(field), "{field}: {stats}");
        }
        assert!(daily[..28].iter().all(|d| d["pageViews"] == 0));
        if redis {
            assert!(stats["store"]["keys"].as_u64().unwrap() > 0);
            assert!(stats["store"]["usedMemoryBytes"].as_u64().unwrap() > 0);
        } else {
            assert_eq!(stats["store"], Value::Null);
        }
        app.stop().await;
    }
}

/// The sweeper writes each day's figures to the database, where the 30-day view finds them
/// after the per-hour keys have expired; a later, partial roll-up never lowers them.
#[tokio::test]
async fn the_daily_view_is_rolled_up_into_the_database() {
    use porch::server::{
        figures::{day_of, Counts, Figure, DAY_MS},
        repo::daily_stats,
    };
    let app = spawn_app().await;
    let (admin, _, _) = admin(&app).await;
    for _ in 0..4 {
        app.page(&client(), "/settings").await;
    }
    let now = porch::server::time::now_ms();
    app.state.archiver.roll_up(now).await.unwrap();
    let today = day_of(now);
    let rows = daily_stats::between(&app.state.db, today - DAY_MS, today)
        .await
        .unwrap();
    let views: i64 = rows.iter().map(|(_, c)| c[Figure::PageViews as usize]).sum();
    let started: i64 = rows.iter().map(|(_, c)| c[Figure::SessionsStarted as usize]).sum();
    assert_eq!((views, started), (4, 5), "{rows:?}");

    // Days gone from Redis come from the database; a smaller figure for a day never lowers it.
    let mut old = Counts::default();
    old[Figure::SessionsStarted as usize] = 40;
    old[Figure::SessionsEnded as usize] = 38;
    let mut lower = old;
    lower[Figure::SessionsStarted as usize] = 12;
    lower[Figure::SignIns as usize] = 3;
    let ten_days_ago = today - 10 * DAY_MS;
    daily_stats::raise(&app.state.db, &[(ten_days_ago, old)]).await.unwrap();
    daily_stats::raise(&app.state.db, &[(ten_days_ago, lower)])
        .await
        .unwrap();
    // And a day too old for the view.
    daily_stats::raise(&app.state.db, &[(today - 30 * DAY_MS, old)])
        .await
        .unwrap();

    let stats = get_json(&app, &admin, "/api/admin/stats").await;
    let daily = stats["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    let day = &daily[29 - 10];
    assert_eq!(
        (
            day["sessionsStarted"].as_i64(),
            day["sessionsEnded"].as_i64(),
            day["signIns"].as_i64()
        ),
        (Some(40), Some(38), Some(3)),
        "{day}"
    );
    let started: i64 = daily.iter().map(|d| d["sessionsStarted"].as_i64().unwrap()).sum();
    assert_eq!(started, 40 + 5, "{stats}");
    app.stop().await;
}

/// Each instance adds its counts to the same per-hour figures in Redis.
#[tokio::test]
async fn stats_add_up_across_instances() {
    let a = spawn_app_with(TestOptions::shared().await).await;
    let b = a.twin(&[]).await;
    let (admin_client, _, _) = admin(&b).await;
    for app in [&a, &a, &b] {
        app.page(&client(), "/").await;
    }
    // What the periodic flush does on instance A (B flushes its own when asked for figures).
    a.state.metrics.tally.flush(a.state.backend.as_ref()).await.unwrap();
    let stats = get_json(&b, &admin_client, "/api/admin/stats").await;
    let views: i64 = stats["hourly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["pageViews"].as_i64().unwrap())
        .sum();
    assert_eq!(views, 3, "{stats}");
    assert_eq!(stats["topPages"], json!([{"path": "/", "views": 3}]));
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn admins_page_through_accounts_with_their_roles() {
    let app = spawn_app().await;
    let (admin_client, admin_email, admin_id) = admin(&app).await;
    let mut ids = vec![admin_id];
    for _ in 0..4 {
        ids.push(sign_up(&app, &client()).await.1);
    }
    ids.reverse(); // newest first

    let mut seen = Vec::new();
    let mut path = "/api/admin/users?limit=2".to_owned();
    loop {
        let page = get_json(&app, &admin_client, &path).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        for user in items {
            seen.push(user["id"].as_i64().unwrap());
            let expected = if user["email"] == admin_email.as_str() {
                "admin"
            } else {
                "user"
            };
            assert_eq!(user["role"], expected);
            assert!(user.get("passwordHash").is_none());
        }
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/api/admin/users?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ids, "every account once, newest first");

    for bad in [
        "/api/admin/users?cursor=abc",
        "/api/admin/users?limit=0",
        "/api/admin/users?limit=101",
    ] {
        let res = admin_client.get(app.url(bad)).send().await.unwrap();
        assert_eq!(res.status(), 400, "{bad}");
    }
    let res = client().get(app.url("/api/admin/users")).send().await.unwrap();
    assert_eq!(res.status(), 404, "not an admin");
}

/// The page's own forms: a plain post changes the role and comes back to `/admin` with a
/// notice; a non-admin posting the same form gets the 404 and changes nothing. The page itself
/// is a 404 to them, with no figure in it.
#[tokio::test]
async fn the_admin_page_and_its_role_form() {
    let app = spawn_app().await;
    let (admin, _, _) = admin(&app).await;
    let user = client();
    let (user_email, user_id) = sign_up(&app, &user).await;
    let form = |client: &reqwest::Client, role: &str| {
        client
            .post(app.url("/api/fn/set_user_role"))
            .header("accept", "text/html")
            .form(&[("user", user_id.to_string()), ("role", role.to_owned())])
            .send()
    };

    for who in [client(), user.clone()] {
        let (status, html) = app.html(&who, "/admin").await;
        assert_eq!(status, 404);
        assert!(html.contains("Page not found") && !html.contains("Live sessions"));
        let res = form(&who, "admin").await.unwrap();
        assert_eq!(res.status(), 404);
    }
    assert_eq!(role_of(&app, &user).await, "user");

    let html = app.page(&admin, "/admin").await;
    for part in [
        "Live sessions",
        "role=\"img\"",
        "Sessions per day, last 30 days",
        &user_email,
    ] {
        assert!(html.contains(part), "{part}");
    }

    let res = form(&admin, "admin").await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/admin");
    assert_eq!(role_of(&app, &user).await, "admin");
    assert!(
        app.page(&admin, "/admin").await.contains("Role changed."),
        "the notice shows once"
    );
    assert!(!app.page(&admin, "/admin").await.contains("Role changed."));
    // The promoted user's next page opens the admin page for them.
    app.page(&user, "/admin").await;

    // An unknown role comes back as the form's error, not as a change.
    let res = form(&admin, "emperor").await.unwrap();
    assert_eq!(res.status(), 302);
    let html = app.page(&admin, "/admin").await;
    assert!(html.contains("Choose a role: user or admin."), "{html}");
    assert_eq!(role_of(&app, &user).await, "admin");
    app.stop().await;
}
