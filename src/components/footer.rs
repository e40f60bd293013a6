use leptos::prelude::*;

use crate::{app::use_locale, tr};

#[component]
pub fn Footer() -> impl IntoView {
    let i18n = use_locale();
    view! {
        <footer class="site-footer">
            <div class="container">
                <p>{tr!(i18n, footer.tagline)}</p>
            </div>
        </footer>
    }
}
