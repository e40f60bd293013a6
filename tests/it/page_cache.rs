//! The page cache with holes (issue 21): `/`, `/login`, `/register`, `/settings` and the 404
//! page come from templates, yet every response carries only its own visitor's values, in the
//! same bytes a full render gives, for every header variant, language and theme.

use std::io::Cursor;

use html_escape::encode_text;
use porch::server::auth::roles::make_admin_by_email;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::harness::*;

const CACHED: [&str; 5] = ["/", "/login", "/register", "/settings", "/no-such-page"];

/// A visitor: a guest, or a member (an admin or not, with an avatar image or initials).
struct Visitor {
    client: reqwest::Client,
    /// `None` for a guest.
    user: Option<Value>,
}

fn png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([x as u8 * 4, y as u8 * 4, 90]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

async fn guest(app: &TestApp) -> Visitor {
    let client = client();
    assert_eq!(app.html(&client, "/").await.0, 200);
    Visitor { client, user: None }
}

async fn member(app: &TestApp, name: &str, admin: bool, avatar: bool) -> Visitor {
    let client = client();
    let email = format!("{}@example.com", unique("cache"));
    let res = register_with(
        app,
        &client,
        json!({"name": name, "email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(res.status(), 201);
    if admin {
        make_admin_by_email(&app.state, &email).await.unwrap();
    }
    if avatar {
        let part = Part::bytes(png()).file_name("me.png").mime_str("image/png").unwrap();
        let res = client
            .post(app.url("/api/auth/profile/avatar"))
            .multipart(Form::new().part("avatar", part))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let user = get_json(app, &client, "/api/auth/profile").await["user"].clone();
    assert_eq!(user["avatarUrl"].is_string(), avatar);
    Visitor {
        client,
        user: Some(user),
    }
}

/// Two visitors of each header variant; names with characters HTML escapes.
async fn visitors(app: &TestApp) -> Vec<[Visitor; 2]> {
    let mut all = vec![[guest(app).await, guest(app).await]];
    for (admin, avatar) in [(false, false), (false, true), (true, false), (true, true)] {
        all.push([
            member(app, "Ann <Ames> & Co", admin, avatar).await,
            member(app, "Bob \"Bee\" O'Brien", admin, avatar).await,
        ]);
    }
    all
}

struct Page {
    status: u16,
    html: String,
    nonce: String,
}

async fn fetch(app: &TestApp, visitor: &Visitor, path: &str) -> Page {
    let res = visitor
        .client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a page's policy names its nonce")
        .to_owned();
    assert!(res.headers().contains_key("content-length"), "{path}: a known length");
    Page {
        status: res.status().as_u16(),
        html: res.text().await.unwrap(),
        nonce,
    }
}

/// The `data-user` attribute: the viewer the browser starts from.
fn viewer_attribute(html: &str) -> &str {
    let start = html.find("data-user=\"").expect("the header carries the viewer") + "data-user=\"".len();
    &html[start..start + html[start..].find('"').unwrap()]
}

/// The initials the avatar disc shows (as `User::initials`).
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// `page` with its visitor's own values replaced by placeholders, after checking the viewer it
/// carries is this visitor.
fn normalise(page: &Page, visitor: &Visitor) -> String {
    let attribute = viewer_attribute(&page.html).to_owned();
    let viewer: Value = serde_json::from_str(&html_escape::decode_html_entities(&attribute)).unwrap();
    assert_eq!(viewer, json!({"Ok": visitor.user}), "the page's viewer is its visitor");
    let mut html = page
        .html
        .replace(&page.nonce, "{nonce}")
        .replace(&format!("data-user=\"{attribute}\""), "data-user=\"{viewer}\"");
    if let Some(user) = &visitor.user {
        let name = user["name"].as_str().unwrap();
        html = html.replace(&*encode_text(name), "{name}");
        html = html.replace(&format!(">{}<", encode_text(&initials(name))), ">{initials}<");
        html = html.replace(
            &format!("avatar-c{}", user["id"].as_i64().unwrap().rem_euclid(8)),
            "avatar-c{colour}",
        );
        if let Some(url) = user["avatarUrl"].as_str() {
            html = html.replace(url, "{avatar}");
        }
    }
    html
}

/// What must never be in another visitor's page.
fn own_values(visitor: &Visitor) -> Vec<String> {
    let Some(user) = &visitor.user else {
        return Vec::new();
    };
    let mut values = vec![
        encode_text(user["name"].as_str().unwrap()).into_owned(),
        user["email"].as_str().unwrap().to_owned(),
    ];
    values.extend(user["avatarUrl"].as_str().map(str::to_owned));
    values
}

async fn set_preferences(app: &TestApp, visitor: &Visitor, prefs: &Value) {
    let res = post_json(app, &visitor.client, "/api/preferences", prefs.clone()).await;
    assert_eq!(res.status(), 200, "{prefs}");
}

#[tokio::test]
async fn cached_pages_carry_only_their_own_visitors_values_in_the_bytes_a_full_render_gives() {
    let cached = spawn_app().await;
    let rendered = spawn_app_with(TestOptions::default().var("PAGE_CACHE", "false")).await;
    let in_cache = visitors(&cached).await;
    let in_full = visitors(&rendered).await;
    let combinations = [
        json!({"theme": "system", "language": "en", "notifications": true}),
        json!({"theme": "dark", "language": "ar", "notifications": false}),
    ];
    for prefs in &combinations {
        for visitor in in_cache.iter().flatten() {
            set_preferences(&cached, visitor, prefs).await;
        }
        for visitor in in_full.iter().flatten() {
            set_preferences(&rendered, visitor, prefs).await;
        }
        for path in CACHED {
            let expected_status = if path == "/no-such-page" { 404 } else { 200 };
            for (pair, full_pair) in in_cache.iter().zip(&in_full) {
                let [a, b] = pair;
                // The first of a variant renders its template, the second is served from it.
                let (page_a, page_b) = (fetch(&cached, a, path).await, fetch(&cached, b, path).await);
                let again = fetch(&cached, a, path).await;
                let full = fetch(&rendered, &full_pair[0], path).await;
                for page in [&page_a, &page_b, &again, &full] {
                    assert_eq!(page.status, expected_status, "{path} {prefs}");
                    assert!(!page.html.contains("porchhole"), "{path}: no marker reaches a client");
                }
                assert_ne!(page_a.nonce, again.nonce, "a fresh nonce per response");
                let norm_a = normalise(&page_a, a);
                assert_eq!(
                    norm_a,
                    normalise(&page_b, b),
                    "{path} {prefs}: another visitor of the variant"
                );
                assert_eq!(norm_a, normalise(&again, a), "{path} {prefs}: a hit and a miss");
                assert_eq!(
                    norm_a,
                    normalise(&full, &full_pair[0]),
                    "{path} {prefs}: the full render"
                );
                for value in own_values(b) {
                    assert!(
                        !page_a.html.contains(&value),
                        "{path}: {value:?} reached another visitor"
                    );
                }
                for value in own_values(a) {
                    assert!(
                        !page_b.html.contains(&value),
                        "{path}: {value:?} reached another visitor"
                    );
                }
            }
        }
    }
    // One template per route, preferences and header variant; nothing in the other app.
    assert_eq!(cached.state.page_cache.len(), CACHED.len() * combinations.len() * 5);
    assert!(rendered.state.page_cache.is_empty());
    cached.stop().await;
    rendered.stop().await;
}

#[tokio::test]
async fn what_only_one_request_has_is_rendered_for_it() {
    let app = spawn_app().await;
    let browser = client();
    // A template for the sign-in page first.
    assert!(app.page(&browser, "/login").await.contains("name=\"next\""));
    // A query is this request's own: it reaches its page, not a template.
    let page = app.page(&browser, "/login?next=%2Faccount%2Fsessions").await;
    assert!(page.contains("value=\"/account/sessions\""), "{page}");
    // A plain form post's one-time feedback is shown once, then the template serves again.
    let res = app
        .plain_post(
            &browser,
            "/api/fn/login",
            &[("email", "nobody@example.com"), ("password", "wrong one!")],
        )
        .await;
    assert!(res.status().is_redirection());
    let with_feedback = app.page(&browser, "/login").await;
    assert!(
        with_feedback.contains("value=\"nobody@example.com\""),
        "{with_feedback}"
    );
    let after = app.page(&browser, "/login").await;
    assert!(!after.contains("nobody@example.com"));
    // Under a link's path the 404 page marks that link current: rendered for it, never the
    // shared template (nor the other way round).
    let (status, under_session) = app.html(&browser, "/session/x").await;
    assert_eq!(status, 404);
    // Pages rendered in full go out with a known length too.
    for path in ["/session/x", "/session", "/login?next=%2Fsession"] {
        let res = browser
            .get(app.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert!(res.headers().contains_key("content-length"), "{path}");
        assert!(!res.headers().contains_key("transfer-encoding"), "{path}");
    }
    assert!(under_session.contains("aria-current"), "{under_session}");
    let (status, elsewhere) = app.html(&browser, "/nope").await;
    assert_eq!(status, 404);
    assert!(!elsewhere.contains("aria-current"), "{elsewhere}");
    // Paths the router reads as another page are that page, not the 404 template.
    let (_, dotted) = app.html(&browser, "/./settings").await;
    assert!(dotted.contains("name=\"language\""), "{dotted}");
    // HEAD: a page's headers, its nonce's policy included.
    let head = browser.head(app.url("/")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("'nonce-"));
    // A file under the site root is the file, never the 404 page's template.
    let (status, _) = app.html(&browser, "/no-such-page").await;
    assert_eq!(status, 404);
    let file = browser
        .get(app.url("/favicon.svg"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert!(file.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/svg"));
    app.stop().await;
}
