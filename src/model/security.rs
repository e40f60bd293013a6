//! The security log as pages and the JSON API show it: what happened to an account's
//! credentials and sessions, kept 90 days (issue 20; OWASP Logging Cheat Sheet, "Which events to
//! log": authentication successes and failures, session management, changes to credentials).

use serde::{Deserialize, Serialize};

/// What happened. The wire name is what `security_events.kind` stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecurityEventKind {
    /// A sign-in completed (`detail`: how, `password` or `passkey`, and `second_factor` or
    /// `recovery_code` when one was asked).
    SignIn,
    /// A wrong password for this account.
    SignInFailed,
    /// The password was right, the second step's code was not.
    SecondFactorFailed,
    PasswordChanged,
    /// Set through a mailed link.
    PasswordReset,
    /// The account's address changed (`detail`: the new address) or was changed back.
    EmailChanged,
    EmailVerified,
    SecondFactorEnabled,
    SecondFactorDisabled,
    /// `detail`: how many are left.
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    /// `detail`: the passkey's name.
    PasskeyAdded,
    PasskeyRemoved,
    /// One device's session was ended from another (`detail`: its device).
    SessionRevoked,
    /// Every session ended, or every other one.
    SignedOutEverywhere,
    DataExported,
    /// `detail`: the new role.
    RoleChanged,
    /// Password sign-in paused after too many failures from anywhere.
    AccountLocked,
    AccountUnlocked,
}

impl SecurityEventKind {
    pub const ALL: [SecurityEventKind; 19] = [
        Self::SignIn,
        Self::SignInFailed,
        Self::SecondFactorFailed,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::EmailChanged,
        Self::EmailVerified,
        Self::SecondFactorEnabled,
        Self::SecondFactorDisabled,
        Self::RecoveryCodeUsed,
        Self::RecoveryCodesRegenerated,
        Self::PasskeyAdded,
        Self::PasskeyRemoved,
        Self::SessionRevoked,
        Self::SignedOutEverywhere,
        Self::DataExported,
        Self::RoleChanged,
        Self::AccountLocked,
        Self::AccountUnlocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignInFailed => "sign_in_failed",
            Self::SecondFactorFailed => "second_factor_failed",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::EmailChanged => "email_changed",
            Self::EmailVerified => "email_verified",
            Self::SecondFactorEnabled => "second_factor_enabled",
            Self::SecondFactorDisabled => "second_factor_disabled",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
            Self::SessionRevoked => "session_revoked",
            Self::SignedOutEverywhere => "signed_out_everywhere",
            Self::DataExported => "data_exported",
            Self::RoleChanged => "role_changed",
            Self::AccountLocked => "account_locked",
            Self::AccountUnlocked => "account_unlocked",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// One entry of the security log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SecurityEvent {
    pub id: i64,
    pub kind: SecurityEventKind,
    /// RFC 3339.
    pub at: String,
    /// The client address of the request that caused it, when there was one.
    pub ip: Option<String>,
    /// Browser and system of that request ("Firefox (Linux)"), when there was one.
    pub device: Option<String>,
    /// What the kind says it carries (a count, a role, a name, how a sign-in was made).
    pub detail: Option<String>,
}

/// One page of the security log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SecurityLogPage {
    pub items: Vec<SecurityEvent>,
    /// Where the next (older) page starts; `None` on the last page.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub next_cursor: Option<String>,
}

/// Where a sensitive action that needs a recent authentication sends the browser.
pub const CONFIRM_PATH: &str = "/account/confirm";

/// A sensitive action asked for without a recent authentication (issue 20's "sudo mode"): kept
/// in the session while the user confirms who they are on `/account/confirm`, then completed.
/// Holds no secret: actions that carry a password are their own confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SensitiveAction {
    SignOutEverywhere,
    SignOutOthers,
    /// One device's session, by its handle.
    RevokeSession {
        id: String,
    },
    /// An admin gives `user` (an account id) the role `role`.
    SetRole {
        user: String,
        role: String,
    },
    /// Downloading the account's data (`GET /api/auth/export`).
    Export,
    /// Starting to set up an authenticator app.
    StartTotp,
    /// Replacing the recovery codes.
    RegenerateRecoveryCodes,
    /// Removing a passkey, by its id.
    RemovePasskey {
        id: String,
    },
    /// Adding a passkey (needs JavaScript: the page starts again after confirming).
    AddPasskey,
}

/// What confirming who one is led to: where the browser goes next, and what to say there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmed {
    /// A same-site path.
    pub next: String,
    pub notice: Option<crate::model::Msg>,
}

/// An authenticator setup waiting for its first code, as the security page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TotpSetup {
    /// Base32 (RFC 4648), to type into an app that cannot scan.
    pub secret: String,
    /// `otpauth://totp/Porch:<email>?secret=…&issuer=Porch` (SHA-1, 6 digits, 30 s: the Key URI
    /// format's defaults, so left out).
    pub otpauth_url: String,
    /// The URL as a QR code, an SVG document drawn on the server.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub qr_svg: String,
}

/// One of the user's passkeys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Passkey {
    /// Opaque id (the credential id, base64url).
    pub id: String,
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339; `None` when never used to sign in.
    pub last_used_at: Option<String>,
}

/// What the security page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityOverview {
    pub totp_enabled: bool,
    pub recovery_codes_left: u64,
    /// A setup started on this session and not confirmed yet.
    pub setup: Option<TotpSetup>,
    /// Recovery codes made just now, shown once.
    pub new_recovery_codes: Vec<String>,
    pub passkeys: Vec<Passkey>,
}
