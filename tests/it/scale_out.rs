//! Two instances of the app on one Redis and one database, as behind a load balancer.

use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn sessions_sign_outs_and_preferences_hold_across_instances() {
    let a = spawn_app_with(TestOptions::shared().await).await;
    let b = a.twin(&[]).await;
    assert_ne!(a.address, b.address);
    // One browser (cookies are per host, not per port, so it carries its cookie to both).
    let browser = client();
    let (email, _) = sign_up(&a, &browser).await;
    let profile = get_json(&b, &browser, "/api/auth/profile").await;
    assert_eq!(
        profile["user"]["email"],
        email.as_str(),
        "signed in on A, signed in on B"
    );

    // A preference saved through A is what B renders (the cache is shared, and invalidated).
    let res = browser
        .post(a.url("/api/preferences"))
        .json(&json!({"theme": "dark"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = browser.get(b.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"data-theme="dark""#));

    // A second device on B; signing out everywhere through B ends both, seen from A at once.
    let other = client();
    let res = sign_in(&b, &other, &email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        other.get(a.url("/api/auth/profile")).send().await.unwrap().status(),
        200
    );
    let res = browser.post(b.url("/api/auth/logout-all")).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        browser.get(a.url("/api/auth/profile")).send().await.unwrap().status(),
        401
    );
    assert_eq!(
        other.get(a.url("/api/auth/profile")).send().await.unwrap().status(),
        401
    );
    assert_eq!(
        other.get(b.url("/api/auth/profile")).send().await.unwrap().status(),
        401
    );
}
