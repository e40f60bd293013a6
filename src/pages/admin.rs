//! `/admin`: what the site's admins look at. Everyone else gets the page-not-found page, the
//! same as for a path that does not exist.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{
        chart::{ColumnChart, Columns, Ranking, RankingChart, Series},
        form::{FormMessage, FormState},
    },
    components::{error_notice::ErrorNotice, not_found::NotFound, pager::Pager},
    context::{full_page_load, use_locale, Auth, CurrentPreferences},
    error::AppError,
    i18n::td_string,
    model::{
        admin::{AdminStats, UserPage},
        format, Language, Msg, Role, User,
    },
    server_fns::{
        admin::{admin_figures, admin_users, SetUserRole, UnlockUser},
        auth::take_form_feedback,
    },
    title, tr,
};

/// How often the figures refresh in place while the page is open and visible (JavaScript on).
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The page's data and actions. Made once per page by [`AdminPage`]: the server builds the
/// dashboard more than once while it waits for the user (each build would fetch again, and
/// reading a form's feedback takes it).
#[derive(Clone, Copy)]
struct Dashboard {
    stats: Resource<Result<Option<AdminStats>, AppError>>,
    users: Resource<Result<Option<UserPage>, AppError>>,
    cursor: Memo<Option<String>>,
    refreshes: RwSignal<u32>,
    set_role: ServerAction<SetUserRole>,
    role_state: FormState,
    unlock: ServerAction<UnlockUser>,
    unlock_state: FormState,
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let is_admin = Memo::new(move |_| matches!(auth.user.get(), Ok(Some(user)) if user.role == Role::Admin));
    let refreshes = RwSignal::new(0_u32);
    // Nothing is asked for anyone but an admin.
    let stats = Resource::new(
        move || (is_admin.get(), refreshes.get()),
        |(admin, _)| async move {
            match admin {
                true => admin_figures().await.map(Some),
                false => Ok(None),
            }
        },
    );
    let query = use_query_map();
    let cursor = Memo::new(move |_| query.read().get("cursor").filter(|c| !c.is_empty()));
    let set_role = ServerAction::<SetUserRole>::new();
    let unlock = ServerAction::<UnlockUser>::new();
    let users = Resource::new(
        move || {
            (
                is_admin.get(),
                cursor.get(),
                set_role.version().get(),
                unlock.version().get(),
            )
        },
        |(admin, cursor, _, _)| async move {
            match admin {
                true => admin_users(cursor).await.map(Some),
                false => Ok(None),
            }
        },
    );
    let feedback = Resource::new(|| (), |_| take_form_feedback("roles".into()));
    let unlock_feedback = Resource::new(|| (), |_| take_form_feedback("unlock".into()));
    let data = Dashboard {
        stats,
        users,
        cursor,
        refreshes,
        set_role,
        role_state: FormState::new(set_role, feedback, Some(Msg::RoleChanged)),
        unlock,
        unlock_state: FormState::new(unlock, unlock_feedback, Some(Msg::SignInResumed)),
    };
    #[cfg(feature = "hydrate")]
    {
        let interval = set_interval_with_handle(
            move || {
                // A tab in the background asks for nothing.
                if is_admin.get_untracked() && !document().hidden() {
                    refreshes.update(|n| *n += 1);
                }
            },
            REFRESH_EVERY,
        )
        .ok();
        on_cleanup(move || {
            if let Some(interval) = interval {
                interval.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = REFRESH_EVERY;
    view! {
        <Transition fallback=|| ()>
            {move || match auth.user.get() {
                Ok(Some(user)) if user.role == Role::Admin => view! { <DashboardView me=user data/> }.into_any(),
                // Guests, users, and an unreachable store alike: nothing says the page exists.
                _ => view! { <NotFound/> }.into_any(),
            }}
        </Transition>
    }
}

#[component]
fn DashboardView(me: User, data: Dashboard) -> impl IntoView {
    let Dashboard {
        stats,
        users,
        cursor,
        refreshes,
        set_role,
        role_state,
        unlock,
        unlock_state,
    } = data;
    let i18n = use_locale();
    let current = expect_context::<CurrentPreferences>();
    let language = Signal::derive(move || current.0.get().language);
    let my_id = me.id;
    Effect::new(move |_| {
        // Having removed their own admin role, the page is no longer theirs to see.
        if let Some(Ok(user)) = set_role.value().get() {
            if user.id == my_id && user.role != Role::Admin {
                full_page_load("/admin");
            }
        }
    });

    view! {
        <Title text=title!(i18n, admin.title)/>
        <h1>{tr!(i18n, admin.title)}</h1>
        <p class="lead">{tr!(i18n, admin.lead)}</p>
        <Transition fallback=|| ()>
            {move || stats.get().map(|result| match result {
                Ok(Some(stats)) => view! { <Figures stats language=language.get() refreshes/> }.into_any(),
                Ok(None) => ().into_any(),
                Err(error) => view! { <ErrorNotice error/> }.into_any(),
            })}
        </Transition>
        <section class="admin-users" aria-labelledby="accounts">
            <h2 id="accounts">{tr!(i18n, admin.users)}</h2>
            <p class="hint">{tr!(i18n, admin.users_lead)}</p>
            <FormMessage state=role_state/>
            <FormMessage state=unlock_state/>
            <Transition fallback=|| ()>
                {move || users.get().map(|result| match result {
                    Ok(None) => ().into_any(),
                    Ok(Some(page)) => view! {
                        <UserTable page first=cursor.get_untracked().is_none() me=my_id set_role unlock language=language.get()/>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// `series: 12 in all, most 4 (Nov 23, 14:00 UTC).` for each series, in `language`.
fn summary(language: Language, series: &[Series], long_labels: &[String]) -> String {
    let locale = language.locale();
    series
        .iter()
        .map(|s| {
            let name = s.name.as_str();
            match s.total_and_peak() {
                (total, Some((max, at))) => {
                    let (total, max) = (format::number(language, total), format::number(language, max));
                    let at = long_labels.get(at).map_or("", String::as_str);
                    td_string!(locale, admin.series_summary, series = name, total, max, at).to_string()
                }
                (_, None) => td_string!(locale, admin.series_empty, series = name).to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[component]
fn Figures(stats: AdminStats, language: Language, refreshes: RwSignal<u32>) -> impl IntoView {
    let locale = language.locale();
    let t = |text: &str| text.to_owned();
    let hour_labels: Vec<String> = stats.hourly.iter().map(|h| format::time(&h.hour).to_owned()).collect();
    let hour_long: Vec<String> = stats
        .hourly
        .iter()
        .map(|h| format::datetime(language, &h.hour))
        .collect();
    let day_labels: Vec<String> = stats
        .daily
        .iter()
        .map(|d| format::day_month(language, &d.day))
        .collect();
    let day_long: Vec<String> = stats.daily.iter().map(|d| format::date(language, &d.day)).collect();
    let hourly = |f: fn(&crate::model::admin::HourStats) -> i64| stats.hourly.iter().map(f).collect::<Vec<_>>();
    let daily = |f: fn(&crate::model::admin::DayStats) -> i64| stats.daily.iter().map(f).collect::<Vec<_>>();
    let started = t(td_string!(locale, admin.started));
    let ended = t(td_string!(locale, admin.ended));

    let hourly_chart = |id, title: &str, series: Vec<Series>| Columns {
        id,
        title: title.to_owned(),
        summary: summary(language, &series, &hour_long),
        column_heading: t(td_string!(locale, admin.hour)),
        labels: hour_labels.clone(),
        long_labels: hour_long.clone(),
        label_every: 4,
        series,
    };
    let sessions_hourly = hourly_chart(
        "chart-sessions-hourly",
        td_string!(locale, admin.sessions_hourly),
        vec![
            Series {
                name: started.clone(),
                class: "series-1",
                values: hourly(|h| h.figures.sessions_started),
            },
            Series {
                name: ended.clone(),
                class: "series-2",
                values: hourly(|h| h.figures.sessions_ended),
            },
        ],
    );
    let page_views = hourly_chart(
        "chart-page-views",
        td_string!(locale, admin.page_views_hourly),
        vec![Series {
            name: t(td_string!(locale, admin.page_views)),
            class: "series-3",
            values: hourly(|h| h.figures.page_views),
        }],
    );
    let sign_ins = hourly_chart(
        "chart-sign-ins",
        td_string!(locale, admin.sign_ins_hourly),
        vec![
            Series {
                name: t(td_string!(locale, admin.sign_ins)),
                class: "series-1",
                values: hourly(|h| h.figures.sign_ins),
            },
            Series {
                name: t(td_string!(locale, admin.sign_in_failures)),
                class: "series-4",
                values: hourly(|h| h.figures.sign_in_failures),
            },
        ],
    );
    let rate_limited = hourly_chart(
        "chart-rate-limited",
        td_string!(locale, admin.rate_limited_hourly),
        vec![Series {
            name: t(td_string!(locale, admin.rejections)),
            class: "series-4",
            values: hourly(|h| h.figures.rate_limited),
        }],
    );
    let daily_series = vec![
        Series {
            name: started,
            class: "series-1",
            values: daily(|d| d.figures.sessions_started),
        },
        Series {
            name: ended,
            class: "series-2",
            values: daily(|d| d.figures.sessions_ended),
        },
    ];
    let sessions_daily = Columns {
        id: "chart-sessions-daily",
        title: t(td_string!(locale, admin.sessions_daily)),
        summary: summary(language, &daily_series, &day_long),
        column_heading: t(td_string!(locale, admin.day)),
        labels: day_labels,
        long_labels: day_long,
        label_every: 5,
        series: daily_series,
    };
    let top_pages = (!stats.top_pages.is_empty()).then(|| {
        let rows: Vec<(String, i64)> = stats.top_pages.iter().map(|p| (p.path.clone(), p.views)).collect();
        let summary = rows
            .iter()
            .map(|(path, views)| format!("{path}: {}", format::number(language, *views)))
            .collect::<Vec<_>>()
            .join(", ");
        Ranking {
            id: "chart-top-pages",
            title: t(td_string!(locale, admin.top_pages)),
            summary,
            name_heading: t(td_string!(locale, admin.page)),
            value_heading: t(td_string!(locale, admin.views)),
            rows,
        }
    });
    let toggle = t(td_string!(locale, admin.show_table));
    let none = || td_string!(locale, admin.no_value).to_owned();
    let duration = |secs: Option<i64>| secs.map_or_else(none, |s| format::duration(language, s.max(0) as u64));
    let cache = &stats.profile_cache;
    let hit_ratio = format::percent(language, cache.hits, cache.hits + cache.misses).unwrap_or_else(none);
    let (hits, misses) = (
        format::number(language, cache.hits as i64),
        format::number(language, cache.misses as i64),
    );
    let durations_count = format::number(language, stats.session_duration.sessions as i64);
    let generated = stats.generated_at.clone();
    let in_memory = stats.store.is_none();

    view! {
        <p class="hint figures-time">
            <time datetime=generated.clone()>
                {td_string!(locale, admin.updated, time = format::datetime(language, &generated)).to_string()}
            </time>
            " "
            // Without JavaScript the link loads the page again; with it, the figures refresh in place.
            <a
                href="/admin"
                on:click=move |ev| {
                    ev.prevent_default();
                    refreshes.update(|n| *n += 1);
                }
            >
                {td_string!(locale, admin.refresh)}
            </a>
            <span class="js-only">" · " {td_string!(locale, admin.auto_refresh)}</span>
        </p>
        <h2 class="visually-hidden">{td_string!(locale, admin.now)}</h2>
        <dl class="stat-cards" data-testid="admin-now">
            <div>
                <dt>{td_string!(locale, admin.live_sessions)}</dt>
                <dd data-testid="live-sessions">{format::number(language, stats.live_sessions as i64)}</dd>
            </div>
            <div>
                <dt>{td_string!(locale, admin.median_duration)}</dt>
                <dd>{duration(stats.session_duration.median_seconds)}</dd>
            </div>
            <div>
                <dt>{td_string!(locale, admin.p90_duration)}</dt>
                <dd>{duration(stats.session_duration.p90_seconds)}</dd>
            </div>
            <div>
                <dt>{td_string!(locale, admin.cache_hit_ratio)}</dt>
                <dd>{hit_ratio}</dd>
            </div>
            {match stats.store {
                Some(store) => view! {
                    <div>
                        <dt>{td_string!(locale, admin.store_memory)}</dt>
                        <dd>{format::bytes(language, store.used_memory_bytes)}</dd>
                    </div>
                    <div>
                        <dt>{td_string!(locale, admin.store_keys)}</dt>
                        <dd>{format::number(language, store.keys as i64)}</dd>
                    </div>
                }
                .into_any(),
                None => ().into_any(),
            }}
        </dl>
        <p class="hint">
            {td_string!(locale, admin.durations_note, count = durations_count).to_string()}
            " "
            {td_string!(locale, admin.cache_note, hits, misses).to_string()}
            {in_memory.then(|| view! { " " {td_string!(locale, admin.store_none)} })}
        </p>
        <div class="charts">
            <ColumnChart chart=sessions_hourly language table_toggle=toggle.clone()/>
            <ColumnChart chart=sessions_daily language table_toggle=toggle.clone()/>
            <ColumnChart chart=page_views language table_toggle=toggle.clone()/>
            {match top_pages {
                Some(chart) => view! { <RankingChart chart language table_toggle=toggle.clone()/> }.into_any(),
                None => view! {
                    <figure class="chart" data-testid="chart-top-pages">
                        <figcaption><h3>{td_string!(locale, admin.top_pages)}</h3></figcaption>
                        <p>{td_string!(locale, admin.no_pages)}</p>
                    </figure>
                }
                .into_any(),
            }}
            <ColumnChart chart=sign_ins language table_toggle=toggle.clone()/>
            <ColumnChart chart=rate_limited language table_toggle=toggle/>
        </div>
    }
}

#[component]
fn UserTable(
    page: UserPage,
    first: bool,
    me: i64,
    set_role: ServerAction<SetUserRole>,
    unlock: ServerAction<UnlockUser>,
    language: Language,
) -> impl IntoView {
    let paused = page.sign_in_paused;
    let locale = language.locale();
    let older = page.next_cursor.map(|c| format!("/admin?cursor={c}#accounts"));
    let newest = (!first).then(|| "/admin#accounts".to_owned());
    let i18n = use_locale();
    view! {
        <div class="table-wrap">
            <table class="sessions users" data-testid="users">
                <thead>
                    <tr>
                        <th scope="col">{td_string!(locale, fields.name)}</th>
                        <th scope="col">{td_string!(locale, fields.email)}</th>
                        <th scope="col">{td_string!(locale, admin.role)}</th>
                        <th scope="col">{td_string!(locale, admin.joined)}</th>
                        <th scope="col"><span class="visually-hidden">{td_string!(locale, sessions.actions)}</span></th>
                    </tr>
                </thead>
                <tbody>
                    {page
                        .items
                        .into_iter()
                        .map(|user| {
                            let admin = user.role == Role::Admin;
                            let (role_name, action, next_role) = if admin {
                                (td_string!(locale, admin.role_admin), td_string!(locale, admin.remove_admin), Role::User)
                            } else {
                                (td_string!(locale, admin.role_user), td_string!(locale, admin.make_admin), Role::Admin)
                            };
                            let label = td_string!(locale, admin.change_role_of, name = user.name.as_str()).to_string();
                            let unlock_label = td_string!(locale, admin.unlock_of, name = user.name.as_str()).to_string();
                            let paused_until = paused.get(&user.id).cloned();
                            view! {
                                <tr data-email=user.email.clone() data-role=user.role.as_str()>
                                    <td>
                                        {user.name.clone()}
                                        {(user.id == me).then(|| view! { " " <span class="badge">{td_string!(locale, admin.you)}</span> })}
                                    </td>
                                    <td>{user.email.clone()}</td>
                                    <td>
                                        {role_name}
                                        {paused_until.clone().map(|until| view! {
                                            " " <span class="badge warning" data-testid="sign-in-paused">
                                                {td_string!(locale, admin.paused)} " "
                                                <time datetime=until.clone()>{format::datetime(language, &until)}</time>
                                            </span>
                                        })}
                                    </td>
                                    <td>{format::date(language, &user.created_at)}</td>
                                    <td>
                                        <ActionForm action=set_role attr:class="inline-form" attr:aria-label=label>
                                            <input type="hidden" name="user" value=user.id.to_string()/>
                                            <input type="hidden" name="role" value=next_role.as_str()/>
                                            <button type="submit" class=if admin { "button small danger" } else { "button small" }>
                                                {action}
                                            </button>
                                        </ActionForm>
                                        {paused_until.is_some().then(|| view! {
                                            <ActionForm action=unlock attr:class="inline-form" attr:aria-label=unlock_label.clone()>
                                                <input type="hidden" name="user" value=user.id.to_string()/>
                                                <button type="submit" class="button small">{td_string!(locale, admin.unlock)}</button>
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
        <Pager
            label=tr!(i18n, admin.users_pagination)
            newer=newest
            newer_text=tr!(i18n, admin.newest_users)
            older
            older_text=tr!(i18n, admin.older_users)
        />
    }
}
