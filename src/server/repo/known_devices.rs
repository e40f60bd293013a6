//! The `known_devices` table: the browsers and systems each account has signed in from.

use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter,
};

use crate::server::entity::known_device::{self, Column, Entity as KnownDevices};

/// What [`note`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Signed in from before.
    Known,
    /// New to an account that has signed in from others.
    New,
    /// The account's first device on record (its registration, or its first sign-in since
    /// devices are recorded): nothing to compare with.
    First,
}

/// Records that `user_id` signed in from `device` at `now`.
pub async fn note(db: &impl ConnectionTrait, user_id: i64, device: &str, now: i64) -> Result<Seen, DbErr> {
    // The write first: on SQLite a transaction that starts with a read cannot always upgrade.
    let inserted = KnownDevices::insert(known_device::ActiveModel {
        user_id: Set(user_id),
        device: Set(device.to_owned()),
        first_seen_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([Column::UserId, Column::Device])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 0 {
        return Ok(Seen::Known);
    }
    let others = KnownDevices::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Device.ne(device))
        .count(db)
        .await?;
    Ok(if others == 0 { Seen::First } else { Seen::New })
}
