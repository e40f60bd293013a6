use sea_orm::entity::prelude::*;

/// A single-use token carried by a mailed link (see `server::auth::links`), stored as its
/// SHA-256 digest only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_tokens")]
pub struct Model {
    /// Hex SHA-256 of the token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub user_id: i64,
    /// `password_reset`, `email_verification` or `email_change`.
    pub purpose: String,
    /// The account's address when the token was made: the token works only while it is still
    /// the account's address.
    pub account_email: String,
    /// For `email_change`: the address being confirmed.
    pub new_email: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
