use sea_orm::entity::prelude::*;

/// One of an account's second-factor recovery codes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// HMAC-SHA-256 (hex) of the code under the server's secret; never the code.
    pub code_hash: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds when it was used; `None`: still usable.
    pub used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
