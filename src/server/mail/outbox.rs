//! The outbox: each mail is a row written on the transaction of the change that causes it
//! (so a mail is never lost nor sent for a change that did not happen), and a sender task on
//! every instance delivers due rows. A row is claimed by one conditional update before it is
//! sent, so two instances never send one mail twice; a failed delivery is tried again after a
//! growing wait (at most an hour) for five days; a refusal of the message or its recipient
//! (550–554) gives up at once, and is logged. Nothing
//! here runs on a request's path: an SMTP server that is down or slow only delays mail.
//!
//! A mail's text is made when it is sent, in the account's language then, and the token of a
//! link is made then too: nothing that could open an account waits in the outbox.

use std::{sync::Arc, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use serde_json::Value;
use tokio::sync::{watch, Notify};

use super::{compose, Content, MailKind, Mailer, SendError};
use crate::{
    model::{Email, Language},
    server::{
        auth::{
            links::{self, Purpose},
            opaque::derived_token,
        },
        entity::mail_outbox::Model as Row,
        metrics::{MailOutcome, Metrics},
        repo::{outbox, preferences, users},
        time::now_ms,
    },
};

/// Rows claimed per pass.
const BATCH: u64 = 20;
/// How long a claim holds a row: longer than one SMTP conversation may take, after which a
/// sender that died mid-send leaves the row to another.
const CLAIM_MS: i64 = 2 * 60 * 1000;
/// How long a mail that cannot be delivered yet (server down, slow, 4xx, a sign-in the
/// operator must fix) is kept trying, from when it was queued: an outage over a weekend loses
/// nothing (mail servers keep trying for about five days).
const GIVE_UP_AFTER_MS: i64 = 5 * 24 * 60 * 60 * 1000;
/// The longest wait between two attempts.
const MAX_WAIT: Duration = Duration::from_secs(60 * 60);
/// Sent and given-up rows are deleted after this long (the outbox is no archive).
const KEEP_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// What one row came to.
#[derive(Debug)]
enum Delivery {
    Sent,
    /// Nothing to send: no such account, already verified, notices turned off.
    Skipped(&'static str),
}

pub struct Outbox {
    db: DatabaseConnection,
    mailer: Mailer,
    metrics: Arc<Metrics>,
    wake: Notify,
    /// This sender's name in claims.
    sender: String,
    public_url: String,
    /// The key links' tokens are derived with (from `SESSION_SECRET`).
    link_key: Vec<u8>,
    retry_base: Duration,
    poll_interval: Duration,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    pub fn new(
        db: DatabaseConnection,
        mailer: Mailer,
        metrics: Arc<Metrics>,
        config: &crate::server::config::MailConfig,
        link_key: &[u8],
    ) -> Self {
        Self {
            db,
            mailer,
            metrics,
            wake: Notify::new(),
            sender: crate::server::auth::opaque::new_token(),
            public_url: config.public_url.clone(),
            link_key: link_key.to_vec(),
            retry_base: config.retry_base,
            poll_interval: config.poll_interval,
        }
    }

    /// Queues a mail on `db`, the transaction of the change that causes it. Call [`Self::wake`]
    /// once it is committed.
    ///
    /// `recipient`: an address other than the account's own (see the `mail_outbox` entity);
    /// `language`: the request's, used when the account has none.
    pub async fn queue(
        &self,
        db: &impl ConnectionTrait,
        kind: MailKind,
        user_id: Option<i64>,
        recipient: Option<&str>,
        language: Language,
        params: Value,
    ) -> Result<(), DbErr> {
        let mail = outbox::NewMail {
            kind: kind.as_str(),
            user_id,
            recipient,
            language: language.as_str(),
            params,
        };
        outbox::insert(db, mail, now_ms()).await?;
        self.metrics.count_mail(MailOutcome::Queued, kind.as_str());
        Ok(())
    }

    /// Has the sender look at the outbox now (after a commit that queued mail).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs the sender until `stopping` turns true.
    pub fn spawn(self: &Arc<Self>, mut stopping: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let outbox = self.clone();
        tokio::spawn(async move {
            let mut next_purge = 0;
            loop {
                let now = now_ms();
                if now >= next_purge {
                    outbox.purge(now).await;
                    next_purge = now + 60 * 60 * 1000;
                }
                let handled = outbox.deliver_due().await;
                if handled as u64 == BATCH {
                    continue;
                }
                tokio::select! {
                    _ = outbox.wake.notified() => {}
                    _ = tokio::time::sleep(outbox.poll_interval) => {}
                    _ = stopping.changed() => {}
                }
                if *stopping.borrow() {
                    break;
                }
            }
        })
    }

    async fn purge(&self, now: i64) {
        if let Err(e) = outbox::purge(&self.db, now - KEEP_MS).await {
            tracing::warn!(error = %e, "old mails not purged");
        }
        if let Err(e) = crate::server::repo::account_tokens::purge_expired(&self.db, now).await {
            tracing::warn!(error = %e, "expired link tokens not purged");
        }
    }

    /// One pass: claims the due rows one by one and delivers each this sender won. Returns how
    /// many rows it looked at.
    pub async fn deliver_due(&self) -> usize {
        let now = now_ms();
        let rows = match outbox::due(&self.db, now, BATCH).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "outbox not readable");
                return 0;
            }
        };
        let count = rows.len();
        for row in rows {
            match outbox::claim(&self.db, row.id, &self.sender, now_ms() + CLAIM_MS, now_ms()).await {
                Ok(true) => self.handle(row).await,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "outbox claim failed"),
            }
        }
        count
    }

    async fn handle(&self, row: Row) {
        let kind = MailKind::parse(&row.kind);
        let label = kind.map_or("unknown", MailKind::as_str);
        let result = match kind {
            Some(kind) => self.deliver(kind, &row).await,
            None => Err(SendError::Permanent(format!("unknown mail kind {:?}", row.kind))),
        };
        let done = match result {
            Ok(Delivery::Sent) => {
                self.metrics.count_mail(MailOutcome::Sent, label);
                outbox::mark_sent(&self.db, row.id, &self.sender, now_ms()).await
            }
            Ok(Delivery::Skipped(why)) => {
                tracing::debug!(mail = row.id, kind = label, why, "nothing to send");
                outbox::mark_sent(&self.db, row.id, &self.sender, now_ms()).await
            }
            Err(SendError::Transient(e)) if now_ms() - row.created_at < GIVE_UP_AFTER_MS => {
                let wait = self
                    .retry_base
                    .saturating_mul(1 << row.attempts.clamp(0, 20))
                    .min(MAX_WAIT);
                tracing::info!(mail = row.id, kind = label, attempt = row.attempts + 1, error = %e, retry_in_ms = wait.as_millis() as u64, "mail not delivered, will retry");
                outbox::retry_at(&self.db, row.id, &self.sender, now_ms() + wait.as_millis() as i64).await
            }
            Err(e) => {
                self.metrics.count_mail(MailOutcome::Failed, label);
                tracing::warn!(mail = row.id, kind = label, attempts = row.attempts + 1, error = %e, "mail given up");
                outbox::mark_failed(&self.db, row.id, &self.sender, now_ms()).await
            }
        };
        if let Err(e) = done {
            // The claim runs out and the row is tried again: at worst a mail twice, never none.
            tracing::warn!(error = %e, mail = row.id, "outbox row not updated after delivery");
        }
    }

    fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.public_url)
    }

    /// Makes the mail of `row` and sends it.
    async fn deliver(&self, kind: MailKind, row: &Row) -> Result<Delivery, SendError> {
        let db = &self.db;
        let transient = |e: DbErr| SendError::Transient(format!("database: {e}"));
        let params: Value = serde_json::from_str(&row.params).unwrap_or(Value::Null);
        let param = |name: &str| params.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        // The account: by id, or for a reset request by the address typed, compared in its
        // one normal form.
        let user = match (kind, row.user_id) {
            (MailKind::PasswordResetRequest, _) => {
                let typed = row.recipient.as_deref().unwrap_or_default();
                match Email::parse(typed) {
                    Ok(email) => users::by_email(db, email.as_str()).await.map_err(transient)?,
                    Err(_) => None,
                }
            }
            (_, Some(id)) => users::by_id(db, id).await.map_err(transient)?,
            (_, None) => None,
        };
        let Some(user) = user else {
            return Ok(Delivery::Skipped("no such account"));
        };
        let prefs = preferences::get(db, user.id).await.map_err(transient)?;
        let language = prefs
            .map(|p| p.language)
            .or_else(|| Language::parse(&row.language))
            .unwrap_or_default();
        // Security notices (issue 19) go only where the owner asked for notices, and only to
        // an address proven to be theirs: a typo at sign-up must not send a stranger the
        // account's sign-ins and addresses.
        let notice_wanted = prefs.unwrap_or_default().notifications && user.email_verified_at.is_some();
        let forgot = format!("{}/password/forgot", self.public_url);
        // (content, address it goes to)
        let (content, to) = match kind {
            MailKind::PasswordResetRequest => {
                let Some(token) = self.issue_link(row, &user, Purpose::PasswordReset, None).await? else {
                    return Ok(Delivery::Skipped("cancelled"));
                };
                let link = self.link("/password/reset", &token);
                (Content::PasswordReset { link }, user.email.clone())
            }
            MailKind::EmailVerification => {
                if user.email_verified_at.is_some() {
                    return Ok(Delivery::Skipped("already verified"));
                }
                let Some(token) = self.issue_link(row, &user, Purpose::EmailVerification, None).await? else {
                    return Ok(Delivery::Skipped("cancelled"));
                };
                let link = self.link("/email/verify", &token);
                (Content::EmailVerification { link }, user.email.clone())
            }
            MailKind::EmailChangeConfirm => {
                let Some(new_email) = row.recipient.clone() else {
                    return Ok(Delivery::Skipped("no address to confirm"));
                };
                let Some(token) = self
                    .issue_link(row, &user, Purpose::EmailChange, Some(&new_email))
                    .await?
                else {
                    return Ok(Delivery::Skipped("cancelled"));
                };
                let link = self.link("/email/verify", &token);
                (Content::EmailChangeConfirm { link }, new_email)
            }
            // Not a notice but the way back (sent only to an old address that was proven):
            // whatever the notifications preference says.
            MailKind::EmailChanged => {
                let Some(old_address) = row.recipient.clone() else {
                    return Ok(Delivery::Skipped("no old address"));
                };
                // The way back: resetting the password would mail the new address, which a
                // thief may hold.
                let Some(token) = self
                    .issue_link(row, &user, Purpose::EmailRevert, Some(&old_address))
                    .await?
                else {
                    return Ok(Delivery::Skipped("cancelled"));
                };
                let content = Content::EmailChanged {
                    new_address: param("newEmail"),
                    link: self.link("/email/verify", &token),
                };
                (content, old_address)
            }
            // Not a notice: the owner needs it to sign in again (greeting no name when the
            // address is not proven).
            MailKind::SignInPaused => {
                let Some(token) = self.issue_link(row, &user, Purpose::SignInUnlock, None).await? else {
                    return Ok(Delivery::Skipped("cancelled"));
                };
                let content = Content::SignInPaused {
                    attempts: param("attempts"),
                    until: param("until"),
                    link: self.link("/account/unlock", &token),
                };
                (content, user.email.clone())
            }
            _ if !notice_wanted => return Ok(Delivery::Skipped("notices off, or the address not verified")),
            MailKind::EmailChangeRequested => (
                Content::EmailChangeRequested {
                    new_address: param("newEmail"),
                },
                row.recipient.clone().unwrap_or_else(|| user.email.clone()),
            ),
            MailKind::PasswordChanged => (Content::PasswordChanged { link: forgot }, user.email.clone()),
            MailKind::NewSignIn => {
                let content = Content::NewSignIn {
                    device: param("device"),
                    ip: param("ip"),
                    time: param("time"),
                };
                (content, user.email.clone())
            }
        };
        // Mail to an address not proven to be the account's names nobody: the name is text
        // anyone can type, and must not greet a stranger from Porch's domain. (Notices reach
        // here only for proven addresses.)
        let proven = match kind {
            MailKind::EmailVerification | MailKind::EmailChangeConfirm => false,
            MailKind::PasswordResetRequest | MailKind::SignInPaused => user.email_verified_at.is_some(),
            _ => true,
        };
        let name = if proven { user.name.as_str() } else { "" };
        let mail = compose(language, name, &to, &content);
        self.mailer.send(&to, name, &mail).await?;
        Ok(Delivery::Sent)
    }

    /// The token of `row`'s link, stored for `user` and `purpose`: made in a transaction that
    /// first renews this sender's claim, so a mail cancelled meanwhile (a newer address change,
    /// a password reset) gets no token (`None`). The token is derived from the row and the
    /// server's secret, so a mail sent twice (a lost answer from the SMTP server, a claim run
    /// out) carries the same link and the first one delivered keeps working.
    async fn issue_link(
        &self,
        row: &Row,
        user: &crate::server::entity::user::Model,
        purpose: Purpose,
        new_email: Option<&str>,
    ) -> Result<Option<String>, SendError> {
        let transient = |e: DbErr| SendError::Transient(format!("database: {e}"));
        let txn = self.db.begin().await.map_err(transient)?;
        if !outbox::still_claimed(&txn, row.id, &self.sender, now_ms() + CLAIM_MS)
            .await
            .map_err(transient)?
        {
            let _ = txn.rollback().await;
            return Ok(None);
        }
        // The row's id, time and account: no two mails share a context, even if a database
        // hands out a deleted row's id again.
        let context = format!(
            "mail-link:{}:{}:{}:{}",
            purpose.as_str(),
            row.id,
            row.created_at,
            user.id
        );
        let token = derived_token(&self.link_key, &context);
        links::store(&txn, user, purpose, new_email, &token, now_ms())
            .await
            .map_err(transient)?;
        txn.commit().await.map_err(transient)?;
        Ok(Some(token))
    }
}
