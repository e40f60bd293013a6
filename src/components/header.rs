use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <nav class="container nav" aria-label="Main">
                <A href="/" attr:class="brand">"Porch"</A>
                <ul class="nav-links">
                    <li><A href="/">"Home"</A></li>
                </ul>
            </nav>
        </header>
    }
}
