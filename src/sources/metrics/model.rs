//! The error-rate source's owned messages: points, health and alerts, as plain data. The
//! pane folds them into its history (`app::panes::errors`).

use std::collections::BTreeMap;

use jiff::Timestamp;

/// One `/metrics` URL to scrape. Samples with a `service` label are counted for that
/// service; samples without one for `service` here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub service: String,
    pub url: String,
}

/// One point of a service's series. Any value may be NaN: zero traffic gives a NaN ratio and
/// p95 (shown as "—"), as Prometheus does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Unix milliseconds: our scrape time in direct mode, the evaluation time in API mode.
    pub at_ms: i64,
    /// 5xx requests / all requests, 0..=1.
    pub error_ratio: f64,
    /// Requests per second.
    pub request_rate: f64,
    /// 95th percentile latency in seconds.
    pub p95_seconds: f64,
}

/// New points for one service, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePoints {
    pub service: String,
    pub points: Vec<Point>,
    /// The same requests counted per value of `[metrics] revision_label` (series without
    /// the label are in `points` only), by time then revision. A revision without traffic
    /// at a time has no point then; one whose numbers cannot be right has none either (its
    /// problem is the service's, in [`MetricsUpdate::problems`]).
    pub by_revision: Vec<RevisionPoint>,
}

impl ServicePoints {
    /// Points for `service` with no per-revision split.
    pub fn new(service: impl Into<String>, points: Vec<Point>) -> Self {
        Self {
            service: service.into(),
            points,
            by_revision: Vec::new(),
        }
    }
}

/// One revision's share of a service at one time: only requests of series whose
/// `[metrics] revision_label` is `revision`.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionPoint {
    /// The label's value: for Argo Rollouts the pod-template-hash (`7f9c4d8b5`).
    pub revision: String,
    /// Unix milliseconds, as [`Point::at_ms`].
    pub at_ms: i64,
    /// 5xx requests / all requests of this revision, 0..=1 (never NaN: no traffic, no point).
    pub error_ratio: f64,
    /// Requests per second to this revision, above 0.
    pub request_rate: f64,
}

/// Whether the last attempt at one thing (a scrape target, a service's queries, the alerts
/// endpoint) worked. Failing keeps the history; the pane shows the error and its age.
#[derive(Debug, Clone, PartialEq)]
pub enum Health {
    Up,
    Failing { error: String },
}

/// The result of one attempt for `service`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceHealth {
    pub service: String,
    /// The scrape URL or the Prometheus URL that was asked.
    pub source: String,
    pub health: Health,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertState {
    Inactive,
    Pending,
    Firing,
}

/// An alert from Prometheus's `/api/v1/alerts` (or only from Alertmanager).
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub name: String,
    pub state: AlertState,
    pub severity: Option<String>,
    /// The `summary` annotation, else `description`.
    pub summary: Option<String>,
    /// The `service` label, when the alert has one.
    pub service: Option<String>,
    pub active_at: Option<Timestamp>,
    /// The value of the alert expression; NaN when not given or unreadable.
    pub value: f64,
    pub labels: BTreeMap<String, String>,
    /// Alertmanager reports the alert silenced (or inhibited).
    pub silenced: bool,
}

/// The whole alert list of one poll. With `error` set the list could not be read (it is then
/// empty, and the pane keeps the previous one, marked stale).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertsUpdate {
    pub alerts: Vec<Alert>,
    pub error: Option<String>,
    /// Alertmanager was configured but could not be read: silences unknown.
    pub alertmanager_error: Option<String>,
}

/// Numbers for `service` that cannot be right: a NaN or ±Inf counter, a counter below zero
/// or going down without a reset, a rate below zero. The pane shows the problem instead of
/// a ratio (never 0 % or a healthy colour), until a later round gives a sound point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataProblem {
    pub service: String,
    /// What is wrong, naming the series (`5xx counter is NaN: http_requests_total{…}`).
    pub problem: String,
}

/// One owned message from a metrics task to the ui task.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsUpdate {
    pub at: Timestamp,
    pub points: Vec<ServicePoints>,
    pub health: Vec<ServiceHealth>,
    /// Services whose newest numbers this round are unsound (they get no point for it).
    pub problems: Vec<DataProblem>,
    /// `None`: this update says nothing about alerts (direct mode, or not polled this time).
    pub alerts: Option<AlertsUpdate>,
    /// The source that sent it: the console tags each update with the
    /// `ErrorRateState::generation` it started the source for, and an update of a source
    /// started for another environment is dropped. `None`: not tied to one.
    pub generation: Option<u64>,
}

impl MetricsUpdate {
    pub fn new(at: Timestamp) -> Self {
        Self {
            at,
            points: Vec::new(),
            health: Vec::new(),
            problems: Vec::new(),
            alerts: None,
            generation: None,
        }
    }
}

/// Which label holds the HTTP status code. `status` by default; when a series has no such
/// label, `code` is tried too (client_golang's promhttp uses `code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLabel(pub String);

impl Default for StatusLabel {
    fn default() -> Self {
        Self("status".to_owned())
    }
}

/// Which label tells a service's revisions apart (`[metrics] revision_label`). By default
/// the one Prometheus's Kubernetes discovery makes of Argo Rollouts' pod label
/// `rollouts-pod-template-hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionLabel(pub String);

/// The default of `[metrics] revision_label`.
pub const DEFAULT_REVISION_LABEL: &str = "rollouts_pod_template_hash";

impl Default for RevisionLabel {
    fn default() -> Self {
        Self(DEFAULT_REVISION_LABEL.to_owned())
    }
}
