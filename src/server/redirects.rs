//! Redirects as every client understands them: a real 3xx status whatever the request's
//! `Accept`, an ASCII `Location`, and page paths with a trailing slash sent to the page.

use axum::{
    http::{header, HeaderValue, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};

use super::page_routes::PageRoutes;
use crate::model::location;

/// The header leptos_axum sets, instead of a 3xx status, when a server function asked to
/// redirect a request that did not want HTML: its client-side caller follows it.
const SERVER_FN_REDIRECT: &str = "serverfnredirect";

/// Server functions live under this path; their redirects follow the server-function protocol.
const SERVER_FN_PREFIX: &str = "/api/fn/";

/// A `308 Permanent Redirect` from a page path written with a trailing slash (`/settings/`,
/// `/login//`) to the page itself, the query kept. 308 keeps the method and body, so a form
/// posted to such a path still arrives. `None` for anything else.
pub fn trailing_slash(method: &Method, uri: &Uri, routes: &PageRoutes) -> Option<Response> {
    let path = uri.path();
    if path.len() < 2
        || !path.ends_with('/')
        || super::page_routes::is_api_path(path)
        || !matches!(*method, Method::GET | Method::HEAD | Method::POST)
    {
        return None;
    }
    let trimmed = path.trim_end_matches('/');
    // Never `//host`: a path that trims to that would be read as another site.
    if trimmed.is_empty() || trimmed.starts_with("//") || !routes.matches(trimmed) {
        return None;
    }
    let target = match uri.query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    let value = HeaderValue::from_str(&location(&target)).ok()?;
    Some((StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, value)]).into_response())
}

/// Makes a response that sends the client elsewhere a real redirect:
/// - a page whose render asked to redirect (leptos_axum leaves a `Location` on whatever status
///   the page had, a `200`, or the `401` a resource of the page set, when `Accept` does not name
///   `text/html`, as curl's `*/*` does not) answers `302 Found`;
/// - a server function's error carries no `Location` (server_fn adds one pointing back for
///   forms, which means nothing on a 4xx); its own redirect protocol is otherwise left alone;
/// - a `Location` with bytes outside ASCII is percent-encoded.
pub fn settle(response: &mut Response, path: &str) {
    let Some(target) = response.headers().get(header::LOCATION) else {
        return;
    };
    if !target.as_bytes().is_ascii() {
        let text = String::from_utf8_lossy(target.as_bytes()).into_owned();
        match HeaderValue::from_str(&location(&text)) {
            Ok(value) => {
                response.headers_mut().insert(header::LOCATION, value);
            }
            Err(_) => {
                response.headers_mut().remove(header::LOCATION);
                return;
            }
        }
    }
    let status = response.status();
    if path.starts_with(SERVER_FN_PREFIX) {
        if status.is_client_error() || status.is_server_error() {
            response.headers_mut().remove(header::LOCATION);
        }
    } else if !super::page_routes::is_api_path(path) && !status.is_redirection() {
        *response.status_mut() = StatusCode::FOUND;
        response.headers_mut().remove(SERVER_FN_REDIRECT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> PageRoutes {
        PageRoutes::new(["/", "/login", "/settings", "/account/sessions"])
    }

    fn target(response: &Response) -> &str {
        response.headers()[header::LOCATION].to_str().unwrap()
    }

    #[test]
    fn page_paths_with_a_trailing_slash_go_to_the_page() {
        for (path, to) in [
            ("/settings/", "/settings"),
            ("/login/?next=/account/sessions", "/login?next=/account/sessions"),
            ("/login//", "/login"),
            ("/account/sessions/", "/account/sessions"),
        ] {
            let uri: Uri = path.parse().unwrap();
            let response = trailing_slash(&Method::GET, &uri, &routes()).expect(path);
            assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
            assert_eq!(target(&response), to);
        }
        for path in [
            "/",
            "/settings",
            "/nowhere/",
            "/api/session/",
            "//evil.example/",
            "/pkg/",
        ] {
            let uri: Uri = path.parse().unwrap();
            assert!(trailing_slash(&Method::GET, &uri, &routes()).is_none(), "{path}");
        }
        let uri: Uri = "/settings/".parse().unwrap();
        assert!(trailing_slash(&Method::DELETE, &uri, &routes()).is_none());
    }

    #[test]
    fn a_location_on_a_200_becomes_a_302_with_an_ascii_target() {
        let mut response = (
            [(
                header::LOCATION,
                HeaderValue::from_bytes("/a?note=café".as_bytes()).unwrap(),
            )],
            "",
        )
            .into_response();
        response
            .headers_mut()
            .insert(SERVER_FN_REDIRECT, HeaderValue::from_static(""));
        settle(&mut response, "/account");
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(target(&response), "/a?note=caf%C3%A9");
        assert!(!response.headers().contains_key(SERVER_FN_REDIRECT));

        let mut server_fn = ([(header::LOCATION, HeaderValue::from_static("/account"))], "").into_response();
        settle(&mut server_fn, "/api/fn/login");
        assert_eq!(
            server_fn.status(),
            StatusCode::OK,
            "the server-function protocol is kept"
        );
        let mut refused = (
            StatusCode::UNAUTHORIZED,
            [(header::LOCATION, HeaderValue::from_static("/"))],
        )
            .into_response();
        settle(&mut refused, "/api/fn/login");
        assert!(
            !refused.headers().contains_key(header::LOCATION),
            "no Location on an error"
        );

        let mut page = (
            StatusCode::UNAUTHORIZED,
            [(header::LOCATION, HeaderValue::from_static("/login"))],
        )
            .into_response();
        settle(&mut page, "/account/sessions");
        assert_eq!(page.status(), StatusCode::FOUND, "a page that redirects is a redirect");

        let mut created = (
            StatusCode::CREATED,
            [(header::LOCATION, HeaderValue::from_static("/x"))],
        )
            .into_response();
        settle(&mut created, "/api/things");
        assert_eq!(created.status(), StatusCode::CREATED);
    }
}
