//! The one public error type. What it carries is safe to show: a stable code, a message and
//! per-field messages, all from a fixed list ([`Msg`]) so they can be shown in any language.
//! Causes (SQL, Redis, paths) are logged on the server, never sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{message::Msg, preferences::Language};

/// The kind of an error, `snake_case` on the wire; [`ErrorCode::status`] is its HTTP status
/// (`bad_request`, `validation` and `link_invalid` 400, `unauthorized` and `reauth_required` 401, `forbidden` and
/// `email_unverified` 403, `not_found` 404,
/// `method_not_allowed` 405, `conflict` 409, `payload_too_large` 413, `rate_limited` 429,
/// `internal` 500, `unavailable` 503).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    /// A mailed link's token that no longer works (used, expired, replaced, or for an address
    /// the account no longer has).
    LinkInvalid,
    /// The account must verify its address before signing in (`REQUIRE_VERIFIED_EMAIL`).
    EmailUnverified,
    /// A sensitive action needs an authentication (password, passkey or code) within the last
    /// `REAUTH_WINDOW`: confirm with `POST /api/auth/reauth`, then try again.
    ReauthRequired,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::Validation | ErrorCode::LinkInvalid => 400,
            ErrorCode::Unauthorized | ErrorCode::ReauthRequired => 401,
            ErrorCode::Forbidden | ErrorCode::EmailUnverified => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

/// Between the server and its own pages (server functions, form feedback) messages travel as
/// ids; the JSON API sends them as text through [`AppError::to_json`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: Msg,
    /// Field name → message, for form validation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Msg>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: Msg) -> Self {
        Self {
            code,
            message,
            fields: BTreeMap::new(),
        }
    }

    /// A form's fields failed validation: one message per field.
    pub fn fields(fields: BTreeMap<String, Msg>) -> Self {
        Self {
            code: ErrorCode::Validation,
            message: Msg::CheckFields,
            fields,
        }
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, Msg::NotFound)
    }

    pub fn unavailable() -> Self {
        Self::new(ErrorCode::Unavailable, Msg::Unavailable)
    }

    /// An unexpected failure. The cause is logged here and replaced by a generic message.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, Msg::Internal)
    }

    /// The JSON API's shape, with the messages in `language`:
    /// `{"code": "validation", "message": "…", "fields": {"email": "…"}}`.
    pub fn to_json(&self, language: Language) -> serde_json::Value {
        serde_json::to_value(self.body(language)).unwrap_or_default()
    }

    /// [`Self::to_json`] as its type ([`ErrorBody`], the schema the API document declares).
    pub fn body(&self, language: Language) -> ErrorBody {
        ErrorBody {
            code: self.code,
            message: self.message.text(language).to_owned(),
            fields: (!self.fields.is_empty()).then(|| {
                self.fields
                    .iter()
                    .map(|(name, msg)| (name.clone(), msg.text(language).to_owned()))
                    .collect()
            }),
        }
    }
}

/// Every JSON API error answer (4xx and 5xx): `{"error": {"code", "message", "fields"?}}`, the
/// messages in the request's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

/// What went wrong, safe to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable, for programs; the HTTP status follows from it.
    pub code: ErrorCode,
    /// One sentence for people.
    pub message: String,
    /// Field name → message, for a form's fields (`validation`, and a few `conflict` or
    /// `payload_too_large` answers); absent when no field is at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub fields: Option<BTreeMap<String, String>>,
}

/// Lets server functions return `Result<T, AppError>`: the client gets the same safe error.
impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(_) | E::Deserialization(_) | E::MissingArg(_) => {
                let error = Self::new(ErrorCode::BadRequest, Msg::FormUnreadable);
                // Arguments are read before the function runs, so nothing else gives the answer
                // its status: without this it goes out as 500 with a 400's body. A plain form
                // post keeps the redirect back Leptos gives it.
                #[cfg(feature = "ssr")]
                {
                    use leptos::prelude::use_context;
                    let plain = use_context::<http::request::Parts>()
                        .is_some_and(|p| crate::server::headers::wants_html(&p.headers));
                    if let (false, Some(options)) = (plain, use_context::<leptos_axum::ResponseOptions>()) {
                        options.set_status(http::StatusCode::BAD_REQUEST);
                    }
                }
                error
            }
            E::Request(_) | E::Response(_) => Self::new(ErrorCode::Unavailable, Msg::ServerUnreachable),
            _ => Self::new(ErrorCode::Internal, Msg::Internal),
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

    impl AppError {
        /// The JSON API response `{"error": …}` with the messages in `language`.
        pub fn into_response_in(self, language: Language) -> Response {
            let status = StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = ErrorResponse {
                error: self.body(language),
            };
            let mut res = (status, Json(body)).into_response();
            if self.code == ErrorCode::Unavailable {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            res.extensions_mut().insert(self);
            res
        }
    }

    /// In English; the API's language layer (`server::preferences::layer`) re-renders it in
    /// the request's language, found in the response's extensions.
    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            self.into_response_in(Language::En)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_shape_has_text_in_the_language_and_the_wire_shape_has_ids() {
        let e = AppError::fields([("email".to_owned(), Msg::EmailInvalid)].into());
        assert_eq!(
            e.to_json(Language::En),
            serde_json::json!({"code": "validation", "message": "Check the highlighted fields.", "fields": {"email": "Enter a valid email address, like name@example.com."}})
        );
        assert_eq!(e.to_json(Language::Fr)["message"], "Vérifiez les champs signalés.");
        let wire = serde_json::to_value(&e).unwrap();
        assert_eq!(
            wire,
            serde_json::json!({"code": "validation", "message": "check_fields", "fields": {"email": "email_invalid"}})
        );
        assert_eq!(serde_json::from_value::<AppError>(wire).unwrap(), e);
    }
}
