//! Client-side navigations counted as page views.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{model::activity::SESSION_PATH, server_fns::activity::TrackPage};

/// Records each client-side navigation through a server function. A page the server rendered
/// was recorded by the session middleware when it was requested, so the first location (the
/// one hydration starts on) is skipped: every view counts once, with or without JavaScript.
/// Tracking is best-effort; a failure changes nothing on the page.
#[component]
pub fn PageViewTracker() -> impl IntoView {
    let location = use_location();
    let track = ServerAction::<TrackPage>::new();
    // Effects run only in the browser.
    Effect::new(move |previous: Option<(String, String)>| {
        let here = (location.pathname.get(), location.search.get());
        let moved = previous.is_some_and(|previous| previous != here);
        // "This session" records its own visits along with reading them.
        if moved && here.0 != SESSION_PATH {
            track.dispatch(TrackPage { page: here.0.clone() });
        }
        here
    });
}
