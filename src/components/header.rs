//! The site header: the brand, the main links, the theme switch and the account links.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    components::avatar::Avatar,
    context::use_locale,
    context::{full_page_load, use_current_path, Auth, CurrentPreferences},
    model::{Role, Theme},
    server_fns::preferences::SetTheme,
    tr,
};

/// Three small forms, one per theme: they work as plain posts and, with JavaScript, switch in
/// place.
#[component]
fn ThemeSwitch() -> impl IntoView {
    let current = expect_context::<CurrentPreferences>();
    let i18n = use_locale();
    let set_theme = ServerAction::<SetTheme>::new();
    let here = use_current_path();
    Effect::new(move |_| {
        if let Some(Ok(prefs)) = set_theme.value().get() {
            current.0.set(prefs);
        }
    });
    let options = [(Theme::Light, "☀"), (Theme::Dark, "☾"), (Theme::System, "◐")];
    view! {
        <div class="theme-switch" role="group" aria-label=tr!(i18n, theme.label)>
            {options
                .into_iter()
                .map(|(theme, icon)| {
                    let label = move || theme.label(current.0.get().language);
                    view! {
                        <ActionForm action=set_theme attr:class="inline-form">
                            <input type="hidden" name="theme" value=theme.as_str()/>
                            <input type="hidden" name="back" value=here/>
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
    let i18n = use_locale();
    Effect::new(move |_| {
        if let Some(Ok(())) = auth.logout.value().get() {
            full_page_load("/");
        }
    });
    let account = move || {
        auth.user.get().map(|user| match user {
            Ok(Some(user)) => view! {
                {(user.role == Role::Admin).then(|| view! { <A href="/admin">{tr!(i18n, nav.admin)}</A> })}
                <A href="/account" attr:class="user-name">
                    <Avatar user=user.clone() size=28 decorative=true/>
                    <span>{user.name}</span>
                </A>
                <ActionForm action=auth.logout attr:class="inline-form">
                    <button type="submit" class="button secondary">{tr!(i18n, nav.sign_out)}</button>
                </ActionForm>
            }
            .into_any(),
            _ => view! {
                <A href="/login">{tr!(i18n, nav.sign_in)}</A>
                <A href="/register" attr:class="button">{tr!(i18n, nav.create_account)}</A>
            }
            .into_any(),
        })
    };
    view! {
        <header class="site-header">
            <nav class="container nav" aria-label=tr!(i18n, nav.main)>
                <A href="/" attr:class="brand">"Porch"</A>
                <ul class="nav-links">
                    <li><A href="/">{tr!(i18n, nav.home)}</A></li>
                    <li><A href="/settings">{tr!(i18n, nav.settings)}</A></li>
                </ul>
                <ThemeSwitch/>
                <div class="account-nav">
                    <Transition fallback=|| ()>{account}</Transition>
                </div>
            </nav>
        </header>
    }
}
