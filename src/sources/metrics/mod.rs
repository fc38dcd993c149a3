//! The error-rate source: per-service 5xx ratio, request rate and p95 latency, and alerts.
//!
//! Two modes feed the same owned message, [`MetricsUpdate`]:
//! - direct scrape ([`direct::spawn_direct`]): `/metrics` pages parsed by
//!   [`crate::sources::exposition`] and folded from counter deltas between scrapes
//!   ([`fold::DirectFold`]);
//! - Prometheus API ([`prometheus::spawn_prometheus`]): `query_range` per service, alerts
//!   from `/api/v1/alerts` and, optionally, silences from Alertmanager.
//!
//! Both count a service's requests per value of `[metrics] revision_label` too
//! ([`ServicePoints::by_revision`]): direct mode in the fold, API mode in one extra query
//! per round for every service ([`revisions::revision_query`]).
//!
//! The messages are plain data in [`model`]; the pane's history and its level policy live
//! in `app::panes::errors`.

pub mod alertmanager;
pub mod direct;
pub mod fold;
pub mod model;
pub mod prometheus;
pub mod queries;
pub mod revisions;
pub mod series;
pub mod young;

pub use model::{
    Alert, AlertState, AlertsUpdate, DataProblem, Health, MetricsUpdate, Point, RevisionLabel,
    RevisionPoint, ServiceHealth, ServicePoints, StatusLabel, Target,
};

use std::time::Duration;

use jiff::Timestamp;

/// After `failures` failures in a row, wait this long before the next attempt: the interval,
/// doubling per failure, at most 8 intervals.
/// How often the console scrapes or polls when the config does not say.
pub const SCRAPE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

pub fn backoff(interval: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(3);
    interval.saturating_mul(factor)
}

pub use crate::sources::http::{client as http_client, error_chain};

pub(crate) fn now_ms(at: Timestamp) -> i64 {
    at.as_millisecond()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_eight_intervals() {
        let i = Duration::from_secs(5);
        assert_eq!(backoff(i, 0), i);
        assert_eq!(backoff(i, 1), i);
        assert_eq!(backoff(i, 2), i * 2);
        assert_eq!(backoff(i, 3), i * 4);
        assert_eq!(backoff(i, 4), i * 8);
        assert_eq!(backoff(i, 40), i * 8);
    }
}
