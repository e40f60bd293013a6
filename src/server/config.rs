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
    /// Failed password sign-ins of one account from anywhere; past it, the account's password
    /// sign-in pauses (see [`SecurityConfig::sign_in_pause`]).
    pub sign_in_account: Limit,
    /// Second-factor codes tried per account (signing in, confirming, turning it off).
    pub second_factor: Limit,
    /// Registrations per client address.
    pub register: Limit,
    /// New sessions per client address.
    pub sessions: Limit,
    /// Role changes (promotions, demotions) per admin.
    pub role_change: Limit,
    /// Account mails asked for (password reset, verification again, address change) per
    /// address they would go to, whether or not an account has it.
    pub mail_address: Limit,
    /// Account mails asked for per client address.
    pub mail_client: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            sign_in: Limit::new(5, 15 * 60),
            sign_in_ip: Limit::new(50, 15 * 60),
            sign_in_account: Limit::new(20, 3600),
            second_factor: Limit::new(10, 15 * 60),
            register: Limit::new(10, 3600),
            sessions: Limit::new(300, 10 * 60),
            role_change: Limit::new(30, 3600),
            mail_address: Limit::new(5, 3600),
            mail_client: Limit::new(20, 3600),
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
    /// Lines to log at start-up: variables set that Porch does not read (from the seeds'
    /// `.env` files), each saying what Porch uses instead.
    pub warnings: Vec<String>,
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
    /// Serve `/`, `/login`, `/register`, `/settings` and the 404 page from rendered templates
    /// (`server::page::cache`); `PAGE_CACHE=false` renders every view (for comparisons).
    pub page_cache: bool,
    /// How often each instance probes Redis and the database on its own (seed 001's scheduled
    /// health check, every 5 minutes by default).
    pub health_check_interval: Duration,
    pub mail: MailConfig,
    pub security: SecurityConfig,
}

/// Account security settings (issue 20).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityConfig {
    /// `REAUTH_WINDOW` (15 min): how long an authentication (password, passkey or code) lets
    /// the user make sensitive changes without confirming again.
    pub reauth_window: Duration,
    /// `SIGN_IN_PAUSE` (15 min): the first pause of an account's password sign-in after
    /// `RATE_LIMIT_SIGN_IN_ACCOUNT` failures; each further pause within a day is twice the last,
    /// up to a day.
    pub sign_in_pause: Duration,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            reauth_window: Duration::from_secs(15 * 60),
            sign_in_pause: Duration::from_secs(15 * 60),
        }
    }
}

/// Mail settings (`server::mail`).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `SMTP_URL`, or `.eml` files in `MAIL_OUTBOX_DIR` (`data/outbox`) without it.
    pub transport: crate::server::mail::MailTransport,
    /// `MAIL_FROM`: `Porch <no-reply@…>` by default, the domain from `PUBLIC_URL`.
    pub from: lettre::message::Mailbox,
    /// `PUBLIC_URL`, without a trailing slash: the start of every link in a mail. Required in
    /// production; `http://<site address>` in development.
    pub public_url: String,
    /// `MAIL_RETRY_BASE` (10 s): the first wait after a failed delivery, doubled each time.
    pub retry_base: Duration,
    /// `MAIL_POLL_INTERVAL` (5 s): how often the sender looks for mail queued by other
    /// instances (this instance's own mail wakes it at once).
    pub poll_interval: Duration,
    /// `REQUIRE_VERIFIED_EMAIL`: accounts must verify their address before signing in.
    pub require_verified_email: bool,
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

        let redis = match redis_url(&get)? {
            None if production => {
                return Err(err(
                    "REDIS_URL",
                    "required when APP_ENV=production (sessions must outlive the process); \
                     or REDIS_HOST (with REDIS_PORT, REDIS_PASSWORD, REDIS_DB), or UPSTASH_URL",
                ))
            }
            None => None,
            Some(url) => Some(RedisConfig {
                url,
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
        let user_idle_timeout = match (get("SESSION_IDLE_TIMEOUT"), get("SESSION_TTL")) {
            (Some(idle), Some(ttl)) if parse_duration(&idle) != parse_duration(&ttl) => {
                return Err(err(
                    "SESSION_IDLE_TIMEOUT",
                    "set together with SESSION_TTL to another value; use one of them",
                ))
            }
            // Seed 003's name for the same setting (seconds; `7d` and the like work too).
            (None, Some(ttl)) => parse_duration_var("SESSION_TTL", Some(ttl), Duration::ZERO)?,
            (idle, _) => parse_duration_var("SESSION_IDLE_TIMEOUT", idle, Duration::from_secs(7 * 24 * 3600))?,
        };
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
            let idle = if get("SESSION_IDLE_TIMEOUT").is_none() && get("SESSION_TTL").is_some() {
                "SESSION_TTL"
            } else {
                "SESSION_IDLE_TIMEOUT"
            };
            return Err(err(
                "SESSION_ABSOLUTE_TIMEOUT",
                format!("must not be shorter than {idle} (30d unless set)"),
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
            sign_in_account: parse_limit(
                "RATE_LIMIT_SIGN_IN_ACCOUNT",
                get("RATE_LIMIT_SIGN_IN_ACCOUNT"),
                defaults.sign_in_account,
            )?,
            second_factor: parse_limit(
                "RATE_LIMIT_SECOND_FACTOR",
                get("RATE_LIMIT_SECOND_FACTOR"),
                defaults.second_factor,
            )?,
            register: parse_limit("RATE_LIMIT_REGISTER", get("RATE_LIMIT_REGISTER"), defaults.register)?,
            sessions: parse_limit("RATE_LIMIT_SESSIONS", get("RATE_LIMIT_SESSIONS"), defaults.sessions)?,
            role_change: parse_limit(
                "RATE_LIMIT_ROLE_CHANGE",
                get("RATE_LIMIT_ROLE_CHANGE"),
                defaults.role_change,
            )?,
            mail_address: parse_limit(
                "RATE_LIMIT_MAIL_ADDRESS",
                get("RATE_LIMIT_MAIL_ADDRESS"),
                defaults.mail_address,
            )?,
            mail_client: parse_limit(
                "RATE_LIMIT_MAIL_CLIENT",
                get("RATE_LIMIT_MAIL_CLIENT"),
                defaults.mail_client,
            )?,
        };

        let mail = mail_config(&get, &leptos, production)?;
        let warnings = UNUSED_SEED_VARIABLES
            .iter()
            .filter(|(name, _)| get(name).is_some())
            .map(|(name, instead)| format!("{name} is set but Porch does not use it: {instead}"))
            .collect();

        Ok(Config {
            warnings,
            env,
            leptos,
            database,
            redis,
            session,
            secret,
            trusted_proxies,
            rate_limits,
            security: SecurityConfig {
                reauth_window: match parse_duration_var(
                    "REAUTH_WINDOW",
                    get("REAUTH_WINDOW"),
                    SecurityConfig::default().reauth_window,
                )? {
                    d if d.is_zero() => return Err(err("REAUTH_WINDOW", "must be more than zero")),
                    d => d,
                },
                sign_in_pause: match parse_duration_var(
                    "SIGN_IN_PAUSE",
                    get("SIGN_IN_PAUSE"),
                    SecurityConfig::default().sign_in_pause,
                )? {
                    d if d < Duration::from_secs(1) => return Err(err("SIGN_IN_PAUSE", "must be at least 1s")),
                    d => d,
                },
            },
            request_timeout: parse_duration_var("REQUEST_TIMEOUT", get("REQUEST_TIMEOUT"), Duration::from_secs(15))?,
            health_check_interval: match parse_duration_var(
                "HEALTH_CHECK_INTERVAL",
                get("HEALTH_CHECK_INTERVAL"),
                Duration::from_secs(5 * 60),
            )? {
                short if short < Duration::from_millis(100) => {
                    return Err(err("HEALTH_CHECK_INTERVAL", "must be at least 100ms"))
                }
                interval => interval,
            },
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
            metrics_public: parse_bool("METRICS_PUBLIC", get("METRICS_PUBLIC"))?,
            page_cache: match get("PAGE_CACHE") {
                None => true,
                value => parse_bool("PAGE_CACHE", value)?,
            },
            mail,
        })
    }

    pub fn is_production(&self) -> bool {
        self.env == AppEnv::Production
    }
}

fn parse_bool(var: &'static str, value: Option<String>) -> Result<bool, ConfigError> {
    match value.as_deref() {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(err(var, format!("{other:?}: use true or false"))),
    }
}

fn mail_config(
    get: &impl Fn(&str) -> Option<String>,
    leptos: &LeptosOptions,
    production: bool,
) -> Result<MailConfig, ConfigError> {
    use crate::server::mail::MailTransport;
    let public_url =
        match get("PUBLIC_URL") {
            Some(value) => {
                let parsed = url::Url::parse(&value)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .filter(|u| u.query().is_none() && u.fragment().is_none())
                    .ok_or_else(|| {
                        err(
                            "PUBLIC_URL",
                            "must be the site's address, like https://porch.example.com (http or https, no query)",
                        )
                    })?;
                parsed.as_str().trim_end_matches('/').to_owned()
            }
            None if production => return Err(err(
                "PUBLIC_URL",
                "required when APP_ENV=production: the address links in mails point to, like https://porch.example.com",
            )),
            None => format!("http://{}", leptos.site_addr),
        };
    let from = match get("MAIL_FROM") {
        Some(value) => value.parse().map_err(|_| {
            err(
                "MAIL_FROM",
                "must be an address, optionally with a name: Porch <no-reply@example.com>",
            )
        })?,
        None => {
            // The site's own domain; an IP address or `localhost` is no domain to send from.
            let domain = url::Url::parse(&public_url)
                .ok()
                .and_then(|u| u.domain().map(str::to_owned))
                .filter(|d| d.contains('.'));
            let host = match domain {
                Some(domain) => domain,
                // Mail servers refuse `localhost` senders: in production, say who sends.
                None if production => {
                    return Err(err(
                        "MAIL_FROM",
                        "required when PUBLIC_URL has no domain to send from (like Porch <no-reply@example.com>)",
                    ))
                }
                None => "localhost".into(),
            };
            format!("Porch <no-reply@{host}>")
                .parse()
                .map_err(|_| err("MAIL_FROM", "required: the PUBLIC_URL domain makes no address"))?
        }
    };
    let transport = match get("SMTP_URL") {
        Some(url) => {
            let ok = url::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "smtp" | "smtps") && u.host().is_some());
            if !ok {
                // Never echoed: it may hold a password.
                return Err(err(
                    "SMTP_URL",
                    "must look like smtp://host:587 or smtps://user:password@host:465",
                ));
            }
            MailTransport::Smtp { url }
        }
        // Files in production only when asked for by name: links that open accounts would
        // otherwise lie in a directory no one reads, and no user would get their mail.
        None => match get("MAIL_OUTBOX_DIR") {
            None if production => {
                return Err(err(
                    "SMTP_URL",
                    "required when APP_ENV=production (or MAIL_OUTBOX_DIR, to write mail as files on purpose)",
                ))
            }
            dir => MailTransport::Files {
                dir: dir.unwrap_or_else(|| "data/outbox".into()).into(),
                // A link in a mail opens an account: in production it is never logged.
                log_links: !production,
            },
        },
    };
    let positive = |var: &'static str, default: Duration| match parse_duration_var(var, get(var), default)? {
        d if d.is_zero() => Err(err(var, "must be more than zero")),
        d => Ok(d),
    };
    Ok(MailConfig {
        transport,
        from,
        public_url,
        retry_base: positive("MAIL_RETRY_BASE", Duration::from_secs(10))?,
        poll_interval: positive("MAIL_POLL_INTERVAL", Duration::from_secs(5))?,
        require_verified_email: parse_bool("REQUIRE_VERIFIED_EMAIL", get("REQUIRE_VERIFIED_EMAIL"))?,
    })
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

/// Variables from the seeds' `.env` files that Porch does not read, and what it reads instead.
const UNUSED_SEED_VARIABLES: [(&str, &str); 4] = [
    (
        "JWT_SECRET",
        "sessions live on the server and bearer tokens are random, not JWTs; cookies are signed with SESSION_SECRET",
    ),
    (
        "JWT_EXPIRES_IN",
        "a signed-in session ends after SESSION_IDLE_TIMEOUT (or SESSION_TTL) idle, and after SESSION_ABSOLUTE_TIMEOUT in all",
    ),
    (
        "DB_URI",
        "accounts are stored in the SQLite or PostgreSQL database named by DATABASE_URL",
    ),
    (
        "MONGODB_URI",
        "accounts are stored in the SQLite or PostgreSQL database named by DATABASE_URL",
    ),
];

/// Where Redis is, from Porch's `REDIS_URL` or the seeds' names for it: `UPSTASH_URL` (seed
/// 000), or `REDIS_HOST`/`REDIS_PORT` (seed 002, default `localhost:6379`). `REDIS_PASSWORD` and
/// `REDIS_DB` (seeds 002 and 003) complete whichever URL is used when it carries none of its
/// own. Two places saying different things are an error naming both; `None`: none is set.
fn redis_url(get: &impl Fn(&str) -> Option<String>) -> Result<Option<String>, ConfigError> {
    let host = get("REDIS_HOST");
    let port = get("REDIS_PORT");
    let (password, db) = (get("REDIS_PASSWORD"), get("REDIS_DB"));
    let (var, url) = match (get("REDIS_URL"), get("UPSTASH_URL"), &host) {
        (Some(_), _, Some(_)) => {
            return Err(err(
                "REDIS_URL",
                "set together with REDIS_HOST; use one of them (REDIS_URL, or REDIS_HOST with REDIS_PORT)",
            ))
        }
        (None, Some(_), Some(_)) => return Err(err("UPSTASH_URL", "set together with REDIS_HOST; use one of them")),
        (Some(url), Some(upstash), None) if url != upstash => {
            return Err(err(
                "REDIS_URL",
                "set together with UPSTASH_URL to another address; use one of them",
            ))
        }
        (url, upstash, None) if port.is_some() && (url.is_some() || upstash.is_some()) => {
            let var = if url.is_some() { "REDIS_URL" } else { "UPSTASH_URL" };
            return Err(err(
                "REDIS_PORT",
                format!("set together with {var}; the port goes in the URL, or use REDIS_HOST with REDIS_PORT"),
            ));
        }
        (Some(url), _, None) => ("REDIS_URL", url),
        (None, Some(upstash), None) => ("UPSTASH_URL", upstash),
        (None, None, _) if host.is_some() || port.is_some() => {
            let host = host.as_deref().unwrap_or("localhost");
            let port = match &port {
                None => 6379,
                Some(p) => p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| err("REDIS_PORT", format!("expected a port from 1 to 65535, got {p:?}")))?,
            };
            // Bracketed when it is an IPv6 address.
            let host = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]")
            } else {
                host.to_owned()
            };
            ("REDIS_HOST", format!("redis://{host}:{port}"))
        }
        // A password or database alone names no Redis: refuse rather than run in memory.
        (None, None, _) if password.is_some() || db.is_some() => {
            let var = if password.is_some() {
                "REDIS_PASSWORD"
            } else {
                "REDIS_DB"
            };
            return Err(err(
                var,
                "set, but no Redis address is (set REDIS_URL, REDIS_HOST or UPSTASH_URL)",
            ));
        }
        (None, None, _) => return Ok(None),
    };
    let original = url.clone();
    let mut url = parse_redis_url(var, url)?;
    if password.is_none() && db.is_none() {
        // Used as written: no normalisation to surprise anyone.
        return Ok(Some(original));
    }
    if let Some(password) = password {
        match url.password() {
            // Encoded whole: the URL's reader decodes `%XX`, so a `%` in the password must
            // arrive as `%25`.
            None => url
                .set_password(Some(
                    &percent_encoding::utf8_percent_encode(&password, percent_encoding::NON_ALPHANUMERIC).to_string(),
                ))
                .map_err(|()| err("REDIS_PASSWORD", format!("cannot be added to {var}")))?,
            Some(own) if percent_encoding::percent_decode_str(own).decode_utf8_lossy() == password => {}
            Some(_) => {
                return Err(err(
                    "REDIS_PASSWORD",
                    format!("differs from the password in {var}; use one of them"),
                ))
            }
        }
    }
    if let Some(db) = db {
        let number: u32 = db
            .parse()
            .map_err(|_| err("REDIS_DB", format!("expected a database number, got {db:?}")))?;
        let own = url.path().trim_start_matches('/').to_owned();
        if url.scheme().ends_with("-cluster") && number != 0 {
            return Err(err("REDIS_DB", "a Redis Cluster has only database 0"));
        }
        if own.is_empty() {
            url.set_path(&format!("/{number}"));
        } else if own.parse::<u32>().ok() != Some(number) {
            return Err(err(
                "REDIS_DB",
                format!("differs from the database in {var}; use one of them"),
            ));
        }
    }
    let url = url.to_string();
    fred::types::config::Config::from_url(&url).map_err(|e| err(var, format!("invalid: {}", e.details())))?;
    Ok(Some(url))
}

fn parse_redis_url(var: &'static str, url: String) -> Result<url::Url, ConfigError> {
    let Some((scheme, _)) = url.split_once("://") else {
        // Never echoed: what is there may be a password.
        return Err(err(
            var,
            "not a URL (use redis://host:6379, rediss:// or redis-cluster://)",
        ));
    };
    if !matches!(scheme, "redis" | "rediss" | "redis-cluster" | "rediss-cluster") {
        let shown = if scheme.len() <= 16 && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
            format!(" {scheme:?}")
        } else {
            String::new()
        };
        return Err(err(
            var,
            format!("unsupported scheme{shown} (use redis://, rediss:// or redis-cluster://)"),
        ));
    }
    fred::types::config::Config::from_url(&url).map_err(|e| err(var, format!("invalid: {}", e.details())))?;
    url::Url::parse(&url).map_err(|e| err(var, format!("invalid: {e}")))
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
        let e = config(&[
            ("APP_ENV", "production"),
            ("REDIS_URL", "redis://127.0.0.1"),
            ("SESSION_SECRET", GOOD_SECRET),
        ])
        .unwrap_err();
        assert_eq!(e.var, "PUBLIC_URL");
        let e = config(&[
            ("APP_ENV", "production"),
            ("REDIS_URL", "redis://127.0.0.1"),
            ("SESSION_SECRET", GOOD_SECRET),
            ("PUBLIC_URL", "https://porch.example.com/"),
        ])
        .unwrap_err();
        assert_eq!(e.var, "SMTP_URL", "no mail server in production is no mail at all");
        let e = config(&[
            ("APP_ENV", "production"),
            ("REDIS_URL", "redis://127.0.0.1"),
            ("SESSION_SECRET", GOOD_SECRET),
            ("PUBLIC_URL", "https://10.0.0.5"),
            ("SMTP_URL", "smtp://mail.internal"),
        ])
        .unwrap_err();
        assert_eq!(e.var, "MAIL_FROM", "no domain to send from");
        let c = config(&[
            ("APP_ENV", "production"),
            ("REDIS_URL", "redis://127.0.0.1"),
            ("SESSION_SECRET", GOOD_SECRET),
            ("PUBLIC_URL", "https://porch.example.com/"),
            ("SMTP_URL", "smtp://mail.internal"),
        ])
        .unwrap();
        assert_eq!(c.mail.public_url, "https://porch.example.com");
        assert_eq!(c.mail.from.to_string(), "Porch <no-reply@porch.example.com>");
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
            ("PUBLIC_URL", "porch.example.com"),
            ("PUBLIC_URL", "ftp://porch.example.com"),
            ("PUBLIC_URL", "https://porch.example.com/?a=b"),
            ("MAIL_FROM", "Porch"),
            ("MAIL_FROM", "a@b\r\nBcc: c@d"),
            ("SMTP_URL", "http://mail.example.com"),
            ("SMTP_URL", "mail.example.com:25"),
            ("MAIL_RETRY_BASE", "0s"),
            ("REQUIRE_VERIFIED_EMAIL", "yes"),
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
        // An SMTP URL may hold a password: never echoed.
        let line = config(&[("SMTP_URL", "smtpx://user:hunter2@mail")])
            .unwrap_err()
            .to_string();
        assert!(!line.contains("hunter2"), "{line}");
    }

    #[test]
    fn mail_goes_to_files_without_an_smtp_server() {
        use crate::server::mail::MailTransport;
        let c = config(&[]).unwrap();
        assert_eq!(
            c.mail.transport,
            MailTransport::Files {
                dir: "data/outbox".into(),
                log_links: true,
            }
        );
        assert!(c.mail.public_url.starts_with("http://"), "{}", c.mail.public_url);
        assert_eq!(c.mail.from.email.to_string(), "no-reply@localhost");
        assert!(!c.mail.require_verified_email);
        let c = config(&[
            ("SMTP_URL", "smtps://user:pw@mail.example.com"),
            ("MAIL_FROM", "Accounts <accounts@example.com>"),
            ("REQUIRE_VERIFIED_EMAIL", "true"),
        ])
        .unwrap();
        assert!(matches!(c.mail.transport, MailTransport::Smtp { .. }));
        assert_eq!(c.mail.from.to_string(), "Accounts <accounts@example.com>");
        assert!(c.mail.require_verified_email);
    }

    fn redis_of(vars: &[(&str, &str)]) -> Option<String> {
        config(vars).unwrap().redis.map(|r| r.url)
    }

    #[test]
    fn redis_host_and_port_build_the_url_when_redis_url_is_unset() {
        // Seed 002's names; the host alone means the default port, any of them means Redis.
        assert_eq!(
            redis_of(&[("REDIS_HOST", "cache.internal"), ("REDIS_PORT", "6380")]).as_deref(),
            Some("redis://cache.internal:6380")
        );
        assert_eq!(
            redis_of(&[("REDIS_HOST", "cache.internal")]).as_deref(),
            Some("redis://cache.internal:6379")
        );
        assert_eq!(
            redis_of(&[("REDIS_PORT", "6390")]).as_deref(),
            Some("redis://localhost:6390")
        );
        // A password or database alone names no server: an error, not memory.
        assert_eq!(config(&[("REDIS_PASSWORD", "pw")]).unwrap_err().var, "REDIS_PASSWORD");
        assert_eq!(config(&[("REDIS_DB", "1")]).unwrap_err().var, "REDIS_DB");
        // A port beside a URL is a conflict, like a host.
        let line = config(&[("REDIS_URL", "redis://a:6379"), ("REDIS_PORT", "6380")])
            .unwrap_err()
            .to_string();
        assert!(line.starts_with("REDIS_PORT: ") && line.contains("REDIS_URL"), "{line}");
        assert_eq!(
            redis_of(&[("REDIS_HOST", "::1")]).as_deref(),
            Some("redis://[::1]:6379")
        );
        for port in ["0", "65536", "redis", "-1"] {
            let e = config(&[("REDIS_HOST", "h"), ("REDIS_PORT", port)]).unwrap_err();
            assert_eq!(e.var, "REDIS_PORT", "{port}");
        }
    }

    #[test]
    fn redis_password_and_db_complete_the_url() {
        // Seed 003 sets them beside REDIS_URL; seed 002 beside REDIS_HOST.
        assert_eq!(
            redis_of(&[
                ("REDIS_URL", "redis://localhost:6379"),
                ("REDIS_PASSWORD", "p@ss:word/1"),
                ("REDIS_DB", "2")
            ])
            .as_deref(),
            Some("redis://:p%40ss%3Aword%2F1@localhost:6379/2")
        );
        assert_eq!(
            redis_of(&[("REDIS_HOST", "h"), ("REDIS_PASSWORD", "pw"), ("REDIS_DB", "0")]).as_deref(),
            Some("redis://:pw@h:6379/0")
        );
        // The same value in both places is no conflict; another is, and names both.
        assert_eq!(
            redis_of(&[
                ("REDIS_URL", "redis://:pw@h:6379/3"),
                ("REDIS_PASSWORD", "pw"),
                ("REDIS_DB", "3")
            ])
            .as_deref(),
            Some("redis://:pw@h:6379/3")
        );
        let e = config(&[("REDIS_URL", "redis://:one@h:6379"), ("REDIS_PASSWORD", "two")]).unwrap_err();
        assert_eq!(e.var, "REDIS_PASSWORD");
        assert!(e.to_string().contains("REDIS_URL"), "{e}");
        let e = config(&[("REDIS_URL", "redis://h:6379/1"), ("REDIS_DB", "2")]).unwrap_err();
        assert_eq!(e.var, "REDIS_DB");
        assert!(e.to_string().contains("REDIS_URL"), "{e}");
        let e = config(&[("REDIS_URL", "redis://h:6379"), ("REDIS_DB", "0  # Default database")]).unwrap_err();
        assert_eq!(e.var, "REDIS_DB");
        let e = config(&[("REDIS_URL", "redis-cluster://h:7000"), ("REDIS_DB", "1")]).unwrap_err();
        assert_eq!(e.var, "REDIS_DB");
        // Whatever the password holds reaches Redis as it was written.
        for password in ["Zx%41q", "p@ss:word/1", "a b+c", "ünï"] {
            let url = redis_of(&[("REDIS_HOST", "h"), ("REDIS_PASSWORD", password)]).unwrap();
            let parsed = fred::types::config::Config::from_url(&url).unwrap();
            assert_eq!(parsed.password.as_deref(), Some(password), "{url}");
        }
    }

    #[test]
    fn rediss_means_tls() {
        for url in ["rediss://default:tok@eu1.upstash.io:6379", "rediss-cluster://h:7000"] {
            let parsed = fred::types::config::Config::from_url(url).unwrap();
            assert!(parsed.tls.is_some(), "{url} connects with TLS");
        }
        assert!(fred::types::config::Config::from_url("redis://h:6379")
            .unwrap()
            .tls
            .is_none());
    }

    #[test]
    fn a_redis_value_that_is_not_a_url_is_not_echoed() {
        for (var, value) in [
            ("UPSTASH_URL", "default:s3cret@eu1.upstash.io:6379"),
            ("REDIS_URL", "s3cret@host"),
            ("REDIS_URL", "https://user:s3cret@host"),
        ] {
            let line = config(&[(var, value)]).unwrap_err().to_string();
            assert!(
                line.starts_with(&format!("{var}: ")) && !line.contains("s3cret"),
                "{line}"
            );
        }
    }

    #[test]
    fn upstash_url_is_a_redis_url() {
        assert_eq!(
            redis_of(&[("UPSTASH_URL", "rediss://default:tok@eu1.upstash.io:6379")]).as_deref(),
            Some("rediss://default:tok@eu1.upstash.io:6379")
        );
        assert_eq!(
            redis_of(&[("UPSTASH_URL", "redis://h:1"), ("REDIS_URL", "redis://h:1")]).as_deref(),
            Some("redis://h:1"),
            "the same address twice is no conflict"
        );
        let e = config(&[("UPSTASH_URL", "redis://a:1"), ("REDIS_URL", "redis://b:1")]).unwrap_err();
        assert!(
            e.to_string().contains("REDIS_URL") && e.to_string().contains("UPSTASH_URL"),
            "{e}"
        );
        let e = config(&[("UPSTASH_URL", "https://eu1.upstash.io")]).unwrap_err();
        assert_eq!(e.var, "UPSTASH_URL");
    }

    #[test]
    fn redis_url_and_redis_host_together_are_an_error_naming_both() {
        for vars in [
            &[("REDIS_URL", "redis://a:6379"), ("REDIS_HOST", "b")][..],
            &[
                ("REDIS_URL", "redis://a:6379"),
                ("REDIS_HOST", "a"),
                ("REDIS_PORT", "6379"),
            ][..],
        ] {
            let line = config(vars).unwrap_err().to_string();
            assert!(line.starts_with("REDIS_URL: ") && line.contains("REDIS_HOST"), "{line}");
        }
        let line = config(&[("UPSTASH_URL", "redis://a:6379"), ("REDIS_HOST", "b")])
            .unwrap_err()
            .to_string();
        assert!(line.contains("UPSTASH_URL") && line.contains("REDIS_HOST"), "{line}");
    }

    #[test]
    fn production_accepts_the_seeds_redis_names() {
        let c = config(&[
            ("APP_ENV", "production"),
            ("SESSION_SECRET", GOOD_SECRET),
            ("REDIS_HOST", "redis"),
            ("PUBLIC_URL", "https://porch.example.com"),
            ("MAIL_OUTBOX_DIR", "/var/spool/porch"),
        ])
        .unwrap();
        assert_eq!(c.redis.unwrap().url, "redis://redis:6379");
    }

    #[test]
    fn session_ttl_sets_the_signed_in_idle_timeout() {
        // Seed 003: seconds.
        let c = config(&[("SESSION_TTL", "604800")]).unwrap();
        assert_eq!(c.session.user_idle_timeout, Duration::from_secs(604_800));
        let c = config(&[("SESSION_TTL", "3600")]).unwrap();
        assert_eq!(c.session.user_idle_timeout, Duration::from_secs(3600));
        assert_eq!(
            c.session.guest_idle_timeout,
            Duration::from_secs(30 * 60),
            "guests keep theirs"
        );
        let c = config(&[("SESSION_TTL", "3600"), ("SESSION_IDLE_TIMEOUT", "1h")]).unwrap();
        assert_eq!(
            c.session.user_idle_timeout,
            Duration::from_secs(3600),
            "the same, said twice"
        );
        let line = config(&[("SESSION_TTL", "3600"), ("SESSION_IDLE_TIMEOUT", "2h")])
            .unwrap_err()
            .to_string();
        assert!(
            line.contains("SESSION_IDLE_TIMEOUT") && line.contains("SESSION_TTL"),
            "{line}"
        );
        assert_eq!(config(&[("SESSION_TTL", "soon")]).unwrap_err().var, "SESSION_TTL");
        let line = config(&[("SESSION_TTL", "40d")]).unwrap_err().to_string();
        assert!(line.contains("SESSION_TTL"), "names what the operator set: {line}");
        assert_eq!(config(&[("SESSION_TTL", "0")]).unwrap_err().var, "SESSION_TTL");
    }

    #[test]
    fn variables_porch_does_not_use_get_one_warning_each() {
        assert!(config(&[]).unwrap().warnings.is_empty());
        let c = config(&[
            ("JWT_SECRET", "x"),
            ("JWT_EXPIRES_IN", "24h"),
            ("DB_URI", "mongodb://localhost:27017/amplifyx"),
            ("MONGODB_URI", "mongodb://localhost"),
        ])
        .unwrap();
        assert_eq!(c.warnings.len(), 4, "{:?}", c.warnings);
        for (name, instead) in [
            ("JWT_SECRET", "SESSION_SECRET"),
            ("JWT_EXPIRES_IN", "SESSION_IDLE_TIMEOUT"),
            ("DB_URI", "DATABASE_URL"),
            ("MONGODB_URI", "DATABASE_URL"),
        ] {
            let line = c.warnings.iter().find(|w| w.starts_with(name)).expect(name);
            assert!(line.contains(instead), "{line}");
        }
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
