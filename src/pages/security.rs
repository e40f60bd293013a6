//! The account's security pages: the security log.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{account_nav::AccountNav, error_notice::ErrorNotice, pager::Pager, require_user::RequireUser},
    context::{use_locale, CurrentPreferences},
    i18n::td_string,
    model::{format, Language, SecurityEvent, SecurityEventKind, SecurityLogPage, User},
    server_fns::security::read_security_log,
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
