//! Porch: accounts, sessions and preferences, server-rendered with Leptos and hydrated in the
//! browser. One crate: `ssr` builds the server, `hydrate` the WASM client.

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
