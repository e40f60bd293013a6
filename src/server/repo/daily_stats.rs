//! The `daily_stats` table: one row per UTC day, written by the sweeper's roll-up. Its columns
//! are the figures' names ([`Figure::name`]), so the statements are built from the one list of
//! figures rather than written per column.

use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SimpleExpr},
    ConnectionTrait, DbErr,
};

use crate::server::figures::{Counts, Figure};

const TABLE: &str = "daily_stats";
const DAY: &str = "day";

/// Writes each day's counts, keeping for every figure the larger of what the row holds and
/// what is given. Counts only grow, so this is right whichever of two racing roll-ups lands
/// last, and a roll-up that can see only part of a day (its first hours have expired from
/// Redis, or Redis restarted empty) never lowers a figure already written.
pub async fn raise(db: &impl ConnectionTrait, days: &[(i64, Counts)]) -> Result<(), DbErr> {
    if days.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(TABLE))
        .columns(std::iter::once(Alias::new(DAY)).chain(Figure::ALL.iter().map(|f| Alias::new(f.name()))));
    for (day, counts) in days {
        let values: Vec<SimpleExpr> = std::iter::once(Expr::value(*day))
            .chain(Figure::ALL.iter().map(|f| Expr::value(counts[*f as usize])))
            .collect();
        insert.values_panic(values);
    }
    let mut on_conflict = OnConflict::column(Alias::new(DAY));
    for figure in Figure::ALL {
        let name = figure.name();
        // `excluded` is the row that was refused; portable to SQLite and PostgreSQL (neither
        // `MAX(a, b)` nor `GREATEST` is).
        on_conflict.value(
            Alias::new(name),
            Expr::cust(format!(
                "CASE WHEN excluded.{name} > {TABLE}.{name} THEN excluded.{name} ELSE {TABLE}.{name} END"
            )),
        );
    }
    insert.on_conflict(on_conflict);
    db.execute(&insert).await?;
    Ok(())
}

/// The rows of the days starting in `from..=to`, oldest first.
pub async fn between(db: &impl ConnectionTrait, from: i64, to: i64) -> Result<Vec<(i64, Counts)>, DbErr> {
    let select = Query::select()
        .column(Alias::new(DAY))
        .columns(Figure::ALL.iter().map(|f| Alias::new(f.name())))
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new(DAY)).between(from, to))
        .order_by(Alias::new(DAY), Order::Asc)
        .to_owned();
    db.query_all(&select)
        .await?
        .into_iter()
        .map(|row| {
            let mut counts = Counts::default();
            for figure in Figure::ALL {
                counts[figure as usize] = row.try_get("", figure.name())?;
            }
            Ok((row.try_get("", DAY)?, counts))
        })
        .collect()
}
