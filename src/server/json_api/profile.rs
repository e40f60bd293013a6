//! The signed-in user's profile and avatar, and avatars as images.

use axum::{
    extract::{
        multipart::{Multipart, MultipartError, MultipartRejection},
        Path, State,
    },
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::Deserialize;
use serde_json::json;

use super::JsonBody;
use super::SignedInUser;
use crate::{
    error::{AppError, ErrorCode},
    model::Msg,
    server::{
        auth::profile,
        avatar::{self, Upload},
        session::AppSession,
        state::AppState,
    },
};

/// `GET /api/auth/profile` → `{"user": …}`, or 401.
pub(super) async fn get_profile(
    State(state): State<AppState>,
    SignedInUser(me): SignedInUser,
) -> Result<Response, AppError> {
    let user = profile::profile(&state, me.user_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(json!({ "user": user })).into_response())
}

#[derive(Deserialize)]
pub(super) struct ProfileBody {
    #[serde(default)]
    name: String,
}

pub(super) async fn put_profile(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    JsonBody(body): JsonBody<ProfileBody>,
) -> Result<Response, AppError> {
    let user = profile::update_name(&state, &session, &body.name).await?;
    Ok(Json(json!({ "user": user })).into_response())
}

/// The multipart field holding the avatar.
const AVATAR_FIELD: &str = "avatar";

/// Reads the avatar field of a multipart upload, refusing more than the largest accepted file
/// as it arrives.
pub(super) async fn read_avatar(multipart: Result<Multipart, MultipartRejection>) -> Result<Upload, AppError> {
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
pub(super) async fn post_avatar(
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
pub(super) async fn delete_avatar(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Json<serde_json::Value>, AppError> {
    let user = avatar::remove(&state, &session).await?;
    Ok(Json(json!({ "user": user })))
}

/// JSON for API clients; for a browser's plain form, the outcome kept for the account page
/// and a redirect there (post/redirect/get).
pub(super) async fn answer_upload(
    session: &AppSession,
    headers: &HeaderMap,
    result: Result<crate::model::User, AppError>,
    notice: Msg,
) -> Response {
    if !crate::server::forms::wants_page(headers) {
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
            crate::server::forms::keep_feedback(session, feedback).await;
            axum::response::Redirect::to("/account").into_response()
        }
    }
}

/// `GET /avatars/{hash}`: the image, cached by browsers for good (a new image has a new name).
pub(super) async fn get_avatar(State(state): State<AppState>, Path(hash): Path<String>) -> Result<Response, AppError> {
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
