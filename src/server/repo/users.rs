//! The `users` table.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::server::entity::user::{self, Entity as Users, Model};

#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("email already registered")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub async fn insert(
    db: &impl ConnectionTrait,
    name: &str,
    email: &str,
    password_hash: &str,
    now: i64,
) -> Result<Model, InsertUserError> {
    let row = user::ActiveModel {
        name: Set(name.to_owned()),
        email: Set(email.to_owned()),
        password_hash: Set(password_hash.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    // The unique index decides between concurrent registrations of one email.
    row.insert(db).await.map_err(|e| {
        if super::is_unique_violation(&e) {
            InsertUserError::EmailTaken
        } else {
            e.into()
        }
    })
}

pub async fn by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<Model>, DbErr> {
    Users::find().filter(user::Column::Email.eq(email)).one(db).await
}

pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    Users::find_by_id(id).one(db).await
}

pub async fn set_name(db: &impl ConnectionTrait, id: i64, name: &str, now: i64) -> Result<Option<Model>, DbErr> {
    update(db, id, |row| row.name = Set(name.to_owned()), now).await
}

pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    id: i64,
    hash: &str,
    now: i64,
) -> Result<Option<Model>, DbErr> {
    update(db, id, |row| row.password_hash = Set(hash.to_owned()), now).await
}

async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    change: impl FnOnce(&mut user::ActiveModel),
    now: i64,
) -> Result<Option<Model>, DbErr> {
    let mut row = user::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        ..Default::default()
    };
    change(&mut row);
    row.updated_at = Set(now);
    match row.update(db).await {
        Ok(model) => Ok(Some(model)),
        Err(DbErr::RecordNotUpdated) => Ok(None),
        Err(e) => Err(e),
    }
}
