//! The document shell, the root component and the routes.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Html, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    StaticSegment,
};

use crate::{
    components::{footer::Footer, header::Header},
    pages::{home::HomePage, not_found::NotFound},
};

/// The full HTML document the server sends. `<html>`'s attributes come from [`Html`] in
/// [`App`], so they can depend on the request (language, theme) and are right in the first byte.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Effects run only in the browser: this attribute says the WASM client has taken over,
    // which end-to-end tests check so that a broken hydration cannot pass unnoticed.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Html {..} lang="en" dir="ltr" data-theme="system"/>
        <Stylesheet id="leptos" href="/pkg/porch.css"/>
        <Title formatter=|title: String| if title.is_empty() { "Porch".to_owned() } else { format!("{title} · Porch") }/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header/>
            <main id="main" class="container">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=StaticSegment("") view=HomePage/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}
