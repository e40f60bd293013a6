//! Which paths are the app's pages (from Leptos's route list): a page view is recorded for them,
//! they render with the visitor's preferences, and a trailing slash on one is redirected; and
//! which are the JSON API's.

/// The first segment of `path` that is not empty (`//user//session` → `user`).
fn first_segment(path: &str) -> &str {
    segments(path).next().unwrap_or_default()
}

/// Whether `path` is one of seed 002's `/user` routes (or under `/user/`), however many slashes
/// a client put around its segments.
pub fn is_seed_user_path(path: &str) -> bool {
    first_segment(path) == "user"
}

/// Whether `path` belongs to the JSON API: everything under `/api/` (the server functions'
/// `/api/fn/` included) and seed 002's `/user` routes, with any number of slashes between
/// segments. These answer in JSON, errors included (an unknown one is a JSON 404, never the
/// HTML page), are never cached and never redirect a browser.
pub fn is_api_path(path: &str) -> bool {
    matches!(first_segment(path), "api" | "user")
}

/// The app's page routes (from Leptos's route list), to tell page views from everything else.
#[derive(Debug, Clone, Default)]
pub struct PageRoutes {
    patterns: Vec<Vec<Segment>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Static(String),
    Param,
    Rest,
}

impl PageRoutes {
    /// Takes paths in Leptos/axum syntax: `/account`, `/users/:id`, `/docs/*rest`, `/{id}`.
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a str>) -> Self {
        let patterns = paths
            .into_iter()
            .map(|path| {
                segments(path)
                    .map(|s| {
                        if s.starts_with('*') || s.starts_with("{*") {
                            Segment::Rest
                        } else if s.starts_with(':') || s.starts_with('{') {
                            Segment::Param
                        } else {
                            Segment::Static(s.to_owned())
                        }
                    })
                    .collect()
            })
            .collect();
        Self { patterns }
    }

    pub fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = segments(path).collect();
        self.patterns.iter().any(|pattern| {
            let mut i = 0;
            for segment in pattern {
                match segment {
                    Segment::Rest => return true,
                    Segment::Param if i < parts.len() => i += 1,
                    Segment::Static(s) if parts.get(i) == Some(&s.as_str()) => i += 1,
                    _ => return false,
                }
            }
            i == parts.len()
        })
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_are_known_by_their_first_segment() {
        for api in [
            "/api/x",
            "/api",
            "/user",
            "/user/",
            "//user//session",
            "/user/signin",
            "//api//fn/x",
        ] {
            assert!(is_api_path(api), "{api}");
        }
        for page in ["/", "/users", "/USER", "/account", "/apix", "/pkg/porch.js"] {
            assert!(!is_api_path(page), "{page}");
        }
        assert!(is_seed_user_path("//user//session") && !is_seed_user_path("/api/user"));
    }

    #[test]
    fn matches_static_param_and_rest_routes() {
        let routes = PageRoutes::new(["/", "/account/sessions", "/users/:id", "/docs/*rest", "/items/{id}"]);
        assert!(routes.matches("/"));
        assert!(routes.matches("/account/sessions"));
        assert!(routes.matches("/account/sessions/"));
        assert!(routes.matches("/users/42"));
        assert!(routes.matches("/items/7"));
        assert!(routes.matches("/docs/a/b/c"));
        assert!(!routes.matches("/account"));
        assert!(!routes.matches("/users/42/edit"));
        assert!(!routes.matches("/pkg/porch.js"));
        assert!(!routes.matches("/favicon.ico"));
    }
}
