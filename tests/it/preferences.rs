//! Preferences through the JSON API: guests' cookie, users' database, and moving between them.

use serde_json::{json, Value};

use crate::harness::*;

async fn get_prefs(app: &TestApp, client: &reqwest::Client) -> Value {
    let res = client.get(app.url("/api/preferences")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn post_prefs(app: &TestApp, client: &reqwest::Client, body: Value) -> reqwest::Response {
    client
        .post(app.url("/api/preferences"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn first_visit_defaults_follow_accept_language() {
    let app = spawn_app().await;
    for (header, language) in [
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("de, es;q=0.5", "es"),
        ("ar", "ar"),
        ("ja", "en"),
    ] {
        let res = client()
            .get(app.url("/api/preferences"))
            .header("accept-language", header)
            .send()
            .await
            .unwrap();
        assert!(
            set_cookies(res.headers()).is_empty(),
            "nothing to re-issue on a first visit"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            body,
            json!({"theme": "system", "language": language, "notifications": true, "source": "cookie"}),
            "{header}"
        );
    }
}

#[tokio::test]
async fn guest_preferences_round_trip_through_the_cookie() {
    let app = spawn_app().await;
    let res = post_prefs(&app, &app.client, json!({"theme": "dark", "notifications": false})).await;
    assert_eq!(res.status(), 200);
    let cookie = cookie_value(res.headers(), "prefs").expect("prefs cookie");
    assert!(cookie.len() <= 40, "{cookie}");
    let set = set_cookies(res.headers())
        .into_iter()
        .find(|c| c.starts_with("prefs="))
        .unwrap();
    for attr in ["SameSite=Lax", "Path=/", "Max-Age=31536000"] {
        assert!(set.contains(attr), "{attr}: {set}");
    }
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"theme": "dark", "language": "en", "notifications": false, "source": "cookie"})
    );
    assert_eq!(get_prefs(&app, &app.client).await, body);
    let res = post_prefs(&app, &app.client, json!({"language": "ar"})).await;
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"theme": "dark", "language": "ar", "notifications": false, "source": "cookie"}),
        "a subset changes only itself"
    );
}

#[tokio::test]
async fn bad_input_is_a_400_per_field_and_changes_nothing() {
    let app = spawn_app().await;
    post_prefs(&app, &app.client, json!({"theme": "light"})).await;
    let cases = [
        (json!({"theme": "blue"}), "theme"),
        (json!({"language": "de"}), "language"),
        (json!({"notifications": "yes"}), "notifications"),
        (json!({"theme": "dark", "font": "comic"}), "font"),
    ];
    for (body, field) in cases {
        let res = post_prefs(&app, &app.client, body.clone()).await;
        assert_eq!(res.status(), 400, "{body}");
        assert!(set_cookies(res.headers()).is_empty());
        let err: Value = res.json().await.unwrap();
        assert!(err["error"]["fields"][field].is_string(), "{err}");
    }
    let res = app
        .client
        .post(app.url("/api/preferences"))
        .json(&json!(["dark"]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(get_prefs(&app, &app.client).await["theme"], "light", "nothing changed");
}

/// Values a browser might send back that this server did not write.
fn garbage_cookies(valid: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![
        String::new(),
        "x".repeat(4000),
        "\"1.d.fr.1\"".into(),
        "%00".into(),
        "1.d.fr.1".into(),
        "2.d.fr.1.000000000000000000000000".into(),
        "1.q.fr.1.000000000000000000000000".into(),
        "1.d.xx.1.000000000000000000000000".into(),
        "1.d.fr.7.000000000000000000000000".into(),
        "<script>alert(1)</script>".into(),
        "1.d.fr.1.".into(),
        "..........".into(),
        "1;d;fr;1".into(),
    ];
    // Every single-character change of a valid value.
    for (i, c) in valid.char_indices() {
        let replacement = if c == 'a' { 'b' } else { 'a' };
        let mut changed = valid.to_owned();
        changed.replace_range(i..i + c.len_utf8(), &replacement.to_string());
        out.push(changed);
    }
    // Truncations and extensions.
    for n in 1..valid.len() {
        out.push(valid[..n].to_owned());
    }
    let mut seed = 0x2545_f491_u64;
    while out.len() < 200 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 60) as usize;
        out.push(
            (0..len)
                .map(|i| (b'!' + ((seed >> (i % 50)) % 90) as u8) as char)
                .filter(|c| *c != ';')
                .collect(),
        );
    }
    out
}

#[tokio::test]
async fn any_unreadable_cookie_falls_back_to_defaults_and_is_reissued() {
    let app = spawn_app().await;
    let res = post_prefs(&app, &client(), json!({"theme": "dark"})).await;
    let valid = cookie_value(res.headers(), "prefs").unwrap();
    let plain = reqwest::Client::new();
    let garbage = garbage_cookies(&valid);
    assert!(garbage.len() >= 200);
    for value in garbage {
        let cookie = format!("prefs={value}");

        let page = plain.get(app.url("/")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(page.status(), 200, "{value:?}");
        let html = page.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "never echoed raw");
        let res = plain
            .get(app.url("/api/preferences"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{value:?}");
        let reissued = cookie_value(res.headers(), "prefs");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["theme"], "system", "{value:?}");
        let reissued = reissued.unwrap_or_else(|| panic!("re-issued for {value:?}"));
        assert!(reissued.starts_with("1.s.en.1."), "{reissued}");
    }
}

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn registration_adopts_the_guests_preferences_and_keeps_them_in_the_database() {
    let app = spawn_app().await;
    let email = format!("{}@example.com", unique("prefs"));
    post_prefs(&app, &app.client, json!({"theme": "dark", "language": "fr"})).await;
    let res = register_with(
        &app,
        &app.client,
        json!({"name": "Ada", "email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let body = get_prefs(&app, &app.client).await;
    assert_eq!(
        body,
        json!({"theme": "dark", "language": "fr", "notifications": true, "source": "account"})
    );

    // A user's change goes to the database: a fresh browser signing in gets it.
    post_prefs(&app, &app.client, json!({"notifications": false})).await;
    let other = client();
    let res = other
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        cookie_value(res.headers(), "prefs").unwrap().starts_with("1.d.fr.0."),
        "rewritten in the same response"
    );
    assert_eq!(
        get_prefs(&app, &other).await,
        json!({"theme": "dark", "language": "fr", "notifications": false, "source": "account"})
    );
}

#[tokio::test]
async fn at_sign_in_the_accounts_preferences_win_and_survive_sign_out() {
    let app = spawn_app().await;
    let email = format!("{}@example.com", unique("prefs"));
    // An account whose preferences are light.
    let owner = client();
    post_prefs(&app, &owner, json!({"theme": "light"})).await;
    register_with(
        &app,
        &owner,
        json!({"name": "Lin", "email": email, "password": PASSWORD}),
    )
    .await;

    // A dark guest browser signs in: light from the very next request.
    let browser = client();
    post_prefs(&app, &browser, json!({"theme": "dark"})).await;
    assert_eq!(get_prefs(&app, &browser).await["theme"], "dark");
    let res = browser
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(cookie_value(res.headers(), "prefs").unwrap().starts_with("1.l."));
    assert_eq!(get_prefs(&app, &browser).await["theme"], "light");

    // Signed out, the browser keeps showing the last preferences, now from its cookie.
    sign_out(&app, &browser).await;
    let body = get_prefs(&app, &browser).await;
    assert_eq!(
        (body["theme"].as_str(), body["source"].as_str()),
        (Some("light"), Some("cookie"))
    );
}

#[tokio::test]
async fn pages_arrive_in_the_chosen_theme_language_and_direction() {
    let app = spawn_app().await;
    // As a browser asks for a document (the 404 page is told from assets by this).
    let html = app.html(&client(), "/").await.1;
    assert!(
        html.contains(r#"<html lang="en" dir="ltr" data-theme="system" data-notifications="on""#),
        "{}",
        &html[..200]
    );

    let browser = client();
    post_prefs(
        &app,
        &browser,
        json!({"theme": "dark", "language": "ar", "notifications": false}),
    )
    .await;
    for path in ["/", "/settings", "/no-such-page"] {
        let html = app.html(&browser, path).await.1;
        assert!(
            html.contains(r#"<html lang="ar" dir="rtl" data-theme="dark" data-notifications="off""#),
            "{path}: {}",
            &html[..200]
        );
    }
    let settings = app.page(&browser, "/settings").await;
    assert!(
        settings.contains(r#"value="dark" checked"#),
        "the form shows the saved theme"
    );

    // A first visit in French is French before anything is saved.
    let res = client()
        .get(app.url("/"))
        .header("accept-language", "fr-FR,fr;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains(r#"<html lang="fr" dir="ltr""#));
}

#[tokio::test]
async fn text_and_messages_come_in_the_chosen_language() {
    let app = spawn_app().await;
    let document = |path: &'static str, accept_language: &'static str| {
        let url = app.url(path);
        async move {
            let res = client()
                .get(url)
                .header("accept", "text/html")
                .header("accept-language", accept_language)
                .send()
                .await
                .unwrap();
            // Without the hydration markers some builds of the shell carry.
            res.text().await.unwrap().replace("<!>", "")
        }
    };

    let french = document("/", "fr").await;
    for text in [
        "<h1>Bienvenue sur Porch</h1>",
        "Aller au contenu",
        "Réglages",
        "Se connecter",
    ] {
        assert!(french.contains(text), "French home page lacks {text:?}");
    }
    assert!(!french.contains("Welcome to Porch"));
    assert!(document("/", "ar").await.contains("<h1>مرحبًا بك في Porch</h1>"));
    let spanish_login = document("/login", "es").await;
    assert!(
        spanish_login.contains("<title>Iniciar sesión · Porch</title>"),
        "the title too"
    );
    assert!(spanish_login.contains(">Contraseña</label>"));
    let not_found = document("/no-such-page", "fr").await;
    assert!(not_found.contains("<h1>Page introuvable</h1>"));

    // The JSON API's messages follow the browser's language, or the preferences cookie's.
    let res = client()
        .post(app.url("/api/preferences"))
        .header("accept-language", "fr")
        .json(&json!({"theme": "pink"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "validation");
    assert_eq!(err["error"]["message"], "Vérifiez les champs signalés.");
    assert_eq!(
        err["error"]["fields"]["theme"],
        "Utilisez l’une des valeurs : light, dark, system."
    );
    let spanish = client();
    assert_eq!(
        post_prefs(&app, &spanish, json!({"language": "es"})).await.status(),
        200
    );
    let res = spanish
        .get(app.url("/api/no-such-endpoint"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": {"code": "not_found", "message": "No encontrado"}})
    );

    // A form posted without JavaScript shows its error on the next page, translated.
    let browser = client();
    let res = browser
        .post(app.url("/api/fn/login"))
        .header("accept", "text/html")
        .header("accept-language", "fr")
        .form(&[
            ("email", "nobody@example.com"),
            ("password", "not the password"),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let login = browser
        .get(app.url("/login"))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        login.contains("E-mail ou mot de passe incorrect"),
        "the error is French"
    );
}

/// The report: six concurrent saves on one signed-in session, each of one field, twice each.
/// Every field saved stays, whatever order the saves run and answer in, and a device that reads
/// afterwards (through the cache) sees them all. Repeated, flipping the values, so the saves
/// really race.
#[tokio::test]
async fn concurrent_saves_of_different_fields_all_stay() {
    let app = spawn_app().await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    let values = [
        (json!("dark"), json!("fr"), json!(false)),
        (json!("light"), json!("ar"), json!(true)),
    ];
    for round in 0..8 {
        let (theme, language, notifications) = &values[round % 2];
        let bodies = [
            json!({"theme": theme}),
            json!({"language": language}),
            json!({"notifications": notifications}),
        ];
        // Readers on other devices race the saves (a read-through cache's stale fill).
        let readers: Vec<reqwest::Client> = futures::future::join_all((0..2).map(|_| async {
            let device = client();
            assert_eq!(sign_in(&app, &device, &email, PASSWORD).await.status(), 200);
            device
        }))
        .await;
        let saves = bodies
            .iter()
            .chain(bodies.iter())
            .map(|body| post_prefs(&app, &browser, body.clone()));
        let reads = readers.iter().map(|device| async { get_prefs(&app, device).await });
        let (answers, _) = tokio::join!(futures::future::join_all(saves), futures::future::join_all(reads));
        for res in answers {
            assert_eq!(res.status(), 200);
        }
        let expected =
            json!({"theme": theme, "language": language, "notifications": notifications, "source": "account"});
        assert_eq!(get_prefs(&app, &browser).await, expected, "round {round}: this session");
        for device in &readers {
            assert_eq!(
                get_prefs(&app, device).await,
                expected,
                "round {round}: another session"
            );
        }
        let fresh = client();
        assert_eq!(sign_in(&app, &fresh, &email, PASSWORD).await.status(), 200);
        assert_eq!(get_prefs(&app, &fresh).await, expected, "round {round}: a new sign-in");
    }
}

/// A guest's preferences live in cookies: concurrent saves of different fields, answered in
/// any order, all stay in the browser (each field has its own cookie beside `prefs`).
#[tokio::test]
async fn a_guests_concurrent_saves_of_different_fields_all_stay() {
    let app = spawn_app().await;
    for round in 0..6 {
        let browser = client();
        browser.get(app.url("/")).send().await.unwrap();
        let (theme, language, notifications) = if round % 2 == 0 {
            ("dark", "fr", false)
        } else {
            ("light", "es", true)
        };
        let bodies = [
            json!({"theme": theme}),
            json!({"language": language}),
            json!({"notifications": notifications}),
        ];
        let saves = bodies
            .iter()
            .chain(bodies.iter())
            .map(|body| post_prefs(&app, &browser, body.clone()));
        for res in futures::future::join_all(saves).await {
            assert_eq!(res.status(), 200);
        }
        assert_eq!(
            get_prefs(&app, &browser).await,
            json!({"theme": theme, "language": language, "notifications": notifications, "source": "cookie"}),
            "round {round}"
        );
        let html = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(
            html.contains(&format!(r#"lang="{language}""#)) && html.contains(&format!(r#"data-theme="{theme}""#)),
            "round {round}: the page too"
        );
    }
}

/// The profile is read through the same kind of cache: a name change racing readers on other
/// devices is what every device shows afterwards, never the name before it.
#[tokio::test]
async fn a_profile_change_racing_readers_is_what_everyone_reads_after() {
    let app = spawn_app().await;
    let browser = client();
    let (email, _) = sign_up(&app, &browser).await;
    let mut devices = Vec::new();
    for _ in 0..3 {
        let device = client();
        assert_eq!(sign_in(&app, &device, &email, PASSWORD).await.status(), 200);
        devices.push(device);
    }
    for round in 0..10 {
        let name = format!("Name {round}");
        let save = browser
            .put(app.url("/api/auth/profile"))
            .json(&json!({"name": name}))
            .send();
        let reads = devices
            .iter()
            .map(|device| device.get(app.url("/api/auth/profile")).send());
        let (saved, _) = tokio::join!(save, futures::future::join_all(reads));
        assert_eq!(saved.unwrap().status(), 200);
        for device in &devices {
            let profile = get_json(&app, device, "/api/auth/profile").await;
            assert_eq!(profile["user"]["name"], name, "round {round}");
        }
    }
}
