//! The server's own log output (the real binary, as deployed): one line per request with a
//! request id, and never a password, cookie, token or session id.

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use serde_json::{json, Value};

use crate::harness::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn request_lines_have_ids_and_no_secrets() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_porch"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("REDIS_URL", redis_url())
        .env("REDIS_KEY_PREFIX", format!("{}:", unique("log")))
        .env("DATABASE_URL", "sqlite::memory:")
        .env("RUST_LOG", "info,porch=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary starts");
    let browser = client();
    let mut up = false;
    for _ in 0..100 {
        if let Ok(res) = browser.get(format!("{base}/healthz")).send().await {
            up = res.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server answers /healthz");

    let password = "a very secret passphrase 42";
    let email = format!("{}@example.com", unique("log"));
    let res = browser
        .post(format!("{base}/api/auth/register"))
        .json(&json!({"name": "Logged", "email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let session = cookie_value(res.headers(), "session").expect("a session cookie");
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    assert_eq!(
        browser.get(format!("{base}/account")).send().await.unwrap().status(),
        200
    );
    let res = reqwest::Client::new()
        .get(format!("{base}/api/auth/profile"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let res = client()
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": email, "password": "wrong secret passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        browser
            .post(format!("{base}/api/auth/logout"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );

    // SIGTERM, so the server stops as in production and flushes its output.
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let request_lines = log.lines().filter(|l| l.contains("request_id")).count();
    assert!(request_lines >= 6, "one line per request:\n{log}");
    assert!(log.contains(&request_id), "the id sent back is the one logged");
    for secret in [password, "wrong secret passphrase", session.as_str(), token.as_str()] {
        assert!(!log.contains(secret), "{secret:?} leaked into the log:\n{log}");
    }
}
