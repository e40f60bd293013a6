use leptos::prelude::*;

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container">
                <p>"Porch: accounts, sessions and preferences."</p>
            </div>
        </footer>
    }
}
