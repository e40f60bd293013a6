//! Account operations: plain async functions over [`AppState`] and the request's session.
//! The JSON API and the server functions behind the pages both call these, so every rule is
//! written once.

use std::collections::BTreeMap;

use http::HeaderValue;
use sea_orm::TransactionTrait;
use tower_sessions::session::Id;

use super::{
    devices::end_sessions, guessing, links, opaque, password::Verification, profile::to_user, security_log, tokens,
};
use crate::{
    error::{AppError, ErrorCode},
    model::{Email, EndReason, Msg, Name, Password, SecurityEventKind, User},
    server::{
        backend::unavailable,
        client::ClientInfo,
        entity::user::Model as UserRow,
        figures::Figure,
        preferences,
        ratelimit::Rule,
        repo::{db_error, users},
        session::{keys, AppSession, SignedIn},
        state::AppState,
        time::now_ms,
    },
};

#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub name: String,
    pub email: String,
    pub password: String,
}

/// What a successful registration or sign-in gives the client.
#[derive(Debug, Clone)]
pub struct SignedInOutcome {
    pub user: User,
    /// The preferences cookies rewritten with the account's preferences, so the very next page
    /// shows them.
    pub preferences_cookies: Vec<HeaderValue>,
    /// The session signed in, for [`Self::bearer_token`].
    session: StartedSession,
}

/// A user's session just started: its id, and its deadline (Unix ms).
#[derive(Debug, Clone)]
struct StartedSession {
    id: String,
    deadline: crate::server::time::Millis,
}

impl SignedInOutcome {
    /// Issues the bearer token a JSON sign-in answers with (seed 000: `POST /api/auth/login`
    /// "issues a token"), good as long as the session. The browser's sign-in forms and server
    /// functions ask for none, so their sessions keep no token in Redis. If the token cannot be
    /// stored the new session ends (a client that asked for a token could not use the session
    /// without it; the sign-in is already in the security log by then) and the error is
    /// `unavailable`.
    pub async fn bearer_token(&self, state: &AppState, session: &AppSession) -> Result<String, AppError> {
        match tokens::issue(state, self.user.id, &self.session.id, self.session.deadline).await {
            Ok(token) => Ok(token),
            Err(e) => {
                session.ending_because(EndReason::SignOut);
                let _ = session.inner().flush().await;
                Err(unavailable(e))
            }
        }
    }
}

/// What a registration came to.
#[derive(Debug, Clone)]
pub enum Registered {
    SignedIn(SignedInOutcome),
    /// `REQUIRE_VERIFIED_EMAIL`: the account exists, and signs in once its address is verified
    /// (the link is on its way).
    VerifyFirst(User),
}

/// Creates an account, queues its verification mail, and signs the new user in (unless the
/// address must be verified first). The guest's preferences become the account's.
pub async fn register(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    input: &Registration,
) -> Result<Registered, AppError> {
    let mut fields = BTreeMap::new();
    let name = Name::parse(&input.name)
        .map_err(|m| fields.insert("name".into(), m))
        .ok();
    let email = Email::parse(&input.email)
        .map_err(|m| fields.insert("email".into(), m))
        .ok();
    let password = state
        .hasher
        .check_new(&input.password, &[&input.name, &input.email])
        .await?
        .map_err(|m| fields.insert("password".into(), m))
        .ok();
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(AppError::fields(fields));
    };
    state
        .limiter
        .hit(&client.rate, Rule::Register, &client.ip_subject())
        .await?;
    let hash = state.hasher.hash(&password).await?;
    let language = preferences::guest(state, &client.headers).prefs.language;
    // The account and its verification mail, together or not at all.
    let inserted = async {
        let txn = state.db.begin().await?;
        let row = users::insert(&txn, name.as_str(), email.as_str(), &hash, now_ms()).await?;
        super::mail_flows::queue_verification(state, &txn, row.id, language).await?;
        txn.commit().await?;
        Ok::<_, users::InsertUserError>(row)
    };
    let row = match inserted.await {
        Ok(row) => {
            state.outbox.wake();
            row
        }
        Err(users::InsertUserError::EmailTaken) => {
            return Err(AppError {
                code: ErrorCode::Conflict,
                message: Msg::EmailRegistered,
                fields: [("email".to_owned(), Msg::EmailTaken)].into(),
            });
        }
        Err(users::InsertUserError::Db(e)) => return Err(db_error(e)),
    };
    let prefs = preferences::guest(state, &client.headers).prefs;
    let prefs = preferences::adopt_for_user(state, row.id, &prefs).await?;
    super::mail_flows::note_sign_in_device(state, row.id, client).await;
    if state.config.mail.require_verified_email {
        return Ok(Registered::VerifyFirst(to_user(&row)));
    }
    let started = start_user_session(state, session, client, &row).await?;
    Ok(Registered::SignedIn(SignedInOutcome {
        user: to_user(&row),
        preferences_cookies: state.preferences_cookie.set_all(&prefs),
        session: started,
    }))
}

/// Where a sign-in with the right password stands.
#[derive(Debug, Clone)]
pub enum SignInStep {
    /// Signed in.
    Done(SignedInOutcome),
    /// The account has a second factor: nothing is signed in yet; `challenge` (5 minutes, see
    /// `second_step`) and a code complete it.
    SecondFactor { challenge: String },
}

/// Signs in with email and password. Unknown email and wrong password fail identically and
/// take the same time (a dummy hash is verified when there is no account).
pub async fn sign_in(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    email: &str,
    password: &str,
) -> Result<SignInStep, AppError> {
    // Failures are limited per email and address, and per address. Each attempt is counted
    // before its password hash, atomically, so concurrent guesses cannot all pass one check; a
    // successful one is given back.
    let limiter = &state.limiter;
    let address = client.ip_subject();
    // Counted per address as it compares, however it was typed.
    let typed = Email::parse(email).map_or_else(|_| email.trim().to_lowercase(), |e| e.as_str().to_owned());
    let pair = format!("{typed}|{address}");
    limiter.hit(&client.rate, Rule::SignIn, &pair).await?;
    if let Err(refused) = limiter.hit(&client.rate, Rule::SignInIp, &address).await {
        limiter.give_back(Rule::SignIn, &pair).await;
        return Err(refused);
    }
    let invalid = || async {
        state.metrics.tally.add(Figure::SignInFailures);
        AppError::new(ErrorCode::Unauthorized, Msg::InvalidCredentials)
    };
    let Ok(password) = Password::parse_existing(password) else {
        return Err(invalid().await);
    };
    let row = match Email::parse(email) {
        Ok(email) => users::by_email(&state.db, email.as_str()).await.map_err(db_error)?,
        Err(_) => None,
    };
    // Counted per account too, from every address; a paused account's attempt does the same
    // work (a hash against the dummy) and fails the same way.
    let attempt = guessing::attempt(state, row.as_ref(), &typed, client).await?;
    let stored_hash = match attempt {
        guessing::Attempt::Counted => row.as_ref().map(|r| r.password_hash.as_str()),
        guessing::Attempt::Paused => None,
    };
    match state.hasher.verify(&password, stored_hash).await? {
        Verification::Mismatch => {
            if let Some(row) = &row {
                // Off the answer's path: an unknown address writes nothing, and must not be
                // told apart by the time a write takes.
                security_log::record_later(state, row.id, SecurityEventKind::SignInFailed, client, None);
            }
            Err(invalid().await)
        }
        Verification::Match { rehash } => {
            let (Some(row), guessing::Attempt::Counted) = (row, attempt) else {
                return Err(invalid().await);
            };
            limiter.clear(Rule::SignIn, &pair).await;
            guessing::give_back(state, row.id).await;
            limiter.give_back(Rule::SignInIp, &address).await;
            if state.config.mail.require_verified_email && row.email_verified_at.is_none() {
                // The password was right, so saying why is safe; a fresh link goes out (the
                // mail limits bound how many).
                if super::mail_flows::limit_mail(state, client, &row.email).await.is_ok() {
                    let language = preferences::guest(state, &client.headers).prefs.language;
                    super::mail_flows::queue_verification(state, &state.db, row.id, language)
                        .await
                        .map_err(db_error)?;
                    state.outbox.wake();
                }
                return Err(AppError::new(ErrorCode::EmailUnverified, Msg::EmailUnverified));
            }
            // The hash this sign-in stands on: the one verified, or its upgrade.
            let mut verified_hash = row.password_hash.clone();
            if let Some(new_hash) = rehash {
                // Best effort: the old hash still verifies if this fails.
                // Only over the hash just verified: a password changed meanwhile stays changed.
                match users::upgrade_password_hash(&state.db, row.id, &row.password_hash, &new_hash, now_ms()).await {
                    Ok(true) => verified_hash = new_hash,
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "password hash upgrade failed"),
                }
            }
            if row.totp_secret.is_some() {
                // Not signed in until the second step: the session stays a guest's.
                let challenge = opaque::new_token();
                links::store(&state.db, &row, links::Purpose::SecondStep, None, &challenge, now_ms())
                    .await
                    .map_err(db_error)?;
                return Ok(SignInStep::SecondFactor { challenge });
            }
            finish_sign_in(state, session, client, &row, &verified_hash, "password")
                .await
                .map(SignInStep::Done)
        }
    }
}

/// Signs `row` in on this request once every factor is checked: `verified_hash` is the
/// password hash the sign-in stood on; `how` names the factors for the security log.
pub(super) async fn finish_sign_in(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    row: &UserRow,
    verified_hash: &str,
    how: &str,
) -> Result<SignedInOutcome, AppError> {
    let invalid = || {
        state.metrics.tally.add(Figure::SignInFailures);
        AppError::new(ErrorCode::Unauthorized, Msg::InvalidCredentials)
    };
    // The account's preferences win; an account that never saved any adopts this browser's.
    let prefs = match preferences::of_user(state, row.id).await? {
        Some(prefs) => prefs,
        None => {
            let prefs = preferences::guest(state, &client.headers).prefs;
            preferences::adopt_for_user(state, row.id, &prefs).await?
        }
    };
    let started = start_user_session(state, session, client, row).await?;
    // A password reset or change that committed while this sign-in was verifying the old
    // password ended every session it could see, before this one was indexed: this one ends
    // too, as a wrong password.
    let current = users::by_id(&state.db, row.id).await;
    if !matches!(&current, Ok(Some(now)) if now.password_hash == verified_hash) {
        super::devices::end_this_session(state, session, EndReason::PasswordChange).await?;
        return match current {
            Err(e) => Err(db_error(e)),
            Ok(_) => Err(invalid()),
        };
    }
    state.metrics.tally.add(Figure::SignIns);
    super::mail_flows::note_sign_in_device(state, row.id, client).await;
    let how = Some(how.to_owned());
    security_log::record_best_effort(state, row.id, SecurityEventKind::SignIn, Some(client), how).await;
    if let Some(id) = session.id() {
        // Before answering, so the other devices have the notice by the time this browser's
        // next page loads (a cached read and one pipeline; never an error).
        crate::server::notices::announce_sign_in(state, row.id, &id.to_string(), client).await;
    }
    Ok(SignedInOutcome {
        user: to_user(row),
        preferences_cookies: state.preferences_cookie.set_all(&prefs),
        session: started,
    })
}

/// Gives the request a fresh session for `user`: a new id (the old session is deleted), only
/// the carried-over guest values kept, indexed under the user. API clients then ask for a
/// bearer token ([`SignedInOutcome::bearer_token`]).
async fn start_user_session(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    user: &UserRow,
) -> Result<StartedSession, AppError> {
    let inner = session.inner();
    // The old session ends here under its id. A guest's visit (or this user's own) goes on in
    // the new session; someone else's is theirs, and ends as a sign-out.
    if let Some(previous) = session.signed_in().await.ok().flatten() {
        let _ = state
            .backend
            .unindex_user_sessions(previous.user_id, &[previous.handle])
            .await;
        if previous.user_id != user.id {
            session.ending_because(EndReason::SignOut);
        }
    }
    if inner.id().is_some() {
        session.renew_id().await.map_err(|_| AppError::unavailable())?;
    }
    // A guest's values (form outcomes) do not follow them into the account.
    inner.clear().await;
    let now = now_ms();
    let (browser, os) = client.device();
    let signed_in = SignedIn {
        user_id: user.id,
        handle: Id::default().to_string(),
        signed_in_at: now,
        ip: client.ip.map(|ip| ip.to_string()),
        browser,
        os,
        authenticated_at: now,
    };
    inner
        .insert(keys::SIGNED_IN, &signed_in)
        .await
        .map_err(AppError::internal)?;
    // Saved now, not after the handler, so the new id can be indexed (and given a token).
    inner.save().await.map_err(|_| AppError::unavailable())?;
    let id = inner
        .id()
        .ok_or_else(|| AppError::internal("saved session has no id"))?
        .to_string();
    let deadline = now + state.sessions.user_absolute_ms;
    let keep_until = deadline + state.config.session.archive_grace.as_millis() as i64;
    let indexed = state
        .backend
        .index_user_session(user.id, &signed_in.handle, &id, keep_until)
        .await;
    match indexed {
        Ok(()) => {
            // For "Last sign-in" (seed 003's `lastLogin`); the sign-in stands if this fails.
            if let Err(e) = users::note_sign_in(&state.db, user.id, now, &client.user_agent).await {
                tracing::warn!(error = %e, "last sign-in not recorded");
            }
            Ok(StartedSession { id, deadline })
        }
        Err(e) => {
            // A session missing from the user's index could not be listed or ended by "sign
            // out everywhere": it must not outlive this failed sign-in.
            session.ending_because(EndReason::SignOut);
            let _ = inner.flush().await;
            Err(unavailable(e))
        }
    }
}

/// Changes the password: checks the current one, ends every other session of the user, and
/// continues this one under a new id.
pub async fn change_password(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let me = session.require_signed_in().await?;
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    let mut fields = BTreeMap::new();
    let current = Password::parse_existing(current)
        .map_err(|m| fields.insert("currentPassword".into(), m))
        .ok();
    let new = state
        .hasher
        .check_new(new, &[&row.name, &row.email])
        .await?
        .map_err(|m| fields.insert("newPassword".into(), m))
        .ok();
    let (Some(current), Some(new)) = (current, new) else {
        return Err(AppError::fields(fields));
    };
    super::confirm::confirm_password(state, Some(session), client, &row, &current, "currentPassword").await?;
    let hash = state.hasher.hash(&new).await?;
    let changed = async {
        let txn = state.db.begin().await?;
        users::set_password_hash(&txn, me.user_id, &hash, now_ms()).await?;
        super::mail_flows::password_changed_in(state, &txn, &row).await?;
        security_log::record(&txn, me.user_id, SecurityEventKind::PasswordChanged, Some(client), None).await?;
        txn.commit().await
    };
    changed.await.map_err(db_error)?;
    state.outbox.wake();
    end_sessions(state, me.user_id, Some(&me.handle), EndReason::PasswordChange).await?;
    // Same device row (handle), new session id.
    let inner = session.inner();
    session.renew_id().await.map_err(|_| AppError::unavailable())?;
    inner.save().await.map_err(|_| AppError::unavailable())?;
    let id = inner
        .id()
        .ok_or_else(|| AppError::internal("saved session has no id"))?
        .to_string();
    let keep_until =
        me.signed_in_at + state.sessions.user_absolute_ms + state.config.session.archive_grace.as_millis() as i64;
    state
        .backend
        .index_user_session(me.user_id, &me.handle, &id, keep_until)
        .await
        .map_err(unavailable)?;
    Ok(())
}
