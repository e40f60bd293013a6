//! A mail's subject, plain text and HTML alternative, in one language (texts in
//! `src/server/mail/texts/<language>.json`). No images, no tracking: links are the only thing a
//! mail asks the reader to open, and they go to Porch itself.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::Language;

/// What one mail says, with the details it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A single-use link to choose a new password (30 minutes).
    PasswordReset { link: String },
    /// A link that proves the account's address (24 hours).
    EmailVerification { link: String },
    /// Sent to a new address: the link that makes it the account's (24 hours).
    EmailChangeConfirm { link: String },
    /// Sent to the current address when a change is asked.
    EmailChangeRequested { new_address: String },
    /// Sent to the old address once a change is done; the link gives the old address back
    /// (7 days).
    EmailChanged { new_address: String, link: String },
    /// The link asks for a password reset.
    PasswordChanged { link: String },
    /// A sign-in from a browser and system not seen on the account before.
    NewSignIn { device: String, ip: String, time: String },
    /// The account's password sign-in paused after `attempts` failures, until `until`; the
    /// link resumes it (24 hours).
    SignInPaused {
        attempts: String,
        until: String,
        link: String,
    },
}

/// A mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The link it carries, if any (logged by the file outbox for developers to follow).
    pub link: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Texts {
    greeting: String,
    /// Without a name: mail to an address not proven to be the account's.
    greeting_plain: String,
    link_hint: String,
    ignore: String,
    footer: String,
    password_reset: KindTexts,
    email_verification: KindTexts,
    email_change_confirm: KindTexts,
    email_change_requested: KindTexts,
    email_changed: KindTexts,
    password_changed: KindTexts,
    new_sign_in: KindTexts,
    sign_in_paused: KindTexts,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KindTexts {
    subject: String,
    body: String,
    /// The link's label; empty for mails without a link.
    button: String,
}

const SOURCES: [(Language, &str); 4] = [
    (Language::En, include_str!("texts/en.json")),
    (Language::Fr, include_str!("texts/fr.json")),
    (Language::Es, include_str!("texts/es.json")),
    (Language::Ar, include_str!("texts/ar.json")),
];

fn texts(language: Language) -> &'static Texts {
    static ALL: OnceLock<Vec<(Language, Texts)>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(language, source)| {
                let texts = serde_json::from_str(source)
                    .unwrap_or_else(|e| panic!("mail texts for {}: {e}", language.as_str()));
                (*language, texts)
            })
            .collect()
    });
    all.iter()
        .find(|(l, _)| *l == language)
        .map(|(_, t)| t)
        .unwrap_or(&all[0].1)
}

/// Replaces each `{key}` in `template` with its value (values are inserted once, never scanned
/// for placeholders themselves).
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}').map(|end| (&after[..end], end)) {
            Some((key, end)) if values.iter().any(|(k, _)| *k == key) => {
                let value = values.iter().find(|(k, _)| *k == key).map_or("", |(_, v)| v);
                out.push_str(value);
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` safe in HTML text and in a quoted attribute.
fn escape_html(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_quoted_attribute(text)
}

/// The mail `content` for `name` (empty: greeted without a name) at `address`, in `language`.
pub fn compose(language: Language, name: &str, address: &str, content: &Content) -> Composed {
    let t = texts(language);
    let (kind, link, values): (&KindTexts, Option<&str>, Vec<(&str, &str)>) = match content {
        Content::PasswordReset { link } => (&t.password_reset, Some(link), vec![]),
        Content::EmailVerification { link } => (&t.email_verification, Some(link), vec![]),
        Content::EmailChangeConfirm { link } => (&t.email_change_confirm, Some(link), vec![]),
        Content::EmailChangeRequested { new_address } => {
            (&t.email_change_requested, None, vec![("new_address", new_address)])
        }
        Content::EmailChanged { new_address, link } => {
            (&t.email_changed, Some(link), vec![("new_address", new_address)])
        }
        Content::PasswordChanged { link } => (&t.password_changed, Some(link), vec![]),
        Content::SignInPaused { attempts, until, link } => (
            &t.sign_in_paused,
            Some(link),
            vec![("attempts", attempts), ("until", until)],
        ),
        Content::NewSignIn { device, ip, time } => (
            &t.new_sign_in,
            None,
            vec![("device", device), ("ip", ip), ("time", time)],
        ),
    };
    // Only the mails that answer a request say "ignore it if it was not you".
    let asked = matches!(
        content,
        Content::PasswordReset { .. } | Content::EmailVerification { .. } | Content::EmailChangeConfirm { .. }
    );
    let greeting = if name.trim().is_empty() {
        t.greeting_plain.clone()
    } else {
        fill(&t.greeting, &[("name", name)])
    };
    let body = fill(&kind.body, &values);
    let footer = fill(&t.footer, &[("address", address)]);

    let mut text = format!("{greeting}\n\n{body}\n\n");
    if let Some(link) = link {
        text.push_str(&format!("{}:\n{link}\n\n", kind.button));
    }
    if asked {
        text.push_str(&format!("{}\n\n", t.ignore));
    }
    text.push_str(&format!("-- \n{footer}\n"));

    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{subject}</title></head>\n\
         <body style=\"margin:0;padding:24px;background:#f4f4f1;color:#1f1f1c;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;line-height:1.5\">\n\
         <div style=\"max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px\">\n\
         <p>{greeting}</p>\n<p>{body}</p>\n",
        lang = language.as_str(),
        dir = language.dir(),
        subject = escape_html(&kind.subject),
        greeting = escape_html(&greeting),
        body = escape_html(&body),
    );
    if let Some(link) = link {
        let href = escape_html(link);
        html.push_str(&format!(
            "<p><a href=\"{href}\" style=\"display:inline-block;background:#2f5bd3;color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none\">{button}</a></p>\n\
             <p style=\"font-size:13px;color:#55554f\">{hint}<br><a href=\"{href}\" style=\"color:#2f5bd3;word-break:break-all\">{href}</a></p>\n",
            button = escape_html(&kind.button),
            hint = escape_html(&t.link_hint),
        ));
    }
    if asked {
        html.push_str(&format!(
            "<p style=\"font-size:13px;color:#55554f\">{}</p>\n",
            escape_html(&t.ignore)
        ));
    }
    html.push_str(&format!(
        "<hr style=\"border:none;border-top:1px solid #e2e2dc\">\n<p style=\"font-size:12px;color:#6b6b64\">{}</p>\n</div>\n</body>\n</html>\n",
        escape_html(&footer)
    ));
    Composed {
        subject: kind.subject.clone(),
        text,
        html,
        link: link.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_text_with_the_same_placeholders() {
        let placeholders = |s: &str| -> Vec<String> {
            let mut found: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(k, _)| k.to_owned()))
                .collect();
            found.sort();
            found
        };
        let english: serde_json::Value = serde_json::from_str(SOURCES[0].1).unwrap();
        for (language, source) in SOURCES {
            let _ = texts(language);
            let value: serde_json::Value = serde_json::from_str(source).unwrap();
            fn walk(a: &serde_json::Value, b: &serde_json::Value, path: &str, check: &dyn Fn(&str, &str, &str)) {
                match (a, b) {
                    (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
                        for (k, v) in a {
                            walk(v, &b[k], &format!("{path}.{k}"), check);
                        }
                    }
                    (serde_json::Value::String(a), serde_json::Value::String(b)) => check(path, a, b),
                    _ => panic!("{path}: shapes differ"),
                }
            }
            walk(&english, &value, language.as_str(), &|path, en, other| {
                assert_eq!(placeholders(en), placeholders(other), "{path}");
                assert_eq!(en.is_empty(), other.is_empty(), "{path}");
                if language != Language::En && !en.is_empty() {
                    assert_ne!(en, other, "{path} is not translated");
                }
            });
        }
    }

    #[test]
    fn names_and_addresses_are_escaped_in_html_and_never_read_as_placeholders() {
        let mail = compose(
            Language::En,
            "<b>Ada</b> {address}",
            "ada@example.com",
            &Content::EmailChangeRequested {
                new_address: "x\"@example.com".into(),
            },
        );
        assert!(mail.html.contains("&lt;b&gt;Ada&lt;/b&gt; {address}"), "{}", mail.html);
        assert!(mail.html.contains("x&quot;@example.com"));
        assert!(mail.text.starts_with("Hello <b>Ada</b> {address},"));
        assert!(!mail.html.contains("<img"), "no tracking pixels");
    }

    #[test]
    fn arabic_mails_are_right_to_left() {
        let mail = compose(
            Language::Ar,
            "Ada",
            "ada@example.com",
            &Content::PasswordReset {
                link: "https://porch.example/password/reset?token=abc".into(),
            },
        );
        assert!(mail.html.contains("lang=\"ar\" dir=\"rtl\""));
        assert!(mail.text.contains("https://porch.example/password/reset?token=abc"));
        assert_eq!(mail.subject, "إعادة تعيين كلمة مرور Porch");
    }
}
