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

/// How long ago, in its largest unit, abbreviated (no plural forms to choose): `just now`
/// (under a minute), `12 min ago`, `3 h ago`, `5 d ago`, and their translations.
pub fn ago(language: Language, seconds: u64) -> String {
    let locale = language.locale();
    let (d, h, m) = (seconds / 86_400, seconds / 3_600, seconds / 60);
    if d > 0 {
        td_string!(locale, format.days_ago, n = d).to_string()
    } else if h > 0 {
        td_string!(locale, format.hours_ago, n = h).to_string()
    } else if m > 0 {
        td_string!(locale, format.minutes_ago, n = m).to_string()
    } else {
        td_string!(locale, format.just_now).to_string()
    }
}

/// How `language` writes numbers: the group separator, the decimal separator, and the fewest
/// digits a number has before it is grouped (CLDR: Spanish leaves `1234` whole).
fn number_style(language: Language) -> (&'static str, &'static str, usize) {
    match language {
        Language::En | Language::Ar => (",", ".", 4),
        Language::Fr => ("\u{202f}", ",", 4),
        Language::Es => (".", ",", 5),
    }
}

/// `1234567` → `1,234,567` / `1 234 567` / `1.234.567` / …
pub fn number(language: Language, n: i64) -> String {
    let (group, _, group_from) = number_style(language);
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * group.len() + 1);
    if n < 0 {
        out.push('-');
    }
    if digits.len() < group_from {
        out.push_str(&digits);
        return out;
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(group);
        }
        out.push(digit);
    }
    out
}

/// `value` with one decimal when under 100 (`12.5`), none above (`512`), grouped.
fn short_decimal(language: Language, value: f64) -> String {
    let (_, decimal, _) = number_style(language);
    let tenths = (value * 10.0).round() as i64;
    if tenths >= 1000 || tenths % 10 == 0 {
        number(language, (value).round() as i64)
    } else {
        format!("{}{decimal}{}", number(language, tenths / 10), tenths % 10)
    }
}

/// `part` of `whole` as a percentage (`97.5%`, `97,5 %`), `None` when `whole` is 0.
pub fn percent(language: Language, part: u64, whole: u64) -> Option<String> {
    if whole == 0 {
        return None;
    }
    let locale = language.locale();
    let n = short_decimal(language, part as f64 * 100.0 / whole as f64);
    Some(td_string!(locale, format.percent, n).to_string())
}

/// A size in bytes in the largest unit that keeps it at 1 or more: `900 B`, `1.5 MB`, `1,5 Mo`.
pub fn bytes(language: Language, n: u64) -> String {
    let locale = language.locale();
    const K: f64 = 1024.0;
    let size = n as f64;
    if size < K {
        let n = number(language, n as i64);
        td_string!(locale, format.bytes, n).to_string()
    } else if size < K * K {
        let n = short_decimal(language, size / K);
        td_string!(locale, format.kilobytes, n).to_string()
    } else if size < K * K * K {
        let n = short_decimal(language, size / (K * K));
        td_string!(locale, format.megabytes, n).to_string()
    } else {
        let n = short_decimal(language, size / (K * K * K));
        td_string!(locale, format.gigabytes, n).to_string()
    }
}

/// `2026-11-23T07:40:12Z` → `Nov 23` / `23 nov.` / …
pub fn day_month(language: Language, rfc3339: &str) -> String {
    let Some(p) = parts(rfc3339) else {
        return rfc3339.to_owned();
    };
    let locale = language.locale();
    let month = month_name(language, p.month);
    td_string!(locale, format.day_month, day = p.day, month).to_string()
}

/// `2026-11-23T07:40:12Z` → `07:40` (the same in every language shown).
pub fn time(rfc3339: &str) -> &str {
    parts(rfc3339).map_or(rfc3339, |p| p.time)
}

/// "Firefox on Linux", in `language`, with unknown parts named in that language too.
pub fn device_name(language: Language, browser: &str, os: &str) -> String {
    use crate::i18n::td_string;
    let locale = language.locale();
    let browser = match browser {
        super::DeviceSession::UNKNOWN_BROWSER => td_string!(locale, sessions.unknown_browser),
        known => known,
    };
    let os = match os {
        super::DeviceSession::UNKNOWN_OS => td_string!(locale, sessions.unknown_os),
        known => known,
    };
    td_string!(locale, sessions.device_name, browser, os).to_string()
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
    fn numbers_follow_the_language() {
        assert_eq!(number(Language::En, 1_234_567), "1,234,567");
        assert_eq!(number(Language::Fr, 1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(number(Language::Es, 1_234), "1234");
        assert_eq!(number(Language::Es, 12_345), "12.345");
        assert_eq!(number(Language::En, 999), "999");
        assert_eq!(number(Language::En, -1_000), "-1,000");
        assert_eq!(number(Language::En, 0), "0");
        assert_eq!(percent(Language::En, 975, 1000).as_deref(), Some("97.5%"));
        assert_eq!(percent(Language::Fr, 975, 1000).as_deref(), Some("97,5\u{202f}%"));
        assert_eq!(percent(Language::En, 1, 3).as_deref(), Some("33.3%"));
        assert_eq!(percent(Language::En, 3, 3).as_deref(), Some("100%"));
        assert_eq!(percent(Language::En, 0, 0), None);
        assert_eq!(bytes(Language::En, 900), "900 B");
        assert_eq!(bytes(Language::En, 1536), "1.5 KB");
        assert_eq!(bytes(Language::Fr, 3 * 1024 * 1024 / 2), "1,5 Mo");
        assert_eq!(bytes(Language::En, 200 * 1024 * 1024), "200 MB");
        assert_eq!(day_month(Language::En, "2026-11-03T00:00:00Z"), "Nov 3");
        assert_eq!(day_month(Language::Fr, "2026-11-03T00:00:00Z"), "3 nov.");
        assert_eq!(time("2026-11-03T14:00:00Z"), "14:00");
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
