//! The account's security pages: the security log, the security page (authenticator app,
//! recovery codes, passkeys), the confirm page of re-authentication, and a sign-in's second
//! step.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{
        account_nav::AccountNav,
        error_notice::ErrorNotice,
        form::{Field, FormMessage, FormState},
        pager::Pager,
        require_user::RequireUser,
    },
    context::{use_locale, CurrentPreferences},
    i18n::td_string,
    model::{
        format, with_next, Language, Msg, SecurityEvent, SecurityEventKind, SecurityLogPage, SecurityOverview, User,
    },
    server_fns::{
        auth::{second_step_pending, take_form_feedback, CompleteSignIn},
        security::{
            read_confirm_options, read_security_log, read_security_overview, ConfirmIdentity, ConfirmTotp, DisableTotp,
            RegenerateRecoveryCodes, RemovePasskey, StartTotp,
        },
    },
    title, tr,
};

/// Where the log is.
pub const SECURITY_LOG_PATH: &str = "/account/security-log";

#[component]
pub fn AccountSecurityLogPage() -> impl IntoView {
    let query = use_query_map();
    let cursor = Memo::new(move |_| query.read().get("cursor").filter(|c| !c.is_empty()));
    let i18n = use_locale();
    view! {
        <Title text=title!(i18n, security_log.title)/>
        <RequireUser children=move |_user: User| {
            let log = Resource::new(move || cursor.get(), read_security_log);
            view! {
            <h1>{tr!(i18n, security_log.title)}</h1>
            <AccountNav/>
            <p class="lead">{tr!(i18n, security_log.lead)}</p>
            <Transition fallback=|| ()>
                {move || log.get().map(|result| match result {
                    Ok(page) => view! { <LogTable page first=cursor.get_untracked().is_none()/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                })}
            </Transition>
            }
        }/>
    }
}

#[component]
fn LogTable(page: SecurityLogPage, first: bool) -> impl IntoView {
    let i18n = use_locale();
    let current = expect_context::<CurrentPreferences>();
    let language = Signal::derive(move || current.0.get().language);
    if page.items.is_empty() && first {
        return view! { <p data-testid="security-log-empty">{tr!(i18n, security_log.empty)}</p> }.into_any();
    }
    let older = page.next_cursor.map(|c| format!("{SECURITY_LOG_PATH}?cursor={c}"));
    let newest = (!first).then(|| SECURITY_LOG_PATH.to_owned());
    view! {
        <div class="table-wrap">
            <table class="sessions security-log" data-testid="security-log">
                <thead>
                    <tr>
                        <th scope="col">{tr!(i18n, security_log.when)}</th>
                        <th scope="col">{tr!(i18n, security_log.event)}</th>
                        <th scope="col">{tr!(i18n, sessions.device)}</th>
                        <th scope="col">{tr!(i18n, sessions.ip)}</th>
                    </tr>
                </thead>
                <tbody>
                    {page.items.into_iter().map(|event| view! { <LogRow event language/> }).collect_view()}
                </tbody>
            </table>
        </div>
        <Pager
            label=tr!(i18n, security_log.pagination)
            newer=newest
            newer_text=tr!(i18n, history.newest)
            older
            older_text=tr!(i18n, history.older)
        />
    }
    .into_any()
}

#[component]
fn LogRow(event: SecurityEvent, language: Signal<Language>) -> impl IntoView {
    let SecurityEvent {
        kind,
        at,
        ip,
        device,
        detail,
        ..
    } = event;
    let when = at.clone();
    view! {
        <tr data-kind=kind.as_str()>
            <td><time datetime=at>{move || format::datetime(language.get(), &when)}</time></td>
            <td>
                {move || kind_text(language.get(), kind)}
                {detail.clone().map(|d| view! { " " <span class="detail">{move || detail_text(language.get(), kind, &d)}</span> })}
            </td>
            <td>{device.unwrap_or_default()}</td>
            <td>{ip.unwrap_or_default()}</td>
        </tr>
    }
}

/// What happened, in `language`.
pub fn kind_text(language: Language, kind: SecurityEventKind) -> &'static str {
    let l = language.locale();
    match kind {
        SecurityEventKind::SignIn => td_string!(l, security_log.kinds.sign_in),
        SecurityEventKind::SignInFailed => td_string!(l, security_log.kinds.sign_in_failed),
        SecurityEventKind::SecondFactorFailed => td_string!(l, security_log.kinds.second_factor_failed),
        SecurityEventKind::PasswordChanged => td_string!(l, security_log.kinds.password_changed),
        SecurityEventKind::PasswordReset => td_string!(l, security_log.kinds.password_reset),
        SecurityEventKind::EmailChanged => td_string!(l, security_log.kinds.email_changed),
        SecurityEventKind::EmailVerified => td_string!(l, security_log.kinds.email_verified),
        SecurityEventKind::SecondFactorEnabled => td_string!(l, security_log.kinds.second_factor_enabled),
        SecurityEventKind::SecondFactorDisabled => td_string!(l, security_log.kinds.second_factor_disabled),
        SecurityEventKind::RecoveryCodeUsed => td_string!(l, security_log.kinds.recovery_code_used),
        SecurityEventKind::RecoveryCodesRegenerated => td_string!(l, security_log.kinds.recovery_codes_regenerated),
        SecurityEventKind::PasskeyAdded => td_string!(l, security_log.kinds.passkey_added),
        SecurityEventKind::PasskeyRemoved => td_string!(l, security_log.kinds.passkey_removed),
        SecurityEventKind::SessionRevoked => td_string!(l, security_log.kinds.session_revoked),
        SecurityEventKind::SignedOutEverywhere => td_string!(l, security_log.kinds.signed_out_everywhere),
        SecurityEventKind::DataExported => td_string!(l, security_log.kinds.data_exported),
        SecurityEventKind::RoleChanged => td_string!(l, security_log.kinds.role_changed),
        SecurityEventKind::AccountLocked => td_string!(l, security_log.kinds.account_locked),
        SecurityEventKind::AccountUnlocked => td_string!(l, security_log.kinds.account_unlocked),
    }
}

/// An event's detail in `language`: the words Porch writes there are translated; names,
/// addresses and counts are shown as they are.
fn detail_text(language: Language, kind: SecurityEventKind, detail: &str) -> String {
    let l = language.locale();
    let word = match (kind, detail) {
        (SecurityEventKind::SignIn, "password") => Some(td_string!(l, security_log.details.password)),
        (SecurityEventKind::SignIn, "passkey") => Some(td_string!(l, security_log.details.passkey)),
        (SecurityEventKind::SignIn, "password+totp") => Some(td_string!(l, security_log.details.password_totp)),
        (SecurityEventKind::SignIn, "password+recovery_code") => {
            Some(td_string!(l, security_log.details.password_recovery_code))
        }
        (SecurityEventKind::SignedOutEverywhere, "others") => Some(td_string!(l, security_log.details.others)),
        (SecurityEventKind::RoleChanged, "admin") => Some(td_string!(l, admin.role_admin)),
        (SecurityEventKind::RoleChanged, "user") => Some(td_string!(l, admin.role_user)),
        _ => None,
    };
    match word {
        Some(word) => format!("({word})"),
        None => format!("({detail})"),
    }
}

/// A resource with no feedback: for forms whose plain-post outcome the page's first message
/// already shows.
fn no_feedback() -> Resource<Result<Option<crate::model::FormFeedback>, crate::error::AppError>> {
    Resource::new(|| (), |_| async { Ok(None) })
}

/// The security page: the authenticator app (setup, recovery codes, turning it off) and
/// passkeys.
#[component]
pub fn SecurityPage() -> impl IntoView {
    let i18n = use_locale();
    let start = ServerAction::<StartTotp>::new();
    let confirm = ServerAction::<ConfirmTotp>::new();
    let disable = ServerAction::<DisableTotp>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    let remove = ServerAction::<RemovePasskey>::new();
    // One message for the page: a plain form post's outcome, whichever form it was.
    let feedback = Resource::new(|| (), |_| take_form_feedback("security".into()));
    let forms = SecurityForms {
        start,
        confirm,
        disable,
        regenerate,
        remove,
        top: FormState::new(start, feedback, None),
        confirm_state: FormState::new(confirm, no_feedback(), Some(Msg::SecondFactorEnabled)),
        disable_state: FormState::new(disable, no_feedback(), Some(Msg::SecondFactorDisabled)),
        regenerate_state: FormState::new(regenerate, no_feedback(), Some(Msg::RecoveryCodesReplaced)),
        remove_state: FormState::new(remove, no_feedback(), Some(Msg::PasskeyRemoved)),
    };
    let overview = Resource::new(
        move || {
            (
                start.version().get(),
                confirm.version().get(),
                disable.version().get(),
                regenerate.version().get(),
                remove.version().get(),
            )
        },
        |_| read_security_overview(),
    );
    view! {
        <Title text=title!(i18n, security.title)/>
        <RequireUser children=move |_user: User| view! {
            <h1>{tr!(i18n, security.title)}</h1>
            <AccountNav/>
            <p class="lead">{tr!(i18n, security.lead)}</p>
            <FormMessage state=forms.top/>
            <FormMessage state=forms.confirm_state/>
            <FormMessage state=forms.disable_state/>
            <FormMessage state=forms.regenerate_state/>
            <FormMessage state=forms.remove_state/>
            <Transition fallback=|| ()>
                {move || overview.get().map(|result| match result {
                    Ok(overview) => view! { <SecuritySections overview forms/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                })}
            </Transition>
            <script type="module" src="/passkeys.js"></script>
        }/>
    }
}

/// The security page's actions and their states, made once per page.
#[derive(Clone, Copy)]
struct SecurityForms {
    start: ServerAction<StartTotp>,
    confirm: ServerAction<ConfirmTotp>,
    disable: ServerAction<DisableTotp>,
    regenerate: ServerAction<RegenerateRecoveryCodes>,
    remove: ServerAction<RemovePasskey>,
    top: FormState,
    confirm_state: FormState,
    disable_state: FormState,
    regenerate_state: FormState,
    remove_state: FormState,
}

#[component]
fn SecuritySections(overview: SecurityOverview, forms: SecurityForms) -> impl IntoView {
    let i18n = use_locale();
    let current = expect_context::<CurrentPreferences>();
    let language = move || current.0.get().language;
    let SecurityOverview {
        totp_enabled,
        recovery_codes_left,
        setup,
        new_recovery_codes,
        passkeys,
    } = overview;
    // Codes made just now: from this page's action (JavaScript), or kept for the page a plain
    // form post was sent to.
    let codes = move || {
        let fresh = match (forms.confirm.value().get(), forms.regenerate.value().get()) {
            (_, Some(Ok(codes))) | (Some(Ok(codes)), None) => codes,
            _ => Vec::new(),
        };
        if fresh.is_empty() {
            new_recovery_codes.clone()
        } else {
            fresh
        }
    };
    let code_error = move || {
        forms
            .confirm_state
            .field_error("code")
            .get()
            .or(forms.top.field_error("code").get())
    };
    let disable_code_error = move || {
        forms
            .disable_state
            .field_error("code")
            .get()
            .or(forms.top.field_error("code").get())
    };
    let disable_password_error = move || {
        forms
            .disable_state
            .field_error("password")
            .get()
            .or(forms.top.field_error("password").get())
    };
    view! {
        <section class="card" aria-labelledby="totp">
            <h2 id="totp">{tr!(i18n, security.totp_heading)}</h2>
            {if totp_enabled {
                view! {
                    <p data-testid="totp-status" data-on="true">{tr!(i18n, security.totp_on)}</p>
                    <p>{tr!(i18n, security.recovery_left)} " " <strong data-testid="recovery-left">{recovery_codes_left}</strong></p>
                    <ActionForm action=forms.regenerate attr:class="inline-form">
                        <button type="submit" class="button secondary">{tr!(i18n, security.recovery_regenerate)}</button>
                    </ActionForm>
                    <h3>{tr!(i18n, security.totp_disable)}</h3>
                    <p class="hint">{tr!(i18n, security.totp_disable_hint)}</p>
                    <ActionForm action=forms.disable attr:class="stack" attr:novalidate=true>
                        <Field label=tr!(i18n, fields.password) name="password" kind="password" autocomplete="current-password" id="field-disable-password" error=Signal::derive(disable_password_error)/>
                        <Field label=tr!(i18n, fields.code) name="code" autocomplete="one-time-code" id="field-disable-code" error=Signal::derive(disable_code_error)/>
                        <button type="submit" class="button danger">{tr!(i18n, security.totp_disable)}</button>
                    </ActionForm>
                }
                .into_any()
            } else {
                view! { <p data-testid="totp-status" data-on="false">{tr!(i18n, security.totp_off)}</p> }.into_any()
            }}
            {match setup {
                Some(setup) => view! {
                    <p>{tr!(i18n, security.totp_scan)}</p>
                    <div class="qr" data-testid="totp-qr" inner_html=setup.qr_svg></div>
                    <p>{tr!(i18n, security.totp_key)} ": " <code data-testid="totp-secret">{setup.secret}</code></p>
                    <ActionForm action=forms.confirm attr:class="stack" attr:novalidate=true>
                        <Field label=tr!(i18n, fields.code) name="code" autocomplete="one-time-code" id="field-setup-code" error=Signal::derive(code_error)/>
                        <button type="submit" class="button">{tr!(i18n, security.totp_confirm)}</button>
                    </ActionForm>
                }
                .into_any(),
                None => view! {
                    <ActionForm action=forms.start attr:class="inline-form">
                        <button type="submit" class="button">
                            {move || if totp_enabled {
                                td_string!(i18n.get(), security.totp_change)
                            } else {
                                td_string!(i18n.get(), security.totp_setup)
                            }}
                        </button>
                    </ActionForm>
                }
                .into_any(),
            }}
            {move || {
                let codes = codes();
                (!codes.is_empty()).then(|| view! {
                    <div class="recovery-codes" data-testid="recovery-codes">
                        <h3>{tr!(i18n, security.recovery_heading)}</h3>
                        <p>{tr!(i18n, security.recovery_save)}</p>
                        <ul>{codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}</ul>
                    </div>
                })
            }}
        </section>
        <section class="card" aria-labelledby="passkeys">
            <h2 id="passkeys">{tr!(i18n, security.passkeys_heading)}</h2>
            <p class="hint">{tr!(i18n, security.passkeys_lead)}</p>
            {if passkeys.is_empty() {
                view! { <p data-testid="passkeys-none">{tr!(i18n, security.passkeys_none)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="sessions" data-testid="passkeys">
                            <thead><tr>
                                <th scope="col">{tr!(i18n, fields.passkey_name)}</th>
                                <th scope="col">{tr!(i18n, security.passkey_added_at)}</th>
                                <th scope="col">{tr!(i18n, security.passkey_last_used)}</th>
                                <th scope="col"><span class="visually-hidden">{tr!(i18n, sessions.actions)}</span></th>
                            </tr></thead>
                            <tbody>
                                {passkeys.into_iter().map(|p| {
                                    let (created, used) = (p.created_at.clone(), p.last_used_at.clone());
                                    let label = crate::i18n::td_string!(i18n.get_untracked(), security.passkey_remove_of, name = p.name.as_str()).to_string();
                                    view! {
                                        <tr data-passkey=p.name.clone()>
                                            <td>{p.name.clone()}</td>
                                            <td><time datetime=p.created_at.clone()>{move || format::datetime(language(), &created)}</time></td>
                                            <td>{match used {
                                                Some(at) => {
                                                    let shown = at.clone();
                                                    view! { <time datetime=at>{move || format::datetime(language(), &shown)}</time> }.into_any()
                                                }
                                                None => view! { {tr!(i18n, security.passkey_never)} }.into_any(),
                                            }}</td>
                                            <td>
                                                <ActionForm action=forms.remove attr:class="inline-form" attr:aria-label=label>
                                                    <input type="hidden" name="id" value=p.id.clone()/>
                                                    <button type="submit" class="button small danger">{tr!(i18n, security.passkey_remove)}</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            }}
            // Offered only when the script runs and the browser can make passkeys.
            <form class="stack" data-passkey-add hidden>
                <div class="field">
                    <label for="field-passkey-name">{tr!(i18n, fields.passkey_name)}</label>
                    <input id="field-passkey-name" name="name" type="text" maxlength="100" autocomplete="off"/>
                </div>
                <p class="message error" role="alert" data-passkey-error hidden></p>
                <button type="submit" class="button">{tr!(i18n, security.passkey_add)}</button>
            </form>
            <noscript><p class="hint">{tr!(i18n, security.passkeys_need_js)}</p></noscript>
        </section>
    }
}

/// Where a sensitive action asks the user to confirm who they are. The form completes what was
/// waiting (`auth::pending_action`); with a second factor a code will do, with JavaScript a
/// passkey.
#[component]
pub fn ConfirmPage() -> impl IntoView {
    let i18n = use_locale();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let action = ServerAction::<ConfirmIdentity>::new();
    let feedback = Resource::new(|| (), |_| take_form_feedback("confirm".into()));
    let state = FormState::new(action, feedback, None);
    let options = Resource::new(|| (), |_| read_confirm_options());
    Effect::new(move |_| {
        if let Some(Ok(to)) = action.value().get() {
            crate::context::full_page_load(&to);
        }
    });
    view! {
        <Title text=title!(i18n, confirm.title)/>
        <RequireUser children=move |_user: User| view! {
            <section class="form-page">
                <h1>{tr!(i18n, confirm.title)}</h1>
                <p class="lead">{tr!(i18n, confirm.lead)}</p>
                <FormMessage state/>
                <ActionForm action attr:class="stack" attr:novalidate=true>
                    <Field label=tr!(i18n, fields.password) name="password" kind="password" autocomplete="current-password" error=state.field_error("password")/>
                    <input type="hidden" name="next" value=next/>
                    <button type="submit" class="button">{tr!(i18n, confirm.submit)}</button>
                </ActionForm>
                <Transition fallback=|| ()>
                    {move || options.get().and_then(Result::ok).map(|options| view! {
                        {options.totp.then(|| view! {
                            <p class="hint">{tr!(i18n, confirm.lead_code)}</p>
                            <ActionForm action attr:class="stack" attr:novalidate=true>
                                <Field label=tr!(i18n, fields.code) name="code" autocomplete="one-time-code" error=state.field_error("code")/>
                                <input type="hidden" name="next" value=next/>
                                <button type="submit" class="button secondary">{tr!(i18n, confirm.submit)}</button>
                            </ActionForm>
                        })}
                        {options.passkeys.then(|| view! {
                            <p class="message error" role="alert" data-passkey-error hidden></p>
                            <button type="button" class="button secondary" data-passkey-confirm data-next=next hidden>{tr!(i18n, confirm.passkey)}</button>
                        })}
                    })}
                </Transition>
                <script type="module" src="/passkeys.js"></script>
            </section>
        }/>
    }
}

/// The second step of a sign-in with a second factor: a code from the authenticator app, or a
/// recovery code.
#[component]
pub fn SecondStepPage() -> impl IntoView {
    let i18n = use_locale();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let action = ServerAction::<CompleteSignIn>::new();
    let feedback = Resource::new(|| (), |_| take_form_feedback("second_step".into()));
    let state = FormState::new(action, feedback, None);
    let pending = Resource::new(|| (), |_| second_step_pending());
    Effect::new(move |_| {
        if let Some(Ok(to)) = action.value().get() {
            crate::context::full_page_load(&to);
        }
    });
    view! {
        <Title text=title!(i18n, second_step.title)/>
        <section class="form-page">
            <h1>{tr!(i18n, second_step.title)}</h1>
            <Transition fallback=|| ()>
                {move || pending.get().map(|pending| match pending {
                    Ok(true) => view! {
                        <p class="lead">{tr!(i18n, second_step.lead)}</p>
                        <FormMessage state/>
                        <ActionForm action attr:class="stack" attr:novalidate=true>
                            <Field label=tr!(i18n, fields.code) name="code" autocomplete="one-time-code" error=state.field_error("code")/>
                            <input type="hidden" name="next" value=next/>
                            <button type="submit" class="button">{tr!(i18n, second_step.submit)}</button>
                        </ActionForm>
                    }
                    .into_any(),
                    Ok(false) => view! {
                        <p class="message error" role="alert" data-testid="second-step-expired">{tr!(i18n, second_step.expired)}</p>
                        <p><a class="button" href=move || with_next("/login", Some(&next()))>{tr!(i18n, second_step.again)}</a></p>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}
