//! Second factors in SQL: the TOTP columns of `users` and the `recovery_codes` table.

use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::server::entity::{
    recovery_code::{self, Column as Code, Entity as RecoveryCodes},
    user::{self, Entity as Users},
};

/// Turns the second factor on with `secret` (or moves it to this new secret, confirmed by a code
/// from it), `step` being the time step of that code (so it cannot be used again). `false` when
/// the account has this secret already (the setup was confirmed before).
pub async fn enable_totp(
    db: &impl ConnectionTrait,
    user_id: i64,
    secret: &str,
    step: i64,
    now: i64,
) -> Result<bool, DbErr> {
    let updated = Users::update_many()
        .col_expr(user::Column::TotpSecret, Expr::value(secret))
        .col_expr(user::Column::TotpEnabledAt, Expr::value(now))
        .col_expr(user::Column::TotpLastStep, Expr::value(step))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .filter(
            user::Column::TotpSecret
                .is_null()
                .or(user::Column::TotpSecret.ne(secret)),
        )
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Turns the second factor off: the secret and every recovery code go.
pub async fn disable_totp(db: &impl ConnectionTrait, user_id: i64, now: i64) -> Result<(), DbErr> {
    Users::update_many()
        .col_expr(user::Column::TotpSecret, Expr::value(Option::<String>::None))
        .col_expr(user::Column::TotpEnabledAt, Expr::value(Option::<i64>::None))
        .col_expr(user::Column::TotpLastStep, Expr::value(Option::<i64>::None))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    RecoveryCodes::delete_many()
        .filter(Code::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records that a code of time step `step` was accepted, if no code of that step or a later one
/// was: of two requests with one code, exactly one gets `true`.
pub async fn use_step(db: &impl ConnectionTrait, user_id: i64, secret: &str, step: i64) -> Result<bool, DbErr> {
    let updated = Users::update_many()
        .col_expr(user::Column::TotpLastStep, Expr::value(step))
        .filter(user::Column::Id.eq(user_id))
        // The secret the code was checked against is still the account's.
        .filter(user::Column::TotpSecret.eq(secret))
        .filter(
            user::Column::TotpLastStep
                .is_null()
                .or(user::Column::TotpLastStep.lt(step)),
        )
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Replaces the account's recovery codes with these digests.
pub async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    user_id: i64,
    digests: &[String],
    now: i64,
) -> Result<(), DbErr> {
    RecoveryCodes::delete_many()
        .filter(Code::UserId.eq(user_id))
        .exec(db)
        .await?;
    let rows = digests.iter().map(|digest| recovery_code::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        code_hash: Set(digest.clone()),
        created_at: Set(now),
        used_at: Set(None),
    });
    RecoveryCodes::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// Uses the recovery code with this digest, if it is the account's and unused: of two requests
/// with one code, exactly one gets `true`.
pub async fn use_recovery_code(db: &impl ConnectionTrait, user_id: i64, digest: &str, now: i64) -> Result<bool, DbErr> {
    let updated = RecoveryCodes::update_many()
        .col_expr(Code::UsedAt, Expr::value(now))
        .filter(Code::UserId.eq(user_id))
        .filter(Code::CodeHash.eq(digest))
        .filter(Code::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// How many of the account's recovery codes are unused.
pub async fn recovery_codes_left(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbErr> {
    RecoveryCodes::find()
        .filter(Code::UserId.eq(user_id))
        .filter(Code::UsedAt.is_null())
        .count(db)
        .await
}
