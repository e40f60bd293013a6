use sea_orm::entity::prelude::*;

/// A mail to send (see `server::mail::outbox`): what kind, for whom, and its delivery state.
/// Its text is made when it is sent, in the account's language then.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// [`crate::server::mail::MailKind`] as text.
    pub kind: String,
    /// The account it is about; `None` only for a password-reset request not yet matched.
    pub user_id: Option<i64>,
    /// Where it goes when not to the account's own address: an address being confirmed, the
    /// old address of a changed one, or the address typed on the forgot-password form (used
    /// only to look the account up).
    pub recipient: Option<String>,
    /// The language of the request that caused it, used when the account has none.
    pub language: String,
    /// Kind-specific details as a JSON object (a device, an address).
    pub params: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub attempts: i32,
    /// Unix milliseconds; not before then.
    pub next_attempt_at: i64,
    /// The sender holding it, until `claimed_until` (Unix milliseconds).
    pub claimed_by: Option<String>,
    pub claimed_until: Option<i64>,
    pub sent_at: Option<i64>,
    /// Given up: refused for good, or out of attempts.
    pub failed_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
