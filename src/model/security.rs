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
