//! Paging links for lists read by offset or cursor.

use leptos::prelude::*;

/// "Newer" and "Older" links, each shown only where there is something to go to.
#[component]
pub fn Pager(
    #[prop(into)] label: Signal<&'static str>,
    newer: Option<String>,
    #[prop(into)] newer_text: Signal<&'static str>,
    older: Option<String>,
    #[prop(into)] older_text: Signal<&'static str>,
) -> impl IntoView {
    (newer.is_some() || older.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label=label>
                // Plain links (the router still handles them): `<A>` would mark each as the
                // current page, since only the query differs.
                {newer.map(|href| view! { <a href=href rel="prev">"← " {newer_text}</a> })}
                {older.map(|href| view! { <a href=href rel="next" class="older">{older_text} " →"</a> })}
            </nav>
        }
    })
}
