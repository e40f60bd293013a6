//! Which paths are the app's pages (from Leptos's route list): a page view is recorded for them,
//! they render with the visitor's preferences, and a trailing slash on one is redirected; and
//! which are the JSON API's.

/// Whether `path` belongs to the JSON API: everything under `/api/` (the server functions'
/// `/api/fn/` included) and seed 002's `/user` routes. These answer in JSON, errors included,
/// are never cached and never redirect a browser.
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path == "/user" || path.starts_with("/user/")
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
