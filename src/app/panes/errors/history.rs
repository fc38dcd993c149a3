//! What the error-rate pane draws: per-service bounded history, latest values, failing
//! state, and alerts. Pure data; [`ErrorRateState::apply`] folds a [`MetricsUpdate`] in.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use jiff::Timestamp;

use super::revision_series::{RevisionRole, RevisionSeries, prune};
use crate::sources::metrics::model::{
    Alert, AlertState, AlertsUpdate, Health, MetricsUpdate, Point,
};

/// A history point as stored: values in `f32` (plenty for a sparkline and a percent), so 30
/// minutes at 1 s for 200 services stays under 10 MB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredPoint {
    pub at_ms: i64,
    pub error_ratio: f32,
    pub request_rate: f32,
    pub p95_seconds: f32,
}

impl From<Point> for StoredPoint {
    fn from(p: Point) -> Self {
        Self {
            at_ms: p.at_ms,
            error_ratio: p.error_ratio as f32,
            request_rate: p.request_rate as f32,
            p95_seconds: p.p95_seconds as f32,
        }
    }
}

/// Why something is failing, since when, and the last attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Failing {
    pub error: String,
    pub since: Timestamp,
    pub last_attempt: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceSeries {
    /// Oldest first, at most the window.
    pub history: VecDeque<StoredPoint>,
    /// The newest point, in full precision.
    pub latest: Option<Point>,
    /// Set while the last attempt failed; history is kept.
    pub failing: Option<Failing>,
    /// When data last arrived.
    pub last_ok: Option<Timestamp>,
    /// The URL that was last asked for this service.
    pub source: String,
    /// Set while the newest numbers could not be right (a NaN counter, a counter going
    /// down): the pane shows this instead of a ratio. Cleared by the next sound point.
    pub data_problem: Option<String>,
    /// The same requests per revision (`[metrics] revision_label`), each over the window;
    /// a revision whose newest point falls out of the window is dropped.
    pub revisions: BTreeMap<String, RevisionSeries>,
}

impl ServiceSeries {
    /// The newest ratio; NaN (shown as "—") without traffic or data, and while the numbers
    /// have a data problem (never a stale ratio that looks healthy).
    pub fn error_ratio(&self) -> f64 {
        if self.data_problem.is_some() {
            return f64::NAN;
        }
        self.latest.map_or(f64::NAN, |p| p.error_ratio)
    }

    /// The highest ratio at or after `since_ms`, ignoring NaN; for the incident hint
    /// ("above threshold within 15 minutes of a rollout").
    pub fn max_ratio_since(&self, since_ms: i64) -> Option<f64> {
        self.history
            .iter()
            .rev()
            .take_while(|p| p.at_ms >= since_ms)
            .map(|p| f64::from(p.error_ratio))
            .filter(|r| !r.is_nan())
            .reduce(f64::max)
    }

    /// Time since data last arrived, when it is failing now (the stale marker's age).
    pub fn stale_for(&self, now: Timestamp) -> Option<Duration> {
        let failing = self.failing.as_ref()?;
        let from = self.last_ok.unwrap_or(failing.since);
        Some(Duration::try_from(now.duration_since(from)).unwrap_or_default())
    }
}

impl ServiceSeries {
    /// `(unix seconds, ratio)` over the window, NaN gaps left out: for a ratatui `Chart`.
    pub fn ratio_points(&self) -> Vec<(f64, f64)> {
        self.points_of(|p| p.error_ratio)
    }

    /// `(unix seconds, p95 seconds)` over the window, NaN gaps left out.
    pub fn p95_points(&self) -> Vec<(f64, f64)> {
        self.points_of(|p| p.p95_seconds)
    }

    fn points_of(&self, value: impl Fn(&StoredPoint) -> f32) -> Vec<(f64, f64)> {
        self.history
            .iter()
            .filter(|p| value(p).is_finite())
            .map(|p| (p.at_ms as f64 / 1000.0, f64::from(value(p))))
            .collect()
    }
}

/// How a ratio stands against the configured threshold (the seed alerts at 5% and rolls
/// back automatically at 10%, twice that).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RatioLevel {
    /// No traffic or no data: shown as "—".
    Unknown,
    Ok,
    /// Above the threshold.
    Warn,
    /// At twice the threshold or more.
    Error,
}

impl RatioLevel {
    pub fn of(ratio: f64, threshold: f64) -> Self {
        if !ratio.is_finite() {
            Self::Unknown
        } else if ratio >= 2.0 * threshold {
            Self::Error
        } else if ratio > threshold {
            Self::Warn
        } else {
            Self::Ok
        }
    }
}

/// `14.2%`; "—" for NaN/±Inf; bounded however large ([`crate::text::bounded`]).
pub fn ratio_text(ratio: f64) -> String {
    let pct = ratio * 100.0;
    if pct.is_finite() {
        format!("{}%", crate::text::bounded(pct, 1))
    } else {
        "—".to_owned()
    }
}

/// `12.3/s`, `1.2k/s`, `3.4M/s`; "—" for NaN/±Inf.
pub fn rate_text(per_second: f64) -> String {
    if !per_second.is_finite() {
        "—".to_owned()
    } else {
        format!("{}/s", crate::text::bounded(per_second, 1))
    }
}

/// `250ms`, `1.25s`, `17m`, `3d`; beyond a year `1.0e308s` (bounded, as no histogram
/// should give it); "—" for NaN/±Inf.
pub fn latency_text(seconds: f64) -> String {
    const YEAR: f64 = 365.0 * 86_400.0;
    if !seconds.is_finite() {
        "—".to_owned()
    } else if seconds.abs() < 1.0 {
        format!("{:.0}ms", seconds * 1000.0)
    } else if seconds.abs() < 100.0 {
        format!("{seconds:.2}s")
    } else if seconds < YEAR {
        crate::text::format_secs(seconds as i64)
    } else {
        format!("{}s", crate::text::bounded(seconds, 0))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRateState {
    window_ms: i64,
    capacity: usize,
    pub services: BTreeMap<String, ServiceSeries>,
    /// The last list read; kept while reading fails.
    pub alerts: Vec<Alert>,
    pub alerts_failing: Option<Failing>,
    pub alertmanager_error: Option<String>,
    /// What the app knows of `(service, revision)`: the canary or the stable one of a
    /// Rollout. Set whole by [`ErrorRateState::set_revision_roles`]; without an entry a
    /// revision shows as its short hash.
    pub revision_roles: HashMap<(String, String), RevisionRole>,
    /// Whose numbers these are: the `[[environment]]` of the scope they were asked for
    /// (`Some(None)`: a scope in no environment; `None`: not noted yet).
    pub environment: Option<Option<String>>,
    /// Counts the metrics sources started for a new environment: the console starts one
    /// when this changes, and an update of an earlier one is dropped.
    pub generation: u64,
}

impl ErrorRateState {
    /// History of `window` (default 30 minutes) at `interval` per service.
    pub fn new(window: Duration, interval: Duration) -> Self {
        let interval_ms = interval.as_millis().max(1);
        let capacity = (window.as_millis().div_ceil(interval_ms) + 1) as usize;
        Self {
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
            capacity: capacity.min(1 << 20),
            services: BTreeMap::new(),
            alerts: Vec::new(),
            alerts_failing: None,
            alertmanager_error: None,
            revision_roles: HashMap::new(),
            environment: None,
            generation: 0,
        }
    }

    /// Forgets every number (the scope moved to another environment's): the history is
    /// that of `environment` from now on, asked for by a new source (`generation` + 1).
    pub fn restart_for(&mut self, environment: Option<String>) {
        *self = Self {
            window_ms: self.window_ms,
            capacity: self.capacity,
            environment: Some(environment),
            generation: self.generation.wrapping_add(1),
            ..Self::default()
        };
    }

    /// The window the pane holds (30 minutes unless the console says otherwise).
    pub fn window_ms(&self) -> i64 {
        self.window_ms
    }

    /// Points kept per service at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn apply(&mut self, update: MetricsUpdate) {
        for service_points in update.points {
            let series = self.services.entry(service_points.service).or_default();
            for point in service_points.points {
                let newer = series
                    .history
                    .back()
                    .is_none_or(|last| point.at_ms > last.at_ms);
                if !newer {
                    continue; // a repeat of a step already held
                }
                if series.history.capacity() == 0 {
                    series.history.reserve_exact(self.capacity);
                }
                // Make room first, so the ring never grows past its capacity.
                while series.history.len() >= self.capacity {
                    series.history.pop_front();
                }
                series.history.push_back(point.into());
                series.latest = Some(point);
                series.last_ok = Some(update.at);
                series.data_problem = None;
            }
            for point in service_points.by_revision {
                let revision = series.revisions.entry(point.revision.clone()).or_default();
                revision.push(point, self.capacity);
            }
            let newest = series
                .revisions
                .values()
                .filter_map(|r| r.latest.as_ref().map(|p| p.at_ms))
                .chain(series.latest.map(|p| p.at_ms))
                .max();
            let oldest = series
                .latest
                .map_or(i64::MIN, |p| p.at_ms.saturating_sub(self.window_ms));
            while series.history.front().is_some_and(|p| p.at_ms < oldest) {
                series.history.pop_front();
            }
            if let Some(newest) = newest {
                prune(&mut series.revisions, newest.saturating_sub(self.window_ms));
            }
        }
        // after the points: a round's problem is about its newest numbers
        for problem in update.problems {
            let series = self.services.entry(problem.service).or_default();
            series.data_problem = Some(problem.problem);
        }
        for health in update.health {
            let series = self.services.entry(health.service).or_default();
            series.source = health.source;
            match health.health {
                Health::Up => {
                    series.failing = None;
                    if series.last_ok.is_none_or(|t| t < health.at) {
                        series.last_ok = Some(health.at);
                    }
                }
                Health::Failing { error } => {
                    let since = series.failing.as_ref().map_or(health.at, |f| f.since);
                    series.failing = Some(Failing {
                        error,
                        since,
                        last_attempt: health.at,
                    });
                }
            }
        }
        if let Some(alerts) = update.alerts {
            self.apply_alerts(alerts, update.at);
        }
    }

    fn apply_alerts(&mut self, update: AlertsUpdate, at: Timestamp) {
        self.alertmanager_error = update.alertmanager_error;
        match update.error {
            None => {
                self.alerts = update.alerts;
                self.alerts
                    .sort_by(|a, b| b.state.cmp(&a.state).then_with(|| a.name.cmp(&b.name)));
                self.alerts_failing = None;
            }
            Some(error) => {
                let since = self.alerts_failing.as_ref().map_or(at, |f| f.since);
                self.alerts_failing = Some(Failing {
                    error,
                    since,
                    last_attempt: at,
                });
            }
        }
    }

    pub fn service(&self, name: &str) -> Option<&ServiceSeries> {
        self.services.get(name)
    }

    /// Firing alerts, for one service (`Some`) or all.
    pub fn firing<'a>(&'a self, service: Option<&'a str>) -> impl Iterator<Item = &'a Alert> + 'a {
        self.alerts.iter().filter(move |a| {
            a.state == AlertState::Firing && service.is_none_or(|s| a.service.as_deref() == Some(s))
        })
    }

    /// Heap bytes held by the histories (the bulk of this state), for the memory budget.
    pub fn history_bytes(&self) -> usize {
        self.services
            .values()
            .map(|s| {
                s.history.capacity() * std::mem::size_of::<StoredPoint>()
                    + s.revisions
                        .values()
                        .map(RevisionSeries::history_bytes)
                        .sum::<usize>()
            })
            .sum()
    }
}

impl Default for ErrorRateState {
    fn default() -> Self {
        Self::new(Duration::from_secs(30 * 60), Duration::from_secs(15))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_show_a_dash_for_nan_and_inf() {
        assert_eq!(ratio_text(0.142), "14.2%");
        assert_eq!(ratio_text(f64::NAN), "—");
        assert_eq!(rate_text(f64::INFINITY), "—");
        assert_eq!(rate_text(1234.0), "1.2k/s");
        assert_eq!(rate_text(12.34), "12.3/s");
        assert_eq!(latency_text(0.25), "250ms");
        assert_eq!(latency_text(1.25), "1.25s");
        assert_eq!(latency_text(f64::NEG_INFINITY), "—");
    }

    #[test]
    fn levels_against_the_threshold() {
        assert_eq!(RatioLevel::of(f64::NAN, 0.05), RatioLevel::Unknown);
        assert_eq!(RatioLevel::of(0.01, 0.05), RatioLevel::Ok);
        assert_eq!(RatioLevel::of(0.05, 0.05), RatioLevel::Ok);
        assert_eq!(RatioLevel::of(0.07, 0.05), RatioLevel::Warn);
        assert_eq!(RatioLevel::of(0.142, 0.05), RatioLevel::Error);
    }
}
