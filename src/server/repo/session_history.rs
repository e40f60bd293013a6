//! The `session_history` table: written once per ended session, read newest first by cursor.

use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::TimeCursor as Cursor;
use crate::server::entity::session_history::{self, Column, Entity as HistoryTable, Model};

/// A row to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub session_key: String,
    pub user_id: Option<i64>,
    pub started_at: i64,
    pub ended_at: i64,
    pub page_count: i64,
    pub first_pages: Vec<String>,
    pub end_reason: String,
}

/// Writes the entry unless its session is already archived. `true` when this call wrote it.
pub async fn insert_once(db: &impl ConnectionTrait, entry: &NewEntry) -> Result<bool, DbErr> {
    let row = session_history::ActiveModel {
        id: NotSet,
        session_key: Set(entry.session_key.clone()),
        user_id: Set(entry.user_id),
        started_at: Set(entry.started_at),
        ended_at: Set(entry.ended_at.max(entry.started_at)),
        duration_secs: Set((entry.ended_at - entry.started_at).max(0) / 1000),
        page_count: Set(entry.page_count.max(0)),
        first_pages: Set(serde_json::to_string(&entry.first_pages).unwrap_or_else(|_| "[]".into())),
        end_reason: Set(entry.end_reason.clone()),
    };
    let inserted = HistoryTable::insert(row)
        .on_conflict_do_nothing_on([Column::SessionKey])
        .exec(db)
        .await?;
    Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(_)))
}

/// Durations in seconds of the sessions (anyone's) that ended at or after `since`, the
/// `limit` most recent.
pub async fn recent_durations(db: &impl ConnectionTrait, since: i64, limit: u64) -> Result<Vec<i64>, DbErr> {
    HistoryTable::find()
        .select_only()
        .column(Column::DurationSecs)
        .filter(Column::EndedAt.gte(since))
        .order_by_desc(Column::EndedAt)
        .limit(limit)
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// Up to `limit` of the user's entries after `cursor`, newest first, and the cursor for the
/// next page when there is one. Rows added meanwhile are newer, so they never shift a page.
pub async fn page_for_user(
    db: &impl ConnectionTrait,
    user_id: i64,
    cursor: Option<Cursor>,
    limit: u64,
) -> Result<(Vec<Model>, Option<Cursor>), DbErr> {
    let mut query = HistoryTable::find().filter(Column::UserId.eq(user_id));
    if let Some(c) = cursor {
        query = query.filter(
            Condition::any()
                .add(Column::EndedAt.lt(c.at))
                .add(Condition::all().add(Column::EndedAt.eq(c.at)).add(Column::Id.lt(c.id))),
        );
    }
    let mut rows = query
        .order_by_desc(Column::EndedAt)
        .order_by_desc(Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| Cursor {
            at: r.ended_at,
            id: r.id,
        })
    } else {
        None
    };
    Ok((rows, next))
}
