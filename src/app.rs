//! The document shell, the root component and the routes. The root provides the page's
//! contexts ([`crate::context`]); pages and components read them from there.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Html, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, LazyRoute, SsrMode,
};

use crate::{
    components::{footer::Footer, header::Header, not_found::NotFound, notices::Notices, page_views::PageViewTracker},
    context,
    pages::{
        account::{AccountPage, PasswordPage, SessionsPage},
        activity::{SessionHistoryPage, ThisSessionPage},
        admin::AdminPage,
        auth::{LoginPage, RegisterPage},
        home::HomePage,
        mail::{ForgotPasswordPage, ResetPasswordPage, VerifyEmailPage},
        security::{AccountSecurityLogPage, ConfirmPage, SecondStepPage, SecurityPage},
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

/// A page whose code is a WASM chunk of its own, fetched when the page is first shown (in the
/// browser; the server renders it as any page). Release builds split the WASM (cargo-leptos
/// `--split`, `cfg(wasm_split)` from build.rs); an unsplit build keeps the same lazy routes with
/// their code in the one module. The pages most visitors open first (home, sign-in,
/// registration, settings, 404) are not lazy.
macro_rules! lazy_page {
    ($route:ident => $page:ident) => {
        struct $route;

        #[cfg(wasm_split)]
        #[leptos_router::lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(this: Self) -> AnyView {
                let _ = this;
                view! { <$page/> }.into_any()
            }
        }

        #[cfg(not(wasm_split))]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(this: Self) -> AnyView {
                let _ = this;
                view! { <$page/> }.into_any()
            }
        }
    };
}

lazy_page!(ForgotPasswordRoute => ForgotPasswordPage);
lazy_page!(ResetPasswordRoute => ResetPasswordPage);
lazy_page!(VerifyEmailRoute => VerifyEmailPage);
lazy_page!(AccountRoute => AccountPage);
lazy_page!(PasswordRoute => PasswordPage);
lazy_page!(SessionsRoute => SessionsPage);
lazy_page!(HistoryRoute => SessionHistoryPage);
lazy_page!(SecurityLogRoute => AccountSecurityLogPage);
lazy_page!(SecurityRoute => SecurityPage);
lazy_page!(ConfirmRoute => ConfirmPage);
lazy_page!(SecondStepRoute => SecondStepPage);
lazy_page!(ThisSessionRoute => ThisSessionPage);
lazy_page!(AdminRoute => AdminPage);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let prefs = context::provide();
    let i18n = context::use_locale();

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
                    <Route path=path!("/password/forgot") view={Lazy::<ForgotPasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/password/reset") view={Lazy::<ResetPasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/email/verify") view={Lazy::<VerifyEmailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/unlock") view={Lazy::<VerifyEmailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/password") view={Lazy::<PasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/sessions") view={Lazy::<SessionsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/history") view={Lazy::<HistoryRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/security-log") view={Lazy::<SecurityLogRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/security") view={Lazy::<SecurityRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/confirm") view={Lazy::<ConfirmRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/login/second-factor") view={Lazy::<SecondStepRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/session") view={Lazy::<ThisSessionRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view={Lazy::<AdminRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}
