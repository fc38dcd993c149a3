//! Prometheus mode for a GPU fleet: DCGM exporter (and the seed's `dgx_gpu_*` exporter)
//! scraped by Prometheus, read back in ONE round per refresh: one instant query for every
//! current value of every GPU ([`INSTANT_QUERY`]) and one `query_range` for the utilisation
//! history of every GPU ([`HISTORY_QUERY`]), the two sent concurrently. Series are joined per
//! physical GPU with the same code as a scraped page ([`super::join`]): by UUID across
//! exporters and label spellings, each GPU under the host its labels name (`[gpu]
//! host_label`, then `hostname`, `Hostname`), else its target's (`instance`); the console
//! then names a host the exporter's pod names after that pod's node (`app::panes::gpu::nodes`).
//!
//! A failed instant query is a [`GpuUpdate::Failed`]: the pane keeps every host's last
//! values, marked stale. A failed history query only leaves this round without history
//! (asked again next round). A host seen before whose series are all gone is a failed
//! [`HostSample`] (its exporter or node is down).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use jiff::Timestamp;

use super::join::{HOST_LABELS, Joined, join};
use super::model::{GpuUpdate, HostSample};
use crate::sources::exposition::Sample;
use crate::sources::metrics::prometheus::{PrometheusClient, Series};

/// Every current value the pane shows, of every GPU, in one instant query.
pub const INSTANT_QUERY: &str = concat!(
    r#"{__name__=~"DCGM_FI_DEV_(GPU_UTIL|MEM_COPY_UTIL|FB_USED|FB_FREE|FB_RESERVED"#,
    r#"|GPU_TEMP|SLOWDOWN_TEMP|SHUTDOWN_TEMP|POWER_USAGE|POWER_MGMT_LIMIT"#,
    r#"|ENFORCED_POWER_LIMIT|SM_CLOCK|MEM_CLOCK|FAN_SPEED|CLOCK_THROTTLE_REASONS"#,
    r#"|CLOCKS_EVENT_REASONS|XID_ERRORS|ECC_SBE_VOL_TOTAL|ECC_DBE_VOL_TOTAL|FB_TOTAL)"#,
    r#"|DCGM_FI_PROF_GR_ENGINE_ACTIVE|DCGM_EXP_XID_ERRORS_COUNT|dgx_gpu_.*"}"#
);

/// The utilisation of every GPU, for the history (one `query_range`, not one per GPU).
pub const HISTORY_QUERY: &str = r#"{__name__=~"DCGM_FI_DEV_GPU_UTIL|dgx_gpu_utilization_percent"}"#;

/// How far back the first history query reaches (the pane's history window).
pub const HISTORY_WINDOW: Duration = Duration::from_secs(10 * 60);

/// At most this many points per GPU in the first history query: its step grows to fit.
const FIRST_ROUND_POINTS: u64 = 150;

/// One answer may be this large (1,000 GPUs' first history is ~5 MiB).
pub const MAX_ANSWER_BYTES: usize = 64 << 20;

/// Where Prometheus is and how its series name their host.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuPrometheusConfig {
    /// Base URL, e.g. `http://prometheus:9090`.
    pub url: String,
    /// The label that names a GPU's host (`hostname`), before `hostname`, `Hostname` and
    /// `instance` (see [`super::join`]).
    pub host_label: String,
}

impl GpuPrometheusConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            host_label: crate::config::gpu::DEFAULT_HOST_LABEL.to_owned(),
        }
    }
}

/// What one source remembers between rounds.
#[derive(Debug, Default)]
pub struct FleetRounds {
    /// Every host seen so far: one whose series are gone is reported failed.
    pub known_hosts: BTreeSet<String>,
    /// End of the history fetched so far (unix ms); the next round asks only after it.
    pub history_until: Option<i64>,
}

/// One round: the instant query and the history query, concurrently. Returns the update
/// to send (every host's sample, or why Prometheus could not be read).
pub async fn poll_once(
    client: &PrometheusClient,
    config: &GpuPrometheusConfig,
    step: Duration,
    rounds: &mut FleetRounds,
) -> GpuUpdate {
    let now = Timestamp::now();
    let step_ms = i64::try_from(step.as_millis()).unwrap_or(1000).max(1000);
    let end_ms = now.as_millisecond().div_euclid(step_ms) * step_ms;
    let window_ms = i64::try_from(HISTORY_WINDOW.as_millis()).unwrap_or(600_000);
    let (start_ms, range_step) = match rounds.history_until {
        Some(last) if last + step_ms > end_ms - window_ms => {
            (last + step_ms, Duration::from_millis(step_ms as u64))
        }
        _ => {
            let first = (window_ms as u64 / FIRST_ROUND_POINTS).max(step_ms as u64);
            (end_ms - window_ms, Duration::from_millis(first))
        }
    };
    let history = async {
        if start_ms > end_ms {
            return Ok(Vec::new());
        }
        client
            .query_range(HISTORY_QUERY, start_ms, end_ms, range_step)
            .await
    };
    let (instant, history) = futures::join!(client.query(INSTANT_QUERY, None), history);
    let instant = match instant {
        Ok(series) => series,
        Err(error) => return GpuUpdate::Failed(error),
    };
    let history = match history {
        Ok(series) => {
            rounds.history_until = Some(end_ms);
            series
        }
        Err(error) => {
            log::warn!("GPU history from Prometheus: {error}");
            Vec::new()
        }
    };
    let mut hosts = fold(&config.host_label, &instant, &history, now);
    for host in &hosts {
        rounds.known_hosts.insert(host.host.clone());
    }
    let seen: BTreeSet<String> = hosts.iter().map(|h| h.host.clone()).collect();
    for gone in rounds.known_hosts.difference(&seen) {
        hosts.push(HostSample::failed(
            gone,
            now,
            "no GPU series in Prometheus (exporter or node down?)".to_owned(),
        ));
    }
    GpuUpdate::Round(hosts)
}

/// Which GPU a history series is about: its UUID, else its index on the host (or target) it
/// names; `None` for a MIG instance's (the history is the whole GPU's).
fn history_key<'a>(
    host_label: &str,
    metric: &'a BTreeMap<String, String>,
) -> Option<(Option<&'a str>, String)> {
    let label = |k: &str| metric.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if label("GPU_I_ID").is_some() {
        return None;
    }
    if let Some(uuid) = label("UUID").or_else(|| label("uuid")) {
        return Some((None, uuid.to_owned()));
    }
    let index = super::model::GpuIndex::from_label(label("gpu")?);
    let scope = std::iter::once(host_label)
        .chain(HOST_LABELS)
        .chain(["instance"])
        .find_map(label);
    Some((scope, format!("index:{index}")))
}

/// Folds an instant answer and a history answer into one sample per host, hosts in name
/// order, GPUs by index: every series joined per physical GPU ([`super::join`]), so a GPU
/// two exporters describe, or one exporter under two label spellings, is one GPU of one
/// host. Pure: the bench and the tests call it on canned answers.
pub fn fold(
    host_label: &str,
    instant: &[Series],
    history: &[Series],
    time: Timestamp,
) -> Vec<HostSample> {
    let samples: Vec<Sample> = instant
        .iter()
        .filter_map(|series| {
            let name = series.metric.get("__name__")?;
            let &(_, value) = series.values.last()?;
            let labels = series
                .metric
                .iter()
                .filter(|(k, _)| k.as_str() != "__name__")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Some(Sample {
                name: name.clone(),
                labels,
                value,
                timestamp_ms: None,
            })
        })
        .collect();
    // GPU → utilisation points; DCGM's name wins over the seed's
    let mut points: HashMap<(Option<&str>, String), &Series> = HashMap::new();
    for series in history {
        let Some(key) = history_key(host_label, &series.metric) else {
            continue;
        };
        let dcgm = series
            .metric
            .get("__name__")
            .is_some_and(|n| n.starts_with("DCGM_"));
        let slot = points.entry(key).or_insert(series);
        if dcgm {
            *slot = series;
        }
    }
    let mut hosts: BTreeMap<String, HostSample> = BTreeMap::new();
    for Joined {
        mut gpu,
        driver_version,
    } in join(&samples, host_label, "unknown")
    {
        let key = if gpu.uuid.starts_with("index:") {
            (Some(gpu.host.as_str()), gpu.uuid.clone())
        } else {
            (None, gpu.uuid.clone())
        };
        if let Some(series) = points.get(&key) {
            gpu.util_history = series
                .values
                .iter()
                .filter(|(_, v)| v.is_finite() && (0.0..=100.0).contains(v))
                .filter_map(|&(ms, v)| Timestamp::from_millisecond(ms).ok().map(|t| (t, v as f32)))
                .collect();
        }
        let host = hosts.entry(gpu.host.clone()).or_insert_with(|| HostSample {
            host: gpu.host.clone(),
            time,
            gpus: Vec::new(),
            error: None,
            driver_version: None,
        });
        if host.driver_version.is_none() {
            host.driver_version = driver_version;
        }
        host.gpus.push(gpu);
    }
    hosts.into_values().collect()
}

/// Polls Prometheus every `interval` (one round each), sending one [`GpuUpdate`] per
/// round. Ends when `sink` returns false.
pub fn spawn_prometheus<F>(
    config: GpuPrometheusConfig,
    interval: Duration,
    mut sink: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut(GpuUpdate) -> bool + Send + 'static,
{
    tokio::spawn(async move {
        let interval = interval.max(Duration::from_millis(250));
        let http = match crate::sources::http::client(interval) {
            Ok(http) => http,
            Err(e) => {
                sink(GpuUpdate::Failed(e));
                return;
            }
        };
        let client = PrometheusClient::new(http, &config.url).with_max_bytes(MAX_ANSWER_BYTES);
        let mut rounds = FleetRounds::default();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let update = poll_once(&client, &config, interval, &mut rounds).await;
            if !sink(update) {
                return;
            }
        }
    })
}
