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

use super::refusals::SignedInReadRefusals;
use super::JsonBody;
use super::{SignedInUser, UserAnswer};
use crate::{
    error::{AppError, ErrorCode, ErrorResponse},
    model::Msg,
    server::{
        auth::profile,
        avatar::{self, Upload},
        session::AppSession,
        state::AppState,
    },
};

/// `GET /api/auth/profile` → `{"user": …}`, or 401.
#[utoipa::path(
    get,
    path = "/api/auth/profile",
    tag = "profile",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user.", body = UserAnswer),
        SignedInReadRefusals,
    ),
)]
pub(super) async fn get_profile(
    State(state): State<AppState>,
    SignedInUser(me): SignedInUser,
) -> Result<Response, AppError> {
    let user = profile::profile(&state, me.user_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(UserAnswer { user }).into_response())
}

/// A new display name, 1–100 characters. A missing field counts as empty.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct ProfileBody {
    #[serde(default)]
    name: String,
}

/// `PUT /api/auth/profile` `{"name": …}` → `{"user": …}`.
#[utoipa::path(
    put,
    path = "/api/auth/profile",
    tag = "profile",
    request_body = ProfileBody,
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The user with the new name.", body = UserAnswer),
        (status = 400, description = "Unreadable body, or the name refused (`fields.name`).", body = ErrorResponse),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 404, description = "The account no longer exists.", body = ErrorResponse),
        (status = 413, description = "The body is too large.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn put_profile(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
    JsonBody(body): JsonBody<ProfileBody>,
) -> Result<Response, AppError> {
    let user = profile::update_name(&state, &session, &body.name).await?;
    Ok(Json(UserAnswer { user }).into_response())
}

/// The avatar upload's form: one file field, `avatar` (PNG, JPEG or WebP, at most 2 MiB); other
/// fields are ignored.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only describes the form, which `read_avatar` reads as it arrives.
pub(super) struct AvatarForm {
    /// The image file.
    #[schema(value_type = String, format = Binary)]
    avatar: Vec<u8>,
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
#[utoipa::path(
    post,
    path = "/api/auth/profile/avatar",
    tag = "profile",
    request_body(content = AvatarForm, content_type = "multipart/form-data"),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The user with the new `avatarUrl` (the image is re-encoded as a square PNG or JPEG).", body = UserAnswer),
        (status = 303, description = "A request asking for HTML (`Accept: text/html`, the account page's plain form): the outcome is kept for the account page, which this redirects to.",
            headers(("Location" = String, description = "`/account`"))),
        (status = 400, description = "No `avatar` field, an unreadable form, or a file that is not a readable PNG, JPEG or WebP (`fields.avatar`).", body = ErrorResponse),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 404, description = "The account no longer exists.", body = ErrorResponse),
        (status = 413, description = "The file is larger than 2 MiB (`fields.avatar`), or the body too large.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
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
#[utoipa::path(
    delete,
    path = "/api/auth/profile/avatar",
    tag = "profile",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The user, `avatarUrl` null.", body = UserAnswer),
        (status = 401, description = "Not signed in.", body = ErrorResponse),
        (status = 403, description = "A cross-site request.", body = ErrorResponse),
        (status = 404, description = "The account no longer exists.", body = ErrorResponse),
        (status = 503, description = "The session store or database is unavailable.", body = ErrorResponse),
    ),
)]
pub(super) async fn delete_avatar(
    State(state): State<AppState>,
    Extension(session): Extension<AppSession>,
) -> Result<Json<UserAnswer>, AppError> {
    let user = avatar::remove(&state, &session).await?;
    Ok(Json(UserAnswer { user }))
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
            Ok(user) => Json(UserAnswer { user }).into_response(),
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
#[utoipa::path(
    get,
    path = "/avatars/{hash}",
    tag = "profile",
    params(("hash" = String, Path, description = "32 lower-case hex digits, as in a user's `avatarUrl`.")),
    responses(
        (status = 200, description = "The image, cacheable for good (`Cache-Control: public, max-age=31536000, immutable`; `ETag` the hash in quotes).",
            content(("image/png"), ("image/jpeg"))),
        (status = 404, description = "No image by that name.", body = ErrorResponse),
        (status = 503, description = "The database is unavailable.", body = ErrorResponse),
    ),
)]
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
