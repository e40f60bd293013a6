//! [`RateCounters`]: fixed windows that start with their first hit.

use porch::server::time::now_ms;

use super::{backends, eventually};
use crate::harness::*;

/// Hits add up in a window, a cost of 0 only reads, a clear starts again from zero, and so does
/// a window that has ended.
#[tokio::test]
async fn counts_add_up_in_a_window_and_start_again() {
    for backend in backends().await {
        let kind = backend.kind();
        let name = unique("r");
        let now = now_ms();
        let first = backend.rate_count(&name, 1, 60_000, now).await.unwrap();
        assert_eq!(first.count, 1, "{kind:?}");
        assert!(
            first.resets_at > now && first.resets_at <= now + 60_000,
            "{kind:?}: {first:?}"
        );
        assert_eq!(backend.rate_count(&name, 2, 60_000, now).await.unwrap().count, 3);
        assert_eq!(
            backend.rate_count(&name, 0, 60_000, now).await.unwrap().count,
            3,
            "{kind:?}: a read"
        );
        backend.rate_clear(&name).await.unwrap();
        assert_eq!(
            backend.rate_count(&name, 0, 60_000, now).await.unwrap().count,
            0,
            "{kind:?}"
        );
        let short = unique("r");
        backend.rate_count(&short, 5, 1, now_ms()).await.unwrap();
        let lapsed = eventually(|| {
            let (backend, short) = (&backend, &short);
            async move { backend.rate_count(short, 0, 1, now_ms()).await.unwrap().count == 0 }
        })
        .await;
        assert!(lapsed, "{kind:?}: an ended window starts again");
    }
}
