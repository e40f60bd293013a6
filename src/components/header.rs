use leptos::prelude::*;
use leptos_router::components::A;

use leptos_router::hooks::use_location;

use crate::{
    api::preferences::SetTheme,
    app::{full_page_load, Auth, CurrentPreferences},
    model::Theme,
};

/// Three small forms, one per theme: they work as plain posts and, with JavaScript, switch in
/// place.
#[component]
fn ThemeSwitch() -> impl IntoView {
    let current = expect_context::<CurrentPreferences>();
    let set_theme = ServerAction::<SetTheme>::new();
    let location = use_location();
    Effect::new(move |_| {
        if let Some(Ok(prefs)) = set_theme.value().get() {
            current.0.set(prefs);
        }
    });
    let options = [
        (Theme::Light, "Light", "☀"),
        (Theme::Dark, "Dark", "☾"),
        (Theme::System, "System", "◐"),
    ];
    view! {
        <div class="theme-switch" role="group" aria-label="Theme">
            {options
                .into_iter()
                .map(|(theme, label, icon)| {
                    view! {
                        <ActionForm action=set_theme attr:class="inline-form">
                            <input type="hidden" name="theme" value=theme.as_str()/>
                            <input type="hidden" name="back" value=move || location.pathname.get()/>
                            <button
                                type="submit"
                                class="theme-button"
                                title=label
                                aria-label=label
                                aria-pressed=move || if current.0.get().theme == theme { "true" } else { "false" }
                            >
                                <span aria-hidden="true">{icon}</span>
                            </button>
                        </ActionForm>
                    }
                })
                .collect_view()}
        </div>
    }
}

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
                    <li><A href="/settings">"Settings"</A></li>
                </ul>
                <ThemeSwitch/>
                <div class="account-nav">
                    <Transition fallback=|| ()>{account}</Transition>
                </div>
            </nav>
        </header>
    }
}
