//! The `users` table.

use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

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
        role: Set(crate::model::Role::User.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        sign_in_count: Set(0),
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

/// Deletes the user; the database deletes their preferences, avatar and history with them
/// (foreign keys `ON DELETE CASCADE`).
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    Ok(Users::delete_by_id(id).exec(db).await?.rows_affected > 0)
}

/// How much of a sign-in's `User-Agent` is kept (longer ones are cut, on a character boundary).
pub const AGENT_KEPT: usize = 512;

/// Records a sign-in (`at`: Unix milliseconds) and its browser's `User-Agent`, and counts it.
/// Not a change to the account: `updated_at` stays.
pub async fn note_sign_in(db: &impl ConnectionTrait, id: i64, at: i64, user_agent: &str) -> Result<(), DbErr> {
    let agent: String = user_agent.chars().take(AGENT_KEPT).collect();
    Users::update_many()
        .col_expr(user::Column::LastSignInAt, Expr::value(at))
        .col_expr(user::Column::LastSignInAgent, Expr::value(agent))
        .col_expr(user::Column::SignInCount, Expr::col(user::Column::SignInCount).add(1))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
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

/// Marks `email` verified for the account, if it is still the account's address.
pub async fn mark_email_verified(db: &impl ConnectionTrait, id: i64, email: &str, now: i64) -> Result<bool, DbErr> {
    let updated = Users::update_many()
        .col_expr(user::Column::EmailVerifiedAt, Expr::value(now))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::Email.eq(email))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// What [`change_email`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum EmailChange {
    Changed,
    /// The account's address is no longer `from` (or the account is gone).
    Stale,
    /// Another account has `to` now.
    Taken,
}

/// Replaces the account's address `from` with `to`, verified at `now` (the link that asks for
/// this was mailed to `to`). The unique index decides against a concurrent registration.
pub async fn change_email(
    db: &impl ConnectionTrait,
    id: i64,
    from: &str,
    to: &str,
    now: i64,
) -> Result<EmailChange, DbErr> {
    let updated = Users::update_many()
        .col_expr(user::Column::Email, Expr::value(to))
        .col_expr(user::Column::EmailVerifiedAt, Expr::value(now))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::Email.eq(from))
        .exec(db)
        .await;
    match updated {
        Ok(done) if done.rows_affected == 1 => Ok(EmailChange::Changed),
        Ok(_) => Ok(EmailChange::Stale),
        Err(e) if super::is_unique_violation(&e) => Ok(EmailChange::Taken),
        Err(e) => Err(e),
    }
}

/// Replaces the password hash `old` with `new` (same password, newer parameters or its normal
/// form), only if `old` is still the stored one: a password changed meanwhile is never undone.
/// `false` when it was not (changed, or no such user).
pub async fn upgrade_password_hash(
    db: &impl ConnectionTrait,
    id: i64,
    old: &str,
    new: &str,
    now: i64,
) -> Result<bool, DbErr> {
    let updated = Users::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(new))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::PasswordHash.eq(old))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Up to `limit` accounts with ids below `before` (all when `None`), newest first, and the id to
/// continue from when there are more.
pub async fn page(
    db: &impl ConnectionTrait,
    before: Option<i64>,
    limit: u64,
) -> Result<(Vec<Model>, Option<i64>), DbErr> {
    let mut query = Users::find().order_by_desc(user::Column::Id).limit(limit + 1);
    if let Some(before) = before {
        query = query.filter(user::Column::Id.lt(before));
    }
    let mut rows = query.all(db).await?;
    let next = (rows.len() as u64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|row| row.id)
    });
    Ok((rows, next.flatten()))
}

pub async fn make_admin(db: &impl ConnectionTrait, id: i64, now: i64) -> Result<Option<Model>, DbErr> {
    update(
        db,
        id,
        |row| row.role = Set(crate::model::Role::Admin.as_str().to_owned()),
        now,
    )
    .await
}

/// What [`demote_admin`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Demotion {
    Demoted(Box<Model>),
    /// No such user.
    NotFound,
    /// They are the only admin left: nobody could promote anyone again.
    LastAdmin,
}

/// Makes `id` a plain user unless that would leave no admin, atomically: two admins demoting
/// each other at the same moment cannot both succeed.
pub async fn demote_admin(db: &DatabaseConnection, id: i64, now: i64) -> Result<Demotion, DbErr> {
    let admin = crate::model::Role::Admin.as_str();
    let demote = Users::update_many()
        .col_expr(user::Column::Role, Expr::value(crate::model::Role::User.as_str()))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        // Someone who is not an admin loses nothing, whatever the count. The subquery is a
        // constant ('admin' is `Role::Admin`'s name, never input): no placeholder to translate.
        .filter(
            user::Column::Role
                .ne(admin)
                .or(Expr::cust("(SELECT COUNT(*) FROM users WHERE role = 'admin') > 1")),
        );
    let updated = match db.get_database_backend() {
        // One statement is atomic on SQLite (writers are serialised); a transaction that read
        // first could fail to upgrade to a write under WAL instead of waiting.
        DatabaseBackend::Sqlite => demote.exec(db).await?.rows_affected,
        // PostgreSQL evaluates the count in the statement's snapshot: lock the admin rows
        // first so a concurrent demotion waits and then sees this one.
        _ => {
            let txn = db.begin().await?;
            Users::find()
                .filter(user::Column::Role.eq(admin))
                .lock_exclusive()
                .all(&txn)
                .await?;
            let rows = demote.exec(&txn).await?.rows_affected;
            txn.commit().await?;
            rows
        }
    };
    match (updated, by_id(db, id).await?) {
        (_, None) => Ok(Demotion::NotFound),
        (0, Some(_)) => Ok(Demotion::LastAdmin),
        (_, Some(row)) => Ok(Demotion::Demoted(Box::new(row))),
    }
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
