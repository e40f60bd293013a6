//! The page for any path no route matches.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{context::use_locale, title, tr};

/// Rendered for any path no route matches, with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_locale();
    view! {
        <Title text=title!(i18n, not_found.title)/>
        <section class="notice">
            <h1>{tr!(i18n, not_found.title)}</h1>
            <p>{tr!(i18n, not_found.body)}</p>
            <p><A href="/">{tr!(i18n, not_found.home_link)}</A></p>
        </section>
    }
}
