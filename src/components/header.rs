use leptos::prelude::*;
use leptos_router::components::A;

use crate::app::{full_page_load, Auth};

#[component]
pub fn Header() -> impl IntoView {
    let auth = expect_context::<Auth>();
    Effect::new(move |_| {
        if let Some(Ok(())) = auth.logout.value().get() {
            full_page_load("/");
        }
    });
    let account = move || {
        auth.user.get().map(|user| match user {
            Ok(Some(user)) => view! {
                <A href="/account" attr:class="user-name">{user.name}</A>
                <ActionForm action=auth.logout attr:class="inline-form">
                    <button type="submit" class="button secondary">"Sign out"</button>
                </ActionForm>
            }
            .into_any(),
            _ => view! {
                <A href="/login">"Sign in"</A>
                <A href="/register" attr:class="button">"Create account"</A>
            }
            .into_any(),
        })
    };
    view! {
        <header class="site-header">
            <nav class="container nav" aria-label="Main">
                <A href="/" attr:class="brand">"Porch"</A>
                <ul class="nav-links">
                    <li><A href="/">"Home"</A></li>
                </ul>
                <div class="account-nav">
                    <Transition fallback=|| ()>{account}</Transition>
                </div>
            </nav>
        </header>
    }
}
