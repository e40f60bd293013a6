//! Hourly figures for the admin page: sessions started and ended, page views (and by path),
//! sign-ins, failed sign-ins and rate-limit refusals.
//!
//! Counting costs nothing on the request path: each instance adds to an in-process [`Tally`]
//! (one short lock), and a background task adds what it gathered to per-hour keys in Redis
//! with atomic increments every few seconds (`STATS_FLUSH_INTERVAL`), so the figures of all
//! instances add up. The keys expire on their own ([`KEPT_MS`](super::figures::KEPT_MS));
//! nothing ever scans. Reading flushes this instance's tally first, so a single instance's
//! figures are exact at once and others' lag by at most one flush.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Duration,
};

use parking_lot::Mutex;

use super::{
    backend::{Backend, BackendError},
    figures::{day_of, hour_of, Counts, Figure, HourFigures, DAY_MS, HOUR_MS},
};
use crate::server::time::{now_ms, Millis};

/// How often each instance adds its tally to Redis, unless `STATS_FLUSH_INTERVAL` says.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// What this instance counted since its last flush, by hour.
#[derive(Debug, Default)]
pub struct Tally(Mutex<BTreeMap<Millis, HourFigures>>);

impl Tally {
    pub fn add(&self, counter: Figure) {
        self.add_at(counter, now_ms());
    }

    pub fn add_at(&self, counter: Figure, at: Millis) {
        self.0.lock().entry(hour_of(at)).or_default().counts[counter as usize] += 1;
    }

    /// A page view of `path`.
    pub fn page_view(&self, path: &str) {
        let mut hours = self.0.lock();
        let hour = hours.entry(hour_of(now_ms())).or_default();
        hour.counts[Figure::PageViews as usize] += 1;
        match hour.pages.get_mut(path) {
            Some(views) => *views += 1,
            None => {
                hour.pages.insert(path.to_owned(), 1);
            }
        }
    }

    fn take(&self) -> BTreeMap<Millis, HourFigures> {
        std::mem::take(&mut *self.0.lock())
    }

    fn put_back(&self, taken: BTreeMap<Millis, HourFigures>) {
        let mut hours = self.0.lock();
        for (hour, figures) in taken {
            hours.entry(hour).or_default().merge(figures);
        }
    }

    /// Adds the tally to the backend's per-hour figures; on failure it is kept for next time.
    pub async fn flush(&self, backend: &dyn Backend) -> Result<(), BackendError> {
        let taken: BTreeMap<Millis, HourFigures> = self
            .take()
            .into_iter()
            .filter(|(_, figures)| !figures.is_empty())
            .collect();
        if taken.is_empty() {
            return Ok(());
        }
        match backend.add_stats(&taken).await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.put_back(taken);
                Err(e)
            }
        }
    }

    /// Flushes `every` so often until the process ends.
    pub fn spawn_flusher(self: Arc<Self>, backend: Arc<dyn Backend>, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.flush(backend.as_ref()).await {
                    tracing::debug!(error = %e, "figures kept for the next flush: session store unavailable");
                }
            }
        })
    }
}

/// The figures of the 24 hours up to and including the current one, oldest first, with the
/// most viewed paths over them, and the days those figures and the day before's fall on.
pub struct Recent {
    /// (hour start, figures).
    pub hours: Vec<(Millis, HourFigures)>,
    /// (path, views), most viewed first.
    pub top_pages: Vec<(String, i64)>,
    /// (day start, the sums of its hours still kept), oldest first: today and yesterday whole,
    /// the day before in part.
    pub days: Vec<(Millis, Counts)>,
}

/// Hours read for the daily sums: the current one and the 47 before it, which covers
/// yesterday whole whatever the hour now. All are still kept ([`KEPT_MS`] is 49 hours).
const HOURS_FOR_DAYS: i64 = 48;

/// The hour starts from `HOURS_FOR_DAYS - 1` hours before `now`'s hour to it, oldest first.
fn hours_for_days(now: Millis) -> Vec<Millis> {
    let current = hour_of(now);
    (0..HOURS_FOR_DAYS).rev().map(|back| current - back * HOUR_MS).collect()
}

/// Sums hours by the UTC day they fall on, oldest first.
fn sum_by_day<'a>(hours: impl IntoIterator<Item = (Millis, &'a HourFigures)>) -> Vec<(Millis, Counts)> {
    let mut days: BTreeMap<Millis, Counts> = BTreeMap::new();
    for (hour, figures) in hours {
        let day = days.entry(day_of(hour)).or_default();
        for (sum, n) in day.iter_mut().zip(figures.counts) {
            *sum += n;
        }
    }
    days.into_iter().collect()
}

/// Reads the recent figures, after adding this instance's tally.
pub async fn recent(tally: &Tally, backend: &dyn Backend, top: usize) -> Result<Recent, BackendError> {
    tally.flush(backend).await?;
    let hours = hours_for_days(now_ms());
    let (older, last_day) = hours.split_at(hours.len() - 24);
    // Paths are only needed for the last 24 hours.
    let older_figures = backend.hourly_stats(older, false).await?;
    let figures = backend.hourly_stats(last_day, true).await?;
    let days = sum_by_day(
        older
            .iter()
            .copied()
            .zip(&older_figures)
            .chain(last_day.iter().copied().zip(&figures)),
    );
    let mut pages: HashMap<String, i64> = HashMap::new();
    for hour in &figures {
        for (path, views) in &hour.pages {
            *pages.entry(path.clone()).or_default() += views;
        }
    }
    let mut top_pages: Vec<(String, i64)> = pages.into_iter().collect();
    top_pages.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top_pages.truncate(top);
    Ok(Recent {
        hours: last_day.iter().copied().zip(figures).collect(),
        top_pages,
        days,
    })
}

/// The days still summable from the per-hour figures (see [`Recent::days`]), for the
/// sweeper's roll-up into the database.
pub async fn days_to_roll_up(backend: &dyn Backend, now: Millis) -> Result<Vec<(Millis, Counts)>, BackendError> {
    let hours = hours_for_days(now);
    let figures = backend.hourly_stats(&hours, false).await?;
    Ok(sum_by_day(hours.iter().copied().zip(&figures)))
}

/// `count` days up to and including `now`'s, oldest first, each the larger per figure of the
/// database's row (`stored`) and the sums from Redis (`recent`), zero where neither has it.
pub fn day_series(
    now: Millis,
    count: i64,
    stored: &[(Millis, Counts)],
    recent: &[(Millis, Counts)],
) -> Vec<(Millis, Counts)> {
    let today = day_of(now);
    let mut days: BTreeMap<Millis, Counts> = (0..count)
        .map(|back| (today - back * DAY_MS, Counts::default()))
        .collect();
    for (day, counts) in stored.iter().chain(recent) {
        if let Some(kept) = days.get_mut(day) {
            for (mine, &theirs) in kept.iter_mut().zip(counts) {
                *mine = (*mine).max(theirs);
            }
        }
    }
    days.into_iter().collect()
}

/// The `p`-th percentile (nearest rank) of `sorted` (ascending); `None` when empty.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&ten, 50), Some(5));
        assert_eq!(percentile(&ten, 90), Some(9));
        assert_eq!(percentile(&ten, 100), Some(10));
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
    }

    #[test]
    fn hours_are_summed_by_utc_day() {
        let mut one = HourFigures::default();
        one.counts[Figure::PageViews as usize] = 2;
        let mut two = HourFigures::default();
        two.counts[Figure::PageViews as usize] = 3;
        two.counts[Figure::SignIns as usize] = 1;
        let day = 20_000 * DAY_MS;
        let sums = sum_by_day([
            (day + 23 * HOUR_MS, &one),
            (day + DAY_MS, &two),
            (day + DAY_MS + HOUR_MS, &one),
        ]);
        assert_eq!(sums.len(), 2);
        assert_eq!((sums[0].0, sums[0].1[Figure::PageViews as usize]), (day, 2));
        assert_eq!((sums[1].0, sums[1].1[Figure::PageViews as usize]), (day + DAY_MS, 5));
        assert_eq!(sums[1].1[Figure::SignIns as usize], 1);
        // 48 hours always reach back over the whole of yesterday.
        for offset in [0, HOUR_MS - 1, 12 * HOUR_MS, DAY_MS - 1] {
            let hours = hours_for_days(day + offset);
            assert!(hours[0] <= day - DAY_MS, "{offset}");
            assert_eq!(*hours.last().unwrap(), hour_of(day + offset));
        }
    }

    #[test]
    fn the_day_series_takes_the_larger_of_each_figure() {
        let today = day_of(20_000 * DAY_MS + 5 * HOUR_MS);
        let mut stored = Counts::default();
        stored[0] = 7;
        stored[1] = 1;
        let mut recent = Counts::default();
        recent[0] = 3;
        recent[1] = 4;
        let series = day_series(
            today + 5 * HOUR_MS,
            30,
            &[(today - DAY_MS, stored), (today - 40 * DAY_MS, stored)],
            &[(today - DAY_MS, recent)],
        );
        assert_eq!(series.len(), 30);
        assert_eq!(series[0].0, today - 29 * DAY_MS);
        assert_eq!(series[29].0, today);
        assert_eq!(&series[28].1[..2], &[7, 4]);
        assert_eq!(series[29].1, Counts::default());
    }

    #[test]
    fn hours_start_on_the_hour() {
        assert_eq!(hour_of(HOUR_MS * 5 + 1), HOUR_MS * 5);
        assert_eq!(hour_of(HOUR_MS * 5), HOUR_MS * 5);
        assert_eq!(hour_of(HOUR_MS * 5 - 1), HOUR_MS * 4);
    }

    #[test]
    fn a_failed_flush_keeps_the_counts_for_the_next() {
        let tally = Tally::default();
        tally.page_view("/");
        tally.add(Figure::SignIns);
        let taken = tally.take();
        tally.page_view("/");
        tally.put_back(taken);
        let hours = tally.take();
        let figures = hours.values().next().unwrap();
        assert_eq!(figures.get(Figure::PageViews), 2);
        assert_eq!(figures.get(Figure::SignIns), 1);
        assert_eq!(figures.pages["/"], 2);
    }
}
