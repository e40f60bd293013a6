//! What every page and component reads from the page around it: the request it renders for
//! ([`PageRequest`]), the signed-in user ([`Auth`]), the preferences the page renders with ([`CurrentPreferences`]),
//! the page's locale ([`use_locale`]), and small hooks over the location. [`provide`] is called
//! once, by the root component; pages and components read, and nothing here knows of them.

use std::sync::Arc;

use leptos::prelude::*;

use crate::{
    i18n::Locale,
    model::{
        request_view::{viewer_json, Badge},
        Preferences, RequestView, User, Viewer,
    },
};

/// Provides every context of this module for the page; returns the preferences signal, which
/// the root component also writes into the `<html>` attributes.
pub fn provide() -> RwSignal<Preferences> {
    let view = PageRequest::current();
    provide_context(Auth {
        user: RwSignal::new(view.0.viewer.clone()),
    });
    let prefs = RwSignal::new(view.0.prefs);
    provide_context(view);
    provide_context(CurrentPreferences(prefs));
    let locale = Signal::derive(move || prefs.get().language.locale());
    provide_context(PageLocale(locale));
    prefs
}

/// The request the page renders for ([`RequestView`]), one shared copy. On the server the page
/// middleware puts it in the request and the app's context takes it from there
/// (`server::page`); in the browser it is read back from what the server wrote.
#[derive(Debug, Clone)]
pub struct PageRequest(pub Arc<RequestView>);

impl PageRequest {
    fn current() -> Self {
        #[cfg(feature = "ssr")]
        {
            use_context::<PageRequest>().unwrap_or_else(|| PageRequest(Arc::default()))
        }
        #[cfg(not(feature = "ssr"))]
        {
            PageRequest(Arc::new(from_document()))
        }
    }
}

/// The request view as the server rendered it: preferences from the `<html>` attributes, the
/// viewer from the header's `data-user`, notices from `data-notices`.
#[cfg(not(feature = "ssr"))]
fn from_document() -> RequestView {
    use crate::model::{request_view::parse_viewer_json, Language, Theme};
    let document = document();
    let root = document.document_element();
    let attr = |name: &str| root.as_ref().and_then(|r| r.get_attribute(name)).unwrap_or_default();
    let data = |selector: &str, name: &str| {
        document
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|element| element.get_attribute(name))
    };
    RequestView {
        prefs: Preferences {
            theme: Theme::parse(&attr("data-theme")).unwrap_or_default(),
            language: Language::parse(&attr("lang")).unwrap_or_default(),
            notifications: attr("data-notifications") != "off",
        },
        viewer: data("[data-user]", "data-user")
            .map(|json| parse_viewer_json(&json))
            .unwrap_or(Ok(None)),
        notices: data("[data-notices]", "data-notices")
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default(),
        holes: None,
    }
}

/// The request's locale, read from the request view (shared data, not a signal): what
/// [`tr!`](crate::tr) writes on the server.
pub fn page_locale() -> Locale {
    use_request_view().prefs.language.locale()
}

/// The request view of this page.
pub fn use_request_view() -> Arc<RequestView> {
    use_context::<PageRequest>().map(|page| page.0).unwrap_or_default()
}

/// The signed-in user, shared by the header and the pages: from the request, never fetched.
/// Pages that change the user (profile, avatar) set it; signing in or out loads a new page.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: RwSignal<Viewer>,
}

/// How `user` is shown beside their name: while a cached page's template renders, as markers.
pub fn badge(user: &User) -> Badge {
    match &use_request_view().holes {
        Some(holes) => Badge::holes(holes, user),
        None => Badge::of(user),
    }
}

/// The `data-user` attribute the browser reads the viewer back from (a marker in a template).
pub fn viewer_attribute() -> String {
    let view = use_request_view();
    match &view.holes {
        Some(holes) => holes.viewer_json.clone(),
        None => viewer_json(&view.viewer),
    }
}

/// The preferences the page renders with: from the request (resolved by `server::page` before
/// rendering) on the server, from the `<html>` attributes the server wrote in the browser.
#[derive(Clone, Copy)]
pub struct CurrentPreferences(pub RwSignal<Preferences>);

/// The page's locale, made once by [`App`]: owned by the app's root, it lives as long as the
/// page. (A signal made per component died with its component, and the `<Title>` text that
/// read it was still called after that while the server wrote the `<head>`: a panic, seen under
/// concurrent requests.)
#[derive(Clone, Copy)]
struct PageLocale(Signal<Locale>);

/// The locale every translated text on the page follows (see [`tr!`](crate::tr)): the
/// preferences' language, so a saved change re-renders the page in place.
pub fn use_locale() -> Signal<Locale> {
    expect_context::<PageLocale>().0
}

/// Loads `path` as a new document: after signing in or out everything on the page depends on
/// who is signed in, and a fresh server render gets all of it right at once.
pub fn full_page_load(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// The current path with its query, as the URL has it (`/account/history?note=caf%C3%A9`): the
/// way back here that a form sends. The closure tracks the location when read reactively.
pub fn use_current_path() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let location = leptos_router::hooks::use_location();
    let (pathname, search) = (location.pathname, location.search);
    // In a cached page's template the path is a marker, filled in per response.
    let marker = use_request_view()
        .holes
        .as_ref()
        .map(|holes| StoredValue::new(holes.here.clone()));
    move || {
        if let Some(marker) = marker {
            return marker.get_value();
        }
        let (path, query) = (pathname.get(), search.get());
        if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        }
    }
}
