use sea_orm::entity::prelude::*;

/// One UTC day's figures, rolled up from the per-hour counters.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "daily_stats")]
pub struct Model {
    /// The day's start, Unix milliseconds.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: i64,
    pub sessions_started: i64,
    pub sessions_ended: i64,
    pub page_views: i64,
    pub sign_ins: i64,
    pub sign_in_failures: i64,
    pub rate_limited: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
