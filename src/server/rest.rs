//! The JSON API for non-browser clients (the seeds' routes). Each handler parses, calls the
//! same function the pages use (`server::auth::accounts`), and shapes the answer.

use axum::{
    extract::{
        multipart::{Multipart, MultipartError, MultipartRejection},
        rejection::JsonRejection,
        FromRequest, FromRequestParts, Path, Request, State,
    },
    http::{header, request::Parts, HeaderMap, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get, post, put, MethodRouter},
    Extension, Json, Router,
};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::json;

use super::{
    activity,
    auth::{
        account_data,
        accounts::{self, Registration},
        admin, devices, profile,
    },
    avatar::{self, Upload},
    client::ClientInfo,
    notices,
    preferences::{self, Patch, Resolved},
    session::AppSession,
    state::AppState,
};
use crate::{
    error::{AppError, ErrorCode},
    model::{EndReason, Msg},
};

/// Every JSON API route as (path, method, handler). The router is built from this list, and
/// tests walk it to reach every route (for instance to check that none accepts a cross-site
/// request), so a new route cannot be left out of either.
pub fn endpoints() -> Vec<(&'static str, Method, MethodRouter<AppState>)> {
    vec![
        ("/api/auth/register", Method::POST, post(register)),
        ("/api/auth/login", Method::POST, post(login)),
        ("/api/auth/logout", Method::POST, post(logout)),
        ("/api/auth/logout-all", Method::POST, post(logout_all)),
        ("/api/auth/profile", Method::GET, get(get_profile)),
        ("/api/auth/profile", Method::PUT, put(put_profile)),
        ("/api/auth/profile", Method::DELETE, delete(delete_profile)),
        ("/api/auth/profile/password", Method::PUT, put(put_password)),
        // Its own body limit (protection::limits_and_headers), not axum's 2 MB default.
        (
            "/api/auth/profile/avatar",
            Method::POST,
            post(post_avatar).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        ("/api/auth/profile/avatar", Method::DELETE, delete(delete_avatar)),
        ("/avatars/{hash}", Method::GET, get(get_avatar)),
        ("/api/auth/export", Method::GET, get(get_export)),
        ("/api/auth/sessions", Method::GET, get(list_sessions)),
        ("/api/auth/sessions/{id}", Method::DELETE, delete(revoke_session)),
        ("/api/preferences", Method::GET, get(get_preferences)),
        ("/api/preferences", Method::POST, post(post_preferences)),
        ("/api/session", Method::GET, get(get_session)),
        ("/api/session", Method::POST, post(start_session)),
        ("/api/session", Method::DELETE, delete(end_session)),
        ("/api/session/page", Method::POST, post(track_page)),
        ("/api/auth/history", Method::GET, get(get_history)),
        ("/api/notices", Method::GET, get(get_notices)),
        ("/api/notices/stream", Method::GET, get(notice_stream)),
        ("/api/admin/users/{id}/role", Method::PUT, put(put_user_role)),
        ("/api/admin/stats", Method::GET, get(get_admin_stats)),
        ("/api/admin/users", Method::GET, get(get_admin_users)),
    ]
}

pub fn routes() -> Router<AppState> {
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, (path, _, handler)| router.route(path, handler))
}

/// A JSON body whose problems come back in the API's error shape, never axum's plain text.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(AppError::new(ErrorCode::BadRequest, Msg::JsonContentType))
            }
            Err(JsonRejection::BytesRejection(_)) => Err(AppError::new(ErrorCode::PayloadTooLarge, Msg::BodyTooLarge)),
            Err(_) => Err(AppError::new(ErrorCode::BadRequest, Msg::BodyInvalid)),
        }
    }
}

/// The client's address and device, from the connection and headers.
pub struct Client(pub ClientInfo);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(ClientInfo::from_parts(parts, &state.config.trusted_proxies)))
    }
}

#[derive(Deserialize)]
struct RegisterBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn register(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<RegisterBody>,
) -> Result<Response, AppError> {
    let input = Registration {
        name: body.name,
        email: body.email,
        password: body.password,
    };
    let outcome = accounts::register(&state, &session, &client, &input).await?;
    let body = Json(json!({ "user": outcome.user, "token": outcome.token }));
    Ok(with_cookies(
        (StatusCode::CREATED, body).into_response(),
        outcome.preferences_cookies,
    ))
}

#[derive(Deserialize)]
struct LoginBody {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, AppError> {
    let outcome = accounts::sign_in(&state, &session, &client, &body.email, &body.password).await?;
    let body = Json(json!({ "user": outcome.user, "token": outcome.token }));
    Ok(with_cookies(body.into_response(), outcome.preferences_cookies))
}

async fn logout(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<StatusCode, AppError> {
    devices::sign_out(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn logout_all(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<StatusCode, AppError> {
    devices::sign_out_everywhere(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_profile(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    let me = session.require_signed_in().await?;
    let user = profile::profile(&state, me.user_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(json!({ "user": user })).into_response())
}

#[derive(Deserialize)]
struct ProfileBody {
    #[serde(default)]
    name: String,
}

async fn put_profile(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    JsonBody(body): JsonBody<ProfileBody>,
) -> Result<Response, AppError> {
    let user = profile::update_name(&state, &session, &body.name).await?;
    Ok(Json(json!({ "user": user })).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordBody {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn put_password(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<StatusCode, AppError> {
    accounts::change_password(&state, &session, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_sessions(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    Ok(Json(devices::list_sessions(&state, &session).await?).into_response())
}

async fn revoke_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Path(handle): Path<String>,
) -> Result<StatusCode, AppError> {
    devices::revoke(&state, &session, &handle).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct RoleBody {
    #[serde(default)]
    role: String,
}

/// `PUT /api/admin/users/{id}/role` `{"role": "admin" | "user"}` → `{"user": …}`. Nothing about
/// the request is looked at before the caller is known to be an admin: to anyone else it is a
/// 404 like any unknown path.
async fn put_user_role(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let admin = admin::require_admin(&state, &session).await?;
    let id: i64 = id.parse().map_err(|_| AppError::not_found())?;
    let body: RoleBody =
        serde_json::from_slice(&body).map_err(|_| AppError::new(ErrorCode::BadRequest, Msg::BodyInvalid))?;
    let user = admin::set_role(&state, &admin, &client, id, &body.role).await?;
    Ok(Json(json!({ "user": user })).into_response())
}

/// `GET /api/admin/stats`: the figures of the admin page (a 404 to anyone but an admin).
async fn get_admin_stats(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    admin::require_admin(&state, &session).await?;
    Ok(Json(admin::stats(&state).await?).into_response())
}

/// `GET /api/admin/users?cursor=&limit=`: accounts with their roles, newest first.
async fn get_admin_users(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    axum::extract::Query(query): Query,
) -> Result<Response, AppError> {
    admin::require_admin(&state, &session).await?;
    let limit = query_number(&query, "limit", 50)?;
    let page = admin::users(&state, query.get("cursor").map(String::as_str), limit).await?;
    Ok(Json(page).into_response())
}

/// `response` with these `Set-Cookie` values appended.
fn with_cookies(mut response: Response, cookies: Vec<header::HeaderValue>) -> Response {
    preferences::append_cookies(response.headers_mut(), cookies);
    response
}

fn preferences_response(resolved: Resolved) -> Response {
    let prefs = resolved.prefs;
    let body = Json(json!({
        "theme": prefs.theme,
        "language": prefs.language,
        "notifications": prefs.notifications,
        "source": resolved.source,
    }));
    with_cookies(body.into_response(), resolved.set_cookies)
}

async fn get_preferences(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    Ok(preferences_response(
        preferences::resolve(&state, &session, &headers).await?,
    ))
}

async fn post_preferences(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Response, AppError> {
    let patch = Patch::from_json(&body)?;
    Ok(preferences_response(
        preferences::save(&state, &session, &headers, &patch).await?,
    ))
}

/// Query parameters, read leniently: absent means the default, anything unreadable is a 400.
fn query_number(query: &std::collections::HashMap<String, String>, name: &str, default: u64) -> Result<u64, AppError> {
    match query.get(name).map(String::as_str) {
        None | Some("") => Ok(default),
        Some(value) => value
            .parse()
            .map_err(|_| AppError::new(ErrorCode::BadRequest, Msg::LimitInvalid)),
    }
}

type Query = axum::extract::Query<std::collections::HashMap<String, String>>;

async fn start_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
) -> Result<Response, AppError> {
    activity::live_session(&state, &session, &client).await?;
    let view = activity::view(&state, &session, 0, 1).await?;
    Ok((StatusCode::CREATED, Json(json!({ "startTime": view.start_time }))).into_response())
}

async fn get_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    axum::extract::Query(query): Query,
) -> Result<Response, AppError> {
    let offset = query_number(&query, "offset", 0)?;
    let limit = query_number(&query, "limit", 20)?;
    let view = activity::view(
        &state,
        &session,
        (offset as usize).min(activity::MAX_OFFSET),
        limit.min(1_000) as usize,
    )
    .await?;
    Ok(Json(view).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageBody {
    page: String,
}

async fn track_page(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<PageBody>,
) -> Result<Response, AppError> {
    let (page_count, duration) = activity::track(&state, &session, &client, &body.page).await?;
    Ok(Json(json!({ "pageCount": page_count, "sessionDuration": duration })).into_response())
}

async fn end_session(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<StatusCode, AppError> {
    devices::end_this_session(&state, &session, EndReason::Ended).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_history(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    axum::extract::Query(query): Query,
) -> Result<Response, AppError> {
    let limit = query_number(&query, "limit", 20)?;
    let page = activity::history(&state, &session, query.get("cursor").map(String::as_str), limit).await?;
    Ok(Json(page).into_response())
}

#[derive(Deserialize)]
struct DeleteAccountBody {
    #[serde(default)]
    password: String,
}

/// `DELETE /api/auth/profile` `{"password": …}` → 204, this session ended and the account's
/// preferences left in the preferences cookie.
async fn delete_profile(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    Client(client): Client,
    JsonBody(body): JsonBody<DeleteAccountBody>,
) -> Result<Response, AppError> {
    let deleted = account_data::delete_account(&state, &session, &client, &body.password).await?;
    Ok(with_cookies(
        StatusCode::NO_CONTENT.into_response(),
        deleted.preferences_cookies,
    ))
}

/// `GET /api/auth/export` → everything kept about the account, as a JSON file to save.
async fn get_export(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Response, AppError> {
    let export = account_data::export(&state, &session).await?;
    let day = export.exported_at.get(..10).unwrap_or("export").to_owned();
    let disposition = format!("attachment; filename=\"porch-data-{day}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(export)).into_response())
}

/// The multipart field holding the avatar.
const AVATAR_FIELD: &str = "avatar";

/// Reads the avatar field of a multipart upload, refusing more than the largest accepted file
/// as it arrives.
async fn read_avatar(multipart: Result<Multipart, MultipartRejection>) -> Result<Upload, AppError> {
    let missing = || AppError::from(avatar::Refusal::Missing);
    let unreadable = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::from(avatar::Refusal::TooLarge)
        } else {
            AppError::new(ErrorCode::BadRequest, Msg::FormUnreadable)
        }
    };
    let mut multipart = multipart.map_err(|_| missing())?;
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() != Some(AVATAR_FIELD) {
            continue;
        }
        let mut upload = Upload {
            data: Vec::new(),
            content_type: field.content_type().map(str::to_owned),
            file_name: field.file_name().map(str::to_owned),
        };
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if upload.data.len() + chunk.len() > avatar::MAX_UPLOAD_BYTES {
                return Err(avatar::Refusal::TooLarge.into());
            }
            upload.data.extend_from_slice(&chunk);
        }
        return Ok(upload);
    }
    Err(missing())
}

/// `POST /api/auth/profile/avatar` (multipart, field `avatar`) → `{"user": …}`. The form on
/// `/account` posts here too: a browser gets the account page back with the outcome.
async fn post_avatar(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let result = match read_avatar(multipart).await {
        Ok(upload) => avatar::set(&state, &session, upload).await,
        Err(e) => Err(e),
    };
    answer_upload(&session, &headers, result, Msg::AvatarSaved).await
}

/// `DELETE /api/auth/profile/avatar` → `{"user": …}`, initials again.
async fn delete_avatar(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Json<serde_json::Value>, AppError> {
    let user = avatar::remove(&state, &session).await?;
    Ok(Json(json!({ "user": user })))
}

/// JSON for API clients; for a browser's plain form, the outcome kept for the account page
/// and a redirect there (post/redirect/get).
async fn answer_upload(
    session: &AppSession,
    headers: &HeaderMap,
    result: Result<crate::model::User, AppError>,
    notice: Msg,
) -> Response {
    if !super::forms::wants_page(headers) {
        return match result {
            Ok(user) => Json(json!({ "user": user })).into_response(),
            Err(e) => e.into_response(),
        };
    }
    match result {
        // Refusals a form cannot show (a rate limit, an outage) are answered on the spot.
        Err(e)
            if matches!(
                e.code,
                ErrorCode::Unavailable | ErrorCode::RateLimited | ErrorCode::Unauthorized
            ) =>
        {
            e.into_response()
        }
        result => {
            let (error, notice) = match result {
                Ok(_) => (None, Some(notice)),
                Err(e) => (Some(e), None),
            };
            let feedback = crate::model::FormFeedback {
                form: "avatar".into(),
                error,
                notice,
                values: Default::default(),
            };
            super::forms::keep_feedback(session, feedback).await;
            axum::response::Redirect::to("/account").into_response()
        }
    }
}

/// `GET /avatars/{hash}`: the image, cached by browsers for good (a new image has a new name).
async fn get_avatar(State(state): State<AppState>, Path(hash): Path<String>) -> Result<Response, AppError> {
    let (content_type, data) = avatar::image(&state, &hash).await?.ok_or_else(AppError::not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable".to_owned()),
            (header::ETAG, format!("\"{hash}\"")),
        ],
        data,
    )
        .into_response())
}

/// `GET /api/notices` → the session's pending notices, newest first (signed-in sessions).
async fn get_notices(Extension(session): Extension<AppSession>) -> Result<Json<Vec<crate::model::Notice>>, AppError> {
    session.require_signed_in().await?;
    Ok(Json(notices::pending(&session).await))
}

/// `GET /api/notices/stream`: the same as server-sent events, kept open (see
/// [`notices::stream`]).
async fn notice_stream(State(state): State<AppState>, Extension(session): Extension<AppSession>) -> Response {
    match notices::stream(&state, &session).await {
        Ok(sse) => sse.into_response(),
        Err(e) => e.into_response(),
    }
}
