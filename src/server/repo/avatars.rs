//! The `avatars` table and the user's pointer to it (`users.avatar`), changed together.

use sea_orm::{
    sea_query::OnConflict, ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect, TransactionTrait,
};

use crate::server::entity::{
    avatar::{self, Column, Entity as Avatars},
    user::{self, Model as UserRow},
};

/// An avatar ready to store.
pub struct NewAvatar<'a> {
    pub hash: &'a str,
    pub content_type: &'a str,
    pub data: &'a [u8],
}

/// Replaces the user's avatar; `None` when there is no such user (deleted meanwhile).
pub async fn put(
    db: &DatabaseConnection,
    user_id: i64,
    new: NewAvatar<'_>,
    now: i64,
) -> Result<Option<UserRow>, DbErr> {
    let txn = db.begin().await?;
    let Some(current) = user::Entity::find_by_id(user_id).one(&txn).await? else {
        return Ok(None);
    };
    let row = avatar::ActiveModel {
        user_id: Set(user_id),
        hash: Set(new.hash.to_owned()),
        content_type: Set(new.content_type.to_owned()),
        data: Set(new.data.to_vec()),
        updated_at: Set(now),
    };
    Avatars::insert(row)
        .on_conflict(
            OnConflict::column(Column::UserId)
                .update_columns([Column::Hash, Column::ContentType, Column::Data, Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let mut user: user::ActiveModel = current.into();
    user.avatar = Set(Some(new.hash.to_owned()));
    user.updated_at = Set(now);
    let user = user.update(&txn).await?;
    txn.commit().await?;
    Ok(Some(user))
}

/// Removes the user's avatar; `None` when there is no such user.
pub async fn remove(db: &DatabaseConnection, user_id: i64, now: i64) -> Result<Option<UserRow>, DbErr> {
    let txn = db.begin().await?;
    let Some(current) = user::Entity::find_by_id(user_id).one(&txn).await? else {
        return Ok(None);
    };
    Avatars::delete_by_id(user_id).exec(&txn).await?;
    let mut user: user::ActiveModel = current.into();
    user.avatar = Set(None);
    user.updated_at = Set(now);
    let user = user.update(&txn).await?;
    txn.commit().await?;
    Ok(Some(user))
}

/// The image stored under `hash`: (content type, bytes).
pub async fn by_hash(db: &DatabaseConnection, hash: &str) -> Result<Option<(String, Vec<u8>)>, DbErr> {
    Avatars::find()
        .select_only()
        .column(Column::ContentType)
        .column(Column::Data)
        .filter(Column::Hash.eq(hash))
        .into_tuple()
        .one(db)
        .await
}
