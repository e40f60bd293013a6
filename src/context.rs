//! What every page and component reads from the page around it: the signed-in user and the
//! account actions ([`Auth`]), the preferences the page renders with ([`CurrentPreferences`]),
//! the page's locale ([`use_locale`]), and small hooks over the location. [`provide`] is called
//! once, by the root component; pages and components read, and nothing here knows of them.

use leptos::prelude::*;

use crate::{
    error::AppError,
    i18n::Locale,
    model::{Preferences, User},
    server_fns::auth::{
        current_user, ChangePassword, Login, Logout, Register, RemoveAvatar, RevokeSession, SignOutOthers,
        UpdateProfile,
    },
};

/// Provides every context of this module for the page; returns the preferences signal, which
/// the root component also writes into the `<html>` attributes.
pub fn provide() -> RwSignal<Preferences> {
    provide_context(Auth::new());
    let prefs = RwSignal::new(initial_preferences());
    provide_context(CurrentPreferences(prefs));
    let locale = Signal::derive(move || prefs.get().language.locale());
    provide_context(PageLocale(locale));
    prefs
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
