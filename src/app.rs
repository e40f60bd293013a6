//! The document shell, the root component, the routes, and the signed-in user for every page.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Html, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::{
    api::auth::{
        current_user, ChangePassword, Login, Logout, Register, RemoveAvatar, RevokeSession, SignOutOthers,
        UpdateProfile,
    },
    components::{footer::Footer, header::Header, notices::Notices, page_views::PageViewTracker},
    error::AppError,
    i18n::Locale,
    model::{Preferences, User},
    pages::{
        account::{AccountPage, PasswordPage, SessionsPage},
        activity::{SessionHistoryPage, ThisSessionPage},
        admin::AdminPage,
        auth::{LoginPage, RegisterPage},
        home::HomePage,
        not_found::NotFound,
        settings::SettingsPage,
    },
    tr,
};

/// The full HTML document the server sends. `<html>`'s attributes come from [`Html`] in
/// [`App`], so they can depend on the request (language, theme) and are right in the first byte.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's Content-Security-Policy allows the nonce Leptos puts on these scripts; the
    // server sets it from the rendered head (`server::protection`).
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                // The ICO for browsers that ask for /favicon.ico anyway, the SVG for those that can
                // use it (it wins where supported).
                <link rel="icon" href="/favicon.ico" sizes="16x16 32x32 48x48"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The account actions and the signed-in user, shared by the header and the pages. The user is
/// fetched again whenever an action that can change it completes.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<User>, AppError>>,
    pub login: ServerAction<Login>,
    pub register: ServerAction<Register>,
    pub logout: ServerAction<Logout>,
    pub update_profile: ServerAction<UpdateProfile>,
    pub remove_avatar: ServerAction<RemoveAvatar>,
    pub change_password: ServerAction<ChangePassword>,
    pub revoke: ServerAction<RevokeSession>,
    pub sign_out_others: ServerAction<SignOutOthers>,
}

impl Auth {
    fn new() -> Self {
        let login = ServerAction::<Login>::new();
        let register = ServerAction::<Register>::new();
        let logout = ServerAction::<Logout>::new();
        let update_profile = ServerAction::<UpdateProfile>::new();
        let remove_avatar = ServerAction::<RemoveAvatar>::new();
        let change_password = ServerAction::<ChangePassword>::new();
        let user = Resource::new(
            move || {
                (
                    login.version().get(),
                    register.version().get(),
                    logout.version().get(),
                    update_profile.version().get(),
                    remove_avatar.version().get(),
                )
            },
            |_| current_user(),
        );
        Self {
            user,
            login,
            register,
            logout,
            update_profile,
            remove_avatar,
            change_password,
            revoke: ServerAction::new(),
            sign_out_others: ServerAction::new(),
        }
    }
}

/// The preferences the page renders with. On the server they come from the request (resolved by
/// `server::preferences::layer` before rendering); in the browser they are read back from the
/// `<html>` attributes the server wrote, so hydration starts from exactly what was rendered.
#[derive(Clone, Copy)]
pub struct CurrentPreferences(pub RwSignal<Preferences>);

fn initial_preferences() -> Preferences {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .extensions
                    .get::<crate::server::preferences::Resolved>()
                    .map(|r| r.prefs)
            })
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        use crate::model::{Language, Theme};
        let root = document().document_element();
        let attr = |name: &str| root.as_ref().and_then(|r| r.get_attribute(name)).unwrap_or_default();
        Preferences {
            theme: Theme::parse(&attr("data-theme")).unwrap_or_default(),
            language: Language::parse(&attr("lang")).unwrap_or_default(),
            notifications: attr("data-notifications") != "off",
        }
    }
}

/// The page's locale, made once by [`App`]: owned by the app's root, it lives as long as the
/// page. (A signal made per component died with its component, and the `<Title>` text that
/// read it was still called after that while the server wrote the `<head>`: a panic, seen under
/// concurrent requests.)
#[derive(Clone, Copy)]
struct PageLocale(Signal<Locale>);

/// The locale every translated text on the page follows (see [`tr!`](crate::tr)): the
/// preferences' language, so a saved change re-renders the page in place.
pub fn use_locale() -> Signal<Locale> {
    expect_context::<PageLocale>().0
}

/// Loads `path` as a new document: after signing in or out everything on the page depends on
/// who is signed in, and a fresh server render gets all of it right at once.
pub fn full_page_load(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// The current path with its query, as the URL has it (`/account/history?note=caf%C3%A9`): the
/// way back here that a form sends. The closure tracks the location when read reactively.
pub fn use_current_path() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let location = leptos_router::hooks::use_location();
    let (pathname, search) = (location.pathname, location.search);
    move || {
        let (path, query) = (pathname.get(), search.get());
        if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(Auth::new());
    let prefs = RwSignal::new(initial_preferences());
    provide_context(CurrentPreferences(prefs));
    let i18n = Signal::derive(move || prefs.get().language.locale());
    provide_context(PageLocale(i18n));

    // Effects run only in the browser: this attribute says the WASM client has taken over,
    // which end-to-end tests check so that a broken hydration cannot pass unnoticed.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    // Async: the whole page (header included) is rendered before it is sent, so it is complete
    // without JavaScript and never shows a loading placeholder.
    view! {
        <Html
            {..}
            lang=move || prefs.get().language.as_str()
            dir=move || prefs.get().language.dir()
            data-theme=move || prefs.get().theme.as_str()
            data-notifications=move || if prefs.get().notifications { "on" } else { "off" }
        />
        <Stylesheet id="leptos" href="/pkg/porch.css"/>
        <Title formatter=|title: String| if title.is_empty() { "Porch".to_owned() } else { format!("{title} · Porch") }/>
        <Router>
            <PageViewTracker/>
            <a class="skip-link" href="#main">{tr!(i18n, nav.skip)}</a>
            <Header/>
            <Notices/>
            <main id="main" class="container">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/password") view=PasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/sessions") view=SessionsPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/history") view=SessionHistoryPage ssr=SsrMode::Async/>
                    <Route path=path!("/session") view=ThisSessionPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}
