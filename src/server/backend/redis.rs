//! The Redis implementation of [`Backend`], over fred (the client tower-sessions-redis-store uses).
//!
//! Safety nets that fred leaves off by default, all on here: a timeout on every command, an
//! exponential reconnect policy (so the app heals by itself after a Redis restart), and a
//! start-up that never waits for Redis longer than the connect timeout.

use std::time::Duration;

use async_trait::async_trait;
use fred::{
    clients::Pipeline,
    prelude::*,
    types::{config::UnresponsiveConfig, scripts::Script, ClusterHash, CustomCommand, MultipleKeys, MultipleValues},
};

use super::{keys::Keys, Backend, BackendError, BackendKind, BackendLimits};
use crate::server::config::RedisConfig;

const CREATE_SESSION: &str = include_str!("lua/create_session.lua");
const LOAD_SESSION: &str = include_str!("lua/load_session.lua");
const END_SESSION: &str = include_str!("lua/end_session.lua");
const RATE: &str = include_str!("lua/rate.lua");
const STORE_USER_VIEW: &str = include_str!("lua/store_user_view.lua");
const FORGET_USER_VIEW: &str = include_str!("lua/forget_user_view.lua");
const ADD_NOTICE: &str = include_str!("lua/add_notice.lua");
const CACHE_FILL: &str = include_str!("lua/cache_fill.lua");
const SAVE_SESSION: &str = include_str!("lua/save_session.lua");
/// Deletes a key only if it still holds the caller's token (releasing a lock never frees
/// someone else's after ours timed out).
const UNLOCK: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

pub struct RedisBackend {
    pub(super) pool: Pool,
    pub(super) keys: Keys,
    pub(super) limits: BackendLimits,
    pub(super) fallback_idle_ms: i64,
    pub(super) create_session: Script,
    pub(super) load_session: Script,
    pub(super) end_session: Script,
    pub(super) rate: Script,
    pub(super) store_user_view: Script,
    pub(super) forget_user_view: Script,
    pub(super) add_notice: Script,
    pub(super) cache_fill: Script,
    pub(super) save_session: Script,
    pub(super) unlock: Script,
    /// Fed by the pub/sub subscriber (see [`listen_for_notices`]).
    pub(super) notice_wakeups: tokio::sync::broadcast::Sender<i64>,
}

impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend")
            .field("prefix", &self.keys.prefix())
            .finish_non_exhaustive()
    }
}

impl From<Error> for BackendError {
    fn from(e: Error) -> Self {
        match e.kind() {
            ErrorKind::Timeout | ErrorKind::IO | ErrorKind::Canceled | ErrorKind::Backpressure => {
                BackendError::Unavailable(e.to_string())
            }
            _ if e.details().starts_with("LOADING") || e.details().starts_with("BUSY") => {
                BackendError::Unavailable(e.to_string())
            }
            _ => BackendError::Other(e.to_string()),
        }
    }
}

impl RedisBackend {
    /// Builds the pool and starts connecting. Waits at most `connect_wait` for the first
    /// connection; when Redis is not there yet the app starts anyway (degraded) and the reconnect
    /// policy keeps trying in the background.
    pub async fn connect(
        config: &RedisConfig,
        limits: BackendLimits,
        fallback_idle_ms: i64,
        connect_wait: Duration,
    ) -> Result<Self, BackendError> {
        let mut fred_config = Config::from_url(&config.url).map_err(|e| BackendError::Other(e.to_string()))?;
        // Retry the first connection like any later one instead of failing start-up.
        fred_config.fail_fast = false;
        let timeout = config.command_timeout;
        let pool = Builder::from_config(fred_config.clone())
            .with_performance_config(|perf| {
                perf.default_command_timeout = timeout;
            })
            .with_connection_config(|conn| {
                conn.connection_timeout = Duration::from_secs(1);
                conn.internal_command_timeout = Duration::from_secs(1);
                conn.tcp = TcpConfig {
                    nodelay: Some(true),
                    ..Default::default()
                };
                // A Redis that accepts the connection but never answers is treated as down.
                conn.unresponsive = UnresponsiveConfig {
                    max_timeout: Some(Duration::from_secs(2)),
                    interval: Duration::from_millis(500),
                };
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .build_pool(config.pool_size)
            .map_err(|e| BackendError::Other(e.to_string()))?;
        let _connection_tasks = pool.connect();
        // Its own connection: a subscribed connection can do nothing else.
        let subscriber = Builder::from_config(fred_config)
            .with_connection_config(|conn| {
                conn.connection_timeout = Duration::from_secs(1);
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .build_subscriber_client()
            .map_err(|e| BackendError::Other(e.to_string()))?;
        let keys = Keys::new(config.key_prefix.clone());
        let (notice_wakeups, _) = tokio::sync::broadcast::channel(NOTICE_WAKEUPS_BUFFER);
        // Both at once: with Redis down, start-up waits `connect_wait` once, not twice.
        let (pool_ready, ()) = tokio::join!(
            tokio::time::timeout(connect_wait, pool.wait_for_connect()),
            listen_for_notices(&subscriber, keys.notice_channel(), notice_wakeups.clone(), connect_wait),
        );
        if pool_ready.is_err() {
            tracing::warn!(
                wait_ms = connect_wait.as_millis() as u64,
                "Redis not reachable yet; starting degraded and retrying in the background"
            );
        }
        Ok(Self {
            pool,
            keys,
            limits,
            fallback_idle_ms,
            create_session: Script::from_lua(CREATE_SESSION),
            load_session: Script::from_lua(LOAD_SESSION),
            end_session: Script::from_lua(END_SESSION),
            rate: Script::from_lua(RATE),
            store_user_view: Script::from_lua(STORE_USER_VIEW),
            forget_user_view: Script::from_lua(FORGET_USER_VIEW),
            add_notice: Script::from_lua(ADD_NOTICE),
            cache_fill: Script::from_lua(CACHE_FILL),
            save_session: Script::from_lua(SAVE_SESSION),
            unlock: Script::from_lua(UNLOCK),
            notice_wakeups,
        })
    }

    /// A connected client, or `Unavailable` at once: while Redis is down there is no point
    /// queueing a command to wait out its timeout.
    pub(super) fn client(&self) -> Result<&Client, BackendError> {
        let client = self.pool.next_connected();
        if client.is_connected() {
            Ok(client)
        } else {
            Err(BackendError::Unavailable("not connected".into()))
        }
    }

    pub(super) async fn eval<R: FromValue>(
        &self,
        script: &Script,
        keys: impl Into<MultipleKeys> + Send,
        args: impl TryInto<MultipleValues, Error = impl Into<Error> + Send> + Send,
    ) -> Result<R, BackendError> {
        // Reloads the script after NOSCRIPT, i.e. after Redis restarted with an empty cache.
        Ok(script.evalsha_with_reload(self.client()?, keys, args).await?)
    }
}

#[async_trait]
impl Backend for RedisBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Redis
    }

    async fn ping(&self) -> Result<(), BackendError> {
        let _: String = self.client()?.ping(None).await?;
        Ok(())
    }
}

/// Wake-ups not yet taken by a slow stream before it skips ahead (it then reads its notices
/// afresh anyway).
const NOTICE_WAKEUPS_BUFFER: usize = 256;

/// Connects the subscriber and forwards each notice message (a user id) to `wakeups`, for as
/// long as the process runs; after a lost connection it subscribes again by itself. Returns
/// once subscribed, or after `wait` (Redis not up yet: it keeps trying in the background), so
/// a started server is already listening.
async fn listen_for_notices(
    subscriber: &fred::clients::SubscriberClient,
    channel: String,
    wakeups: tokio::sync::broadcast::Sender<i64>,
    wait: Duration,
) {
    let subscriber = subscriber.clone();
    let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _connection = subscriber.connect();
        let mut messages = subscriber.message_rx();
        let _resubscribe = subscriber.manage_subscriptions();
        loop {
            if subscriber.wait_for_connect().await.is_ok() && subscriber.subscribe(channel.clone()).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let _ = subscribed_tx.send(());
        loop {
            match messages.recv().await {
                Ok(message) => {
                    if let Ok(user_id) = message.value.convert::<i64>() {
                        let _ = wakeups.send(user_id);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    let _ = tokio::time::timeout(wait, subscribed).await;
}

/// Queues an `EVALSHA` on a pipeline (fred's pipelines have no Lua interface). In a cluster it
/// goes to the slot of its first key.
pub(super) async fn pipelined_evalsha(
    pipeline: &Pipeline<Client>,
    script: &Script,
    keys: Vec<String>,
    args: Vec<Value>,
) -> Result<(), Error> {
    let mut all: Vec<Value> = Vec::with_capacity(2 + keys.len() + args.len());
    all.push(Value::from(script.sha1().to_string()));
    all.push(Value::from(keys.len() as i64));
    all.extend(keys.into_iter().map(Value::from));
    all.extend(args);
    let command = CustomCommand::new_static("EVALSHA", ClusterHash::Offset(2), false);
    pipeline.custom::<(), Value>(command, all).await
}

/// The kind of a cached value: `profile` for `profile:42`.
pub(super) fn cache_kind(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}
