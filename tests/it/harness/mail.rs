//! The test SMTP server (maildev, started by `scripts/lib.sh`'s `ensure_smtp`): mail is sent to
//! it over real SMTP and read back from its JSON API. Tests stay parallel by giving every
//! account its own address.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde::Deserialize;

use super::{TestApp, TestOptions};

/// Where the tests' SMTP server takes mail.
pub fn smtp_url() -> String {
    std::env::var("SMTP_TEST_URL").unwrap_or_else(|_| "smtp://127.0.0.1:1025".into())
}

/// Where it shows what arrived.
pub fn maildev_url() -> String {
    std::env::var("MAILDEV_URL").unwrap_or_else(|_| "http://127.0.0.1:1080".into())
}

/// Options for an app that sends through the test SMTP server.
pub fn smtp_options() -> TestOptions {
    TestOptions::default().var("SMTP_URL", &smtp_url())
}

#[derive(Debug, Clone, Deserialize)]
pub struct Recipient {
    pub address: String,
    #[serde(default)]
    pub name: String,
}

/// A mail as maildev parsed it.
#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub subject: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub html: String,
    pub to: Vec<Recipient>,
    #[serde(default)]
    pub headers: serde_json::Value,
}

async fn all_mail(base: &str) -> Vec<Mail> {
    let res = reqwest::get(format!("{base}/email"))
        .await
        .expect("maildev answers (scripts/lib.sh ensure_smtp starts it)");
    res.json().await.expect("maildev's mail list")
}

/// Every mail that arrived for `address` so far, oldest first.
pub async fn mails_to(address: &str) -> Vec<Mail> {
    mails_to_at(&maildev_url(), address).await
}

async fn mails_to_at(base: &str, address: &str) -> Vec<Mail> {
    all_mail(base)
        .await
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.address.eq_ignore_ascii_case(address)))
        .collect()
}

/// The `n`th mail (from 1) for `address` whose subject contains `subject`, waiting up to 15 s.
pub async fn wait_for_mail(address: &str, subject: &str, n: usize) -> Mail {
    wait_for_mail_at(&maildev_url(), address, subject, n).await
}

async fn wait_for_mail_at(base: &str, address: &str, subject: &str, n: usize) -> Mail {
    for _ in 0..300 {
        let found: Vec<Mail> = mails_to_at(base, address)
            .await
            .into_iter()
            .filter(|m| m.subject.contains(subject))
            .collect();
        if found.len() >= n {
            return found[n - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail #{n} {subject:?} for {address} within 15 s");
}

/// The token of the link to `path` in the `n`th mail (from 1) for `address` whose subject
/// contains `subject`, waiting for it.
pub async fn mailed_token(address: &str, subject: &str, n: usize, path: &str) -> String {
    link_token(&wait_for_mail(address, subject, n).await, path)
}

/// The token of the first link to `path` in `mail`'s text.
pub fn link_token(mail: &Mail, path: &str) -> String {
    let start = mail
        .text
        .find(&format!("{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {:?}", mail.text));
    mail.text[start + path.len() + "?token=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Waits (up to 15 s) until the app's outbox has nothing left to send or skip.
pub async fn outbox_drained(app: &TestApp) {
    let db = &app.state.db;
    for _ in 0..300 {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL",
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        if n == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox did not drain within 15 s");
}

/// A maildev of a test's own, on ports of its own: a server that can be stopped and started.
pub struct MaildevProcess {
    child: tokio::process::Child,
    pub web: String,
}

impl MaildevProcess {
    pub async fn start(smtp_port: u16, web_port: u16) -> Self {
        Self::start_with(smtp_port, web_port, &[]).await
    }

    /// With extra maildev arguments (`--incoming-user u --incoming-pass p`: mail only from
    /// senders that sign in, so any other is refused for good, 530).
    pub async fn start_with(smtp_port: u16, web_port: u16, args: &[&str]) -> Self {
        let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/end2end/node_modules/.bin/maildev");
        let child = tokio::process::Command::new(bin)
            .args(["--ip", "127.0.0.1", "--silent"])
            .args(["--smtp", &smtp_port.to_string(), "--web", &web_port.to_string()])
            .args(args)
            .kill_on_drop(true)
            .spawn()
            .expect("maildev from end2end/node_modules");
        let web = format!("http://127.0.0.1:{web_port}");
        for _ in 0..200 {
            if reqwest::get(format!("{web}/email")).await.is_ok() {
                return Self { child, web };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("maildev did not start on {smtp_port}/{web_port}");
    }

    pub async fn wait_for_mail(&self, address: &str, subject: &str) -> Mail {
        wait_for_mail_at(&self.web, address, subject, 1).await
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
