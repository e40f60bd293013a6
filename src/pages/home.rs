//! The home page.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{context::use_locale, tr};

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_locale();
    view! {
        <Title text=""/>
        <section class="hero">
            <h1>{tr!(i18n, home.heading)}</h1>
            <p class="lead">{tr!(i18n, home.lead)}</p>
        </section>
        <section class="cards" aria-label=tr!(i18n, home.features)>
            <article class="card">
                <h2>{tr!(i18n, home.sessions_title)}</h2>
                <p>{tr!(i18n, home.sessions_body)}</p>
            </article>
            <article class="card">
                <h2>{tr!(i18n, home.preferences_title)}</h2>
                <p>{tr!(i18n, home.preferences_body)}</p>
            </article>
            <article class="card">
                <h2>{tr!(i18n, home.no_js_title)}</h2>
                <p>{tr!(i18n, home.no_js_body)}</p>
            </article>
        </section>
    }
}
