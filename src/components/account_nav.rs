//! The tabs of the signed-in user's pages.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{context::use_locale, tr};

/// Profile, password, sessions and history, the current one marked.
#[component]
pub fn AccountNav() -> impl IntoView {
    let i18n = use_locale();
    view! {
        <nav class="tabs" aria-label=tr!(i18n, account.nav)>
            <A href="/account" exact=true>{tr!(i18n, account.tab_profile)}</A>
            <A href="/account/password">{tr!(i18n, account.tab_password)}</A>
            <A href="/account/sessions">{tr!(i18n, account.tab_sessions)}</A>
            <A href="/account/history">{tr!(i18n, account.tab_history)}</A>
            <A href="/account/security">{tr!(i18n, account.tab_security)}</A>
            <A href="/account/security-log">{tr!(i18n, account.tab_security_log)}</A>
        </nav>
    }
}
