//! Signing in and creating an account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    api::auth::take_form_feedback,
    app::{full_page_load, Auth},
    components::form::{Field, FormMessage, FormState},
    model::safe_next,
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
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
        <Title text="Sign in"/>
        <section class="form-page">
            <h1>"Sign in"</h1>
            <Transition fallback=|| ()>
                <FormMessage state/>
                <ActionForm action=auth.login attr:class="stack" attr:novalidate=true>
                    <Field label="Email" name="email" kind="email" autocomplete="email" value=state.value("email") error=state.field_error("email")/>
                    <Field label="Password" name="password" kind="password" autocomplete="current-password" error=state.field_error("password")/>
                    <input type="hidden" name="next" value=next/>
                    <button type="submit" class="button">"Sign in"</button>
                </ActionForm>
            </Transition>
            <p class="aside">"New here? " <A href="/register">"Create an account"</A></p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let feedback = Resource::new(|| (), |_| take_form_feedback("register".into()));
    let state = FormState::new(auth.register, feedback, None);
    Effect::new(move |_| {
        if let Some(Ok(())) = auth.register.value().get() {
            full_page_load("/account");
        }
    });
    view! {
        <Title text="Create account"/>
        <section class="form-page">
            <h1>"Create account"</h1>
            <Transition fallback=|| ()>
                <FormMessage state/>
                <ActionForm action=auth.register attr:class="stack" attr:novalidate=true>
                    <Field label="Name" name="name" autocomplete="name" maxlength=100 value=state.value("name") error=state.field_error("name")/>
                    <Field label="Email" name="email" kind="email" autocomplete="email" value=state.value("email") error=state.field_error("email")/>
                    <Field label="Password" name="password" kind="password" autocomplete="new-password" minlength=8 maxlength=128 error=state.field_error("password")/>
                    <p class="hint">"At least 8 characters. A few words you will remember work well."</p>
                    <button type="submit" class="button">"Create account"</button>
                </ActionForm>
            </Transition>
            <p class="aside">"Already have an account? " <A href="/login">"Sign in"</A></p>
        </section>
    }
}
