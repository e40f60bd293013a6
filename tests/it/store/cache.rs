//! [`Cache`]: misses, fills over what the miss saw, hits, invalidations, deletions.

use porch::server::backend::Cached;

use super::backends;
use crate::harness::*;

/// A miss, a fill over what the miss saw, a hit, an invalidation (a miss again), a deletion.
#[tokio::test]
async fn fill_hit_invalidate_and_delete() {
    for backend in backends().await {
        let kind = backend.kind();
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
