//! The `preferences` table.

use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::{
    model::{Language, Preferences, Theme},
    server::entity::preferences::{self, Entity as PreferencesTable},
};

/// The user's saved preferences, if any. A row with values this version does not know (written
/// by a newer one, or edited by hand) reads as absent rather than failing the page.
pub async fn get(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<Preferences>, DbErr> {
    let row = PreferencesTable::find_by_id(user_id).one(db).await?;
    Ok(row.and_then(|r| {
        Some(Preferences {
            theme: Theme::parse(&r.theme)?,
            language: Language::parse(&r.language)?,
            notifications: r.notifications,
        })
    }))
}

/// Saves some of the user's preferences in one statement and returns all of them as they now
/// are. The first save inserts `base` with the given fields applied; a later one updates only
/// the given fields, so concurrent saves of different fields (or a save racing the first one)
/// all stay: nothing is read and written back.
pub async fn save_fields(
    db: &impl ConnectionTrait,
    user_id: i64,
    base: &Preferences,
    theme: Option<Theme>,
    language: Option<Language>,
    notifications: Option<bool>,
    now: i64,
) -> Result<Preferences, DbErr> {
    let row = preferences::ActiveModel {
        user_id: Set(user_id),
        theme: Set(theme.unwrap_or(base.theme).as_str().to_owned()),
        language: Set(language.unwrap_or(base.language).as_str().to_owned()),
        notifications: Set(notifications.unwrap_or(base.notifications)),
        updated_at: Set(now),
    };
    let mut columns = vec![preferences::Column::UpdatedAt];
    columns.extend(theme.map(|_| preferences::Column::Theme));
    columns.extend(language.map(|_| preferences::Column::Language));
    columns.extend(notifications.map(|_| preferences::Column::Notifications));
    let saved = PreferencesTable::insert(row)
        .on_conflict(
            OnConflict::column(preferences::Column::UserId)
                .update_columns(columns)
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?;
    Ok(Preferences {
        theme: Theme::parse(&saved.theme).unwrap_or(base.theme),
        language: Language::parse(&saved.language).unwrap_or(base.language),
        notifications: saved.notifications,
    })
}

/// Inserts or replaces all of the user's preferences in one statement.
pub async fn put(db: &impl ConnectionTrait, user_id: i64, prefs: &Preferences, now: i64) -> Result<(), DbErr> {
    save_fields(
        db,
        user_id,
        prefs,
        Some(prefs.theme),
        Some(prefs.language),
        Some(prefs.notifications),
        now,
    )
    .await
    .map(|_| ())
}
