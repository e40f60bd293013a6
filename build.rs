//! Generates the `i18n` module from `locales/*.json` (configured under
//! `[package.metadata.leptos-i18n]` in Cargo.toml). A key missing from a locale falls back to
//! English at run time; `tests/translations.rs` turns that into a failing test.

use std::path::PathBuf;

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=Cargo.toml");
    // `cfg(wasm_split)`: this WASM build is split into chunks (cargo-leptos `--split`, which
    // links with `--emit-relocs`). Only then are lazy routes' views split points: an unsplit
    // build (`cargo leptos watch`, a debug build) keeps them in the one module, because a split
    // point it never splits imports a module that does not exist.
    println!("cargo::rustc-check-cfg=cfg(wasm_split)");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let wasm = std::env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32"));
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if wasm && flags.contains("--emit-relocs") {
        println!("cargo::rustc-cfg=wasm_split");
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let config = Config::new("en")
        .expect("valid default locale")
        .add_locales(["fr", "es", "ar"])
        .expect("valid locales")
        // Lets `td_string!` fill placeholders (`{{ day }}`), for dates, durations, device names.
        .parse_options(ParseOptions::new().interpolate_display(true));
    let translations = TranslationsInfos::parse(config).expect("locales/*.json parse");
    translations.rerun_if_locales_changed();
    translations.emit_diagnostics();
    translations
        .generate_i18n_module(out_dir.join("i18n"))
        .expect("write the i18n module");
}
