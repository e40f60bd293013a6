//! Preferences: for guests in a signed cookie, for users in the database (read through a
//! Redis cache, like the profile). Both the JSON API and the pages go through here.

pub mod cookie;

use cookie::Field;

use std::collections::BTreeMap;

use axum::{body::Body, response::Response};
use http::{header, HeaderMap, HeaderValue};
use serde::Serialize;

use crate::server::time::now_ms;
use crate::{
    error::{AppError, ErrorCode},
    model::{Language, Msg, Preferences, Theme, User},
    server::{
        auth::profile,
        backend::{Cached, UserView},
        headers::combined,
        repo::{db_error, preferences as repo},
        session::AppSession,
        state::AppState,
    },
};

/// How long a user's preferences stay cached in Redis.
const CACHE_TTL_MS: i64 = 30 * 60 * 1000;

/// Where the preferences in effect come from: the preferences cookie (a guest) or the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Cookie,
    Account,
}

/// The preferences in effect for a request, where they came from, and the cookies to send
/// when the browser's copy must be (re)written.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub prefs: Preferences,
    pub source: Source,
    pub set_cookies: Vec<HeaderValue>,
}

/// Defaults for a first visit: the browser's best supported language.
pub fn defaults(headers: &HeaderMap) -> Preferences {
    let accept = combined(headers, &header::ACCEPT_LANGUAGE).unwrap_or_default();
    Preferences::defaults_for(Language::negotiate(&accept))
}

/// The guest view: the cookies' preferences over defaults (and fresh cookies when one was
/// unreadable, so the bad value does not come back on every request).
pub fn guest(state: &AppState, headers: &HeaderMap) -> Resolved {
    let cookies = state.preferences_cookie.read(headers);
    let prefs = cookies.prefs(|| defaults(headers));
    let set_cookies = if cookies.unreadable {
        state.preferences_cookie.set_all(&prefs)
    } else {
        Vec::new()
    };
    Resolved {
        prefs,
        source: Source::Cookie,
        set_cookies,
    }
}

/// Appends `cookies` to a response's headers.
pub fn append_cookies(headers: &mut HeaderMap, cookies: Vec<HeaderValue>) {
    for cookie in cookies {
        headers.append(header::SET_COOKIE, cookie);
    }
}

pub fn cache_key(user_id: i64) -> String {
    format!("prefs:{user_id}")
}

/// A user's saved preferences (cache, then database), `None` if they never saved any.
pub async fn of_user(state: &AppState, user_id: i64) -> Result<Option<Preferences>, AppError> {
    let cached = state.backend.cache_get(&cache_key(user_id)).await.ok();
    of_user_from(state, user_id, cached).await
}

/// [`of_user`] with the cache already read (`None`: the cache could not be asked).
async fn of_user_from(state: &AppState, user_id: i64, cached: Option<Cached>) -> Result<Option<Preferences>, AppError> {
    if let Some(prefs) = cached
        .as_ref()
        .and_then(Cached::hit)
        .and_then(|json| serde_json::from_str::<Option<Preferences>>(json).ok())
    {
        return Ok(prefs);
    }
    let prefs = repo::get(&state.db, user_id).await.map_err(db_error)?;
    if let (Some(cached), Ok(json)) = (cached, serde_json::to_string(&prefs)) {
        // Refused when they were saved since the cache was read: this copy may be older. An
        // unreadable cached value is replaced.
        let token = cached.into_fill_token();
        let _ = state
            .backend
            .cache_fill(&cache_key(user_id), &token, &json, CACHE_TTL_MS)
            .await;
    }
    Ok(prefs)
}

/// Saves the fields of `patch` for a user (over `base` when they never saved any) and returns
/// all of their preferences as now stored; the cache and the copy their sessions read are
/// invalidated.
async fn save_for_user(
    state: &AppState,
    user_id: i64,
    base: &Preferences,
    patch: &Patch,
) -> Result<Preferences, AppError> {
    let saved = repo::save_fields(
        &state.db,
        user_id,
        base,
        patch.theme,
        patch.language,
        patch.notifications,
        now_ms(),
    )
    .await
    .map_err(db_error)?;
    if let Err(e) = state.backend.cache_invalidate(&cache_key(user_id)).await {
        tracing::warn!(error = %e, user_id, "cached preferences not invalidated");
    }
    profile::forget_user_views(state, user_id).await;
    Ok(saved)
}

/// Gives a user who never saved preferences these ones (what the browser shows at sign-up or
/// sign-in); a user who has some keeps theirs. Returns what the account now has.
pub async fn adopt_for_user(state: &AppState, user_id: i64, prefs: &Preferences) -> Result<Preferences, AppError> {
    save_for_user(state, user_id, prefs, &Patch::default()).await
}

/// The preferences in effect for this request. While the session store is down a signed-in
/// visitor is shown as a guest, so their cookie copy applies.
pub async fn resolve(state: &AppState, session: &AppSession, headers: &HeaderMap) -> Result<Resolved, AppError> {
    let Ok(Some(me)) = session.signed_in().await else {
        return Ok(guest(state, headers));
    };
    let prefs = match session
        .user_view(me.user_id)
        .and_then(|view| read_copy(&view, me.user_id))
    {
        // The session's own copy came with it: nothing more to ask Redis.
        Some((prefs, user)) => {
            state.metrics.count_profile_cache(true);
            session.remember_profile(user);
            prefs
        }
        None => {
            let (prefs, profile) = read_user(state, me.user_id).await?;
            if let (Ok(prefs_json), Some(user)) = (serde_json::to_string(&prefs), profile) {
                if let Ok(profile_json) = serde_json::to_string(&user) {
                    session.keep_user_view(me.user_id, prefs_json, profile_json);
                }
                session.remember_profile(user);
            }
            prefs
        }
    };
    match prefs {
        Some(prefs) => Ok(Resolved {
            prefs,
            source: Source::Account,
            set_cookies: Vec::new(),
        }),
        // Never saved: what this browser shows now is what the account starts with.
        None => Ok(Resolved {
            source: Source::Account,
            ..guest(state, headers)
        }),
    }
}

/// The copy of the user loaded with the session, if complete and readable (written by this
/// version, for this user); anything else is read afresh and replaced.
fn read_copy(view: &UserView, user_id: i64) -> Option<(Option<Preferences>, User)> {
    let (prefs, profile) = view.complete()?;
    let prefs = serde_json::from_str::<Option<Preferences>>(prefs).ok()?;
    Some((prefs, profile::parse_profile(profile, user_id)?))
}

/// A user's preferences and profile from the per-user caches (one round trip for both), then
/// the database for whatever was not cached.
async fn read_user(state: &AppState, user_id: i64) -> Result<(Option<Preferences>, Option<User>), AppError> {
    let names = [cache_key(user_id), profile::profile_cache_key(user_id)];
    let (cached_prefs, cached_profile) = match state.backend.cache_get_many(&names).await {
        Ok(mut values) if values.len() == 2 => {
            let profile = values.pop();
            (values.pop(), profile)
        }
        _ => (None, None),
    };
    let prefs = of_user_from(state, user_id, cached_prefs).await?;
    let profile = profile::profile_from(state, user_id, cached_profile).await?;
    Ok((prefs, profile))
}

/// A partial update, validated field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patch {
    pub theme: Option<Theme>,
    pub language: Option<Language>,
    pub notifications: Option<bool>,
}

impl Patch {
    /// Reads a JSON object with any subset of `theme`, `language`, `notifications`. Anything
    /// else, or a bad value, is a 400 naming each field.
    pub fn from_json(body: &serde_json::Value) -> Result<Self, AppError> {
        let Some(object) = body.as_object() else {
            return Err(AppError::new(ErrorCode::BadRequest, Msg::PreferencesObject));
        };
        let mut patch = Patch::default();
        let mut fields = BTreeMap::new();
        for (key, value) in object {
            match key.as_str() {
                "theme" => match value.as_str().and_then(Theme::parse) {
                    Some(t) => patch.theme = Some(t),
                    None => {
                        fields.insert(key.clone(), Msg::ThemeChoice);
                    }
                },
                "language" => match value.as_str().and_then(Language::parse) {
                    Some(l) => patch.language = Some(l),
                    None => {
                        fields.insert(key.clone(), Msg::LanguageChoice);
                    }
                },
                "notifications" => match value.as_bool() {
                    Some(n) => patch.notifications = Some(n),
                    None => {
                        fields.insert(key.clone(), Msg::BooleanChoice);
                    }
                },
                _ => {
                    let name: String = key.chars().take(64).collect();
                    fields.insert(name, Msg::UnknownPreference);
                }
            }
        }
        if fields.is_empty() {
            Ok(patch)
        } else {
            Err(AppError::fields(fields))
        }
    }

    pub fn apply(&self, prefs: Preferences) -> Preferences {
        Preferences {
            theme: self.theme.unwrap_or(prefs.theme),
            language: self.language.unwrap_or(prefs.language),
            notifications: self.notifications.unwrap_or(prefs.notifications),
        }
    }

    /// The preferences this patch sets.
    pub fn fields(&self) -> Vec<Field> {
        let mut fields = Vec::new();
        fields.extend(self.theme.map(|_| Field::Theme));
        fields.extend(self.language.map(|_| Field::Language));
        fields.extend(self.notifications.map(|_| Field::Notifications));
        fields
    }
}

/// Applies `patch`: users' preferences go to the database (only the fields it sets, so saves
/// of different fields racing each other all stay), guests' to their cookies (the fields'
/// own cookies, for the same reason). The cookies are rewritten for users too, so the browser
/// keeps showing their preferences after sign-out.
pub async fn save(
    state: &AppState,
    session: &AppSession,
    headers: &HeaderMap,
    patch: &Patch,
) -> Result<Resolved, AppError> {
    let current = resolve(state, session, headers).await?;
    let prefs = if current.source == Source::Account {
        let me = session
            .signed_in()
            .await
            .ok()
            .flatten()
            .ok_or_else(AppError::unavailable)?;
        save_for_user(state, me.user_id, &current.prefs, patch).await?
    } else {
        patch.apply(current.prefs)
    };
    Ok(Resolved {
        prefs,
        source: current.source,
        set_cookies: state.preferences_cookie.set_headers(&prefs, &patch.fields()),
    })
}

/// Re-renders an [`AppError`] response's body in `language` (it was rendered in English).
pub fn localize_error(mut response: Response, language: Language) -> Response {
    if language == Language::En {
        return response;
    }
    if let Some(error) = response.extensions_mut().remove::<AppError>() {
        let body = crate::error::ErrorResponse {
            error: error.body(language),
        };
        *response.body_mut() = Body::from(serde_json::to_string(&body).unwrap_or_default());
        response.headers_mut().remove(header::CONTENT_LENGTH);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_validate_each_field_and_refuse_unknown_ones() {
        let patch = Patch::from_json(&serde_json::json!({"theme": "dark"})).unwrap();
        assert_eq!(
            patch,
            Patch {
                theme: Some(Theme::Dark),
                ..Default::default()
            }
        );
        let err = Patch::from_json(
            &serde_json::json!({"theme": "blue", "language": "de", "notifications": "yes", "font": 1}),
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(
            err.fields.keys().collect::<Vec<_>>(),
            ["font", "language", "notifications", "theme"]
        );
        assert!(Patch::from_json(&serde_json::json!([1])).is_err());
        let applied = Patch {
            language: Some(Language::Ar),
            ..Default::default()
        }
        .apply(Preferences::default());
        assert_eq!(
            applied,
            Preferences {
                language: Language::Ar,
                ..Preferences::default()
            }
        );
    }
}
