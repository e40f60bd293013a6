//! Passkeys (WebAuthn Level 2/3 through webauthn-rs): adding them (a recent authentication
//! needed), signing in with one without typing the address (discoverable credentials; it counts
//! as both factors, and works while password sign-in is paused), confirming who one is with
//! one, listing and removing them. The relying party is `PUBLIC_URL`'s host; a host that is an
//! IP address cannot be one, and passkeys are then not offered.
//!
//! Each ceremony's state is kept in the database under a random token's digest and taken out
//! (one `DELETE … RETURNING`) before its finish is checked: a challenge works once, whether the
//! ceremony succeeds or fails. A passkey whose signature counter does not move forward (a cloned
//! authenticator) is refused and logged; one that always reports 0 keeps working.

use serde_json::Value;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey as WebauthnPasskey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::{accounts::SignedInOutcome, opaque, security_log};
use crate::{
    error::{AppError, ErrorCode},
    model::{Msg, Passkey, SecurityEventKind},
    server::{
        client::ClientInfo,
        ratelimit::Rule,
        repo::{db_error, passkeys as repo, users},
        session::AppSession,
        state::AppState,
        time::{now_ms, rfc3339},
    },
};

/// How long a ceremony's challenge works: 5 minutes, in milliseconds.
const CEREMONY_MS: i64 = 5 * 60 * 1000;
/// The longest passkey name.
pub const MAX_NAME: usize = 100;

/// The relying party for `public_url` (`https://porch.example` → `porch.example`), or `None`
/// when its host is not a domain.
pub fn relying_party(public_url: &str) -> Option<Webauthn> {
    let url = Url::parse(public_url).ok()?;
    let host = url.domain()?.to_owned();
    let built = WebauthnBuilder::new(&host, &url).and_then(|b| b.rp_name("Porch").build());
    match built {
        Ok(webauthn) => Some(webauthn),
        Err(e) => {
            tracing::warn!(error = %e, "passkeys unavailable: PUBLIC_URL is no relying party");
            None
        }
    }
}

fn webauthn(state: &AppState) -> Result<&Webauthn, AppError> {
    state
        .webauthn
        .as_deref()
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, Msg::NotFound))
}

fn failed() -> AppError {
    AppError::new(ErrorCode::BadRequest, Msg::PasskeyFailed)
}

/// A started ceremony: its token (for the finish) and the options for
/// `navigator.credentials.create()` / `.get()` (`{"publicKey": …}`, binary fields base64url).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    pub ceremony: String,
    #[schema(value_type = Object)]
    pub options: Value,
}

/// The WebAuthn user handle of an account: 16 bytes derived from its id under the server's
/// secret, so it says nothing about the account and never changes.
fn user_handle(state: &AppState, user_id: i64) -> Uuid {
    let token = opaque::derived_token(state.config.secret.expose(), &format!("webauthn-user:{user_id}"));
    let digest = opaque::digest(&token);
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digest[i * 2..i * 2 + 2], 16).unwrap_or(0);
    }
    Uuid::from_bytes(bytes)
}

async fn keep(
    state: &AppState,
    user_id: Option<i64>,
    kind: &str,
    ceremony_state: &impl serde::Serialize,
    options: Value,
) -> Result<Started, AppError> {
    let token = opaque::new_token();
    let json = serde_json::to_string(ceremony_state).map_err(AppError::internal)?;
    let now = now_ms();
    let _ = repo::purge_ceremonies(&state.db, now).await;
    repo::put_ceremony(
        &state.db,
        &opaque::digest(&token),
        user_id,
        kind,
        &json,
        now + CEREMONY_MS,
    )
    .await
    .map_err(db_error)?;
    Ok(Started {
        ceremony: token,
        options,
    })
}

/// Takes the ceremony `token` of `kind` out of the store: its state, once.
async fn take<T: serde::de::DeserializeOwned>(
    state: &AppState,
    token: &str,
    kind: &str,
    user_id: Option<i64>,
) -> Result<T, AppError> {
    if !opaque::well_formed(token) {
        return Err(failed());
    }
    let row = repo::take_ceremony(&state.db, &opaque::digest(token))
        .await
        .map_err(db_error)?
        .filter(|row| row.kind == kind && row.expires_at > now_ms() && row.user_id == user_id)
        .ok_or_else(failed)?;
    serde_json::from_str(&row.state).map_err(|_| failed())
}

/// Starts adding a passkey for the signed-in user. Needs a recent authentication.
pub async fn start_registration(state: &AppState, session: &AppSession) -> Result<Started, AppError> {
    let rp = webauthn(state)?;
    let me = super::reauth::require_recent(state, session).await?;
    let row = users::by_id(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    let existing = repo::of_user(&state.db, row.id).await.map_err(db_error)?;
    let exclude = existing
        .iter()
        .filter_map(|p| serde_json::from_str::<WebauthnPasskey>(&p.passkey).ok())
        .map(|p| p.cred_id().clone())
        .collect();
    let (options, registration) = rp
        .start_passkey_registration(user_handle(state, row.id), &row.email, &row.name, Some(exclude))
        .map_err(AppError::internal)?;
    let mut options = serde_json::to_value(options).map_err(AppError::internal)?;
    // Discoverable: signing in with it needs no address typed.
    if let Some(selection) = options.pointer_mut("/publicKey/authenticatorSelection") {
        selection["residentKey"] = Value::from("required");
        selection["requireResidentKey"] = Value::from(true);
    }
    keep(state, Some(row.id), "register", &registration, options).await
}

/// Finishes adding a passkey named `name` (1–100 characters, trimmed; "Passkey" when empty).
///
/// Errors: 400 `passkey_failed` for a used, expired or unknown ceremony or a credential that
/// does not verify; 401.
pub async fn finish_registration(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    ceremony: &str,
    name: &str,
    credential: &Value,
) -> Result<Passkey, AppError> {
    let rp = webauthn(state)?;
    let me = super::reauth::require_recent(state, session).await?;
    let name = clean_name(name)?;
    let registration: PasskeyRegistration = take(state, ceremony, "register", Some(me.user_id)).await?;
    let credential: RegisterPublicKeyCredential = serde_json::from_value(credential.clone()).map_err(|_| failed())?;
    let passkey = rp
        .finish_passkey_registration(&credential, &registration)
        .map_err(|e| {
            tracing::info!(error = %e, user = me.user_id, "passkey registration refused");
            failed()
        })?;
    let credential_id = encode_id(passkey.cred_id().as_ref());
    let json = serde_json::to_string(&passkey).map_err(AppError::internal)?;
    let now = now_ms();
    let added = async {
        use sea_orm::TransactionTrait;
        let txn = state.db.begin().await?;
        let new = repo::NewPasskey {
            user_id: me.user_id,
            credential_id: &credential_id,
            name: &name,
            passkey: &json,
            sign_count: 0,
            now,
        };
        if !repo::insert(&txn, new).await? {
            return Ok(false);
        }
        let detail = Some(name.clone());
        security_log::record(&txn, me.user_id, SecurityEventKind::PasskeyAdded, Some(client), detail).await?;
        txn.commit().await.map(|()| true)
    };
    if !added.await.map_err(db_error)? {
        return Err(failed());
    }
    Ok(Passkey {
        id: credential_id,
        name,
        created_at: rfc3339(now),
        last_used_at: None,
    })
}

fn clean_name(name: &str) -> Result<String, AppError> {
    let name: String = name.trim().chars().filter(|c| !c.is_control()).collect();
    if name.chars().count() > MAX_NAME {
        return Err(AppError::fields([("name".to_owned(), Msg::NameTooLong)].into()));
    }
    Ok(if name.is_empty() { "Passkey".to_owned() } else { name })
}

fn encode_id(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The signed-in user's passkeys, oldest first.
pub async fn list(state: &AppState, user_id: i64) -> Result<Vec<Passkey>, AppError> {
    let rows = repo::of_user(&state.db, user_id).await.map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|p| Passkey {
            id: p.credential_id,
            name: p.name,
            created_at: rfc3339(p.created_at),
            last_used_at: p.last_used_at.map(rfc3339),
        })
        .collect())
}

/// Removes one of the signed-in user's passkeys (by its id). Needs a recent authentication.
///
/// Errors: 404 for a passkey that is not theirs; 401.
pub async fn remove(state: &AppState, session: &AppSession, client: &ClientInfo, id: &str) -> Result<(), AppError> {
    let me = super::reauth::require_recent(state, session).await?;
    let row = repo::by_credential(&state.db, id)
        .await
        .map_err(db_error)?
        .filter(|p| p.user_id == me.user_id)
        .ok_or_else(AppError::not_found)?;
    let removed = async {
        use sea_orm::TransactionTrait;
        let txn = state.db.begin().await?;
        let Some(name) = repo::delete(&txn, me.user_id, row.id).await? else {
            return Ok(false);
        };
        security_log::record(
            &txn,
            me.user_id,
            SecurityEventKind::PasskeyRemoved,
            Some(client),
            Some(name),
        )
        .await?;
        txn.commit().await.map(|()| true)
    };
    if removed.await.map_err(db_error)? {
        Ok(())
    } else {
        Err(AppError::not_found())
    }
}

/// Starts a passkey sign-in: any of the browser's passkeys for this site may answer. Counted
/// like a failed sign-in from the client's address (given back when it succeeds), so no one
/// fills the database with ceremonies.
///
/// Errors: 429 past `RATE_LIMIT_SIGN_IN_IP`.
pub async fn start_sign_in(state: &AppState, client: &ClientInfo) -> Result<Started, AppError> {
    let rp = webauthn(state)?;
    state
        .limiter
        .hit(&client.rate, Rule::SignInIp, &client.ip_subject())
        .await?;
    let (options, authentication) = rp.start_discoverable_authentication().map_err(AppError::internal)?;
    let options = serde_json::to_value(options).map_err(AppError::internal)?;
    keep(state, None, "sign_in", &authentication, options).await
}

/// Finishes a passkey sign-in: signed in on this request, both factors at once.
///
/// Errors: 400 `passkey_failed` for a used, expired or unknown ceremony, an unknown passkey, a
/// signature that does not verify, or a counter that did not move forward.
pub async fn finish_sign_in(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    ceremony: &str,
    credential: &Value,
) -> Result<SignedInOutcome, AppError> {
    let rp = webauthn(state)?;
    let authentication: DiscoverableAuthentication = take(state, ceremony, "sign_in", None).await?;
    let credential: PublicKeyCredential = serde_json::from_value(credential.clone()).map_err(|_| failed())?;
    let (handle, credential_id) = rp
        .identify_discoverable_authentication(&credential)
        .map_err(|_| failed())?;
    let row = repo::by_credential(&state.db, &encode_id(credential_id))
        .await
        .map_err(db_error)?
        .ok_or_else(failed)?;
    if user_handle(state, row.user_id) != handle {
        return Err(failed());
    }
    let mut passkey: WebauthnPasskey = serde_json::from_str(&row.passkey).map_err(AppError::internal)?;
    let result = rp.finish_discoverable_authentication_v2(&credential, authentication, &passkey);
    let result = match result {
        Ok(result) => result,
        Err(e) => {
            refused(state, client, row.user_id, &e).await;
            return Err(failed());
        }
    };
    passkey.update_credential(&result);
    record_use(state, client, &row, &passkey, result.counter()).await?;
    let user = users::by_id(&state.db, row.user_id)
        .await
        .map_err(db_error)?
        .ok_or_else(failed)?;
    state.limiter.give_back(Rule::SignInIp, &client.ip_subject()).await;
    super::accounts::finish_sign_in(state, session, client, &user, &user.password_hash, "passkey").await
}

/// Starts confirming who the signed-in user is with one of their passkeys.
pub async fn start_confirm(state: &AppState, session: &AppSession) -> Result<Started, AppError> {
    let rp = webauthn(state)?;
    let me = session.require_signed_in().await?;
    let passkeys: Vec<WebauthnPasskey> = repo::of_user(&state.db, me.user_id)
        .await
        .map_err(db_error)?
        .iter()
        .filter_map(|p| serde_json::from_str(&p.passkey).ok())
        .collect();
    if passkeys.is_empty() {
        return Err(failed());
    }
    let (options, authentication) = rp.start_passkey_authentication(&passkeys).map_err(AppError::internal)?;
    let options = serde_json::to_value(options).map_err(AppError::internal)?;
    keep(state, Some(me.user_id), "confirm", &authentication, options).await
}

/// Finishes confirming with a passkey: a fresh authentication for this session.
pub async fn finish_confirm(
    state: &AppState,
    session: &AppSession,
    client: &ClientInfo,
    ceremony: &str,
    credential: &Value,
) -> Result<(), AppError> {
    let rp = webauthn(state)?;
    let me = session.require_signed_in().await?;
    let authentication: PasskeyAuthentication = take(state, ceremony, "confirm", Some(me.user_id)).await?;
    let credential: PublicKeyCredential = serde_json::from_value(credential.clone()).map_err(|_| failed())?;
    let result = match rp.finish_passkey_authentication(&credential, &authentication) {
        Ok(result) => result,
        Err(e) => {
            refused(state, client, me.user_id, &e).await;
            return Err(failed());
        }
    };
    let row = repo::by_credential(&state.db, &encode_id(result.cred_id().as_ref()))
        .await
        .map_err(db_error)?
        .filter(|p| p.user_id == me.user_id)
        .ok_or_else(failed)?;
    let mut passkey: WebauthnPasskey = serde_json::from_str(&row.passkey).map_err(AppError::internal)?;
    passkey.update_credential(&result);
    record_use(state, client, &row, &passkey, result.counter()).await?;
    session.mark_authenticated(now_ms()).await
}

/// Stores a use's new counter; refuses it when another use got there first with this counter
/// or a later one.
async fn record_use(
    state: &AppState,
    client: &ClientInfo,
    row: &crate::server::entity::passkey::Model,
    passkey: &WebauthnPasskey,
    counter: u32,
) -> Result<(), AppError> {
    let json = serde_json::to_string(passkey).map_err(AppError::internal)?;
    if repo::record_use(&state.db, row.id, &json, i64::from(counter), now_ms())
        .await
        .map_err(db_error)?
    {
        return Ok(());
    }
    tracing::warn!(
        user = row.user_id,
        passkey = row.id,
        counter,
        "passkey counter did not move forward; refused"
    );
    let detail = Some(format!("passkey {}", row.name));
    security_log::record_best_effort(
        state,
        row.user_id,
        SecurityEventKind::SignInFailed,
        Some(client),
        detail,
    )
    .await;
    Err(failed())
}

/// Logs a passkey the checks refused (a counter that went backwards: a cloned authenticator).
async fn refused(state: &AppState, client: &ClientInfo, user_id: i64, error: &webauthn_rs::prelude::WebauthnError) {
    tracing::warn!(error = %error, user = user_id, "passkey refused");
    let detail = Some("passkey".to_owned());
    security_log::record_best_effort(state, user_id, SecurityEventKind::SignInFailed, Some(client), detail).await;
}
