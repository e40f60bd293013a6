//! Mail through a real SMTP server (maildev): the forgotten password, verifying and changing
//! the address, security notices, and the outbox's promises (nothing lost while the server is
//! down, each mail once from several instances, any name safe in a header).

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::harness::*;

async fn forgot(app: &TestApp, email: &str) -> reqwest::Response {
    post_json(app, &client(), "/api/auth/password/forgot", json!({ "email": email })).await
}

async fn reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    let body = json!({ "token": token, "newPassword": password });
    post_json(app, &client(), "/api/auth/password/reset", body).await
}

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    post_json(app, &client(), "/api/auth/email/verify", json!({ "token": token })).await
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

/// Signs up on `browser` and follows the verification link: an account whose address is
/// proven, the only kind security notices are mailed to.
async fn verified_sign_up(app: &TestApp, browser: &reqwest::Client) -> (String, i64) {
    let (email, id) = sign_up(app, browser).await;
    let token = mailed_token(&email, "Confirm your email address", 1, "/email/verify").await;
    assert_eq!(verify(app, &token).await.status(), 204);
    (email, id)
}

/// A reset link for `email` (asked through the form, read from the mail).
async fn reset_token(app: &TestApp, email: &str, n: usize) -> String {
    assert_eq!(forgot(app, email).await.status(), 202);
    let mail = wait_for_mail(email, "Reset your Porch password", n).await;
    link_token(&mail, "/password/reset")
}

#[tokio::test]
async fn the_forgot_answer_is_the_same_for_known_and_unknown_addresses() {
    let app = spawn_app_with(smtp_options()).await;
    let (email, _) = sign_up(&app, &client()).await;
    let unknown = format!("{}@example.com", unique("nobody"));
    let known = forgot(&app, &email).await;
    let nobody = forgot(&app, &unknown).await;
    assert_eq!(known.status(), 202);
    assert_eq!(nobody.status(), 202);
    let header_names = |r: &reqwest::Response| {
        let mut names: Vec<String> = r.headers().keys().map(|k| k.to_string()).collect();
        names.sort();
        names
    };
    assert_eq!(header_names(&known), header_names(&nobody));
    assert_eq!(known.bytes().await.unwrap(), nobody.bytes().await.unwrap());
    // The account's owner gets a link; nobody writes to the unknown address.
    let mail = wait_for_mail(&email, "Reset your Porch password", 1).await;
    assert!(mail.html.contains("/password/reset?token="), "{}", mail.html);
    assert!(!mail.text.contains(PASSWORD) && !mail.html.contains("<img"));
    outbox_drained(&app).await;
    assert!(mails_to(&unknown).await.is_empty());
    // Typed another way, the same account: the mail still goes to the stored address.
    let typed = format!("  {}  ", email.to_uppercase());
    assert_eq!(forgot(&app, &typed).await.status(), 202);
    wait_for_mail(&email, "Reset your Porch password", 2).await;
    assert!(mails_to(typed.trim()).await.iter().all(|m| m.to[0].address == email));
    // Not an address at all: a 400 that says so (and says nothing about accounts).
    let res = forgot(&app, "not an address").await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn a_reset_sets_the_password_once_and_ends_every_session() {
    let app = spawn_app_with(smtp_options()).await;
    let laptop = client();
    let (email, _) = sign_up(&app, &laptop).await;
    let phone = client();
    assert_eq!(sign_in(&app, &phone, &email, PASSWORD).await.status(), 200);
    let bearer: Value = sign_in(&app, &client(), &email, PASSWORD).await.json().await.unwrap();
    let token = bearer["token"].as_str().unwrap().to_owned();

    let link = reset_token(&app, &email, 1).await;
    // Opening the link's page (as a mail scanner would, twice) uses nothing up.
    for _ in 0..2 {
        let res = client()
            .get(app.url(&format!("/password/reset?token={link}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["referrer-policy"],
            "strict-origin",
            "the origin only, never the token"
        );
        let page = res.text().await.unwrap();
        assert!(page.contains("name=\"new_password\""), "the form is offered");
        let head = client()
            .head(app.url(&format!("/password/reset?token={link}")))
            .send()
            .await
            .unwrap();
        assert!(head.status().is_success() || head.status() == 405);
    }
    // A refused password leaves the link usable.
    let res = reset(&app, &link, "short").await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "validation");

    let new_password = "a brand new passphrase";
    assert_eq!(reset(&app, &link, new_password).await.status(), 204);
    // Used once: the second time is a clear refusal, and the page says the link is dead.
    let again = reset(&app, &link, "yet another passphrase").await;
    assert_eq!(again.status(), 400);
    assert_eq!(error_code(again).await, "link_invalid");
    let page = app.page(&client(), &format!("/password/reset?token={link}")).await;
    assert!(page.contains("/password/forgot") && !page.contains("name=\"new_password\""));

    // Every session and bearer token ended; the old password is refused, the new one works.
    for device in [&laptop, &phone] {
        let res = device.get(app.url("/api/auth/profile")).send().await.unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = client()
        .get(app.url("/api/auth/profile"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(sign_in(&app, &client(), &email, PASSWORD).await.status(), 401);
    let fresh = client();
    assert_eq!(sign_in(&app, &fresh, &email, new_password).await.status(), 200);
    // The link reached the account's address: the address counts as verified now.
    let profile = get_json(&app, &fresh, "/api/auth/profile").await;
    assert_eq!(profile["user"]["emailVerified"], true);
    let history = get_json(&app, &fresh, "/api/auth/history").await;
    let reasons: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["endReason"].as_str())
        .collect();
    assert!(reasons.contains(&"password_reset"), "{history}");
    // The owner is told.
    let told = wait_for_mail(&email, "Your Porch password was changed", 1).await;
    assert!(told.text.contains("/password/forgot"));
}

#[tokio::test]
async fn concurrent_resets_with_one_token_succeed_once() {
    let app = spawn_app_with(smtp_options()).await;
    let (email, _) = sign_up(&app, &client()).await;
    let link = reset_token(&app, &email, 1).await;
    let attempts = (0..8).map(|n| {
        let app = &app;
        let link = link.clone();
        async move {
            reset(app, &link, &format!("concurrent passphrase {n}"))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(statuses.iter().filter(|&&s| s == 204).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 400).count(), 7, "{statuses:?}");
}

#[tokio::test]
async fn links_work_once_for_their_purpose_before_they_expire_and_asking_again_replaces_them() {
    let app = spawn_app_with(smtp_options()).await;
    let browser = client();
    let (email, user_id) = sign_up(&app, &browser).await;
    let verification = mailed_token(&email, "Confirm your email address", 1, "/email/verify").await;
    let first = reset_token(&app, &email, 1).await;
    // Another purpose: refused both ways, and neither link is spent by the attempt.
    assert_eq!(
        error_code(reset(&app, &verification, "a good new passphrase").await).await,
        "link_invalid"
    );
    assert_eq!(error_code(verify(&app, &first).await).await, "link_invalid");
    // Asking again kills the older link.
    let second = reset_token(&app, &email, 2).await;
    assert_ne!(first, second);
    assert_eq!(
        error_code(reset(&app, &first, "a good new passphrase").await).await,
        "link_invalid"
    );
    // Expired: refused.
    exec(
        &app,
        &format!("UPDATE account_tokens SET expires_at = 1 WHERE user_id = {user_id} AND purpose = 'password_reset'"),
    )
    .await;
    assert_eq!(
        error_code(reset(&app, &second, "a good new passphrase").await).await,
        "link_invalid"
    );
    // A password changed any other way kills a reset link.
    let third = reset_token(&app, &email, 3).await;
    assert_eq!(
        change_password(&app, &browser, PASSWORD, "changed the usual way")
            .await
            .status(),
        204
    );
    assert_eq!(
        error_code(reset(&app, &third, "a good new passphrase").await).await,
        "link_invalid"
    );
    // Nonsense and look-alike tokens are refused without a lookup.
    for bad in ["", "x", &"A".repeat(44), &format!("{verification}x")] {
        assert_eq!(
            error_code(reset(&app, bad, "a good new passphrase").await).await,
            "link_invalid"
        );
    }
    // The verification link still works, once.
    assert_eq!(verify(&app, &verification).await.status(), 204);
    assert_eq!(error_code(verify(&app, &verification).await).await, "link_invalid");
    let profile = get_json(&app, &browser, "/api/auth/profile").await;
    assert_eq!(profile["user"]["emailVerified"], true);
}

#[tokio::test]
async fn an_address_is_verified_by_its_link_and_resending_replaces_it() {
    let app = spawn_app_with(smtp_options()).await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    let profile = get_json(&app, &browser, "/api/auth/profile").await;
    assert_eq!(profile["user"]["emailVerified"], false);
    let first = mailed_token(&email, "Confirm your email address", 1, "/email/verify").await;
    let res = browser
        .post(app.url("/api/auth/email/verification"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let second = mailed_token(&email, "Confirm your email address", 2, "/email/verify").await;
    assert_eq!(error_code(verify(&app, &first).await).await, "link_invalid");
    // The page shows a button; opening it changes nothing.
    let page = app.page(&client(), &format!("/email/verify?token={second}")).await;
    assert!(page.contains("name=\"token\""), "a button to press");
    assert_eq!(
        get_json(&app, &browser, "/api/auth/profile").await["user"]["emailVerified"],
        false
    );
    assert_eq!(verify(&app, &second).await.status(), 204);
    assert_eq!(
        get_json(&app, &browser, "/api/auth/profile").await["user"]["emailVerified"],
        true
    );
    // Verified: "send again" answers alike and sends nothing.
    let res = browser
        .post(app.url("/api/auth/email/verification"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    outbox_drained(&app).await;
    assert_eq!(
        mails_to(&email)
            .await
            .iter()
            .filter(|m| m.subject.contains("Confirm your email"))
            .count(),
        2
    );
    // A guest cannot ask.
    let res = client()
        .post(app.url("/api/auth/email/verification"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

async fn change_email(app: &TestApp, browser: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
    browser
        .put(app.url("/api/auth/profile/email"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_address_changes_only_when_the_new_one_confirms() {
    let app = spawn_app_with(smtp_options()).await;
    let browser = client();
    let other_device = client();
    let (old, _) = verified_sign_up(&app, &browser).await;
    assert_eq!(sign_in(&app, &other_device, &old, PASSWORD).await.status(), 200);
    let new = format!("{}@example.org", unique("new"));
    let res = change_email(&app, &browser, &new, "wrong password").await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["fields"]["password"].is_string(), "{body}");
    let res = change_email(&app, &browser, &old.to_uppercase(), PASSWORD).await;
    assert_eq!(res.status(), 400, "the same address");
    assert_eq!(change_email(&app, &browser, &new, PASSWORD).await.status(), 202);
    let confirm = wait_for_mail(&new, "Confirm your new email address", 1).await;
    let notice = wait_for_mail(&old, "Your Porch address is about to change", 1).await;
    assert!(notice.text.contains(&new));
    // Nothing changed yet.
    assert_eq!(
        get_json(&app, &browser, "/api/auth/profile").await["user"]["email"],
        old.as_str()
    );
    let token = link_token(&confirm, "/email/verify");
    assert_eq!(verify(&app, &token).await.status(), 204);
    // Every session sees the new, verified address on its next request.
    for device in [&browser, &other_device] {
        let user = &get_json(&app, device, "/api/auth/profile").await["user"];
        assert_eq!(user["email"], new.as_str());
        assert_eq!(user["emailVerified"], true);
    }
    let told = wait_for_mail(&old, "Your Porch address was changed", 1).await;
    assert!(told.text.contains(&new));
    assert_eq!(sign_in(&app, &client(), &new, PASSWORD).await.status(), 200);
    assert_eq!(sign_in(&app, &client(), &old, PASSWORD).await.status(), 401);
    // Mail now goes to the new address.
    assert_eq!(forgot(&app, &new).await.status(), 202);
    wait_for_mail(&new, "Reset your Porch password", 1).await;
}

#[tokio::test]
async fn address_links_are_bound_to_the_address_they_were_sent_for() {
    let app = spawn_app_with(smtp_options()).await;
    let browser = client();
    let (old, _) = sign_up(&app, &browser).await;
    let verification = mailed_token(&old, "Confirm your email address", 1, "/email/verify").await;
    let reset_link = reset_token(&app, &old, 1).await;
    // A first change asked, then a second: the first link dies.
    let first = format!("{}@example.org", unique("first"));
    let second = format!("{}@example.org", unique("second"));
    assert_eq!(change_email(&app, &browser, &first, PASSWORD).await.status(), 202);
    let first_link = mailed_token(&first, "Confirm your new email", 1, "/email/verify").await;
    assert_eq!(change_email(&app, &browser, &second, PASSWORD).await.status(), 202);
    let second_link = mailed_token(&second, "Confirm your new email", 1, "/email/verify").await;
    assert_eq!(error_code(verify(&app, &first_link).await).await, "link_invalid");
    // Someone registers the pending address meanwhile: confirming it is refused, nothing changes.
    let squatter = client();
    let res = register_with(
        &app,
        &squatter,
        json!({"name": "Bo", "email": second, "password": PASSWORD}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let res = verify(&app, &second_link).await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        get_json(&app, &browser, "/api/auth/profile").await["user"]["email"],
        old.as_str()
    );
    // A third change goes through; links made for the old address die with it.
    let third = format!("{}@example.org", unique("third"));
    assert_eq!(change_email(&app, &browser, &third, PASSWORD).await.status(), 202);
    let third_link = mailed_token(&third, "Confirm your new email", 1, "/email/verify").await;
    assert_eq!(verify(&app, &third_link).await.status(), 204);
    assert_eq!(error_code(verify(&app, &verification).await).await, "link_invalid");
    assert_eq!(
        error_code(reset(&app, &reset_link, "a good new passphrase").await).await,
        "link_invalid"
    );
}

#[tokio::test]
async fn a_reset_cancels_a_pending_address_change() {
    let app = spawn_app_with(smtp_options()).await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    let new = format!("{}@example.org", unique("pending"));
    assert_eq!(change_email(&app, &browser, &new, PASSWORD).await.status(), 202);
    let pending = mailed_token(&new, "Confirm your new email", 1, "/email/verify").await;
    let link = reset_token(&app, &email, 1).await;
    assert_eq!(reset(&app, &link, "a good new passphrase").await.status(), 204);
    assert_eq!(error_code(verify(&app, &pending).await).await, "link_invalid");
}

#[tokio::test]
async fn mail_is_in_the_accounts_language() {
    let app = spawn_app_with(smtp_options()).await;
    for (language, subject, dir) in [
        ("fr", "Votre mot de passe Porch a été changé", "ltr"),
        ("ar", "تم تغيير كلمة مرور Porch", "rtl"),
    ] {
        let browser = client();
        let (email, _) = verified_sign_up(&app, &browser).await;
        let res = browser
            .post(app.url("/api/preferences"))
            .json(&json!({ "language": language }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        // Caused by an English request: the account's language wins.
        let res = browser
            .put(app.url("/api/auth/profile/password"))
            .header("accept-language", "en")
            .json(&json!({"currentPassword": PASSWORD, "newPassword": "une phrase de passe"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        let mail = wait_for_mail(&email, subject, 1).await;
        assert!(
            mail.html.contains(&format!("lang=\"{language}\" dir=\"{dir}\"")),
            "{}",
            mail.html
        );
        assert!(!mail.text.is_empty());
    }
}

#[tokio::test]
async fn a_sign_in_from_a_new_device_is_mailed_once() {
    let app = spawn_app_with(smtp_options()).await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
    let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let as_agent = |agent: &str| {
        reqwest::Client::builder()
            .user_agent(agent)
            .cookie_store(true)
            .build()
            .unwrap()
    };
    let email = format!("{}@example.com", unique("dev"));
    let res = register_with(
        &app,
        &as_agent(firefox),
        json!({"name": "Ada", "email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let token = mailed_token(&email, "Confirm your email address", 1, "/email/verify").await;
    assert_eq!(verify(&app, &token).await.status(), 204);
    assert_eq!(sign_in(&app, &as_agent(firefox), &email, PASSWORD).await.status(), 200);
    assert_eq!(sign_in(&app, &as_agent(chrome), &email, PASSWORD).await.status(), 200);
    assert_eq!(sign_in(&app, &as_agent(chrome), &email, PASSWORD).await.status(), 200);
    let mail = wait_for_mail(&email, "New sign-in", 1).await;
    assert!(
        mail.text.contains("Chrome") && mail.text.contains("Windows"),
        "{}",
        mail.text
    );
    outbox_drained(&app).await;
    let notices = mails_to(&email)
        .await
        .into_iter()
        .filter(|m| m.subject.contains("New sign-in"))
        .count();
    assert_eq!(
        notices, 1,
        "the known browser, and the second Chrome sign-in, are not news"
    );
}

#[tokio::test]
async fn a_name_with_line_breaks_never_reaches_a_header_or_stops_the_sender() {
    let app = spawn_app_with(smtp_options()).await;
    let (email, user_id) = verified_sign_up(&app, &client()).await;
    // Names are refused with control characters today; one written by an older version, an
    // import or a hand edit must still be harmless.
    exec(
        &app,
        &format!("UPDATE users SET name = 'Ada\r\nBcc: victim@example.com' WHERE id = {user_id}"),
    )
    .await;
    assert_eq!(forgot(&app, &email).await.status(), 202);
    let mail = wait_for_mail(&email, "Reset your Porch password", 1).await;
    let headers = mail.headers.to_string();
    assert!(!headers.to_lowercase().contains("\"bcc\""), "{headers}");
    assert!(mails_to("victim@example.com").await.is_empty());
    assert_eq!(mail.to.len(), 1);
    assert!(mail.to[0].name.starts_with("Ada") && !mail.to[0].name.contains('\n'));
    // An address no server can take is given up on and the next mail still goes.
    exec(
        &app,
        &format!("UPDATE users SET email = 'bad\naddress@example.com' WHERE id = {user_id}"),
    )
    .await;
    let other = client();
    let (next, _) = sign_up(&app, &other).await;
    exec(
        &app,
        &format!("INSERT INTO mail_outbox (kind, user_id, language, params, created_at, attempts, next_attempt_at) VALUES ('password_changed', {user_id}, 'en', '{{}}', 0, 0, 0)"),
    )
    .await;
    assert_eq!(forgot(&app, &next).await.status(), 202);
    wait_for_mail(&next, "Reset your Porch password", 1).await;
    outbox_drained(&app).await;
}

#[tokio::test]
async fn mail_asked_while_the_smtp_server_is_down_goes_out_when_it_is_back() {
    let smtp_port = free_port();
    let web_port = free_port();
    let app = spawn_app_with(TestOptions::default().var("SMTP_URL", &format!("smtp://127.0.0.1:{smtp_port}"))).await;
    let (email, _) = sign_up(&app, &client()).await;
    let started = Instant::now();
    assert_eq!(forgot(&app, &email).await.status(), 202);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered at once: {:?}",
        started.elapsed()
    );
    // A few failed attempts (200 ms apart, growing), then the server comes up.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let server = MaildevProcess::start(smtp_port, web_port).await;
    let mail = server.wait_for_mail(&email, "Reset your Porch password").await;
    assert!(mail.text.contains("/password/reset?token="));
    server.stop().await;
}

/// A server that refuses the conversation itself (530: sign in first) is the operator's to fix:
/// nothing is given up, every mail waits, and goes out once the server takes it. (A refusal of a
/// recipient, 550–554, is final: see `mail::tests` and the unusable address above.)
#[tokio::test]
async fn a_refused_sign_in_to_the_smtp_server_is_waited_out_not_given_up() {
    let (smtp_port, web_port) = (free_port(), free_port());
    // This server takes mail only from senders that sign in; Porch sends without credentials.
    let strict =
        MaildevProcess::start_with(smtp_port, web_port, &["--incoming-user", "u", "--incoming-pass", "p"]).await;
    let app = spawn_app_with(
        TestOptions::default()
            .var("SMTP_URL", &format!("smtp://127.0.0.1:{smtp_port}"))
            .var("METRICS_PUBLIC", "true"),
    )
    .await;
    let (email, _) = sign_up(&app, &client()).await;
    assert_eq!(forgot(&app, &email).await.status(), 202);
    // Tried and refused more than once (200 ms, then 400 ms…), and still waiting.
    let db = &app.state.db;
    let attempts = || async {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n, COALESCE(MIN(attempts), 0) AS a FROM mail_outbox WHERE failed_at IS NULL AND sent_at IS NULL",
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        let a: i32 = row.try_get("", "a").unwrap();
        (n, a)
    };
    for _ in 0..300 {
        if attempts().await.1 >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(attempts().await, (2, 2), "both mails waiting after two refusals");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(!metrics.contains("porch_mail_failed_total{"), "{metrics}");
    assert!(
        metrics.contains("porch_mail_queued_total{kind=\"password_reset\"} 1"),
        "{metrics}"
    );
    // The operator fixes the server: both mails arrive, each once.
    strict.stop().await;
    let open = MaildevProcess::start(smtp_port, web_port).await;
    open.wait_for_mail(&email, "Reset your Porch password").await;
    open.wait_for_mail(&email, "Confirm your email address").await;
    outbox_drained(&app).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("porch_mail_sent_total{kind=\"password_reset\"} 1"),
        "{metrics}"
    );
    open.stop().await;
}

#[tokio::test]
async fn security_notices_go_only_to_proven_addresses_and_links_greet_no_name() {
    let app = spawn_app_with(smtp_options()).await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    let verification = wait_for_mail(&email, "Confirm your email address", 1).await;
    assert!(verification.text.starts_with("Hello,\n"), "{}", verification.text);
    assert!(!verification.text.contains("Ada") && verification.to[0].name.is_empty());
    // An address never proven (a typo at sign-up reaches a stranger) hears nothing of the
    // account: no password notice, no new address.
    assert_eq!(
        change_password(&app, &browser, PASSWORD, "a changed passphrase")
            .await
            .status(),
        204
    );
    let new = format!("{}@example.org", unique("new"));
    assert_eq!(
        change_email(&app, &browser, &new, "a changed passphrase")
            .await
            .status(),
        202
    );
    wait_for_mail(&new, "Confirm your new email address", 1).await;
    outbox_drained(&app).await;
    let subjects: Vec<String> = mails_to(&email).await.into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects, ["Confirm your email address"], "{subjects:?}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn two_instances_sending_from_one_outbox_deliver_each_mail_once() {
    // A shared database, so both instances see one outbox.
    let options = TestOptions::shared().await.var("SMTP_URL", &smtp_url());
    let a = spawn_app_with(options.var("MAIL_POLL_INTERVAL", "50ms")).await;
    let b = a
        .twin(&[("MAIL_POLL_INTERVAL", "50ms"), ("SMTP_URL", &smtp_url())])
        .await;
    let mut emails = Vec::new();
    for _ in 0..6 {
        let (email, _) = sign_up(&a, &client()).await;
        emails.push(email);
    }
    // Requests alternate between the instances; both senders race for every row.
    for (n, email) in emails.iter().enumerate() {
        let app = if n % 2 == 0 { &a } else { &b };
        assert_eq!(forgot(app, email).await.status(), 202);
    }
    for email in &emails {
        wait_for_mail(email, "Reset your Porch password", 1).await;
    }
    outbox_drained(&a).await;
    for email in &emails {
        let mails = mails_to(email).await;
        assert_eq!(
            mails.iter().filter(|m| m.subject.contains("Reset")).count(),
            1,
            "{email}"
        );
        assert_eq!(
            mails
                .iter()
                .filter(|m| m.subject.contains("Confirm your email"))
                .count(),
            1,
            "{email}"
        );
    }
}

#[tokio::test]
async fn a_required_verification_comes_before_the_first_sign_in() {
    let app = spawn_app_with(smtp_options().var("REQUIRE_VERIFIED_EMAIL", "true")).await;
    let email = format!("{}@example.com", unique("unverified"));
    let browser = client();
    let res = register_with(
        &app,
        &browser,
        json!({"name": "Ada", "email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(res.status(), 202, "registered, not signed in");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["emailVerified"], false);
    assert!(body.get("token").is_none());
    assert_eq!(
        browser.get(app.url("/api/auth/profile")).send().await.unwrap().status(),
        401
    );
    let res = sign_in(&app, &client(), &email, PASSWORD).await;
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "email_unverified");
    // A wrong password learns nothing about verification.
    assert_eq!(sign_in(&app, &client(), &email, "wrong password").await.status(), 401);
    // The refusal sent a fresh link (the one from registration no longer works).
    let link = mailed_token(&email, "Confirm your email address", 2, "/email/verify").await;
    assert_eq!(verify(&app, &link).await.status(), 204);
    assert_eq!(sign_in(&app, &client(), &email, PASSWORD).await.status(), 200);
}

/// Sign-ins with the old password racing a reset: whichever finish, none is left signed in
/// once the reset has answered and they have all answered (a sign-in that verified the old
/// password before the reset committed, and was indexed after it ended the sessions, ends
/// itself).
#[tokio::test]
async fn no_sign_in_racing_a_reset_outlives_it() {
    let app = spawn_app_with(smtp_options()).await;
    let (email, _) = sign_up(&app, &client()).await;
    let link = reset_token(&app, &email, 1).await;
    let browsers: Vec<reqwest::Client> = (0..12).map(|_| client()).collect();
    let sign_ins = futures::future::join_all(browsers.iter().map(|b| sign_in(&app, b, &email, PASSWORD)));
    let (answers, reset_answer) = tokio::join!(sign_ins, reset(&app, &link, "a brand new passphrase"));
    assert_eq!(reset_answer.status(), 204);
    for (browser, answer) in browsers.iter().zip(answers) {
        assert!(matches!(answer.status().as_u16(), 200 | 401), "{}", answer.status());
        let res = browser.get(app.url("/api/auth/profile")).send().await.unwrap();
        assert_eq!(res.status(), 401, "a session of the old password survived the reset");
    }
}

/// The guesses that made someone ask for a reset do not lock out the new password.
#[tokio::test]
async fn a_reset_clears_the_failed_sign_ins_that_led_to_it() {
    let app = spawn_app_with(smtp_options().var("RATE_LIMIT_SIGN_IN", "3/15m")).await;
    let (email, _) = sign_up(&app, &client()).await;
    for _ in 0..3 {
        assert_eq!(sign_in(&app, &client(), &email, "not my password").await.status(), 401);
    }
    assert_eq!(sign_in(&app, &client(), &email, PASSWORD).await.status(), 429);
    let link = reset_token(&app, &email, 1).await;
    assert_eq!(reset(&app, &link, "a brand new passphrase").await.status(), 204);
    assert_eq!(
        sign_in(&app, &client(), &email, "a brand new passphrase")
            .await
            .status(),
        200
    );
}

/// Someone who knows the password changes the address to theirs: the owner's old address gets
/// a link that gives it back, ends every session, clears the password and mails a reset link
/// there. A second change by the thief does not kill it, and the thief's own revert link dies.
#[tokio::test]
async fn a_stolen_address_change_is_undone_from_the_old_address() {
    let app = spawn_app_with(smtp_options()).await;
    let owner = client();
    let (email, _) = verified_sign_up(&app, &owner).await;
    let thief = client();
    assert_eq!(sign_in(&app, &thief, &email, PASSWORD).await.status(), 200);
    // The thief also turns on an authenticator of their own, to lock the owner out later.
    let setup: Value = post_json(&app, &thief, "/api/auth/totp", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let secret = totp_rs::Secret::try_from_base32(setup["secret"].as_str().unwrap()).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret).build().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = totp.generate(now).to_string();
    let res = post_json(&app, &thief, "/api/auth/totp/confirm", json!({ "code": code })).await;
    assert_eq!(res.status(), 200);
    let mut stolen = Vec::new();
    for n in 1..=2 {
        let theirs = format!("{}@example.net", unique("thief"));
        assert_eq!(change_email(&app, &thief, &theirs, PASSWORD).await.status(), 202);
        let token = mailed_token(&theirs, "Confirm your new email address", 1, "/email/verify").await;
        assert_eq!(verify(&app, &token).await.status(), 204, "change {n}");
        stolen.push(theirs);
    }
    let undo = mailed_token(&email, "Your Porch address was changed", 1, "/email/verify").await;
    let thiefs_undo = mailed_token(&stolen[0], "Your Porch address was changed", 1, "/email/verify").await;
    // The page says what the button does, and opening it does nothing.
    let page = app.page(&client(), &format!("/email/verify?token={undo}")).await;
    assert!(page.contains("give your account back this address"), "the revert page");
    assert_eq!(verify(&app, &undo).await.status(), 204);
    // The thief is out, the old password is worthless, the address is the owner's again.
    assert_eq!(
        thief.get(app.url("/api/auth/profile")).send().await.unwrap().status(),
        401
    );
    assert_eq!(
        owner.get(app.url("/api/auth/profile")).send().await.unwrap().status(),
        401
    );
    assert_eq!(sign_in(&app, &client(), &email, PASSWORD).await.status(), 401);
    assert_eq!(error_code(verify(&app, &thiefs_undo).await).await, "link_invalid");
    assert_eq!(error_code(verify(&app, &undo).await).await, "link_invalid");
    // A reset link went to the owner's address: a new password, and the account is theirs.
    let link = mailed_token(&email, "Reset your Porch password", 1, "/password/reset").await;
    assert_eq!(reset(&app, &link, "the owner's new passphrase").await.status(), 204);
    // Signed in with the password alone: the thief's authenticator went with the revert.
    let back = client();
    let res = sign_in(&app, &back, &email, "the owner's new passphrase").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.json::<Value>().await.unwrap()["token"].is_string(),
        "no second step"
    );
    assert_eq!(
        get_json(&app, &back, "/api/auth/profile").await["user"]["email"],
        email.as_str()
    );
}
