//! Rate limits, counted in the backend (Redis, or process memory without it) so that every
//! instance of the app counts against the same numbers.
//!
//! Each limit is a fixed window per subject (an email and address, or an address), keyed by a
//! hash of the subject so no email or address is written to Redis in clear. Whatever limit a
//! request met is reported in `X-RateLimit-*` headers by [`rate_limit_layer`]; a refused one gets
//! 429 with `Retry-After` (as JSON; `forms::refusal_pages` shows a browser's plain form post a
//! page instead).

use std::{
    net::{IpAddr, Ipv6Addr},
    sync::Arc,
};

use axum::{extract::Request, http::header, middleware::Next, response::Response};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use super::{
    backend::Backend,
    config::{Limit, RateLimits},
    metrics::Metrics,
};
use crate::server::time::now_ms;
use crate::{
    error::{AppError, ErrorCode},
    model::Msg,
};

/// The things that are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Failed sign-ins for one email from one address.
    SignIn,
    /// Failed sign-ins from one address.
    SignInIp,
    /// Failed password sign-ins of one account, from anywhere.
    SignInAccount,
    /// Second-factor codes tried for one account.
    SecondFactor,
    Register,
    /// New sessions from one address.
    Sessions,
    /// Role changes by one admin.
    RoleChange,
    /// Account mails asked for, per address they would go to.
    MailAddress,
    /// Account mails asked for, per client address.
    MailClient,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::SignIn => "sign_in",
            Rule::SignInIp => "sign_in_ip",
            Rule::SignInAccount => "sign_in_account",
            Rule::SecondFactor => "second_factor",
            Rule::Register => "register",
            Rule::Sessions => "sessions",
            Rule::RoleChange => "role_change",
            Rule::MailAddress => "mail_address",
            Rule::MailClient => "mail_client",
        }
    }

    fn limit(self, limits: &RateLimits) -> Limit {
        match self {
            Rule::SignIn => limits.sign_in,
            Rule::SignInIp => limits.sign_in_ip,
            Rule::SignInAccount => limits.sign_in_account,
            Rule::SecondFactor => limits.second_factor,
            Rule::Register => limits.register,
            Rule::Sessions => limits.sessions,
            Rule::RoleChange => limits.role_change,
            Rule::MailAddress => limits.mail_address,
            Rule::MailClient => limits.mail_client,
        }
    }
}

/// What a limit said about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window starts again.
    pub reset_secs: u64,
    pub allowed: bool,
}

/// The tightest [`Decision`] taken while handling one request, for its headers.
#[derive(Debug, Clone, Default)]
pub struct RateNote(Arc<Mutex<Option<Decision>>>);

impl RateNote {
    fn record(&self, decision: Decision) {
        let mut slot = self.0.lock();
        let tighter = match *slot {
            None => true,
            Some(old) => {
                (!decision.allowed && old.allowed)
                    || (decision.allowed == old.allowed && decision.remaining < old.remaining)
            }
        };
        if tighter {
            *slot = Some(decision);
        }
    }

    pub fn get(&self) -> Option<Decision> {
        *self.0.lock()
    }
}

/// The part of an address a limit counts: the whole IPv4 address, or the /64 network of an
/// IPv6 one (one subscriber usually holds a whole /64 and could rotate through it).
pub fn ip_subject(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        None => "unknown".into(),
    }
}

#[derive(Clone)]
pub struct RateLimiter {
    backend: Arc<dyn Backend>,
    limits: RateLimits,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("limits", &self.limits).finish()
    }
}

impl RateLimiter {
    pub fn new(backend: Arc<dyn Backend>, limits: RateLimits, metrics: Arc<Metrics>) -> Self {
        Self {
            backend,
            limits,
            metrics,
        }
    }

    fn key(rule: Rule, subject: &str) -> String {
        let digest = Sha256::digest(subject.as_bytes());
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}:{hex}", rule.name())
    }

    async fn count(&self, note: Option<&RateNote>, rule: Rule, subject: &str, cost: i64) -> Result<Decision, AppError> {
        let limit = rule.limit(&self.limits);
        let now = now_ms();
        let counted = self
            .backend
            .rate_count(&Self::key(rule, subject), cost, limit.window.as_millis() as i64, now)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, rule = rule.name(), "rate limit not readable");
                AppError::unavailable()
            })?;
        let max = i64::from(limit.max);
        // The hit has already added itself.
        let allowed = counted.count <= max;
        let decision = Decision {
            limit: limit.max,
            remaining: (max - counted.count).clamp(0, max) as u32,
            reset_secs: ((counted.resets_at - now).max(0) as u64).div_ceil(1000),
            allowed,
        };
        if let Some(note) = note {
            note.record(decision);
        }
        if !allowed {
            tracing::info!(rule = rule.name(), "rate limited");
            self.metrics.count_rate_limited(rule.name());
        }
        Ok(decision)
    }

    /// `rule`'s counter for `subject`, for a backend operation that counts it itself (a new
    /// session is admitted in the same round trip that creates it).
    pub fn admission(&self, rule: Rule, subject: &str) -> AdmissionSpec {
        let limit = rule.limit(&self.limits);
        AdmissionSpec {
            counter: Self::key(rule, subject),
            window_ms: limit.window.as_millis() as i64,
            max: i64::from(limit.max),
        }
    }

    /// Counts a refusal made elsewhere (see [`Self::admission`]).
    pub fn note_refused(&self, rule: Rule) {
        self.metrics.count_rate_limited(rule.name());
    }

    /// Counts one attempt; refuses it with 429 once the limit is passed. Counting comes before
    /// the work it guards (a password hash), so concurrent attempts cannot all pass one check
    /// and outrun the limit; an attempt that should not count is [given back](Self::give_back).
    pub async fn hit(&self, note: &RateNote, rule: Rule, subject: &str) -> Result<(), AppError> {
        match self.count(Some(note), rule, subject, 1).await? {
            d if d.allowed => Ok(()),
            _ => Err(rate_limited()),
        }
    }

    /// Counts one attempt like [`Self::hit`] but says nothing in the response's headers and
    /// refuses nothing: the caller decides (a limit whose state must not be visible to the
    /// client, such as an account's failures counted from every address).
    pub async fn count_quietly(&self, rule: Rule, subject: &str) -> Result<Decision, AppError> {
        self.count(None, rule, subject, 1).await
    }

    /// Gives back one attempt counted by [`Self::hit`] that turned out not to count (a sign-in
    /// that succeeded). Best effort; the header of the request keeps what `hit` said.
    pub async fn give_back(&self, rule: Rule, subject: &str) {
        let limit = rule.limit(&self.limits);
        let counted = self
            .backend
            .rate_count(&Self::key(rule, subject), -1, limit.window.as_millis() as i64, now_ms())
            .await;
        if let Err(e) = counted {
            tracing::warn!(error = %e, rule = rule.name(), "rate limit attempt not given back");
        }
    }

    /// Forgets `subject`'s count (best effort).
    pub async fn clear(&self, rule: Rule, subject: &str) {
        if let Err(e) = self.backend.rate_clear(&Self::key(rule, subject)).await {
            tracing::warn!(error = %e, rule = rule.name(), "rate limit not cleared");
        }
    }
}

/// An owned [`Admission`](super::backend::Admission).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionSpec {
    pub counter: String,
    pub window_ms: i64,
    pub max: i64,
}

impl AdmissionSpec {
    pub fn as_admission(&self) -> super::backend::Admission<'_> {
        super::backend::Admission {
            counter: &self.counter,
            window_ms: self.window_ms,
            max: self.max,
        }
    }
}

pub fn rate_limited() -> AppError {
    AppError::new(ErrorCode::RateLimited, Msg::RateLimited)
}

/// Gives every request a [`RateNote`] and turns what it recorded into headers.
pub async fn rate_limit_layer(mut request: Request, next: Next) -> Response {
    let note = RateNote::default();
    request.extensions_mut().insert(note.clone());
    let mut response = next.run(request).await;
    if let Some(decision) = note.get() {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", decision.limit.into());
        headers.insert("x-ratelimit-remaining", decision.remaining.into());
        headers.insert("x-ratelimit-reset", decision.reset_secs.into());
        if !decision.allowed {
            headers.insert(header::RETRY_AFTER, decision.reset_secs.max(1).into());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_its_64_network_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(ip_subject(Some(a)), ip_subject(Some(b)));
        assert_eq!(ip_subject(Some(a)), "2001:db8:1:2::/64");
        assert_eq!(ip_subject(Some("::ffff:203.0.113.7".parse().unwrap())), "203.0.113.7");
        assert_eq!(ip_subject(None), "unknown");
    }

    #[test]
    fn the_tightest_decision_is_kept() {
        let note = RateNote::default();
        let d = |remaining, allowed| Decision {
            limit: 5,
            remaining,
            reset_secs: 60,
            allowed,
        };
        note.record(d(4, true));
        note.record(d(2, true));
        note.record(d(3, true));
        assert_eq!(note.get(), Some(d(2, true)));
        note.record(d(0, false));
        note.record(d(1, true));
        assert_eq!(note.get(), Some(d(0, false)));
    }
}
