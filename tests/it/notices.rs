//! New sign-in notices: on the other sessions' next page, live through the stream on another
//! instance, dismissible, and never for a user whose notifications are off.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};

use crate::harness::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

async fn sign_in_with_firefox(app: &TestApp, email: &str) -> reqwest::Client {
    let browser = client();
    let res = browser
        .post(app.url("/api/auth/login"))
        .header("user-agent", FIREFOX)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    browser
}

/// Reads server-sent events from `stream` until one named `notices` arrives (or `wait` passes);
/// returns its data.
async fn next_notices<B: AsRef<[u8]>>(
    stream: &mut (impl futures::Stream<Item = reqwest::Result<B>> + Unpin),
    buffer: &mut String,
    wait: Duration,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if event.lines().any(|l| l == "event: notices") {
                let data = event.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("null");
                return serde_json::from_str(data).ok();
            }
            continue;
        }
        let chunk = tokio::time::timeout_at(deadline, stream.next()).await.ok()??.ok()?;
        buffer.push_str(&String::from_utf8_lossy(chunk.as_ref()));
    }
}

#[tokio::test]
async fn a_sign_in_shows_on_the_other_sessions_next_page_until_dismissed() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let app = spawn_app_with(options).await;
        let first = client();
        let (email, _) = sign_up(&app, &first).await;
        assert!(!app.page(&first, "/").await.contains("New sign-in"));

        let second = sign_in_with_firefox(&app, &email).await;
        let html = app.page(&first, "/settings").await;
        assert!(
            html.contains("New sign-in: Firefox on Linux, "),
            "the first device is told"
        );
        assert!(
            !app.page(&second, "/").await.contains("New sign-in"),
            "not the new one itself"
        );

        let notices = get_json(&app, &first, "/api/notices").await;
        let list = notices.as_array().unwrap();
        assert_eq!(list.len(), 1, "{notices}");
        assert_eq!(list[0]["kind"], "sign_in");
        assert_eq!(list[0]["browser"], "Firefox");
        let id = list[0]["id"].as_str().unwrap().to_owned();

        // Dismissed with the page's form (a plain post goes back where it was).
        let res = first
            .post(app.url("/api/fn/dismiss_notice"))
            .header("accept", "text/html")
            .form(&[("id", id.as_str()), ("back", "/settings")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302);
        assert_eq!(res.headers()["location"], "/settings");
        assert!(!app.page(&first, "/").await.contains("New sign-in"));
        assert_eq!(get_json(&app, &first, "/api/notices").await, json!([]));
        app.stop().await;
    }
}

#[tokio::test]
async fn the_stream_on_one_instance_hears_of_a_sign_in_on_another() {
    let a = spawn_app_with(TestOptions::shared().await).await;
    let b = a.twin(&[]).await;
    let first = client();
    let (email, _) = sign_up(&a, &first).await;
    let res = first.get(a.url("/api/notices/stream")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut stream = res.bytes_stream();
    let mut buffer = String::new();
    let wait = Duration::from_secs(10);
    assert_eq!(
        next_notices(&mut stream, &mut buffer, wait).await,
        Some(json!([])),
        "the state at once"
    );

    sign_in_with_firefox(&b, &email).await;
    let notices = next_notices(&mut stream, &mut buffer, wait)
        .await
        .expect("an event from the other instance");
    assert_eq!(notices[0]["browser"], "Firefox", "{notices}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn notifications_off_means_no_notice() {
    let app = spawn_app().await;
    let first = client();
    let (email, _) = sign_up(&app, &first).await;
    let res = first
        .post(app.url("/api/preferences"))
        .json(&json!({"notifications": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    sign_in_with_firefox(&app, &email).await;
    assert_eq!(get_json(&app, &first, "/api/notices").await, json!([]));
    assert!(!app.page(&first, "/").await.contains("New sign-in"));
    // Nothing was even stored for it to show later.
    let res = first
        .post(app.url("/api/preferences"))
        .json(&json!({"notifications": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!app.page(&first, "/").await.contains("New sign-in"));

    // Guests have no notices and no stream.
    let guest = client();
    assert_eq!(app.status_of(&guest, "/api/notices/stream").await, 401);
    assert_eq!(app.status_of(&guest, "/api/notices").await, 401);
    app.stop().await;
}
