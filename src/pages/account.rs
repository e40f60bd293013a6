//! The signed-in user's pages: profile, password, devices.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::{
        account_nav::AccountNav,
        avatar::Avatar,
        error_notice::ErrorNotice,
        form::{Field, FormMessage, FormState},
        require_user::RequireUser,
    },
    context::{badge, full_page_load, use_locale, Auth, CurrentPreferences},
    model::{format, DeviceSession, Msg, SessionSummary, User},
    pages::mail::{EmailForms, EmailSection},
    server_fns::auth::{
        list_sessions, sessions_summary, take_form_feedback, ChangePassword, DeleteAccount, LogoutEverywhere,
        RemoveAvatar, RevokeSession, SignOutOthers, UpdateProfile,
    },
    title, tr,
};

#[component]
pub fn AccountPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let update_profile = ServerAction::<UpdateProfile>::new();
    let remove_avatar = ServerAction::<RemoveAvatar>::new();
    // The header and this page show the user as the server now has it.
    Effect::new(move |_| {
        for changed in [update_profile.value().get(), remove_avatar.value().get()] {
            if let Some(Ok(user)) = changed {
                auth.user.set(Ok(Some(user)));
            }
        }
    });
    let feedback = Resource::new(|| (), |_| take_form_feedback("profile".into()));
    let state = FormState::new(update_profile, feedback, Some(Msg::ProfileSaved));
    let avatar_feedback = Resource::new(|| (), |_| take_form_feedback("avatar".into()));
    let avatar_state = FormState::new(remove_avatar, avatar_feedback, Some(Msg::AvatarRemoved));
    let email_forms = EmailForms::new();
    let delete = ServerAction::<DeleteAccount>::new();
    let delete_feedback = Resource::new(|| (), |_| take_form_feedback("delete".into()));
    let delete_state = FormState::new(delete, delete_feedback, None);
    Effect::new(move |_| {
        // Signed out for good: the next page is a guest's.
        if let Some(Ok(())) = delete.value().get() {
            full_page_load("/");
        }
    });
    let i18n = use_locale();
    let current = expect_context::<CurrentPreferences>();
    view! {
        <Title text=title!(i18n, account.title)/>
        <RequireUser children=move |user: User| {
            let name = state.value("name");
            let current_name = user.name.clone();
            let created_at = user.created_at.clone();
            let name_value = Signal::derive(move || {
                let submitted = name.get();
                if submitted.is_empty() { current_name.clone() } else { submitted }
            });
            view! {
                <h1>{tr!(i18n, account.title)}</h1>
                <AccountNav/>
                <dl class="facts">
                    <dt>{tr!(i18n, fields.name)}</dt>
                    <dd data-testid="profile-name">{user.name.clone()}</dd>
                    <dt>{tr!(i18n, fields.email)}</dt>
                    <dd>{user.email.clone()}</dd>
                    <dt>{tr!(i18n, account.member_since)}</dt>
                    <dd>{move || format::date(current.0.get().language, &created_at)}</dd>
                </dl>
                <EmailSection forms=email_forms/>
                <h2 id="avatar">{tr!(i18n, account.avatar)}</h2>
                <div class="avatar-edit">
                    <Avatar badge=badge(&user) size=96/>
                    <div class="stack">
                        <FormMessage state=avatar_state/>
                        // A plain multipart form, with or without JavaScript: the server answers
                        // it with this page again (post/redirect/get).
                        <form method="post" action="/api/auth/profile/avatar" enctype="multipart/form-data" class="stack">
                            <label for="avatar-file">{tr!(i18n, account.avatar_file)}</label>
                            <input
                                id="avatar-file"
                                type="file"
                                name="avatar"
                                accept="image/png,image/jpeg,image/webp"
                                aria-describedby="avatar-hint"
                                required
                            />
                            <p class="hint" id="avatar-hint">{tr!(i18n, account.avatar_hint)}</p>
                            <button type="submit" class="button">{tr!(i18n, account.avatar_upload)}</button>
                        </form>
                        {user.avatar_url.is_some().then(|| view! {
                            <ActionForm action=remove_avatar attr:class="inline-form">
                                <button type="submit" class="button secondary">{tr!(i18n, account.avatar_remove)}</button>
                            </ActionForm>
                        })}
                    </div>
                </div>
                <h2>{tr!(i18n, account.edit_profile)}</h2>
                <FormMessage state/>
                <ActionForm action=update_profile attr:class="stack" attr:novalidate=true>
                    <Field label=tr!(i18n, fields.name) name="name" autocomplete="name" maxlength=100 value=name_value error=state.field_error("name")/>
                    <button type="submit" class="button">{tr!(i18n, account.save)}</button>
                </ActionForm>
                <h2>{tr!(i18n, account.data_heading)}</h2>
                <p class="hint">{tr!(i18n, account.data_hint)}</p>
                // A file to save, not a page: the router leaves `download` links to the browser.
                <p><a href="/api/auth/export" rel="external" class="button secondary">{tr!(i18n, account.download)}</a></p>
                <section class="danger-zone" aria-labelledby="delete-account">
                    <h2 id="delete-account">{tr!(i18n, account.delete_heading)}</h2>
                    <p>{tr!(i18n, account.delete_warning)}</p>
                    <FormMessage state=delete_state/>
                    <ActionForm action=delete attr:class="stack" attr:novalidate=true>
                        <Field label=tr!(i18n, fields.current_password) name="password" kind="password" autocomplete="current-password" error=delete_state.field_error("password")/>
                        <button type="submit" class="button danger">{tr!(i18n, account.delete_submit)}</button>
                    </ActionForm>
                </section>
            }
        }/>
    }
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    let change_password = ServerAction::<ChangePassword>::new();
    let feedback = Resource::new(|| (), |_| take_form_feedback("password".into()));
    let state = FormState::new(change_password, feedback, Some(Msg::PasswordChanged));
    let i18n = use_locale();
    view! {
        <Title text=title!(i18n, password.title)/>
        <RequireUser children=move |_user: User| view! {
            <h1>{tr!(i18n, password.title)}</h1>
            <AccountNav/>
            <p class="lead">{tr!(i18n, password.lead)}</p>
            <FormMessage state/>
            <ActionForm action=change_password attr:class="stack" attr:novalidate=true>
                <Field label=tr!(i18n, fields.current_password) name="current_password" kind="password" autocomplete="current-password" error=state.field_error("currentPassword")/>
                <Field label=tr!(i18n, fields.new_password) name="new_password" kind="password" autocomplete="new-password" minlength=8 maxlength=128 error=state.field_error("newPassword")/>
                <button type="submit" class="button">{tr!(i18n, password.submit)}</button>
            </ActionForm>
        }/>
    }
}

#[component]
pub fn SessionsPage() -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let sign_out_others = ServerAction::<SignOutOthers>::new();
    let sessions = Resource::new(
        move || (revoke.version().get(), sign_out_others.version().get()),
        |_| list_sessions(),
    );
    let summary = Resource::new(
        move || (revoke.version().get(), sign_out_others.version().get()),
        |_| sessions_summary(),
    );
    let feedback = Resource::new(|| (), |_| take_form_feedback("sessions".into()));
    let revoke_state = FormState::new(revoke, feedback, Some(Msg::SessionRevoked));
    let everywhere = ServerAction::<LogoutEverywhere>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = everywhere.value().get() {
            full_page_load("/");
        }
    });
    // A plain form post of either form leaves one feedback entry; it is shown once, above.
    let no_feedback = Resource::new(|| (), |_| async { Ok(None) });
    let others_state = FormState::new(sign_out_others, no_feedback, Some(Msg::OthersSignedOut));
    let i18n = use_locale();
    view! {
        <Title text=title!(i18n, sessions.title)/>
        <RequireUser children=move |_user: User| view! {
            <h1>{tr!(i18n, sessions.title)}</h1>
            <AccountNav/>
            <p class="lead">{tr!(i18n, sessions.lead)}</p>
            <FormMessage state=revoke_state/>
            <FormMessage state=others_state/>
            <Transition fallback=move || view! { <p>{tr!(i18n, sessions.loading)}</p> }>
                {move || summary.get().and_then(Result::ok).map(|summary| view! { <SessionSummaryLine summary/> })}
                {move || sessions.get().map(|list| match list {
                    Ok(list) => view! { <SessionTable sessions=list revoke/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                })}
            </Transition>
            <ActionForm action=sign_out_others attr:class="inline-form">
                <button type="submit" class="button secondary">{tr!(i18n, sessions.sign_out_others)}</button>
            </ActionForm>
            <ActionForm action=everywhere attr:class="inline-form">
                <button type="submit" class="button danger">{tr!(i18n, sessions.sign_out_everywhere)}</button>
            </ActionForm>
        }/>
    }
}

/// Seed 003's figures as a person reads them: the latest sign-in ("Last sign-in: 3 h ago,
/// Firefox on Linux", its date and time on hover) and the session counts.
#[component]
fn SessionSummaryLine(summary: SessionSummary) -> impl IntoView {
    let i18n = use_locale();
    let current = expect_context::<CurrentPreferences>();
    let language = move || current.0.get().language;
    let SessionSummary {
        active_sessions,
        total_sessions,
        last_login,
        last_login_age_secs,
        last_login_browser,
        last_login_os,
    } = summary;
    let last = last_login.zip(last_login_age_secs).map(|(at, age)| {
        let browser = last_login_browser.unwrap_or_else(|| DeviceSession::UNKNOWN_BROWSER.to_owned());
        let os = last_login_os.unwrap_or_else(|| DeviceSession::UNKNOWN_OS.to_owned());
        let line = move || {
            let when = format::ago(language(), age);
            let device = format::device_name(language(), &browser, &os);
            crate::i18n::td_string!(i18n.get(), sessions.last_sign_in, when, device).to_string()
        };
        let exact = {
            let at = at.clone();
            move || format::datetime(language(), &at)
        };
        view! { <p data-testid="last-sign-in"><time datetime=at title=exact>{line}</time></p> }
    });
    let counts = move || {
        let active = format::number(language(), i64::try_from(active_sessions).unwrap_or(i64::MAX));
        let total = format::number(language(), i64::try_from(total_sessions).unwrap_or(i64::MAX));
        crate::i18n::td_string!(i18n.get(), sessions.counts, active, total).to_string()
    };
    view! {
        <div class="session-summary" data-testid="session-summary">
            {last}
            <p data-testid="session-counts">{counts}</p>
        </div>
    }
}

#[component]
fn SessionTable(sessions: Vec<DeviceSession>, revoke: ServerAction<RevokeSession>) -> impl IntoView {
    let i18n = use_locale();
    let current = expect_context::<CurrentPreferences>();
    let language = move || current.0.get().language;
    view! {
        <div class="table-wrap">
            <table class="sessions">
                <thead>
                    <tr>
                        <th scope="col">{tr!(i18n, sessions.device)}</th>
                        <th scope="col">{tr!(i18n, sessions.ip)}</th>
                        <th scope="col">{tr!(i18n, sessions.signed_in)}</th>
                        <th scope="col">{tr!(i18n, sessions.last_active)}</th>
                        <th scope="col">{tr!(i18n, sessions.pages)}</th>
                        <th scope="col"><span class="visually-hidden">{tr!(i18n, sessions.actions)}</span></th>
                    </tr>
                </thead>
                <tbody>
                    {sessions
                        .into_iter()
                        .map(|s| {
                            let (created_at, last_seen_at) = (s.created_at.clone(), s.last_seen_at.clone());
                            let device = move || format::device_name(language(), &s.browser, &s.os);
                            view! {
                                <tr data-current=s.current.then_some("true")>
                                    <td>
                                        {device}
                                        {s.current.then(|| view! { <span class="badge">{tr!(i18n, sessions.this_device)}</span> })}
                                    </td>
                                    <td>{s.ip}</td>
                                    <td>{move || format::datetime(language(), &created_at)}</td>
                                    <td>{move || format::datetime(language(), &last_seen_at)}</td>
                                    <td>{s.page_count}</td>
                                    <td>
                                        {(!s.current).then(|| view! {
                                            <ActionForm action=revoke attr:class="inline-form">
                                                <input type="hidden" name="id" value=s.id.clone()/>
                                                <button type="submit" class="button small danger">{tr!(i18n, sessions.revoke)}</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
