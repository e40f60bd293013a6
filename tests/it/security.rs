//! Account security: the security log (what is written for each event, who can read it, paging,
//! the export, retention and deletion with the account).

use porch::server::{repo::security_log, time::now_ms};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::harness::*;

async fn exec(app: &TestApp, sql: &str) -> u64 {
    let db = &app.state.db;
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .rows_affected()
}

/// The kinds in `client`'s log, newest first.
async fn log_kinds(app: &TestApp, client: &reqwest::Client) -> Vec<String> {
    let log = get_json(app, client, "/api/auth/security-log?limit=100").await;
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_event_is_logged_for_its_account_only_with_device_and_address() {
    let app = spawn_app().await;
    let browser = client();
    let (email, id) = sign_up(&app, &browser).await;
    let (_, stranger_id) = sign_up(&app, &client()).await;
    // A wrong password from elsewhere, then a sign-in there.
    let phone = reqwest::Client::builder()
        .cookie_store(true)
        .user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
        .build()
        .unwrap();
    assert_eq!(sign_in(&app, &phone, &email, "not the password").await.status(), 401);
    assert_eq!(sign_in(&app, &phone, &email, PASSWORD).await.status(), 200);
    // The first browser signs the phone out, changes the password, exports.
    let handle = own_session_handle(&app, &phone).await;
    let res = browser
        .delete(app.url(&format!("/api/auth/sessions/{handle}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        change_password(&app, &browser, PASSWORD, "another good passphrase")
            .await
            .status(),
        204
    );
    assert_eq!(
        browser.get(app.url("/api/auth/export")).send().await.unwrap().status(),
        200
    );
    let res = browser.post(app.url("/api/auth/logout-all")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        sign_in(&app, &browser, &email, "another good passphrase")
            .await
            .status(),
        200
    );

    let log = get_json(&app, &browser, "/api/auth/security-log?limit=100").await;
    let items = log["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "sign_in",
            "signed_out_everywhere",
            "data_exported",
            "password_changed",
            "session_revoked",
            "sign_in",
            "sign_in_failed",
        ],
        "{log}"
    );
    assert_eq!(log["nextCursor"], Value::Null);
    let failed = &items[6];
    assert_eq!(failed["device"], "Firefox (Linux)");
    assert_eq!(failed["ip"], "127.0.0.1");
    assert_eq!(items[5]["detail"], "password");
    // The revoked device is named; the revoking one is the row's device.
    assert_eq!(items[4]["detail"], "Firefox (Linux)");
    // Times are RFC 3339, newest first.
    // RFC 3339 UTC times, compared with their fractions of a second written to the millisecond.
    let at = |e: &Value| {
        let text = e["at"].as_str().unwrap().trim_end_matches('Z');
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        format!("{whole}.{fraction:0<3}")
    };
    assert!(items.windows(2).all(|w| at(&w[0]) >= at(&w[1])), "{items:?}");
    // Nothing of it is another account's, and nothing of the other's is here.
    let rows = security_log::page_for_user(&app.state.db, stranger_id, None, 100)
        .await
        .unwrap()
        .0;
    assert!(rows.iter().all(|r| r.user_id == stranger_id));
    assert!(rows.iter().all(|r| r.kind != "sign_in_failed"), "{rows:?}");
    // A guest has no log to read.
    assert_eq!(app.status_of(&client(), "/api/auth/security-log").await, 401);
    // The page shows it, translated.
    let page = app.page(&browser, "/account/security-log").await;
    assert!(page.contains(r#"data-kind="sign_in_failed""#), "{page}");
    assert!(page.contains("Failed sign-in (wrong password)"));
    let _ = browser
        .post(app.url("/api/preferences"))
        .json(&json!({"language": "fr"}))
        .send()
        .await
        .unwrap();
    let page = app.page(&browser, "/account/security-log").await;
    assert!(page.contains("Connexion échouée (mauvais mot de passe)"), "{page}");
    assert!(id > 0);
}

#[tokio::test]
async fn the_log_pages_by_cursor_and_refuses_bad_ones() {
    let app = spawn_app().await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    for _ in 0..4 {
        assert_eq!(sign_in(&app, &client(), &email, PASSWORD).await.status(), 200);
    }
    let first = get_json(&app, &browser, "/api/auth/security-log?limit=3").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    // A new event meanwhile does not shift the next page.
    assert_eq!(sign_in(&app, &client(), &email, PASSWORD).await.status(), 200);
    let second = get_json(
        &app,
        &browser,
        &format!("/api/auth/security-log?limit=3&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
    assert_eq!(second["nextCursor"], Value::Null);
    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    assert!(ids(&first).iter().all(|id| !ids(&second).contains(id)));
    for bad in ["limit=0", "limit=101", "limit=x", "cursor=nope", "cursor=1.x"] {
        let res = browser
            .get(app.url(&format!("/api/auth/security-log?{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"]["code"] == "bad_request", "{bad}: {body}");
    }
    // The page's own pager.
    let page = app.page(&browser, "/account/security-log").await;
    assert_eq!(page.matches("<tr data-kind=").count(), 5, "{page}");
}

#[tokio::test]
async fn the_log_is_exported_kept_ninety_days_and_deleted_with_the_account() {
    let app = spawn_app().await;
    let browser = client();
    let (email, id) = sign_up(&app, &browser).await;
    assert_eq!(
        sign_in(&app, &client(), &email, "wrong password here").await.status(),
        401
    );
    let export: Value = browser
        .get(app.url("/api/auth/export"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = export["securityLog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["data_exported", "sign_in_failed"], "{export}");
    // Rows past 90 days go with the next sweep; younger ones stay.
    let now = now_ms();
    let day = 24 * 3_600_000_i64;
    exec(
        &app,
        &format!(
            "INSERT INTO security_events (user_id, kind, at) VALUES ({id}, 'sign_in', {}), ({id}, 'sign_in', {})",
            now - 91 * day,
            now - 89 * day
        ),
    )
    .await;
    assert!(!app.state.archiver.sweep(now).await.unwrap().skipped);
    assert_eq!(log_kinds(&app, &browser).await.len(), 3);
    let remaining = security_log::page_for_user(&app.state.db, id, None, 100)
        .await
        .unwrap()
        .0;
    assert!(remaining.iter().all(|r| r.at >= now - 90 * day), "{remaining:?}");
    assert_eq!(remaining.len(), 3);
    // Deleting the account deletes its log.
    let res = browser
        .delete(app.url("/api/auth/profile"))
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let left = security_log::page_for_user(&app.state.db, id, None, 100)
        .await
        .unwrap()
        .0;
    assert!(left.is_empty(), "{left:?}");
}

/// A password sign-in of `email` from `address` (the app trusts 127.0.0.1 as a proxy).
async fn sign_in_from(app: &TestApp, email: &str, password: &str, address: &str) -> reqwest::Response {
    client()
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", address)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

/// What a response shows a guesser: status, body, and the rate-limit headers.
async fn seen_by_guesser(res: reqwest::Response) -> (u16, Option<String>, String) {
    let status = res.status().as_u16();
    let remaining = res
        .headers()
        .get("x-ratelimit-remaining")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, remaining, res.text().await.unwrap())
}

const PAUSED_SUBJECT: &str = "Sign-in to your Porch account is paused";

fn guessing_options() -> TestOptions {
    smtp_options()
        .var("TRUSTED_PROXIES", "127.0.0.1")
        .var("SIGN_IN_PAUSE", "60s")
}

#[tokio::test]
async fn guesses_from_25_addresses_pause_password_sign_in_and_the_owner_gets_one_mail() {
    let app = spawn_app_with(guessing_options()).await;
    let (email, id) = sign_up(&app, &client()).await;
    let nobody = format!("{}@example.com", unique("nobody"));
    // 25 addresses, one wrong guess each, all at once.
    let guesses = (1..=25).map(|n| {
        let app = &app;
        let email = &email;
        async move { seen_by_guesser(sign_in_from(app, email, "wrong guess 1234", &format!("10.1.0.{n}")).await).await }
    });
    let answers = futures::future::join_all(guesses).await;
    // Every answer is the generic one, and says what an unknown address's answer says.
    let unknown = seen_by_guesser(sign_in_from(&app, &nobody, "wrong guess 1234", "10.1.1.1").await).await;
    assert_eq!(unknown.0, 401);
    for answer in &answers {
        assert_eq!(answer, &unknown, "a guess's answer differs from an unknown account's");
    }
    // Paused: the right password fails too, exactly as a wrong one does, from a new address.
    let right = seen_by_guesser(sign_in_from(&app, &email, PASSWORD, "10.2.0.1").await).await;
    let wrong = seen_by_guesser(sign_in_from(&app, &nobody, PASSWORD, "10.2.0.2").await).await;
    assert_eq!(right, wrong);
    // Ten more guesses: still one mail for this pause.
    for n in 1..=10 {
        sign_in_from(&app, &email, "wrong guess 1234", &format!("10.3.0.{n}")).await;
    }
    outbox_drained(&app).await;
    let mails: Vec<_> = mails_to(&email)
        .await
        .into_iter()
        .filter(|m| m.subject == PAUSED_SUBJECT)
        .collect();
    assert_eq!(mails.len(), 1, "one mail per pause");
    assert!(mails[0].text.contains("failed attempts"), "{}", mails[0].text);
    // The log has every failure and one lockout.
    let rows = porch::server::repo::security_log::page_for_user(&app.state.db, id, None, 100)
        .await
        .unwrap()
        .0;
    let count = |kind: &str| rows.iter().filter(|r| r.kind == kind).count();
    assert_eq!(count("account_locked"), 1);
    assert!(count("sign_in_failed") >= 36, "{}", count("sign_in_failed"));
    // The link resumes it at once; it works once.
    let token = link_token(&mails[0], "/account/unlock");
    let page = app.page(&client(), &format!("/account/unlock?token={token}")).await;
    assert!(
        page.contains("Press the button to resume it now"),
        "the link page offers its button: {page}"
    );
    let used = post_json(&app, &client(), "/api/auth/unlock", json!({ "token": token })).await;
    assert_eq!(used.status(), 204);
    assert_eq!(sign_in_from(&app, &email, PASSWORD, "10.2.0.1").await.status(), 200);
    let again = post_json(&app, &client(), "/api/auth/unlock", json!({ "token": token })).await;
    assert_eq!(again.status(), 400);
    let rows = porch::server::repo::security_log::page_for_user(&app.state.db, id, None, 100)
        .await
        .unwrap()
        .0;
    assert_eq!(rows.iter().filter(|r| r.kind == "account_unlocked").count(), 1);
}

#[tokio::test]
async fn each_pause_in_a_day_is_twice_as_long_and_admins_and_resets_end_it() {
    use porch::server::{auth::guessing::paused_until, time::now_ms};
    let app = spawn_app_with(guessing_options()).await;
    let (email, id) = sign_up(&app, &client()).await;
    let guess_21 = |round: u32| {
        let app = &app;
        let email = &email;
        async move {
            for n in 1..=21 {
                let res = sign_in_from(app, email, "wrong guess 1234", &format!("10.{round}.0.{n}")).await;
                assert_eq!(res.status(), 401);
            }
        }
    };
    guess_21(4).await;
    let first = paused_until(&app.state, id).await.unwrap().expect("paused") - now_ms();
    assert!((55_000..=60_000).contains(&first), "{first}");
    // An admin sees it on the users list and ends it; anyone else gets the 404.
    let admin = client();
    let (admin_email, _) = sign_up(&app, &admin).await;
    porch::server::auth::roles::make_admin_by_email(&app.state, &admin_email)
        .await
        .unwrap();
    let users = get_json(&app, &admin, "/api/admin/users").await;
    assert!(users["signInPaused"][id.to_string()].is_string(), "{users}");
    let page = app.page(&admin, "/admin").await;
    assert!(page.contains(r#"data-testid="sign-in-paused""#), "{page}");
    let stranger = client();
    sign_up(&app, &stranger).await;
    let path = format!("/api/admin/users/{id}/unlock");
    assert_eq!(stranger.post(app.url(&path)).send().await.unwrap().status(), 404);
    assert!(paused_until(&app.state, id).await.unwrap().is_some());
    assert_eq!(admin.post(app.url(&path)).send().await.unwrap().status(), 204);
    assert!(paused_until(&app.state, id).await.unwrap().is_none());
    assert_eq!(sign_in_from(&app, &email, PASSWORD, "10.9.0.1").await.status(), 200);
    // The second pause of the day is twice as long.
    guess_21(5).await;
    let second = paused_until(&app.state, id).await.unwrap().expect("paused") - now_ms();
    assert!((115_000..=120_000).contains(&second), "{second}");
    // A password reset works while paused, and ends the pause.
    assert_eq!(
        post_json(&app, &client(), "/api/auth/password/forgot", json!({ "email": email }))
            .await
            .status(),
        202
    );
    let token = mailed_token(&email, "Reset your Porch password", 1, "/password/reset").await;
    let body = json!({ "token": token, "newPassword": "a brand new passphrase" });
    assert_eq!(
        post_json(&app, &client(), "/api/auth/password/reset", body)
            .await
            .status(),
        204
    );
    assert!(paused_until(&app.state, id).await.unwrap().is_none());
    assert_eq!(
        sign_in_from(&app, &email, "a brand new passphrase", "10.9.0.2")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_role_change_and_an_address_change_are_logged_on_the_account() {
    let app = spawn_app_with(smtp_options()).await;
    let admin = client();
    let (admin_email, _) = sign_up(&app, &admin).await;
    porch::server::auth::roles::make_admin_by_email(&app.state, &admin_email)
        .await
        .unwrap();
    let user = client();
    let (email, id) = sign_up(&app, &user).await;
    let res = admin
        .put(app.url(&format!("/api/admin/users/{id}/role")))
        .json(&json!({ "role": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The address: asked with the password, done by the link mailed to the new one.
    let new_email = format!("{}@example.com", unique("moved"));
    let res = user
        .put(app.url("/api/auth/profile/email"))
        .json(&json!({ "email": new_email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let token = mailed_token(&new_email, "Confirm your new email address", 1, "/email/verify").await;
    assert_eq!(
        post_json(&app, &client(), "/api/auth/email/verify", json!({ "token": token }))
            .await
            .status(),
        204
    );
    let log = get_json(&app, &user, "/api/auth/security-log").await;
    let items = log["items"].as_array().unwrap();
    let find = |kind: &str| items.iter().find(|e| e["kind"] == kind).cloned();
    assert_eq!(find("role_changed").unwrap()["detail"], "admin", "{log}");
    assert_eq!(find("email_changed").unwrap()["detail"], new_email.as_str(), "{log}");
    assert!(email != new_email);
}
