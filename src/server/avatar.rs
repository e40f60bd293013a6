//! Avatars. An upload is trusted for nothing: its type is what decoding it shows (a name or a
//! declared type that says otherwise is refused), an image that does not decode whole is
//! refused, and what is stored is a new image — a centred square of at most 256 px, encoded
//! afresh, so none of the upload's metadata survives. Stored in the database; served at an
//! address made from its content, so browsers may cache it for good.

use std::{io::Cursor, path::Path, sync::LazyLock};

use image::{
    codecs::{jpeg::JpegEncoder, png::PngEncoder},
    imageops::FilterType,
    DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits,
};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::{
    error::{AppError, ErrorCode},
    model::{Msg, User},
    server::{
        auth::profile::{self, to_user},
        repo::{
            avatars::{self, NewAvatar},
            db_error,
        },
        session::AppSession,
        state::AppState,
        time::now_ms,
    },
};

/// The largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;
/// The stored image's side, at most.
pub const SIDE: u32 = 256;
/// Where avatars are served.
pub const PATH_PREFIX: &str = "/avatars/";

/// Largest side decoded, and the memory decoding may take: a small file that claims to be a
/// huge image (a "decompression bomb") is refused before it is unpacked.
const MAX_DECODED_SIDE: u32 = 8192;
const MAX_DECODE_ALLOC: u64 = 128 * 1024 * 1024;

/// Decoding is CPU-heavy: at most this many at once, whatever the number of uploads.
static DECODERS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

/// An uploaded file as it arrived.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub data: Vec<u8>,
    /// The part's declared `Content-Type`.
    pub content_type: Option<String>,
    pub file_name: Option<String>,
}

/// The image to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    pub data: Vec<u8>,
    pub content_type: &'static str,
    pub side: u32,
}

/// Why an upload is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    TooLarge,
    /// Not PNG, JPEG or WebP.
    Format,
    /// The name or the declared type says another format than the content.
    Mismatch,
    /// Damaged or incomplete.
    Unreadable,
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        let (code, msg) = match refusal {
            Refusal::Missing => (ErrorCode::BadRequest, Msg::AvatarMissing),
            Refusal::TooLarge => (ErrorCode::PayloadTooLarge, Msg::AvatarTooLarge),
            Refusal::Format => (ErrorCode::Validation, Msg::AvatarFormat),
            Refusal::Mismatch => (ErrorCode::Validation, Msg::AvatarMismatch),
            Refusal::Unreadable => (ErrorCode::Validation, Msg::AvatarUnreadable),
        };
        let mut error = AppError::new(code, msg);
        error.fields.insert("avatar".into(), msg);
        error
    }
}

/// The format a declared type or a file name stands for (any image format, accepted or not);
/// `None` when it names none (`application/octet-stream`, no extension).
fn claimed_formats(upload: &Upload) -> impl Iterator<Item = ImageFormat> + '_ {
    let by_type = upload
        .content_type
        .as_deref()
        .map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .and_then(|t| match t.as_str() {
            // Old and unofficial names browsers still send.
            "image/jpg" | "image/pjpeg" => Some(ImageFormat::Jpeg),
            other => ImageFormat::from_mime_type(other),
        });
    let by_name = upload
        .file_name
        .as_deref()
        .and_then(|name| Path::new(name).extension())
        .and_then(ImageFormat::from_extension);
    by_type.into_iter().chain(by_name)
}

/// Whether the file ends the way a whole image of `format` does (decoders may return a
/// partial image from a cut-off file rather than an error).
fn is_whole(format: ImageFormat, data: &[u8]) -> bool {
    match format {
        // The IEND chunk, with its CRC.
        ImageFormat::Png => data.ends_with(&[0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]),
        // An end-of-image marker near the end (some cameras append a little after it).
        ImageFormat::Jpeg => data[data.len().saturating_sub(1024)..]
            .windows(2)
            .any(|w| w == [0xFF, 0xD9]),
        // The RIFF header's length covers the file.
        ImageFormat::WebP => data
            .get(4..8)
            .map(|n| u32::from_le_bytes([n[0], n[1], n[2], n[3]]) as usize + 8 <= data.len())
            .unwrap_or(false),
        _ => false,
    }
}

/// Checks an upload and makes the image to store. CPU-bound: run it off the async threads.
pub fn process(upload: &Upload) -> Result<Processed, Refusal> {
    let data = &upload.data;
    if data.is_empty() {
        return Err(Refusal::Missing);
    }
    if data.len() > MAX_UPLOAD_BYTES {
        return Err(Refusal::TooLarge);
    }
    let format = image::guess_format(data).map_err(|_| Refusal::Format)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) {
        return Err(Refusal::Format);
    }
    if claimed_formats(upload).any(|claimed| claimed != format) {
        return Err(Refusal::Mismatch);
    }
    if !is_whole(format, data) {
        return Err(Refusal::Unreadable);
    }
    let mut reader = ImageReader::with_format(Cursor::new(data), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| Refusal::Unreadable)?;
    // A phone's photo is often stored sideways with a note to turn it: turned here, since the
    // note does not survive re-encoding.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| Refusal::Unreadable)?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    let (width, height) = (image.width(), image.height());
    let side = width.min(height);
    if side == 0 {
        return Err(Refusal::Unreadable);
    }
    let mut square = image.crop_imm((width - side) / 2, (height - side) / 2, side, side);
    if side > SIDE {
        square = square.resize_exact(SIDE, SIDE, FilterType::Lanczos3);
    }
    let side = square.width();
    let mut out = Vec::new();
    // Transparency needs PNG; anything else is smaller as JPEG.
    let content_type = if square.color().has_alpha() {
        let rgba = square.to_rgba8();
        PngEncoder::new(&mut out)
            .write_image(&rgba, side, side, image::ExtendedColorType::Rgba8)
            .map_err(|_| Refusal::Unreadable)?;
        "image/png"
    } else {
        let rgb = square.to_rgb8();
        JpegEncoder::new_with_quality(&mut out, 85)
            .write_image(&rgb, side, side, image::ExtendedColorType::Rgb8)
            .map_err(|_| Refusal::Unreadable)?;
        "image/jpeg"
    };
    Ok(Processed {
        data: out,
        content_type,
        side,
    })
}

/// The avatar's name in its URL: unique per user and image, so a new image is a new address
/// and the old one can be cached for good; it says nothing of other users' avatars.
fn content_hash(user_id: i64, data: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(user_id.to_be_bytes());
    hasher.update(data);
    hasher.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes `upload` the signed-in user's avatar.
pub async fn set(state: &AppState, session: &AppSession, upload: Upload) -> Result<User, AppError> {
    let me = session.require_signed_in().await?;
    let processed = {
        let _permit = DECODERS.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || process(&upload))
            .await
            .map_err(AppError::internal)??
    };
    let hash = content_hash(me.user_id, &processed.data);
    let new = NewAvatar {
        hash: &hash,
        content_type: processed.content_type,
        data: &processed.data,
    };
    let row = avatars::put(&state.db, me.user_id, new, now_ms())
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    profile::profile_changed(state, me.user_id).await;
    Ok(to_user(&row))
}

/// Removes the signed-in user's avatar (initials again).
pub async fn remove(state: &AppState, session: &AppSession) -> Result<User, AppError> {
    let me = session.require_signed_in().await?;
    let row = avatars::remove(&state.db, me.user_id, now_ms())
        .await
        .map_err(db_error)?
        .ok_or_else(AppError::not_found)?;
    profile::profile_changed(state, me.user_id).await;
    Ok(to_user(&row))
}

/// The stored image named `hash`: (content type, bytes).
pub async fn image(state: &AppState, hash: &str) -> Result<Option<(String, Vec<u8>)>, AppError> {
    if hash.len() != 32 || !hash.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        return Ok(None);
    }
    avatars::by_hash(&state.db, hash).await.map_err(db_error)
}
