//! The notice a page shows in place of what it could not get.

use leptos::prelude::*;

use crate::{
    context::{use_locale, CurrentPreferences},
    error::{AppError, ErrorCode},
};

/// A notice for a failure the user cannot fix (mostly the session store or database being
/// down), sent with the error's status (503) when rendered on the server.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            http::StatusCode::from_u16(error.code.status()).unwrap_or(http::StatusCode::SERVICE_UNAVAILABLE),
        );
        if error.code == ErrorCode::Unavailable {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from_static("5"));
        }
    }
    let i18n = use_locale();
    let current = expect_context::<CurrentPreferences>();
    let missing = error.code == ErrorCode::NotFound;
    let title = move || {
        use crate::i18n::td_string;
        if missing {
            td_string!(i18n.get(), not_found.title)
        } else {
            td_string!(i18n.get(), unavailable.title)
        }
    };
    view! {
        <section class="notice" role="alert">
            <h1>{title}</h1>
            <p>{move || error.message.text(current.0.get().language)}</p>
        </section>
    }
}
