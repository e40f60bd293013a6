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

/// Inserts or replaces the user's preferences in one statement.
pub async fn put(db: &impl ConnectionTrait, user_id: i64, prefs: &Preferences, now: i64) -> Result<(), DbErr> {
    let row = preferences::ActiveModel {
        user_id: Set(user_id),
        theme: Set(prefs.theme.as_str().to_owned()),
        language: Set(prefs.language.as_str().to_owned()),
        notifications: Set(prefs.notifications),
        updated_at: Set(now),
    };
    PreferencesTable::insert(row)
        .on_conflict(
            OnConflict::column(preferences::Column::UserId)
                .update_columns([
                    preferences::Column::Theme,
                    preferences::Column::Language,
                    preferences::Column::Notifications,
                    preferences::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}
