//! The one public error type. What it carries is safe to show: a stable code, a plain message
//! and per-field messages. Causes (SQL, Redis, paths) are logged on the server, never sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::Validation => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// Field name → message, for form validation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: BTreeMap::new(),
        }
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "Not found")
    }

    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::Unavailable,
            "The service is temporarily unavailable. Please try again in a moment.",
        )
    }

    /// An unexpected failure. The cause is logged here and replaced by a generic message.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "Something went wrong on our side.")
    }
}

/// Lets server functions return `Result<T, AppError>`: the client gets the same safe error.
impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(_) | E::Deserialization(_) | E::MissingArg(_) => Self::new(
                ErrorCode::BadRequest,
                "The form could not be read. Reload the page and try again.",
            ),
            E::Request(_) | E::Response(_) => Self::new(
                ErrorCode::Unavailable,
                "Could not reach the server. Check your connection and try again.",
            ),
            _ => Self::new(ErrorCode::Internal, "Something went wrong on our side."),
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use axum::{
        http::{header, HeaderValue, StatusCode},
        response::{IntoResponse, Response},
        Json,
    };

    use super::*;

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let unavailable = self.code == ErrorCode::Unavailable;
            let mut res = (status, Json(serde_json::json!({ "error": self }))).into_response();
            if unavailable {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_to_the_api_shape() {
        let mut e = AppError::new(ErrorCode::Validation, "Check the highlighted fields.");
        e.fields.insert("email".into(), "Enter a valid email address.".into());
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "validation", "message": "Check the highlighted fields.", "fields": {"email": "Enter a valid email address."}})
        );
    }
}
