use sea_orm::entity::prelude::*;

/// One entry of an account's security log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "security_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// One of [`crate::model::SecurityEventKind`]'s wire names.
    pub kind: String,
    /// Unix milliseconds.
    pub at: i64,
    pub ip: Option<String>,
    /// "Firefox (Linux)".
    pub device: Option<String>,
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
