//! "This session" (any visitor) and the session history (signed-in users).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{account_nav::AccountNav, error_notice::ErrorNotice, pager::Pager, require_user::RequireUser},
    context::{use_locale, CurrentPreferences},
    i18n::td_string,
    model::{
        activity::{PAGES_KEPT, SESSION_PATH},
        format, EndReason, HistoryEntry, HistoryPage, Language, SessionActivity, User,
    },
    server_fns::activity::{session_history, this_session, VISITS_PER_PAGE},
    title, tr,
};

/// The number in the query parameter `name`, or 0.
fn query_offset(name: &'static str) -> Memo<usize> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get(name).and_then(|v| v.parse().ok()).unwrap_or(0))
}

#[component]
pub fn ThisSessionPage() -> impl IntoView {
    let offset = query_offset("offset");
    // Seconds since the data arrived, so the duration ticks in the browser.
    let ticks = RwSignal::new(0_i64);
    // On the server this is fetched for a page load the middleware has already recorded. In the
    // browser the first value is the server's (hydration does not fetch), so every fetch there
    // follows a client-side navigation to this page, and records it in the same request.
    let record = cfg!(feature = "hydrate");
    let activity = Resource::new(
        move || offset.get(),
        move |offset| async move {
            let result = this_session(offset, record).await;
            // Only the browser ticks. On the server the write would wake the page's
            // `<Transition>` again once the response may be gone (and its owner with it).
            #[cfg(feature = "hydrate")]
            ticks.set(0);
            result
        },
    );
    #[cfg(feature = "hydrate")]
    {
        let interval =
            set_interval_with_handle(move || ticks.update(|t| *t += 1), std::time::Duration::from_secs(1)).ok();
        on_cleanup(move || {
            if let Some(interval) = interval {
                interval.clear();
            }
        });
    }
    let i18n = use_locale();
    view! {
        <Title text=title!(i18n, activity.title)/>
        <h1>{tr!(i18n, activity.title)}</h1>
        <p class="lead">{tr!(i18n, activity.lead)}</p>
        <Transition fallback=|| ()>
            {move || activity.get().map(|result| match result {
                Ok(activity) => view! { <SessionFacts activity ticks/> }.into_any(),
                Err(error) => view! { <ErrorNotice error/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn SessionFacts(activity: SessionActivity, ticks: RwSignal<i64>) -> impl IntoView {
    let i18n = use_locale();
    let current = expect_context::<CurrentPreferences>();
    let language = move || current.0.get().language;
    let SessionActivity {
        start_time,
        last_seen,
        session_duration,
        page_count,
        pages_visited,
        offset,
        ..
    } = activity;
    let (started, seen) = (start_time.clone(), last_seen.clone());
    let duration = move || format::duration(language(), (session_duration + ticks.get()).max(0) as u64);
    let listed = (page_count.max(0) as usize).min(PAGES_KEPT);
    let shown = pages_visited.len();
    let range = move || {
        let locale = language().locale();
        let (from, to, total) = (offset + 1, offset + shown, listed);
        td_string!(locale, activity.visits_range, from, to, total).to_string()
    };
    let kept_note = move || {
        let locale = language().locale();
        td_string!(locale, activity.kept_note, kept = PAGES_KEPT).to_string()
    };
    let newer = (offset > 0).then(|| offset.saturating_sub(VISITS_PER_PAGE));
    let older = (offset + shown < listed).then_some(offset + shown);
    view! {
        <dl class="facts">
            <dt>{tr!(i18n, activity.started)}</dt>
            <dd><time datetime=start_time.clone()>{move || format::datetime(language(), &started)}</time></dd>
            <dt>{tr!(i18n, activity.duration)}</dt>
            <dd data-testid="session-duration">{duration}</dd>
            <dt>{tr!(i18n, activity.last_seen)}</dt>
            <dd><time datetime=last_seen.clone()>{move || format::datetime(language(), &seen)}</time></dd>
            <dt>{tr!(i18n, activity.page_count)}</dt>
            <dd data-testid="page-count">{page_count}</dd>
        </dl>
        <h2>{tr!(i18n, activity.visits)}</h2>
        {if shown == 0 {
            view! { <p>{tr!(i18n, activity.no_visits)}</p> }.into_any()
        } else {
            view! {
                <p class="hint">
                    {range}
                    {(page_count as usize > PAGES_KEPT).then(|| view! { " " {kept_note} })}
                </p>
                <div class="table-wrap">
                    <table class="sessions visits" data-testid="visits">
                        <thead>
                            <tr>
                                <th scope="col">{tr!(i18n, activity.page)}</th>
                                <th scope="col">{tr!(i18n, activity.when)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {pages_visited
                                .into_iter()
                                .map(|visit| {
                                    let at = visit.at.clone();
                                    view! {
                                        <tr>
                                            <td><code class="path">{visit.page}</code></td>
                                            <td><time datetime=visit.at>{move || format::datetime(language(), &at)}</time></td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        }}
        <Pager
            label=tr!(i18n, activity.pagination)
            newer=newer.map(|o| format!("{SESSION_PATH}?offset={o}"))
            newer_text=tr!(i18n, activity.newer)
            older=older.map(|o| format!("{SESSION_PATH}?offset={o}"))
            older_text=tr!(i18n, activity.older)
        />
    }
}

/// The end reason in `language`.
fn reason_text(language: Language, reason: EndReason) -> &'static str {
    let locale = language.locale();
    match reason {
        EndReason::SignOut => td_string!(locale, history.reasons.sign_out),
        EndReason::SignOutEverywhere => td_string!(locale, history.reasons.sign_out_everywhere),
        EndReason::Revoked => td_string!(locale, history.reasons.revoked),
        EndReason::PasswordChange => td_string!(locale, history.reasons.password_change),
        EndReason::PasswordReset => td_string!(locale, history.reasons.password_reset),
        EndReason::Ended => td_string!(locale, history.reasons.ended),
        EndReason::Renewed => td_string!(locale, history.reasons.renewed),
        EndReason::Expired => td_string!(locale, history.reasons.expired),
    }
}

#[component]
pub fn SessionHistoryPage() -> impl IntoView {
    let query = use_query_map();
    let cursor = Memo::new(move |_| query.read().get("cursor").filter(|c| !c.is_empty()));
    let i18n = use_locale();
    view! {
        <Title text=title!(i18n, history.title)/>
        // Created for a signed-in user only: a guest is sent to sign in without a query.
        <RequireUser children=move |_user: User| {
            let history = Resource::new(move || cursor.get(), session_history);
            view! {
            <h1>{tr!(i18n, history.title)}</h1>
            <AccountNav/>
            <p class="lead">{tr!(i18n, history.lead)}</p>
            <Transition fallback=|| ()>
                {move || history.get().map(|result| match result {
                    Ok(page) => view! { <HistoryTable page first=cursor.get_untracked().is_none()/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                })}
            </Transition>
            }
        }/>
    }
}

#[component]
fn HistoryTable(page: HistoryPage, first: bool) -> impl IntoView {
    let i18n = use_locale();
    let current = expect_context::<CurrentPreferences>();
    let language = Signal::derive(move || current.0.get().language);
    if page.items.is_empty() && first {
        return view! { <p data-testid="history-empty">{tr!(i18n, history.empty)}</p> }.into_any();
    }
    let older = page.next_cursor.map(|c| format!("/account/history?cursor={c}"));
    // A cursor only leads further back; the way forward is the start.
    let newest = (!first).then(|| "/account/history".to_owned());
    view! {
        <div class="table-wrap">
            <table class="sessions history" data-testid="history">
                <thead>
                    <tr>
                        <th scope="col">{tr!(i18n, activity.started)}</th>
                        <th scope="col">{tr!(i18n, history.ended)}</th>
                        <th scope="col">{tr!(i18n, activity.duration)}</th>
                        <th scope="col">{tr!(i18n, sessions.pages)}</th>
                        <th scope="col">{tr!(i18n, history.first_pages)}</th>
                        <th scope="col">{tr!(i18n, history.reason)}</th>
                    </tr>
                </thead>
                <tbody>
                    {page.items.into_iter().map(|entry| view! { <HistoryRow entry language/> }).collect_view()}
                </tbody>
            </table>
        </div>
        <Pager
            label=tr!(i18n, history.pagination)
            newer=newest
            newer_text=tr!(i18n, history.newest)
            older
            older_text=tr!(i18n, history.older)
        />
    }
    .into_any()
}

#[component]
fn HistoryRow(entry: HistoryEntry, language: Signal<Language>) -> impl IntoView {
    let HistoryEntry {
        started_at,
        ended_at,
        duration_secs,
        page_count,
        first_pages,
        end_reason,
        ..
    } = entry;
    let (started, ended) = (started_at.clone(), ended_at.clone());
    view! {
        <tr data-reason=end_reason.as_str()>
            <td><time datetime=started_at>{move || format::datetime(language.get(), &started)}</time></td>
            <td><time datetime=ended_at>{move || format::datetime(language.get(), &ended)}</time></td>
            <td>{move || format::duration(language.get(), duration_secs.max(0) as u64)}</td>
            <td>{page_count}</td>
            <td class="paths">
                {first_pages.into_iter().map(|page| view! { <code class="path">{page}</code> " " }).collect_view()}
            </td>
            <td>{move || reason_text(language.get(), end_reason)}</td>
        </tr>
    }
}
