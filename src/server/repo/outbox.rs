//! The `mail_outbox` table: mails to send, each claimed by one sender at a time.

use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::server::entity::mail_outbox::{self, Column, Entity as Outbox, Model};

/// A mail to queue (see [`crate::server::entity::mail_outbox::Model`] for the fields).
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    pub kind: &'a str,
    pub user_id: Option<i64>,
    pub recipient: Option<&'a str>,
    pub language: &'a str,
    pub params: serde_json::Value,
}

/// Queues a mail, due now. Call it on the transaction of the change that causes the mail.
pub async fn insert(db: &impl ConnectionTrait, mail: NewMail<'_>, now: i64) -> Result<(), DbErr> {
    mail_outbox::ActiveModel {
        kind: Set(mail.kind.to_owned()),
        user_id: Set(mail.user_id),
        recipient: Set(mail.recipient.map(str::to_owned)),
        language: Set(mail.language.to_owned()),
        params: Set(mail.params.to_string()),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Condition of a mail that is unsent, not given up, and held by no live claim at `now`.
fn open(now: i64) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(Column::SentAt.is_null())
        .add(Column::FailedAt.is_null())
        .add(
            sea_orm::Condition::any()
                .add(Column::ClaimedUntil.is_null())
                .add(Column::ClaimedUntil.lt(now)),
        )
}

/// Up to `limit` mails due at `now`, oldest first. Candidates only: [`claim`] decides.
pub async fn due(db: &impl ConnectionTrait, now: i64, limit: u64) -> Result<Vec<Model>, DbErr> {
    Outbox::find()
        .filter(open(now))
        .filter(Column::NextAttemptAt.lte(now))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Claims mail `id` for the sender `by` until `until`: true if this sender now holds it. One
/// conditional update, so of several senders asking at once exactly one wins (PostgreSQL
/// re-checks the condition on the row it waited for; SQLite writes one at a time).
pub async fn claim(db: &impl ConnectionTrait, id: i64, by: &str, until: i64, now: i64) -> Result<bool, DbErr> {
    let done = Outbox::update_many()
        .col_expr(Column::ClaimedBy, Expr::value(by))
        .col_expr(Column::ClaimedUntil, Expr::value(until))
        .filter(Column::Id.eq(id))
        .filter(open(now))
        // Still due: another sender may have put it off since this one listed it.
        .filter(Column::NextAttemptAt.lte(now))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Renews `by`'s claim on mail `id`, as the first write of the transaction that makes its
/// link's token: false when the mail was cancelled (or taken over) meanwhile, so no token is
/// made for a mail that must not go.
pub async fn still_claimed(db: &impl ConnectionTrait, id: i64, by: &str, until: i64) -> Result<bool, DbErr> {
    let done = Outbox::update_many()
        .col_expr(Column::ClaimedUntil, Expr::value(until))
        .filter(Column::Id.eq(id))
        .filter(Column::ClaimedBy.eq(by))
        .filter(Column::SentAt.is_null())
        .filter(Column::FailedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Marks a claimed mail sent (or needing no sending).
pub async fn mark_sent(db: &impl ConnectionTrait, id: i64, by: &str, now: i64) -> Result<(), DbErr> {
    finish(db, id, by, Column::SentAt, now).await
}

/// Gives up on a claimed mail.
pub async fn mark_failed(db: &impl ConnectionTrait, id: i64, by: &str, now: i64) -> Result<(), DbErr> {
    finish(db, id, by, Column::FailedAt, now).await
}

async fn finish(db: &impl ConnectionTrait, id: i64, by: &str, column: Column, now: i64) -> Result<(), DbErr> {
    Outbox::update_many()
        .col_expr(column, Expr::value(now))
        .col_expr(Column::ClaimedUntil, Expr::value(Option::<i64>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::ClaimedBy.eq(by))
        .exec(db)
        .await?;
    Ok(())
}

/// Releases a claimed mail to be tried again at `at`, counting the attempt.
pub async fn retry_at(db: &impl ConnectionTrait, id: i64, by: &str, at: i64) -> Result<(), DbErr> {
    Outbox::update_many()
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::NextAttemptAt, Expr::value(at))
        .col_expr(Column::ClaimedUntil, Expr::value(Option::<i64>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::ClaimedBy.eq(by))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops the user's unsent mails of `kind` (a newer request replaces them).
pub async fn cancel_unsent(db: &impl ConnectionTrait, user_id: i64, kind: &str) -> Result<u64, DbErr> {
    let done = Outbox::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Kind.eq(kind))
        .filter(Column::SentAt.is_null())
        .filter(Column::FailedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// The recipient of the user's newest unsent mail of `kind` (an address still to confirm
/// before its link is even sent).
pub async fn unsent_recipient(db: &impl ConnectionTrait, user_id: i64, kind: &str) -> Result<Option<String>, DbErr> {
    let row = Outbox::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Kind.eq(kind))
        .filter(Column::SentAt.is_null())
        .filter(Column::FailedAt.is_null())
        .order_by_desc(Column::Id)
        .one(db)
        .await?;
    Ok(row.and_then(|r| r.recipient))
}

/// Deletes mails sent or given up before `before` (the outbox is not an archive).
pub async fn purge(db: &impl ConnectionTrait, before: i64) -> Result<u64, DbErr> {
    let done = Outbox::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(Column::SentAt.lt(before))
                .add(Column::FailedAt.lt(before)),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
