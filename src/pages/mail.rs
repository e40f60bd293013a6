//! The pages of the flows that go through mail: asking for a reset link, the pages mailed
//! links open (a new password; confirming an address), and the account page's address section.
//! A link's page only reads its token; the button on it uses the token up (mail scanners and
//! link previews fetch links, and must not spend them). Every form works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{
        error_notice::ErrorNotice,
        form::{Field, FormMessage, FormState},
    },
    context::{full_page_load, use_locale, CurrentPreferences},
    model::{EmailStatus, LinkKind, Msg},
    server_fns::{
        auth::take_form_feedback,
        mail::{
            check_link, read_email_status, ChangeEmail, ConfirmEmail, ForgotPassword, ResendVerification,
            ResetPassword, RESET_DONE,
        },
    },
    title, tr,
};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let i18n = use_locale();
    let action = ServerAction::<ForgotPassword>::new();
    let feedback = Resource::new(|| (), |_| take_form_feedback("forgot".into()));
    let state = FormState::new(action, feedback, Some(Msg::ResetMailSent));
    view! {
        <Title text=title!(i18n, forgot.title)/>
        <section class="form-page">
            <h1>{tr!(i18n, forgot.title)}</h1>
            <p class="lead">{tr!(i18n, forgot.lead)}</p>
            <Transition fallback=|| ()>
                <FormMessage state/>
                <ActionForm action attr:class="stack" attr:novalidate=true>
                    <Field label=tr!(i18n, fields.email) name="email" kind="email" autocomplete="email" value=state.value("email") error=state.field_error("email")/>
                    <button type="submit" class="button">{tr!(i18n, forgot.submit)}</button>
                </ActionForm>
            </Transition>
            <p class="aside">{tr!(i18n, forgot.remembered)} " " <a href="/login">{tr!(i18n, forgot.sign_in_link)}</a></p>
        </section>
    }
}

/// What a link's page shows when its token no longer works.
#[component]
fn DeadLink(
    #[prop(into)] title: Signal<&'static str>,
    again: &'static str,
    #[prop(into)] again_label: Signal<&'static str>,
) -> impl IntoView {
    let current = expect_context::<CurrentPreferences>();
    view! {
        <h1>{title}</h1>
        <p class="message error" role="alert">{move || Msg::LinkInvalid.text(current.0.get().language)}</p>
        <p><a class="button secondary" href=again>{again_label}</a></p>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let i18n = use_locale();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let link = Resource::new(token, check_link);
    let action = ServerAction::<ResetPassword>::new();
    let feedback = Resource::new(|| (), |_| take_form_feedback("reset".into()));
    let state = FormState::new(action, feedback, None);
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            full_page_load(RESET_DONE);
        }
    });
    view! {
        <Title text=title!(i18n, reset.title)/>
        <section class="form-page">
            <Transition fallback=|| ()>
                {move || link.get().map(|found| match found {
                    Ok(Some(LinkKind::PasswordReset)) => view! {
                        <h1>{tr!(i18n, reset.title)}</h1>
                        <p class="lead">{tr!(i18n, reset.lead)}</p>
                        <FormMessage state/>
                        <ActionForm action attr:class="stack" attr:novalidate=true>
                            <input type="hidden" name="token" value=token/>
                            <Field label=tr!(i18n, fields.new_password) name="new_password" kind="password" autocomplete="new-password" minlength=8 maxlength=128 error=state.field_error("newPassword")/>
                            <button type="submit" class="button">{tr!(i18n, reset.submit)}</button>
                        </ActionForm>
                    }.into_any(),
                    Ok(_) => view! {
                        <DeadLink title=tr!(i18n, reset.invalid_title) again="/password/forgot" again_label=tr!(i18n, reset.ask_again)/>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let i18n = use_locale();
    let current = expect_context::<CurrentPreferences>();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let done = move || query.read().get("done");
    let link = Resource::new(token, check_link);
    let action = ServerAction::<ConfirmEmail>::new();
    let feedback = Resource::new(|| (), |_| take_form_feedback("verify".into()));
    let state = FormState::new(action, feedback, None);
    let language = move || current.0.get().language;
    // After the button (or the redirect of a plain form post): what happened.
    let finished = move || match (action.value().get(), done().as_deref()) {
        (Some(Ok(LinkKind::EmailChange)), _) | (None, Some("changed")) => Some(Msg::EmailChanged),
        (Some(Ok(LinkKind::EmailRevert)), _) | (None, Some("reverted")) => Some(Msg::EmailReverted),
        (Some(Ok(LinkKind::SignInUnlock)), _) | (None, Some("unlocked")) => Some(Msg::SignInResumed),
        (Some(Ok(_)), _) | (None, Some("verified")) => Some(Msg::EmailVerified),
        _ => None,
    };
    view! {
        <Title text=title!(i18n, verify.title)/>
        <section class="form-page">
            <Transition fallback=|| ()>
                {move || match finished() {
                    Some(msg) => view! {
                        <h1>{tr!(i18n, verify.title)}</h1>
                        <p class="message notice" role="status">{move || msg.text(language())}</p>
                        <p><a class="button" href="/account">{tr!(i18n, verify.to_account)}</a></p>
                    }.into_any(),
                    None => link.get().map(|found| match found {
                        Ok(Some(kind @ (LinkKind::EmailVerification | LinkKind::EmailChange | LinkKind::EmailRevert | LinkKind::SignInUnlock))) => view! {
                            <h1>{tr!(i18n, verify.title)}</h1>
                            <p class="lead">{move || match kind {
                                LinkKind::EmailChange => crate::i18n::td_string!(i18n.get(), verify.lead_change),
                                LinkKind::EmailRevert => crate::i18n::td_string!(i18n.get(), verify.lead_revert),
                                LinkKind::SignInUnlock => crate::i18n::td_string!(i18n.get(), verify.lead_unlock),
                                _ => crate::i18n::td_string!(i18n.get(), verify.lead_verify),
                            }}</p>
                            <FormMessage state/>
                            <ActionForm action attr:class="stack">
                                <input type="hidden" name="token" value=token/>
                                <button type="submit" class="button">{tr!(i18n, verify.submit)}</button>
                            </ActionForm>
                        }.into_any(),
                        Ok(_) => view! {
                            <DeadLink title=tr!(i18n, verify.invalid_title) again="/account#email" again_label=tr!(i18n, verify.to_account)/>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }).into_any(),
                }}
            </Transition>
        </section>
    }
}

/// The account page's address forms and what they read. Made once, at the top of the page:
/// the page's signed-in part is built more than once on the server while it waits, and a
/// form's one-time feedback must be taken by one resource, not lost to an earlier build.
#[derive(Clone, Copy)]
pub struct EmailForms {
    resend: ServerAction<ResendVerification>,
    resend_state: FormState,
    change: ServerAction<ChangeEmail>,
    change_state: FormState,
    status: Resource<Result<EmailStatus, crate::error::AppError>>,
}

impl Default for EmailForms {
    fn default() -> Self {
        Self::new()
    }
}

impl EmailForms {
    pub fn new() -> Self {
        let resend = ServerAction::<ResendVerification>::new();
        let resend_feedback = Resource::new(|| (), |_| take_form_feedback("verification".into()));
        let resend_state = FormState::new(resend, resend_feedback, Some(Msg::VerificationSent));
        let change = ServerAction::<ChangeEmail>::new();
        let change_feedback = Resource::new(|| (), |_| take_form_feedback("email".into()));
        let change_state = FormState::new(change, change_feedback, Some(Msg::EmailChangeSent));
        let status = Resource::new(move || change.version().get(), |_| read_email_status());
        Self {
            resend,
            resend_state,
            change,
            change_state,
            status,
        }
    }
}

/// The account page's address section: the address, whether it is verified ("Send the link
/// again" when not), an address waiting for confirmation, and the "Change email" form.
#[component]
pub fn EmailSection(forms: EmailForms) -> impl IntoView {
    let i18n = use_locale();
    let EmailForms {
        resend,
        resend_state,
        change,
        change_state,
        status,
    } = forms;
    view! {
        <h2 id="email">{tr!(i18n, account.email_heading)}</h2>
        <Transition fallback=|| ()>
            {move || status.get().map(|found| match found {
                Ok(EmailStatus { email, verified, pending }) => view! {
                    <p data-testid="email-status">
                        <span>{email}</span> " "
                        {if verified {
                            view! { <span class="badge ok">{tr!(i18n, account.verified)}</span> }.into_any()
                        } else {
                            view! { <span class="badge warn">{tr!(i18n, account.unverified)}</span> }.into_any()
                        }}
                    </p>
                    {pending.map(|address| view! {
                        <p class="hint" data-testid="email-pending">{tr!(i18n, account.pending)} " " <span>{address}</span></p>
                    })}
                    <FormMessage state=resend_state/>
                    {(!verified).then(|| view! {
                        <ActionForm action=resend attr:class="inline-form">
                            <button type="submit" class="button secondary">{tr!(i18n, account.send_again)}</button>
                        </ActionForm>
                    })}
                }.into_any(),
                Err(error) => view! { <ErrorNotice error/> }.into_any(),
            })}
        </Transition>
        <section aria-labelledby="change-email">
            <h3 id="change-email">{tr!(i18n, account.change_email)}</h3>
            <FormMessage state=change_state/>
            <ActionForm action=change attr:class="stack" attr:novalidate=true>
                <Field label=tr!(i18n, fields.new_email) name="email" id="change-email-address" kind="email" autocomplete="email" value=change_state.value("email") error=change_state.field_error("email")/>
                <Field label=tr!(i18n, fields.current_password) name="password" id="change-email-password" kind="password" autocomplete="current-password" error=change_state.field_error("password")/>
                <button type="submit" class="button">{tr!(i18n, account.change_email_submit)}</button>
            </ActionForm>
        </section>
    }
}
