//! This instance's metrics, kept and written in the Prometheus/OpenMetrics text format by the
//! `prometheus-client` crate (one registry per instance, so tests' instances do not mix).
//!
//! Counters live in this process (each instance is scraped on its own); what is shared, such
//! as live sessions, is read from the store at scrape time and set just before writing.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use parking_lot::Mutex;
use prometheus_client::{
    collector::Collector,
    encoding::{text::encode, DescriptorEncoder, EncodeLabelSet, EncodeMetric},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::{ConstGauge, Gauge},
        histogram::Histogram,
        TypedMetric,
    },
    registry::Registry,
};

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The labels of `porch_requests_total`. Routes are the router's patterns, never raw paths, so
/// the number of series stays bounded.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

/// The labels of `porch_request_duration_seconds`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MailLabels {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DependencyLabels {
    dependency: &'static str,
}

/// `porch_live_sessions`, read from the store at each scrape: written only when the store
/// could say (a stale figure would be worse than none).
#[derive(Debug, Default)]
struct LiveSessions(Mutex<Option<u64>>);

impl Collector for LiveSessions {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(live) = *self.0.lock() else {
            return Ok(());
        };
        let gauge = ConstGauge::new(i64::try_from(live).unwrap_or(i64::MAX));
        let metric = encoder.encode_descriptor(
            "porch_live_sessions",
            "Sessions alive (shared by every instance)",
            None,
            ConstGauge::<i64>::TYPE,
        )?;
        gauge.encode(metric)
    }
}

fn latency() -> Histogram {
    Histogram::new(BUCKETS)
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    redis: Histogram,
    profile_cache: Family<ResultLabels, Counter>,
    page_cache: Family<ResultLabels, Counter>,
    rate_limited: Family<RuleLabels, Counter>,
    dependency_up: Family<DependencyLabels, Gauge>,
    mail_queued: Family<MailLabels, Counter>,
    mail_sent: Family<MailLabels, Counter>,
    mail_failed: Family<MailLabels, Counter>,
    live_sessions: Arc<LiveSessions>,
    /// Profile cache lookups, also shown on the admin page.
    pub profile_cache_hits: AtomicU64,
    pub profile_cache_misses: AtomicU64,
    /// The admin page's hourly figures, gathered here and flushed to Redis (`server::stats`).
    pub tally: Arc<super::stats::Tally>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "porch_requests",
            "Requests answered, by route and status",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        registry.register(
            "porch_request_duration_seconds",
            "Time to answer, by route",
            durations.clone(),
        );
        let redis = latency();
        registry.register(
            "porch_redis_duration_seconds",
            "Session store calls made while answering a page",
            redis.clone(),
        );
        let profile_cache = Family::<ResultLabels, Counter>::default();
        registry.register("porch_profile_cache", "Profile cache lookups", profile_cache.clone());
        let page_cache = Family::<ResultLabels, Counter>::default();
        registry.register(
            "porch_page_cache",
            "Page views answered from a template (hit) or rendering one (miss)",
            page_cache.clone(),
        );
        let rate_limited = Family::<RuleLabels, Counter>::default();
        registry.register(
            "porch_rate_limited",
            "Requests refused by a rate limit",
            rate_limited.clone(),
        );
        let dependency_up = Family::<DependencyLabels, Gauge>::default();
        registry.register(
            "porch_dependency_up",
            "1 while the dependency answered the last scheduled health check, else 0",
            dependency_up.clone(),
        );
        let [mail_queued, mail_sent, mail_failed] = [
            ("porch_mail_queued", "Mails put in the outbox, by kind"),
            (
                "porch_mail_sent",
                "Mails handed to the SMTP server (or written to the outbox directory), by kind",
            ),
            (
                "porch_mail_failed",
                "Mails given up on (refused for good, or out of attempts), by kind",
            ),
        ]
        .map(|(name, help)| {
            let family = Family::<MailLabels, Counter>::default();
            registry.register(name, help, family.clone());
            family
        });
        let live_sessions = Arc::new(LiveSessions::default());
        registry.register_collector(Box::new(live_sessions.clone()));
        Self {
            registry,
            requests,
            durations,
            redis,
            profile_cache,
            page_cache,
            rate_limited,
            dependency_up,
            mail_queued,
            mail_sent,
            mail_failed,
            live_sessions,
            profile_cache_hits: AtomicU64::new(0),
            profile_cache_misses: AtomicU64::new(0),
            tally: Arc::default(),
        }
    }
}

/// What happened to a mail, for [`Metrics::count_mail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    Queued,
    Sent,
    Failed,
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.durations
            .get_or_create(&RouteLabels {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels { method, route, status })
            .inc();
    }

    /// One call to the session store on a request's path.
    pub fn observe_redis(&self, elapsed: Duration) {
        self.redis.observe(elapsed.as_secs_f64());
    }

    /// A profile cache lookup that found the profile (`true`) or had to read it.
    pub fn count_profile_cache(&self, hit: bool) {
        let (result, count) = if hit {
            ("hit", &self.profile_cache_hits)
        } else {
            ("miss", &self.profile_cache_misses)
        };
        count.fetch_add(1, Ordering::Relaxed);
        self.profile_cache.get_or_create(&ResultLabels { result }).inc();
    }

    pub fn count_page_cache(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.page_cache.get_or_create(&ResultLabels { result }).inc();
    }

    pub fn count_rate_limited(&self, rule: &'static str) {
        self.rate_limited.get_or_create(&RuleLabels { rule }).inc();
        self.tally.add(super::figures::Figure::RateLimited);
    }

    /// A mail of `kind` queued, sent or given up on.
    pub fn count_mail(&self, outcome: MailOutcome, kind: &'static str) {
        let family = match outcome {
            MailOutcome::Queued => &self.mail_queued,
            MailOutcome::Sent => &self.mail_sent,
            MailOutcome::Failed => &self.mail_failed,
        };
        family.get_or_create(&MailLabels { kind }).inc();
    }

    /// What the last scheduled health check found of `dependency` (`redis`, `database`).
    pub fn set_dependency_up(&self, dependency: &'static str, up: bool) {
        self.dependency_up
            .get_or_create(&DependencyLabels { dependency })
            .set(i64::from(up));
    }

    /// Every series, with `live_sessions` when the store could say (else the series is left
    /// out rather than showing a stale figure).
    pub fn render(&self, live_sessions: Option<u64>) -> String {
        *self.live_sessions.0.lock() = live_sessions;
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "metrics not written");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms_in_prometheus_text() {
        let m = Metrics::default();
        m.observe_request("GET", "/", 200, Duration::from_millis(3));
        m.observe_request("GET", "/", 200, Duration::from_millis(30));
        m.count_rate_limited("sign_in");
        m.count_profile_cache(true);
        m.count_profile_cache(true);
        m.set_dependency_up("redis", false);
        m.set_dependency_up("database", true);
        m.count_mail(MailOutcome::Queued, "password_reset");
        m.count_mail(MailOutcome::Sent, "password_reset");
        let text = m.render(Some(7));
        for line in [
            "porch_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 2",
            "porch_request_duration_seconds_bucket{le=\"0.005\",method=\"GET\",route=\"/\"} 1",
            "porch_request_duration_seconds_bucket{le=\"+Inf\",method=\"GET\",route=\"/\"} 2",
            "porch_request_duration_seconds_sum{method=\"GET\",route=\"/\"} 0.033",
            "porch_request_duration_seconds_count{method=\"GET\",route=\"/\"} 2",
            "porch_rate_limited_total{rule=\"sign_in\"} 1",
            "porch_profile_cache_total{result=\"hit\"} 2",
            "porch_live_sessions 7",
            "porch_redis_duration_seconds_count 0",
            "porch_dependency_up{dependency=\"redis\"} 0",
            "porch_dependency_up{dependency=\"database\"} 1",
            "porch_mail_queued_total{kind=\"password_reset\"} 1",
            "porch_mail_sent_total{kind=\"password_reset\"} 1",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        assert!(!m.render(None).contains("porch_live_sessions "), "unknown, left out");
    }
}
