use sea_orm::entity::prelude::*;

/// A user's avatar, re-encoded (see `server::avatar`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "avatars")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// Hex SHA-256 of `data` (its first 32 characters): the URL's name for it.
    #[sea_orm(unique)]
    pub hash: String,
    /// `image/png` or `image/jpeg`.
    pub content_type: String,
    pub data: Vec<u8>,
    /// Unix milliseconds.
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
