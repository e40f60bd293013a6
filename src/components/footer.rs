//! The site footer: the links every page carries.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{context::use_locale, tr};

#[component]
pub fn Footer() -> impl IntoView {
    let i18n = use_locale();
    view! {
        <footer class="site-footer">
            <div class="container">
                <p>{tr!(i18n, footer.tagline)}</p>
                <p><A href="/session">{tr!(i18n, nav.this_session)}</A></p>
            </div>
        </footer>
    }
}
