//! Typed configuration, read once at start-up from environment variables.
//!
//! Every problem is reported as one line naming the variable, e.g.
//! `REDIS_URL: unsupported scheme "http" (use redis://, rediss:// or redis-cluster://)`.
//! Values come from a lookup function rather than the process environment directly, so tests
//! build configurations side by side without touching global state.

use std::{collections::HashMap, fmt, net::IpAddr, path::PathBuf, time::Duration};

use leptos::config::LeptosOptions;

/// Length a production session secret must reach (characters, i.e. bytes of ASCII).
pub const MIN_SECRET_LEN: usize = 64;

/// Used only outside production, so preference cookies survive `cargo leptos watch` restarts.
const DEVELOPMENT_SECRET: &str = "development-only-secret-do-not-use-in-production-0123456789abcdef0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://path?mode=rwc` or `sqlite::memory:`; `dir` is created at start-up when set.
    Sqlite {
        url: String,
        dir: Option<PathBuf>,
    },
    Postgres {
        url: String,
    },
}

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        match self {
            DatabaseUrl::Sqlite { url, .. } | DatabaseUrl::Postgres { url } => url,
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    pub url: String,
    /// Prepended to every key this app writes, so several apps (or tests) share one Redis.
    pub key_prefix: String,
    /// Upper bound for any single Redis command, so a stalled Redis never stalls a request longer.
    pub command_timeout: Duration,
    pub pool_size: usize,
}

impl fmt::Debug for RedisConfig {
    // The URL may carry a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &"<redacted>")
            .field("key_prefix", &self.key_prefix)
            .field("command_timeout", &self.command_timeout)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    pub cookie_name: String,
    pub cookie_secure: bool,
    pub guest_idle_timeout: Duration,
    pub user_idle_timeout: Duration,
    pub user_absolute_timeout: Duration,
    /// How long activity data outlives its session, so the sweeper can archive it.
    pub archive_grace: Duration,
    /// How often each instance looks for ended sessions to archive (one at a time sweeps).
    pub sweep_interval: Duration,
}

/// At most `max` in any `window` (a fixed window that starts with the first hit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn new(max: u32, window_secs: u64) -> Self {
        Self {
            max,
            window: Duration::from_secs(window_secs),
        }
    }
}

/// The rate limits, kept in Redis (or in memory without it) so they hold across instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Failed sign-ins per email and client address; a success clears them.
    pub sign_in: Limit,
    /// Failed sign-ins per client address, whatever the email.
    pub sign_in_ip: Limit,
    /// Registrations per client address.
    pub register: Limit,
    /// New sessions per client address.
    pub sessions: Limit,
    /// Role changes (promotions, demotions) per admin.
    pub role_change: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            sign_in: Limit::new(5, 15 * 60),
            sign_in_ip: Limit::new(50, 15 * 60),
            register: Limit::new(10, 3600),
            sessions: Limit::new(300, 10 * 60),
            role_change: Limit::new(30, 3600),
        }
    }
}

/// A secret key; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub env: AppEnv,
    pub leptos: LeptosOptions,
    pub database: DatabaseUrl,
    /// `None`: sessions and every other Redis structure live in process memory.
    pub redis: Option<RedisConfig>,
    pub session: SessionConfig,
    pub secret: Secret,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    pub rate_limits: RateLimits,
    /// How long a request may take in all before it is answered with 503.
    pub request_timeout: Duration,
    /// How often this instance adds its counts to the admin page's figures in Redis.
    pub stats_flush_interval: Duration,
    /// How long a client has to send a request's headers before the connection is closed.
    pub header_read_timeout: Duration,
    /// A private listener for `/metrics` (and the health routes), e.g. `127.0.0.1:9898`.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Also serve `/metrics` on the public listener.
    pub metrics_public: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn err(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

impl Config {
    /// Reads the process environment and `Leptos.toml` (or the file named by `LEPTOS_CONFIG`).
    pub fn from_env() -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        let leptos_file = vars
            .get("LEPTOS_CONFIG")
            .cloned()
            .unwrap_or_else(|| "Leptos.toml".into());
        let leptos = leptos::config::get_configuration(Some(&leptos_file))
            .map_err(|e| err("LEPTOS_CONFIG", format!("cannot read {leptos_file}: {e}")))?
            .leptos_options;
        Self::from_lookup(leptos, |name| vars.get(name).cloned())
    }

    /// Builds a configuration from any variable lookup; used directly by tests.
    pub fn from_lookup(leptos: LeptosOptions, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let env = match get("APP_ENV").as_deref() {
            None | Some("development") | Some("dev") => AppEnv::Development,
            Some("production") | Some("prod") => AppEnv::Production,
            Some(other) => {
                return Err(err(
                    "APP_ENV",
                    format!("unknown value {other:?} (use development or production)"),
                ))
            }
        };
        let production = env == AppEnv::Production;

        let database = parse_database_url(get("DATABASE_URL"))?;

        let redis = match get("REDIS_URL") {
            None if production => {
                return Err(err(
                    "REDIS_URL",
                    "required when APP_ENV=production (sessions must outlive the process)",
                ))
            }
            None => None,
            Some(url) => Some(RedisConfig {
                url: parse_redis_url(url)?,
                key_prefix: parse_key_prefix(get("REDIS_KEY_PREFIX"))?,
                command_timeout: parse_duration_var(
                    "REDIS_COMMAND_TIMEOUT",
                    get("REDIS_COMMAND_TIMEOUT"),
                    Duration::from_millis(300),
                )?,
                pool_size: parse_number("REDIS_POOL_SIZE", get("REDIS_POOL_SIZE"), 2, 1..=64)?,
            }),
        };

        let secret = match get("SESSION_SECRET") {
            Some(s) if s.len() >= MIN_SECRET_LEN => Secret(s),
            Some(_) if production => {
                return Err(err(
                    "SESSION_SECRET",
                    format!("must be at least {MIN_SECRET_LEN} characters; generate one with `openssl rand -hex 32`"),
                ))
            }
            None if production => {
                return Err(err(
                    "SESSION_SECRET",
                    format!("required when APP_ENV=production (at least {MIN_SECRET_LEN} characters)"),
                ))
            }
            Some(_) => {
                return Err(err(
                    "SESSION_SECRET",
                    format!("must be at least {MIN_SECRET_LEN} characters"),
                ))
            }
            None => Secret(DEVELOPMENT_SECRET.to_owned()),
        };

        let guest_idle_timeout = parse_duration_var(
            "SESSION_GUEST_IDLE_TIMEOUT",
            get("SESSION_GUEST_IDLE_TIMEOUT"),
            Duration::from_secs(30 * 60),
        )?;
        let user_idle_timeout = parse_duration_var(
            "SESSION_IDLE_TIMEOUT",
            get("SESSION_IDLE_TIMEOUT"),
            Duration::from_secs(7 * 24 * 3600),
        )?;
        let user_absolute_timeout = parse_duration_var(
            "SESSION_ABSOLUTE_TIMEOUT",
            get("SESSION_ABSOLUTE_TIMEOUT"),
            Duration::from_secs(30 * 24 * 3600),
        )?;
        let sweep_interval = parse_duration_var(
            "SESSION_SWEEP_INTERVAL",
            get("SESSION_SWEEP_INTERVAL"),
            Duration::from_secs(30),
        )?;
        if sweep_interval.is_zero() {
            return Err(err("SESSION_SWEEP_INTERVAL", "must be more than zero"));
        }
        if user_absolute_timeout < user_idle_timeout {
            return Err(err(
                "SESSION_ABSOLUTE_TIMEOUT",
                "must not be shorter than SESSION_IDLE_TIMEOUT",
            ));
        }
        let session = SessionConfig {
            // The __Host- prefix makes browsers refuse the cookie unless it is Secure, has Path=/
            // and no Domain: a sibling subdomain cannot plant or shadow it.
            cookie_name: if production {
                "__Host-session".into()
            } else {
                "session".into()
            },
            cookie_secure: production,
            guest_idle_timeout,
            user_idle_timeout,
            user_absolute_timeout,
            archive_grace: Duration::from_secs(24 * 3600),
            sweep_interval,
        };

        let trusted_proxies = match get("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<IpAddr>()
                        .map_err(|_| err("TRUSTED_PROXIES", format!("{s:?} is not an IP address")))
                })
                .collect::<Result<_, _>>()?,
        };

        let defaults = RateLimits::default();
        let rate_limits = RateLimits {
            sign_in: parse_limit("RATE_LIMIT_SIGN_IN", get("RATE_LIMIT_SIGN_IN"), defaults.sign_in)?,
            sign_in_ip: parse_limit(
                "RATE_LIMIT_SIGN_IN_IP",
                get("RATE_LIMIT_SIGN_IN_IP"),
                defaults.sign_in_ip,
            )?,
            register: parse_limit("RATE_LIMIT_REGISTER", get("RATE_LIMIT_REGISTER"), defaults.register)?,
            sessions: parse_limit("RATE_LIMIT_SESSIONS", get("RATE_LIMIT_SESSIONS"), defaults.sessions)?,
            role_change: parse_limit(
                "RATE_LIMIT_ROLE_CHANGE",
                get("RATE_LIMIT_ROLE_CHANGE"),
                defaults.role_change,
            )?,
        };

        Ok(Config {
            env,
            leptos,
            database,
            redis,
            session,
            secret,
            trusted_proxies,
            rate_limits,
            request_timeout: parse_duration_var("REQUEST_TIMEOUT", get("REQUEST_TIMEOUT"), Duration::from_secs(15))?,
            stats_flush_interval: match parse_duration_var(
                "STATS_FLUSH_INTERVAL",
                get("STATS_FLUSH_INTERVAL"),
                crate::server::stats::FLUSH_EVERY,
            )? {
                d if d.is_zero() => return Err(err("STATS_FLUSH_INTERVAL", "must be more than zero")),
                d => d,
            },
            header_read_timeout: parse_duration_var(
                "HEADER_READ_TIMEOUT",
                get("HEADER_READ_TIMEOUT"),
                Duration::from_secs(10),
            )?,
            metrics_addr: match get("METRICS_ADDR") {
                None => None,
                Some(addr) => Some(addr.parse().map_err(|_| {
                    err(
                        "METRICS_ADDR",
                        format!("{addr:?} is not an address like 127.0.0.1:9898"),
                    )
                })?),
            },
            metrics_public: match get("METRICS_PUBLIC").as_deref() {
                None | Some("false") | Some("0") => false,
                Some("true") | Some("1") => true,
                Some(other) => return Err(err("METRICS_PUBLIC", format!("{other:?}: use true or false"))),
            },
        })
    }

    pub fn is_production(&self) -> bool {
        self.env == AppEnv::Production
    }
}

fn parse_database_url(value: Option<String>) -> Result<DatabaseUrl, ConfigError> {
    let Some(url) = value else {
        return Ok(DatabaseUrl::Sqlite {
            url: "sqlite://data/porch.db?mode=rwc".into(),
            dir: Some("data".into()),
        });
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(DatabaseUrl::Postgres { url });
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        if rest.starts_with(":memory:") || rest.contains("mode=memory") {
            return Ok(DatabaseUrl::Sqlite { url, dir: None });
        }
        let path = rest.trim_start_matches("//").split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(err(
                "DATABASE_URL",
                "sqlite URL has no file path (e.g. sqlite://data/porch.db)",
            ));
        }
        let dir = PathBuf::from(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(PathBuf::from);
        // Create the file on first start unless the URL already says how to open it.
        let url = if url.contains("mode=") {
            url
        } else if url.contains('?') {
            format!("{url}&mode=rwc")
        } else {
            format!("{url}?mode=rwc")
        };
        return Ok(DatabaseUrl::Sqlite { url, dir });
    }
    let scheme = url.split(':').next().unwrap_or_default();
    Err(err(
        "DATABASE_URL",
        format!("unsupported scheme {scheme:?} (use sqlite:// or postgres://)"),
    ))
}

fn parse_redis_url(url: String) -> Result<String, ConfigError> {
    let scheme = url.split("://").next().unwrap_or_default();
    if !matches!(scheme, "redis" | "rediss" | "redis-cluster" | "rediss-cluster") || !url.contains("://") {
        return Err(err(
            "REDIS_URL",
            format!("unsupported scheme {scheme:?} (use redis://, rediss:// or redis-cluster://)"),
        ));
    }
    fred::types::config::Config::from_url(&url).map_err(|e| err("REDIS_URL", format!("invalid: {}", e.details())))?;
    Ok(url)
}

fn parse_key_prefix(value: Option<String>) -> Result<String, ConfigError> {
    let prefix = value.unwrap_or_else(|| "porch:".into());
    // Braces would change which part of a key Redis Cluster hashes; keep prefixes plain.
    let ok = prefix.len() <= 64 && prefix.chars().all(|c| c.is_ascii_alphanumeric() || ":_-.".contains(c));
    if !ok {
        return Err(err(
            "REDIS_KEY_PREFIX",
            "use at most 64 characters from [A-Za-z0-9:_-.]",
        ));
    }
    Ok(prefix)
}

fn parse_number(
    var: &'static str,
    value: Option<String>,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    match value.parse::<usize>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(err(
            var,
            format!(
                "expected a number from {} to {}, got {value:?}",
                range.start(),
                range.end()
            ),
        )),
    }
}

/// `5/15m`: at most 5 per 15 minutes.
fn parse_limit(var: &'static str, value: Option<String>, default: Limit) -> Result<Limit, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    let parsed = value.split_once('/').and_then(|(max, window)| {
        let max: u32 = max.trim().parse().ok().filter(|m| *m > 0)?;
        let window = parse_duration(window).filter(|d| !d.is_zero())?;
        Some(Limit { max, window })
    });
    parsed.ok_or_else(|| err(var, format!("{value:?} is not a limit like 5/15m (count/duration)")))
}

fn parse_duration_var(var: &'static str, value: Option<String>, default: Duration) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => parse_duration(&v).filter(|d| !d.is_zero()).ok_or_else(|| {
            err(
                var,
                format!("expected a positive duration such as 300ms, 30m, 7d or 3600, got {v:?}"),
            )
        }),
    }
}

/// Parses `300ms`, `45s`, `30m`, `12h`, `7d`, or bare seconds.
pub fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    let split = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (digits, unit) = value.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let millis = match unit.trim() {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        _ => None,
    }?;
    Some(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(LeptosOptions::builder().output_name("porch").build(), |k| {
            map.get(k).cloned()
        })
    }

    const GOOD_SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_are_embedded_sqlite_and_memory_sessions() {
        let c = config(&[]).unwrap();
        assert_eq!(c.env, AppEnv::Development);
        assert_eq!(
            c.database,
            DatabaseUrl::Sqlite {
                url: "sqlite://data/porch.db?mode=rwc".into(),
                dir: Some("data".into())
            }
        );
        assert!(c.redis.is_none());
        assert_eq!(c.session.cookie_name, "session");
        assert!(!c.session.cookie_secure);
        assert_eq!(c.session.guest_idle_timeout, Duration::from_secs(1800));
        assert_eq!(c.session.user_idle_timeout, Duration::from_secs(7 * 86400));
        assert_eq!(c.session.user_absolute_timeout, Duration::from_secs(30 * 86400));
    }

    #[test]
    fn rate_limits_read_as_count_per_duration() {
        let c = config(&[("RATE_LIMIT_SIGN_IN", "3/10m"), ("RATE_LIMIT_SESSIONS", " 1000 / 1h ")]).unwrap();
        assert_eq!(c.rate_limits.sign_in, Limit::new(3, 600));
        assert_eq!(c.rate_limits.sessions, Limit::new(1000, 3600));
        assert_eq!(c.rate_limits.register, RateLimits::default().register);
        for bad in ["5", "0/1m", "5/0s", "x/1m", "5/soon"] {
            let e = config(&[("RATE_LIMIT_REGISTER", bad)]).unwrap_err();
            assert_eq!(e.var, "RATE_LIMIT_REGISTER", "{bad}");
        }
    }

    #[test]
    fn production_requires_redis_and_a_long_secret() {
        let e = config(&[("APP_ENV", "production")]).unwrap_err();
        assert_eq!(e.var, "REDIS_URL");
        let e = config(&[("APP_ENV", "production"), ("REDIS_URL", "redis://127.0.0.1:6379")]).unwrap_err();
        assert_eq!(e.var, "SESSION_SECRET");
        let e = config(&[
            ("APP_ENV", "production"),
            ("REDIS_URL", "redis://127.0.0.1"),
            ("SESSION_SECRET", "short"),
        ])
        .unwrap_err();
        assert_eq!(e.var, "SESSION_SECRET");
        assert!(e.to_string().starts_with("SESSION_SECRET: must be at least 64"), "{e}");
        let c = config(&[
            ("APP_ENV", "production"),
            ("REDIS_URL", "redis://127.0.0.1"),
            ("SESSION_SECRET", GOOD_SECRET),
        ])
        .unwrap();
        assert_eq!(c.session.cookie_name, "__Host-session");
        assert!(c.session.cookie_secure);
    }

    #[test]
    fn each_bad_variable_is_named_in_one_line() {
        let cases: &[(&str, &str)] = &[
            ("APP_ENV", "staging"),
            ("DATABASE_URL", "mysql://localhost/db"),
            ("DATABASE_URL", "sqlite://"),
            ("REDIS_URL", "http://localhost"),
            ("REDIS_KEY_PREFIX", "{bad}"),
            ("REDIS_COMMAND_TIMEOUT", "soon"),
            ("REDIS_POOL_SIZE", "0"),
            ("SESSION_GUEST_IDLE_TIMEOUT", "0"),
            ("SESSION_IDLE_TIMEOUT", "7 weeks"),
            ("SESSION_SECRET", "short"),
            ("TRUSTED_PROXIES", "10.0.0.1,nope"),
        ];
        for (var, value) in cases {
            let mut vars = vec![(*var, *value)];
            if var.starts_with("REDIS_") && *var != "REDIS_URL" {
                vars.push(("REDIS_URL", "redis://127.0.0.1"));
            }
            let e = config(&vars).unwrap_err();
            assert_eq!(&e.var, var, "{var}={value}");
            let line = e.to_string();
            assert!(line.starts_with(&format!("{var}: ")) && !line.contains('\n'), "{line}");
        }
        let e = config(&[("SESSION_IDLE_TIMEOUT", "40d")]).unwrap_err();
        assert_eq!(e.var, "SESSION_ABSOLUTE_TIMEOUT");
    }

    #[test]
    fn database_urls() {
        let c = config(&[("DATABASE_URL", "postgres://u:p@localhost/db")]).unwrap();
        assert_eq!(
            c.database,
            DatabaseUrl::Postgres {
                url: "postgres://u:p@localhost/db".into()
            }
        );
        let c = config(&[("DATABASE_URL", "sqlite://var/lib/app.db")]).unwrap();
        assert_eq!(
            c.database,
            DatabaseUrl::Sqlite {
                url: "sqlite://var/lib/app.db?mode=rwc".into(),
                dir: Some("var/lib".into())
            }
        );
        let c = config(&[("DATABASE_URL", "sqlite::memory:")]).unwrap();
        assert_eq!(
            c.database,
            DatabaseUrl::Sqlite {
                url: "sqlite::memory:".into(),
                dir: None
            }
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("300ms"), Some(Duration::from_millis(300)));
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(7 * 86400)));
        assert_eq!(parse_duration("7w"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
    }

    #[test]
    fn secrets_and_redis_urls_are_not_printed() {
        let c = config(&[
            ("REDIS_URL", "redis://:hunter2@127.0.0.1:6379"),
            ("SESSION_SECRET", GOOD_SECRET),
        ])
        .unwrap();
        let printed = format!("{c:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains(GOOD_SECRET),
            "{printed}"
        );
    }
}
