//! The guest preferences cookies: compact, versioned, signed.
//!
//! `prefs` holds all three: `1.<theme>.<language>.<notifications>.<signature>`, e.g.
//! `1.d.fr.1.3f0c…` (about 40 bytes). Beside it, one cookie per preference (`prefs_theme`,
//! `prefs_language`, `prefs_notifications`: `1.<value>.<signature>`), written whenever that
//! preference is, and read in preference to `prefs`. A browser keeps the last `Set-Cookie` of
//! each name, so two saves of different preferences in flight at once (each answered with the
//! combined cookie as its request saw it) would lose one of them if `prefs` were the only
//! cookie; with a cookie per preference each save's own field survives whatever order the
//! answers arrive in.
//!
//! Each signature is a truncated HMAC-SHA256 under the session secret over the cookie's name and
//! payload, so a value the server did not write (edited, corrupted, moved to another cookie name,
//! from another deployment) is recognised and ignored instead of being trusted or echoed.

use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue};
use sha2::Sha256;

use crate::{
    model::{Language, Preferences, Theme},
    server::headers::cookies,
};

/// The combined cookie.
pub const COOKIE_NAME: &str = "prefs";
const VERSION: &str = "1";
/// About a year.
const MAX_AGE_SECS: i64 = 365 * 24 * 3600;
/// Signature bytes kept (hex-encoded: twice as many characters).
const SIGNATURE_BYTES: usize = 12;
/// Anything longer is not ours.
const MAX_VALUE_LEN: usize = 64;

/// One preference, with a cookie of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Theme,
    Language,
    Notifications,
}

impl Field {
    pub const ALL: [Field; 3] = [Field::Theme, Field::Language, Field::Notifications];

    pub fn cookie_name(self) -> &'static str {
        match self {
            Field::Theme => "prefs_theme",
            Field::Language => "prefs_language",
            Field::Notifications => "prefs_notifications",
        }
    }

    fn encode(self, prefs: &Preferences) -> &'static str {
        match self {
            Field::Theme => theme_code(prefs.theme),
            Field::Language => prefs.language.as_str(),
            Field::Notifications => notifications_code(prefs.notifications),
        }
    }

    /// Puts this field's `code` into `prefs`; `false` when the code is not one of its values.
    fn apply(self, code: &str, prefs: &mut Preferences) -> bool {
        match self {
            Field::Theme => parse_theme_code(code).map(|t| prefs.theme = t).is_some(),
            Field::Language => Language::parse(code).map(|l| prefs.language = l).is_some(),
            Field::Notifications => parse_notifications_code(code)
                .map(|n| prefs.notifications = n)
                .is_some(),
        }
    }
}

#[derive(Clone)]
pub struct PreferencesCookie {
    /// HMAC-SHA256 already keyed: each signature clones it rather than hashing the key again.
    mac: Hmac<Sha256>,
    secure: bool,
}

impl std::fmt::Debug for PreferencesCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreferencesCookie")
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

fn theme_code(theme: Theme) -> &'static str {
    match theme {
        Theme::Light => "l",
        Theme::Dark => "d",
        Theme::System => "s",
    }
}

fn parse_theme_code(code: &str) -> Option<Theme> {
    match code {
        "l" => Some(Theme::Light),
        "d" => Some(Theme::Dark),
        "s" => Some(Theme::System),
        _ => None,
    }
}

fn notifications_code(on: bool) -> &'static str {
    if on {
        "1"
    } else {
        "0"
    }
}

fn parse_notifications_code(code: &str) -> Option<bool> {
    match code {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// What the request's preference cookies say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FromCookies {
    /// `prefs`, when readable.
    pub combined: Option<Preferences>,
    /// Each per-preference cookie that is readable, applied in order over a base.
    fields: Vec<(Field, String)>,
    /// Some preference cookie was there but not readable (it should be replaced).
    pub unreadable: bool,
}

impl FromCookies {
    /// Whether any cookie was readable.
    pub fn found(&self) -> bool {
        self.combined.is_some() || !self.fields.is_empty()
    }

    /// The preferences they describe, over `defaults` for what none of them says (asked only
    /// then).
    pub fn prefs(&self, defaults: impl FnOnce() -> Preferences) -> Preferences {
        if self.combined.is_none() && self.fields.len() < Field::ALL.len() {
            return self.apply_fields(defaults());
        }
        self.apply_fields(self.combined.unwrap_or_default())
    }

    fn apply_fields(&self, mut prefs: Preferences) -> Preferences {
        for (field, code) in &self.fields {
            field.apply(code, &mut prefs);
        }
        prefs
    }
}

impl PreferencesCookie {
    pub fn new(secret: &[u8], secure: bool) -> Self {
        // A key of its own, derived from the session secret, so the two uses never mix.
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(b"porch preferences cookie v1");
        let key = mac.finalize().into_bytes();
        Self {
            mac: Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length"),
            secure,
        }
    }

    /// The signature of `payload` under the cookie `name` (the combined cookie's is over the
    /// payload alone, as version 1 always signed it).
    fn signature(&self, name: &str, payload: &str) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut mac = self.mac.clone();
        if name != COOKIE_NAME {
            mac.update(name.as_bytes());
            mac.update(b"=");
        }
        mac.update(payload.as_bytes());
        let mut hex = String::with_capacity(2 * SIGNATURE_BYTES);
        for byte in &mac.finalize().into_bytes()[..SIGNATURE_BYTES] {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        hex
    }

    fn sign(&self, name: &str, payload: String) -> String {
        let signature = self.signature(name, &payload);
        format!("{payload}.{signature}")
    }

    /// The payload of a value signed for cookie `name`, or `None` for anything this server did
    /// not write.
    fn verified<'v>(&self, name: &str, value: &'v str) -> Option<&'v str> {
        if value.len() > MAX_VALUE_LEN || !value.is_ascii() {
            return None;
        }
        let (payload, signature) = value.rsplit_once('.')?;
        let expected = self.signature(name, payload);
        // Constant time: the comparison must not reveal how much of a forged signature matched.
        let matches = signature.len() == expected.len()
            && signature
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        let payload = payload.strip_prefix(VERSION)?.strip_prefix('.')?;
        matches.then_some(payload)
    }

    pub fn encode(&self, prefs: &Preferences) -> String {
        let payload = format!(
            "{VERSION}.{}.{}.{}",
            theme_code(prefs.theme),
            prefs.language.as_str(),
            notifications_code(prefs.notifications)
        );
        self.sign(COOKIE_NAME, payload)
    }

    /// The preferences in a `prefs` value, or `None` for anything this server did not write.
    pub fn decode(&self, value: &str) -> Option<Preferences> {
        let payload = self.verified(COOKIE_NAME, value)?;
        let mut parts = payload.split('.');
        let mut prefs = Preferences::default();
        for field in Field::ALL {
            if !field.apply(parts.next()?, &mut prefs) {
                return None;
            }
        }
        parts.next().is_none().then_some(prefs)
    }

    /// The value of `field`'s own cookie for `prefs`.
    pub fn encode_field(&self, field: Field, prefs: &Preferences) -> String {
        self.sign(field.cookie_name(), format!("{VERSION}.{}", field.encode(prefs)))
    }

    /// Reads every preference cookie of the request. For each name the first readable value
    /// counts; a name is unreadable only when none of its values is (another one, for a parent
    /// path or domain, is none of ours to rewrite on every page).
    pub fn read(&self, headers: &HeaderMap) -> FromCookies {
        let cookies = cookies(headers);
        let values = |name: &'static str| cookies.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str());
        let mut found = FromCookies::default();
        for field in Field::ALL {
            let code = values(field.cookie_name()).find_map(|value| {
                self.verified(field.cookie_name(), value).filter(|code| {
                    let mut probe = Preferences::default();
                    field.apply(code, &mut probe)
                })
            });
            match code {
                Some(code) => found.fields.push((field, code.to_owned())),
                None if values(field.cookie_name()).next().is_some() => found.unreadable = true,
                None => {}
            }
        }
        // With a readable cookie for every preference, `prefs` says nothing more: not verified.
        if found.fields.len() < Field::ALL.len() {
            found.combined = values(COOKIE_NAME).find_map(|value| self.decode(value));
            found.unreadable |= found.combined.is_none() && values(COOKIE_NAME).next().is_some();
        }
        found
    }

    fn header(&self, name: &str, value: &str) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!("{name}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={MAX_AGE_SECS}{secure}");
        HeaderValue::from_str(&cookie).expect("cookie built from ASCII parts")
    }

    /// The `Set-Cookie` values that store `fields` of `prefs`: each field's own cookie, then
    /// the combined cookie with all of `prefs`.
    pub fn set_headers(&self, prefs: &Preferences, fields: &[Field]) -> Vec<HeaderValue> {
        let mut headers: Vec<HeaderValue> = fields
            .iter()
            .map(|field| self.header(field.cookie_name(), &self.encode_field(*field, prefs)))
            .collect();
        headers.push(self.header(COOKIE_NAME, &self.encode(prefs)));
        headers
    }

    /// The `Set-Cookie` values that store all of `prefs`.
    pub fn set_all(&self, prefs: &Preferences) -> Vec<HeaderValue> {
        self.set_headers(prefs, &Field::ALL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> PreferencesCookie {
        PreferencesCookie::new(b"test secret", false)
    }

    fn request(cookies: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::COOKIE, HeaderValue::from_str(cookies).unwrap());
        headers
    }

    /// `name=value` of a `Set-Cookie` value.
    fn pair(header: &HeaderValue) -> &str {
        header.to_str().unwrap().split(';').next().unwrap()
    }

    #[test]
    fn round_trips_every_combination() {
        let codec = codec();
        for theme in Theme::ALL {
            for language in Language::ALL {
                for notifications in [true, false] {
                    let prefs = Preferences {
                        theme,
                        language,
                        notifications,
                    };
                    let value = codec.encode(&prefs);
                    assert!(value.len() <= 40, "{value}");
                    assert_eq!(codec.decode(&value), Some(prefs), "{value}");
                    let set = codec.set_all(&prefs);
                    let cookies: Vec<&str> = set.iter().map(pair).collect();
                    let read = codec.read(&request(&cookies.join("; ")));
                    assert_eq!(read.prefs(Preferences::default), prefs);
                    assert!(!read.unreadable);
                }
            }
        }
    }

    #[test]
    fn refuses_edited_foreign_and_malformed_values() {
        let codec = codec();
        let good = codec.encode(&Preferences {
            theme: Theme::Dark,
            language: Language::Fr,
            notifications: true,
        });
        let edited = good.replacen(".d.", ".l.", 1);
        let foreign = PreferencesCookie::new(b"another secret", false).encode(&Preferences::default());
        for bad in [
            edited.as_str(),
            foreign.as_str(),
            "",
            "1.d.fr.1",
            "2.d.fr.1.000000000000000000000000",
            &good[..good.len() - 1],
            &format!("{good}0"),
            &"x".repeat(5000),
            "\"1.d.fr.1\"",
            "1.d.fr.1.\u{0}",
            "1.d.xx.1.000000000000000000000000",
        ] {
            assert_eq!(codec.decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_field_cookie_overrides_the_combined_one_and_cannot_be_moved() {
        let codec = codec();
        let old = Preferences::default();
        let dark = Preferences {
            theme: Theme::Dark,
            ..old
        };
        let french = Preferences {
            language: Language::Fr,
            ..old
        };
        // Two saves answered out of order: the later combined cookie knows only its own field.
        let theme = codec.set_headers(&dark, &[Field::Theme]);
        let language = codec.set_headers(&french, &[Field::Language]);
        let jar = format!("{}; {}; {}", pair(&theme[0]), pair(&language[0]), pair(&theme[1]));
        let read = codec.read(&request(&jar));
        assert_eq!(
            read.prefs(|| old),
            Preferences {
                theme: Theme::Dark,
                language: Language::Fr,
                ..old
            }
        );
        // A signed value copied under another preference's name is not ours.
        let value = codec.encode_field(Field::Theme, &dark);
        let read = codec.read(&request(&format!("prefs_language={value}")));
        assert!(!read.found());
        assert!(read.unreadable);
    }

    #[test]
    fn cookies_are_lax_root_long_lived_and_secure_in_production() {
        let headers = PreferencesCookie::new(b"k", true).set_all(&Preferences::default());
        let names: Vec<&str> = headers.iter().map(|h| pair(h).split('=').next().unwrap()).collect();
        assert_eq!(names, ["prefs_theme", "prefs_language", "prefs_notifications", "prefs"]);
        let combined = headers[3].to_str().unwrap();
        assert!(combined.starts_with("prefs=1.s.en.1."), "{combined}");
        for header in &headers {
            let header = header.to_str().unwrap();
            for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
                assert!(header.split("; ").any(|a| a == attr), "{attr}: {header}");
            }
            assert!(header.contains("Max-Age=31536000"), "{header}");
        }
    }
}
