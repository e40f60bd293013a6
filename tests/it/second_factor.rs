//! The second factor (TOTP and recovery codes), the sign-in's second step, and
//! re-authentication before sensitive actions, against the real app, Redis and database.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::harness::*;

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The code an authenticator app with `secret` shows at `at` (Unix seconds).
fn code_at(secret: &str, at: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .unwrap()
        .generate(at)
        .to_string()
}

async fn error_code(res: reqwest::Response) -> String {
    let body: Value = res.json().await.unwrap();
    body["error"]["code"].as_str().unwrap_or_default().to_owned()
}

async fn exec(app: &TestApp, sql: &str) {
    let db = &app.state.db;
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap();
}

/// Turns the second factor on for `browser`'s account: its secret and recovery codes.
async fn enable_totp(app: &TestApp, browser: &reqwest::Client) -> (String, Vec<String>) {
    let setup: Value = post_json(app, browser, "/api/auth/totp", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let code = code_at(&secret, now_secs());
    let res = post_json(app, browser, "/api/auth/totp/confirm", json!({ "code": code })).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let codes = body["recoveryCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

/// The first step of a sign-in of an account with a second factor: its challenge.
async fn challenge_for(app: &TestApp, client: &reqwest::Client, email: &str) -> String {
    let res = sign_in(app, client, email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["secondFactor"], "totp", "{body}");
    assert!(body.get("token").is_none() && body.get("user").is_none(), "{body}");
    body["challenge"].as_str().unwrap().to_owned()
}

async fn second_step(app: &TestApp, client: &reqwest::Client, challenge: &str, code: &str) -> reqwest::Response {
    post_json(
        app,
        client,
        "/api/auth/login/second-factor",
        json!({ "challenge": challenge, "code": code }),
    )
    .await
}

async fn log_of(app: &TestApp, id: i64) -> Vec<(String, Option<String>)> {
    porch::server::repo::security_log::page_for_user(&app.state.db, id, None, 100)
        .await
        .unwrap()
        .0
        .into_iter()
        .map(|r| (r.kind, r.detail))
        .collect()
}

#[tokio::test]
async fn totp_is_set_up_with_one_code_and_then_asked_by_every_sign_in() {
    let app = spawn_app().await;
    let browser = client();
    let (email, id) = sign_up(&app, &browser).await;
    // The setup: what authenticator apps read, the same while it waits for its code.
    let setup: Value = post_json(&app, &browser, "/api/auth/totp", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let url = setup["otpauthUrl"].as_str().unwrap();
    assert!(
        url.starts_with("otpauth://totp/Porch:") && url.contains("issuer=Porch"),
        "{url}"
    );
    // Read as an authenticator app reads it: SHA-1, 6 digits, 30-second steps (the defaults of
    // the Key URI format, left out of the URL), and the secret shown as text.
    let read = totp_rs::Totp::from_url(url).unwrap();
    assert_eq!(read.algorithm(), totp_rs::Algorithm::SHA1);
    assert_eq!((read.digits(), read.step()), (6, 30));
    assert_eq!(read.secret().to_base32(), secret);
    let again: Value = post_json(&app, &browser, "/api/auth/totp", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["secret"], setup["secret"]);
    // The page draws its QR code on the server, and the key as text.
    let page = app.page(&browser, "/account/security").await;
    assert!(page.contains("<svg") && page.contains(&secret), "{page}");
    // A wrong code does not turn it on; the right one does, with ten recovery codes.
    let wrong = post_json(&app, &browser, "/api/auth/totp/confirm", json!({ "code": "000000" })).await;
    assert_eq!(wrong.status(), 400);
    let body: Value = wrong.json().await.unwrap();
    assert!(body["error"]["fields"]["code"].is_string(), "{body}");
    let code = code_at(&secret, now_secs());
    let res = post_json(&app, &browser, "/api/auth/totp/confirm", json!({ "code": code })).await;
    assert_eq!(res.status(), 200);
    let codes: Vec<String> = res.json::<Value>().await.unwrap()["recoveryCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert!(
        codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'),
        "{codes:?}"
    );
    // Stored as digests only.
    let db = &app.state.db;
    let stored = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT code_hash FROM recovery_codes WHERE user_id = {id}"),
        ))
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    for row in stored {
        let hash: String = row.try_get("", "code_hash").unwrap();
        assert!(codes.iter().all(|c| !hash.contains(c.as_str())));
    }

    // Signing in now takes two steps; the first signs nothing in.
    let phone = client();
    let challenge = challenge_for(&app, &phone, &email).await;
    assert_eq!(app.status_of(&phone, "/api/auth/profile").await, 401);
    // The code that confirmed the setup cannot be used again.
    let replay = second_step(&app, &phone, &challenge, &code).await;
    assert_eq!(replay.status(), 400, "a code is used once");
    // The next one signs in, and is refused on a second sign-in.
    let next = code_at(&secret, now_secs() + 30);
    let res = second_step(&app, &phone, &challenge, &next).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["id"], id);
    assert_eq!(body["token"].as_str().unwrap().len(), 44);
    assert_eq!(app.status_of(&phone, "/api/auth/profile").await, 200);
    // The challenge worked once.
    assert_eq!(second_step(&app, &client(), &challenge, &next).await.status(), 401);
    let tablet = client();
    let challenge = challenge_for(&app, &tablet, &email).await;
    assert_eq!(second_step(&app, &tablet, &challenge, &next).await.status(), 400);

    // A recovery code instead: the answer says how many are left; it works once.
    let res = second_step(&app, &tablet, &challenge, &codes[0].to_uppercase()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["recoveryCodesLeft"], 9);
    let other = client();
    let challenge = challenge_for(&app, &other, &email).await;
    assert_eq!(second_step(&app, &other, &challenge, &codes[0]).await.status(), 400);
    let page = app.page(&tablet, "/account/security").await;
    assert!(page.contains(r#"data-testid="recovery-left">9<"#), "{page}");

    // The seed's sign-in route asks for it too.
    let res = post_json(
        &app,
        &client(),
        "/user/signin",
        json!({ "email": email, "password": PASSWORD }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["secondFactor"], "totp");
    assert!(body.get("sessionId").is_none());

    let log = log_of(&app, id).await;
    let has = |kind: &str, detail: Option<&str>| log.iter().any(|(k, d)| k == kind && d.as_deref() == detail);
    assert!(has("second_factor_enabled", None));
    assert!(has("sign_in", Some("password+totp")));
    assert!(has("sign_in", Some("password+recovery_code")));
    assert!(has("recovery_code_used", Some("9")));
    assert!(has("second_factor_failed", None));
}

#[tokio::test]
async fn the_half_done_sign_in_is_a_guest_everywhere_and_expires() {
    let app = spawn_app().await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    let (secret, _) = enable_totp(&app, &browser).await;
    // A browser through the sign-in form: it keeps the challenge in its session.
    let other = client();
    let res = app
        .server_fn(&other, "login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "false", "a second step is needed");
    for path in [
        "/api/auth/profile",
        "/api/auth/sessions",
        "/api/auth/export",
        "/api/auth/security-log",
        "/api/auth/history",
        "/api/auth/passkeys",
        "/user",
    ] {
        assert_eq!(app.status_of(&other, path).await, 401, "{path}");
    }
    let me = app.server_fn(&other, "current_user", &[]).await;
    assert_eq!(me.text().await.unwrap(), "null");
    let page = app.page(&other, "/login/second-factor").await;
    assert!(page.contains(r#"name="code""#), "{page}");
    // The account page is a guest's: sent to sign in.
    let account = other.get(app.url("/account")).send().await.unwrap();
    let location = account
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    assert!(
        location.as_deref().is_some_and(|l| l.starts_with("/login")),
        "{location:?}"
    );
    // Expired: the code page says so, and a code does nothing.
    exec(
        &app,
        "UPDATE account_tokens SET expires_at = 0 WHERE purpose = 'second_step'",
    )
    .await;
    let page = app.page(&other, "/login/second-factor").await;
    assert!(page.contains(r#"data-testid="second-step-expired""#), "{page}");
    let code = code_at(&secret, now_secs() + 30);
    let res = app.server_fn(&other, "second_step", &[("code", &code)]).await;
    assert_eq!(res.status(), 401);
    assert_eq!(app.status_of(&other, "/api/auth/profile").await, 401);
    // A fresh one completes through the server function, and the session is signed in.
    app.server_fn(&other, "login", &[("email", &email), ("password", PASSWORD)])
        .await;
    let res = app.server_fn(&other, "second_step", &[("code", &code)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.status_of(&other, "/api/auth/profile").await, 200);
}

#[tokio::test]
async fn a_new_setup_never_replaces_the_working_secret_and_turning_off_needs_both() {
    let app = spawn_app_with(TestOptions::default().var("RATE_LIMIT_SECOND_FACTOR", "10/1h")).await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    let (secret, _) = enable_totp(&app, &browser).await;
    // Setting up again: a new secret waits; sign-ins still want the working one.
    let fresh: Value = post_json(&app, &browser, "/api/auth/totp", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(fresh["secret"], secret.as_str());
    let other = client();
    let challenge = challenge_for(&app, &other, &email).await;
    let from_new = code_at(fresh["secret"].as_str().unwrap(), now_secs());
    assert_eq!(second_step(&app, &other, &challenge, &from_new).await.status(), 400);
    // Once a code from it is confirmed, the new app is the one.
    let confirmed = post_json(&app, &browser, "/api/auth/totp/confirm", json!({ "code": from_new })).await;
    assert_eq!(confirmed.status(), 200);
    let codes: Vec<String> = confirmed.json::<Value>().await.unwrap()["recoveryCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let challenge = challenge_for(&app, &other, &email).await;
    let old_app = code_at(&secret, now_secs() + 30);
    assert_eq!(second_step(&app, &other, &challenge, &old_app).await.status(), 400);
    let new_app = code_at(fresh["secret"].as_str().unwrap(), now_secs() + 30);
    assert_eq!(second_step(&app, &other, &challenge, &new_app).await.status(), 200);
    // Turning off: the password and a code, both right.
    let off = |password: &str, code: &str| {
        let body = json!({ "password": password, "code": code });
        browser.delete(app.url("/api/auth/totp")).json(&body).send()
    };
    assert_eq!(off("not the password", &codes[1]).await.unwrap().status(), 400);
    assert_eq!(off(PASSWORD, "123456").await.unwrap().status(), 400);
    assert_eq!(off(PASSWORD, &codes[1]).await.unwrap().status(), 204);
    assert_eq!(sign_in(&app, &client(), &email, PASSWORD).await.status(), 200);
    // Codes are limited per account.
    let (_, _) = enable_totp(&app, &browser).await;
    let guesser = client();
    let challenge = challenge_for(&app, &guesser, &email).await;
    let mut statuses = Vec::new();
    for n in 0..8 {
        statuses.push(
            second_step(&app, &guesser, &challenge, &format!("{:06}", 100_000 + n))
                .await
                .status(),
        );
    }
    assert!(
        statuses.contains(&reqwest::StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn sensitive_actions_need_a_recent_authentication_on_every_route() {
    let app = spawn_app_with(TestOptions::default().var("REAUTH_WINDOW", "1s")).await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    let other = client();
    assert_eq!(sign_in(&app, &other, &email, PASSWORD).await.status(), 200);
    let handle = own_session_handle(&app, &other).await;
    // Just signed in: allowed.
    assert_eq!(
        browser.get(app.url("/api/auth/export")).send().await.unwrap().status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // Past the window: JSON clients get 401 reauth_required on each.
    let export = browser.get(app.url("/api/auth/export")).send().await.unwrap();
    assert_eq!(export.status(), 401);
    assert_eq!(error_code(export).await, "reauth_required");
    let revoke = browser
        .delete(app.url(&format!("/api/auth/sessions/{handle}")))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(revoke).await, "reauth_required");
    let everywhere = browser.post(app.url("/api/auth/logout-all")).send().await.unwrap();
    assert_eq!(error_code(everywhere).await, "reauth_required");
    let totp = post_json(&app, &browser, "/api/auth/totp", json!({})).await;
    assert_eq!(error_code(totp).await, "reauth_required");
    let passkey = post_json(&app, &browser, "/api/auth/passkeys/options", json!({})).await;
    assert_eq!(passkey.status(), 401);
    // A bearer-token client too.
    let token: Value = sign_in(&app, &reqwest::Client::new(), &email, PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let bearer = token["token"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let res = reqwest::Client::new()
        .get(app.url("/api/auth/export"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res).await, "reauth_required");
    // Nothing happened.
    assert_eq!(app.status_of(&other, "/api/auth/profile").await, 200);
    // An action that carries the password is its own confirmation.
    assert_eq!(
        change_password(&app, &browser, PASSWORD, "another good passphrase")
            .await
            .status(),
        204
    );
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // Confirming opens the window again (a wrong password does not).
    let wrong = post_json(&app, &browser, "/api/auth/reauth", json!({ "password": "nope nope" })).await;
    assert_eq!(wrong.status(), 400);
    let right = post_json(
        &app,
        &browser,
        "/api/auth/reauth",
        json!({ "password": "another good passphrase" }),
    )
    .await;
    assert_eq!(right.status(), 204);
    assert_eq!(
        browser.get(app.url("/api/auth/export")).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn a_browser_confirms_on_a_page_and_the_action_then_completes() {
    let app = spawn_app_with(TestOptions::default().var("REAUTH_WINDOW", "1s")).await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    let other = client();
    assert_eq!(sign_in(&app, &other, &email, PASSWORD).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // A plain form post (JavaScript off) to sign the other devices out goes to the confirm page.
    let res = app.plain_post(&browser, "/api/fn/sign_out_others", &[]).await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/account/confirm");
    assert_eq!(app.status_of(&other, "/api/auth/profile").await, 200, "not done yet");
    let page = app.page(&browser, "/account/confirm").await;
    assert!(page.contains(r#"name="password""#), "{page}");
    // A wrong password goes back to the page; the right one completes the action.
    let res = app
        .plain_post(&browser, "/api/fn/confirm_identity", &[("password", "not it at all")])
        .await;
    assert_eq!(res.headers()["location"], "/account/confirm");
    assert_eq!(app.status_of(&other, "/api/auth/profile").await, 200);
    let res = app
        .plain_post(&browser, "/api/fn/confirm_identity", &[("password", PASSWORD)])
        .await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/account/sessions");
    assert_eq!(app.status_of(&other, "/api/auth/profile").await, 401, "signed out");
    let page = app.page(&browser, "/account/sessions").await;
    assert!(page.contains("signed out"), "the page says it was done: {page}");
    // The page's download link: confirm first, then it downloads.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let res = browser
        .get(app.url("/api/auth/export"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account/confirm");
    let res = app
        .plain_post(&browser, "/api/fn/confirm_identity", &[("password", PASSWORD)])
        .await;
    assert_eq!(res.headers()["location"], "/api/auth/export");
}

#[tokio::test]
async fn passkey_ceremonies_work_once_for_this_relying_party() {
    let app = spawn_app().await;
    let browser = client();
    sign_up(&app, &browser).await;
    // Adding one: discoverable, for PUBLIC_URL's host, under a handle that is not the id.
    let started: Value = post_json(&app, &browser, "/api/auth/passkeys/options", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let options = &started["options"]["publicKey"];
    assert_eq!(options["rp"]["id"], "porch.test", "{started}");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
    let again: Value = post_json(&app, &browser, "/api/auth/passkeys/options", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["options"]["publicKey"]["user"]["id"], options["user"]["id"]);
    assert_ne!(again["options"]["publicKey"]["challenge"], options["challenge"]);
    // A sign-in ceremony answered with something that is no credential: refused, and gone.
    let guest = client();
    let started: Value = post_json(&app, &guest, "/api/auth/passkey/login/options", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let ceremony = started["ceremony"].as_str().unwrap().to_owned();
    let bogus = json!({ "ceremony": ceremony, "credential": { "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": { "authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA", "userHandle": "AAAA" },
        "extensions": {} } });
    let res = post_json(&app, &guest, "/api/auth/passkey/login", bogus.clone()).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "bad_request");
    let db = &app.state.db;
    let left = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM ceremonies WHERE kind = 'sign_in'".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left.try_get::<i64>("", "n").unwrap(), 0, "a failed ceremony is used up");
    assert_eq!(
        post_json(&app, &guest, "/api/auth/passkey/login", bogus).await.status(),
        400
    );
    assert_eq!(app.status_of(&guest, "/api/auth/profile").await, 401);
}

#[tokio::test]
async fn without_a_domain_in_public_url_no_passkey_is_offered() {
    let app = spawn_app_with(TestOptions::default().var("PUBLIC_URL", "http://127.0.0.1:3000")).await;
    let res = post_json(&app, &client(), "/api/auth/passkey/login/options", json!({})).await;
    assert_eq!(res.status(), 404);
}
