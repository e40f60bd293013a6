//! The `security_events` table: the security log, written beside the change each row records,
//! read newest first by cursor, pruned after its retention.

use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::TimeCursor;
use crate::server::entity::security_event::{self, Column, Entity as SecurityEvents, Model};

/// A row to write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewEvent {
    pub user_id: i64,
    pub kind: &'static str,
    pub at: i64,
    pub ip: Option<String>,
    pub device: Option<String>,
    pub detail: Option<String>,
}

/// Writes one row (in the caller's transaction, when it passes one).
pub async fn insert(db: &impl ConnectionTrait, event: NewEvent) -> Result<(), DbErr> {
    let clip = |s: Option<String>, max: usize| s.map(|s| s.chars().take(max).collect::<String>());
    SecurityEvents::insert(security_event::ActiveModel {
        id: NotSet,
        user_id: Set(event.user_id),
        kind: Set(event.kind.to_owned()),
        at: Set(event.at),
        ip: Set(clip(event.ip, 64)),
        device: Set(clip(event.device, 200)),
        detail: Set(clip(event.detail, 320)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Up to `limit` of the user's events after `cursor`, newest first, and the cursor of the next
/// page when there is one.
pub async fn page_for_user(
    db: &impl ConnectionTrait,
    user_id: i64,
    cursor: Option<TimeCursor>,
    limit: u64,
) -> Result<(Vec<Model>, Option<TimeCursor>), DbErr> {
    let mut query = SecurityEvents::find().filter(Column::UserId.eq(user_id));
    if let Some(c) = cursor {
        query = query.filter(
            Condition::any()
                .add(Column::At.lt(c.at))
                .add(Condition::all().add(Column::At.eq(c.at)).add(Column::Id.lt(c.id))),
        );
    }
    let mut rows = query
        .order_by_desc(Column::At)
        .order_by_desc(Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| TimeCursor { at: r.at, id: r.id })
    } else {
        None
    };
    Ok((rows, next))
}

/// How long entries are kept: 90 days (issue 20), in milliseconds.
pub const RETENTION_MS: i64 = 90 * 24 * 60 * 60 * 1000;

/// Deletes every row older than [`RETENTION_MS`] at `now` (Unix ms); how many went.
pub async fn prune_expired(db: &impl ConnectionTrait, now: i64) -> Result<u64, DbErr> {
    Ok(SecurityEvents::delete_many()
        .filter(Column::At.lt(now - RETENTION_MS))
        .exec(db)
        .await?
        .rows_affected)
}
