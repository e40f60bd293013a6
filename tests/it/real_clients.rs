//! What real browsers and clients send (issue 16): other applications' cookies, duplicate
//! cookies, redirects for clients that do not ask for HTML, text outside ASCII in addresses,
//! paths with a trailing slash, and header fields read as RFC 9110 says.

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{json, Value};

use crate::harness::*;

/// A client that keeps no cookies and follows no redirects: every header is the test's.
fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Registers a new account with a bare client: (email, session id, bearer token).
async fn signed_in(app: &TestApp) -> (String, String, String) {
    let email = format!("{}@example.com", unique("rc"));
    let res = register_with(
        app,
        &bare(),
        json!({"name": "Ada", "email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let id = cookie_value(res.headers(), "session").unwrap();
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    (email, id, token)
}

/// A guest session's id, from a first page view.
async fn guest_id(app: &TestApp) -> String {
    let res = bare().get(app.url("/")).send().await.unwrap();
    cookie_value(res.headers(), "session").unwrap()
}

/// A well-formed id whose session has ended (signed out).
async fn ended_id(app: &TestApp) -> String {
    let (_, id, _) = signed_in(app).await;
    let res = bare()
        .post(app.url("/api/auth/logout"))
        .header("cookie", format!("session={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    id
}

/// `Cookie` field lines, each given as raw bytes (so they may hold anything a client sends).
fn cookie_lines(lines: &[Vec<u8>]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in lines {
        headers.append("cookie", HeaderValue::from_bytes(line).expect("a field value"));
    }
    headers
}

async fn profile_status(app: &TestApp, headers: HeaderMap) -> u16 {
    bare()
        .get(app.url("/api/auth/profile"))
        .headers(headers)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The `Set-Cookie` for `session` a response carries, if any.
fn session_set_cookie(res: &reqwest::Response) -> Option<String> {
    set_cookies(res.headers())
        .into_iter()
        .find(|c| c.starts_with("session="))
}

/// Another application's cookie beside ours, however odd, never costs the session: the
/// request is still signed in, and no response replaces or clears the session cookie.
#[tokio::test]
async fn other_applications_cookies_never_cost_the_session() {
    let app = spawn_app().await;
    let (_, id, _) = signed_in(&app).await;
    let ours = format!("session={id}");
    let odd: Vec<Vec<u8>> = vec![
        // The report: an analytics cookie with UTF-8 in it.
        format!("_utmz=1.1700000000.1.1.utmcsn=Kampagne Undersøgelse; {ours}").into_bytes(),
        // Latin-1 bytes that are not UTF-8 at all, after ours.
        [format!("{ours}; legacy=caf").into_bytes(), vec![0xe9]].concat(),
        // A pair without '=', an empty name, empty pairs.
        format!("flag; =orphan; ;; {ours};").into_bytes(),
        // Quotes, spaces and commas in another cookie's value.
        format!("q=\"a b, c\"; {ours}").into_bytes(),
        // A malformed value under our own name before the live one.
        format!("session=not-an-id; {ours}").into_bytes(),
        // Emoji and right-to-left text.
        format!("pref=🙂مرحبا; {ours}").into_bytes(),
    ];
    for line in &odd {
        let text = String::from_utf8_lossy(line);
        assert_eq!(
            profile_status(&app, cookie_lines(std::slice::from_ref(line))).await,
            200,
            "{text}"
        );
        let res = bare()
            .get(app.url("/"))
            .header("accept", "text/html")
            .headers(cookie_lines(std::slice::from_ref(line)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(session_set_cookie(&res), None, "the signed-in cookie is kept: {text}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Ada"), "the page is the signed-in user's: {text}");
    }
    // Cookies split over several field lines (as HTTP/2 sends them) are all read.
    let split = cookie_lines(&[b"a=1".to_vec(), "b=ø".as_bytes().to_vec(), ours.clone().into_bytes()]);
    assert_eq!(profile_status(&app, split).await, 200);
}

/// A browser can send two `session` cookies (an old one for a parent domain or path first,
/// the live one second): the live one is used, in either order, and no response replaces it.
#[tokio::test]
async fn the_live_one_of_several_session_cookies_is_used() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let app = spawn_app_with(options).await;
        let (_, live, _) = signed_in(&app).await;
        let dead = ended_id(&app).await;
        let guest = guest_id(&app).await;
        for header in [
            format!("session={dead}; session={live}"),
            format!("session={live}; session={dead}"),
            // Two live ones: the signed-in session wins over a guest's.
            format!("session={guest}; session={live}"),
            format!("session={dead}; session=garbage; session={guest}; session={live}"),
        ] {
            let lines = cookie_lines(&[header.clone().into_bytes()]);
            assert_eq!(profile_status(&app, lines.clone()).await, 200, "{header}");
            let res = bare()
                .get(app.url("/account"))
                .header("accept", "text/html")
                .headers(lines)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{header}: signed in, not sent to sign in");
            assert_eq!(session_set_cookie(&res), None, "{header}");
        }
        // None of them live: a guest session starts, as for one dead cookie.
        let other_dead = ended_id(&app).await;
        let res = bare()
            .get(app.url("/"))
            .header("cookie", format!("session={dead}; session={other_dead}"))
            .send()
            .await
            .unwrap();
        let new = cookie_value(res.headers(), "session").expect("a new guest session");
        assert!(new != dead && new != other_dead);
    }
}

/// Requests that were in flight while the browser signed in carry the old id: they must not
/// answer with a new guest cookie or a cleared one, which would replace the signed-in cookie
/// that arrived before them.
#[tokio::test]
async fn requests_racing_a_sign_in_leave_the_new_cookie_alone() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let app = spawn_app_with(options).await;
        let (email, _, _) = signed_in(&app).await;
        let old = guest_id(&app).await;
        let res = bare()
            .post(app.url("/api/auth/login"))
            .header("cookie", format!("session={old}"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let new = cookie_value(res.headers(), "session").expect("the signed-in cookie");
        assert_ne!(new, old);
        let stale = format!("session={old}");
        for (method, path) in [
            ("GET", "/"),
            ("GET", "/settings"),
            ("GET", "/api/session"),
            ("GET", "/api/auth/profile"),
            ("POST", "/api/session/page"),
        ] {
            let request = match method {
                "GET" => bare().get(app.url(path)).header("accept", "text/html"),
                _ => bare().post(app.url(path)).json(&json!({"page": "/settings"})),
            };
            let res = request.header("cookie", &stale).send().await.unwrap();
            assert!(res.status().as_u16() < 500, "{method} {path}: {}", res.status());
            assert_eq!(
                session_set_cookie(&res),
                None,
                "{method} {path} must not touch the cookie"
            );
        }
        // The old id signs nobody in.
        assert_eq!(profile_status(&app, cookie_lines(&[stale.into_bytes()])).await, 401);
    }
}

/// A plain-form sign-in that fails goes back to the form with its `next`, so the corrected
/// attempt still leads where the visitor was going; the same for registration.
#[tokio::test]
async fn next_survives_failed_sign_in_and_registration_attempts() {
    let app = spawn_app().await;
    let (email, _, _) = signed_in(&app).await;
    let browser = client();
    let location = |res: &reqwest::Response| res.headers()["location"].to_str().unwrap().to_owned();
    for (next, encoded, lands) in [
        ("/account/sessions", "/account/sessions", "/account/sessions"),
        (
            "/account/history?note=café&x=1",
            "/account/history%3Fnote%3Dcaf%C3%A9%26x%3D1",
            "/account/history?note=caf%C3%A9&x=1",
        ),
    ] {
        let form = [("email", email.as_str()), ("password", "wrong"), ("next", next)];
        let res = app.plain_post(&browser, "/api/fn/login", &form).await;
        assert_eq!(res.status(), 302);
        assert_eq!(location(&res), format!("/login?next={encoded}"));
        let form = [
            ("name", "Ada"),
            ("email", "not an address"),
            ("password", PASSWORD),
            ("next", next),
        ];
        let res = app.plain_post(&browser, "/api/fn/register", &form).await;
        assert_eq!(res.status(), 302);
        assert_eq!(location(&res), format!("/register?next={encoded}"));
        let form = [("email", email.as_str()), ("password", PASSWORD), ("next", next)];
        let res = app.plain_post(&browser, "/api/fn/login", &form).await;
        assert_eq!(res.status(), 302);
        assert_eq!(location(&res), lands, "ASCII, percent-encoded");
    }
    // The sign-in page's form and its link to registration carry the next page along.
    let html = bare()
        .get(app.url("/login?next=%2Faccount%2Fsessions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"name="next" value="/account/sessions""#), "{html}");
    assert!(html.contains(r#"href="/register?next=/account/sessions""#), "{html}");
    // A registration that succeeds goes where it was asked to.
    let address = format!("{}@example.com", unique("next"));
    let form = [
        ("name", "Bea"),
        ("email", address.as_str()),
        ("password", PASSWORD),
        ("next", "/settings"),
    ];
    let res = app.plain_post(&browser, "/api/fn/register", &form).await;
    assert_eq!(res.status(), 302);
    assert_eq!(location(&res), "/settings");
}

/// Whatever the `Accept` header, a page that sends the client elsewhere answers a real 3xx
/// with an ASCII `Location`, never a 200 with a `Location` and an empty page.
#[tokio::test]
async fn pages_that_send_a_guest_to_sign_in_are_real_redirects_for_every_client() {
    let app = spawn_app().await;
    let accepts = [
        None,
        Some("*/*"),
        Some("application/json"),
        Some("text/html"),
        Some("text/html;q=0, */*"),
        Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ];
    for accept in accepts {
        for (path, to) in [
            ("/account", "/login?next=/account".to_owned()),
            ("/account/sessions", "/login?next=/account/sessions".to_owned()),
            (
                "/account/history?note=café",
                "/login?next=/account/history%3Fnote%3Dcaf%25C3%25A9".to_owned(),
            ),
        ] {
            let mut request = bare().get(app.url(path));
            if let Some(accept) = accept {
                request = request.header("accept", accept);
            }
            let res = request.send().await.unwrap();
            assert_eq!(res.status(), 302, "{path} with Accept {accept:?}");
            let location = res.headers()["location"].as_bytes();
            assert!(location.is_ascii(), "{path}");
            assert_eq!(
                std::str::from_utf8(location).unwrap(),
                to,
                "{path} with Accept {accept:?}"
            );
            assert!(!res.headers().contains_key("serverfnredirect"));
        }
    }
}

/// Every return address the server puts in a `Location` is ASCII and on this site: the theme
/// switch's and the notices' `back`, the sign-in's `next`, whatever text they carry.
#[tokio::test]
async fn return_addresses_come_back_as_ascii_same_site_locations() {
    let app = spawn_app().await;
    let browser = client();
    browser.get(app.url("/")).send().await.unwrap();
    for (back, expected) in [
        ("/account/history?note=café", "/account/history?note=caf%C3%A9"),
        ("/settings?q=日本", "/settings?q=%E6%97%A5%E6%9C%AC"),
        ("/a b\"<>", "/a%20b%22%3C%3E"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\r\nSet-Cookie: x=1", "/"),
    ] {
        let res = app
            .plain_post(&browser, "/api/fn/set_theme", &[("theme", "dark"), ("back", back)])
            .await;
        assert_eq!(res.status(), 302, "{back:?}");
        assert_eq!(res.headers()["location"].to_str().unwrap(), expected, "{back:?}");
    }
}

/// A page path with a trailing slash redirects (308) to the page, keeping the query; other
/// paths are left alone.
#[tokio::test]
async fn page_paths_with_a_trailing_slash_redirect_to_the_page() {
    let app = spawn_app().await;
    for (path, to) in [
        ("/settings/", "/settings"),
        ("/login/", "/login"),
        ("/login/?next=%2Faccount", "/login?next=%2Faccount"),
        ("/account/sessions/", "/account/sessions"),
        ("/session//", "/session"),
    ] {
        for accept in ["text/html", "*/*"] {
            let res = bare().get(app.url(path)).header("accept", accept).send().await.unwrap();
            assert_eq!(res.status(), 308, "{path}");
            assert_eq!(res.headers()["location"].to_str().unwrap(), to, "{path}");
        }
    }
    let res = bare().get(app.url("/settings/")).send().await.unwrap();
    assert!(session_set_cookie(&res).is_none(), "a redirect starts no session");
    assert_eq!(app.status_of(&bare(), "/no-such-page/").await, 404);
    assert_eq!(app.status_of(&bare(), "/api/session/").await, 404);
    let followed = client().get(app.url("/settings/")).send().await.unwrap();
    assert_eq!(followed.status(), 308);
}

/// Header fields read as RFC 9110 says: weights (`q=0` refuses), parameter and scheme names in
/// any case, list fields over several lines, bytes outside ASCII in fields Porch shows.
#[tokio::test]
async fn header_fields_are_read_as_rfc_9110_says() {
    let app = spawn_app().await;
    let (email, _, token) = signed_in(&app).await;

    // A list field split over two lines is one list: the first visit's language comes from both.
    let mut lines = HeaderMap::new();
    lines.append("accept-language", HeaderValue::from_static("de"));
    lines.append("accept-language", HeaderValue::from_static("fr;Q=0.5"));
    let html = bare()
        .get(app.url("/"))
        .headers(lines)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<html lang="fr""#), "{}", &html[..200]);

    // `text/html;q=0` says "not HTML": a failed sign-in answers JSON, not a redirect.
    let res = bare()
        .post(app.url("/api/fn/login"))
        .header("accept", "text/html;q=0, application/json")
        .form(&[("email", email.as_str()), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("location").is_none());

    // The authentication scheme is case-insensitive, and more than one space may follow it.
    for value in [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Bearer   {token}"),
    ] {
        let res = bare()
            .get(app.url("/api/auth/profile"))
            .header("authorization", &value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{value}");
    }
    let res = bare()
        .get(app.url("/api/auth/profile"))
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // A User-Agent with UTF-8 in it still names the browser on the devices page.
    let device = client();
    let res = device
        .post(app.url("/api/auth/login"))
        .header(
            "user-agent",
            HeaderValue::from_bytes(
                "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0 Überall".as_bytes(),
            )
            .unwrap(),
        )
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let sessions = get_json(&app, &device, "/api/auth/sessions").await;
    let this = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap();
    assert_eq!(this["browser"], "Firefox", "{sessions}");
    assert_eq!(this["os"], "Linux", "{sessions}");

    // A method a route does not take: 405 with the methods it does take (and JSON on the API).
    for (method, path) in [
        ("PATCH", "/api/preferences"),
        ("PUT", "/api/session/page"),
        ("DELETE", "/settings"),
    ] {
        let res = bare()
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{method} {path}");
        assert!(res.headers().contains_key("allow"), "{method} {path}");
        if path.starts_with("/api/") {
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "method_not_allowed", "{method} {path}");
        }
    }

    // HEAD is answered like GET, without a body.
    let res = bare().head(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    // An origin in capitals with its default port written out is this site.
    let host = app.url("").trim_start_matches("http://").to_owned();
    let res = bare()
        .post(app.url("/api/session"))
        .header("origin", format!("HTTP://{}", host.to_uppercase()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

/// Browsers ask for `/favicon.ico` on their own: it is an icon, not a 404.
#[tokio::test]
async fn the_favicon_is_served() {
    let app = spawn_app().await;
    let res = bare().get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind == "image/x-icon" || kind == "image/vnd.microsoft.icon", "{kind}");
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..4], &[0, 0, 1, 0], "an ICO file");
    let html = bare().get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"<link rel="icon" href="/favicon.ico""#), "{html}");
}

/// Two plain forms posted at once on one session (two tabs) each leave their outcome for their
/// page: the session record is saved whole, and a save that finds it changed merges this
/// request's own changes into it instead of erasing the other's.
#[tokio::test]
async fn concurrent_form_posts_on_one_session_keep_each_others_outcome() {
    for options in [TestOptions::default(), TestOptions::memory()] {
        let app = spawn_app_with(options).await;
        let browser = client();
        sign_up(&app, &browser).await;
        for round in 0..6 {
            let name = format!("Ada {round}");
            let profile_form = [("name", name.as_str())];
            let settings_form = [("theme", "dark"), ("language", "en")];
            let (profile, settings) = tokio::join!(
                app.plain_post(&browser, "/api/fn/update_profile", &profile_form),
                app.plain_post(&browser, "/api/fn/save_preferences", &settings_form),
            );
            assert_eq!(profile.status(), 302);
            assert_eq!(settings.status(), 302);
            for (form, notice) in [("profile", "profile_saved"), ("settings", "preferences_saved")] {
                let feedback: Value = browser
                    .post(app.url("/api/fn/form_feedback"))
                    .form(&[("form", form)])
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert_eq!(feedback["notice"], notice, "round {round}: {form}: {feedback}");
            }
        }
    }
}

/// An API client that picked up a guest `session` cookie on the way and sends its bearer token
/// is the token's user: the credential it chose wins over the cookie sent on its own. A token
/// that stands for nothing leaves the cookie's session as it was.
#[tokio::test]
async fn a_bearer_token_wins_over_a_guest_cookie() {
    let app = spawn_app().await;
    let (email, _, token) = signed_in(&app).await;
    let guest = guest_id(&app).await;
    let res = bare()
        .get(app.url("/api/auth/profile"))
        .header("cookie", format!("session={guest}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(session_set_cookie(&res).is_none(), "the guest's cookie is left alone");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], email.as_str());
    // An unknown token: the guest cookie's session, a guest.
    let res = bare()
        .get(app.url("/api/auth/profile"))
        .header("cookie", format!("session={guest}"))
        .bearer_auth("A".repeat(44))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

/// Unknown API paths however they are spelled answer the API's JSON 404, not the HTML page;
/// a path that only looks like one in another case is a page path.
#[tokio::test]
async fn unknown_api_paths_answer_json_however_they_are_spelled() {
    let app = spawn_app().await;
    for path in [
        "/user/",
        "//user//session",
        "/user/nope",
        "/api/nope",
        "//api//nope",
        "/api",
    ] {
        let res = bare().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("application/json"), "{path}: {kind}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
    let res = bare().get(app.url("/USER")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
}

/// Every JSON body is an object: an array (which serde would read by position, `[]` as an
/// object with every field missing), a string, a number or `null` is refused with the API's 400,
/// on every route that reads a body; a JSON media type in any case or as `+json` is JSON.
#[tokio::test]
async fn bodies_that_are_not_json_objects_are_refused() {
    let app = spawn_app().await;
    let browser = client();
    sign_up(&app, &browser).await;
    let routes = [
        ("POST", "/api/preferences"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/register"),
        ("PUT", "/api/auth/profile"),
        ("PUT", "/api/auth/profile/password"),
        ("POST", "/api/auth/password/forgot"),
        ("POST", "/user"),
    ];
    for (method, path) in routes {
        for body in ["[]", "[\"dark\"]", "\"dark\"", "1", "null", " [ ] "] {
            let res = browser
                .request(method.parse().unwrap(), app.url(path))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 400, "{method} {path} {body}");
            let error: Value = res.json().await.unwrap();
            assert_eq!(error["error"]["code"], "bad_request", "{method} {path} {body}");
        }
    }
    for content_type in ["Application/JSON; charset=UTF-8", "application/merge-patch+json"] {
        let res = browser
            .post(app.url("/api/preferences"))
            .header("content-type", content_type)
            .body(r#"{"theme": "dark"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{content_type}");
    }
}

/// A server function whose arguments cannot be read (missing, repeated, the wrong shape) is the
/// client's mistake: 400 with the API's error, never a 500; a browser's plain form post still
/// goes back to its page.
#[tokio::test]
async fn unreadable_server_function_arguments_are_a_400() {
    let app = spawn_app().await;
    let cases: [(&str, &str, &str); 5] = [
        ("confirm_email", "application/x-www-form-urlencoded", ""),
        ("confirm_email", "application/x-www-form-urlencoded", "token=a&token=b"),
        ("confirm_email", "application/x-www-form-urlencoded", "token[]=x"),
        ("reset_password", "application/x-www-form-urlencoded", "token=abc"),
        ("set_theme", "application/x-www-form-urlencoded", ""),
    ];
    for (name, content_type, body) in cases {
        let res = client()
            .post(app.url(&format!("/api/fn/{name}")))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{name} {body:?}");
        let error: Value = res.json().await.unwrap();
        assert_eq!(error["code"], "bad_request", "{name} {body:?}");
    }
    let res = client()
        .post(app.url("/api/fn/confirm_email"))
        .header("accept", "text/html")
        .header("referer", app.url("/email/verify"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "a plain form post goes back");
}
