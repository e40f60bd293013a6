//! The `passkeys` and `ceremonies` tables.

use sea_orm::{
    sea_query::Expr,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::server::entity::{
    ceremony::{self, Column as CeremonyColumn, Entity as Ceremonies},
    passkey::{self, Column, Entity as Passkeys, Model},
};

/// A passkey to store.
#[derive(Debug, Clone)]
pub struct NewPasskey<'a> {
    pub user_id: i64,
    pub credential_id: &'a str,
    pub name: &'a str,
    pub passkey: &'a str,
    pub sign_count: i64,
    pub now: i64,
}

/// Stores a passkey. `false` when its credential is stored already (registered twice).
pub async fn insert(db: &impl ConnectionTrait, new: NewPasskey<'_>) -> Result<bool, DbErr> {
    let inserted = Passkeys::insert(passkey::ActiveModel {
        id: NotSet,
        user_id: Set(new.user_id),
        credential_id: Set(new.credential_id.to_owned()),
        name: Set(new.name.to_owned()),
        passkey: Set(new.passkey.to_owned()),
        sign_count: Set(new.sign_count),
        created_at: Set(new.now),
        last_used_at: Set(None),
    })
    .on_conflict_do_nothing_on([Column::CredentialId])
    .exec(db)
    .await?;
    Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(_)))
}

/// The user's passkeys, oldest first.
pub async fn of_user(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<Model>, DbErr> {
    Passkeys::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

pub async fn by_credential(db: &impl ConnectionTrait, credential_id: &str) -> Result<Option<Model>, DbErr> {
    Passkeys::find()
        .filter(Column::CredentialId.eq(credential_id))
        .one(db)
        .await
}

/// Records a use: the updated passkey and its counter, if the counter moved forward (or both
/// are 0: an authenticator that keeps none). `false` when another use got there first with this
/// counter or a later one, which a cloned authenticator would do.
pub async fn record_use(
    db: &impl ConnectionTrait,
    id: i64,
    passkey: &str,
    sign_count: i64,
    now: i64,
) -> Result<bool, DbErr> {
    let counter_ok = if sign_count == 0 {
        Column::SignCount.eq(0)
    } else {
        Column::SignCount.lt(sign_count)
    };
    let updated = Passkeys::update_many()
        .col_expr(Column::Passkey, Expr::value(passkey))
        .col_expr(Column::SignCount, Expr::value(sign_count))
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(counter_ok)
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Removes the user's passkey `id`; `None` when there is no such passkey of theirs, else its
/// name.
pub async fn delete(db: &impl ConnectionTrait, user_id: i64, id: i64) -> Result<Option<String>, DbErr> {
    let mut gone = Passkeys::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .exec_with_returning(db)
        .await?;
    Ok(gone.pop().map(|p| p.name))
}

/// Removes every passkey of the user; how many went.
pub async fn delete_all(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbErr> {
    Ok(Passkeys::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Keeps a ceremony's state under the digest of its token.
pub async fn put_ceremony(
    db: &impl ConnectionTrait,
    token_hash: &str,
    user_id: Option<i64>,
    kind: &str,
    state: &str,
    expires_at: i64,
) -> Result<(), DbErr> {
    Ceremonies::insert(ceremony::ActiveModel {
        token_hash: Set(token_hash.to_owned()),
        user_id: Set(user_id),
        kind: Set(kind.to_owned()),
        state: Set(state.to_owned()),
        expires_at: Set(expires_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Takes a ceremony's state out (a `DELETE … RETURNING`): of any number of finishes with one
/// token, one gets it, whether its ceremony then succeeds or fails.
pub async fn take_ceremony(db: &impl ConnectionTrait, token_hash: &str) -> Result<Option<ceremony::Model>, DbErr> {
    let mut taken = Ceremonies::delete_many()
        .filter(CeremonyColumn::TokenHash.eq(token_hash))
        .exec_with_returning(db)
        .await?;
    Ok(taken.pop())
}

/// Deletes ceremonies that expired before `now` (abandoned ones).
pub async fn purge_ceremonies(db: &impl ConnectionTrait, now: i64) -> Result<u64, DbErr> {
    Ok(Ceremonies::delete_many()
        .filter(CeremonyColumn::ExpiresAt.lt(now))
        .exec(db)
        .await?
        .rows_affected)
}
