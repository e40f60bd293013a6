//! Test harness: `spawn_app` starts the real application exactly as `main` does, on port 0,
//! with a fresh database (`database`) and a unique Redis key prefix (`redis` has the tools to
//! look at it), so tests run in parallel; [`TestApp`] has the requests tests make again and
//! again.

mod database;
mod mail;
mod redis;

pub use database::{fresh_database_url, shared_database_url};
pub use mail::{
    link_token, mailed_token, mails_to, outbox_drained, smtp_options, smtp_url, wait_for_mail, MaildevProcess,
};
pub use porch::server::backend::keys::{session_tag, Keys};
pub use redis::{everything_under, names, redis, redis_cli, Monitor, OwnRedis};

use std::{
    collections::HashMap,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use porch::server::{
    config::Config,
    startup::{Application, StartupError},
    state::AppState,
};
use reqwest::{header::HeaderMap, StatusCode};
use tokio::sync::oneshot;

/// Redis used by tests; the README's test command starts one on the default port.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub const TEST_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef0123456789abcdef0123";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name unique to this test process and call.
pub fn unique(kind: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{kind}{}_{n}_{nanos:x}", std::process::id())
}

#[derive(Debug, Clone)]
pub struct TestOptions {
    /// `Some(url)`: sessions in that Redis; `None`: in process memory.
    pub redis_url: Option<String>,
    pub prefix: String,
    /// Extra environment variables for the configuration.
    pub vars: Vec<(String, String)>,
    /// Reuse this database URL instead of creating a fresh database.
    pub database_url: Option<String>,
    /// Serve static files from here instead of the built site (`target/site`).
    pub site_root: Option<String>,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            redis_url: Some(redis_url()),
            prefix: format!("{}:", unique("t")),
            vars: Vec::new(),
            database_url: None,
            site_root: None,
        }
    }
}

impl TestOptions {
    pub fn memory() -> Self {
        Self {
            redis_url: None,
            ..Self::default()
        }
    }

    /// Options whose database other instances can open too (PostgreSQL when the run has one,
    /// else a SQLite file), for tests of several instances ([`TestApp::twin`]).
    pub async fn shared() -> Self {
        Self {
            database_url: Some(shared_database_url().await),
            ..Self::default()
        }
    }

    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.push((name.into(), value.into()));
        self
    }
}

pub struct TestApp {
    pub address: String,
    /// The private metrics listener, when `METRICS_ADDR` was set.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub options: TestOptions,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestOptions::default()).await
}

pub fn build_config(options: &TestOptions, database_url: &str) -> Result<Config, porch::server::config::ConfigError> {
    let mut leptos = leptos::config::get_configuration(Some("Leptos.toml"))
        .expect("Leptos.toml")
        .leptos_options;
    leptos.site_addr = "127.0.0.1:0".parse().unwrap();
    if let Some(root) = &options.site_root {
        leptos.site_root = root.as_str().into();
    }
    let mut vars: HashMap<String, String> = HashMap::new();
    // Tests about something else must not trip the rate limits; tests/it/ratelimit.rs sets its own.
    for limit in [
        "RATE_LIMIT_SIGN_IN",
        "RATE_LIMIT_SIGN_IN_IP",
        "RATE_LIMIT_REGISTER",
        "RATE_LIMIT_SESSIONS",
        "RATE_LIMIT_MAIL_ADDRESS",
        "RATE_LIMIT_MAIL_CLIENT",
    ] {
        vars.insert(limit.into(), "100000/1h".into());
    }
    // Mail goes to files unless a test asks for the SMTP server (`smtp_options`).
    let outbox = std::env::temp_dir().join("porch-test-outbox");
    vars.insert("MAIL_OUTBOX_DIR".into(), outbox.display().to_string());
    vars.insert("MAIL_RETRY_BASE".into(), "200ms".into());
    // Required in production (tests of production settings run too); links are only read.
    vars.insert("PUBLIC_URL".into(), "http://porch.test:3000".into());
    vars.insert("DATABASE_URL".into(), database_url.into());
    vars.insert("SESSION_SECRET".into(), TEST_SECRET.into());
    if let Some(url) = &options.redis_url {
        vars.insert("REDIS_URL".into(), url.clone());
        vars.insert("REDIS_KEY_PREFIX".into(), options.prefix.clone());
    }
    for (k, v) in &options.vars {
        vars.insert(k.clone(), v.clone());
    }
    Config::from_lookup(leptos, |k| vars.get(k).cloned())
}

/// Server logs go to each test's captured output, so a failure shows what the app saw.
fn init_test_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,porch=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

pub async fn try_spawn_app(options: TestOptions) -> Result<TestApp, StartupError> {
    init_test_logging();
    let mut options = options;
    let database_url = match &options.database_url {
        Some(url) => url.clone(),
        None => fresh_database_url().await,
    };
    options.database_url = Some(database_url.clone());
    let config = build_config(&options, &database_url).expect("test configuration");
    let app = Application::build(config).await?;
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}"));
    let state = app.state().clone();
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(async move {
        app.run_until(async {
            let _ = rx.await;
        })
        .await
        .expect("server");
    });
    Ok(TestApp {
        address,
        metrics_address,
        client: client(),
        options,
        state,
        shutdown: Some(tx),
        server: Some(server),
    })
}

pub async fn spawn_app_with(options: TestOptions) -> TestApp {
    try_spawn_app(options).await.expect("app starts")
}

/// A cookie-aware client that does not follow redirects and acts as the app's own pages.
pub fn client() -> reqwest::Client {
    // What a browser says about a request from one of the app's own pages; without it (or an
    // Origin) a state-changing request with cookies is refused as cross-site.
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "sec-fetch-site",
        reqwest::header::HeaderValue::from_static("same-origin"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// A page as a browser asks for it (`Accept: text/html`), by `client`: it must answer 200;
    /// its HTML, without Leptos's hydration markers (`<!>`).
    pub async fn page(&self, client: &reqwest::Client, path: &str) -> String {
        let (status, html) = self.html(client, path).await;
        assert_eq!(status, 200, "{path}");
        html
    }

    /// A page as a browser asks for it, whatever it answers: its status and its HTML, without
    /// Leptos's hydration markers.
    pub async fn html(&self, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
        let res = client
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request");
        let status = res.status();
        (status, res.text().await.expect("a body").replace("<!>", ""))
    }

    /// The status `client` gets for a plain `GET path`.
    pub async fn status_of(&self, client: &reqwest::Client, path: &str) -> StatusCode {
        client.get(self.url(path)).send().await.expect("request").status()
    }

    /// A server function called as the page's JavaScript calls it (a form-encoded body).
    pub async fn server_fn(&self, client: &reqwest::Client, name: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client
            .post(self.url(&format!("/api/fn/{name}")))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// A second instance of the app beside this one: the same Redis prefix and database (which
    /// must be one both can open: see [`TestOptions::shared`]), with `vars` of its own.
    pub async fn twin(&self, vars: &[(&str, &str)]) -> TestApp {
        let mut options = TestOptions {
            prefix: self.options.prefix.clone(),
            database_url: self.options.database_url.clone(),
            ..TestOptions::default()
        };
        for (name, value) in vars {
            options = options.var(name, value);
        }
        spawn_app_with(options).await
    }

    /// A form posted by `client` the way a browser without JavaScript posts it: it asks for a
    /// page back (`Accept: text/html`), so the answer to a server function is a redirect.
    pub async fn plain_post(&self, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client
            .post(self.url(path))
            .header("accept", "text/html")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// All `Set-Cookie` headers of a response.
pub fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The value of the cookie `name` set by a response, if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    set_cookies(headers).into_iter().find_map(|c| {
        let first = c.split(';').next()?;
        let (k, v) = first.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

/// The password every test account is registered with.
pub const PASSWORD: &str = "correct horse battery";

/// Registers (and so signs in) a new user on `client`; returns their email and id.
pub async fn sign_up(app: &TestApp, client: &reqwest::Client) -> (String, i64) {
    let email = format!("{}@example.com", unique("u"));
    let res = register_with(
        app,
        client,
        serde_json::json!({"name": "Ada", "email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    (email, body["user"]["id"].as_i64().unwrap())
}

/// Signs `client` in through the JSON API.
pub async fn sign_in(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
    client
        .post(app.url("/api/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// `POST path` by `client` with `body` as its JSON.
pub async fn post_json(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    client.post(app.url(path)).json(&body).send().await.expect("request")
}

/// `POST /api/auth/register` by `client` with `body` as its JSON.
pub async fn register_with(app: &TestApp, client: &reqwest::Client, body: serde_json::Value) -> reqwest::Response {
    client
        .post(app.url("/api/auth/register"))
        .json(&body)
        .send()
        .await
        .expect("request")
}

/// `PUT /api/auth/profile/password` by `client`: `current` replaced by `new`.
pub async fn change_password(app: &TestApp, client: &reqwest::Client, current: &str, new: &str) -> reqwest::Response {
    client
        .put(app.url("/api/auth/profile/password"))
        .json(&serde_json::json!({"currentPassword": current, "newPassword": new}))
        .send()
        .await
        .expect("request")
}

/// Signs `client` out (`POST /api/auth/logout`); it must answer 204.
pub async fn sign_out(app: &TestApp, client: &reqwest::Client) {
    let res = client.post(app.url("/api/auth/logout")).send().await.expect("request");
    assert_eq!(res.status(), 204, "sign-out");
}

/// `GET path` by `client`, which must answer 200: its JSON body.
pub async fn get_json(app: &TestApp, client: &reqwest::Client, path: &str) -> serde_json::Value {
    let res = client.get(app.url(path)).send().await.expect("request");
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.expect("a JSON body")
}

/// The handle of `client`'s own session in its device list (what another device revokes).
pub async fn own_session_handle(app: &TestApp, client: &reqwest::Client) -> String {
    let sessions = get_json(app, client, "/api/auth/sessions").await;
    sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .expect("the client's own session is listed")["id"]
        .as_str()
        .unwrap()
        .to_owned()
}
