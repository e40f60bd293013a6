//! [`Locks`]: one holder at a time, released only by its token, free again once lapsed.

use super::{backends, eventually};
use crate::harness::*;

#[tokio::test]
async fn a_lock_has_one_holder_until_released_or_lapsed() {
    for backend in backends().await {
        let kind = backend.kind();
        let name = unique("lock");
        assert!(backend.try_lock(&name, "a", 60_000).await.unwrap(), "{kind:?}");
        assert!(!backend.try_lock(&name, "b", 60_000).await.unwrap(), "{kind:?}");
        backend.unlock(&name, "b").await.unwrap();
        assert!(
            !backend.try_lock(&name, "b", 60_000).await.unwrap(),
            "{kind:?}: another's token does not release it"
        );
        backend.unlock(&name, "a").await.unwrap();
        assert!(backend.try_lock(&name, "b", 1).await.unwrap(), "{kind:?}: released");
        let lapsed = eventually(|| {
            let (backend, name) = (&backend, &name);
            async move { backend.try_lock(name, "c", 60_000).await.unwrap() }
        })
        .await;
        assert!(lapsed, "{kind:?}: a lapsed lock is free");
    }
}
