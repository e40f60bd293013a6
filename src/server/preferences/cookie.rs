//! The guest preferences cookie: compact, versioned, signed.
//!
//! Value: `1.<theme>.<language>.<notifications>.<signature>`, e.g. `1.d.fr.1.3f0c…` (about 40
//! bytes). The signature is a truncated HMAC-SHA256 under the session secret, so a value the
//! server did not write (edited, corrupted, from another deployment) is recognised and replaced
//! by defaults instead of being trusted or echoed.

use hmac::{Hmac, Mac};
use http::HeaderValue;
use sha2::Sha256;

use crate::model::{Language, Preferences, Theme};

pub const COOKIE_NAME: &str = "prefs";
const VERSION: &str = "1";
/// About a year.
const MAX_AGE_SECS: i64 = 365 * 24 * 3600;
/// Signature bytes kept (hex-encoded: twice as many characters).
const SIGNATURE_BYTES: usize = 12;
/// Anything longer is not ours.
const MAX_VALUE_LEN: usize = 64;

#[derive(Clone)]
pub struct PreferencesCookie {
    key: Vec<u8>,
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

impl PreferencesCookie {
    pub fn new(secret: &[u8], secure: bool) -> Self {
        // A key of its own, derived from the session secret, so the two uses never mix.
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(b"porch preferences cookie v1");
        Self {
            key: mac.finalize().into_bytes().to_vec(),
            secure,
        }
    }

    fn signature(&self, payload: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac.finalize().into_bytes()[..SIGNATURE_BYTES]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn encode(&self, prefs: &Preferences) -> String {
        let payload = format!(
            "{VERSION}.{}.{}.{}",
            theme_code(prefs.theme),
            prefs.language.as_str(),
            u8::from(prefs.notifications)
        );
        let signature = self.signature(&payload);
        format!("{payload}.{signature}")
    }

    /// The preferences in a cookie value, or `None` for anything this server did not write.
    pub fn decode(&self, value: &str) -> Option<Preferences> {
        if value.len() > MAX_VALUE_LEN || !value.is_ascii() {
            return None;
        }
        let (payload, signature) = value.rsplit_once('.')?;
        let expected = self.signature(payload);
        // Constant time: the comparison must not reveal how much of a forged signature matched.
        if signature.len() != expected.len()
            || signature
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                != 0
        {
            return None;
        }
        let mut parts = payload.split('.');
        if parts.next()? != VERSION {
            return None;
        }
        let theme = match parts.next()? {
            "l" => Theme::Light,
            "d" => Theme::Dark,
            "s" => Theme::System,
            _ => return None,
        };
        let language = Language::parse(parts.next()?)?;
        let notifications = match parts.next()? {
            "1" => true,
            "0" => false,
            _ => return None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Preferences {
            theme,
            language,
            notifications,
        })
    }

    pub fn set_header(&self, prefs: &Preferences) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!(
            "{COOKIE_NAME}={}; HttpOnly; SameSite=Lax; Path=/; Max-Age={MAX_AGE_SECS}{secure}",
            self.encode(prefs)
        );
        HeaderValue::from_str(&cookie).expect("cookie built from ASCII parts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> PreferencesCookie {
        PreferencesCookie::new(b"test secret", false)
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
    fn cookie_is_lax_root_long_lived_and_secure_in_production() {
        let header = PreferencesCookie::new(b"k", true).set_header(&Preferences::default());
        let header = header.to_str().unwrap();
        assert!(header.starts_with("prefs=1.s.en.1."), "{header}");
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
            assert!(header.split("; ").any(|a| a == attr), "{attr}: {header}");
        }
        assert!(header.contains("Max-Age=31536000"), "{header}");
    }
}
