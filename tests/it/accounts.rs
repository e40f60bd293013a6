//! Accounts and sessions through the JSON API: the rules the pages rely on too.

use serde_json::{json, Value};

use crate::harness::*;

fn email() -> String {
    format!("{}@example.com", unique("user"))
}

const PASSWORD: &str = "correct horse battery";

async fn register(app: &TestApp, client: &reqwest::Client, email: &str) -> reqwest::Response {
    register_with(
        app,
        client,
        json!({"name": "Ada Lovelace", "email": email, "password": PASSWORD}),
    )
    .await
}

async fn login(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
    client
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn profile_status(app: &TestApp, client: &reqwest::Client) -> u16 {
    app.status_of(client, "/api/auth/profile").await.as_u16()
}

/// A request carrying exactly this session cookie, from a client that keeps none.
async fn profile_with_cookie(app: &TestApp, cookie: &str) -> u16 {
    let plain = reqwest::Client::new();
    plain
        .get(app.url("/api/auth/profile"))
        .header("cookie", format!("session={cookie}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn profile_with_token(app: &TestApp, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url("/api/auth/profile"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn sessions_of(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    serde_json::from_value(get_json(app, client, "/api/auth/sessions").await).unwrap()
}

#[tokio::test]
async fn register_signs_in_and_returns_the_user_without_secrets() {
    let app = spawn_app().await;
    let email = email();
    let res = register(&app, &app.client, &format!("  {} ", email.to_uppercase())).await;
    assert_eq!(res.status(), 201);
    assert!(cookie_value(res.headers(), "session").is_some(), "signed in right away");
    let body: Value = res.json().await.unwrap();
    let user = &body["user"];
    assert_eq!(user["email"], email, "trimmed and lower-cased");
    assert_eq!(user["name"], "Ada Lovelace");
    assert!(user["id"].as_i64().unwrap() > 0);
    assert!(user["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(user["role"], "user", "accounts start as users");
    assert_eq!(user["avatarUrl"], Value::Null, "initials until an upload");
    assert_eq!(user["updatedAt"], user["createdAt"], "unchanged since");
    assert_eq!(user["emailVerified"], false, "not until its link is followed");
    assert_eq!(user.as_object().unwrap().len(), 8, "{user}");
    assert!(!body.to_string().contains("argon2"));
    let res = app.client.get(app.url("/api/auth/profile")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["user"], *user);
}

#[tokio::test]
async fn registration_input_is_validated_field_by_field() {
    let app = spawn_app().await;
    let cases = [
        (json!({"name": "", "email": email(), "password": PASSWORD}), "name"),
        (
            json!({"name": "x".repeat(101), "email": email(), "password": PASSWORD}),
            "name",
        ),
        (
            json!({"name": "A", "email": "not-an-email", "password": PASSWORD}),
            "email",
        ),
        (json!({"name": "A", "email": email(), "password": "short"}), "password"),
        (
            json!({"name": "A", "email": email(), "password": "x".repeat(129)}),
            "password",
        ),
        (
            json!({"name": "A", "email": email(), "password": "password123"}),
            "password",
        ),
    ];
    for (body, field) in cases {
        let res = app
            .client
            .post(app.url("/api/auth/register"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        assert!(set_cookies(res.headers())
            .iter()
            .all(|c| !c.contains("session=") || c.contains("Max-Age=0")));
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "validation");
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let res = app
        .client
        .post(app.url("/api/auth/register"))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "bad_request");
}

#[tokio::test]
async fn one_email_registers_once_even_under_concurrency() {
    let app = spawn_app().await;
    let email = email();
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = client()
            .post(app.url("/api/auth/register"))
            .json(&json!({"name": "Racer", "email": email, "password": PASSWORD}));
        attempts.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = attempts.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19, "{statuses:?}");
    let res = register(&app, &client(), &email.to_uppercase()).await;
    assert_eq!(res.status(), 409, "case-insensitive");
}

#[tokio::test]
async fn failed_sign_in_is_byte_identical_for_unknown_email_and_wrong_password() {
    let app = spawn_app().await;
    let email = email();
    register(&app, &client(), &email).await;
    let unknown = login(&app, &client(), &format!("nobody-{email}"), PASSWORD).await;
    let wrong = login(&app, &client(), &email, "wrong password here").await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(wrong.status(), 401);
    let (unknown, wrong) = (unknown.bytes().await.unwrap(), wrong.bytes().await.unwrap());
    assert_eq!(unknown, wrong);
    assert_eq!(
        serde_json::from_slice::<Value>(&unknown).unwrap(),
        json!({"error": {"code": "unauthorized", "message": "Invalid email or password"}})
    );
}

#[tokio::test]
async fn sign_in_issues_a_new_session_id_and_the_old_one_is_dead() {
    let app = spawn_app().await;
    let email = email();
    register(&app, &client(), &email).await;
    let browser = client();
    let guest = browser.get(app.url("/")).send().await.unwrap();
    let guest_id = cookie_value(guest.headers(), "session").unwrap();
    let res = login(&app, &browser, &email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let user_id = cookie_value(res.headers(), "session").expect("new cookie");
    assert_ne!(guest_id, user_id);
    assert_eq!(profile_with_cookie(&app, &user_id).await, 200);
    assert_eq!(
        profile_with_cookie(&app, &guest_id).await,
        401,
        "the pre-sign-in id does not carry the sign-in"
    );

    // Signing in as someone else from a signed-in session rotates again.
    let other = email.replace("user", "other");
    register(&app, &client(), &other).await;
    let res = login(&app, &browser, &other, PASSWORD).await;
    let second_id = cookie_value(res.headers(), "session").expect("new cookie");
    assert_ne!(second_id, user_id);
    assert_eq!(profile_with_cookie(&app, &user_id).await, 401);
}

#[tokio::test]
async fn sign_out_deletes_the_session_and_clears_the_cookie() {
    let app = spawn_app().await;
    let res = register(&app, &app.client, &email()).await;
    let id = cookie_value(res.headers(), "session").unwrap();
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let res = app.client.post(app.url("/api/auth/logout")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let cleared = set_cookies(res.headers());
    assert_eq!(
        cleared,
        vec!["session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0".to_owned()]
    );
    assert_eq!(profile_with_cookie(&app, &id).await, 401);
    assert_eq!(profile_with_token(&app, &token).await.status(), 401);
    let redis = redis().await;
    let exists: i64 = fred::prelude::KeysInterface::exists(&redis, Keys::new(&app.options.prefix).session(&id))
        .await
        .unwrap();
    assert_eq!(exists, 0, "deleted in Redis");
}

#[tokio::test]
async fn bearer_token_authenticates_api_clients_without_cookies() {
    let app = spawn_app().await;
    let email = email();
    register(&app, &client(), &email).await;
    let res = login(&app, &client(), &email, PASSWORD).await;
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let res = profile_with_token(&app, &token).await;
    assert_eq!(res.status(), 200);
    assert!(set_cookies(res.headers()).is_empty(), "no cookie for a token client");
    assert_eq!(profile_with_token(&app, "x".repeat(44).as_str()).await.status(), 401);
    let res = reqwest::Client::new()
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        profile_with_token(&app, &token).await.status(),
        401,
        "revoked exactly like the session"
    );
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_the_user() {
    let app = spawn_app().await;
    let email = email();
    let (a, b) = (client(), client());
    register(&app, &a, &email).await;
    let res = login(&app, &b, &email, PASSWORD).await;
    let token_b = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    assert_eq!(profile_status(&app, &b).await, 200);
    let res = a.post(app.url("/api/auth/logout-all")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(profile_status(&app, &a).await, 401);
    assert_eq!(profile_status(&app, &b).await, 401);
    assert_eq!(profile_with_token(&app, &token_b).await.status(), 401);
}

#[tokio::test]
async fn password_change_ends_other_sessions_and_rotates_this_one() {
    let app = spawn_app().await;
    let email = email();
    let (a, b) = (client(), client());
    let res = register(&app, &a, &email).await;
    let old_a = cookie_value(res.headers(), "session").unwrap();
    login(&app, &b, &email, PASSWORD).await;

    let res = change_password(&app, &a, "not it at all", "a brand new secret").await;
    assert_eq!(res.status(), 400);
    assert!(res.json::<Value>().await.unwrap()["error"]["fields"]["currentPassword"].is_string());
    assert_eq!(
        profile_status(&app, &b).await,
        200,
        "nothing changed on a wrong current password"
    );

    let res = change_password(&app, &a, PASSWORD, "a brand new secret").await;
    assert_eq!(res.status(), 204);
    let new_a = cookie_value(res.headers(), "session").expect("rotated");
    assert_ne!(new_a, old_a);
    assert_eq!(profile_status(&app, &a).await, 200, "this session continues");
    assert_eq!(profile_status(&app, &b).await, 401, "others end");
    assert_eq!(profile_with_cookie(&app, &old_a).await, 401);
    assert_eq!(login(&app, &client(), &email, PASSWORD).await.status(), 401);
    assert_eq!(login(&app, &client(), &email, "a brand new secret").await.status(), 200);
}

#[tokio::test]
async fn devices_list_and_revoke_by_opaque_handle() {
    let app = spawn_app().await;
    let email = email();
    let (a, b) = (client(), client());
    let res = register(&app, &a, &email).await;
    let a_id = cookie_value(res.headers(), "session").unwrap();
    let res = b
        .post(app.url("/api/auth/login"))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        )
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token_b = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    b.get(app.url("/")).send().await.unwrap();

    let list = sessions_of(&app, &a).await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["current"], true, "this device first");
    let other = &list[1];
    assert_eq!(other["current"], false);
    assert_eq!(other["browser"], "Firefox");
    assert_eq!(other["os"], "Linux");
    assert_eq!(other["ip"], "127.0.0.1");
    assert_eq!(other["pageCount"], 1);
    for key in ["id", "createdAt", "lastSeenAt"] {
        assert!(other[key].is_string(), "{key}");
    }
    let handle = other["id"].as_str().unwrap();
    assert_ne!(handle, a_id);
    assert!(
        !list.iter().any(|s| s.to_string().contains(&a_id)),
        "never the session id"
    );

    // Another user cannot see or revoke it.
    let stranger = client();
    register(&app, &stranger, &email.replace("user", "stranger")).await;
    let res = stranger
        .delete(app.url(&format!("/api/auth/sessions/{handle}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(profile_status(&app, &b).await, 200);

    let res = a
        .delete(app.url(&format!("/api/auth/sessions/{handle}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(profile_status(&app, &b).await, 401);
    assert_eq!(profile_with_token(&app, &token_b).await.status(), 401);
    let list = sessions_of(&app, &a).await;
    assert_eq!(list.len(), 1);
    assert_eq!(app.status_of(&a, "/api/auth/sessions").await, 200);
    assert_eq!(app.status_of(&client(), "/api/auth/sessions").await, 401);
}

#[tokio::test]
async fn profile_name_updates_through_the_cache() {
    let app = spawn_app().await;
    register(&app, &app.client, &email()).await;
    // Fill the cache, then change the name: the next read must not be stale.
    assert_eq!(profile_status(&app, &app.client).await, 200);
    let res = app
        .client
        .put(app.url("/api/auth/profile"))
        .json(&json!({"name": "  Grace Hopper "}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["user"]["name"], "Grace Hopper");
    let body: Value = app
        .client
        .get(app.url("/api/auth/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["user"]["name"], "Grace Hopper");
    let res = app
        .client
        .put(app.url("/api/auth/profile"))
        .json(&json!({"name": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        client()
            .put(app.url("/api/auth/profile"))
            .json(&json!({"name": "X"}))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

/// An address registered in one Unicode form signs in typed in another (the report: `zoë`
/// precomposed at sign-up, `zoe` + U+0308 as macOS types it at sign-in), and is the same
/// address for registration, the rate limit and the admin command; so is a password.
#[tokio::test]
async fn text_people_type_compares_the_way_they_see_it() {
    let app = spawn_app_with(TestOptions::default().var("RATE_LIMIT_SIGN_IN", "3/15m")).await;
    let tag = unique("u");
    let composed = format!("zo\u{eb}.{tag}@example.com");
    let decomposed = format!("zoe\u{308}.{tag}@example.com");
    let password = "caf\u{e9} au lait, s'il vous pla\u{ee}t";
    let res = register_with(
        &app,
        &client(),
        json!({"name": "Zoe\u{308}", "email": composed, "password": password}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["user"]["name"], "Zo\u{eb}", "names are stored composed");
    let typed_passwords = [
        password.to_owned(),
        password.replace('\u{e9}', "e\u{301}").replace('\u{ee}', "i\u{302}"),
    ];
    for email in [
        decomposed.clone(),
        decomposed.to_uppercase(),
        format!("zo\u{eb}.{tag}@ｅｘａｍｐｌｅ.com"),
    ] {
        for typed in &typed_passwords {
            let res = login(&app, &client(), &email, typed).await;
            assert_eq!(res.status(), 200, "{email:?} / {typed:?}");
        }
    }
    // The same address typed another way is taken.
    let res = register(&app, &client(), &decomposed).await;
    assert_eq!(res.status(), 409);
    // Failed attempts typed either way count against the one address.
    for email in [&composed, &decomposed, &composed] {
        assert_eq!(login(&app, &client(), email, "wrong").await.status(), 401);
    }
    assert_eq!(login(&app, &client(), &decomposed, "wrong").await.status(), 429);
    // The command line finds the account however the address is typed.
    let made = porch::server::auth::roles::make_admin_by_email(&app.state, &decomposed)
        .await
        .unwrap();
    assert!(
        matches!(made, porch::server::auth::roles::MadeAdmin::Promoted(_)),
        "{made:?}"
    );
}

/// Addresses stored before they were normalized (typed decomposed at sign-up) are rewritten
/// to their normal form at start-up, so their owners can sign in typing them either way.
#[tokio::test]
async fn stored_addresses_are_brought_to_their_normal_form_by_a_migration() {
    use sea_orm::{ConnectionTrait, Database};
    let database_url = shared_database_url().await;
    let first = spawn_app_with(TestOptions {
        database_url: Some(database_url.clone()),
        ..TestOptions::default()
    })
    .await;
    let tag = unique("m");
    let res = register(&first, &client(), &format!("mig.{tag}@example.com")).await;
    assert_eq!(res.status(), 201);
    let stored_nfd = format!("zoe\u{308}.{tag}@example.com");
    let db = Database::connect(&database_url).await.unwrap();
    let backend = db.get_database_backend();
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => "UPDATE users SET email = $1 WHERE email = $2",
            _ => "UPDATE users SET email = ? WHERE email = ?",
        },
        [stored_nfd.clone().into(), format!("mig.{tag}@example.com").into()],
    ))
    .await
    .unwrap();
    db.execute_unprepared("DELETE FROM seaql_migrations WHERE version = 'm20261130_000001_normalize_emails'")
        .await
        .unwrap();
    first.stop().await;
    let second = spawn_app_with(TestOptions {
        database_url: Some(database_url),
        ..TestOptions::default()
    })
    .await;
    for typed in [format!("zo\u{eb}.{tag}@example.com"), stored_nfd] {
        assert_eq!(
            login(&second, &client(), &typed, PASSWORD).await.status(),
            200,
            "{typed:?}"
        );
    }
}

/// A sign-in that verified the old password while the password was being changed must not
/// write the old password back when it upgrades the stored hash: the upgrade replaces only the
/// hash it verified.
#[tokio::test]
async fn a_hash_upgrade_never_undoes_a_password_change() {
    use porch::server::repo::users;
    let app = spawn_app().await;
    let browser = client();
    let (email, id) = sign_up(&app, &browser).await;
    let before = users::by_id(&app.state.db, id).await.unwrap().unwrap().password_hash;
    let res = change_password(&app, &browser, PASSWORD, "a completely new one").await;
    assert_eq!(res.status(), 204);
    // The late upgrade of the sign-in that verified `before`.
    let upgraded = users::upgrade_password_hash(&app.state.db, id, &before, &before, 0)
        .await
        .unwrap();
    assert!(!upgraded);
    assert_eq!(
        login(&app, &client(), &email, "a completely new one").await.status(),
        200
    );
    assert_eq!(login(&app, &client(), &email, PASSWORD).await.status(), 401);
}

/// A browser's sign-in form (a server function, no JavaScript) leaves no bearer token in Redis;
/// a JSON sign-in gets one, and it works for as long as its session.
#[tokio::test]
async fn only_json_sign_ins_get_a_bearer_token() {
    let app = spawn_app().await;
    let (email, user_id) = sign_up(&app, &client()).await;
    let redis = redis().await;
    let tokens_key = format!("{}u:{{{user_id}}}:tokens", app.options.prefix);
    let tokens = || async {
        fred::prelude::SetsInterface::scard::<i64, _>(&redis, &tokens_key)
            .await
            .unwrap()
    };
    let registered = tokens().await;
    assert_eq!(registered, 1, "the JSON registration's token");

    let browser = client();
    let res = browser
        .post(app.url("/api/fn/login"))
        .header("accept", "text/html")
        .header("origin", app.url(""))
        .form(&[("email", email.as_str()), ("password", PASSWORD), ("next", "")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(app.status_of(&browser, "/account").await, 200, "signed in by the form");
    assert_eq!(tokens().await, registered, "no token for the browser's session");

    let res = login(&app, &client(), &email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    assert_eq!(tokens().await, registered + 1);
    assert_eq!(profile_with_token(&app, &token).await.status(), 200);
}
