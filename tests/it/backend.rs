//! One suite, two backends: Redis and in-process memory follow the same rules.

use std::{sync::Arc, time::Duration};

use porch::server::{
    backend::{
        memory::MemoryBackend, redis::RedisBackend, Admission, Backend, BackendLimits, Cached, CarriedVisit, Creation,
        ExpiryPolicy, NewSession, Saved, UserView,
    },
    config::RedisConfig,
};

use crate::harness::*;
use porch::server::time::now_ms;

const IDLE: i64 = 30 * 60 * 1000;

async fn backends() -> Vec<Arc<dyn Backend>> {
    let config = RedisConfig {
        url: redis_url(),
        key_prefix: format!("{}:", unique("b")),
        command_timeout: Duration::from_millis(500),
        pool_size: 2,
    };
    let limits = BackendLimits::default();
    let redis = RedisBackend::connect(&config, limits, IDLE, Duration::from_secs(2))
        .await
        .unwrap();
    vec![Arc::new(redis), Arc::new(MemoryBackend::new(limits, IDLE))]
}

fn new_session<'a>(id: &'a str, now: i64, deadline: Option<i64>, page: Option<&'a str>) -> NewSession<'a> {
    NewSession {
        id,
        record: "{\"r\":1}",
        now,
        policy: ExpiryPolicy {
            idle_ms: IDLE,
            deadline,
        },
        first_page: page,
        user_id: deadline.map(|_| 7),
        admission: None,
        carried: None,
    }
}

#[tokio::test]
async fn create_load_save_end_and_forget() {
    for backend in backends().await {
        let kind = backend.kind();
        let id = unique("s");
        let now = now_ms();
        assert_eq!(
            backend
                .create_session(&new_session(&id, now, None, Some("/")))
                .await
                .unwrap(),
            Creation::Created
        );
        assert_eq!(
            backend
                .create_session(&new_session(&id, now, None, None))
                .await
                .unwrap(),
            Creation::IdTaken,
            "{kind:?}: ids are never reused"
        );

        let loaded = backend
            .load_session(&id, now + 10, Some("/a"))
            .await
            .unwrap()
            .expect("live");
        assert_eq!(loaded.record, "{\"r\":1}");
        assert_eq!(loaded.activity.started_at, now);
        assert_eq!(loaded.activity.last_seen, now + 10);
        assert_eq!(loaded.activity.page_count, 2, "{kind:?}");
        assert_eq!(loaded.expires_at, now + 10 + IDLE, "{kind:?}: idle expiry slides");

        // Loading without a page marks the session seen but counts nothing; last seen never
        // goes backwards (clocks of instances differ).
        let loaded = backend.load_session(&id, now + 5, None).await.unwrap().unwrap();
        assert_eq!(
            (loaded.activity.page_count, loaded.activity.last_seen),
            (2, now + 10),
            "{kind:?}"
        );

        // A save goes through only over the record it was loaded with; otherwise the record as
        // it is now comes back, for the caller to merge into.
        assert_eq!(
            backend.save_session(&id, "{\"r\":2}", "{\"r\":0}").await.unwrap(),
            Saved::Changed("{\"r\":1}".into()),
            "{kind:?}"
        );
        assert_eq!(
            backend.save_session(&id, "{\"r\":2}", "{\"r\":1}").await.unwrap(),
            Saved::Saved
        );
        assert_eq!(
            backend.load_session(&id, now + 20, None).await.unwrap().unwrap().record,
            "{\"r\":2}"
        );

        backend.end_session(&id, "sign_out", now + 25).await.unwrap();
        assert!(
            backend.load_session(&id, now + 30, None).await.unwrap().is_none(),
            "{kind:?}"
        );
        // Ended: unusable, but the activity waits for the archive, marked and due.
        let kept = backend.activity(&id, 0, 10).await.unwrap().unwrap();
        assert!(!kept.alive, "{kind:?}");
        assert_eq!(kept.summary.page_count, 2, "{kind:?}");
        let mark = kept.ended.as_ref().map(|m| (m.reason.as_str(), m.at));
        assert_eq!(mark, Some(("sign_out", now + 25)), "{kind:?}");
        assert_eq!(kept.first_pages, ["/", "/a"], "{kind:?}");
        let newest = kept.pages.first().map(|p| p.path.as_str());
        assert_eq!(newest, Some("/a"), "{kind:?}: newest first");
        assert!(
            backend.due_sessions(now + 25, 10).await.unwrap().contains(&id),
            "{kind:?}"
        );
        // A second end keeps the first reason.
        backend.end_session(&id, "revoked", now + 26).await.unwrap();
        let kept = backend.activity(&id, 0, 0).await.unwrap().unwrap();
        assert_eq!(kept.ended.map(|m| m.reason), Some("sign_out".to_owned()), "{kind:?}");
        backend.forget_activity(&id).await.unwrap();
        assert!(backend.activity(&id, 0, 0).await.unwrap().is_none(), "{kind:?}");
        assert!(
            !backend.due_sessions(i64::MAX, 10).await.unwrap().contains(&id),
            "{kind:?}"
        );
        assert_eq!(
            backend.save_session(&id, "{}", "{\"r\":2}").await.unwrap(),
            Saved::Gone,
            "{kind:?}: an ended session is never brought back"
        );
    }
}

#[tokio::test]
async fn absolute_deadline_caps_the_sliding_expiry() {
    for backend in backends().await {
        let kind = backend.kind();
        let id = unique("s");
        let now = now_ms();
        let deadline = now + 60_000;
        assert_eq!(
            backend
                .create_session(&new_session(&id, now, Some(deadline), None))
                .await
                .unwrap(),
            Creation::Created
        );
        let loaded = backend.load_session(&id, now + 1, None).await.unwrap().unwrap();
        assert_eq!(loaded.expires_at, deadline, "{kind:?}: never past the deadline");
        assert!(
            backend.load_session(&id, deadline + 1, None).await.unwrap().is_none(),
            "{kind:?}: over after the deadline"
        );
    }
}

#[tokio::test]
async fn unreachable_redis_fails_fast_as_unavailable() {
    let config = RedisConfig {
        url: "redis://127.0.0.1:1".into(),
        key_prefix: "x:".into(),
        command_timeout: Duration::from_millis(300),
        pool_size: 1,
    };
    let backend = RedisBackend::connect(&config, BackendLimits::default(), IDLE, Duration::from_millis(200))
        .await
        .unwrap();
    let result = tokio::time::timeout(Duration::from_secs(2), backend.load_session("abc", now_ms(), None))
        .await
        .expect("bounded");
    assert!(
        matches!(result, Err(porch::server::backend::BackendError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn user_index_peek_tokens_and_cache() {
    for backend in backends().await {
        let kind = backend.kind();
        let now = now_ms();
        let (live, ended) = (unique("s"), unique("s"));
        let user = now; // unique enough per run, and the prefix is per test anyway
        assert_eq!(
            backend
                .create_session(&new_session(&live, now, None, Some("/")))
                .await
                .unwrap(),
            Creation::Created
        );
        backend
            .index_user_session(user, "h-live", &live, now + 60_000)
            .await
            .unwrap();
        backend
            .index_user_session(user, "h-ended", &ended, now + 60_000)
            .await
            .unwrap();
        let mut index = backend.user_sessions(user).await.unwrap();
        index.sort();
        assert_eq!(
            index,
            vec![
                ("h-ended".to_owned(), ended.clone()),
                ("h-live".to_owned(), live.clone())
            ],
            "{kind:?}"
        );

        // Peeking reads without touching: the page count and last-seen stay as they were.
        let peeked = backend.peek_sessions(&[live.clone(), ended.clone()]).await.unwrap();
        assert_eq!(peeked.len(), 2);
        let first = peeked[0].as_ref().expect("live");
        assert_eq!(
            (first.activity.page_count, first.activity.last_seen),
            (1, now),
            "{kind:?}"
        );
        assert!(peeked[1].is_none(), "{kind:?}");
        let again = backend.peek_sessions(std::slice::from_ref(&live)).await.unwrap();
        assert_eq!(again[0].as_ref().unwrap().activity.page_count, 1);

        backend
            .unindex_user_sessions(user, &["h-ended".to_owned()])
            .await
            .unwrap();
        assert_eq!(
            backend.user_sessions(user).await.unwrap(),
            vec![("h-live".to_owned(), live.clone())]
        );

        backend.put_token(7, "tokhash", &live, now + 60_000).await.unwrap();
        assert_eq!(
            backend.resolve_token("tokhash").await.unwrap(),
            Some(live.clone()),
            "{kind:?}"
        );
        assert_eq!(backend.resolve_token("other").await.unwrap(), None);

        let Cached::Miss(token) = backend.cache_get("k").await.unwrap() else {
            panic!("nothing cached yet");
        };
        assert!(backend.cache_fill("k", &token, "v", 60_000).await.unwrap());
        assert_eq!(backend.cache_get("k").await.unwrap(), Cached::Hit("v".into()));
        backend.cache_invalidate("k").await.unwrap();
        assert!(
            matches!(backend.cache_get("k").await.unwrap(), Cached::Miss(_)),
            "{kind:?}"
        );
        backend.cache_delete("k").await.unwrap();
        assert_eq!(
            backend.cache_get("k").await.unwrap(),
            Cached::Miss(Default::default()),
            "{kind:?}"
        );
    }
}

/// A read-through cache never keeps a value read before the data changed: a fill must present
/// what its read saw, and an invalidation in between makes it fail (Redis and memory).
#[tokio::test]
async fn a_fill_that_raced_an_invalidation_is_refused() {
    for backend in backends().await {
        let kind = backend.kind();
        let name = format!("profile:{}", unique("c"));
        // Reader A misses; the data changes and is invalidated; A's late fill is refused.
        let Cached::Miss(seen_by_a) = backend.cache_get(&name).await.unwrap() else {
            panic!("a miss");
        };
        backend.cache_invalidate(&name).await.unwrap();
        assert!(
            !backend.cache_fill(&name, &seen_by_a, "old", 60_000).await.unwrap(),
            "{kind:?}"
        );
        // Reader B, after the invalidation, fills; a second invalidation refuses B's twin too.
        let Cached::Miss(seen_by_b) = backend.cache_get(&name).await.unwrap() else {
            panic!("a miss after an invalidation");
        };
        backend.cache_invalidate(&name).await.unwrap();
        assert!(
            !backend.cache_fill(&name, &seen_by_b, "stale", 60_000).await.unwrap(),
            "{kind:?}"
        );
        let Cached::Miss(seen_by_c) = backend.cache_get(&name).await.unwrap() else {
            panic!("a miss");
        };
        assert!(
            backend.cache_fill(&name, &seen_by_c, "fresh", 60_000).await.unwrap(),
            "{kind:?}"
        );
        // Two readers that missed together: the first fill wins, the second finds it taken.
        assert!(
            !backend.cache_fill(&name, &seen_by_c, "twin", 60_000).await.unwrap(),
            "{kind:?}"
        );
        assert_eq!(
            backend.cache_get(&name).await.unwrap(),
            Cached::Hit("fresh".into()),
            "{kind:?}"
        );
        let many = backend.cache_get_many(&[name.clone(), unique("none")]).await.unwrap();
        assert_eq!(many[0], Cached::Hit("fresh".into()));
        assert!(matches!(many[1], Cached::Miss(_)));
    }
}

/// An id renewal ends the old id at once, remembers it as renewed for a while, and the new
/// session can start with the old one's visit (Redis and memory).
#[tokio::test]
async fn a_renewed_session_is_marked_and_its_visit_carries_over() {
    for backend in backends().await {
        let kind = backend.kind();
        let (old, new, ended) = (unique("s"), unique("s"), unique("s"));
        let start = now_ms() - 60_000;
        backend
            .create_session(&new_session(&old, start, None, Some("/")))
            .await
            .unwrap();
        backend
            .load_session(&old, start + 1_000, Some("/register"))
            .await
            .unwrap();
        backend
            .create_session(&new_session(&ended, start, None, Some("/")))
            .await
            .unwrap();
        backend.end_session(&ended, "sign_out", now_ms()).await.unwrap();
        assert!(!backend.is_renewed(&ended).await.unwrap(), "only renewals are marked");

        backend.renew_session(&old, now_ms()).await.unwrap();
        // Not due for archiving before the mark lapses: its successor takes its visit first.
        assert!(
            !backend.due_sessions(now_ms(), 1000).await.unwrap().contains(&old),
            "{kind:?}"
        );
        assert!(backend.is_renewed(&old).await.unwrap(), "{kind:?}");
        assert!(!backend.is_renewed(&new).await.unwrap());
        assert!(backend.load_session(&old, now_ms(), None).await.unwrap().is_none());

        let visit: CarriedVisit = backend.activity(&old, 0, 100).await.unwrap().unwrap().into();
        assert_eq!(visit.page_count, 2);
        let mut next = new_session(&new, now_ms(), Some(now_ms() + 60_000), Some("/account"));
        next.carried = Some(&visit);
        assert_eq!(backend.create_session(&next).await.unwrap(), Creation::Created);
        let activity = backend.activity(&new, 0, 100).await.unwrap().unwrap();
        assert_eq!(activity.summary.started_at, start, "{kind:?}");
        assert_eq!(activity.summary.page_count, 3, "{kind:?}");
        assert_eq!(activity.first_pages, ["/", "/register", "/account"], "{kind:?}");
        let pages: Vec<&str> = activity.pages.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(pages, ["/account", "/register", "/"], "{kind:?}");
        assert_eq!(activity.user_id, Some(7));
    }
}

#[tokio::test]
async fn a_creation_over_its_admission_limit_keeps_nothing() {
    for backend in backends().await {
        let kind = backend.kind();
        let now = now_ms();
        let counter = unique("admit");
        let admission = Admission {
            counter: &counter,
            window_ms: 60_000,
            max: 2,
        };
        let before = backend.stats(now).await.unwrap().active_sessions;
        let ids: Vec<String> = (0..3).map(|_| unique("s")).collect();
        let mut outcomes = Vec::new();
        for id in &ids {
            let new = NewSession {
                admission: Some(admission),
                ..new_session(id, now, None, Some("/"))
            };
            outcomes.push(backend.create_session(&new).await.unwrap());
        }
        assert_eq!(
            outcomes,
            [Creation::Created, Creation::Created, Creation::Refused],
            "{kind:?}"
        );
        assert!(
            backend.load_session(&ids[2], now, None).await.unwrap().is_none(),
            "{kind:?}"
        );
        assert!(backend.activity(&ids[2], 0, 10).await.unwrap().is_none(), "{kind:?}");
        assert_eq!(
            backend.stats(now).await.unwrap().active_sessions,
            before + 2,
            "{kind:?}"
        );
        let counted = backend.rate_count(&counter, 0, 60_000, now).await.unwrap();
        assert_eq!(counted.count, 3, "{kind:?}: the refusal is counted too");
    }
}

#[tokio::test]
async fn creation_survives_a_flushed_script_cache() {
    let redis = backends().await.remove(0);
    assert_eq!(redis_cli(&["script", "flush"]), "OK");
    let id = unique("s");
    let counter = unique("admit");
    let new = NewSession {
        admission: Some(Admission {
            counter: &counter,
            window_ms: 60_000,
            max: 5,
        }),
        ..new_session(&id, now_ms(), None, Some("/"))
    };
    assert_eq!(redis.create_session(&new).await.unwrap(), Creation::Created);
    assert!(redis.load_session(&id, now_ms(), None).await.unwrap().is_some());

    // One of the two scripts cached (a rate-limit check loaded it) and the other not: only the
    // refused one runs again, so the admission is counted once and the session created once.
    assert_eq!(redis_cli(&["script", "flush"]), "OK");
    redis_cli(&["script", "load", include_str!("../../src/server/backend/lua/rate.lua")]);
    let (id, counter) = (unique("s"), unique("admit"));
    let new = NewSession {
        admission: Some(Admission {
            counter: &counter,
            window_ms: 60_000,
            max: 5,
        }),
        ..new_session(&id, now_ms(), None, Some("/"))
    };
    assert_eq!(redis.create_session(&new).await.unwrap(), Creation::Created);
    let counted = redis.rate_count(&counter, 0, 60_000, now_ms()).await.unwrap();
    assert_eq!(counted.count, 1, "admitted once");
}

#[tokio::test]
async fn a_sessions_copy_of_its_user_is_stored_only_if_not_invalidated_since_read() {
    for backend in backends().await {
        let kind = backend.kind();
        let id = unique("s");
        let now = now_ms();
        backend
            .create_session(&new_session(&id, now, Some(now + IDLE), None))
            .await
            .unwrap();
        let view = |prefs: &str, epoch: i64| UserView {
            prefs: Some(prefs.into()),
            profile: Some("{\"id\":7}".into()),
            epoch,
        };
        let loaded = backend.load_session(&id, now, None).await.unwrap().unwrap();
        assert_eq!(loaded.view, UserView::default(), "{kind:?}: none at first");

        assert!(backend.store_user_view(&id, &view("old", 0)).await.unwrap());
        let loaded = backend.load_session(&id, now, Some("/")).await.unwrap().unwrap();
        assert_eq!(loaded.view, view("old", 0), "{kind:?}: loaded with the session");
        assert_eq!(loaded.view.complete(), Some(("old", "{\"id\":7}")));

        // The user changed something: the copy goes, and one read before the change (epoch 0)
        // cannot put the old values back.
        backend.forget_user_views(std::slice::from_ref(&id)).await.unwrap();
        let loaded = backend.load_session(&id, now, None).await.unwrap().unwrap();
        assert_eq!(loaded.view.complete(), None, "{kind:?}");
        assert_eq!(loaded.view.epoch, 1, "{kind:?}");
        assert!(
            !backend.store_user_view(&id, &view("old", 0)).await.unwrap(),
            "{kind:?}"
        );
        assert!(backend.store_user_view(&id, &view("new", 1)).await.unwrap(), "{kind:?}");
        let loaded = backend.load_session(&id, now, None).await.unwrap().unwrap();
        assert_eq!(loaded.view, view("new", 1), "{kind:?}");

        // Invalidating sessions that never had a copy, or none at all, is harmless.
        backend.forget_user_views(&[unique("s")]).await.unwrap();
        backend.forget_user_views(&[]).await.unwrap();

        // An ended session's copy goes with it, and none can be stored for it.
        backend.end_session(&id, "sign_out", now).await.unwrap();
        assert!(
            !backend.store_user_view(&id, &view("new", 1)).await.unwrap(),
            "{kind:?}"
        );
        assert!(backend.load_session(&id, now, None).await.unwrap().is_none());
    }
}

/// A session keeps the newest notices only, and an ended one gets none (Redis and memory).
#[tokio::test]
async fn notices_are_capped_and_only_for_live_sessions() {
    use porch::server::backend::NOTICES_KEPT;
    for backend in backends().await {
        let (live, gone) = (unique("s"), unique("s"));
        for id in [&live, &gone] {
            assert_eq!(
                backend
                    .create_session(&new_session(id, now_ms(), None, Some("/")))
                    .await
                    .unwrap(),
                Creation::Created
            );
        }
        backend.end_session(&gone, "sign_out", now_ms()).await.unwrap();
        let ids = vec![live.clone(), gone.clone()];
        for n in 0..NOTICES_KEPT + 5 {
            let notice_id = format!("{:013}-n{n:02}", 1_000 + n);
            backend
                .add_notice(7, &ids, &notice_id, &format!("{{\"n\":{n}}}"))
                .await
                .unwrap();
        }
        let mut kept = backend.notices(&live).await.unwrap().expect("alive");
        kept.sort();
        let newest: Vec<String> = (5..NOTICES_KEPT + 5).map(|n| format!("{{\"n\":{n}}}")).collect();
        let mut newest_sorted = newest.clone();
        newest_sorted.sort();
        assert_eq!(kept, newest_sorted, "{:?}", backend.kind());
        assert_eq!(backend.notices(&gone).await.unwrap(), None);
        assert!(backend
            .dismiss_notice(&live, &format!("{:013}-n05", 1_005))
            .await
            .unwrap());
        assert_eq!(backend.notices(&live).await.unwrap().unwrap().len(), NOTICES_KEPT - 1);
    }
}
