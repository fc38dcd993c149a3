//! Alertmanager `/api/v2/alerts`: which alerts are silenced or inhibited.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Deserialize;

use super::series::summary_of;
use super::{Alert, AlertState, error_chain};

#[derive(Debug, Clone)]
pub struct AlertmanagerClient {
    http: reqwest::Client,
    base: String,
    max_bytes: usize,
}

/// One alert as Alertmanager holds it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AmAlert {
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    pub starts_at: Option<String>,
    #[serde(rename = "endsAt")]
    pub ends_at: Option<String>,
    #[serde(default)]
    pub status: AmStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AmStatus {
    /// `unprocessed`, `active` or `suppressed`.
    #[serde(default)]
    pub state: String,
    #[serde(rename = "silencedBy", default)]
    pub silenced_by: Vec<String>,
    #[serde(rename = "inhibitedBy", default)]
    pub inhibited_by: Vec<String>,
}

impl AmAlert {
    pub fn is_silenced(&self) -> bool {
        !self.status.silenced_by.is_empty()
            || !self.status.inhibited_by.is_empty()
            || self.status.state == "suppressed"
    }

    /// `endsAt` is set on active alerts too; only one in the past means resolved.
    fn is_over(&self, now: Timestamp) -> bool {
        self.ends_at
            .as_deref()
            .and_then(|t| t.parse::<Timestamp>().ok())
            .is_some_and(|end| end < now)
    }
}

impl AlertmanagerClient {
    pub fn new(http: reqwest::Client, base_url: &str) -> Self {
        Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            max_bytes: super::direct::MAX_PAGE_BYTES,
        }
    }

    /// Reads at most `max_bytes` of an answer (default `[metrics] max_page_bytes`'s).
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// All alerts, silenced and inhibited included (the API's default filters).
    pub async fn alerts(&self) -> Result<Vec<AmAlert>, String> {
        let url = format!("{}/api/v2/alerts", self.base);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("Alertmanager at {}: {}", self.base, error_chain(&e)))?;
        let status = response.status();
        let body = crate::sources::http::read_limited(response, self.max_bytes)
            .await
            .map_err(|e| match e {
                crate::sources::http::BodyError::TooLarge => format!(
                    "Alertmanager at {}: {}",
                    self.base,
                    crate::sources::http::over_limit(
                        "answer",
                        self.max_bytes,
                        Some(super::direct::LIMIT_SETTING)
                    )
                ),
                crate::sources::http::BodyError::Read(e)
                | crate::sources::http::BodyError::TimedOut(e) => {
                    format!("Alertmanager at {}: {e}", self.base)
                }
            })?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            let snippet: String = text.chars().take(200).collect();
            return Err(format!(
                "Alertmanager at {}: HTTP {status}: {snippet}",
                self.base
            ));
        }
        serde_json::from_slice(&body)
            .map_err(|e| format!("Alertmanager at {}: unreadable answer: {e}", self.base))
    }
}

/// Marks Prometheus's alerts silenced where Alertmanager says so (Alertmanager's labels may
/// add external labels, so Prometheus's must be a subset), and adds the alerts only
/// Alertmanager knows (from other Prometheus servers) as firing.
pub fn merge(alerts: &mut Vec<Alert>, from_alertmanager: Vec<AmAlert>, now: Timestamp) {
    for am in from_alertmanager {
        if am.is_over(now) {
            continue;
        }
        let matching = alerts.iter_mut().find(|a| {
            a.labels
                .iter()
                .all(|(k, v)| am.labels.get(k).is_some_and(|w| w == v))
        });
        match matching {
            Some(alert) => alert.silenced |= am.is_silenced(),
            None => alerts.push(Alert {
                name: am.labels.get("alertname").cloned().unwrap_or_default(),
                state: AlertState::Firing,
                severity: am.labels.get("severity").cloned(),
                summary: summary_of(&am.annotations),
                service: am.labels.get("service").cloned(),
                active_at: am.starts_at.as_deref().and_then(|t| t.parse().ok()),
                value: f64::NAN,
                silenced: am.is_silenced(),
                labels: am.labels,
            }),
        }
    }
}
