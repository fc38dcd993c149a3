//! Which services a Prometheus counts requests for, and in which namespace: what
//! `flightdeck init --prometheus` writes as `[[metrics.target]]`s. One instant query of the
//! request counter the default templates read (`http_requests_total`), by its `service`
//! and `namespace` labels.

use std::time::Duration;

use super::http_client;
use super::prometheus::PrometheusClient;

/// The query: one series per (service, namespace) with requests counted.
pub const DISCOVERY_QUERY: &str = "count by (service, namespace) (http_requests_total)";

/// A service Prometheus has request counts for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Discovered {
    pub service: String,
    /// The series' `namespace` label, where they have one (Kubernetes service discovery
    /// adds it).
    pub namespace: Option<String>,
}

/// The services `url`'s Prometheus counts requests for, sorted, each (service, namespace)
/// once; within `timeout`.
pub async fn discover(url: &str, timeout: Duration) -> Result<Vec<Discovered>, String> {
    let client = PrometheusClient::new(http_client(timeout)?, url);
    let series = tokio::time::timeout(timeout, client.query(DISCOVERY_QUERY, None))
        .await
        .map_err(|_| format!("no answer within {} s", timeout.as_secs()))??;
    let mut found: Vec<Discovered> = series
        .into_iter()
        .filter_map(|s| {
            let service = s.metric.get("service").filter(|v| !v.is_empty())?.clone();
            let namespace = s.metric.get("namespace").filter(|v| !v.is_empty()).cloned();
            Some(Discovered { service, namespace })
        })
        .collect();
    found.sort();
    found.dedup();
    Ok(found)
}
