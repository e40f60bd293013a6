//! The second factor: an authenticator app (TOTP, RFC 6238: SHA-1, 6 digits, 30-second steps,
//! one step of clock drift either way, the parameters authenticator apps expect) and ten
//! single-use recovery codes.
//!
//! Setting it up: a secret is made and kept in the session (the account keeps its working
//! secret, if any, until a code from the new one is confirmed), shown as an `otpauth://` URL, a
//! QR code drawn on the server as SVG and as text. A code confirms it; the recovery codes are
//! shown once, stored only as keyed digests. Codes are counted per account
//! (`RATE_LIMIT_SECOND_FACTOR`) and no time step is accepted twice (RFC 6238 §5.2).

use sea_orm::{ConnectionTrait, TransactionTrait};
use totp_rs::{Builder, Secret, Totp};

use super::{confirm::confirm_password, opaque, security_log};
use crate::{
    error::{AppError, ErrorCode},
    model::{Msg, Password, SecurityEventKind},
    server::{
        client::ClientInfo,
        entity::user::Model as UserRow,
        ratelimit::Rule,
        repo::{db_error, second_factors, users},
        session::AppSession,
        state::AppState,
        time::now_ms,
    },
};

/// The session key of a setup waiting for its first code: the new secret, base32.
const SETUP: &str = "totp_setup";
/// The session key of recovery codes to show once (a plain form post's next page).
const CODES_TO_SHOW: &str = "recovery_codes_shown";
/// How many recovery codes an account gets.
pub const RECOVERY_CODES: usize = 10;
/// The issuer authenticator apps show beside the account.
const ISSUER: &str = "Porch";

pub use crate::model::TotpSetup as Setup;

/// How a code was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeUsed {
    Totp,
    /// A recovery code; this many are left.
    Recovery {
        left: u64,
    },
}

impl CodeUsed {
    /// How the security log names a sign-in made with it.
    pub fn sign_in_detail(self) -> &'static str {
        match self {
            CodeUsed::Totp => "password+totp",
            CodeUsed::Recovery { .. } => "password+recovery_code",
        }
    }
}

fn totp(secret: &str, account: &str) -> Result<Totp, AppError> {
    let secret = Secret::try_from_base32(secret).map_err(|e| AppError::internal(format!("TOTP secret: {e:?}")))?;
    // Defaults: SHA-1, 6 digits, 30 s, one step of drift.
    Builder::new()
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        // The label may not hold a colon; an address never does.
        .with_account_name(account.replace(':', ""))
        .build()
        .map_err(|e| AppError::internal(format!("TOTP: {e:?}")))
}

fn code_invalid() -> AppError {
    AppError::fields([("code".to_owned(), Msg::CodeInvalid)].into())
}

/// Starts (or shows again) setting up an authenticator app for the signed-in user. Needs a
/// recent authentication.
///
/// Errors: 401 (`reauth_required` past the window).
pub async fn start_setup(state: &AppState, session: &AppSession) -> Result<Setup, AppError> {
    let me = super::reauth::require_recent(state, session).await?;
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    let secret = match session.inner().get::<String>(SETUP).await.ok().flatten() {
        Some(secret) => secret,
        None => {
            let secret = Secret::generate().to_base32();
            session
                .inner()
                .insert(SETUP, &secret)
                .await
                .map_err(|_| AppError::unavailable())?;
            secret
        }
    };
    setup_of(&secret, &row.email)
}

/// The setup waiting for its first code on this session, if any (and the session authenticated
/// recently).
pub async fn current_setup(state: &AppState, session: &AppSession) -> Result<Option<Setup>, AppError> {
    // The secret is shown only where it could be started: with a recent authentication.
    let Some(me) = session.signed_in().await.map_err(|_| AppError::unavailable())? else {
        return Ok(None);
    };
    if !super::reauth::is_recent(state, &me) {
        return Ok(None);
    }
    let Some(secret) = session.inner().get::<String>(SETUP).await.ok().flatten() else {
        return Ok(None);
    };
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    setup_of(&secret, &row.email).map(Some)
}

fn setup_of(secret: &str, email: &str) -> Result<Setup, AppError> {
    let totp = totp(secret, email)?;
    let otpauth_url = totp
        .to_url()
        .map_err(|e| AppError::internal(format!("TOTP URL: {e:?}")))?;
    let qr = qrcode::QrCode::new(otpauth_url.as_bytes()).map_err(AppError::internal)?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(Setup {
        secret: secret.to_owned(),
        otpauth_url,
        qr_svg,
    })
}

/// Confirms the setup with a code from the new authenticator: the account's second factor is
/// on (or moves to the new app), with ten new recovery codes, returned to show once. Needs a
/// recent authentication.
///
/// Errors: 400 `fields.code` for a wrong code; 400 `bad_request` with no setup started; 401.
pub async fn confirm_setup(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let me = super::reauth::require_recent(state, session).await?;
    let Some(secret) = session.inner().get::<String>(SETUP).await.ok().flatten() else {
        return Err(AppError::new(ErrorCode::BadRequest, Msg::SetupExpired));
    };
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    state
        .limiter
        .hit(&client.rate, Rule::SecondFactor, &row.id.to_string())
        .await?;
    let Some(step) = totp(&secret, &row.email)?.check(code.trim(), unix_secs()) else {
        return Err(code_invalid());
    };
    let codes = new_recovery_codes();
    let digests: Vec<String> = codes.iter().map(|c| recovery_digest(state, row.id, c)).collect();
    let now = now_ms();
    let enabled = async {
        let txn = state.db.begin().await?;
        // A setup confirmed twice (a double submit) takes effect once: the codes the first
        // answer shows stay the working ones.
        if !second_factors::enable_totp(&txn, row.id, &secret, step as i64, now).await? {
            return Ok(false);
        }
        second_factors::replace_recovery_codes(&txn, row.id, &digests, now).await?;
        security_log::record(&txn, row.id, SecurityEventKind::SecondFactorEnabled, Some(client), None).await?;
        txn.commit().await.map(|()| true)
    };
    if !enabled.await.map_err(db_error)? {
        return Err(AppError::new(ErrorCode::BadRequest, Msg::SetupExpired));
    }
    let _ = session.inner().remove_value(SETUP).await;
    let _ = session.inner().insert(CODES_TO_SHOW, &codes).await;
    Ok(codes)
}

/// The recovery codes just made, once (for the page a plain form post is sent to).
pub async fn take_codes_to_show(session: &AppSession) -> Vec<String> {
    if session.id().is_none() {
        return Vec::new();
    }
    let codes: Vec<String> = session
        .inner()
        .get(CODES_TO_SHOW)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    if !codes.is_empty() {
        let _ = session.inner().remove_value(CODES_TO_SHOW).await;
    }
    codes
}

/// Turns the second factor off, with the password and a code (TOTP or recovery).
///
/// Errors: 400 with `fields.password` or `fields.code`; 429; 401.
pub async fn disable(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    password: &str,
    code: &str,
) -> Result<(), AppError> {
    let me = session.require_signed_in().await?;
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    let password =
        Password::parse_existing(password).map_err(|m| AppError::fields([("password".to_owned(), m)].into()))?;
    confirm_password(state, Some(session), client, &row, &password, "password").await?;
    if row.totp_secret.is_none() {
        return Ok(());
    }
    verify_code(state, client, &row, code).await?;
    session.mark_authenticated(now_ms()).await?;
    let disabled = async {
        let txn = state.db.begin().await?;
        second_factors::disable_totp(&txn, row.id, now_ms()).await?;
        security_log::record(
            &txn,
            row.id,
            SecurityEventKind::SecondFactorDisabled,
            Some(client),
            None,
        )
        .await?;
        txn.commit().await
    };
    disabled.await.map_err(db_error)
}

/// Replaces the recovery codes; the new ones are returned to show once. Needs a recent
/// authentication and the second factor on.
pub async fn regenerate_codes(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
) -> Result<Vec<String>, AppError> {
    let me = super::reauth::require_recent(state, session).await?;
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    if row.totp_secret.is_none() {
        return Err(AppError::new(ErrorCode::BadRequest, Msg::SecondFactorOff));
    }
    let codes = new_recovery_codes();
    let digests: Vec<String> = codes.iter().map(|c| recovery_digest(state, row.id, c)).collect();
    let now = now_ms();
    let replaced = async {
        let txn = state.db.begin().await?;
        second_factors::replace_recovery_codes(&txn, row.id, &digests, now).await?;
        let kind = SecurityEventKind::RecoveryCodesRegenerated;
        security_log::record(&txn, row.id, kind, Some(client), None).await?;
        txn.commit().await
    };
    replaced.await.map_err(db_error)?;
    let _ = session.inner().insert(CODES_TO_SHOW, &codes).await;
    Ok(codes)
}

/// Checks a second-factor code of `user`: a TOTP code not used before, or an unused recovery
/// code (used up by this, and logged in the same transaction). Counted per account before it
/// is checked; a wrong one is logged.
///
/// Errors: 400 `fields.code` when wrong; 429 past `RATE_LIMIT_SECOND_FACTOR`.
pub async fn verify_code(
    state: &AppState,
    client: &ClientInfo,
    user: &UserRow,
    code: &str,
) -> Result<CodeUsed, AppError> {
    count_attempt(state, client, user).await?;
    let txn = state.db.begin().await.map_err(db_error)?;
    match use_code(state, &txn, client, user, code).await? {
        Some(used) => {
            txn.commit().await.map_err(db_error)?;
            Ok(used)
        }
        None => {
            let _ = txn.rollback().await;
            Err(code_refused(state, client, user).await)
        }
    }
}

/// Counts one code tried for `user` (`RATE_LIMIT_SECOND_FACTOR`), before it is checked.
pub async fn count_attempt(state: &AppState, client: &ClientInfo, user: &UserRow) -> Result<(), AppError> {
    state
        .limiter
        .hit(&client.rate, Rule::SecondFactor, &user.id.to_string())
        .await
}

/// Logs a refused code (after its transaction ended) and makes the answer.
pub async fn code_refused(state: &AppState, client: &ClientInfo, user: &UserRow) -> AppError {
    let kind = SecurityEventKind::SecondFactorFailed;
    security_log::record_best_effort(state, user.id, kind, Some(client), None).await;
    code_invalid()
}

/// [`verify_code`] for confirming who one is (re-authentication): any accepted code will do.
pub async fn confirm_code(state: &AppState, client: &ClientInfo, user: &UserRow, code: &str) -> Result<(), AppError> {
    if user.totp_secret.is_none() {
        return Err(code_invalid());
    }
    verify_code(state, client, user, code).await.map(|_| ())
}

/// Uses `code` on `db` (the caller's transaction): a TOTP code's time step is recorded, a
/// recovery code is spent and its use logged. `None` when the code is not one of the account's,
/// or was used already.
pub async fn use_code(
    state: &AppState,
    db: &impl ConnectionTrait,
    client: &ClientInfo,
    user: &UserRow,
    code: &str,
) -> Result<Option<CodeUsed>, AppError> {
    let Some(secret) = &user.totp_secret else {
        return Ok(None);
    };
    let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
        let Some(step) = totp(secret, &user.email)?.check(&typed, unix_secs()) else {
            return Ok(None);
        };
        let fresh = second_factors::use_step(db, user.id, secret, step as i64)
            .await
            .map_err(db_error)?;
        return Ok(fresh.then_some(CodeUsed::Totp));
    }
    let Some(normal) = normal_recovery_code(&typed) else {
        return Ok(None);
    };
    let digest = recovery_digest(state, user.id, &normal);
    if !second_factors::use_recovery_code(db, user.id, &digest, now_ms())
        .await
        .map_err(db_error)?
    {
        return Ok(None);
    }
    let left = second_factors::recovery_codes_left(db, user.id)
        .await
        .map_err(db_error)?;
    let detail = Some(left.to_string());
    security_log::record(db, user.id, SecurityEventKind::RecoveryCodeUsed, Some(client), detail)
        .await
        .map_err(db_error)?;
    Ok(Some(CodeUsed::Recovery { left }))
}

fn unix_secs() -> u64 {
    (now_ms().max(0) / 1000) as u64
}

/// The alphabet of recovery codes: lower-case letters and digits without the look-alikes
/// `l`, `o`, `0` and `1` (32 symbols, 5 bits each).
const CODE_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// Ten codes of 10 symbols (50 random bits), written `xxxxx-xxxxx`.
fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            // Each character of a random token carries 6 uniform bits; 5 of them pick a symbol.
            let token = opaque::new_token();
            let symbols: String = token
                .bytes()
                .take(10)
                .map(|b| CODE_ALPHABET[(base64_value(b) & 31) as usize] as char)
                .collect();
            format!("{}-{}", &symbols[..5], &symbols[5..])
        })
        .collect()
}

fn base64_value(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'-' => 62,
        _ => 63,
    }
}

/// A recovery code as typed (any case, with or without its dash or spaces) in its stored form,
/// or `None` if it cannot be one.
fn normal_recovery_code(typed: &str) -> Option<String> {
    let symbols: String = typed
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (symbols.len() == 10 && symbols.bytes().all(|b| CODE_ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &symbols[..5], &symbols[5..]))
}

/// What is stored of a recovery code: a keyed digest (HMAC-SHA-256 under the server's secret,
/// bound to the account), so a copy of the database alone cannot be searched for codes.
fn recovery_digest(state: &AppState, user_id: i64, code: &str) -> String {
    let token = opaque::derived_token(state.config.secret.expose(), &format!("recovery:{user_id}:{code}"));
    opaque::digest(&token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_and_read_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(normal_recovery_code(code).as_deref(), Some(code.as_str()));
            assert_eq!(
                normal_recovery_code(&code.to_uppercase()).as_deref(),
                Some(code.as_str())
            );
            assert_eq!(
                normal_recovery_code(&code.replace('-', "")).as_deref(),
                Some(code.as_str())
            );
        }
        assert_eq!(normal_recovery_code("abcde-fghi0"), None, "0 is not a symbol");
        assert_eq!(normal_recovery_code("123456"), None);
    }

    #[test]
    fn the_setup_is_what_authenticator_apps_read() {
        let secret = Secret::generate().to_base32();
        let setup = setup_of(&secret, "ada@example.com").unwrap();
        assert!(
            setup.otpauth_url.starts_with("otpauth://totp/Porch:ada%40example.com?"),
            "{}",
            setup.otpauth_url
        );
        for part in [format!("secret={secret}"), "issuer=Porch".into()] {
            assert!(setup.otpauth_url.contains(&part), "{} lacks {part}", setup.otpauth_url);
        }
        assert!(setup.qr_svg.contains("<svg"), "{}", &setup.qr_svg[..80]);
    }
}
