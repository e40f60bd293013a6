//! [`Sessions`]: creating, loading (and touching), saving over what was loaded, ending,
//! renewing, the activity, the expiry schedule, the copy of the user, peeking.

use std::time::Duration;

use porch::server::{
    backend::{
        redis::RedisBackend, Admission, BackendLimits, CarriedVisit, Creation, ExpiryPolicy, NewSession, Saved,
        Sessions as _, UserView, USER_VIEW_TTL_MS,
    },
    config::RedisConfig,
    time::now_ms,
};

use super::{backends, new_session, IDLE};
use crate::harness::*;

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
    redis_cli(&[
        "script",
        "load",
        include_str!("../../../src/server/backend/lua/rate.lua"),
    ]);
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

/// One copy of a user per user: stored through one of their sessions, read with every session
/// of theirs that carries their tag (the first characters of the id), never with another
/// user's, and stored only if not invalidated since it was read.
#[tokio::test]
async fn a_users_copy_is_shared_by_their_sessions_and_stored_only_if_not_invalidated_since_read() {
    for backend in backends().await {
        let kind = backend.kind();
        let now = now_ms();
        // Users 7 and 8 happen to share tag "Tg7a"; user 7's session on another tag ("Zz9b")
        // does not carry theirs (the app never makes one, and never stores a copy from one).
        let (a, b, other_tag) = (
            format!("Tg7a{}", unique("s")),
            format!("Tg7a{}", unique("s")),
            format!("Zz9b{}", unique("s")),
        );
        for id in [&a, &b, &other_tag] {
            backend
                .create_session(&new_session(id, now, Some(now + IDLE), None))
                .await
                .unwrap();
        }
        let eight = format!("Tg7a{}", unique("s"));
        backend
            .create_session(&NewSession {
                user_id: Some(8),
                ..new_session(&eight, now, Some(now + IDLE), None)
            })
            .await
            .unwrap();
        let guest = format!("Tg7a{}", unique("s"));
        backend
            .create_session(&new_session(&guest, now, None, None))
            .await
            .unwrap();
        let view = |prefs: &str, epoch: i64| UserView {
            prefs: Some(prefs.into()),
            profile: Some("{\"id\":7}".into()),
            epoch,
        };
        let load = |id: String| {
            let backend = backend.clone();
            async move { backend.load_session(&id, now, None).await.unwrap().unwrap().view }
        };
        assert_eq!(load(a.clone()).await, UserView::default(), "{kind:?}: none at first");

        assert!(backend.store_user_view(&a, 7, &view("old", 0)).await.unwrap());
        let loaded = backend.load_session(&a, now, Some("/")).await.unwrap().unwrap();
        assert_eq!(loaded.view, view("old", 0), "{kind:?}: loaded with the session");
        assert_eq!(loaded.view.complete(), Some(("old", "{\"id\":7}")));
        assert_eq!(
            load(b.clone()).await,
            view("old", 0),
            "{kind:?}: the user's other session"
        );
        for id in [&eight, &guest, &other_tag] {
            assert_eq!(
                load(id.clone()).await.complete(),
                None,
                "{kind:?}: {id} is not user 7's with tag Tg7a"
            );
        }

        // The user changed something: the copy goes for every session, and one read before the
        // change (epoch 0) cannot put the old values back.
        backend.forget_user_view("Tg7a", 7).await.unwrap();
        let epoch = load(a.clone()).await.epoch;
        assert!(epoch > 0, "{kind:?}: {epoch}");
        for id in [&a, &b] {
            let loaded = load(id.clone()).await;
            assert_eq!(loaded.complete(), None, "{kind:?}");
            assert_eq!(loaded.epoch, epoch, "{kind:?}");
        }
        assert!(
            !backend.store_user_view(&b, 7, &view("old", 0)).await.unwrap(),
            "{kind:?}"
        );
        assert!(
            backend.store_user_view(&b, 7, &view("new", epoch)).await.unwrap(),
            "{kind:?}"
        );
        assert_eq!(load(a.clone()).await, view("new", epoch), "{kind:?}");
        // Another user's invalidation on the same tag leaves this copy alone.
        backend.forget_user_view("Tg7a", 8).await.unwrap();
        assert_eq!(load(a.clone()).await, view("new", epoch), "{kind:?}");
        // Each invalidation moves the epoch on: a copy read under the one before is refused.
        backend.forget_user_view("Tg7a", 7).await.unwrap();
        let next = load(a.clone()).await.epoch;
        assert!(next > epoch, "{kind:?}: {next} after {epoch}");
        assert!(
            !backend.store_user_view(&a, 7, &view("new", epoch)).await.unwrap(),
            "{kind:?}"
        );
        assert!(
            backend.store_user_view(&a, 7, &view("new", next)).await.unwrap(),
            "{kind:?}"
        );

        // Invalidating a user who never had a copy is harmless.
        backend.forget_user_view("Nope", 99).await.unwrap();

        // An ended session cannot store a copy; the user's other sessions keep theirs.
        backend.end_session(&a, "sign_out", now).await.unwrap();
        assert!(
            !backend.store_user_view(&a, 7, &view("new", next)).await.unwrap(),
            "{kind:?}"
        );
        assert!(backend.load_session(&a, now, None).await.unwrap().is_none());
        assert_eq!(load(b.clone()).await, view("new", next), "{kind:?}");

        // A copy is trusted for USER_VIEW_TTL_MS after it was stored, then read afresh.
        let long = format!("Tg7a{}", unique("s"));
        backend
            .create_session(&NewSession {
                policy: ExpiryPolicy {
                    idle_ms: 4 * USER_VIEW_TTL_MS,
                    deadline: Some(now + 4 * USER_VIEW_TTL_MS),
                },
                ..new_session(&long, now, Some(now), None)
            })
            .await
            .unwrap();
        let later = now_ms() + USER_VIEW_TTL_MS + 1_000;
        let loaded = backend.load_session(&long, later, None).await.unwrap().unwrap();
        assert_eq!(loaded.view.complete(), None, "{kind:?}: stale");
        // And gone, not kept until the hash expires.
        assert_eq!(
            load(b.clone()).await.complete(),
            None,
            "{kind:?}: deleted when found stale"
        );
    }
}

/// The expiry schedule: a session is due when it would expire, later once rescheduled, never
/// once its activity is forgotten; at most `limit` at a time.
#[tokio::test]
async fn the_schedule_says_when_a_session_is_due() {
    for backend in backends().await {
        let kind = backend.kind();
        let now = now_ms();
        let ids: Vec<String> = (0..3).map(|_| unique("s")).collect();
        for id in &ids {
            backend.create_session(&new_session(id, now, None, None)).await.unwrap();
        }
        let id = &ids[0];
        assert!(!backend.due_sessions(now, 1000).await.unwrap().contains(id), "{kind:?}");
        assert!(
            backend.due_sessions(now + IDLE, 1000).await.unwrap().contains(id),
            "{kind:?}"
        );
        assert_eq!(
            backend.due_sessions(now + IDLE, 2).await.unwrap().len(),
            2,
            "{kind:?}: at most the limit"
        );
        backend.reschedule(id, now + 2 * IDLE).await.unwrap();
        assert!(
            !backend.due_sessions(now + IDLE, 1000).await.unwrap().contains(id),
            "{kind:?}"
        );
        assert!(
            backend.due_sessions(now + 2 * IDLE, 1000).await.unwrap().contains(id),
            "{kind:?}"
        );
        backend.forget_activity(id).await.unwrap();
        assert!(
            !backend.due_sessions(i64::MAX, 1000).await.unwrap().contains(id),
            "{kind:?}"
        );
        assert!(backend.activity(id, 0, 10).await.unwrap().is_none(), "{kind:?}");
    }
}
