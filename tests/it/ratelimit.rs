//! Rate limits: counted in Redis (shared by every instance) or in memory, reported in headers,
//! and refused with 429 for the JSON API, server functions and plain forms alike.

use serde_json::{json, Value};

use crate::harness::*;

/// The app's default limits (the harness raises them for other tests), and `vars` on top.
fn with_vars(vars: &[(&str, &str)]) -> TestOptions {
    let defaults = [
        ("RATE_LIMIT_SIGN_IN", "5/15m"),
        ("RATE_LIMIT_SIGN_IN_IP", "50/15m"),
        ("RATE_LIMIT_REGISTER", "10/1h"),
        ("RATE_LIMIT_SESSIONS", "300/10m"),
    ];
    TestOptions {
        vars: defaults
            .iter()
            .chain(vars)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..TestOptions::default()
    }
}

fn defaults() -> TestOptions {
    with_vars(&[])
}

async fn sign_in(app: &TestApp, email: &str, password: &str, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = client()
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": email, "password": password}));
    if let Some(spoofed) = forwarded_for {
        request = request.header("x-forwarded-for", spoofed);
    }
    request.send().await.unwrap()
}

async fn register(app: &TestApp, email: &str) -> reqwest::Response {
    register_with(
        app,
        &client(),
        json!({"name": "Ada", "email": email, "password": PASSWORD}),
    )
    .await
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .to_str()
        .unwrap()
        .to_owned()
}

fn assert_refused(res: &reqwest::Response, limit: u32) {
    assert_eq!(res.status(), 429);
    assert_eq!(header(res, "x-ratelimit-limit"), limit.to_string());
    assert_eq!(header(res, "x-ratelimit-remaining"), "0");
    let reset: u64 = header(res, "x-ratelimit-reset").parse().unwrap();
    let retry: u64 = header(res, "retry-after").parse().unwrap();
    assert!(reset > 0 && reset <= 3600, "{reset}");
    assert!((1..=3600).contains(&retry), "{retry}");
}

#[tokio::test]
async fn sign_in_failures_are_limited_per_email_and_cleared_by_a_success() {
    for options in [
        defaults(),
        TestOptions {
            redis_url: None,
            ..defaults()
        },
    ] {
        let app = spawn_app_with(options).await;
        let email = format!("{}@example.com", unique("rl"));
        assert_eq!(register(&app, &email).await.status(), 201);
        // Four failures, then a success clears them: five more failures are allowed after it.
        for n in 0..4 {
            let res = sign_in(&app, &email, "wrong password", None).await;
            assert_eq!(res.status(), 401);
            assert_eq!(header(&res, "x-ratelimit-remaining"), (4 - n).to_string());
        }
        assert_eq!(sign_in(&app, &email, PASSWORD, None).await.status(), 200);
        for _ in 0..5 {
            assert_eq!(sign_in(&app, &email, "wrong password", None).await.status(), 401);
        }
        // Over the limit: refused even with the right password, and the message says why.
        let res = sign_in(&app, &email, PASSWORD, None).await;
        assert_refused(&res, 5);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited");
        assert_eq!(
            body["error"]["message"],
            "Too many attempts. Wait a few minutes, then try again."
        );
        // Another account from the same address is not locked by this one's failures.
        let other = format!("{}@example.com", unique("rl"));
        assert_eq!(register(&app, &other).await.status(), 201);
        assert_eq!(sign_in(&app, &other, PASSWORD, None).await.status(), 200);
    }
}

/// Guesses sent at once cannot all pass one check before any of them is counted: each is
/// counted before its password hash, so exactly the limit's number get a wrong-password answer,
/// at the sign-in and at every form that confirms the password of an open session.
#[tokio::test]
async fn concurrent_guesses_do_not_outrun_the_limit() {
    for options in [
        defaults(),
        TestOptions {
            redis_url: None,
            ..defaults()
        },
    ] {
        let app = spawn_app_with(options).await;
        let email = format!("{}@example.com", unique("rl"));
        let owner = client();
        let res = register_with(
            &app,
            &owner,
            json!({"name": "Ada", "email": email, "password": PASSWORD}),
        )
        .await;
        assert_eq!(res.status(), 201);
        let guesses = (0..30).map(|_| sign_in(&app, &email, "wrong password", None));
        let statuses: Vec<u16> = futures::future::join_all(guesses)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        assert_eq!(statuses.iter().filter(|&&s| s == 401).count(), 5, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|&&s| s == 429).count(), 25, "{statuses:?}");

        // A session left open: its password is no easier to guess through the password change.
        let other = format!("{}@example.com", unique("rl"));
        let open = client();
        let res = register_with(&app, &open, json!({"name": "Bo", "email": other, "password": PASSWORD})).await;
        assert_eq!(res.status(), 201);
        let guesses = (0..30).map(|_| change_password(&app, &open, "wrong password", "another long one"));
        let statuses: Vec<u16> = futures::future::join_all(guesses)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        assert_eq!(statuses.iter().filter(|&&s| s == 400).count(), 5, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|&&s| s == 429).count(), 25, "{statuses:?}");
    }
}

#[tokio::test]
async fn limits_are_shared_by_instances_and_not_fooled_by_forwarded_for() {
    let shared = defaults();
    let a = spawn_app_with(TestOptions {
        prefix: shared.prefix.clone(),
        ..defaults()
    })
    .await;
    let b = spawn_app_with(TestOptions {
        prefix: shared.prefix.clone(),
        ..defaults()
    })
    .await;
    let email = "nobody@example.com";
    // Failures alternate between the instances, each with a different forged address: the peer
    // is not a trusted proxy, so the header is ignored and all five count for 127.0.0.1.
    for n in 0..5 {
        let app = if n % 2 == 0 { &a } else { &b };
        let forged = format!("203.0.113.{n}");
        assert_eq!(sign_in(app, email, "wrong password", Some(&forged)).await.status(), 401);
    }
    assert_refused(&sign_in(&a, email, "wrong password", Some("198.51.100.1")).await, 5);
    assert_refused(&sign_in(&b, email, "wrong password", None).await, 5);
}

#[tokio::test]
async fn registrations_and_new_sessions_are_limited_per_address() {
    let app = spawn_app_with(with_vars(&[
        ("RATE_LIMIT_REGISTER", "2/1h"),
        ("RATE_LIMIT_SESSIONS", "3/1h"),
    ]))
    .await;
    for _ in 0..2 {
        let res = register(&app, &format!("{}@example.com", unique("r"))).await;
        assert_eq!(res.status(), 201);
    }
    let res = register(&app, &format!("{}@example.com", unique("r"))).await;
    assert_eq!(res.status(), 429);
    assert_eq!(header(&res, "x-ratelimit-limit"), "2");
    // Invalid input is answered without counting.
    let res = register_with(&app, &client(), json!({"name": "", "email": "x", "password": ""})).await;
    assert_eq!(res.status(), 400);

    // New sessions (sign-ins have their own limits and are not counted here): three, then none.
    for _ in 0..3 {
        let res = client().post(app.url("/api/session")).send().await.unwrap();
        assert_eq!(res.status(), 201);
    }
    let res = client().post(app.url("/api/session")).send().await.unwrap();
    assert_refused(&res, 3);
    // A page still renders for a new visitor over the limit, without starting a session.
    let res = client().get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(set_cookies(res.headers()).iter().all(|c| !c.starts_with("session=")));
}

#[tokio::test]
async fn a_refused_form_gets_a_page_without_javascript_and_json_with_it() {
    let app = spawn_app_with(with_vars(&[("RATE_LIMIT_SIGN_IN", "1/15m")])).await;
    let form = [
        ("email", "nobody@example.com"),
        ("password", "wrong password"),
        ("next", ""),
    ];
    let post = |accept: &'static str| {
        client()
            .post(app.url("/api/fn/login"))
            .header("accept", accept)
            .header("referer", format!("{}/login", app.url("")))
            .form(&form)
            .send()
    };
    // The first failure is answered as usual (back to the form).
    let res = post("text/html").await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let res = post("text/html").await.unwrap();
    assert_refused(&res, 1);
    assert!(header(&res, "content-type").starts_with("text/html"));
    let page = res.text().await.unwrap();
    assert!(page.contains("<h1>Too many attempts</h1>"), "{page}");
    assert!(page.contains(r#"<a href="/login">Go back</a>"#), "{page}");
    let res = post("application/json").await.unwrap();
    assert_refused(&res, 1);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
}

/// Forgot-password requests are limited per address and per client, and neither the answers
/// nor the refusals differ between an address with an account and one without.
#[tokio::test]
async fn account_mail_is_limited_without_saying_whether_an_account_exists() {
    let app = spawn_app_with(with_vars(&[
        ("RATE_LIMIT_MAIL_ADDRESS", "2/1h"),
        ("RATE_LIMIT_MAIL_CLIENT", "8/1h"),
    ]))
    .await;
    let known = format!("{}@example.com", unique("rl"));
    assert_eq!(register(&app, &known).await.status(), 201);
    let unknown = format!("{}@example.com", unique("rl"));
    let guest = client();
    let forgot = |email: String| post_json(&app, &guest, "/api/auth/password/forgot", json!({ "email": email }));
    for email in [&known, &unknown] {
        for n in 0..2 {
            let res = forgot(email.clone()).await;
            assert_eq!(res.status(), 202);
            assert_eq!(header(&res, "x-ratelimit-remaining"), (1 - n).to_string());
        }
    }
    let a = forgot(known.clone()).await;
    let b = forgot(unknown.clone()).await;
    assert_refused(&a, 2);
    assert_refused(&b, 2);
    assert_eq!(a.bytes().await.unwrap(), b.bytes().await.unwrap());
    // Eight requests in all from this client (the refused ones count), whatever the address:
    // then every address is refused.
    for _ in 0..2 {
        let res = forgot(format!("{}@example.com", unique("rl"))).await;
        assert_eq!(res.status(), 202);
    }
    let res = forgot(format!("{}@example.com", unique("rl"))).await;
    assert_refused(&res, 8);
}
