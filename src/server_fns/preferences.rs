//! Server functions for preferences: the settings form and the header's theme switch.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::{
    fn_context::{append_cookies, request_context},
    forms::{finish, Outcome},
    preferences::{self, Patch},
};
use crate::{error::AppError, model::Preferences};

/// Saves a patch and sends the rewritten cookie with the response.
#[cfg(feature = "ssr")]
async fn save_patch(body: serde_json::Value, outcome: Outcome<'_>) -> Result<Preferences, AppError> {
    let (state, session, client) = request_context()?;
    let result = match Patch::from_json(&body) {
        Ok(patch) => preferences::save(&state, &session, &client.headers, &patch).await,
        Err(e) => Err(e),
    };
    let result = result.map(|resolved| {
        append_cookies(resolved.set_cookies);
        resolved.prefs
    });
    finish(Some(&session), result, outcome).await
}

/// The settings form: all three preferences at once (an unticked checkbox is absent).
#[server(prefix = "/api/fn", endpoint = "save_preferences")]
pub async fn save_preferences(
    theme: String,
    language: String,
    notifications: Option<String>,
) -> Result<Preferences, AppError> {
    let body = serde_json::json!({"theme": theme, "language": language, "notifications": notifications.is_some()});
    let outcome = Outcome {
        form: "settings",
        success_to: None,
        notice: Some(crate::model::Msg::PreferencesSaved),
        back: "/settings",
        values: vec![],
    };
    save_patch(body, outcome).await
}

/// The header's theme switch; without JavaScript the browser comes back to `back`.
#[server(prefix = "/api/fn", endpoint = "set_theme")]
pub async fn set_theme(theme: String, back: Option<String>) -> Result<Preferences, AppError> {
    let back = crate::model::same_site_path(back.as_deref(), "/");
    let outcome = Outcome {
        form: "theme",
        success_to: None,
        notice: None,
        back,
        values: vec![],
    };
    save_patch(serde_json::json!({ "theme": theme }), outcome).await
}
