use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    /// `user` or `admin` ([`crate::model::Role`]).
    pub role: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
    /// The content hash of the user's avatar (`avatars.hash`), if they have one.
    pub avatar: Option<String>,
    /// Unix milliseconds of the latest sign-in (or registration); `None` before the first one
    /// since this column exists.
    pub last_sign_in_at: Option<i64>,
    /// The `User-Agent` of that sign-in (at most [`crate::server::repo::users::AGENT_KEPT`]
    /// characters).
    pub last_sign_in_agent: Option<String>,
    /// Sign-ins and registrations so far: each started a signed-in session.
    pub sign_in_count: i64,
    /// Unix milliseconds when the address in `email` was last proven by a link mailed to it;
    /// `None`: not verified.
    pub email_verified_at: Option<i64>,
    /// The authenticator app's TOTP secret (base32) while the second factor is on.
    pub totp_secret: Option<String>,
    /// Unix milliseconds when the second factor was turned on.
    pub totp_enabled_at: Option<i64>,
    /// The latest TOTP time step a code was accepted for: codes of it and earlier steps are
    /// refused (RFC 6238 §5.2).
    pub totp_last_step: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
