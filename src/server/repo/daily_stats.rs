//! The `daily_stats` table: one row per UTC day, written by the sweeper's roll-up.

use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::server::{
    entity::daily_stats::{self, Column, Entity as DailyTable},
    figures::{Counter, Counts},
};

fn column(counter: Counter) -> Column {
    match counter {
        Counter::SessionsStarted => Column::SessionsStarted,
        Counter::SessionsEnded => Column::SessionsEnded,
        Counter::PageViews => Column::PageViews,
        Counter::SignIns => Column::SignIns,
        Counter::SignInFailures => Column::SignInFailures,
        Counter::RateLimited => Column::RateLimited,
    }
}

/// Writes each day's counts, keeping for every figure the larger of what the row holds and
/// what is given. Counts only grow, so this is right whichever of two racing roll-ups lands
/// last, and a roll-up that can see only part of a day (its first hours have expired from
/// Redis, or Redis restarted empty) never lowers a figure already written.
pub async fn raise(db: &impl ConnectionTrait, days: &[(i64, Counts)]) -> Result<(), DbErr> {
    if days.is_empty() {
        return Ok(());
    }
    let rows = days.iter().map(|&(day, counts)| daily_stats::ActiveModel {
        day: Set(day),
        sessions_started: Set(counts[Counter::SessionsStarted as usize]),
        sessions_ended: Set(counts[Counter::SessionsEnded as usize]),
        page_views: Set(counts[Counter::PageViews as usize]),
        sign_ins: Set(counts[Counter::SignIns as usize]),
        sign_in_failures: Set(counts[Counter::SignInFailures as usize]),
        rate_limited: Set(counts[Counter::RateLimited as usize]),
    });
    let mut on_conflict = OnConflict::column(Column::Day);
    for counter in Counter::ALL {
        let name = counter.field();
        // `excluded` is the row that was refused; portable to SQLite and PostgreSQL (neither
        // `MAX(a, b)` nor `GREATEST` is).
        on_conflict.value(
            column(counter),
            Expr::cust(format!(
                "CASE WHEN excluded.{name} > daily_stats.{name} THEN excluded.{name} ELSE daily_stats.{name} END"
            )),
        );
    }
    DailyTable::insert_many(rows)
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The rows of the days starting in `from..=to`, oldest first.
pub async fn between(db: &impl ConnectionTrait, from: i64, to: i64) -> Result<Vec<(i64, Counts)>, DbErr> {
    let rows = DailyTable::find()
        .filter(Column::Day.between(from, to))
        .order_by_asc(Column::Day)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut counts = Counts::default();
            counts[Counter::SessionsStarted as usize] = row.sessions_started;
            counts[Counter::SessionsEnded as usize] = row.sessions_ended;
            counts[Counter::PageViews as usize] = row.page_views;
            counts[Counter::SignIns as usize] = row.sign_ins;
            counts[Counter::SignInFailures as usize] = row.sign_in_failures;
            counts[Counter::RateLimited as usize] = row.rate_limited;
            (row.day, counts)
        })
        .collect())
}
