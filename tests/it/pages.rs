//! Server-rendered pages as a client without JavaScript sees them.

use crate::harness::*;

#[tokio::test]
async fn home_page_is_server_rendered_with_shell_and_theme() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80.min(html.len())]);
    assert!(
        html.contains(r#"<html lang="en" dir="ltr" data-theme="system""#),
        "{}",
        &html[..200.min(html.len())]
    );
    for part in [
        "<header class=\"site-header\"",
        "<main id=\"main\"",
        "<footer class=\"site-footer\"",
        "Welcome to Porch",
        "/pkg/porch.js",
        "<title>Porch</title>",
    ] {
        assert!(html.contains(part), "{part} missing");
    }
}

#[tokio::test]
async fn unknown_page_gets_the_not_found_page_with_status_404() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(
        html.contains("<header class=\"site-header\""),
        "the 404 page keeps the shell"
    );
}

#[tokio::test]
async fn unknown_api_path_gets_json_404() {
    let app = spawn_app().await;
    let res = app.get("/api/no-such-thing").await;
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"error": {"code": "not_found", "message": "Not found"}})
    );
}
