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
pub mod discover;
pub mod fold;
pub mod model;
mod poll;
pub mod prometheus;
pub mod queries;
pub mod revisions;
pub mod series;
pub mod young;

pub use model::{
    Alert, AlertState, AlertsUpdate, DataProblem, Health, MetricsUpdate, Point, RevisionLabel,
    RevisionPoint, ServiceHealth, ServicePoints, StatusLabel, Target,
};
pub use poll::backoff;
pub(crate) use poll::now_ms;

/// How often the console scrapes or polls when the config does not say.
pub const SCRAPE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

pub use crate::sources::http::{client as http_client, error_chain};
