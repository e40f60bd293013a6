//! Messages the server sends about an outcome (errors, field problems, notices). They travel as
//! stable ids (`"email_invalid"`) and are turned into text in the reader's language where they
//! are shown: by the page, or by the JSON API for the request's language.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::preferences::Language;
use crate::i18n::td_string;

macro_rules! messages {
    ($($variant:ident => $key:ident,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Msg {
            $($variant,)*
        }

        impl Msg {
            pub const ALL: &[Msg] = &[$(Msg::$variant,)*];

            /// The message in `language` (from `locales/<language>.json`, `messages.*`).
            pub fn text(self, language: Language) -> &'static str {
                let locale = language.locale();
                match self {
                    $(Msg::$variant => td_string!(locale, messages.$key),)*
                }
            }
        }
    };
}

messages! {
    CheckFields => check_fields,
    NameRequired => name_required,
    NameTooLong => name_too_long,
    NameControlCharacters => name_control_characters,
    EmailRequired => email_required,
    EmailInvalid => email_invalid,
    EmailTaken => email_taken,
    EmailRegistered => email_registered,
    PasswordRequired => password_required,
    PasswordTooShort => password_too_short,
    PasswordTooLong => password_too_long,
    PasswordTooCommon => password_too_common,
    PasswordPersonal => password_personal,
    PasswordKeyboardPattern => password_keyboard_pattern,
    PasswordRepeats => password_repeats,
    PasswordSequence => password_sequence,
    PasswordSingleWord => password_single_word,
    PasswordTooGuessable => password_too_guessable,
    CurrentPasswordWrong => current_password_wrong,
    InvalidCredentials => invalid_credentials,
    SignInRequired => sign_in_required,
    NotFound => not_found,
    Unavailable => unavailable,
    Internal => internal,
    FormUnreadable => form_unreadable,
    ServerUnreachable => server_unreachable,
    JsonContentType => json_content_type,
    BodyTooLarge => body_too_large,
    BodyInvalid => body_invalid,
    MethodNotAllowed => method_not_allowed,
    PreferencesObject => preferences_object,
    ThemeChoice => theme_choice,
    LanguageChoice => language_choice,
    BooleanChoice => boolean_choice,
    UnknownPreference => unknown_preference,
    PreferencesSaved => preferences_saved,
    ProfileSaved => profile_saved,
    PasswordChanged => password_changed,
    SessionRevoked => session_revoked,
    OthersSignedOut => others_signed_out,
    NoSession => no_session,
    PageInvalid => page_invalid,
    CursorInvalid => cursor_invalid,
    LimitInvalid => limit_invalid,
    RateLimited => rate_limited,
    CrossSite => cross_site,
    TimedOut => timed_out,
    RoleChoice => role_choice,
    LastAdmin => last_admin,
    RoleChanged => role_changed,
    AvatarMissing => avatar_missing,
    AvatarTooLarge => avatar_too_large,
    AvatarFormat => avatar_format,
    AvatarMismatch => avatar_mismatch,
    AvatarUnreadable => avatar_unreadable,
    AvatarSaved => avatar_saved,
    AvatarRemoved => avatar_removed,
    LinkInvalid => link_invalid,
    ResetMailSent => reset_mail_sent,
    PasswordReset => password_reset,
    EmailVerified => email_verified,
    EmailChanged => email_changed,
    EmailReverted => email_reverted,
    VerificationSent => verification_sent,
    EmailChangeSent => email_change_sent,
    EmailSame => email_same,
    EmailTakenNow => email_taken_now,
    EmailUnverified => email_unverified,
    SignInResumed => sign_in_resumed,
    ReauthRequired => reauth_required,
    IdentityConfirmed => identity_confirmed,
    CodeInvalid => code_invalid,
    SetupExpired => setup_expired,
    SecondFactorOff => second_factor_off,
    SecondStepExpired => second_step_expired,
    SecondFactorEnabled => second_factor_enabled,
    SecondFactorDisabled => second_factor_disabled,
    RecoveryCodesReplaced => recovery_codes_replaced,
    RecoveryCodeUsed => recovery_code_used,
    PasskeyAdded => passkey_added,
    PasskeyRemoved => passkey_removed,
    PasskeyFailed => passkey_failed,
}

/// English, for logs and `Display`.
impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text(Language::En))
    }
}
