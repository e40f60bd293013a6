//! The refusals several operations share in the API document (Porch's route and the seed's
//! beside it), declared once. Never built: utoipa reads them as documentation (hence
//! `dead_code`); what the handlers answer is [`ErrorResponse`] from `AppError`.

use crate::error::ErrorResponse;

/// What a registration can be refused with (`POST /api/auth/register`, seed 002's `POST /user`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub(super) enum RegistrationRefusals {
    #[response(
        status = 400,
        description = "Unreadable body, or fields that fail validation (`fields` says which)."
    )]
    Invalid(ErrorResponse),
    #[response(status = 403, description = "A cross-site request.")]
    CrossSite(ErrorResponse),
    #[response(status = 409, description = "The email is already registered.")]
    EmailTaken(ErrorResponse),
    #[response(status = 413, description = "The body is too large.")]
    TooLarge(ErrorResponse),
    #[response(status = 429, description = "Too many registrations from this address.")]
    RateLimited(ErrorResponse),
    #[response(status = 503, description = "The session store or database is unavailable.")]
    Unavailable(ErrorResponse),
}

/// What a sign-in can be refused with (`POST /api/auth/login`, seed 002's `POST /user/signin`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub(super) enum SignInRefusals {
    #[response(status = 400, description = "Unreadable body, or a field missing or malformed.")]
    Invalid(ErrorResponse),
    #[response(status = 401, description = "Wrong email or password (the same answer for both).")]
    WrongCredentials(ErrorResponse),
    #[response(
        status = 403,
        description = "A cross-site request; or `email_unverified`: the right password for an account that must verify its address first (`REQUIRE_VERIFIED_EMAIL`), a new link is on its way."
    )]
    CrossSite(ErrorResponse),
    #[response(status = 413, description = "The body is too large.")]
    TooLarge(ErrorResponse),
    #[response(status = 429, description = "Too many failed sign-ins for this account or address.")]
    RateLimited(ErrorResponse),
    #[response(status = 503, description = "The session store or database is unavailable.")]
    Unavailable(ErrorResponse),
}

/// What reading the signed-in user can be refused with (`GET /api/auth/profile`, seed 002's
/// `GET /user`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub(super) enum SignedInReadRefusals {
    #[response(status = 401, description = "Not signed in.")]
    NotSignedIn(ErrorResponse),
    #[response(status = 404, description = "The account no longer exists.")]
    Gone(ErrorResponse),
    #[response(status = 503, description = "The session store or database is unavailable.")]
    Unavailable(ErrorResponse),
}

/// What ending this session can be refused with (`POST /api/auth/logout`, seed 002's
/// `DELETE /user/session`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub(super) enum SignOutRefusals {
    #[response(status = 403, description = "A cross-site request.")]
    CrossSite(ErrorResponse),
    #[response(status = 503, description = "The session store is unavailable.")]
    Unavailable(ErrorResponse),
}
