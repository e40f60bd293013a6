//! The site header: the brand, the main links, the theme switch and the account links.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{
    components::avatar::Avatar,
    context::use_locale,
    context::{badge, full_page_load, use_current_path, viewer_attribute, Auth, CurrentPreferences},
    model::{location::is_current, Role, Theme},
    server_fns::{auth::Logout, preferences::SetTheme},
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

/// A header link, `aria-current="page"` where it leads to the page shown or to one under it
/// (as the router's `<A>` marks it). A plain `<a>`: in the browser the router takes clicks on
/// any link of the site.
#[component]
fn NavLink(href: &'static str, #[prop(optional)] class: Option<&'static str>, children: Children) -> impl IntoView {
    let pathname = use_location().pathname;
    view! {
        <a href=href class=class aria-current=move || pathname.with(|path| is_current(href, path)).then_some("page")>
            {children()}
        </a>
    }
}

#[component]
pub fn Header() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let i18n = use_locale();
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            full_page_load("/");
        }
    });
    let account = move || match auth.user.get() {
        Ok(Some(user)) => {
            let badge = badge(&user);
            view! {
                {(user.role == Role::Admin).then(|| view! { <NavLink href="/admin">{tr!(i18n, nav.admin)}</NavLink> })}
                <NavLink href="/account" class="user-name">
                    <Avatar badge=badge.clone() size=28 decorative=true/>
                    <span>{badge.name}</span>
                </NavLink>
                <ActionForm action=logout attr:class="inline-form">
                    <button type="submit" class="button secondary">{tr!(i18n, nav.sign_out)}</button>
                </ActionForm>
            }
            .into_any()
        }
        _ => view! {
            <NavLink href="/login">{tr!(i18n, nav.sign_in)}</NavLink>
            <NavLink href="/register" class="button">{tr!(i18n, nav.create_account)}</NavLink>
        }
        .into_any(),
    };
    view! {
        <header class="site-header">
            <nav class="container nav" aria-label=tr!(i18n, nav.main)>
                <NavLink href="/" class="brand">"Porch"</NavLink>
                <ul class="nav-links">
                    <li><NavLink href="/">{tr!(i18n, nav.home)}</NavLink></li>
                    <li><NavLink href="/settings">{tr!(i18n, nav.settings)}</NavLink></li>
                </ul>
                <ThemeSwitch/>
                // The viewer, read back by the browser (`context::provide`) so hydration starts
                // from exactly what was rendered.
                <div class="account-nav" data-user=viewer_attribute()>{account}</div>
            </nav>
        </header>
    }
}
