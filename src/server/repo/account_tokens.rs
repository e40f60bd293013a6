//! The `account_tokens` table: the digests of mailed links' single-use tokens.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::server::entity::account_token::{self, Column, Entity as Tokens, Model};

/// Stores `token`, first deleting the user's other tokens of the same purpose: asking again
/// invalidates older links.
pub async fn replace(db: &impl ConnectionTrait, token: Model) -> Result<(), DbErr> {
    delete_for(db, token.user_id, &[token.purpose.as_str()]).await?;
    insert(db, token).await
}

/// Stores `token` beside the user's others of its purpose (again, if it was stored before: a
/// mail sent twice carries one token).
pub async fn put(db: &impl ConnectionTrait, token: Model) -> Result<(), DbErr> {
    Tokens::delete_by_id(token.token_hash.clone()).exec(db).await?;
    insert(db, token).await
}

async fn insert(db: &impl ConnectionTrait, token: Model) -> Result<(), DbErr> {
    account_token::ActiveModel {
        token_hash: Set(token.token_hash),
        user_id: Set(token.user_id),
        purpose: Set(token.purpose),
        account_email: Set(token.account_email),
        new_email: Set(token.new_email),
        created_at: Set(token.created_at),
        expires_at: Set(token.expires_at),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, token_hash: &str) -> Result<Option<Model>, DbErr> {
    Tokens::find_by_id(token_hash.to_owned()).one(db).await
}

/// Uses the token up, returning it to the one caller that deleted it (of any number at once).
/// One write statement (`DELETE … RETURNING`), so a transaction that starts with it takes
/// SQLite's write lock at once instead of failing to upgrade a read under WAL.
pub async fn take(db: &impl ConnectionTrait, token_hash: &str) -> Result<Option<Model>, DbErr> {
    let mut taken = Tokens::delete_many()
        .filter(Column::TokenHash.eq(token_hash))
        .exec_with_returning(db)
        .await?;
    Ok(taken.pop())
}

/// Deletes the user's tokens of these purposes.
pub async fn delete_for(db: &impl ConnectionTrait, user_id: i64, purposes: &[&str]) -> Result<(), DbErr> {
    Tokens::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Purpose.is_in(purposes.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes tokens that expired before `now`.
pub async fn purge_expired(db: &impl ConnectionTrait, now: i64) -> Result<u64, DbErr> {
    Ok(Tokens::delete_many()
        .filter(Column::ExpiresAt.lt(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// The address waiting for confirmation by the user's address-change link, if its link still
/// works (not expired, made while the account had `account_email`).
pub async fn pending_email(
    db: &impl ConnectionTrait,
    user_id: i64,
    account_email: &str,
    now: i64,
) -> Result<Option<String>, DbErr> {
    let row = Tokens::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Purpose.eq("email_change"))
        .filter(Column::AccountEmail.eq(account_email))
        .filter(Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    Ok(row.and_then(|r| r.new_email))
}
