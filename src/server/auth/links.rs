//! The single-use tokens of mailed links (password reset, address verification, address
//! change): 256 random bits, stored only as SHA-256 digests, bound to one purpose, one account
//! and the account's address when they were made (OWASP Forgot Password Cheat Sheet).

use sea_orm::{ConnectionTrait, DbErr};

use super::opaque::{digest as token_hash, well_formed};
use crate::server::{
    entity::{account_token::Model as TokenRow, user::Model as UserRow},
    repo::{account_tokens, users},
};

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// 30 minutes.
    PasswordReset,
    /// 24 hours.
    EmailVerification,
    /// 24 hours; carries the new address.
    EmailChange,
    /// 7 days, sent to the old address when the address changes; carries the old address, to
    /// give it back (a stolen password used to take the account's mail with it).
    EmailRevert,
    /// 24 hours, mailed when the account's password sign-in pauses after too many failures:
    /// resumes it.
    SignInUnlock,
    /// 5 minutes: a sign-in whose password was right, waiting for its second factor. Not
    /// mailed: the challenge a browser keeps in its session, or an API client gets.
    SecondStep,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::EmailVerification => "email_verification",
            Purpose::EmailChange => "email_change",
            Purpose::EmailRevert => "email_revert",
            Purpose::SignInUnlock => "sign_in_unlock",
            Purpose::SecondStep => "second_step",
        }
    }

    /// How long a link works, in milliseconds.
    pub fn lifetime_ms(self) -> i64 {
        match self {
            Purpose::PasswordReset => 30 * 60 * 1000,
            Purpose::EmailVerification | Purpose::EmailChange | Purpose::SignInUnlock => 24 * 60 * 60 * 1000,
            Purpose::EmailRevert => 7 * 24 * 60 * 60 * 1000,
            Purpose::SecondStep => 5 * 60 * 1000,
        }
    }

    fn parse(value: &str) -> Option<Self> {
        [
            Purpose::PasswordReset,
            Purpose::EmailVerification,
            Purpose::EmailChange,
            Purpose::EmailRevert,
            Purpose::SignInUnlock,
            Purpose::SecondStep,
        ]
        .into_iter()
        .find(|p| p.as_str() == value)
    }
}

/// A token that still works, with its account as it is now.
#[derive(Debug, Clone)]
pub struct LiveLink {
    pub purpose: Purpose,
    pub user: UserRow,
    /// For [`Purpose::EmailChange`]: the address being confirmed.
    pub new_email: Option<String>,
}

/// Stores `token` for `user` and `purpose`, replacing the user's older ones of that purpose
/// (asking again invalidates older links) — except revert links, which all stay: a thief who
/// changes the address twice must not kill the owner's link with the second. Only its digest is
/// stored.
pub async fn store(
    db: &impl ConnectionTrait,
    user: &UserRow,
    purpose: Purpose,
    new_email: Option<&str>,
    token: &str,
    now: i64,
) -> Result<(), DbErr> {
    let row = TokenRow {
        token_hash: token_hash(token),
        user_id: user.id,
        purpose: purpose.as_str().to_owned(),
        account_email: user.email.clone(),
        new_email: new_email.map(str::to_owned),
        created_at: now,
        expires_at: now + purpose.lifetime_ms(),
    };
    // Sign-ins waiting for their second step do not replace each other either: someone who
    // knows the password must not be able to cancel the owner's sign-in.
    if matches!(purpose, Purpose::EmailRevert | Purpose::SecondStep) {
        return account_tokens::put(db, row).await;
    }
    account_tokens::replace(db, row).await
}

/// The link `token` stands for if it still works for one of `purposes`: known, not expired,
/// and its account's address still the one it was made for. Reads only: opening a link's page
/// (or a mail scanner fetching it) uses nothing up.
pub async fn peek(
    db: &impl ConnectionTrait,
    token: &str,
    purposes: &[Purpose],
    now: i64,
) -> Result<Option<LiveLink>, DbErr> {
    if !well_formed(token) {
        return Ok(None);
    }
    let Some(row) = account_tokens::find(db, &token_hash(token)).await? else {
        return Ok(None);
    };
    live(db, row, purposes, now).await
}

/// Uses the link up, on the transaction of the change it allows (as its first statement, a
/// write): of any number of requests with one token, exactly one gets it. `None` when it does
/// not work; the caller rolls back then, so a token used for the wrong purpose stays usable.
pub async fn take(
    db: &impl ConnectionTrait,
    token: &str,
    purposes: &[Purpose],
    now: i64,
) -> Result<Option<LiveLink>, DbErr> {
    if !well_formed(token) {
        return Ok(None);
    }
    let Some(row) = account_tokens::take(db, &token_hash(token)).await? else {
        return Ok(None);
    };
    live(db, row, purposes, now).await
}

/// `row` as a [`LiveLink`] if it works for one of `purposes` at `now`.
async fn live(
    db: &impl ConnectionTrait,
    row: TokenRow,
    purposes: &[Purpose],
    now: i64,
) -> Result<Option<LiveLink>, DbErr> {
    let Some(purpose) = Purpose::parse(&row.purpose).filter(|p| purposes.contains(p)) else {
        return Ok(None);
    };
    if row.expires_at <= now {
        return Ok(None);
    }
    let Some(user) = users::by_id(db, row.user_id).await? else {
        return Ok(None);
    };
    // Bound to the address it was made for; a revert link is bound to the account instead,
    // since the address it undoes may have been changed again since.
    if purpose != Purpose::EmailRevert && user.email != row.account_email {
        return Ok(None);
    }
    Ok(Some(LiveLink {
        purpose,
        user,
        new_email: row.new_email,
    }))
}
