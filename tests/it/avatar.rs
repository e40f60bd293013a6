//! Avatars: what is accepted, what is refused (and then nothing changes), what is stored and
//! how it is served.

use std::io::Cursor;

use image::{ImageFormat, RgbImage, RgbaImage};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::harness::*;

fn encoded(image: image::DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A photo-like gradient, `w` × `h`.
fn photo(w: u32, h: u32) -> image::DynamicImage {
    image::DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
    }))
}

fn png_with_alpha(w: u32, h: u32) -> Vec<u8> {
    let image = RgbaImage::from_fn(w, h, |x, _| image::Rgba([200, 30, 30, (x * 255 / w) as u8]));
    encoded(image::DynamicImage::ImageRgba8(image), ImageFormat::Png)
}

fn upload_request(
    app: &TestApp,
    client: &reqwest::Client,
    data: Vec<u8>,
    name: &str,
    mime: &str,
) -> reqwest::RequestBuilder {
    let part = Part::bytes(data).file_name(name.to_owned()).mime_str(mime).unwrap();
    client
        .post(app.url("/api/auth/profile/avatar"))
        .multipart(Form::new().part("avatar", part))
}

async fn upload(app: &TestApp, client: &reqwest::Client, data: Vec<u8>, name: &str, mime: &str) -> reqwest::Response {
    upload_request(app, client, data, name, mime).send().await.unwrap()
}

/// Posted as the account page's form without JavaScript: the answer sends the browser back to
/// `/account` (303), whose HTML this returns.
async fn upload_by_form(app: &TestApp, client: &reqwest::Client, data: Vec<u8>, name: &str, mime: &str) -> String {
    let res = upload_request(app, client, data, name, mime)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account");
    app.page(client, "/account").await
}

async fn avatar_url(app: &TestApp, client: &reqwest::Client) -> Value {
    get_json(app, client, "/api/auth/profile").await["user"]["avatarUrl"].clone()
}

#[tokio::test]
async fn png_jpeg_and_webp_are_stored_as_small_squares_and_served_for_good() {
    let app = spawn_app().await;
    let browser = client();
    sign_up(&app, &browser).await;
    assert_eq!(
        avatar_url(&app, &browser).await,
        Value::Null,
        "initials until an upload"
    );

    let cases = [
        (png_with_alpha(300, 200), "me.png", "image/png", "image/png", 200),
        (
            encoded(photo(640, 480), ImageFormat::Jpeg),
            "me.jpg",
            "image/jpeg",
            "image/jpeg",
            256,
        ),
        (
            encoded(photo(64, 80), ImageFormat::WebP),
            "me.webp",
            "image/webp",
            "image/jpeg",
            64,
        ),
        // No name or type to go by: the content decides.
        (
            encoded(photo(500, 500), ImageFormat::Png),
            "",
            "application/octet-stream",
            "image/jpeg",
            256,
        ),
    ];
    let mut seen = Vec::new();
    for (data, name, mime, stored_type, side) in cases {
        let res = upload(&app, &browser, data, name, mime).await;
        assert_eq!(res.status(), 200, "{name} {mime}");
        let body: Value = res.json().await.unwrap();
        let url = body["user"]["avatarUrl"].as_str().unwrap().to_owned();
        assert!(
            url.starts_with("/avatars/") && !seen.contains(&url),
            "{url}: a new address per image"
        );
        assert_eq!(
            avatar_url(&app, &browser).await,
            url.as_str(),
            "the cached profile follows"
        );
        let res = browser.get(app.url(&url)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], stored_type, "{name}");
        assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
        let stored = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
        assert_eq!(
            (stored.width(), stored.height()),
            (side, side),
            "{name}: a square of at most 256"
        );
        seen.push(url);
    }
    // A replaced image's address is gone.
    assert_eq!(app.status_of(&browser, &seen[0]).await, 404);

    // Removing it brings the initials back.
    let res = browser
        .delete(app.url("/api/auth/profile/avatar"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(avatar_url(&app, &browser).await, Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn bad_uploads_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let browser = client();
    sign_up(&app, &browser).await;
    let res = upload(
        &app,
        &browser,
        encoded(photo(100, 100), ImageFormat::Png),
        "ok.png",
        "image/png",
    )
    .await;
    assert_eq!(res.status(), 200);
    let before = avatar_url(&app, &browser).await;

    let png = encoded(photo(400, 300), ImageFormat::Png);
    let mut three_mb = encoded(photo(100, 100), ImageFormat::Png);
    three_mb.resize(3 * 1024 * 1024, 0);
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[1, 0, 1, 0, 0, 0, 0, 0x3b]);
    let cases: Vec<(Vec<u8>, &str, &str, u16, &str)> = vec![
        (three_mb, "big.png", "image/png", 413, "too large"),
        (png.clone(), "me.jpg", "image/jpeg", 400, "avatar_mismatch"),
        (png.clone(), "me.png", "image/jpeg", 400, "avatar_mismatch"),
        (
            png[..png.len() / 2].to_vec(),
            "cut.png",
            "image/png",
            400,
            "avatar_unreadable",
        ),
        (
            b"I am not a PNG, just text.".to_vec(),
            "fake.png",
            "image/png",
            400,
            "avatar_format",
        ),
        (gif, "anim.gif", "image/gif", 400, "avatar_format"),
        (Vec::new(), "empty.png", "image/png", 400, "avatar_missing"),
    ];
    for (data, name, mime, status, why) in cases {
        let res = upload(&app, &browser, data, name, mime).await;
        assert_eq!(res.status().as_u16(), status, "{name} ({why})");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"]["message"].is_string(), "{name}: {body}");
        assert_eq!(avatar_url(&app, &browser).await, before, "{name} changed nothing");
    }
    // Not multipart at all, and no file field.
    let res = browser
        .post(app.url("/api/auth/profile/avatar"))
        .json(&serde_json::json!({"avatar": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = browser
        .post(app.url("/api/auth/profile/avatar"))
        .multipart(Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Guests have no avatar to set.
    let res = upload(
        &app,
        &client(),
        encoded(photo(50, 50), ImageFormat::Png),
        "a.png",
        "image/png",
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(avatar_url(&app, &browser).await, before);
    app.stop().await;
}

/// Re-encoding drops whatever the file carried besides its pixels (camera, place).
#[tokio::test]
async fn metadata_does_not_survive() {
    let app = spawn_app().await;
    let browser = client();
    sign_up(&app, &browser).await;
    let jpeg = encoded(photo(300, 300), ImageFormat::Jpeg);
    let secret = b"Exif\0\0GPS 48.8584N 2.2945E SECRET-PLACE";
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&((secret.len() + 2) as u16).to_be_bytes());
    with_exif.extend_from_slice(secret);
    with_exif.extend_from_slice(&jpeg[2..]);
    let res = upload(&app, &browser, with_exif, "photo.jpg", "image/jpeg").await;
    assert_eq!(res.status(), 200);
    let url = avatar_url(&app, &browser).await;
    let stored = browser
        .get(app.url(url.as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(!stored.windows(12).any(|w| w == b"SECRET-PLACE"));
    assert!(!stored.windows(4).any(|w| w == b"Exif"));
    app.stop().await;
}

/// The page's form: a browser posts it without JavaScript and gets the account page back with
/// the outcome; other devices show the new avatar on their next page; deleting the account
/// deletes the image.
#[tokio::test]
async fn the_account_form_the_header_and_deletion() {
    let app = spawn_app().await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    let other = client();
    assert_eq!(sign_in(&app, &other, &email, PASSWORD).await.status(), 200);
    assert_eq!(app.status_of(&other, "/").await, 200);

    let png = encoded(photo(120, 90), ImageFormat::Png);
    let page = upload_by_form(&app, &browser, png, "me.png", "image/png").await;
    assert!(page.contains("Your avatar was saved."));
    let url = avatar_url(&app, &browser).await.as_str().unwrap().to_owned();
    assert!(page.contains(&format!("src=\"{url}\"")));
    // A refusal comes back the same way, as the form's message.
    let page = upload_by_form(&app, &browser, b"text".to_vec(), "x.png", "image/png").await;
    assert!(page.contains("Use a PNG, JPEG or WebP image."));

    let header = app.page(&other, "/").await;
    assert!(
        header.contains(&format!("src=\"{url}\"")),
        "the other device's next page"
    );

    let res = browser
        .delete(app.url("/api/auth/profile"))
        .json(&serde_json::json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.status_of(&client(), &url).await, 404);
    app.stop().await;
}
