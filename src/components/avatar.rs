//! A user's avatar: their image, or their initials on a disc of their colour.

use leptos::prelude::*;

use crate::{context::use_locale, i18n::td_string, model::Badge};

/// `badge` from [`crate::context::badge`]. `size` is the side in CSS pixels (the stored image is 256 px, sharp up to 128 at 2×).
/// `decorative` when the user's name is written next to it (the header): then it is hidden
/// from assistive technology rather than read twice.
#[component]
pub fn Avatar(badge: Badge, size: u32, #[prop(optional)] decorative: bool) -> impl IntoView {
    let i18n = use_locale();
    let name = badge.name.clone();
    let alt = move || {
        if decorative {
            String::new()
        } else {
            td_string!(i18n.get(), account.avatar_alt, name = name.as_str()).to_string()
        }
    };
    let class = format!("avatar avatar-{size}");
    match badge.avatar_url.clone() {
        Some(url) => view! {
            <img class=class src=url alt=alt width=size height=size data-testid="avatar-image"/>
        }
        .into_any(),
        None => view! {
            <span
                class=format!("{class} avatar-initials avatar-c{}", badge.colour)
                role=(!decorative).then_some("img")
                aria-label=move || (!decorative).then(&alt)
                aria-hidden=decorative.then_some("true")
                data-testid="avatar-initials"
            >
                <span aria-hidden="true">{badge.initials}</span>
            </span>
        }
        .into_any(),
    }
}
