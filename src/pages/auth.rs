//! Signing in and creating an account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    components::form::{Field, FormMessage, FormState},
    context::use_locale,
    context::{full_page_load, Auth},
    model::{safe_next, with_next},
    server_fns::auth::take_form_feedback,
    title, tr,
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let i18n = use_locale();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let feedback = Resource::new(|| (), |_| take_form_feedback("login".into()));
    let state = FormState::new(auth.login, feedback, None);
    Effect::new(move |_| {
        if let Some(Ok(())) = auth.login.value().get() {
            full_page_load(safe_next(Some(&next())));
        }
    });
    view! {
        <Title text=title!(i18n, login.title)/>
        <section class="form-page">
            <h1>{tr!(i18n, login.title)}</h1>
            <Transition fallback=|| ()>
                <FormMessage state/>
                <ActionForm action=auth.login attr:class="stack" attr:novalidate=true>
                    <Field label=tr!(i18n, fields.email) name="email" kind="email" autocomplete="email" value=state.value("email") error=state.field_error("email")/>
                    <Field label=tr!(i18n, fields.password) name="password" kind="password" autocomplete="current-password" error=state.field_error("password")/>
                    <input type="hidden" name="next" value=next/>
                    <button type="submit" class="button">{tr!(i18n, login.submit)}</button>
                </ActionForm>
            </Transition>
            <p class="aside">{tr!(i18n, login.new_here)} " " <A href=move || with_next("/register", Some(&next()))>{tr!(i18n, login.create_link)}</A></p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let i18n = use_locale();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let feedback = Resource::new(|| (), |_| take_form_feedback("register".into()));
    let state = FormState::new(auth.register, feedback, None);
    Effect::new(move |_| {
        if let Some(Ok(())) = auth.register.value().get() {
            full_page_load(safe_next(Some(&next())));
        }
    });
    view! {
        <Title text=title!(i18n, register.title)/>
        <section class="form-page">
            <h1>{tr!(i18n, register.title)}</h1>
            <Transition fallback=|| ()>
                <FormMessage state/>
                <ActionForm action=auth.register attr:class="stack" attr:novalidate=true>
                    <Field label=tr!(i18n, fields.name) name="name" autocomplete="name" maxlength=100 value=state.value("name") error=state.field_error("name")/>
                    <Field label=tr!(i18n, fields.email) name="email" kind="email" autocomplete="email" value=state.value("email") error=state.field_error("email")/>
                    <Field label=tr!(i18n, fields.password) name="password" kind="password" autocomplete="new-password" minlength=8 maxlength=128 error=state.field_error("password")/>
                    <p class="hint">{tr!(i18n, register.password_hint)}</p>
                    <input type="hidden" name="next" value=next/>
                    <button type="submit" class="button">{tr!(i18n, register.submit)}</button>
                </ActionForm>
            </Transition>
            <p class="aside">{tr!(i18n, register.have_account)} " " <A href=move || with_next("/login", Some(&next()))>{tr!(i18n, register.sign_in_link)}</A></p>
        </section>
    }
}
