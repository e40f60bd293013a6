//! Dates and durations for display, in the reader's language. The patterns and month names
//! live in `locales/*.json` (`format.*`); times are shown in UTC and say so, so the server's
//! render and the browser's hydration agree to the character.

use crate::i18n::td_string;

use super::Language;

fn month_name(language: Language, month: u8) -> &'static str {
    let locale = language.locale();
    match month {
        1 => td_string!(locale, format.months.m01),
        2 => td_string!(locale, format.months.m02),
        3 => td_string!(locale, format.months.m03),
        4 => td_string!(locale, format.months.m04),
        5 => td_string!(locale, format.months.m05),
        6 => td_string!(locale, format.months.m06),
        7 => td_string!(locale, format.months.m07),
        8 => td_string!(locale, format.months.m08),
        9 => td_string!(locale, format.months.m09),
        10 => td_string!(locale, format.months.m10),
        11 => td_string!(locale, format.months.m11),
        _ => td_string!(locale, format.months.m12),
    }
}

/// The parts of an RFC 3339 UTC timestamp (`2026-11-23T07:40:12Z`) this module shows.
struct Parts<'a> {
    year: &'a str,
    month: u8,
    day: u8,
    time: &'a str,
}

fn parts(rfc3339: &str) -> Option<Parts<'_>> {
    let month: u8 = rfc3339.get(5..7)?.parse().ok()?;
    let day: u8 = rfc3339.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(Parts {
        year: rfc3339.get(..4)?,
        month,
        day,
        time: rfc3339.get(11..16).unwrap_or("00:00"),
    })
}

/// `2026-11-23T07:40:12Z` → `Nov 23, 2026, 07:40 UTC` / `23 nov. 2026, 07:40 UTC` / …
/// Anything unparseable is shown as it came.
pub fn datetime(language: Language, rfc3339: &str) -> String {
    let Some(p) = parts(rfc3339) else {
        return rfc3339.to_owned();
    };
    let locale = language.locale();
    let month = month_name(language, p.month);
    td_string!(
        locale,
        format.datetime,
        day = p.day,
        month,
        year = p.year,
        time = p.time
    )
    .to_string()
}

/// `2026-11-23T07:40:12Z` → `Nov 23, 2026` / `23 nov. 2026` / …
pub fn date(language: Language, rfc3339: &str) -> String {
    let Some(p) = parts(rfc3339) else {
        return rfc3339.to_owned();
    };
    let locale = language.locale();
    let month = month_name(language, p.month);
    td_string!(locale, format.date, day = p.day, month, year = p.year).to_string()
}

/// A length of time in its two largest units: `45 s`, `3 min 20 s`, `1 h 05 min`, `2 d 3 h`.
pub fn duration(language: Language, seconds: u64) -> String {
    let locale = language.locale();
    let (d, h, m, s) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60, seconds % 60);
    if d > 0 {
        td_string!(locale, format.days, d, h).to_string()
    } else if h > 0 {
        let m = format!("{m:02}");
        td_string!(locale, format.hours, h, m).to_string()
    } else if m > 0 {
        let s = format!("{s:02}");
        td_string!(locale, format.minutes, m, s).to_string()
    } else {
        td_string!(locale, format.seconds, s).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_language() {
        let at = "2026-11-23T07:40:12Z";
        assert_eq!(datetime(Language::En, at), "Nov 23, 2026, 07:40 UTC");
        assert_eq!(datetime(Language::Fr, at), "23 nov. 2026, 07:40 UTC");
        assert_eq!(datetime(Language::Es, at), "23 nov 2026, 07:40 UTC");
        assert_eq!(datetime(Language::Ar, at), "23 نوفمبر 2026، 07:40 UTC");
        assert_eq!(date(Language::Fr, "2026-02-01T00:00:00Z"), "1 févr. 2026");
        assert_eq!(date(Language::En, "not a date"), "not a date");
        assert_eq!(datetime(Language::En, "2026-13-01T00:00:00Z"), "2026-13-01T00:00:00Z");
    }

    #[test]
    fn durations_use_the_two_largest_units() {
        assert_eq!(duration(Language::En, 0), "0 s");
        assert_eq!(duration(Language::En, 45), "45 s");
        assert_eq!(duration(Language::En, 200), "3 min 20 s");
        assert_eq!(duration(Language::En, 3_900), "1 h 05 min");
        assert_eq!(duration(Language::Fr, 2 * 86_400 + 3 * 3_600 + 59), "2 j 3 h");
        assert_eq!(duration(Language::Ar, 65), "1 د 05 ث");
    }
}
