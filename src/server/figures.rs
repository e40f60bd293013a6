//! The admin page's figures as they are kept: what is counted ([`Figure`]), by hour
//! ([`HourFigures`]), and how long an hour is kept. Below both the stores that keep them and the
//! tally that counts them (`stats`).

use std::collections::HashMap;

use crate::server::time::Millis;

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// How long per-hour figures stay in Redis: the admin page shows the last 24 hours.
pub const KEPT_MS: i64 = 49 * HOUR_MS;

/// Distinct paths kept per hour (the most visited); the rest are dropped, so a client making
/// up paths cannot grow the key without bound.
pub const PATHS_KEPT_PER_HOUR: i64 = 500;

/// What is counted: the one list is in the model ([`crate::model::admin::Figure`]), shared with
/// the admin page that shows the figures.
pub use crate::model::admin::Figure;

/// The start of the hour `at` falls in.
pub fn hour_of(at: Millis) -> Millis {
    at - at.rem_euclid(HOUR_MS)
}

/// The start of the UTC day `at` falls in.
pub fn day_of(at: Millis) -> Millis {
    at - at.rem_euclid(DAY_MS)
}

/// A figure per [`Figure`], indexed by `counter as usize`.
pub type Counts = [i64; Figure::ALL.len()];

/// One hour's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HourFigures {
    pub counts: Counts,
    /// Path → views.
    pub pages: HashMap<String, i64>,
}

impl HourFigures {
    pub fn get(&self, counter: Figure) -> i64 {
        self.counts[counter as usize]
    }

    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|&c| c == 0) && self.pages.is_empty()
    }

    pub fn merge(&mut self, other: HourFigures) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        for (path, views) in other.pages {
            *self.pages.entry(path).or_default() += views;
        }
    }
}
