//! Every locale has every key English has, with the same placeholders, and nothing left empty
//! or untranslated. leptos_i18n only warns at build time and falls back to English at run time;
//! this makes a gap a failing test.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::{Language, Msg};

const LOCALES: [(&str, &str); 4] = [
    ("en", include_str!("../locales/en.json")),
    ("fr", include_str!("../locales/fr.json")),
    ("es", include_str!("../locales/es.json")),
    ("ar", include_str!("../locales/ar.json")),
];

/// Strings that are rightly the same as in English in some language (names, units, loanwords).
const SAME_AS_ENGLISH: &[&str] = &[
    "account.tab_sessions",
    "account.avatar",
    "account.avatar_file",
    "admin.page",
    "fields.code",
    "format.bytes",
    "format.megabytes",
    "format.gigabytes",
    "format.minutes",
    "format.hours",
    "format.seconds",
    "format.days",
    "format.months.m04",
    "format.months.m11",
    "format.months.m12",
    "format.months.m03",
    "format.months.m05",
    "format.months.m08",
    "format.months.m10",
    "settings.notifications",
    "sessions.actions",
    "sessions.pages",
];

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, value, out);
            }
        }
        Value::String(text) => {
            out.insert(prefix.to_owned(), text.clone());
        }
        other => panic!("{prefix}: expected a string or an object, found {other}"),
    }
}

fn load(source: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    flatten(
        "",
        &serde_json::from_str(source).expect("locale file is JSON"),
        &mut out,
    );
    out
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("{{")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}"))
        .map(|(name, _)| name.trim().to_owned())
        .collect()
}

/// What is wrong with `strings` (locale `locale`) measured against English.
fn problems(english: &BTreeMap<String, String>, locale: &str, strings: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    for (key, en_text) in english {
        match strings.get(key) {
            None => problems.push(format!("{locale}: missing {key}")),
            Some(text) if text.trim().is_empty() => problems.push(format!("{locale}: empty {key}")),
            Some(text) => {
                if placeholders(text) != placeholders(en_text) {
                    problems.push(format!("{locale}: {key} has placeholders {:?}", placeholders(text)));
                }
                if text == en_text && !SAME_AS_ENGLISH.contains(&key.as_str()) {
                    problems.push(format!("{locale}: {key} is still in English"));
                }
            }
        }
    }
    for key in strings.keys().filter(|k| !english.contains_key(*k)) {
        problems.push(format!("{locale}: {key} is not an English key (typo?)"));
    }
    problems
}

#[test]
fn every_locale_translates_every_key_with_the_same_placeholders() {
    let english = load(LOCALES[0].1);
    assert!(english.len() > 100, "the English file has the UI's strings");
    let all: Vec<String> = LOCALES[1..]
        .iter()
        .flat_map(|(locale, source)| problems(&english, locale, &load(source)))
        .collect();
    assert!(all.is_empty(), "translation problems:\n{}", all.join("\n"));
}

#[test]
fn every_message_reads_differently_in_each_language() {
    for &msg in Msg::ALL {
        let texts: BTreeSet<&str> = Language::ALL.into_iter().map(|l| msg.text(l)).collect();
        assert_eq!(
            texts.len(),
            Language::ALL.len(),
            "{msg:?} has a language showing another's text"
        );
    }
}

#[test]
fn the_checker_reports_missing_extra_untranslated_and_mismatched_keys() {
    let english = load(LOCALES[0].1);
    let mut french = load(LOCALES[1].1);
    french.remove("home.heading");
    french.insert("home.headnig".into(), "Bienvenue".into());
    french.insert("nav.home".into(), english["nav.home"].clone());
    french.insert("sessions.device_name".into(), "{{ browser }} sur {{ systeme }}".into());
    let found = problems(&english, "fr", &french);
    assert_eq!(
        found,
        [
            "fr: missing home.heading",
            "fr: nav.home is still in English",
            "fr: sessions.device_name has placeholders {\"browser\", \"systeme\"}",
            "fr: home.headnig is not an English key (typo?)",
        ]
    );
}
