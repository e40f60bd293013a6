//! [`UserIndex`]: a user's sessions by handle, bearer tokens, and forgetting a user.

use porch::server::{
    backend::{Creation, UserView},
    time::now_ms,
};

use super::{backends, new_session};
use crate::harness::*;

#[tokio::test]
async fn the_index_tokens_and_a_peek_without_touching() {
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
    }
}

/// Forgetting a user (account deletion) leaves nothing of their sessions: records, activity,
/// schedule, copies of the user, notices, tokens and the index.
#[tokio::test]
async fn forgetting_a_user_leaves_nothing_of_their_sessions() {
    for backend in backends().await {
        let kind = backend.kind();
        let now = now_ms();
        let user = 7;
        // The user's sessions carry their tag, "Fg7x".
        let ids = [format!("Fg7x{}", unique("s")), format!("Fg7x{}", unique("s"))];
        for (n, id) in ids.iter().enumerate() {
            let created = backend
                .create_session(&new_session(id, now, Some(now + 60_000), Some("/")))
                .await
                .unwrap();
            assert_eq!(created, Creation::Created);
            backend
                .index_user_session(user, &format!("h{n}"), id, now + 60_000)
                .await
                .unwrap();
            backend
                .put_token(user, &format!("tok{n}"), id, now + 60_000)
                .await
                .unwrap();
            let view = UserView {
                prefs: Some("{}".into()),
                profile: Some("{}".into()),
                epoch: 0,
            };
            assert!(backend.store_user_view(id, user, &view).await.unwrap());
        }
        backend.add_notice(user, &ids, "0000000001000-n", "{}").await.unwrap();
        backend.forget_user(user, "Fg7x").await.unwrap();
        // The copy for their sessions went too, epoch and all.
        let later = format!("Fg7x{}", unique("s"));
        backend
            .create_session(&new_session(&later, now, Some(now + 60_000), None))
            .await
            .unwrap();
        let loaded = backend.load_session(&later, now, None).await.unwrap().unwrap();
        assert_eq!(loaded.view, UserView::default(), "{kind:?}");
        assert!(backend.user_sessions(user).await.unwrap().is_empty(), "{kind:?}");
        for (n, id) in ids.iter().enumerate() {
            assert!(backend.load_session(id, now, None).await.unwrap().is_none(), "{kind:?}");
            assert!(backend.activity(id, 0, 10).await.unwrap().is_none(), "{kind:?}");
            assert_eq!(backend.notices(id).await.unwrap(), None, "{kind:?}");
            assert_eq!(
                backend.resolve_token(&format!("tok{n}")).await.unwrap(),
                None,
                "{kind:?}"
            );
            assert!(
                !backend.due_sessions(i64::MAX, 1000).await.unwrap().contains(id),
                "{kind:?}"
            );
        }
    }
}
