//! Signing in and creating an account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    components::form::{Field, FormMessage, FormState},
    context::use_locale,
    context::{full_page_load, CurrentPreferences},
    model::{safe_next, with_next, Msg},
    server_fns::auth::{take_form_feedback, Login, Register, SECOND_STEP_PATH, VERIFY_FIRST},
    title, tr,
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let i18n = use_locale();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let feedback = Resource::new(|| (), |_| take_form_feedback("login".into()));
    let state = FormState::new(login, feedback, None);
    let current = expect_context::<CurrentPreferences>();
    // Arrived from a finished password reset (`/login?reset=done`), or from a registration
    // whose address must be verified first (`/login?verify=sent`).
    let arrival = move || {
        let query = query.read();
        if query.get("reset").as_deref() == Some("done") {
            Some(Msg::PasswordReset)
        } else if query.get("verify").as_deref() == Some("sent") {
            Some(Msg::EmailUnverified)
        } else {
            None
        }
    };
    Effect::new(move |_| {
        match login.value().get() {
            Some(Ok(true)) => full_page_load(safe_next(Some(&next()))),
            // The account has a second factor: its code next.
            Some(Ok(false)) => full_page_load(&with_next(SECOND_STEP_PATH, Some(&next()))),
            _ => {}
        }
    });
    view! {
        <Title text=title!(i18n, login.title)/>
        <section class="form-page">
            <h1>{tr!(i18n, login.title)}</h1>
            {move || arrival().filter(|_| state.error.get().is_none()).map(|msg| view! {
                <p class="message notice" role="status">{move || msg.text(current.0.get().language)}</p>
            })}
            <Transition fallback=|| ()>
                <FormMessage state/>
                <ActionForm action=login attr:class="stack" attr:novalidate=true>
                    <Field label=tr!(i18n, fields.email) name="email" kind="email" autocomplete="email" value=state.value("email") error=state.field_error("email")/>
                    <Field label=tr!(i18n, fields.password) name="password" kind="password" autocomplete="current-password" error=state.field_error("password")/>
                    <input type="hidden" name="next" value=next/>
                    <button type="submit" class="button">{tr!(i18n, login.submit)}</button>
                </ActionForm>
            </Transition>
            // Offered only when the script runs and the browser can use passkeys.
            <div class="passkey-sign-in" data-passkey-area hidden>
                <p class="aside">{tr!(i18n, login.or)}</p>
                <p class="message error" role="alert" data-passkey-error hidden></p>
                <button type="button" class="button secondary" data-passkey-sign-in data-next=move || safe_next(Some(&next())).to_owned()>
                    {tr!(i18n, login.passkey)}
                </button>
            </div>
            <script type="module" src="/passkeys.js"></script>
            <p class="aside"><a href="/password/forgot">{tr!(i18n, login.forgot_link)}</a></p>
            <p class="aside">{tr!(i18n, login.new_here)} " " <A href=move || with_next("/register", Some(&next()))>{tr!(i18n, login.create_link)}</A></p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = ServerAction::<Register>::new();
    let i18n = use_locale();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let feedback = Resource::new(|| (), |_| take_form_feedback("register".into()));
    let state = FormState::new(register, feedback, None);
    Effect::new(move |_| match register.value().get() {
        Some(Ok(true)) => full_page_load(safe_next(Some(&next()))),
        Some(Ok(false)) => full_page_load(VERIFY_FIRST),
        _ => {}
    });
    view! {
        <Title text=title!(i18n, register.title)/>
        <section class="form-page">
            <h1>{tr!(i18n, register.title)}</h1>
            <Transition fallback=|| ()>
                <FormMessage state/>
                <ActionForm action=register attr:class="stack" attr:novalidate=true>
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
