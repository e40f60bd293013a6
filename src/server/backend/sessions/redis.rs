//! [`Sessions`](super::Sessions) in Redis.

use async_trait::async_trait;
use fred::prelude::*;

use super::*;
use crate::server::{
    backend::{
        keys::session_tag,
        redis::{pipelined_evalsha, RedisBackend},
        BackendError,
    },
    time::{now_ms, Millis},
};

#[async_trait]
impl super::Sessions for RedisBackend {
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
            self.keys.user_views(session_tag(id)),
            self.keys.notices(id),
        ];
        let args: Vec<Value> = vec![
            now.into(),
            page.unwrap_or("").into(),
            (self.limits.pages_kept as i64).into(),
            self.limits.archive_grace_ms.into(),
            self.fallback_idle_ms.into(),
            (super::FIRST_PAGES_KEPT as i64).into(),
            USER_VIEW_TTL_MS.into(),
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

    async fn store_user_view(&self, id: &str, user_id: i64, view: &UserView) -> Result<bool, BackendError> {
        let keys = vec![self.keys.session(id), self.keys.user_views(session_tag(id))];
        let args: Vec<Value> = vec![
            user_id.into(),
            view.epoch.into(),
            view.prefs.as_deref().unwrap_or("").into(),
            view.profile.as_deref().unwrap_or("").into(),
            USER_VIEW_TTL_MS.into(),
            now_ms().into(),
        ];
        let stored: i64 = self.eval(&self.store_user_view, keys, args).await?;
        Ok(stored == 1)
    }

    async fn forget_user_view(&self, user_tag: &str, user_id: i64) -> Result<(), BackendError> {
        let keys = vec![self.keys.user_views(user_tag)];
        let args: Vec<Value> = vec![user_id.into(), USER_VIEW_TTL_MS.into()];
        let _: i64 = self.eval(&self.forget_user_view, keys, args).await?;
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
        let keys = vec![self.keys.session(id), self.keys.activity(id), self.keys.renewed(id)];
        let args: Vec<Value> = vec![reason.into(), now.into(), 0.into()];
        let _: i64 = self.eval(&self.end_session, keys, args).await?;
        // Due now: if archiving right after this fails, the sweeper picks it up.
        self.reschedule(id, now).await
    }

    async fn renew_session(&self, id: &str, now: Millis) -> Result<(), BackendError> {
        let keys = vec![self.keys.session(id), self.keys.activity(id), self.keys.renewed(id)];
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
}
