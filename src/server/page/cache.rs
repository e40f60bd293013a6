//! The page cache with holes: `/`, `/login`, `/register`, `/settings` and the 404 page depend
//! only on (route, language, theme, notifications, header variant), so each such combination
//! is rendered once, as a template in which every per-response value is a marker ([`Holes`]),
//! and each response is the template with this request's values filled in (HTML-escaped for
//! where they stand). A miss fills the template it has just rendered, so a hit and a miss give
//! the same bytes.
//!
//! No visitor's data is ever in a template: it is rendered for a sentinel user whose every
//! varying value is a marker, never for the visitor. A marker left in a response (a value the
//! template needs that this request does not have, or one written somewhere no hole was
//! expected) fails the response with a 500 rather than send it. Pages with a sign-in notice or
//! a form's one-time feedback, any query string, or a store outage render as usual.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use html_escape::{encode_double_quoted_attribute, encode_text};
use parking_lot::RwLock;

use super::PageNonce;
use crate::{
    context::PageRequest,
    error::AppError,
    model::{
        location::{is_current, SITE_LINKS},
        request_view::{viewer_json, Badge},
        Holes, Language, RequestView, Role, Theme,
    },
    server::{
        metrics::Metrics,
        session::{keys::flash as flash_key, AppSession},
    },
};

/// Most templates kept, and most bytes: the combinations are fewer (5 routes × 4 languages ×
/// 3 themes × 2 × 5 header variants = 600, about 5 KB each), so these only guard against a
/// mistake; past them, pages render as usual.
const MAX_ENTRIES: usize = 1024;
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// The pages served from templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CachedRoute {
    Home,
    Login,
    Register,
    Settings,
    /// Any path no route or file answers.
    NotFound,
}

impl CachedRoute {
    fn of(path: &str, is_page: bool) -> Option<Self> {
        Some(match path {
            "/" => Self::Home,
            "/login" => Self::Login,
            "/register" => Self::Register,
            "/settings" => Self::Settings,
            // One 404 template for every plain path no site link is current on (the header marks
            // `/account` current on `/account/anything`); others render in full.
            _ if !is_page && is_plain_path(path) && !SITE_LINKS.iter().any(|href| is_current(href, path)) => {
                Self::NotFound
            }
            _ => return None,
        })
    }

    /// The form whose one-time feedback (a plain form post's outcome) the page shows.
    fn form(self) -> Option<&'static str> {
        match self {
            Self::Login => Some("login"),
            Self::Register => Some("register"),
            Self::Settings => Some("settings"),
            Self::Home | Self::NotFound => None,
        }
    }
}

/// A path already in the form the router and the file service read it in: letters, digits and
/// `-_.~` between single slashes, no `.` or `..` segment, nothing percent-encoded. Anything else
/// (`/./settings`, `//x/login`, `/favicon%2Eico`) may be read as another page or a file, so it
/// is rendered in full.
fn is_plain_path(path: &str) -> bool {
    path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~'))
        && path[1..]
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

/// What the header shows: a guest's links, or a member's name with an image or initials (and
/// the admin link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderVariant {
    Guest,
    Member { admin: bool, avatar: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    route: CachedRoute,
    language: Language,
    theme: Theme,
    notifications: bool,
    header: HeaderVariant,
}

/// A request that may be answered from a template, and which one.
#[derive(Debug, Clone)]
pub struct Slot {
    pub route: CachedRoute,
    key: Key,
}

/// The template this request may be served from, if any: a GET of a cached route without a
/// query, with nothing on the page that only this request has (notices, a form's feedback).
pub async fn slot(
    method: &http::Method,
    uri: &http::Uri,
    view: &RequestView,
    session: &AppSession,
    is_page: impl Fn(&str) -> bool,
) -> Option<Slot> {
    if method != http::Method::GET || uri.query().is_some() {
        return None;
    }
    let route = CachedRoute::of(uri.path(), is_page(uri.path()))?;
    let header = match &view.viewer {
        Ok(None) => HeaderVariant::Guest,
        Ok(Some(user)) => HeaderVariant::Member {
            admin: user.role == Role::Admin,
            avatar: user.avatar_url.is_some(),
        },
        Err(_) => return None,
    };
    if !view.notices.is_empty() {
        return None;
    }
    if let Some(form) = route.form() {
        let pending = session.inner().get::<serde_json::Value>(&flash_key(form)).await;
        if !matches!(pending, Ok(None)) {
            return None;
        }
    }
    let key = Key {
        route,
        language: view.prefs.language,
        theme: view.prefs.theme,
        notifications: view.prefs.notifications,
        header,
    };
    Some(Slot { route, key })
}

/// Where a template takes a per-response value; the index is the marker's ([`Holes::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hole {
    Nonce,
    Here,
    ViewerJson,
    Name,
    Initials,
    Colour,
    AvatarUrl,
}

impl Hole {
    const ALL: [Hole; 7] = [
        Hole::Nonce,
        Hole::Here,
        Hole::ViewerJson,
        Hole::Name,
        Hole::Initials,
        Hole::Colour,
        Hole::AvatarUrl,
    ];
}

#[derive(Debug)]
enum Piece {
    Text(Bytes),
    /// A hole, and whether it stands inside a tag (an attribute's value) rather than in text.
    Hole(Hole, bool),
}

/// A rendered page cut at its markers.
#[derive(Debug)]
struct Template {
    status: StatusCode,
    content_type: HeaderValue,
    pieces: Vec<Piece>,
    text_len: usize,
}

/// One response's values, escaped for where their holes stand (as Leptos escapes them).
struct Values {
    nonce: Arc<str>,
    here: String,
    viewer_json: String,
    badge: Option<Badge>,
}

impl Values {
    fn of(view: &RequestView, nonce: &PageNonce, request: &Request) -> Self {
        let uri = request.uri();
        let here = match uri.query() {
            Some(query) => format!("{}?{query}", uri.path()),
            None => uri.path().to_owned(),
        };
        Self {
            nonce: nonce.0.clone(),
            here: encode_double_quoted_attribute(&here).into_owned(),
            viewer_json: encode_double_quoted_attribute(&viewer_json(&view.viewer)).into_owned(),
            badge: view.viewer.as_ref().ok().and_then(Option::as_ref).map(Badge::of),
        }
    }

    /// The text for `hole` (escaped for an attribute when `in_tag`, else for text), or `None`
    /// when this request has no such value.
    fn get(&self, hole: Hole, in_tag: bool) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        let badge = || self.badge.as_ref();
        fn escape(value: &str, in_tag: bool) -> std::borrow::Cow<'_, str> {
            if in_tag {
                encode_double_quoted_attribute(value)
            } else {
                encode_text(value)
            }
        }
        Some(match hole {
            Hole::Nonce => Cow::Borrowed(&*self.nonce),
            Hole::Here => Cow::Borrowed(&self.here),
            Hole::ViewerJson => Cow::Borrowed(&self.viewer_json),
            Hole::Name => escape(&badge()?.name, in_tag),
            Hole::Initials => escape(&badge()?.initials, in_tag),
            Hole::Colour => Cow::Borrowed(&badge()?.colour),
            Hole::AvatarUrl => encode_double_quoted_attribute(badge()?.avatar_url.as_deref()?),
        })
    }
}

/// The templates of one server process, and the markers they are rendered with.
pub struct PageCache {
    holes: Holes,
    /// The markers' common start (`porchhole<token>x`).
    prefix: String,
    entries: RwLock<HashMap<Key, Arc<Template>>>,
    bytes: AtomicUsize,
}

impl Default for PageCache {
    fn default() -> Self {
        Self::new()
    }
}

impl PageCache {
    /// Markers with a fresh random token: no one outside this process can write one.
    pub fn new() -> Self {
        let token = format!("{:032x}", tower_sessions::session::Id::default().0 as u128);
        let prefix = Holes::prefix(&token);
        Self {
            holes: Holes::new(&token),
            prefix,
            entries: RwLock::new(HashMap::new()),
            bytes: AtomicUsize::new(0),
        }
    }

    /// How many templates are kept.
    pub fn len(&self) -> usize {
        self.entries.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The view a template renders with: the request's preferences, a sentinel viewer of the
    /// slot's header variant, markers for everything per-response.
    fn template_view(&self, slot: &Slot, prefs: crate::model::Preferences) -> RequestView {
        let viewer = match slot.key.header {
            HeaderVariant::Guest => Ok(None),
            HeaderVariant::Member { admin, avatar } => Ok(Some(
                self.holes.user(if admin { Role::Admin } else { Role::User }, avatar),
            )),
        };
        RequestView {
            prefs,
            viewer,
            notices: Vec::new(),
            holes: Some(self.holes.clone()),
        }
    }

    /// Cuts a rendered page at its markers; `Err` gives the response back when it is not one to
    /// keep (another status, a header besides its type, not HTML).
    async fn cut(&self, response: Response) -> Result<Template, Response> {
        let keep = matches!(response.status(), StatusCode::OK | StatusCode::NOT_FOUND)
            && response.headers().keys().all(|name| {
                name == header::CONTENT_TYPE || name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING
            });
        let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
        let Some(content_type) = content_type.filter(|v| keep && v.as_bytes().starts_with(b"text/html")) else {
            return Err(response);
        };
        let status = response.status();
        let body = match axum::body::to_bytes(response.into_body(), usize::MAX).await {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(error = %e, "page body failed while it was read");
                return Err(AppError::internal("page body failed").into_response());
            }
        };
        let pieces = self.pieces(&body);
        let text_len = pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.len(),
                Piece::Hole(..) => 0,
            })
            .sum();
        Ok(Template {
            status,
            content_type,
            pieces,
            text_len,
        })
    }

    /// `body` as text between holes. A marker with an unknown index stays text (and so fails
    /// every response the template fills).
    fn pieces(&self, body: &Bytes) -> Vec<Piece> {
        let finder = memchr::memmem::Finder::new(self.prefix.as_bytes());
        let mut pieces = Vec::new();
        let mut start = 0;
        let mut from = 0;
        while let Some(found) = finder.find(&body[from..]) {
            let at = from + found;
            let after = at + self.prefix.len();
            let digits = body[after..].iter().take_while(|b| b.is_ascii_digit()).count();
            let hole = std::str::from_utf8(&body[after..after + digits])
                .ok()
                .and_then(|d| d.parse::<usize>().ok())
                .and_then(|i| Hole::ALL.get(i).copied())
                .filter(|_| body.get(after + digits) == Some(&b'z'));
            match hole {
                Some(hole) => {
                    if at > start {
                        pieces.push(Piece::Text(body.slice(start..at)));
                    }
                    // Inside a tag when its last `<` comes after its last `>`.
                    let before = &body[..at];
                    let in_tag = memchr::memrchr(b'<', before) > memchr::memrchr(b'>', before);
                    pieces.push(Piece::Hole(hole, in_tag));
                    start = after + digits + 1;
                    from = start;
                }
                None => from = after,
            }
        }
        if start < body.len() {
            pieces.push(Piece::Text(body.slice(start..)));
        }
        pieces
    }

    /// The template with this response's values. A hole this request has no value for, or a
    /// marker anywhere in the result, is a 500: never a page with a marker in it.
    fn fill(&self, template: &Template, values: &Values) -> Response {
        let page = match self.fill_body(template, values) {
            Ok(page) => page,
            Err(unfilled) => return unfilled.into_response(),
        };
        let mut response = Response::new(Body::from(page));
        *response.status_mut() = template.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, template.content_type.clone());
        response
    }

    /// The template's body with this response's values, or the error (a 500) to send instead.
    fn fill_body(&self, template: &Template, values: &Values) -> Result<Vec<u8>, AppError> {
        let mut page = Vec::with_capacity(template.text_len + 512);
        for piece in &template.pieces {
            match piece {
                Piece::Text(text) => page.extend_from_slice(text),
                Piece::Hole(hole, in_tag) => match values.get(*hole, *in_tag) {
                    Some(value) => page.extend_from_slice(value.as_bytes()),
                    None => return Err(self.unfilled(*hole)),
                },
            }
        }
        if memchr::memmem::find(&page, self.prefix.as_bytes()).is_some() {
            tracing::error!("a page left a marker unfilled; not sent");
            return Err(AppError::internal("unfilled page marker"));
        }
        Ok(page)
    }

    fn unfilled(&self, hole: Hole) -> AppError {
        tracing::error!(?hole, "a page needs a value this request does not have; not sent");
        AppError::internal("unfilled page hole")
    }

    fn get(&self, key: &Key) -> Option<Arc<Template>> {
        self.entries.read().get(key).cloned()
    }

    /// Keeps `template` unless the cache is full; returns it either way.
    fn insert(&self, key: Key, template: Template) -> Arc<Template> {
        let template = Arc::new(template);
        let size = template.text_len;
        let mut entries = self.entries.write();
        let fits = entries.len() < MAX_ENTRIES && self.bytes.load(Ordering::Relaxed) + size <= MAX_BYTES;
        if fits && !entries.contains_key(&key) {
            entries.insert(key, template.clone());
            self.bytes.fetch_add(size, Ordering::Relaxed);
        }
        template
    }
}

/// Answers `request` from its template, rendering the template first (with `render`) on a
/// miss. What `render` gives back that is not a page to keep is sent as it is, with this
/// request's values in its body.
pub async fn serve<F, Fut>(
    cache: &PageCache,
    metrics: &Metrics,
    slot: Slot,
    mut request: Request,
    render: F,
) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let (Some(PageRequest(view)), Some(nonce)) = (
        request.extensions().get::<PageRequest>().cloned(),
        request.extensions().get::<PageNonce>().cloned(),
    ) else {
        return render(request).await;
    };
    let values = Values::of(&view, &nonce, &request);
    if let Some(template) = cache.get(&slot.key) {
        metrics.count_page_cache(true);
        return cache.fill(&template, &values);
    }
    metrics.count_page_cache(false);
    let template_view = cache.template_view(&slot, view.prefs);
    request.extensions_mut().insert(PageRequest(Arc::new(template_view)));
    match cache.cut(render(request).await).await {
        Ok(template) => {
            let template = cache.insert(slot.key, template);
            cache.fill(&template, &values)
        }
        Err(response) => {
            // Not a page to keep (a redirect, an error): it was still rendered with markers.
            let (parts, body) = response.into_parts();
            let marked = parts
                .headers
                .values()
                .any(|v| memchr::memmem::find(v.as_bytes(), cache.prefix.as_bytes()).is_some());
            if marked {
                return cache.unfilled(Hole::Here).into_response();
            }
            match axum::body::to_bytes(body, usize::MAX).await {
                Ok(body) => {
                    let template = Template {
                        status: parts.status,
                        content_type: HeaderValue::from_static("text/html; charset=utf-8"),
                        pieces: cache.pieces(&body),
                        text_len: body.len(),
                    };
                    match cache.fill_body(&template, &values) {
                        Ok(body) => {
                            let mut parts = parts;
                            // Filling changed the length the body was sent with.
                            parts.headers.remove(header::CONTENT_LENGTH);
                            parts.headers.remove(header::TRANSFER_ENCODING);
                            Response::from_parts(parts, Body::from(body))
                        }
                        Err(unfilled) => unfilled.into_response(),
                    }
                }
                Err(_) => AppError::internal("page body failed").into_response(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str) -> Values {
        Values {
            nonce: "N0nce".into(),
            here: "/".into(),
            viewer_json: "{}".into(),
            badge: Some(Badge {
                name: name.to_owned(),
                initials: "AB".into(),
                colour: "3".into(),
                avatar_url: None,
            }),
        }
    }

    fn template(cache: &PageCache, html: &str) -> Template {
        let body = Bytes::from(html.to_owned());
        let pieces = cache.pieces(&body);
        Template {
            status: StatusCode::OK,
            content_type: HeaderValue::from_static("text/html; charset=utf-8"),
            pieces,
            text_len: html.len(),
        }
    }

    async fn text(response: Response) -> (StatusCode, String) {
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn holes_are_filled_escaped_for_where_they_stand() {
        let cache = PageCache::new();
        let h = cache.holes.clone();
        let html = format!(
            r#"<script nonce="{}"></script><span>{}</span><i class="c{}">{}</i><a href="{}">"#,
            h.nonce, h.name, h.colour, h.initials, h.here
        );
        let (status, page) = text(cache.fill(&template(&cache, &html), &values("<Ann & \"Bo\">"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            page,
            r#"<script nonce="N0nce"></script><span>&lt;Ann &amp; "Bo"&gt;</span><i class="c3">AB</i><a href="/">"#
        );
    }

    #[tokio::test]
    async fn a_name_inside_a_tag_is_escaped_as_an_attribute() {
        let cache = PageCache::new();
        let html = format!(r#"<img alt="{}"><b>{}</b>"#, cache.holes.name, cache.holes.name);
        let (_, page) = text(cache.fill(&template(&cache, &html), &values("x\" onerror=\"y"))).await;
        assert_eq!(page, r#"<img alt="x&quot; onerror=&quot;y"><b>x" onerror="y</b>"#);
    }

    #[test]
    fn only_plain_paths_share_the_404_template() {
        for plain in ["/nope", "/a/b-c_d.e~f", "/x.html"] {
            assert!(is_plain_path(plain), "{plain}");
        }
        for other in [
            "/./settings",
            "/x/../login",
            "//x/login",
            "/favicon%2Eico",
            "/caf\u{e9}",
            "/a b",
            "/a/",
        ] {
            assert!(!is_plain_path(other), "{other}");
        }
        assert_eq!(
            CachedRoute::of("/session/x", false),
            None,
            "the footer marks /session current"
        );
        assert_eq!(CachedRoute::of("/account/x", false), None);
        assert_eq!(CachedRoute::of("/nope", false), Some(CachedRoute::NotFound));
    }

    #[tokio::test]
    async fn a_marker_left_unfilled_fails_the_response() {
        let cache = PageCache::new();
        // A guest has no name: a template that needs one is never sent half-filled.
        let needs_name = template(&cache, &format!("<span>{}</span>", cache.holes.name));
        let mut guest = values("x");
        guest.badge = None;
        assert_eq!(
            text(cache.fill(&needs_name, &guest)).await.0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        // A marker with an index no hole has stays text, and fails every response.
        let unknown = template(&cache, &format!("<p>{}99z</p>", cache.prefix));
        let (status, page) = text(cache.fill(&unknown, &values("x"))).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!page.contains(&cache.prefix));
    }

    #[tokio::test]
    async fn a_value_that_looks_like_a_marker_is_only_a_value() {
        let cache = PageCache::new();
        let html = format!("<span>{}</span>", cache.holes.name);
        // Another process's markers (a different token) pass as text.
        let other = PageCache::new().holes.name;
        let (status, page) = text(cache.fill(&template(&cache, &html), &values(&other))).await;
        assert_eq!((status, page), (StatusCode::OK, format!("<span>{other}</span>")));
    }
}
