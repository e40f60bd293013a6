//! The Redis implementation of [`Backend`], over fred (the client tower-sessions-redis-store uses).
//!
//! Safety nets that fred leaves off by default, all on here: a timeout on every command, an
//! exponential reconnect policy (so the app heals by itself after a Redis restart), and a
//! start-up that never waits for Redis longer than the connect timeout.

use std::{
    collections::{BTreeMap, HashMap},
    time::Duration,
};

use async_trait::async_trait;
use fred::{
    clients::Pipeline,
    prelude::*,
    types::{
        config::UnresponsiveConfig, scripts::Script, ClusterHash, CustomCommand, Expiration, ExpireOptions,
        MultipleKeys, MultipleValues, SetOptions,
    },
};

use super::{
    keys::Keys, parse_visit, Activity, ActivitySummary, Backend, BackendError, BackendKind, BackendLimits, Cached,
    Creation, EndMark, ExpiryPolicy, FillToken, LoadedSession, Millis, NewSession, PageVisit, RateCount, Saved,
    SessionStats, UserView, CACHE_MARK_TTL_MS, NOTICES_KEPT, NOTICE_TTL_MS, RENEWED_MARK_MS, USER_VIEW_TTL_MS,
};
use crate::server::time::now_ms;
use crate::server::{
    config::RedisConfig,
    figures::{Counter, HourFigures, KEPT_MS, PATHS_KEPT_PER_HOUR},
};

const CREATE_SESSION: &str = include_str!("lua/create_session.lua");
const LOAD_SESSION: &str = include_str!("lua/load_session.lua");
const END_SESSION: &str = include_str!("lua/end_session.lua");
const RATE: &str = include_str!("lua/rate.lua");
const STORE_USER_VIEW: &str = include_str!("lua/store_user_view.lua");
const ADD_NOTICE: &str = include_str!("lua/add_notice.lua");
const CACHE_FILL: &str = include_str!("lua/cache_fill.lua");
const SAVE_SESSION: &str = include_str!("lua/save_session.lua");
/// Deletes a key only if it still holds the caller's token (releasing a lock never frees
/// someone else's after ours timed out).
const UNLOCK: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

pub struct RedisBackend {
    pool: Pool,
    keys: Keys,
    limits: BackendLimits,
    fallback_idle_ms: i64,
    create_session: Script,
    load_session: Script,
    end_session: Script,
    rate: Script,
    store_user_view: Script,
    add_notice: Script,
    cache_fill: Script,
    save_session: Script,
    unlock: Script,
    /// Fed by the pub/sub subscriber (see [`listen_for_notices`]).
    notice_wakeups: tokio::sync::broadcast::Sender<i64>,
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
            add_notice: Script::from_lua(ADD_NOTICE),
            cache_fill: Script::from_lua(CACHE_FILL),
            save_session: Script::from_lua(SAVE_SESSION),
            unlock: Script::from_lua(UNLOCK),
            notice_wakeups,
        })
    }

    /// A connected client, or `Unavailable` at once: while Redis is down there is no point
    /// queueing a command to wait out its timeout.
    fn client(&self) -> Result<&Client, BackendError> {
        let client = self.pool.next_connected();
        if client.is_connected() {
            Ok(client)
        } else {
            Err(BackendError::Unavailable("not connected".into()))
        }
    }

    async fn eval<R: FromValue>(
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

    async fn create_session(&self, new: &NewSession<'_>) -> Result<Creation, BackendError> {
        let expires_at = new.policy.expires_at(new.now);
        let keys = vec![
            self.keys.session(new.id),
            self.keys.activity(new.id),
            self.keys.pages(new.id),
        ];
        let start = new.initial_activity(self.limits.pages_kept);
        let mut args: Vec<Value> = vec![
            new.record.into(),
            new.now.into(),
            expires_at.into(),
            new.policy.idle_ms.into(),
            new.policy.deadline.map_or(Value::from(""), Value::from),
            self.limits.archive_grace_ms.into(),
            new.user_id.map_or(Value::from(""), Value::from),
            start.started_at.into(),
            start.page_count.into(),
            start.first_pages.join("\n").into(),
        ];
        args.extend(start.pages.iter().map(|v| Value::from(format!("{} {}", v.at, v.path))));
        let client = self.client()?;
        // One round trip: the admission count, the creation and its place in the expiry
        // schedule (its own key, in its own cluster slot) go in one pipeline. The schedule entry
        // is written even if the id was taken; the sweeper then finds that session alive and
        // reschedules it, so a stray entry costs nothing.
        let is_noscript = |r: &Result<Value, Error>| matches!(r, Err(e) if e.details().starts_with("NOSCRIPT"));
        // `None`: still to run. Redis restarted with an empty script cache refuses a script
        // with NOSCRIPT: it is loaded and only what was refused runs again (in a cluster one
        // node may have the script and another not; what ran must not run twice).
        let (mut admitted, mut created) = (None, None);
        let mut first = true;
        loop {
            let pipeline = client.pipeline();
            let run_admission = match &new.admission {
                Some(admission) if admitted.is_none() => {
                    pipelined_evalsha(
                        &pipeline,
                        &self.rate,
                        vec![self.keys.rate(admission.counter)],
                        vec![Value::from(1), Value::from(admission.window_ms)],
                    )
                    .await?;
                    true
                }
                _ => false,
            };
            let run_create = created.is_none();
            if run_create {
                pipelined_evalsha(&pipeline, &self.create_session, keys.clone(), args.clone()).await?;
            }
            if first {
                let _: () = pipeline
                    .zadd(
                        self.keys.expiries(),
                        None,
                        None,
                        false,
                        false,
                        (expires_at as f64, new.id),
                    )
                    .await?;
            }
            let mut results = pipeline.try_all().await.into_iter();
            if run_admission {
                admitted = results.next();
            }
            if run_create {
                created = results.next();
            }
            let refused_script = |r: &Option<Result<Value, Error>>| r.as_ref().is_some_and(is_noscript);
            if first && (refused_script(&admitted) || refused_script(&created)) {
                if refused_script(&admitted) {
                    admitted = None;
                }
                if refused_script(&created) {
                    created = None;
                }
                self.rate.load(client).await?;
                self.create_session.load(client).await?;
                first = false;
                continue;
            }
            break;
        }
        let refused = match new.admission {
            Some(admission) => {
                let (count, _ttl): (i64, i64) = admitted.unwrap_or(Ok(Value::Null))?.convert()?;
                count > admission.max
            }
            None => false,
        };
        let created: i64 = created.unwrap_or(Ok(Value::Null))?.convert()?;
        if refused {
            if created == 1 {
                let pipeline = client.pipeline();
                let _: () = pipeline.del(keys).await?;
                let _: () = pipeline.zrem(self.keys.expiries(), new.id).await?;
                let _: Vec<Value> = pipeline.all().await?;
            }
            return Ok(Creation::Refused);
        }
        Ok(if created == 1 {
            Creation::Created
        } else {
            Creation::IdTaken
        })
    }

    async fn load_session(
        &self,
        id: &str,
        now: Millis,
        page: Option<&str>,
    ) -> Result<Option<LoadedSession>, BackendError> {
        let keys = vec![
            self.keys.session(id),
            self.keys.activity(id),
            self.keys.pages(id),
            self.keys.user_view(id),
            self.keys.notices(id),
        ];
        let args: Vec<Value> = vec![
            now.into(),
            page.unwrap_or("").into(),
            (self.limits.pages_kept as i64).into(),
            self.limits.archive_grace_ms.into(),
            self.fallback_idle_ms.into(),
            (super::FIRST_PAGES_KEPT as i64).into(),
        ];
        let reply: Option<Vec<Value>> = self.eval(&self.load_session, keys, args).await?;
        let Some(reply) = reply else {
            return Ok(None);
        };
        let [record, started_at, last_seen, page_count, expires_at, prefs, profile, epoch, notices] =
            <[Value; 9]>::try_from(reply).map_err(|_| BackendError::Other("load_session: unexpected reply".into()))?;
        Ok(Some(LoadedSession {
            record: record.convert()?,
            activity: ActivitySummary {
                started_at: started_at.convert()?,
                last_seen: last_seen.convert()?,
                page_count: page_count.convert()?,
            },
            expires_at: expires_at.convert()?,
            view: UserView {
                prefs: prefs.convert()?,
                profile: profile.convert()?,
                epoch: epoch.convert()?,
            },
            notices: notices.convert()?,
        }))
    }

    async fn store_user_view(&self, id: &str, view: &UserView) -> Result<bool, BackendError> {
        let keys = vec![self.keys.session(id), self.keys.user_view(id)];
        let args: Vec<Value> = vec![
            view.epoch.into(),
            view.prefs.as_deref().unwrap_or("").into(),
            view.profile.as_deref().unwrap_or("").into(),
            USER_VIEW_TTL_MS.into(),
        ];
        let stored: i64 = self.eval(&self.store_user_view, keys, args).await?;
        Ok(stored == 1)
    }

    async fn forget_user_views(&self, ids: &[String]) -> Result<(), BackendError> {
        if ids.is_empty() {
            return Ok(());
        }
        let client = self.client()?;
        let pipeline = client.pipeline();
        for id in ids {
            let key = self.keys.user_view(id);
            // The epoch moves before the copy goes: a store racing in between sees the new
            // epoch and gives up, and one that ran before is deleted here. The key expires
            // like a copy would, so a session that has ended leaves nothing behind for long.
            let _: () = pipeline.hincrby(&key, "e", 1).await?;
            let _: () = pipeline.hdel(&key, vec!["p", "u"]).await?;
            let _: () = pipeline.pexpire(&key, USER_VIEW_TTL_MS, None).await?;
        }
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn save_session(&self, id: &str, record: &str, expected: &str) -> Result<Saved, BackendError> {
        let reply: Value = self
            .eval(&self.save_session, vec![self.keys.session(id)], vec![record, expected])
            .await?;
        Ok(match reply {
            Value::Null => Saved::Gone,
            Value::Integer(1) => Saved::Saved,
            other => Saved::Changed(other.convert()?),
        })
    }

    async fn end_session(&self, id: &str, reason: &str, now: Millis) -> Result<(), BackendError> {
        let keys = vec![
            self.keys.session(id),
            self.keys.activity(id),
            self.keys.user_view(id),
            self.keys.renewed(id),
        ];
        let args: Vec<Value> = vec![reason.into(), now.into(), 0.into()];
        let _: i64 = self.eval(&self.end_session, keys, args).await?;
        // Due now: if archiving right after this fails, the sweeper picks it up.
        self.reschedule(id, now).await
    }

    async fn renew_session(&self, id: &str, now: Millis) -> Result<(), BackendError> {
        let keys = vec![
            self.keys.session(id),
            self.keys.activity(id),
            self.keys.user_view(id),
            self.keys.renewed(id),
        ];
        let reason = crate::model::EndReason::Renewed.as_str();
        let args: Vec<Value> = vec![reason.into(), now.into(), RENEWED_MARK_MS.into()];
        let _: i64 = self.eval(&self.end_session, keys, args).await?;
        self.reschedule(id, now + RENEWED_MARK_MS).await
    }

    async fn is_renewed(&self, id: &str) -> Result<bool, BackendError> {
        let marked: i64 = self.client()?.exists(self.keys.renewed(id)).await?;
        Ok(marked == 1)
    }

    async fn activity(&self, id: &str, offset: usize, limit: usize) -> Result<Option<Activity>, BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline.exists(self.keys.session(id)).await?;
        let _: () = pipeline
            .hmget(
                self.keys.activity(id),
                vec![
                    "start", "last", "count", "idle", "deadline", "user", "ended", "ended_at", "first",
                ],
            )
            .await?;
        // Newest last in Redis: the slice [-(offset+limit), -(offset+1)], reversed below.
        let (from, to) = (-((offset + limit) as i64), -(offset as i64) - 1);
        let _: () = pipeline.lrange(self.keys.pages(id), from, to).await?;
        let (alive, fields, pages): (i64, Vec<Option<String>>, Vec<String>) = pipeline.all().await?;
        let field = |i: usize| fields.get(i).cloned().flatten();
        let number = |i: usize| field(i).and_then(|v| v.parse::<i64>().ok());
        let Some(started_at) = number(0) else {
            return Ok(None);
        };
        let mut pages: Vec<PageVisit> = pages.iter().filter_map(|p| parse_visit(p)).collect();
        pages.reverse();
        Ok(Some(Activity {
            summary: ActivitySummary {
                started_at,
                last_seen: number(1).unwrap_or(started_at),
                page_count: number(2).unwrap_or(0),
            },
            policy: ExpiryPolicy {
                idle_ms: number(3).unwrap_or(self.fallback_idle_ms),
                deadline: number(4),
            },
            user_id: number(5),
            alive: alive == 1,
            ended: field(6).map(|reason| EndMark {
                reason,
                at: number(7).unwrap_or(started_at),
            }),
            pages,
            first_pages: field(8).map_or_else(Vec::new, |f| f.split('\n').map(str::to_owned).collect()),
        }))
    }

    async fn due_sessions(&self, now: Millis, limit: usize) -> Result<Vec<String>, BackendError> {
        Ok(self
            .client()?
            .zrangebyscore(self.keys.expiries(), "-inf", now as f64, false, Some((0, limit as i64)))
            .await?)
    }

    async fn reschedule(&self, id: &str, at: Millis) -> Result<(), BackendError> {
        let _: i64 = self
            .client()?
            .zadd(self.keys.expiries(), None, None, false, false, (at as f64, id))
            .await?;
        Ok(())
    }

    async fn forget_activity(&self, id: &str) -> Result<(), BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline.del(vec![self.keys.activity(id), self.keys.pages(id)]).await?;
        let _: () = pipeline.zrem(self.keys.expiries(), id).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn try_lock(&self, name: &str, token: &str, ttl_ms: i64) -> Result<bool, BackendError> {
        let taken: Option<String> = self
            .client()?
            .set(
                self.keys.lock(name),
                token,
                Some(Expiration::PX(ttl_ms)),
                Some(SetOptions::NX),
                false,
            )
            .await?;
        Ok(taken.is_some())
    }

    async fn unlock(&self, name: &str, token: &str) -> Result<(), BackendError> {
        let _: i64 = self.eval(&self.unlock, vec![self.keys.lock(name)], vec![token]).await?;
        Ok(())
    }

    async fn peek_sessions(&self, ids: &[String]) -> Result<Vec<Option<LoadedSession>>, BackendError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client()?;
        let pipeline = client.pipeline();
        for id in ids {
            let _: () = pipeline.get(self.keys.session(id)).await?;
            let _: () = pipeline
                .hmget(self.keys.activity(id), vec!["start", "last", "count"])
                .await?;
            let _: () = pipeline.pttl(self.keys.session(id)).await?;
        }
        let replies: Vec<Value> = pipeline.all().await?;
        let now = now_ms();
        let mut out = Vec::with_capacity(ids.len());
        for chunk in replies.chunks(3) {
            let [record, activity, ttl] = chunk else {
                return Err(BackendError::Other("short pipeline reply".into()));
            };
            let record: Option<String> = record.clone().convert()?;
            let Some(record) = record else {
                out.push(None);
                continue;
            };
            let fields: Vec<Option<i64>> = activity.clone().convert()?;
            let field = |i: usize| fields.get(i).copied().flatten().unwrap_or(0);
            let ttl: i64 = ttl.clone().convert()?;
            out.push(Some(LoadedSession {
                record,
                activity: ActivitySummary {
                    started_at: field(0),
                    last_seen: field(1),
                    page_count: field(2),
                },
                expires_at: now + ttl.max(0),
                view: UserView::default(),
                notices: Vec::new(),
            }));
        }
        Ok(out)
    }

    async fn index_user_session(
        &self,
        user_id: i64,
        handle: &str,
        id: &str,
        until: Millis,
    ) -> Result<(), BackendError> {
        let key = self.keys.user_sessions(user_id);
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline.hset(&key, (handle, id)).await?;
        // GT: only ever lengthen the index's life; it must outlive every session in it.
        let _: () = pipeline.pexpire_at(&key, until, Some(ExpireOptions::GT)).await?;
        let _: () = pipeline.pexpire_at(&key, until, Some(ExpireOptions::NX)).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn user_sessions(&self, user_id: i64) -> Result<Vec<(String, String)>, BackendError> {
        let map: std::collections::HashMap<String, String> =
            self.client()?.hgetall(self.keys.user_sessions(user_id)).await?;
        Ok(map.into_iter().collect())
    }

    async fn unindex_user_sessions(&self, user_id: i64, handles: &[String]) -> Result<(), BackendError> {
        if handles.is_empty() {
            return Ok(());
        }
        let _: i64 = self
            .client()?
            .hdel(self.keys.user_sessions(user_id), handles.to_vec())
            .await?;
        Ok(())
    }

    async fn put_token(&self, user_id: i64, token_hash: &str, id: &str, until: Millis) -> Result<(), BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline
            .set(
                self.keys.token(token_hash),
                id,
                Some(Expiration::PXAT(until)),
                None,
                false,
            )
            .await?;
        let tokens = self.keys.user_tokens(user_id);
        let _: () = pipeline.sadd(&tokens, token_hash).await?;
        // As the sessions index: only ever lengthened, so it outlives every token in it.
        let _: () = pipeline.pexpire_at(&tokens, until, Some(ExpireOptions::GT)).await?;
        let _: () = pipeline.pexpire_at(&tokens, until, Some(ExpireOptions::NX)).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn forget_user(&self, user_id: i64) -> Result<(), BackendError> {
        let client = self.client()?;
        let (index, tokens) = (self.keys.user_sessions(user_id), self.keys.user_tokens(user_id));
        let read = client.pipeline();
        let _: () = read.hvals(&index).await?;
        let _: () = read.smembers(&tokens).await?;
        let (ids, token_hashes): (Vec<String>, Vec<String>) = read.all().await?;
        // One key per command: in a cluster each goes to its own slot's node.
        let pipeline = client.pipeline();
        for id in &ids {
            for key in [
                self.keys.session(id),
                self.keys.activity(id),
                self.keys.pages(id),
                self.keys.user_view(id),
                self.keys.notices(id),
            ] {
                let _: () = pipeline.del(key).await?;
            }
            let _: () = pipeline.zrem(self.keys.expiries(), id.as_str()).await?;
        }
        for hash in &token_hashes {
            let _: () = pipeline.del(self.keys.token(hash)).await?;
        }
        let _: () = pipeline.del(index).await?;
        let _: () = pipeline.del(tokens).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn add_notice(&self, user_id: i64, ids: &[String], notice_id: &str, json: &str) -> Result<(), BackendError> {
        let client = self.client()?;
        // One pipeline for all the sessions; after a lost script cache, the script is loaded
        // and only the sessions it was refused for go again.
        let mut pending: Vec<&String> = ids.iter().collect();
        let mut reloaded = false;
        while !pending.is_empty() {
            let pipeline = client.pipeline();
            for id in &pending {
                pipelined_evalsha(
                    &pipeline,
                    &self.add_notice,
                    vec![self.keys.notices(id), self.keys.session(id)],
                    vec![
                        notice_id.into(),
                        json.into(),
                        (NOTICES_KEPT as i64).into(),
                        NOTICE_TTL_MS.into(),
                    ],
                )
                .await?;
            }
            let results = pipeline.try_all::<Value>().await;
            let mut refused = Vec::new();
            for (id, result) in pending.iter().zip(results) {
                match result {
                    Err(e) if e.details().starts_with("NOSCRIPT") && !reloaded => refused.push(*id),
                    Err(e) => return Err(e.into()),
                    Ok(_) => {}
                }
            }
            if !refused.is_empty() {
                self.add_notice.load(client).await?;
                reloaded = true;
            }
            pending = refused;
        }
        let _: i64 = client.publish(self.keys.notice_channel(), user_id).await?;
        Ok(())
    }

    async fn notices(&self, id: &str) -> Result<Option<Vec<String>>, BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline.exists(self.keys.session(id)).await?;
        let _: () = pipeline.hvals(self.keys.notices(id)).await?;
        let (alive, notices): (i64, Vec<String>) = pipeline.all().await?;
        Ok((alive == 1).then_some(notices))
    }

    async fn dismiss_notice(&self, id: &str, notice_id: &str) -> Result<bool, BackendError> {
        let removed: i64 = self.client()?.hdel(self.keys.notices(id), notice_id).await?;
        Ok(removed > 0)
    }

    fn notice_wakeups(&self) -> tokio::sync::broadcast::Receiver<i64> {
        self.notice_wakeups.subscribe()
    }

    async fn resolve_token(&self, token_hash: &str) -> Result<Option<String>, BackendError> {
        Ok(self.client()?.get(self.keys.token(token_hash)).await?)
    }

    async fn cache_get(&self, name: &str) -> Result<Cached, BackendError> {
        let stored: Option<String> = self.client()?.get(self.keys.cache(name)).await?;
        Ok(Cached::from_stored(stored))
    }

    async fn cache_get_many(&self, names: &[String]) -> Result<Vec<Cached>, BackendError> {
        // Pipelined GETs rather than MGET: the keys may live in different cluster slots.
        let client = self.client()?;
        let pipeline = client.pipeline();
        for name in names {
            let _: () = pipeline.get(self.keys.cache(name)).await?;
        }
        let stored: Vec<Option<String>> = pipeline.all().await?;
        Ok(stored.into_iter().map(Cached::from_stored).collect())
    }

    async fn cache_fill(&self, name: &str, token: &FillToken, value: &str, ttl_ms: i64) -> Result<bool, BackendError> {
        let args: Vec<Value> = vec![token.expected().into(), value.into(), ttl_ms.into()];
        let filled: i64 = self.eval(&self.cache_fill, vec![self.keys.cache(name)], args).await?;
        if filled == 1 {
            // Indexed by kind with its expiry, so the health check counts without scanning.
            let until = now_ms() + ttl_ms;
            let _: i64 = self
                .client()?
                .zadd(
                    self.keys.cache_index(cache_kind(name)),
                    None,
                    None,
                    false,
                    false,
                    (until as f64, name),
                )
                .await?;
        }
        Ok(filled == 1)
    }

    async fn cache_invalidate(&self, name: &str) -> Result<(), BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline
            .set(
                self.keys.cache(name),
                FillToken::new_mark(),
                Some(Expiration::PX(CACHE_MARK_TTL_MS)),
                None,
                false,
            )
            .await?;
        let _: () = pipeline.zrem(self.keys.cache_index(cache_kind(name)), name).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn cache_delete(&self, name: &str) -> Result<(), BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline.del(self.keys.cache(name)).await?;
        let _: () = pipeline.zrem(self.keys.cache_index(cache_kind(name)), name).await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn rate_count(&self, name: &str, cost: i64, window_ms: i64, now: Millis) -> Result<RateCount, BackendError> {
        let (count, ttl): (i64, i64) = self
            .eval(
                &self.rate,
                vec![self.keys.rate(name)],
                vec![cost.to_string(), window_ms.to_string()],
            )
            .await?;
        Ok(RateCount {
            count,
            resets_at: now + ttl.max(0),
        })
    }

    async fn rate_clear(&self, name: &str) -> Result<(), BackendError> {
        let _: i64 = self.client()?.del(self.keys.rate(name)).await?;
        Ok(())
    }

    async fn note_revoked(&self, id: &str, now: Millis) -> Result<(), BackendError> {
        let member = super::session_key(id);
        let _: i64 = self
            .client()?
            .zadd(self.keys.revoked(), None, None, false, false, (now as f64, member))
            .await?;
        Ok(())
    }

    async fn stats(&self, now: Millis) -> Result<SessionStats, BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline.zcard(self.keys.expiries()).await?;
        let _: () = pipeline
            .zcount(self.keys.cache_index("profile"), now as f64, f64::INFINITY)
            .await?;
        let _: () = pipeline
            .zcount(
                self.keys.revoked(),
                (now - super::REVOKED_WINDOW_MS) as f64,
                f64::INFINITY,
            )
            .await?;
        let (active_sessions, cached_profiles, revoked_sessions): (u64, u64, u64) = pipeline.all().await?;
        Ok(SessionStats {
            active_sessions,
            cached_profiles,
            revoked_sessions,
        })
    }

    async fn trim_indexes(&self, now: Millis) -> Result<(), BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        let _: () = pipeline
            .zremrangebyscore(self.keys.cache_index("profile"), f64::NEG_INFINITY, now as f64)
            .await?;
        let _: () = pipeline
            .zremrangebyscore(self.keys.cache_index("prefs"), f64::NEG_INFINITY, now as f64)
            .await?;
        let _: () = pipeline
            .zremrangebyscore(
                self.keys.revoked(),
                f64::NEG_INFINITY,
                (now - super::REVOKED_WINDOW_MS) as f64,
            )
            .await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn add_stats(&self, hours: &BTreeMap<Millis, HourFigures>) -> Result<(), BackendError> {
        let client = self.client()?;
        let pipeline = client.pipeline();
        for (&hour, figures) in hours {
            let (counts, pages) = (self.keys.stats_hour(hour), self.keys.stats_pages(hour));
            for counter in Counter::ALL {
                let n = figures.get(counter);
                if n != 0 {
                    let _: () = pipeline.hincrby(&counts, counter.field(), n).await?;
                }
            }
            for (path, views) in &figures.pages {
                let _: () = pipeline.zincrby(&pages, *views as f64, path.as_str()).await?;
            }
            if !figures.pages.is_empty() {
                // Keep the most viewed only (ranks are ascending: drop from the bottom).
                let _: () = pipeline.zremrangebyrank(&pages, 0, -(PATHS_KEPT_PER_HOUR + 1)).await?;
            }
            for key in [&counts, &pages] {
                let _: () = pipeline.pexpire_at(key, hour + KEPT_MS, None).await?;
            }
        }
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    async fn store_use(&self) -> Result<Option<crate::model::admin::StoreUse>, BackendError> {
        let client = self.client()?;
        let info: String = client.info(Some(fred::types::InfoKind::Memory)).await?;
        let keys: u64 = client.dbsize().await?;
        let used_memory_bytes = info
            .lines()
            .find_map(|line| line.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        Ok(Some(crate::model::admin::StoreUse {
            used_memory_bytes,
            keys,
        }))
    }

    async fn hourly_stats(&self, hours: &[Millis], pages: bool) -> Result<Vec<HourFigures>, BackendError> {
        if hours.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client()?;
        let pipeline = client.pipeline();
        for &hour in hours {
            let _: () = pipeline.hgetall(self.keys.stats_hour(hour)).await?;
            if pages {
                let _: () = pipeline
                    .zrange(self.keys.stats_pages(hour), 0, -1, None, false, None, true)
                    .await?;
            }
        }
        let replies: Vec<Value> = pipeline.all().await?;
        let per_hour = if pages { 2 } else { 1 };
        if replies.len() != hours.len() * per_hour {
            return Err(BackendError::Other("short pipeline reply".into()));
        }
        let mut out = Vec::with_capacity(hours.len());
        for replies in replies.chunks(per_hour) {
            let counts: HashMap<String, i64> = replies[0].clone().convert()?;
            let mut figures = HourFigures::default();
            for counter in Counter::ALL {
                figures.counts[counter as usize] = counts.get(counter.field()).copied().unwrap_or(0);
            }
            if let Some(paths) = replies.get(1) {
                let paths: Vec<(String, f64)> = paths.clone().convert()?;
                figures.pages = paths.into_iter().map(|(path, views)| (path, views as i64)).collect();
            }
            out.push(figures);
        }
        Ok(out)
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
async fn pipelined_evalsha(
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
fn cache_kind(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}
