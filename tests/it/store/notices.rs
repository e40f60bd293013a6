//! [`Notices`]: kept per live session, capped, dismissed, and the wake-ups they send.

use std::time::Duration;

use porch::server::{backend::Creation, time::now_ms};

use super::{backends, new_session};
use crate::harness::*;

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

/// A notice wakes the user's notice streams, on every instance (Redis pub/sub; in memory, the
/// one process).
#[tokio::test]
async fn a_notice_wakes_the_users_streams() {
    for backend in backends().await {
        let kind = backend.kind();
        let mut wakeups = backend.notice_wakeups();
        let id = unique("s");
        backend
            .create_session(&new_session(&id, now_ms(), None, None))
            .await
            .unwrap();
        backend
            .add_notice(42, std::slice::from_ref(&id), "0000000001000-n", "{}")
            .await
            .unwrap();
        let woken = tokio::time::timeout(Duration::from_secs(2), wakeups.recv()).await;
        assert_eq!(woken.expect("a wake-up in time").unwrap(), 42, "{kind:?}");
        assert_eq!(
            backend
                .create_session(&new_session(&id, now_ms(), None, None))
                .await
                .unwrap(),
            Creation::IdTaken
        );
    }
}
