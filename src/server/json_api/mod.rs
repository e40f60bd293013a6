//! The JSON API for non-browser clients (the seeds' routes and Porch's own), one file per
//! feature. Each handler parses, calls the same function the pages use (`server::auth`,
//! `server::preferences`, …), and shapes the answer; [`endpoints`] is the one route table, which
//! the router is built from and the tests walk. [`openapi`] describes every route of it (and the
//! health routes) as an OpenAPI 3.1 document, served at `GET /api/openapi.json`.

mod accounts;
mod activity;
mod admin;
mod devices;
mod mail;
mod notices;
pub mod openapi;
mod preferences;
mod profile;
mod refusals;
mod security;
mod seed_users;

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts, Method},
    response::Response,
    routing::{delete, get, post, put, MethodRouter},
    Json, Router,
};
use serde::{de::DeserializeOwned, Serialize};

use crate::{
    error::{AppError, ErrorCode},
    model::{Msg, User},
    server::{
        client::ClientInfo,
        session::{AppSession, SignedIn},
        state::AppState,
    },
};

/// Every JSON API route as (path, method, handler). The router is built from this list, and
/// tests walk it to reach every route (for instance to check that none accepts a cross-site
/// request), so a new route cannot be left out of either.
pub fn endpoints() -> Vec<(&'static str, Method, MethodRouter<AppState>)> {
    vec![
        ("/api/auth/register", Method::POST, post(accounts::register)),
        ("/api/auth/login", Method::POST, post(accounts::login)),
        (
            "/api/auth/login/second-factor",
            Method::POST,
            post(accounts::login_second_factor),
        ),
        ("/api/auth/logout", Method::POST, post(accounts::logout)),
        ("/api/auth/logout-all", Method::POST, post(accounts::logout_all)),
        ("/api/auth/profile", Method::GET, get(profile::get_profile)),
        ("/api/auth/profile", Method::PUT, put(profile::put_profile)),
        ("/api/auth/profile", Method::DELETE, delete(accounts::delete_profile)),
        ("/api/auth/profile/password", Method::PUT, put(accounts::put_password)),
        ("/api/auth/profile/email", Method::PUT, put(mail::change_email)),
        ("/api/auth/password/forgot", Method::POST, post(mail::forgot_password)),
        ("/api/auth/password/reset", Method::POST, post(mail::reset_password)),
        ("/api/auth/email/verify", Method::POST, post(mail::verify_email)),
        ("/api/auth/unlock", Method::POST, post(mail::unlock)),
        (
            "/api/auth/email/verification",
            Method::POST,
            post(mail::resend_verification),
        ),
        // Its own body limit (protection::limits_and_headers), not axum's 2 MB default.
        (
            "/api/auth/profile/avatar",
            Method::POST,
            post(profile::post_avatar).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        (
            "/api/auth/profile/avatar",
            Method::DELETE,
            delete(profile::delete_avatar),
        ),
        ("/avatars/{hash}", Method::GET, get(profile::get_avatar)),
        ("/api/auth/export", Method::GET, get(accounts::get_export)),
        ("/api/auth/sessions", Method::GET, get(devices::list_sessions)),
        (
            "/api/auth/sessions/summary",
            Method::GET,
            get(devices::sessions_summary),
        ),
        (
            "/api/auth/sessions/{id}",
            Method::DELETE,
            delete(devices::revoke_session),
        ),
        ("/api/preferences", Method::GET, get(preferences::get_preferences)),
        ("/api/preferences", Method::POST, post(preferences::post_preferences)),
        ("/api/session", Method::GET, get(activity::get_session)),
        ("/api/session", Method::POST, post(activity::start_session)),
        ("/api/session", Method::DELETE, delete(activity::end_session)),
        ("/api/session/page", Method::POST, post(activity::track_page)),
        ("/api/auth/history", Method::GET, get(activity::get_history)),
        ("/api/auth/security-log", Method::GET, get(security::get_security_log)),
        ("/api/auth/reauth", Method::POST, post(security::reauth)),
        ("/api/auth/totp", Method::POST, post(security::start_totp)),
        ("/api/auth/totp", Method::DELETE, delete(security::disable_totp)),
        ("/api/auth/totp/confirm", Method::POST, post(security::confirm_totp)),
        (
            "/api/auth/totp/recovery-codes",
            Method::POST,
            post(security::regenerate_recovery_codes),
        ),
        ("/api/auth/passkeys", Method::GET, get(security::list_passkeys)),
        ("/api/auth/passkeys", Method::POST, post(security::add_passkey)),
        (
            "/api/auth/passkeys/options",
            Method::POST,
            post(security::passkey_registration_options),
        ),
        (
            "/api/auth/passkeys/{id}",
            Method::DELETE,
            delete(security::remove_passkey),
        ),
        (
            "/api/auth/passkey/login/options",
            Method::POST,
            post(security::passkey_sign_in_options),
        ),
        ("/api/auth/passkey/login", Method::POST, post(security::passkey_sign_in)),
        (
            "/api/auth/reauth/passkey/options",
            Method::POST,
            post(security::passkey_reauth_options),
        ),
        ("/api/auth/reauth/passkey", Method::POST, post(security::passkey_reauth)),
        ("/api/notices", Method::GET, get(notices::get_notices)),
        ("/api/notices/stream", Method::GET, get(notices::notice_stream)),
        ("/api/admin/users/{id}/role", Method::PUT, put(admin::put_user_role)),
        ("/api/admin/users/{id}/unlock", Method::POST, post(admin::unlock_user)),
        ("/api/admin/stats", Method::GET, get(admin::get_admin_stats)),
        ("/api/admin/users", Method::GET, get(admin::get_admin_users)),
        // Seed 002's routes, beside Porch's own.
        ("/user", Method::POST, post(seed_users::register)),
        ("/user", Method::GET, get(seed_users::get_user)),
        ("/user/signin", Method::POST, post(seed_users::sign_in)),
        ("/user/session", Method::DELETE, delete(seed_users::delete_session)),
        // The OpenAPI document of all of the above and the health routes.
        ("/api/openapi.json", Method::GET, get(openapi::get_openapi)),
    ]
}

pub fn routes() -> Router<AppState> {
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, (path, _, handler)| router.route(path, handler))
}

/// `{"user": …}`: the answer of the routes that show or change the signed-in user.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct UserAnswer {
    user: User,
}

/// A JSON body whose problems come back in the API's error shape, never axum's plain text.
/// Every body of the API is a JSON object: serde would also read a struct from an array (by
/// position, `[]` as an object with every field missing), so anything else is refused.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !says_json(req.headers()) {
            return Err(AppError::new(ErrorCode::BadRequest, Msg::JsonContentType));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::new(ErrorCode::PayloadTooLarge, Msg::BodyTooLarge))?;
        let invalid = || AppError::new(ErrorCode::BadRequest, Msg::BodyInvalid);
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(invalid());
        }
        Json::<T>::from_bytes(&bytes)
            .map(|Json(value)| Self(value))
            .map_err(|_| invalid())
    }
}

/// Whether the request says its body is JSON: `application/json` or `application/<x>+json`,
/// parameters and case aside (RFC 8259 §11, RFC 6839 §3.1).
fn says_json(headers: &header::HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The client's address and device, from the connection and headers.
pub struct Client(pub ClientInfo);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(ClientInfo::from_parts(parts, &state.config.trusted_proxies)))
    }
}

/// `response` with these `Set-Cookie` values appended.
pub(super) fn with_cookies(mut response: Response, cookies: Vec<header::HeaderValue>) -> Response {
    crate::server::preferences::append_cookies(response.headers_mut(), cookies);
    response
}

/// Query parameters, read leniently: absent means the default, anything unreadable is a 400.
pub(super) fn query_number(
    query: &std::collections::HashMap<String, String>,
    name: &str,
    default: u64,
) -> Result<u64, AppError> {
    match query.get(name).map(String::as_str) {
        None | Some("") => Ok(default),
        Some(value) => value
            .parse()
            .map_err(|_| AppError::new(ErrorCode::BadRequest, Msg::LimitInvalid)),
    }
}

pub(super) type Query = axum::extract::Query<std::collections::HashMap<String, String>>;

/// The signed-in user of the request, for a handler that needs one: a guest gets 401, and 503
/// when the session store cannot say (the preamble every such handler would otherwise repeat).
pub struct SignedInUser(pub SignedIn);

impl FromRequestParts<AppState> for SignedInUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        let session = parts
            .extensions
            .get::<AppSession>()
            .ok_or_else(|| AppError::internal("session middleware missing"))?;
        Ok(Self(session.require_signed_in().await?))
    }
}
