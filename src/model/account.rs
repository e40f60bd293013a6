//! Account inputs, parsed once at the edge: a value of these types is valid by construction.

use serde::{Deserialize, Serialize};
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

use super::Msg;

/// What clients see of a user; never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339: the account's last change (name, avatar, password, role). Empty in a copy
    /// cached before the field existed.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub updated_at: String,
    pub role: Role,
    /// Where the avatar is served (`/avatars/<hash>`, a new address for each image, cached for
    /// good); `None` for initials.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub avatar_url: Option<String>,
    /// Whether the address in `email` was proven by a link mailed to it (seed 004's field).
    /// `false` in a copy cached before the field existed, which is right: no address could be
    /// verified before then.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub email_verified: bool,
}

impl User {
    /// Up to two letters for the avatar disc: the initials of the first two words of the name.
    pub fn initials(&self) -> String {
        let letters: String = self
            .name
            .split_whitespace()
            .filter_map(|word| word.chars().next())
            .take(2)
            .flat_map(char::to_uppercase)
            .collect();
        if letters.is_empty() {
            "?".to_owned()
        } else {
            letters
        }
    }

    /// One of eight disc colours, always the same for a user.
    pub fn colour(&self) -> u8 {
        (self.id.rem_euclid(8)) as u8
    }
}

/// What a user may do: admins also see `/admin` and change others' roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Role::User, Role::Admin].into_iter().find(|r| r.as_str() == value)
    }
}

/// Everything kept about an account, as `GET /api/auth/export` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AccountExport {
    /// RFC 3339.
    pub exported_at: String,
    pub profile: User,
    pub preferences: super::Preferences,
    /// The signed-in devices, this one first.
    pub sessions: Vec<DeviceSession>,
    /// Every ended session, newest first.
    pub history: Vec<super::HistoryEntry>,
    /// The security log (the last 90 days), newest first, this export included.
    pub security_log: Vec<super::SecurityEvent>,
}

/// One signed-in session of a user, as the devices page and `GET /api/auth/sessions` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeviceSession {
    /// An opaque handle for this row, never the session id.
    pub id: String,
    pub browser: String,
    pub os: String,
    pub ip: String,
    /// When this device signed in (RFC 3339).
    pub created_at: String,
    /// RFC 3339.
    pub last_seen_at: String,
    pub page_count: i64,
    /// True for the device making the request.
    pub current: bool,
}

/// Seed 003's per-user session figures (its `getSessionAnalytics`), as
/// `GET /api/auth/sessions/summary` gives them and the devices page shows them.
/// The signed-in user's address as the account page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailStatus {
    pub email: String,
    pub verified: bool,
    /// An address waiting for its confirmation link to be followed.
    pub pending: Option<String>,
}

/// What a mailed link is for, as its page shows it (read without using the link up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    PasswordReset,
    EmailVerification,
    EmailChange,
    /// Gives the account back the address a change took from it.
    EmailRevert,
    /// Resumes the account's password sign-in, paused after too many failures.
    SignInUnlock,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionSummary {
    /// Signed-in sessions alive now.
    pub active_sessions: u64,
    /// Every signed-in session the account has had (each sign-in and the registration), live
    /// or ended.
    pub total_sessions: u64,
    /// When the account last signed in or registered (RFC 3339); `null` when none is recorded.
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub last_login: Option<String>,
    /// Seconds from `lastLogin` to this answer (so a page shows "3 h ago" the same on the server
    /// and in the browser).
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub last_login_age_secs: Option<u64>,
    /// The browser and system of that sign-in ([`DeviceSession`]'s unknown names when the
    /// user agent does not tell).
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub last_login_browser: Option<String>,
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub last_login_os: Option<String>,
}

impl DeviceSession {
    /// What `browser` and `os` say when the user agent does not tell; pages show them translated.
    pub const UNKNOWN_BROWSER: &str = "Unknown browser";
    pub const UNKNOWN_OS: &str = "Unknown OS";
}

/// A display name: 1–100 characters after trimming, no control characters, in Unicode
/// normalization form C (so a name typed with combining accents is stored as it is shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

/// The explicit bidirectional embeddings, overrides and isolates (Unicode UAX #9: U+202A–U+202E,
/// U+2066–U+2069). In a name they make text display in another order than it is stored
/// ("Ada\u{202E}nimda" reads as "Adaadmin"), which is how names impersonate others; the marks
/// U+200E and U+200F, which right-to-left names use, are kept.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

impl Name {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, Msg> {
        let name: String = input.trim().nfc().collect();
        let name = name.as_str();
        if name.is_empty() {
            return Err(Msg::NameRequired);
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(Msg::NameTooLong);
        }
        if name.chars().any(|c| c.is_control() || is_bidi_control(c)) {
            return Err(Msg::NameControlCharacters);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address: trimmed, lower-cased, in one Unicode normal form, and syntactically
/// plausible. Deliverability is not checked (that needs a confirmation mail), only the shape
/// every real address has.
///
/// Two ways of typing the same address give the same value, so it is found whichever way it is
/// typed: the local part is NFC (RFC 6532 §3.1), so `zoë` typed precomposed or as `zoe` and a
/// combining diaeresis (macOS, some keyboards) is one address; the domain goes through IDNA's
/// ToUnicode (UTS #46, with the `idna` crate): compatibility forms such as full-width letters
/// folded, the ideographic full stop read as a dot, and `xn--` labels decoded, so
/// `bücher.example` and `xn--bcher-kva.example` are one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// NFC of lower-cased NFC: lower-casing can leave text that is not composed again.
fn fold_nfc(text: &str) -> String {
    text.nfc().collect::<String>().to_lowercase().nfc().collect()
}

/// A domain as IDNA's ToUnicode gives it (UTS #46 mapping, lower case, NFC, Punycode labels
/// decoded); `None` when it is not a valid domain name.
fn fold_domain(domain: &str) -> Option<String> {
    let (unicode, valid) = idna::domain_to_unicode(domain);
    valid.ok().map(|()| unicode)
}

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, Msg> {
        const MESSAGE: Msg = Msg::EmailInvalid;
        let input = input.trim();
        if input.is_empty() {
            return Err(Msg::EmailRequired);
        }
        let Some((local, domain)) = input.rsplit_once('@') else {
            return Err(MESSAGE);
        };
        let (local, Some(domain)) = (fold_nfc(local), fold_domain(domain)) else {
            return Err(MESSAGE);
        };
        let email = format!("{local}@{domain}");
        if email.len() > Self::MAX_LEN {
            return Err(MESSAGE);
        }
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || is_combining_mark(c) || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars()
                        .all(|c| c.is_alphanumeric() || is_combining_mark(c) || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(email))
        } else {
            Err(MESSAGE)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password, in Unicode normalization form NFKC (NIST SP 800-63B §5.1.1.2), so it matches
/// however it is typed: `é` precomposed or as `e` and a combining accent, a full-width letter
/// or its ASCII twin.
///
/// New passwords: 8–128 characters (Unicode scalar values, counted after normalization),
/// anything allowed, no composition rules (NIST SP 800-63B), but not easy to guess (zxcvbn,
/// on the server).
#[derive(Clone, PartialEq, Eq)]
pub struct Password {
    normalized: String,
    /// The password exactly as typed, when that differs from its normal form: hashes stored
    /// before passwords were normalized were made from it.
    as_typed: Option<String>,
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    fn normalize(input: &str) -> Self {
        let normalized: String = input.nfkc().collect();
        let as_typed = (normalized != input).then(|| input.to_owned());
        Self { normalized, as_typed }
    }

    /// Checks a password being chosen.
    pub fn parse_new(input: &str) -> Result<Self, Msg> {
        Self::parse_new_for(input, &[])
    }

    /// [`Self::parse_new`] for an account known by `related` (its name and address), which the
    /// password must not be built from. On the server, the password must also be hard to guess
    /// by zxcvbn's estimate; each refusal says why, in the user's language.
    pub fn parse_new_for(input: &str, related: &[&str]) -> Result<Self, Msg> {
        let password = Self::normalize(input);
        let chars = password.normalized.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(Msg::PasswordTooShort);
        }
        if chars > Self::MAX_CHARS {
            return Err(Msg::PasswordTooLong);
        }
        #[cfg(feature = "ssr")]
        if let Some(why) = weakness(&password.normalized, related) {
            return Err(why);
        }
        #[cfg(not(feature = "ssr"))]
        let _ = related;
        // A new password is stored from its normal form only.
        Ok(Self {
            as_typed: None,
            ..password
        })
    }

    /// Wraps a password being checked against a stored hash (sign-in, current password): any
    /// length up to a bound is accepted here, so the answer is always the generic failure.
    pub fn parse_existing(input: &str) -> Result<Self, Msg> {
        if input.is_empty() {
            return Err(Msg::PasswordRequired);
        }
        if input.chars().count() > Self::MAX_CHARS * 4 {
            return Err(Msg::PasswordTooLong);
        }
        Ok(Self::normalize(input))
    }

    /// The normal form: what is hashed, and checked first.
    pub fn expose(&self) -> &str {
        &self.normalized
    }

    /// The password as typed, when it differs from [`Self::expose`]: checked too against a
    /// hash stored before normalization.
    pub fn as_typed(&self) -> Option<&str> {
        self.as_typed.as_deref()
    }
}

/// Common passwords in the languages Porch speaks besides English, which zxcvbn's English
/// dictionaries do not know: given to it as words a password must not be built from.
#[cfg(feature = "ssr")]
const LOCAL_COMMON_WORDS: &[&str] = &[
    "motdepasse",
    "azerty",
    "azertyuiop",
    "soleil",
    "bonjour",
    "contraseña",
    "contrasena",
    "clave",
    "hola",
    "passwort",
    "qwertz",
    "kalimat",
    "kalimatsir",
];

/// Why `password` is too easy to guess, if it is: zxcvbn's estimate (Wheeler, "zxcvbn:
/// Low-Budget Password Strength Estimation", USENIX Security 2016) below score 3 ("safely
/// unguessable", about 10^8 guesses; OWASP Authentication Cheat Sheet), with its warning as one
/// of Porch's translated messages. `related` are words the account is known by (its name and
/// address), which a password must not be built from.
#[cfg(feature = "ssr")]
fn weakness(password: &str, related: &[&str]) -> Option<Msg> {
    use zxcvbn::{feedback::Warning, Score};
    let parts = related
        .iter()
        .flat_map(|r| r.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().count() >= 3);
    let mut words: Vec<String> = related.iter().map(|r| r.to_lowercase()).collect();
    words.extend(parts.map(str::to_lowercase));
    let mut inputs: Vec<&str> = words.iter().map(String::as_str).collect();
    inputs.extend_from_slice(LOCAL_COMMON_WORDS);
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if estimate.score() >= Score::Three {
        return None;
    }
    let lower = password.to_lowercase();
    if words
        .iter()
        .any(|w| w.chars().count() >= 3 && lower.contains(w.as_str()))
    {
        return Some(Msg::PasswordPersonal);
    }
    Some(match estimate.feedback().and_then(|f| f.warning()) {
        Some(
            Warning::ThisIsATop10Password
            | Warning::ThisIsATop100Password
            | Warning::ThisIsACommonPassword
            | Warning::ThisIsSimilarToACommonlyUsedPassword,
        ) => Msg::PasswordTooCommon,
        Some(Warning::StraightRowsOfKeysAreEasyToGuess | Warning::ShortKeyboardPatternsAreEasyToGuess) => {
            Msg::PasswordKeyboardPattern
        }
        Some(Warning::RepeatsLikeAaaAreEasyToGuess | Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess) => {
            Msg::PasswordRepeats
        }
        Some(
            Warning::SequencesLikeAbcAreEasyToGuess
            | Warning::RecentYearsAreEasyToGuess
            | Warning::DatesAreOftenEasyToGuess,
        ) => Msg::PasswordSequence,
        Some(
            Warning::AWordByItselfIsEasyToGuess
            | Warning::NamesAndSurnamesByThemselvesAreEasyToGuess
            | Warning::CommonNamesAndSurnamesAreEasyToGuess,
        ) => Msg::PasswordSingleWord,
        None => Msg::PasswordTooGuessable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(Email::parse("  Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
        assert!(Email::parse("a.b+tag@sub.example.org").is_ok());
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@-b.com",
            ".a@b.com",
            "a..b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn an_address_typed_in_any_unicode_form_is_one_address() {
        let composed = Email::parse("zo\u{eb}@example.com").unwrap();
        for typed in [
            "zoe\u{308}@example.com",      // decomposed (NFD), as macOS and some keyboards type it
            "ZOE\u{308}@EXAMPLE.COM",      // decomposed and upper-cased
            "Zo\u{cb}@Example.com",        // upper-case precomposed
            "zo\u{eb}@ｅｘａｍｐｌｅ.com", // full-width domain letters (UTS #46 folds them)
            "zo\u{eb}@example\u{3002}com", // ideographic full stop as the dot
        ] {
            assert_eq!(Email::parse(typed).unwrap(), composed, "{typed:?}");
        }
        assert_eq!(composed.as_str(), "zo\u{eb}@example.com");
        // Composed forms compare equal whatever the script.
        assert_eq!(
            Email::parse("\u{1112}\u{1161}\u{11ab}@example.kr").unwrap(),
            Email::parse("\u{d55c}@example.kr").unwrap(),
            "Hangul jamo and syllable"
        );
        // A letter with a mark that has no precomposed form is still an address.
        assert!(Email::parse("q\u{308}@example.com").is_ok());
        // A domain typed in Unicode or as its Punycode is one domain.
        assert_eq!(
            Email::parse("ann@xn--bcher-kva.example").unwrap(),
            Email::parse("ann@B\u{fc}cher.example").unwrap()
        );
        assert!(Email::parse("ann@xn--zz.example").is_err(), "a broken Punycode label");
    }

    #[test]
    fn names_are_trimmed_and_bounded_in_characters() {
        assert_eq!(Name::parse("  Zoë  ").unwrap().as_str(), "Zoë");
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse(&"é".repeat(100)).is_ok());
        assert!(Name::parse(&"é".repeat(101)).is_err());
        assert!(Name::parse("a\u{0}b").is_err());
        // Text that displays in another order than it is stored.
        for spoof in ["Ada\u{202E}nimda", "\u{202D}Ada", "Ada\u{2066}x\u{2069}", "a\u{202A}b"] {
            assert_eq!(Name::parse(spoof).unwrap_err(), Msg::NameControlCharacters, "{spoof:?}");
        }
        // Right-to-left names with their marks stay.
        assert!(Name::parse("\u{0644}\u{064A}\u{0644}\u{0649}\u{200F}").is_ok());
    }

    #[test]
    fn passwords_count_characters_allow_anything_and_refuse_guessable_ones() {
        assert_eq!(Password::parse_new("short").unwrap_err(), Msg::PasswordTooShort);
        // Characters, not bytes: eight are enough, whatever they take in UTF-8.
        assert_ne!(Password::parse_new("ünïcødé✓").err(), Some(Msg::PasswordTooShort));
        assert!(Password::parse_new("ünï✓çødé ŵïth ẅörds").is_ok());
        let long_enough = "tremble ostrich velvet ".repeat(6);
        assert!(Password::parse_new(&long_enough[..128]).is_ok());
        assert_eq!(
            Password::parse_new(&long_enough[..129]).unwrap_err(),
            Msg::PasswordTooLong
        );
        assert!(Password::parse_new("correct horse battery staple").is_ok());
        assert!(Password::parse_new("correct horse battery").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse_new("secret-value-1").unwrap()),
            "Password(<redacted>)"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn guessable_passwords_are_refused_with_the_reason() {
        let why = |p: &str| Password::parse_new(p).err();
        assert_eq!(why("Password123"), Some(Msg::PasswordTooCommon));
        assert_eq!(why("p@ssw0rd1"), Some(Msg::PasswordTooCommon));
        assert_eq!(why("wsxcde3edc"), Some(Msg::PasswordKeyboardPattern));
        assert_eq!(why("asdfghjkl;'"), Some(Msg::PasswordKeyboardPattern));
        assert_eq!(why("aaaaaaaaaaaa"), Some(Msg::PasswordRepeats));
        assert_eq!(why("abcdefghijkl"), Some(Msg::PasswordSequence));
        assert_eq!(why("Jennifer"), Some(Msg::PasswordSingleWord));
        assert_eq!(why("elephants"), Some(Msg::PasswordTooGuessable));
        // Built from the account's own name or address.
        let related = ["Ada Lovelace", "ada.lovelace@example.com"];
        assert_eq!(
            Password::parse_new_for("lovelace1815", &related).err(),
            Some(Msg::PasswordPersonal)
        );
        assert!(Password::parse_new_for("tremble ostrich velvet", &related).is_ok());
        // Common passwords in the other languages Porch speaks.
        for local in ["motdepasse1", "contraseña12", "azertyuiop1"] {
            assert!(why(local).is_some(), "{local}");
        }
    }

    #[test]
    fn passwords_and_names_are_normalized() {
        let composed = Password::parse_new("caf\u{e9} au lait").unwrap();
        let decomposed = Password::parse_existing("cafe\u{301} au lait").unwrap();
        assert_eq!(composed.expose(), decomposed.expose());
        assert_eq!(decomposed.as_typed(), Some("cafe\u{301} au lait"));
        assert_eq!(composed.as_typed(), None);
        // NFKC: a full-width password is its ASCII twin, and "Ｐａｓｓｗｏｒｄ１２３" is as common.
        assert_eq!(Password::parse_existing("ｐａｓｓ").unwrap().expose(), "pass");
        assert!(Password::parse_new("Ｐａｓｓｗｏｒｄ１２３").is_err());
        // Counted after normalization: eight decomposed letters are eight characters.
        assert_ne!(
            Password::parse_new(&"e\u{301}".repeat(8)).err(),
            Some(Msg::PasswordTooShort)
        );
        assert_eq!(Name::parse("Zoe\u{308}").unwrap().as_str(), "Zo\u{eb}");
    }
}
