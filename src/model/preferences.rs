//! Preferences: theme, language, notifications. Shared by server and client.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
    /// Follow the operating system (`prefers-color-scheme`), decided by CSS alone.
    #[default]
    System,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::Light, Theme::Dark, Theme::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::System => "system",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// The theme's name in `language`, for buttons and radio labels.
    pub fn label(self, language: Language) -> &'static str {
        use crate::i18n::td_string;
        let locale = language.locale();
        match self {
            Theme::Light => td_string!(locale, theme.light),
            Theme::Dark => td_string!(locale, theme.dark),
            Theme::System => td_string!(locale, theme.system),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Fr,
    Es,
    Ar,
}

impl Language {
    pub const ALL: [Language; 4] = [Language::En, Language::Fr, Language::Es, Language::Ar];

    /// BCP 47 tag, as in `<html lang>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
            Language::Es => "es",
            Language::Ar => "ar",
        }
    }

    /// The translations' locale for this language.
    pub fn locale(self) -> crate::i18n::Locale {
        use crate::i18n::Locale;
        match self {
            Language::En => Locale::en,
            Language::Fr => Locale::fr,
            Language::Es => Locale::es,
            Language::Ar => Locale::ar,
        }
    }

    /// The language's own name for itself, for the language picker.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Fr => "Français",
            Language::Es => "Español",
            Language::Ar => "العربية",
        }
    }

    pub fn is_rtl(self) -> bool {
        matches!(self, Language::Ar)
    }

    pub fn dir(self) -> &'static str {
        if self.is_rtl() {
            "rtl"
        } else {
            "ltr"
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == value)
    }

    /// The best supported language for an `Accept-Language` header (RFC 9110 §12.5.4):
    /// highest weight first, a region tag matching its base language, `en` when nothing fits.
    pub fn negotiate(accept_language: &str) -> Self {
        let mut best: Option<(u16, usize, Language)> = None;
        let elements = accept_language.split(',').map(str::trim).filter(|e| !e.is_empty());
        for (position, item) in elements.take(32).enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let Some(weight) = super::negotiation::element_weight(parts).filter(|w| *w > 0) else {
                continue;
            };
            let base = tag.split('-').next().unwrap_or_default();
            let Some(language) = Self::parse(base) else { continue };
            // Higher weight wins; on a tie the earlier entry wins.
            if best.is_none_or(|(w, p, _)| weight > w || (weight == w && position < p)) {
                best = Some((weight, position, language));
            }
        }
        best.map_or(Language::En, |(_, _, language)| language)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Preferences {
    pub theme: Theme,
    pub language: Language,
    pub notifications: bool,
}

impl Preferences {
    /// A first visit's preferences: system theme, the browser's language, notifications on.
    pub fn defaults_for(language: Language) -> Self {
        Self {
            theme: Theme::System,
            language,
            notifications: true,
        }
    }
}

impl Default for Preferences {
    fn default() -> Self {
        Self::defaults_for(Language::En)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_match() {
        assert_eq!(
            Language::negotiate("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"),
            Language::Fr
        );
        assert_eq!(Language::negotiate("de-DE,de;q=0.9,es;q=0.8,en;q=0.7"), Language::Es);
        assert_eq!(Language::negotiate("en;q=0.2, ar;q=0.9"), Language::Ar);
        assert_eq!(Language::negotiate("ES-mx"), Language::Es);
        assert_eq!(Language::negotiate("de, ja"), Language::En);
        assert_eq!(Language::negotiate("fr;q=0, es;q=0.1"), Language::Es);
        assert_eq!(Language::negotiate(""), Language::En);
        assert_eq!(Language::negotiate("fr;q=abc, es"), Language::Es);
        assert_eq!(Language::negotiate("es, fr"), Language::Es, "ties go to the first");
        assert_eq!(Language::negotiate("de;Q=0.9, fr;q=0.8"), Language::Fr, "Q in any case");
        assert_eq!(
            Language::negotiate("fr;q=1.5, es;q=0.2"),
            Language::Es,
            "a malformed weight"
        );
        assert_eq!(Language::negotiate(", , fr"), Language::Fr, "empty elements");
    }
}
