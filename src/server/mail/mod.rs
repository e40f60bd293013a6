//! Mail: what Porch sends ([`MailKind`], [`compose`]), how ([`Mailer`]: SMTP, or `.eml` files
//! in a directory when no SMTP server is configured) and when ([`outbox`]: queued in the
//! database with the change that causes it, delivered by a sender task with retries).

pub mod compose;
pub mod outbox;

use std::{path::PathBuf, time::Duration};

use lettre::{
    message::{Mailbox, MultiPart},
    transport::smtp::Error as SmtpError,
    Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

pub use compose::{compose, Composed, Content};

/// The mails Porch sends, as stored in the outbox's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// Someone typed an address on the forgot-password form; the sender looks the account up
    /// (off the request path, so the form's answer says nothing) and, if there is one, mails a
    /// reset link to the account's own address.
    PasswordResetRequest,
    EmailVerification,
    /// To the new address: the link that makes it the account's.
    EmailChangeConfirm,
    /// To the current address, when a change is asked.
    EmailChangeRequested,
    /// To the old address, once changed.
    EmailChanged,
    PasswordChanged,
    NewSignIn,
    /// The account's password sign-in paused after too many failures; carries the unlock link.
    SignInPaused,
}

impl MailKind {
    pub const ALL: [MailKind; 8] = [
        MailKind::PasswordResetRequest,
        MailKind::EmailVerification,
        MailKind::EmailChangeConfirm,
        MailKind::EmailChangeRequested,
        MailKind::EmailChanged,
        MailKind::PasswordChanged,
        MailKind::NewSignIn,
        MailKind::SignInPaused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::PasswordResetRequest => "password_reset",
            MailKind::EmailVerification => "email_verification",
            MailKind::EmailChangeConfirm => "email_change_confirm",
            MailKind::EmailChangeRequested => "email_change_requested",
            MailKind::EmailChanged => "email_changed",
            MailKind::PasswordChanged => "password_changed",
            MailKind::NewSignIn => "new_sign_in",
            MailKind::SignInPaused => "sign_in_paused",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// Where mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// An SMTP server (`SMTP_URL`): `smtp://` (STARTTLS when the server offers it, or required
    /// with `?tls=required`), `smtps://` (TLS from the start), credentials in the URL.
    Smtp { url: String },
    /// No SMTP server: each mail is written as an `.eml` file in `dir` and logged, with its
    /// link when `log_links` (development only).
    Files { dir: PathBuf, log_links: bool },
}

/// How a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: the server is down, slow, or said "not now" (4xx).
    #[error("transient: {0}")]
    Transient(String),
    /// Never going to work: the server refused for good (5xx) or the message cannot be made.
    #[error("permanent: {0}")]
    Permanent(String),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
        log_links: bool,
    },
}

/// Sends composed mails from one sender address.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::Files { .. } => "files",
        };
        f.debug_struct("Mailer")
            .field("transport", &kind)
            .finish_non_exhaustive()
    }
}

/// How long one SMTP conversation may take before it counts as a transient failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

impl Mailer {
    /// `from` was checked by the configuration. Errors: an SMTP URL lettre cannot use.
    pub fn new(transport: &MailTransport, from: Mailbox) -> Result<Self, String> {
        let transport = match transport {
            MailTransport::Smtp { url } => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&with_starttls(url))
                    .map_err(|e| format!("SMTP_URL: {e}"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Transport::Smtp(transport)
            }
            MailTransport::Files { dir, log_links } => {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Transport::Files {
                    transport: AsyncFileTransport::new(dir),
                    dir: dir.clone(),
                    log_links: *log_links,
                }
            }
        };
        Ok(Self { transport, from })
    }

    /// Sends `mail` to `name <address>`.
    pub async fn send(&self, address: &str, name: &str, mail: &Composed) -> Result<(), SendError> {
        let message = build(&self.from, address, name, mail)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(classify),
            Transport::Files {
                transport,
                dir,
                log_links,
            } => {
                let id = transport
                    .send(message)
                    .await
                    .map_err(|e| SendError::Transient(e.to_string()))?;
                // For developers without an SMTP server: the mail's file, subject and link.
                let link = if *log_links { mail.link.as_deref() } else { None };
                tracing::info!(
                    file = %dir.join(format!("{id}.eml")).display(),
                    subject = %mail.subject,
                    link = link.unwrap_or(""),
                    "mail written"
                );
                Ok(())
            }
        }
    }
}

/// `smtp://` without a `tls` parameter upgrades with STARTTLS when the server offers it, or
/// insists on it when the URL carries a password (never sent in the clear); without a port it
/// stays on 25, the port plain `smtp://` means (lettre would take 587 for STARTTLS).
fn with_starttls(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.scheme() == "smtp" && !parsed.query_pairs().any(|(k, _)| k == "tls") => {
            if parsed.port().is_none() {
                let _ = parsed.set_port(Some(25));
            }
            let tls = if parsed.password().is_some() {
                "required"
            } else {
                "opportunistic"
            };
            parsed.query_pairs_mut().append_pair("tls", tls);
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Only a refusal of this message or its recipient is final (RFC 5321 §4.2.5: 550 no such
/// mailbox, 551 not local, 552 over quota, 553 address not allowed, 554 refused, 501 bad
/// address syntax). Every other failure — the server down or slow, a 4xx, and a 5xx about the
/// conversation itself (530/535 sign-in required or refused, a greeting refused) — is the
/// operator's to fix and the mail's to wait for, not a reason to drop every queued mail at once.
fn classify(e: SmtpError) -> SendError {
    let code = e.status().map(u16::from);
    // A client error: the message could not be put to this server at all (an address it
    // cannot take without SMTPUTF8); trying again changes nothing.
    if (e.is_permanent() && code.is_some_and(refuses_the_message)) || e.is_client() {
        SendError::Permanent(e.to_string())
    } else {
        SendError::Transient(e.to_string())
    }
}

/// Whether an SMTP reply code refuses this message or its recipient for good.
fn refuses_the_message(code: u16) -> bool {
    matches!(code, 501 | 550 | 551 | 552 | 553 | 554)
}

/// `address` with its domain in the ASCII form DNS and SMTP servers without SMTPUTF8 know
/// (IDNA ToASCII, UTS #46: `zoë@bücher.example` → `zoë@xn--bcher-kva.example`). Addresses are
/// stored with Unicode domains (`model::Email`); an address whose domain does not convert is
/// left as it is, for lettre to refuse.
fn ascii_domain(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) if !domain.is_ascii() => match idna::domain_to_ascii(domain) {
            Ok(ascii) => format!("{local}@{ascii}"),
            Err(_) => address.to_owned(),
        },
        _ => address.to_owned(),
    }
}

/// A display name safe for a header: control characters (CR and LF above all, which could
/// start a header of their own) become spaces; lettre encodes the rest (RFC 2047).
fn header_safe(name: &str) -> String {
    let cleaned: String = name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The message: `From`, `To`, `Subject`, a `Message-ID` and `Date`, and plain text with an
/// HTML alternative. An address lettre refuses (it never passes control
/// characters) is a permanent failure.
fn build(from: &Mailbox, address: &str, name: &str, mail: &Composed) -> Result<Message, SendError> {
    let address: Address = ascii_domain(address)
        .parse()
        .map_err(|e| SendError::Permanent(format!("unusable recipient address: {e}")))?;
    let name = header_safe(name);
    let to = Mailbox::new((!name.is_empty()).then_some(name), address);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(header_safe(&mail.subject))
        .message_id(None)
        .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
        .map_err(|e| SendError::Permanent(format!("message not built: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn composed() -> Composed {
        compose(
            crate::model::Language::En,
            "Ada",
            "ada@example.com",
            &Content::PasswordChanged {
                link: "http://127.0.0.1:3000/password/forgot".into(),
            },
        )
    }

    #[test]
    fn control_characters_never_reach_a_header() {
        let from: Mailbox = "Porch <no-reply@example.com>".parse().unwrap();
        for name in [
            "Ada\r\nBcc: victim@example.com",
            "Ada\nX-Evil: 1",
            "Ada\u{0}\u{7f}\u{85}Lovelace",
        ] {
            let message = build(&from, "ada@example.com", name, &composed()).unwrap();
            let raw = String::from_utf8(message.formatted()).unwrap();
            let head = raw.split("\r\n\r\n").next().unwrap();
            assert!(!head.contains("Bcc:") && !head.contains("X-Evil"), "{head}");
            for line in head.split("\r\n") {
                assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
            }
        }
        // An address with a line break is refused for good, not sent and not retried.
        assert!(matches!(
            build(&from, "ada@example.com\r\nBcc: x@example.com", "Ada", &composed()),
            Err(SendError::Permanent(_))
        ));
    }

    #[test]
    fn international_domains_are_sent_in_ascii() {
        assert_eq!(ascii_domain("zoe@bücher.example"), "zoe@xn--bcher-kva.example");
        assert_eq!(ascii_domain("ada@example.com"), "ada@example.com");
        let from: Mailbox = "Porch <no-reply@example.com>".parse().unwrap();
        let message = build(&from, "zoe@bücher.example", "Zoë", &composed()).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("xn--bcher-kva.example"), "{raw}");
    }

    #[test]
    fn only_refusals_of_the_message_are_final() {
        for code in [501, 550, 551, 552, 553, 554] {
            assert!(refuses_the_message(code), "{code}");
        }
        // Sign-in required or refused, the service refusing to talk: the operator fixes it.
        for code in [421, 450, 451, 452, 530, 535, 534, 500, 502, 503] {
            assert!(!refuses_the_message(code), "{code}");
        }
    }

    #[test]
    fn plain_smtp_upgrades_when_it_can() {
        assert_eq!(
            with_starttls("smtp://mail.example.com:587"),
            "smtp://mail.example.com:587?tls=opportunistic"
        );
        assert_eq!(with_starttls("smtp://h:25?tls=required"), "smtp://h:25?tls=required");
        assert_eq!(with_starttls("smtps://u:p@h"), "smtps://u:p@h");
    }
}
