//! Prometheus API mode: `query_range` per service for ratio, rate and p95, one
//! `query_range` for every service's revisions ([`revision_query`]), `/api/v1/alerts`, and
//! Alertmanager silences when configured. Round trips per round: 3 per service + 2 (+1
//! with Alertmanager).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use serde::Deserialize;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::alertmanager;
use super::direct::{LIMIT_SETTING, MAX_PAGE_BYTES};
use super::revisions::{revision_points, revision_query_in};
pub use super::series::{Series, lenient_value, parse_value, point_problem};
use super::series::{alert_state, summary_of};
use super::{
    Alert, AlertsUpdate, DataProblem, Health, MetricsUpdate, Point, RevisionLabel, ServiceHealth,
    ServicePoints, StatusLabel, backoff, error_chain, http_client,
};
use crate::sources::http::{BodyError, over_limit, read_limited};

pub use super::queries::{DEFAULT_ERROR_RATIO, DEFAULT_LATENCY_P95, DEFAULT_REQUEST_RATE, Queries};

#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusConfig {
    /// Base URL, e.g. `http://prometheus:9090`.
    pub url: String,
    /// Base URL of Alertmanager, e.g. `http://alertmanager:9093`.
    pub alertmanager: Option<String>,
    pub services: Vec<String>,
    pub queries: Queries,
    /// How far back the first `query_range` reaches (the pane's window).
    pub window: Duration,
    /// `[metrics] max_page_bytes`: the most of one API answer that is read.
    pub max_page_bytes: usize,
    /// `[metrics] status_label`, for the per-revision query (the templates name their own).
    pub status_label: StatusLabel,
    /// `[metrics] revision_label`: each service's requests are also asked for per value.
    pub revision_label: RevisionLabel,
}

impl PrometheusConfig {
    /// The defaults for everything but where Prometheus is and which services to ask for.
    pub fn new(url: impl Into<String>, services: Vec<String>) -> Self {
        Self {
            url: url.into(),
            alertmanager: None,
            services,
            queries: Queries::default(),
            window: Duration::from_secs(30 * 60),
            max_page_bytes: MAX_PAGE_BYTES,
            status_label: StatusLabel::default(),
            revision_label: RevisionLabel::default(),
        }
    }
}

impl PrometheusConfig {
    /// The environment's label matchers in every query (`[[environment]] metrics_labels`).
    pub fn with_matchers(mut self, matchers: Vec<(String, String)>) -> Self {
        self.queries.matchers = matchers;
        self
    }

    /// These services instead (the console asks for the scope's environment's only).
    pub fn with_services(mut self, services: Vec<String>) -> Self {
        let mut services = services;
        services.dedup();
        self.services = services;
        self
    }

    /// The console's config for `[metrics]` with `prometheus = url`: the services all its
    /// targets name (whatever their environment), its templates and rate window, the
    /// pane's 30 minutes.
    pub fn from_metrics(
        url: &str,
        cfg: &crate::config::MetricsConfig,
        max_page_bytes: usize,
    ) -> Self {
        let mut services: Vec<String> = cfg.targets.iter().map(|t| t.service.clone()).collect();
        services.dedup();
        let queries = Queries {
            error_ratio: cfg.error_ratio.clone(),
            latency_p95: cfg.latency_p95.clone(),
            window: cfg.window.clone(),
            ..Default::default()
        };
        Self {
            alertmanager: cfg.alertmanager.clone(),
            queries,
            max_page_bytes,
            status_label: StatusLabel(cfg.status_label.clone()),
            revision_label: RevisionLabel(cfg.revision_label.clone()),
            ..Self::new(url, services)
        }
    }
}

/// Polls Prometheus each `interval`: the window once, then only the new steps, per service;
/// alerts every round. Young series' request rates are read as their own (`young.rs`). Ends when `sink` returns false. Prometheus unreachable → every service
/// and the alerts marked failing, retried with backoff.
pub fn spawn_prometheus(
    config: PrometheusConfig,
    interval: Duration,
    mut sink: impl FnMut(MetricsUpdate) -> bool + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let interval = interval.max(Duration::from_millis(100));
        let step = Duration::from_secs(interval.as_secs().max(1));
        let http = match http_client(interval) {
            Ok(http) => http,
            Err(error) => {
                let mut update = MetricsUpdate::new(Timestamp::now());
                for service in &config.services {
                    update.health.push(ServiceHealth {
                        service: service.clone(),
                        source: config.url.clone(),
                        health: Health::Failing {
                            error: error.clone(),
                        },
                        at: update.at,
                    });
                }
                sink(update);
                return;
            }
        };
        let client =
            PrometheusClient::new(http.clone(), &config.url).with_max_bytes(config.max_page_bytes);
        let alertmanager = config.alertmanager.as_ref().map(|url| {
            alertmanager::AlertmanagerClient::new(http.clone(), url)
                .with_max_bytes(config.max_page_bytes)
        });
        // Service → end of the last range fetched (unix ms).
        let mut fetched_until: HashMap<String, i64> = HashMap::new();
        let mut births = super::young::Births::default();
        let mut failures = 0u32;
        let mut next_due = Instant::now();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let tick = ticker.tick().await;
            if tick < next_due {
                continue;
            }
            // where each service's range starts this round, for the young-series check: the
            // window for a first fetch; any time for a later one (a series that first shows
            // then is younger than the first fetch)
            let window_ms = i64::try_from(config.window.as_millis()).unwrap_or(i64::MAX / 4);
            let starts: HashMap<String, i64> = config
                .services
                .iter()
                .map(|s| {
                    let start = match fetched_until.contains_key(s) {
                        false => Timestamp::now().as_millisecond() - window_ms,
                        true => i64::MIN,
                    };
                    (s.clone(), start)
                })
                .collect();
            let mut update = poll_once(
                &client,
                alertmanager.as_ref(),
                &config,
                step,
                &mut fetched_until,
            )
            .await;
            let step_ms = i64::try_from(step.as_millis()).unwrap_or(1000);
            births.correct(
                &mut update.points,
                &starts,
                config.queries.window_ms(),
                step_ms,
            );
            let all_failed = !update.health.is_empty()
                && update
                    .health
                    .iter()
                    .all(|h| matches!(h.health, Health::Failing { .. }))
                && update.alerts.as_ref().is_some_and(|a| a.error.is_some());
            if all_failed {
                failures = failures.saturating_add(1);
                next_due = tick + backoff(interval, failures) - interval / 2;
            } else {
                failures = 0;
            }
            if !sink(update) {
                return;
            }
        }
    })
}

/// One round: every service's new points, and the alerts.
pub async fn poll_once(
    client: &PrometheusClient,
    alertmanager: Option<&alertmanager::AlertmanagerClient>,
    config: &PrometheusConfig,
    step: Duration,
    fetched_until: &mut HashMap<String, i64>,
) -> MetricsUpdate {
    let now = Timestamp::now();
    let step_ms = i64::try_from(step.as_millis()).unwrap_or(1000).max(1);
    let window_ms = i64::try_from(config.window.as_millis()).unwrap_or(i64::MAX / 4);
    // Aligned to the step, so successive rounds ask for the same evaluation times.
    let end_ms = now.as_millisecond().div_euclid(step_ms) * step_ms;
    let jobs: Vec<(String, i64)> = config
        .services
        .iter()
        .map(|service| {
            // After an outage longer than the window, only the window is worth asking for.
            let start = match fetched_until.get(service) {
                Some(last) => (last + step_ms).max(end_ms - window_ms),
                None => end_ms - window_ms,
            };
            (service.clone(), start)
        })
        .collect();
    // every service's revisions in one query, from the earliest start any service needs
    let revisions_start = jobs.iter().map(|(_, start)| *start).min();
    let starts: HashMap<String, i64> = jobs.iter().cloned().collect();
    let revisions_future = async {
        match revisions_start {
            Some(start_ms) if start_ms <= end_ms => {
                let query = revision_query_in(
                    &config.services,
                    &config.status_label,
                    &config.revision_label,
                    &config.queries.window,
                    &config.queries.extra_matchers(),
                );
                client.query_range(&query, start_ms, end_ms, step).await
            }
            _ => Ok(Vec::new()),
        }
    };
    type Answer = Result<(Vec<Point>, Option<String>), String>;
    let results_future = futures::stream::iter(jobs)
        .map(|(service, start_ms)| async move {
            if start_ms > end_ms {
                return (service, Ok((Vec::new(), None)));
            }
            let result =
                service_points(client, &config.queries, &service, start_ms, end_ms, step).await;
            (service, result)
        })
        .buffer_unordered(8)
        .collect::<Vec<(String, Answer)>>();
    let (results, revisions) = futures::join!(results_future, revisions_future);
    let mut revisions = match revisions {
        Ok(series) => revision_points(series, &config.revision_label),
        Err(error) => {
            // the services' own numbers stand; only the split is missing this round
            log::warn!("per-revision query: {error}");
            BTreeMap::new()
        }
    };
    let alerts_future = async {
        let mut update = match client.alerts().await {
            Ok(alerts) => AlertsUpdate {
                alerts,
                error: None,
                alertmanager_error: None,
            },
            Err(error) => AlertsUpdate {
                alerts: Vec::new(),
                error: Some(error),
                alertmanager_error: None,
            },
        };
        if let Some(am) = alertmanager {
            match am.alerts().await {
                Ok(am_alerts) => {
                    alertmanager::merge(&mut update.alerts, am_alerts, Timestamp::now())
                }
                Err(error) => update.alertmanager_error = Some(error),
            }
        }
        update
    };
    let alerts = alerts_future.await;

    let mut update = MetricsUpdate::new(Timestamp::now());
    let mut results = results;
    results.sort_by(|a, b| a.0.cmp(&b.0));
    for (service, result) in results {
        let health = match result {
            Ok((points, problem)) => {
                fetched_until.insert(service.clone(), end_ms);
                if let Some(problem) = problem {
                    update.problems.push(DataProblem {
                        service: service.clone(),
                        problem,
                    });
                }
                // only the steps this service asked for (the query covered the earliest)
                let start = starts.get(&service).copied().unwrap_or(i64::MIN);
                let mut by_revision = revisions.remove(&service).unwrap_or_default();
                by_revision.retain(|p| p.at_ms >= start);
                if !points.is_empty() || !by_revision.is_empty() {
                    update.points.push(ServicePoints {
                        service: service.clone(),
                        points,
                        by_revision,
                    });
                }
                Health::Up
            }
            Err(error) => Health::Failing { error },
        };
        update.health.push(ServiceHealth {
            service,
            source: client.base.clone(),
            health,
            at: update.at,
        });
    }
    update.alerts = Some(alerts);
    update
}

/// Ratio, rate and p95 for one service over `[start, end]`, merged by evaluation time. A
/// query error fails the service with Prometheus's own error text. Points whose numbers
/// cannot be right ([`point_problem`]) are left out (a gap, not a made-up value); when the
/// newest one is such, its problem comes back too.
async fn service_points(
    client: &PrometheusClient,
    queries: &Queries,
    service: &str,
    start_ms: i64,
    end_ms: i64,
    step: Duration,
) -> Result<(Vec<Point>, Option<String>), String> {
    let ratio_q = queries.expand(&queries.error_ratio, service);
    let rate_q = queries.expand(&queries.request_rate, service);
    let p95_q = queries.expand(&queries.latency_p95, service);
    let (ratio, rate, p95) = futures::join!(
        client.query_range(&ratio_q, start_ms, end_ms, step),
        client.query_range(&rate_q, start_ms, end_ms, step),
        client.query_range(&p95_q, start_ms, end_ms, step),
    );
    // Evaluation time → (ratio, rate, p95), each only where the query gave a value.
    type Values = [Option<f64>; 3];
    let mut by_time: BTreeMap<i64, Values> = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, (which, result)) in [("error ratio", ratio), ("request rate", rate), ("p95", p95)]
        .into_iter()
        .enumerate()
    {
        let series = match result {
            Ok(series) => series,
            Err(error) => {
                errors.push(format!("{which} query: {error}"));
                continue;
            }
        };
        // An aggregated query gives one series; with none there was no data in the range.
        let Some(first) = series.into_iter().next() else {
            continue;
        };
        for (at_ms, value) in first.values {
            by_time.entry(at_ms).or_default()[i] = Some(value);
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    let newest = by_time.keys().next_back().copied();
    let mut points = Vec::with_capacity(by_time.len());
    let mut problem = None;
    for (at_ms, [ratio, rate, p95]) in by_time {
        if let Some(why) = point_problem(ratio, rate) {
            if Some(at_ms) == newest {
                problem = Some(why);
            }
            continue;
        }
        points.push(Point {
            at_ms,
            error_ratio: ratio.unwrap_or(f64::NAN),
            request_rate: rate.unwrap_or(f64::NAN),
            p95_seconds: p95.unwrap_or(f64::NAN),
        });
    }
    Ok((points, problem))
}

/// A thin client for the parts of the HTTP API the pane needs.
#[derive(Debug, Clone)]
pub struct PrometheusClient {
    http: reqwest::Client,
    base: String,
    max_bytes: usize,
}

#[derive(Deserialize)]
struct Envelope<T> {
    status: String,
    data: Option<T>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

/// `data` of a query answer, decoded straight into series (no JSON tree in between: a
/// fleet's answer is a few MB).
#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum QueryData {
    Matrix(Vec<RawSeries>),
    Vector(Vec<RawSeries>),
    Scalar((f64, String)),
    String(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
    value: Option<(f64, String)>,
}

#[derive(Deserialize)]
struct AlertsData {
    alerts: Vec<RawAlert>,
}

#[derive(Deserialize)]
struct RawAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    state: String,
    #[serde(rename = "activeAt")]
    active_at: Option<String>,
    #[serde(default)]
    value: serde_json::Value,
}

impl PrometheusClient {
    pub fn new(http: reqwest::Client, base_url: &str) -> Self {
        Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            max_bytes: MAX_PAGE_BYTES,
        }
    }

    /// Reads at most `max_bytes` of any answer (default `[metrics] max_page_bytes`'s).
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// `/api/v1/query` at `at_ms` (now when `None`): instant vector or scalar as series of one
    /// value each.
    pub async fn query(&self, expr: &str, at_ms: Option<i64>) -> Result<Vec<Series>, String> {
        let mut params = vec![("query", expr.to_owned())];
        if let Some(at) = at_ms {
            params.push(("time", unix_seconds(at)));
        }
        let data: QueryData = self.get("/api/v1/query", &params).await?;
        series_from(data)
    }

    /// `/api/v1/query_range` over `[start_ms, end_ms]` every `step`.
    pub async fn query_range(
        &self,
        expr: &str,
        start_ms: i64,
        end_ms: i64,
        step: Duration,
    ) -> Result<Vec<Series>, String> {
        let params = [
            ("query", expr.to_owned()),
            ("start", unix_seconds(start_ms)),
            ("end", unix_seconds(end_ms)),
            ("step", format!("{}", step.as_secs_f64())),
        ];
        let data: QueryData = self.get("/api/v1/query_range", &params).await?;
        series_from(data)
    }

    /// `/api/v1/alerts`: pending and firing alerts.
    pub async fn alerts(&self) -> Result<Vec<Alert>, String> {
        let data: AlertsData = self.get("/api/v1/alerts", &[]).await?;
        Ok(data.alerts.into_iter().map(alert_from).collect())
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<T, String> {
        let url = format!("{}{}", self.base, path);
        let response = self
            .http
            .get(&url)
            .query(params)
            .send()
            .await
            .map_err(|e| format!("Prometheus at {}: {}", self.base, error_chain(&e)))?;
        let status = response.status();
        let body = read_limited(response, self.max_bytes)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => format!(
                    "Prometheus at {}: {}",
                    self.base,
                    over_limit("answer", self.max_bytes, Some(LIMIT_SETTING))
                ),
                BodyError::Read(e) | BodyError::TimedOut(e) => {
                    format!("Prometheus at {}: {e}", self.base)
                }
            })?;
        // Errors (400, 422, 503) come in the same envelope, with Prometheus's own text.
        let envelope: Envelope<T> = serde_json::from_slice(&body).map_err(|e| {
            let text = String::from_utf8_lossy(&body);
            let snippet: String = text.chars().take(200).collect();
            format!(
                "Prometheus at {}: HTTP {status}, unreadable answer ({e}): {snippet}",
                self.base
            )
        })?;
        if envelope.status != "success" {
            let error = envelope.error.unwrap_or_else(|| format!("HTTP {status}"));
            return Err(match envelope.error_type {
                Some(kind) => format!("{kind}: {error}"),
                None => error,
            });
        }
        envelope
            .data
            .ok_or_else(|| format!("Prometheus at {}: success without data", self.base))
    }
}

fn unix_seconds(ms: i64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

fn series_from(data: QueryData) -> Result<Vec<Series>, String> {
    match data {
        QueryData::Matrix(raw) | QueryData::Vector(raw) => Ok(raw
            .into_iter()
            .map(|s| {
                let pairs = s.value.into_iter().chain(s.values);
                Series {
                    metric: s.metric,
                    values: pairs
                        .map(|(t, v)| (seconds_to_ms(t), parse_value(&v)))
                        .collect(),
                }
            })
            .collect()),
        QueryData::Scalar((t, v)) => Ok(vec![Series {
            metric: BTreeMap::new(),
            values: vec![(seconds_to_ms(t), parse_value(&v))],
        }]),
        QueryData::String(_) => Err("result type string is not a number series".into()),
    }
}

/// A query answer's body (the `/api/v1/query` or `query_range` envelope) as series: what
/// the client does with each answer once read, for the benches.
pub fn parse_answer(body: &[u8]) -> Result<Vec<Series>, String> {
    let envelope: Envelope<QueryData> =
        serde_json::from_slice(body).map_err(|e| format!("unreadable answer: {e}"))?;
    match envelope.data {
        Some(data) if envelope.status == "success" => series_from(data),
        _ => Err(envelope.error.unwrap_or_else(|| "no data".into())),
    }
}

fn seconds_to_ms(t: f64) -> i64 {
    (t * 1000.0).round() as i64
}

fn alert_from(raw: RawAlert) -> Alert {
    Alert {
        name: raw.labels.get("alertname").cloned().unwrap_or_default(),
        state: alert_state(&raw.state),
        severity: raw.labels.get("severity").cloned(),
        summary: summary_of(&raw.annotations),
        service: raw.labels.get("service").cloned(),
        active_at: raw.active_at.and_then(|t| t.parse::<Timestamp>().ok()),
        value: lenient_value(&raw.value),
        labels: raw.labels,
        silenced: false,
    }
}

#[cfg(test)]
#[path = "prometheus_tests.rs"]
mod tests;
