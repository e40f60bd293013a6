//! The signed-in user's pages: profile, password, devices.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{Redirect, A},
    hooks::use_location,
};

use crate::{
    api::auth::{list_sessions, take_form_feedback, LogoutEverywhere},
    app::{full_page_load, Auth},
    components::form::{Field, FormMessage, FormState},
    error::AppError,
    model::{short_datetime, DeviceSession, User},
};

/// Renders `children` with the signed-in user; guests are sent to the sign-in page (and come
/// back here after), and a store outage shows a 503 notice instead of a wrong answer.
#[component]
fn RequireUser<V: IntoView + 'static>(children: impl Fn(User) -> V + Send + Sync + Clone + 'static) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let location = use_location();
    view! {
        <Transition fallback=|| ()>
            {
                let children = children.clone();
                move || {
                    let children = children.clone();
                    auth.user.get().map(move |user| match user {
                        Ok(Some(user)) => children(user).into_any(),
                        Ok(None) => {
                            let next = location.pathname.get_untracked();
                            view! { <Redirect path=format!("/login?next={next}")/> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    })
                }
            }
        </Transition>
    }
}

/// A notice for a failure the user cannot fix (the session store or database is down), sent
/// with the error's status (503) when rendered on the server.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            http::StatusCode::from_u16(error.code.status()).unwrap_or(http::StatusCode::SERVICE_UNAVAILABLE),
        );
        if error.code == crate::error::ErrorCode::Unavailable {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from_static("5"));
        }
    }
    view! {
        <section class="notice" role="alert">
            <h1>"Temporarily unavailable"</h1>
            <p>{error.message}</p>
        </section>
    }
}

#[component]
fn AccountNav() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Account">
            <A href="/account" exact=true>"Profile"</A>
            <A href="/account/password">"Password"</A>
            <A href="/account/sessions">"Sessions"</A>
        </nav>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let feedback = Resource::new(|| (), |_| take_form_feedback("profile".into()));
    let state = FormState::new(auth.update_profile, feedback, Some("Your profile was saved."));
    view! {
        <Title text="Your account"/>
        <RequireUser children=move |user: User| {
            let name = state.value("name");
            let current_name = user.name.clone();
            let name_value = Signal::derive(move || {
                let submitted = name.get();
                if submitted.is_empty() { current_name.clone() } else { submitted }
            });
            view! {
                <h1>"Your account"</h1>
                <AccountNav/>
                <dl class="facts">
                    <dt>"Name"</dt>
                    <dd data-testid="profile-name">{user.name.clone()}</dd>
                    <dt>"Email"</dt>
                    <dd>{user.email.clone()}</dd>
                    <dt>"Member since"</dt>
                    <dd>{user.created_at.get(..10).unwrap_or_default().to_owned()}</dd>
                </dl>
                <h2>"Edit profile"</h2>
                <FormMessage state/>
                <ActionForm action=auth.update_profile attr:class="stack" attr:novalidate=true>
                    <Field label="Name" name="name" autocomplete="name" maxlength=100 value=name_value error=state.field_error("name")/>
                    <button type="submit" class="button">"Save"</button>
                </ActionForm>
            }
        }/>
    }
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let feedback = Resource::new(|| (), |_| take_form_feedback("password".into()));
    let state = FormState::new(
        auth.change_password,
        feedback,
        Some("Your password was changed. Your other sessions were signed out."),
    );
    view! {
        <Title text="Change password"/>
        <RequireUser children=move |_user: User| view! {
            <h1>"Change password"</h1>
            <AccountNav/>
            <p class="lead">"Changing your password signs out every other device."</p>
            <FormMessage state/>
            <ActionForm action=auth.change_password attr:class="stack" attr:novalidate=true>
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error=state.field_error("currentPassword")/>
                <Field label="New password" name="new_password" kind="password" autocomplete="new-password" minlength=8 maxlength=128 error=state.field_error("newPassword")/>
                <button type="submit" class="button">"Change password"</button>
            </ActionForm>
        }/>
    }
}

#[component]
pub fn SessionsPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let sessions = Resource::new(
        move || {
            (
                auth.revoke.version().get(),
                auth.sign_out_others.version().get(),
                auth.change_password.version().get(),
            )
        },
        |_| list_sessions(),
    );
    let feedback = Resource::new(|| (), |_| take_form_feedback("sessions".into()));
    let revoke_state = FormState::new(auth.revoke, feedback, Some("The session was signed out."));
    let everywhere = ServerAction::<LogoutEverywhere>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = everywhere.value().get() {
            full_page_load("/");
        }
    });
    // A plain form post of either form leaves one feedback entry; it is shown once, above.
    let no_feedback = Resource::new(|| (), |_| async { Ok(None) });
    let others_state = FormState::new(
        auth.sign_out_others,
        no_feedback,
        Some("Your other sessions were signed out."),
    );
    view! {
        <Title text="Your sessions"/>
        <RequireUser children=move |_user: User| view! {
            <h1>"Your sessions"</h1>
            <AccountNav/>
            <p class="lead">"Every device signed in to your account. Sign out any you do not recognise."</p>
            <FormMessage state=revoke_state/>
            <FormMessage state=others_state/>
            <Transition fallback=|| view! { <p>"Loading sessions…"</p> }>
                {move || sessions.get().map(|list| match list {
                    Ok(list) => view! { <SessionTable sessions=list/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                })}
            </Transition>
            <ActionForm action=auth.sign_out_others attr:class="inline-form">
                <button type="submit" class="button secondary">"Sign out other sessions"</button>
            </ActionForm>
            <ActionForm action=everywhere attr:class="inline-form">
                <button type="submit" class="button danger">"Sign out everywhere"</button>
            </ActionForm>
        }/>
    }
}

#[component]
fn SessionTable(sessions: Vec<DeviceSession>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <div class="table-wrap">
            <table class="sessions">
                <thead>
                    <tr>
                        <th scope="col">"Device"</th>
                        <th scope="col">"IP address"</th>
                        <th scope="col">"Signed in"</th>
                        <th scope="col">"Last active"</th>
                        <th scope="col">"Pages"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {sessions
                        .into_iter()
                        .map(|s| {
                            let device = format!("{} on {}", s.browser, s.os);
                            view! {
                                <tr data-current=s.current.then_some("true")>
                                    <td>
                                        {device}
                                        {s.current.then(|| view! { <span class="badge">"This device"</span> })}
                                    </td>
                                    <td>{s.ip}</td>
                                    <td>{short_datetime(&s.created_at)}</td>
                                    <td>{short_datetime(&s.last_seen_at)}</td>
                                    <td>{s.page_count}</td>
                                    <td>
                                        {(!s.current).then(|| view! {
                                            <ActionForm action=auth.revoke attr:class="inline-form">
                                                <input type="hidden" name="id" value=s.id.clone()/>
                                                <button type="submit" class="button small danger">"Revoke"</button>
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
