//! In-process metrics in the Prometheus text format, and the one-line-per-request log.
//!
//! Counters live in this process (each instance is scraped on its own); what is shared, such
//! as live sessions, is read from the backend at scrape time.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use parking_lot::Mutex;

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug, Clone, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter()) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.count);
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct RouteStats {
    /// Status code → requests.
    statuses: BTreeMap<u16, u64>,
    latency: Histogram,
}

#[derive(Debug, Default)]
pub struct Metrics {
    /// (method, route) → stats. Routes are the router's patterns, never raw paths, so the
    /// number of series stays bounded.
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
    redis: Mutex<Histogram>,
    pub profile_cache_hits: AtomicU64,
    pub profile_cache_misses: AtomicU64,
    rate_limited: Mutex<BTreeMap<&'static str, u64>>,
    /// The admin page's hourly figures, gathered here and flushed to Redis (`server::stats`).
    pub tally: std::sync::Arc<super::stats::Tally>,
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut routes = self.routes.lock();
        let stats = routes.entry((method.to_owned(), route.to_owned())).or_default();
        *stats.statuses.entry(status).or_default() += 1;
        stats.latency.observe(elapsed.as_secs_f64());
    }

    /// One call to the session store on a request's path.
    pub fn observe_redis(&self, elapsed: Duration) {
        self.redis.lock().observe(elapsed.as_secs_f64());
    }

    pub fn count_rate_limited(&self, rule: &'static str) {
        *self.rate_limited.lock().entry(rule).or_default() += 1;
        self.tally.add(super::figures::Counter::RateLimited);
    }

    pub fn render(&self, live_sessions: Option<u64>) -> String {
        let mut out = String::new();
        out.push_str("# HELP porch_requests_total Requests answered, by route and status.\n# TYPE porch_requests_total counter\n");
        let routes = self.routes.lock();
        for ((method, route), stats) in routes.iter() {
            for (status, count) in &stats.statuses {
                let _ = writeln!(
                    out,
                    "porch_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP porch_request_duration_seconds Time to answer, by route.\n# TYPE porch_request_duration_seconds histogram\n");
        for ((method, route), stats) in routes.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            stats
                .latency
                .render(&mut out, "porch_request_duration_seconds", &labels);
        }
        drop(routes);
        out.push_str("# HELP porch_redis_duration_seconds Session store calls made while answering a page.\n# TYPE porch_redis_duration_seconds histogram\n");
        self.redis.lock().render(&mut out, "porch_redis_duration_seconds", "");
        out.push_str(
            "# HELP porch_profile_cache_total Profile cache lookups.\n# TYPE porch_profile_cache_total counter\n",
        );
        let _ = writeln!(
            out,
            "porch_profile_cache_total{{result=\"hit\"}} {}",
            self.profile_cache_hits.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "porch_profile_cache_total{{result=\"miss\"}} {}",
            self.profile_cache_misses.load(Ordering::Relaxed)
        );
        out.push_str("# HELP porch_rate_limited_total Requests refused by a rate limit.\n# TYPE porch_rate_limited_total counter\n");
        for (rule, count) in self.rate_limited.lock().iter() {
            let _ = writeln!(out, "porch_rate_limited_total{{rule=\"{rule}\"}} {count}");
        }
        if let Some(live) = live_sessions {
            out.push_str("# HELP porch_live_sessions Sessions alive (shared by every instance).\n# TYPE porch_live_sessions gauge\n");
            let _ = writeln!(out, "porch_live_sessions {live}");
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
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
        m.profile_cache_hits.fetch_add(2, Ordering::Relaxed);
        let text = m.render(Some(7));
        assert!(text.contains("porch_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 2"));
        assert!(text.contains("porch_request_duration_seconds_bucket{method=\"GET\",route=\"/\",le=\"0.005\"} 1"));
        assert!(text.contains("porch_request_duration_seconds_bucket{method=\"GET\",route=\"/\",le=\"+Inf\"} 2"));
        assert!(text.contains("porch_request_duration_seconds_count{method=\"GET\",route=\"/\"} 2"));
        assert!(text.contains("porch_rate_limited_total{rule=\"sign_in\"} 1"));
        assert!(text.contains("porch_profile_cache_total{result=\"hit\"} 2"));
        assert!(text.contains("porch_live_sessions 7"));
    }
}
