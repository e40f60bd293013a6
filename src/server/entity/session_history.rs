use sea_orm::entity::prelude::*;

/// One ended session: who, when, how long, how many pages, and why it ended.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Hex SHA-256 of the session id.
    #[sea_orm(unique)]
    pub session_key: String,
    pub user_id: Option<i64>,
    /// Unix milliseconds.
    pub started_at: i64,
    /// Unix milliseconds.
    pub ended_at: i64,
    pub duration_secs: i64,
    pub page_count: i64,
    /// JSON array of the first paths visited.
    pub first_pages: String,
    /// One of [`crate::model::EndReason`]'s wire names.
    pub end_reason: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
