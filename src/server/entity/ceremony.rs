use sea_orm::entity::prelude::*;

/// A WebAuthn ceremony under way: the state its finish needs, used once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ceremonies")]
pub struct Model {
    /// SHA-256 (hex) of the ceremony's token; never the token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// The account it is for; `None` for a passkey sign-in (the passkey says whose).
    pub user_id: Option<i64>,
    /// `register`, `sign_in` or `confirm`.
    pub kind: String,
    /// webauthn-rs's ceremony state as JSON.
    pub state: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
